"""Amounts the way Indian clients read them (grouping by lakh and crore), and the review grid's columns."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from recon.present import (
    csv_file_name,
    followup_message,
    grid_columns,
    grid_options,
    indian_grouping,
    inr,
    inr_short,
    period_label,
    rupee_ticks,
    tab_label,
    with_set_by,
)


@pytest.mark.parametrize(
    ("whole", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1,000"),
        (99999, "99,999"),
        (100000, "1,00,000"),
        (12345678, "1,23,45,678"),
        (1234567890, "1,23,45,67,890"),
        (-4500000, "-45,00,000"),
    ],
)
def test_indian_grouping_puts_commas_after_thousands_then_every_two_digits(whole, text):
    assert indian_grouping(whole) == text


def test_rupee_amounts_round_to_rupees_unless_paise_are_asked_for():
    assert inr(12345678.4) == "₹ 1,23,45,678"
    assert inr(1234.5, 2) == "₹ 1,234.50"
    assert inr(-59000) == "-₹ 59,000"
    assert inr(None) == ""


def test_short_form_says_lakh_and_crore():
    assert inr_short(4_56_00_000) == "₹ 4.56 Cr"
    assert inr_short(12_30_000) == "₹ 12.30 L"
    assert inr_short(45_678) == "₹ 45,678"
    assert inr_short(-2_50_000) == "-₹ 2.50 L"


def test_period_names():
    assert period_label("112025") == "Nov 2025"
    assert period_label("2025") == "2025"


def test_chart_axes_are_labelled_in_lakh_and_crore():
    values, labels = rupee_ticks(32_24_000)
    assert values[-1] >= 32_24_000
    assert labels[:3] == ["₹ 0", "₹ 10 L", "₹ 20 L"]
    assert rupee_ticks(2_40_00_000)[1][-1].endswith(" Cr")


def test_an_amount_that_rounds_to_zero_never_prints_a_minus():
    assert inr(-0.4) == "₹ 0"
    assert inr(-0.004, 2) == "₹ 0.00"
    assert inr_short(-0.3) == "₹ 0"
    assert inr(-0.6) == "-₹ 1"


def test_tab_labels_group_counts_and_show_itc_in_lakh():
    assert tab_label("ims_only", 123456, -2_50_000) == "Not found in ITC · 1,23,456 · -₹ 2.50 L"


def test_follow_up_message_states_the_net_tax_with_credit_notes_subtracted():
    items = [
        {"ask": "Please report invoice C-9.", "total_tax": 720.0},
        {"ask": "Please report credit note CN-1.", "total_tax": -180.0},
    ]
    message = followup_message("Asha Traders", "27AHQPA7588L1ZJ", "Cosmo Packaging", items)
    assert message.startswith("Dear Cosmo Packaging,")
    assert "1. Please report invoice C-9.\n2. Please report credit note CN-1." in message
    assert "Tax involved (credit notes subtracted): ₹ 540.00." in message


# --- the review grid's columns -----------------------------------------------------------------------


def _fields(cols):
    return [c["field"] for c in cols]


def test_mismatched_tab_shows_both_sides_next_to_each_other_with_the_differing_cell_marked():
    cols = {c["field"]: c for c in grid_columns("mismatched")}
    order = _fields(grid_columns("mismatched"))
    for books, portal, flag in (
        ("books_doc_date", "portal_doc_date", "diff_doc_date"),
        ("books_taxable_value", "portal_taxable_value", "diff_taxable"),
        ("books_tax", "portal_tax", "diff_tax"),
    ):
        assert order.index(portal) == order.index(books) + 1
        assert (
            cols[books]["cellClassRules"] == {"diff-cell": f"data.{flag}"} == cols[portal]["cellClassRules"]
        )


def test_amounts_are_grouped_in_the_cell_but_exported_as_numbers():
    amounts = [c for c in grid_columns("mismatched") if c.get("valueFormatter") == "JS_INR"]
    assert {"books_tax", "portal_tax", "tax_difference", "portal_taxable_value"} <= set(_fields(amounts))
    assert all(c["useValueFormatterForExport"] is False for c in amounts)


def test_set_by_and_remarks_stay_on_screen_and_the_action_is_pinned_left():
    cols = {c["field"]: c for c in grid_columns("ims_only")}
    assert cols["set_by"]["pinned"] == cols["remarks"]["pinned"] == "right"
    assert cols["action"]["pinned"] == "left"


def test_books_only_rows_have_no_action_and_no_portal_side():
    fields = _fields(grid_columns("books_only"))
    assert not {"action", "set_by", "portal_tax", "portal_doc_date"} & set(fields)
    assert {"books_tax", "books_doc_date"} <= set(fields)


def test_portal_would_refuse_gets_a_column_only_when_the_table_has_it():
    assert "portal_would_refuse" not in _fields(grid_columns("matched", ("action", "remarks")))
    cols = {c["field"]: c for c in grid_columns("matched", ("action", "portal_would_refuse"))}
    assert cols["portal_would_refuse"]["tooltipField"] == "portal_would_refuse"
    assert cols["portal_would_refuse"]["headerName"] == "Portal would refuse"


def test_only_pairs_tabs_offer_the_pair_to_confirm_marker():
    assert "pair_to_confirm" in _fields(grid_columns("mismatched"))
    assert "pair_to_confirm" not in _fields(grid_columns("ims_only"))


def test_the_csv_export_is_named_with_client_period_and_tab():
    options = grid_options(
        "mismatched", export_name=csv_file_name("Hind Tools (P) Ltd.", "112025", "mismatched")
    )
    assert options["defaultCsvExportParams"]["fileName"] == "Hind-Tools-P-Ltd_112025_Mismatched-with-ITC.csv"


def test_set_by_says_who_decided_and_when_in_indian_time():
    rows = pl.DataFrame(
        {
            "portal_doc_id": ["p1", "p2", "p3", None],
            "action": ["Reject", "Accept", "Pending", None],
            "action_source": ["user", "user", "suggested", None],
        }
    )
    decisions = pl.DataFrame(
        {
            "portal_doc_id": ["p1", "p2"],
            "decided_by": ["asha", "ravi"],
            "decided_at": [datetime(2026, 12, 6, 5, 11), datetime(2026, 12, 5, 20, 0)],
        },
        schema_overrides={"decided_at": pl.Datetime(time_zone="UTC")},
    )
    labels = with_set_by(rows, decisions, user="asha")["set_by"].to_list()
    assert labels == ["you · 06-12-2026 10:41", "ravi · 06-12-2026 01:30", "suggested", None]
