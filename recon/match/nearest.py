"""Leftovers: for each document no strategy paired, the nearest document on the other side.

The review shows it beside an unpaired document so a person sees the likely counterpart (same number in
another FY, an amount within tolerance, the neighbouring number of the supplier's series).
"""

from __future__ import annotations

import polars as pl

from recon.match.block import tolerance_paise
from recon.match.settings import Settings

# What :func:`nearest` reads of each side's documents.
NEAREST_COLUMNS = ("idx", "gstin", "kind", "key", "fy", "date", "taxable", "doc_id")


def nearest(
    leftovers: pl.DataFrame, others: pl.DataFrame, other_leftovers: pl.DataFrame, settings: Settings
) -> pl.DataFrame:
    """For each leftover ``idx``, the closest document ``n_idx`` of the same supplier and kind, or null.

    Closest, in order: the same number key (in another FY, already paired, or refused); a document whose
    taxable value is within tolerance; the nearest number of the supplier's series; the nearest amount.
    The same key is looked up on the whole other side (``others``), paired documents included — "already
    paired" is a reason too; amount and number neighbours only among ``other_leftovers`` (the unpaired
    documents), which keeps the sorted searches small.
    """
    if leftovers.is_empty():
        return pl.DataFrame(schema={"idx": pl.UInt32, "n_idx": pl.UInt32})
    left = leftovers.select(NEAREST_COLUMNS)

    def candidates(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select(
            pl.col("idx").alias("n_idx"),
            "gstin",
            "kind",
            pl.col("key").alias("n_key"),
            pl.col("fy").alias("n_fy"),
            pl.col("date").alias("n_date"),
            pl.col("taxable").alias("n_taxable"),
            pl.col("doc_id").alias("n_doc_id"),
        )

    right = candidates(others)
    unpaired = candidates(other_leftovers)
    same_key = (
        left.filter(pl.col("key") != "")
        .join(right, left_on=["gstin", "kind", "key"], right_on=["gstin", "kind", "n_key"], how="inner")
        .with_columns(
            (pl.col("fy") != pl.col("n_fy")).alias("_other_fy"),
            (pl.col("n_date") - pl.col("date")).dt.total_days().abs().fill_null(9999).alias("_gap"),
        )
        .sort(["idx", "_other_fy", "_gap", "n_doc_id"])
        .unique("idx", keep="first", maintain_order=True)
        .select("idx", pl.col("n_idx").alias("n_key_idx"))
    )
    # Each search only for the leftovers the ones before it left without a choice.
    without_key = left.join(same_key, on="idx", how="anti")
    by_amount = _asof(without_key, unpaired, "taxable", "n_taxable").rename(
        {"n_idx": "n_amount_idx", "_dist": "_amount_dist"}
    )
    amount_close = pl.col("_amount_dist") <= tolerance_paise(settings, "taxable")
    far = without_key.join(by_amount.filter(amount_close), on="idx", how="anti")
    digits = pl.col("key").str.replace_all(r"[^0-9]", "").str.tail(15).cast(pl.Float64, strict=False)
    n_digits = pl.col("n_key").str.replace_all(r"[^0-9]", "").str.tail(15).cast(pl.Float64, strict=False)
    by_number = _asof(
        far.with_columns(digits.alias("_num")).filter(pl.col("_num").is_not_null()),
        unpaired.filter(pl.col("gstin").is_in(far["gstin"].implode()))
        .with_columns(n_digits.alias("_n_num"))
        .filter(pl.col("_n_num").is_not_null()),
        "_num",
        "_n_num",
    ).rename({"n_idx": "n_number_idx", "_dist": "_number_dist"})
    frame = (
        left.select("idx")
        .join(same_key, on="idx", how="left")
        .join(by_amount, on="idx", how="left")
        .join(by_number, on="idx", how="left")
    )
    choice = (
        pl.when(pl.col("n_key_idx").is_not_null())
        .then(pl.col("n_key_idx"))
        .when(amount_close)
        .then(pl.col("n_amount_idx"))
        .when(pl.col("n_number_idx").is_not_null())
        .then(pl.col("n_number_idx"))
        .otherwise(pl.col("n_amount_idx"))
    )
    return frame.select("idx", choice.cast(pl.UInt32).alias("n_idx"))


def _asof(left: pl.DataFrame, right: pl.DataFrame, on: str, n_on: str) -> pl.DataFrame:
    """Nearest ``n_on`` to ``on`` within the same supplier and kind (ties: the smaller doc id)."""
    if left.is_empty() or right.is_empty():
        return pl.DataFrame(schema={"idx": pl.UInt32, "n_idx": pl.UInt32, "_dist": pl.Float64})
    l_sorted = left.with_columns(pl.col(on).cast(pl.Float64)).sort(on)
    r_sorted = (
        right.with_columns(pl.col(n_on).cast(pl.Float64).alias(on))
        .sort([on, "n_doc_id"])
        .unique(["gstin", "kind", on], keep="first", maintain_order=True)
        .sort(on)
    )
    joined = l_sorted.join_asof(
        r_sorted, on=on, by=["gstin", "kind"], strategy="nearest", check_sortedness=False
    )
    return joined.select("idx", "n_idx", (pl.col(n_on).cast(pl.Float64) - pl.col(on)).abs().alias("_dist"))
