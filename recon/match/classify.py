"""Classification: which of the four categories a pair or leftover falls in, and what needs review.

* matched — same document, taxable and every tax head within tolerance, same date, nothing else differs;
* mismatched — same document, something differs (an amount head beyond tolerance, date, place of supply,
  reverse charge) or paired at PAN level (the GSTIN itself differs);
* ims_only / books_only — no partner.

Documents that never enter IMS (docs/reference/ims-rules.md §1) keep one of the four categories but carry
``not_in_ims_reason`` so they are not counted as missing from IMS.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from recon.match.compare import any_difference

# Import-of-goods records enter IMS from the October-2025 period (docs/reference/ims-rules.md §6); earlier bills of entry
# are ICEGATE records seen only in 2B.
IMPORTS_IN_IMS_FROM = date(2025, 10, 1)


def pair_category() -> pl.Expr:
    """matched / mismatched for a compared pair (columns from ``compare.compare``)."""
    return (
        pl.when(any_difference() | (pl.col("basis") == "pan"))
        .then(pl.lit("mismatched"))
        .otherwise(pl.lit("matched"))
    )


def not_in_ims_expr() -> pl.Expr:
    """Why a document is not an IMS record (docs/reference/ims-rules.md §1), or null; on a prepared work frame.

    A document read from an IMS download is an IMS record by definition. Books, 2B and 2A documents are
    judged by what they are: reverse charge, ISD, imports before the IMS import-of-goods section, and
    2B records marked "ITC not available" go straight to GSTR-2B.
    """
    # "isd" in any case at the start; no other character lower-cases to i, s or d, and a lower-cased copy
    # of every section costs more.
    is_isd = (pl.col("kind") == "isd") | pl.col("section").str.contains("^[iI][sS][dD]").fill_null(False)
    old_import = (pl.col("kind") == "bill_of_entry") & (
        pl.col("date").is_null() | (pl.col("date") < IMPORTS_IN_IMS_FROM)
    )
    # Whole sentences, not joined up per row: polars works out every branch on every row.
    itc_not_available = (
        pl.when(pl.col("itc_reason") == "P")
        .then(pl.lit("ITC not available on 2B (place-of-supply rule) — not an IMS record"))
        .when(pl.col("itc_reason") == "C")
        .then(pl.lit("ITC not available on 2B (time limit of s.16(4)) — not an IMS record"))
        .otherwise(pl.lit("ITC not available on 2B — not an IMS record"))
    )
    return (
        pl.when(pl.col("source") == "ims")
        .then(pl.lit(None, pl.String))
        .when(pl.col("rc").fill_null(False))
        .then(pl.lit("reverse charge — not an IMS record, reconcile against 2B"))
        .when(is_isd)
        .then(pl.lit("ISD distribution — not an IMS record, reconcile against 2B"))
        .when(old_import)
        .then(
            pl.lit("import of goods before the October-2025 period — not an IMS record, reconcile against 2B")
        )
        .when(pl.col("itc_available").is_in(["N", "n"]).fill_null(False))
        .then(itc_not_available)
        .otherwise(pl.lit(None, pl.String))
        .alias("not_in_ims")
    )
