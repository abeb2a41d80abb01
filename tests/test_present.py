"""Amounts the way Indian clients read them: grouping by lakh and crore."""

from __future__ import annotations

import pytest

from recon.present import (
    followup_message,
    indian_grouping,
    inr,
    inr_short,
    period_label,
    rupee_ticks,
    tab_label,
)


@pytest.mark.parametrize(
    ("whole", "text"),
    [(0, "0"), (999, "999"), (1000, "1,000"), (99999, "99,999"), (100000, "1,00,000"),
     (12345678, "1,23,45,678"), (1234567890, "1,23,45,67,890"), (-4500000, "-45,00,000")],
)  # fmt: skip
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
