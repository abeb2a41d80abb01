"""Dashboard figures: what is at risk, with whom, and how close to the s.16(4) time limit."""

from __future__ import annotations

from datetime import date

import polars as pl

from recon import dashboard, figures


def review_rows(rows: list[dict]) -> pl.DataFrame:
    """Review rows as Workspace.review gives them: both documents' tax heads and kinds, and the row's
    own columns. ``books_tax`` / ``portal_tax`` given here land in IGST of that side."""
    defaults = {
        "category": None,
        "doc_kind": "invoice",
        "supplier_gstin": "27AAPFU0939F1ZV",
        "supplier_name": "Acme",
        "books_tax": None,
        "portal_tax": None,
        "itc": 0.0,
        "wanted_action": None,
        "action_source": "suggested",
        "books_doc_id": None,
        "portal_doc_id": None,
        "fy": "2025-26",
        "not_ims_record": False,
        "not_in_ims_reason": None,
        "duplicate_of": None,
    }
    frame = pl.DataFrame([defaults | r for r in rows], infer_schema_length=None)
    frame = frame.with_columns(
        pl.col("books_tax", "portal_tax", "itc").cast(pl.Float64),
        pl.col("books_doc_id", "portal_doc_id", "not_in_ims_reason", "duplicate_of").cast(pl.String),
    )
    sides = []
    for side in ("books", "portal"):
        given, tax = pl.col(f"{side}_doc_id"), pl.col(f"{side}_tax")
        made_up = pl.lit(f"{side}-doc") + pl.int_range(pl.len()).cast(pl.String)
        sides.append(
            pl.when(tax.is_not_null())
            .then(pl.coalesce(given, made_up))
            .otherwise(given)
            .alias(given.meta.output_name())
        )
        sides += [pl.col("doc_kind").alias(f"{side}_doc_kind"), tax.alias(f"{side}_igst")]
        sides += [pl.lit(0.0).alias(f"{side}_{head}") for head in ("cgst", "sgst", "cess")]
    return frame.with_columns(sides)


def test_risk_counts_unreported_invoices_a_second_booking_and_the_excess_claimed():
    review = review_rows(
        [
            {"category": "books_only", "books_tax": 1800.0, "supplier_name": "Acme"},
            {
                "category": "books_only",
                "books_tax": 900.0,
                "doc_kind": "credit_note",
                "supplier_name": "Acme",
            },
            {"category": "books_only", "books_tax": 400.0, "supplier_name": "Acme", "duplicate_of": "b1"},
            {
                "category": "mismatched",
                "books_tax": 1000.0,
                "portal_tax": 700.0,
                "supplier_name": "Beta",
                "supplier_gstin": "33GSPTN0791G1Z5",
                "portal_doc_id": "i1",
                "wanted_action": "A",
            },
            {
                "category": "mismatched",
                "books_tax": 500.0,
                "portal_tax": 650.0,
                "supplier_name": "Beta",
                "supplier_gstin": "33GSPTN0791G1Z5",
                "portal_doc_id": "i2",
                "wanted_action": "A",
            },
            {
                "category": "ims_only",
                "portal_tax": 250.0,
                "supplier_name": "Gamma",
                "portal_doc_id": "i3",
                "supplier_gstin": "32TAAOA2947A1Z7",
                "wanted_action": "P",
            },
            {
                "category": "books_only",
                "books_tax": 5000.0,
                "supplier_name": "Acme",
                "not_in_ims_reason": "reverse charge",
                "not_ims_record": True,
            },
        ]
    )
    risk = dashboard.itc_at_risk_by_supplier(review)
    by_kind = {(r["supplier"], r["risk"]): r["amount"] for r in risk.iter_rows(named=True)}
    # A missing credit note is not a risk to ITC; a portal amount above the books is not either; a
    # Pending record the books do not claim is not; a reverse-charge entry never enters IMS.
    assert by_kind == {
        ("Acme", "Not in IMS"): 1800.0,
        ("Acme", "Booked twice"): 400.0,
        ("Beta", "Books above IMS"): 300.0,
    }
    assert figures.itc_at_risk(review) == 2500.0  # the bars add up to the one figure
    assert risk["supplier"].to_list()[0] == "Acme"  # largest first
    assert set(risk["supplier_gstin"]) == {"27AAPFU0939F1ZV", "33GSPTN0791G1Z5"}


def test_two_registrations_of_one_name_stay_two_bars_with_their_gstin():
    review = review_rows(
        [
            {"category": "books_only", "books_tax": 100.0, "supplier_name": "Acme"},
            {
                "category": "books_only",
                "books_tax": 200.0,
                "supplier_name": "Acme",
                "supplier_gstin": "29AAPFU0939F1ZR",
            },
        ]
    )
    risk = dashboard.itc_at_risk_by_supplier(review)
    assert sorted(risk["supplier"]) == ["Acme (27AAPFU0939F1ZV)", "Acme (29AAPFU0939F1ZR)"]


def test_ageing_buckets_follow_30_november_after_the_financial_year():
    review = review_rows(
        [
            {"category": "books_only", "books_tax": 100.0, "fy": "2023-24"},  # deadline 30-11-2024: lapsed
            {"category": "books_only", "books_tax": 200.0, "fy": "2024-25"},  # 30-11-2025: 20 days left
            {"category": "books_only", "books_tax": 400.0, "fy": "2025-26"},  # 30-11-2026: > 180 days
            {"category": "books_only", "books_tax": 800.0, "fy": "2024-25", "doc_kind": "credit_note"},
            {"category": "matched", "books_tax": 1600.0, "fy": "2023-24"},
        ]
    )
    ages = dashboard.ageing(review, today=date(2025, 11, 10))
    assert dict(zip(ages["bucket"], ages["itc"], strict=True)) == {
        "Lapsed": 100.0,
        "Within 30 days": 200.0,
        "31-90 days": 0.0,
        "91-180 days": 0.0,
        "More than 180 days": 400.0,
    }


def test_progress_counts_user_decisions_apart_from_suggestions():
    review = review_rows(
        [
            {"category": "matched", "portal_doc_id": "i1", "action_source": "user"},
            {"category": "matched", "portal_doc_id": "i2"},
            {"category": "books_only"},
        ]
    )
    progress = dashboard.decision_progress(review)
    assert sorted(progress.rows()) == [
        ("Matched with ITC", "Decided", 1),
        ("Matched with ITC", "On suggestion", 1),
    ]
    assert dashboard.headline(review)["decided_share"] == 0.5
