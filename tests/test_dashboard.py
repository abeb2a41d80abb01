"""Dashboard figures: what is at risk, with whom, and how close to the s.16(4) time limit."""

from __future__ import annotations

from datetime import date

import polars as pl

from recon import dashboard


def review_rows(rows: list[dict]) -> pl.DataFrame:
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
        "portal_doc_id": None,
        "fy": "2025-26",
        "not_ims_record": False,
    }
    frame = pl.DataFrame([defaults | r for r in rows], infer_schema_length=None)
    return frame.with_columns(pl.col("books_tax", "portal_tax", "itc").cast(pl.Float64))


def test_risk_counts_unreported_invoices_the_excess_claimed_and_pending_credit():
    review = review_rows(
        [
            {"category": "books_only", "books_tax": 1800.0, "supplier_name": "Acme"},
            {"category": "books_only", "books_tax": 900.0, "doc_kind": "credit_note", "supplier_name": "Acme"},
            {"category": "mismatched", "books_tax": 1000.0, "portal_tax": 700.0, "supplier_name": "Beta",
             "portal_doc_id": "i1", "wanted_action": "A"},
            {"category": "mismatched", "books_tax": 500.0, "portal_tax": 650.0, "supplier_name": "Beta",
             "portal_doc_id": "i2", "wanted_action": "A"},
            {"category": "ims_only", "portal_tax": 250.0, "supplier_name": "Gamma", "portal_doc_id": "i3",
             "wanted_action": "P"},
        ]
    )  # fmt: skip
    risk = dashboard.itc_at_risk_by_supplier(review)
    by_kind = {(r["supplier"], r["risk"]): r["amount"] for r in risk.iter_rows(named=True)}
    # A missing credit note is not a risk to ITC; a portal amount above the books is not either.
    assert by_kind == {
        ("Acme", "Not in IMS"): 1800.0,
        ("Beta", "Value mismatch"): 300.0,
        ("Gamma", "Pending"): 250.0,
    }
    assert dashboard.itc_at_risk_total(review) == 2350.0
    assert risk["supplier"].to_list()[0] == "Acme"  # largest first


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
