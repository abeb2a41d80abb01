"""Chart data for the dashboard, as polars frames over the review table (``Workspace.review``).

Each function answers one question a client asks in a meeting: where is my ITC, what is at risk and with
whom, what is about to lapse, how far is the review. The page only draws these frames with Plotly.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from recon import figures
from recon.match.result import CATEGORIES, CATEGORY_LABELS
from recon.model import ACTION_LABELS

AGE_BUCKETS = ("Lapsed", "Within 30 days", "31-90 days", "91-180 days", "More than 180 days")


def ims_rows(review: pl.DataFrame) -> pl.DataFrame:
    """Rows that belong to the four tabs (the 'not an IMS record' and settled groups are reported apart)."""
    return figures.open_rows(review).filter(~pl.col("not_ims_record"))


def itc_by_category_action(review: pl.DataFrame) -> pl.DataFrame:
    """ITC and count per tab and effective action (books-only rows have no action: 'Follow up')."""
    labelled = ims_rows(review).with_columns(
        pl.col("category").replace_strict(CATEGORY_LABELS).alias("tab"),
        pl.col("wanted_action").replace_strict(ACTION_LABELS, default="Follow up").alias("action"),
    )
    order = {CATEGORY_LABELS[c]: i for i, c in enumerate(CATEGORIES)}
    return (
        labelled.group_by("tab", "action")
        .agg(pl.col("itc").sum().round(2).alias("itc"), pl.len().alias("documents"))
        .with_columns(pl.col("tab").replace_strict(order, return_dtype=pl.Int32).alias("_order"))
        .sort("_order", "action")
        .drop("_order")
    )


def itc_at_risk_by_supplier(review: pl.DataFrame, top: int = 10) -> pl.DataFrame:
    """ITC at risk per supplier and part, for the ``top`` suppliers with the most at risk.

    ``supplier`` is the name the axis shows; two registrations that share a name keep their GSTIN in
    it so their bars stay apart. ``supplier_gstin`` is for the tooltip.
    """
    risk = figures.at_risk_rows(review).with_columns(pl.col("supplier_gstin").fill_null("(no GSTIN)"))
    per_gstin = (
        risk.group_by("supplier_gstin")
        .agg(pl.col("supplier_name").drop_nulls().first(), pl.col("amount").sum().alias("total"))
        .sort(["total", "supplier_gstin"], descending=[True, False])
        .head(top)
    )
    name = pl.col("supplier_name").fill_null(pl.col("supplier_gstin"))
    shared = pl.len().over(name) > 1
    leaders = per_gstin.with_columns(
        pl.when(shared)
        .then(name + pl.lit(" (") + pl.col("supplier_gstin") + pl.lit(")"))
        .otherwise(name)
        .alias("supplier")
    ).drop("supplier_name")
    return (
        risk.join(leaders, on="supplier_gstin")
        .group_by("supplier", "supplier_gstin", "risk", "total")
        .agg(pl.col("amount").sum().round(2))
        .sort(["total", "supplier", "risk"], descending=[True, False, False])
    )


def ageing(review: pl.DataFrame, today: date | None = None) -> pl.DataFrame:
    """Unmatched books entries by time left before their s.16(4) deadline: ITC and count per bucket.

    Unmatched = the supplier has not reported it (books only); its credit lapses at the deadline unless
    the supplier files in time. Credit notes have no such deadline and are left out.
    """
    today = today or date.today()
    # s.16(4) limits taking credit on invoices and debit notes; a credit note has no such deadline.
    unmatched = ims_rows(review).filter(
        (pl.col("category") == "books_only") & (pl.col("doc_kind") != "credit_note")
    )
    start = pl.col("fy").str.slice(0, 4).cast(pl.Int32, strict=False)
    days_left = (pl.date(start + 1, 11, 30) - pl.lit(today)).dt.total_days()
    bucket = (
        pl.when(days_left < 0)
        .then(pl.lit(AGE_BUCKETS[0]))
        .when(days_left <= 30)
        .then(pl.lit(AGE_BUCKETS[1]))
        .when(days_left <= 90)
        .then(pl.lit(AGE_BUCKETS[2]))
        .when(days_left <= 180)
        .then(pl.lit(AGE_BUCKETS[3]))
        .otherwise(pl.lit(AGE_BUCKETS[4]))
    )
    counted = (
        unmatched.with_columns(bucket.alias("bucket"))
        .group_by("bucket")
        .agg(pl.col("books_tax").sum().round(2).alias("itc"), pl.len().alias("documents"))
    )
    skeleton = pl.DataFrame({"bucket": list(AGE_BUCKETS)})
    return skeleton.join(counted, on="bucket", how="left").fill_null(0)


def decision_progress(review: pl.DataFrame) -> pl.DataFrame:
    """Per tab: IMS documents decided by the user vs still on the suggestion."""
    portal_rows = ims_rows(review).filter(pl.col("portal_doc_id").is_not_null())
    marked = portal_rows.with_columns(
        pl.col("category").replace_strict(CATEGORY_LABELS).alias("tab"),
        pl.when(pl.col("action_source") == "user")
        .then(pl.lit("Decided"))
        .otherwise(pl.lit("On suggestion"))
        .alias("status"),
    )
    return marked.group_by("tab", "status").agg(pl.len().alias("documents")).sort("tab", "status")


def headline(review: pl.DataFrame) -> dict[str, float]:
    """The figures at the top (recon.figures) and the share of IMS documents a person has decided."""
    portal_rows = ims_rows(review).filter(pl.col("portal_doc_id").is_not_null())
    decided = portal_rows.filter(pl.col("action_source") == "user").height
    return {
        **figures.headline(review),
        "decided_share": decided / portal_rows.height if portal_rows.height else 0.0,
        "documents": float(portal_rows.height),
    }
