"""Comparison: field by field, what differs between the two documents of a pair.

Every chosen pair, however it was found (manual links included), is compared the same way. Amounts are in
whole paise, so "within ₹1.00" is exact and ₹1.01 is not. A difference is only called when both sides say
something: books that leave place of supply blank do not differ from the portal's.
"""

from __future__ import annotations

import polars as pl

from recon.match import block
from recon.match.block import AMOUNTS, tolerance_paise
from recon.match.settings import Settings

# What comparing and explaining read of each document (the rest of the work frame stays behind).
WIDE_COLUMNS = (
    "idx",
    "doc_id",
    "gstin",
    "kind",
    "doc_no",
    "no_upper",
    "key",
    "fy",
    "date",
    *AMOUNTS,
    "pos",
    "rc",
    "orig_no_upper",
    "orig_date",
    "not_in_ims",
)
# A pair reads less: what the comparison, the differences and the basis sentence need (a million pairs
# would otherwise copy several text columns nobody reads).
_COMPARED = ("doc_id", "gstin", "doc_no", "date", *AMOUNTS, "pos", "rc", "not_in_ims")
PAIR_BOOKS_COLUMNS = _COMPARED
PAIR_PORTAL_COLUMNS = (*_COMPARED, "orig_date")
# Read only by the sentences of pairs that are not plain exact ones: fetched for those pairs alone.
SENTENCE_BOOKS_COLUMNS = ("key",)
SENTENCE_PORTAL_COLUMNS = ("no_upper", "orig_no_upper")


def widen(
    pairs: pl.DataFrame,
    books: pl.DataFrame,
    portal: pl.DataFrame,
    books_columns: tuple[str, ...] = WIDE_COLUMNS,
    portal_columns: tuple[str, ...] = WIDE_COLUMNS,
) -> pl.DataFrame:
    """Pairs with the books document's columns as ``b_*`` and the portal document's as ``p_*``."""
    # ``idx`` is the row position in a whole work frame, so gathering rows by it replaces a hash join.
    b = books.select(pl.col(c).gather(pairs["b"]).alias(f"b_{c}") for c in books_columns)
    p = portal.select(pl.col(c).gather(pairs["p"]).alias(f"p_{c}") for c in portal_columns)
    return pl.concat([pairs, b, p], how="horizontal")


def compare(wide: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """Add per field: ``d_<head>`` (portal minus books, paise) and ``x_<field>`` (True when it differs)."""
    exprs = []
    for head in AMOUNTS:
        delta = pl.col(f"p_{head}") - pl.col(f"b_{head}")
        exprs.append(delta.alias(f"d_{head}"))
        exprs.append((delta.abs() > tolerance_paise(settings, head)).alias(f"x_{head}"))
    wide = wide.with_columns(_portal_date_compared().alias("p_date"))
    days = (pl.col("p_date") - pl.col("b_date")).dt.total_days()
    exprs += [
        days.alias("d_date"),
        _differs(pl.col("b_date"), pl.col("p_date"), both_needed=False).alias("x_date"),
        _differs(pl.col("b_pos"), pl.col("p_pos")).alias("x_pos"),
        _differs(pl.col("b_rc"), pl.col("p_rc")).alias("x_rc"),
        (pl.col("b_gstin") != pl.col("p_gstin")).alias("x_gstin"),
    ]
    return wide.with_columns(exprs)


def _portal_date_compared() -> pl.Expr:
    """The portal date a books date is held against.

    A pair made through an amendment's original number compares with the original's date: books hold the
    document as first issued (docs/reference/matching-practice.md §10); the amendment's own date is not a difference.
    """
    via_original = pl.col("stage").is_in([block.EXACT_VIA_ORIGINAL, block.NORMALISED_VIA_ORIGINAL])
    return (
        pl.when(via_original & pl.col("p_orig_date").is_not_null())
        .then(pl.col("p_orig_date"))
        .otherwise(pl.col("p_date"))
    )


DIFFERENCE_FIELDS = ("gstin", "taxable", "igst", "cgst", "sgst", "cess", "date", "pos", "rc")


def any_difference() -> pl.Expr:
    return pl.any_horizontal([pl.col(f"x_{f}") for f in DIFFERENCE_FIELDS])


def _differs(books: pl.Expr, portal: pl.Expr, *, both_needed: bool = True) -> pl.Expr:
    """Differs when both are given and unequal; with ``both_needed=False`` one missing side differs too."""
    both = books.is_not_null() & portal.is_not_null()
    unequal = both & (books != portal)
    if both_needed:
        return unequal.fill_null(False)
    return (unequal | (books.is_null() != portal.is_null())).fill_null(False)
