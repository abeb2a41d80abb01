"""A client's months as one story: per month, what was booked, what the portal shows, what is still open.

The Reconcile page's timeline panel and the working paper's Timeline sheet both read ``timeline_frame``.
A document belongs to the month it was booked in (``recon.pool.booking_periods``); "open" is what no
earlier GSTR-2B settled, and its s.16(4) deadline is the last day its ITC can still be claimed
(docs/reference/ims-rules.md §7). Credit notes count with a minus sign, as on every other surface.

Frames in, a frame out: no files, no database, no UI.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl

from recon import figures
from recon.pool import SETTLED, booking_periods, month_words, quarter_end, quarter_words, s16_deadline

TIMELINE_SCHEMA: dict[str, pl.DataType] = {
    "period": pl.String,  # MMYYYY (a quarterly client's: the quarter's last month)
    "month": pl.String,  # 'Sep 2025' (a quarterly client's: 'Jul–Sep 2025')
    "booked": pl.Int64,  # books documents booked in the month
    "booked_itc": pl.Float64,
    "in_ims": pl.Int64,  # records of the current inbox from the supplier's return of the month
    "in_2b": pl.Int64,  # documents of the month's GSTR-2B
    "settled": pl.Int64,  # documents booked in the month that an earlier 2B settled
    "open": pl.Int64,  # documents booked in the month still open (carried forward)
    "open_itc": pl.Float64,
    "oldest_open_days": pl.Int64,  # age of the oldest open document at the end of the current period
    "s16_deadline": pl.Date,  # the earliest s.16(4) deadline among the open invoices and debit notes
}

# What a consultant reads as column headers (panel and working paper alike).
TIMELINE_HEADERS = {
    "month": "Month",
    "booked": "Booked",
    "booked_itc": "ITC booked",
    "in_ims": "In IMS",
    "in_2b": "In GSTR-2B",
    "settled": "Settled",
    "open": "Carried forward",
    "open_itc": "ITC carried forward",
    "oldest_open_days": "Oldest open (days)",
    "s16_deadline": "s.16(4) deadline",
}

_BARRED_KINDS = ("invoice", "debit_note")


def period_end(period: str) -> date:
    """The last day of a return period MMYYYY."""
    month, year = int(period[:2]), int(period[2:])
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def timeline_frame(
    results: pl.DataFrame,
    books: pl.DataFrame,
    ims: pl.DataFrame,
    statements: Sequence[tuple[str, pl.DataFrame]],
    *,
    current_period: str,
    books_periods: pl.DataFrame | None = None,
    quarterly: bool = False,
) -> pl.DataFrame:
    """One row per month (oldest first) that has books, inbox records or a statement (TIMELINE_SCHEMA).

    ``results``: the period's rows (recon.pool's when earlier statements exist; ``settled`` rows mark the
    books documents an earlier 2B settled). ``statements``: (period, GSTR-2B documents), the current
    period's 2B included when there is one. ``books_periods`` (doc_id, books_period): each document's
    booking month (recon.pool.booking_periods; by default its voucher date's month, else the current
    period). ``quarterly``: one row per quarter instead (a QRMP client files and gets its 2B by quarter),
    named by the quarter's last month; ages are counted to the quarter's end.
    """
    if books_periods is None:
        books_periods = booking_periods(books, current_period)
    periods = books_periods.rename({"books_period": "period"})
    docs = books.select("doc_id", "doc_kind", "doc_date", figures.document_itc().alias("itc")).join(
        periods, on="doc_id", how="left"
    )
    settled_ids = results.filter(pl.col("category") == SETTLED)["books_doc_id"].drop_nulls()
    docs = docs.with_columns(pl.col("doc_id").is_in(settled_ids.implode()).alias("is_settled"))
    parts = [
        _booked(docs),
        _open(docs, period_end(quarter_end(current_period) if quarterly else current_period)),
        _counted(ims.select(pl.col("supplier_period").alias("period")), "in_ims"),
        _counted(_statement_periods(statements), "in_2b"),
    ]
    if quarterly:
        parts = [_by_quarter(part) for part in parts]
    months = pl.concat([p.select("period") for p in parts]).drop_nulls().unique()
    months = months.filter(pl.col("period").str.contains(r"^(0[1-9]|1[0-2])\d{4}$"))
    frame = months.with_columns(
        (pl.col("period").str.slice(2, 4) + pl.col("period").str.slice(0, 2)).alias("_order")
    ).sort("_order")
    for part in parts:
        frame = frame.join(part, on="period", how="left", maintain_order="left")
    frame = frame.with_columns((quarter_words if quarterly else month_words)(pl.col("period")).alias("month"))
    counts = ["booked", "in_ims", "in_2b", "settled", "open"]
    frame = frame.with_columns(
        *[pl.col(c).fill_null(0) for c in counts],
        *[pl.col(c).fill_null(0.0).round(2) for c in ("booked_itc", "open_itc")],
    )
    return frame.select(list(TIMELINE_SCHEMA)).cast(TIMELINE_SCHEMA)


def _booked(docs: pl.DataFrame) -> pl.DataFrame:
    return docs.group_by("period").agg(
        pl.len().alias("booked"),
        pl.col("itc").sum().alias("booked_itc"),
        pl.col("is_settled").sum().cast(pl.Int64).alias("settled"),
    )


def _open(docs: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Per month, the documents no earlier 2B settled: how many, their ITC, the oldest's age, the deadline."""
    still_open = docs.filter(~pl.col("is_settled"))
    barred = pl.col("doc_kind").is_in(_BARRED_KINDS)
    return still_open.group_by("period").agg(
        pl.len().alias("open"),
        pl.col("itc").sum().alias("open_itc"),
        (pl.lit(as_of) - pl.col("doc_date").min()).dt.total_days().alias("oldest_open_days"),
        s16_deadline().filter(barred).min().alias("s16_deadline"),
    )


_SUMMED = ("booked", "booked_itc", "settled", "open", "open_itc", "in_ims", "in_2b")


def _by_quarter(part: pl.DataFrame) -> pl.DataFrame:
    """A per-month part as per quarter: counts and ITC add up, the oldest age and earliest deadline win."""
    valid = pl.col("period").str.contains(r"^(0[1-9]|1[0-2])\d{4}$").fill_null(False)
    month = pl.col("period").str.slice(0, 2).cast(pl.Int32, strict=False)
    last = ((month - 1) // 3 * 3 + 3).cast(pl.String).str.zfill(2) + pl.col("period").str.slice(2, 4)
    quarters = part.filter(valid).with_columns(last.alias("period"))
    rules = {
        "oldest_open_days": pl.col("oldest_open_days").max(),
        "s16_deadline": pl.col("s16_deadline").min(),
    }
    return quarters.group_by("period", maintain_order=True).agg(
        [pl.col(c).sum() if c in _SUMMED else rules[c] for c in part.columns if c != "period"]
    )


def _counted(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    return frame.group_by("period").agg(pl.len().cast(pl.Int64).alias(name))


def _statement_periods(statements: Sequence[tuple[str, pl.DataFrame]]) -> pl.DataFrame:
    counts = [
        pl.DataFrame({"period": [p] * docs.height}, schema={"period": pl.String}) for p, docs in statements
    ]
    return pl.concat(counts) if counts else pl.DataFrame(schema={"period": pl.String})
