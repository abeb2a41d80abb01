"""The review table: the joined rows with the columns the grid and the dashboard read, and each row's action.

Frames in, frames out. ``recon.workspace`` gathers the inputs (the joined view, the effective actions, what
the portal would refuse or refused, earlier decisions) and caches the table by what it was computed from.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import polars as pl

from recon import figures, model
from recon.actions import needs_pair_confirmation
from recon.pool import is_earlier, month_words

# Which fields of a pair's ``differences`` each grid flag stands for.
DIFF_FIELDS = {
    "diff_tax": ["igst", "cgst", "sgst", "cess", "tax", "total_tax"],
    "diff_taxable": ["taxable_value"],
    "diff_doc_no": ["doc_no", "doc_no_key"],
    "diff_doc_date": ["doc_date"],
    "diff_gstin": ["supplier_gstin"],
}

# The effective-action columns (recon.actions.effective_actions) a review row carries.
ACTION_COLUMNS = (
    "ims_action",
    "suggested_action",
    "decision_action",
    "wanted_action",
    "action_source",
    "remarks",
    "itc_red_req",
    "decl_igst",
    "decl_cgst",
    "decl_sgst",
    "decl_cess",
    "stale",
    "stale_reason",
    "changed",
    "guard_problems",
)


def review_table(
    joined: pl.DataFrame,
    wanted: pl.DataFrame,
    unsendable: pl.DataFrame,
    refused: dict[str, str],
    memory: pl.DataFrame,
) -> pl.DataFrame:
    """The grid table: joined rows plus the effective action (decision else suggestion), why the portal
    would refuse a row, what it refused in the last upload, and when an earlier period decided it."""
    frame = attach_actions(joined, wanted)
    frame = attach_would_refuse(frame, unsendable)
    frame = attach_portal_refusals(frame, refused)
    return attach_memory(frame, memory)


def with_review_columns(joined: pl.DataFrame) -> pl.DataFrame:
    """Columns the review grid and the dashboard read, derived once from the joined view."""
    # supplier_name comes from recon.match.view.supplier_names (paper.joined_view): named on every row.
    name = pl.col("supplier_name") if "supplier_name" in joined.columns else _side(joined, "supplier_name")
    frame = joined.with_columns(
        _side(joined, "supplier_gstin").alias("supplier_gstin"),
        name.alias("supplier_name"),
        _side(joined, "doc_kind").alias("doc_kind"),
        _side(joined, "doc_date").alias("doc_date"),
        _side(joined, "taxable_value").alias("taxable_value"),
        _side(joined, "fy").alias("fy"),
        _tax(joined, "books").alias("books_tax"),
        _tax(joined, "portal").alias("portal_tax"),
    )
    filed = pl.col("portal_supplier_filed") if "portal_supplier_filed" in frame.columns else pl.lit(None)
    frame = frame.with_columns(
        (pl.col("portal_tax") - pl.col("books_tax")).round(2).alias("tax_difference"),
        figures.row_itc().alias("itc"),
        pl.when(filed.is_null())
        .then(pl.lit(""))
        .when(filed)
        .then(pl.lit("Filed"))
        .otherwise(pl.lit("Not filed"))
        .alias("filing"),
        *[_differs(name).alias(name) for name in DIFF_FIELDS],
        _flag(frame, "portal_pending_blocked").alias("pending_blocked"),
        (_side(frame, "doc_kind") == "bill_of_entry").fill_null(False).alias("reject_blocked"),
        pl.col("not_in_ims_reason").is_not_null().alias("not_ims_record"),
        needs_pair_confirmation().fill_null(False).alias("pair_to_confirm"),
    )
    return frame


def decision_memory(decided: pl.DataFrame, period: str, today: date | None = None) -> pl.DataFrame:
    """Decisions taken while working a period before ``period``, with their age: (portal_doc_id, memory).

    A record stays in the inbox month after month; its decision, remark and link stay with it (they are
    keyed by the document). ``decided``: the client's stored decisions (portal_doc_id, period, decided_at).
    ``memory`` says when and in which month each was taken, e.g. 'decided 34 days ago, in Sep 2025'. ``today``: the consultant's
    calendar day unless given.
    """
    today = today or datetime.now(ZoneInfo("Asia/Kolkata")).date()
    decided = decided.select("portal_doc_id", "period", "decided_at")
    earlier = [p for p in decided["period"].drop_nulls().unique().to_list() if is_earlier(p, period)]
    decided = decided.filter(pl.col("period").is_in(earlier))
    days = (
        pl.lit(today) - pl.col("decided_at").dt.convert_time_zone("Asia/Kolkata").dt.date()
    ).dt.total_days()
    return decided.select(
        "portal_doc_id",
        pl.concat_str(
            pl.lit("decided "),
            pl.when(days == 0).then(pl.lit("today")).otherwise(days.cast(pl.String) + pl.lit(" days ago")),
            pl.lit(", in "),
            month_words(pl.col("period")),
        ).alias("memory"),
    )


def category_totals(review: pl.DataFrame) -> dict[str, tuple[int, float]]:
    """(count, ITC) per tab (recon.figures.tab_totals); the 'not an IMS record' group is counted apart."""
    return figures.tab_totals(review)


def attach_actions(base: pl.DataFrame, wanted: pl.DataFrame) -> pl.DataFrame:
    """Join the effective action per portal document onto the grid rows; ``action`` is its label."""
    columns = [c for c in ACTION_COLUMNS if c in wanted.columns]
    frame = base.drop([c for c in columns if c in base.columns])
    frame = frame.join(
        wanted.select("portal_doc_id", *columns), on="portal_doc_id", how="left", maintain_order="left"
    )
    return frame.with_columns(
        pl.col("wanted_action").replace_strict(model.ACTION_LABELS, default=None).alias("action"),
    )


def attach_would_refuse(frame: pl.DataFrame, unsendable: pl.DataFrame) -> pl.DataFrame:
    """``portal_would_refuse``: why the portal would refuse this row's record or decided action, else null."""
    record = dict(zip(unsendable["doc_id"].to_list(), unsendable["reason"].to_list(), strict=True))
    by_record = pl.col("portal_doc_id").replace_strict(record, default=None, return_dtype=pl.String)
    decided = (pl.col("action_source") == "user") & pl.col("changed").fill_null(False)
    by_guard = pl.when(decided & (pl.col("guard_problems").list.len() > 0)).then(
        pl.col("guard_problems").list.join("; ")
    )
    if "guard_problems" not in frame.columns:
        by_guard = pl.lit(None, pl.String)
    record_reason = by_record if record else pl.lit(None, pl.String)
    return frame.with_columns(pl.coalesce(record_reason, by_guard).alias("portal_would_refuse"))


def attach_portal_refusals(frame: pl.DataFrame, refused: dict[str, str]) -> pl.DataFrame:
    """``portal_says``: the portal's error for a row it refused in the last upload, else null."""
    says = pl.col("portal_doc_id").replace_strict(refused, default=None, return_dtype=pl.String)
    return frame.with_columns((says if refused else pl.lit(None, dtype=pl.String)).alias("portal_says"))


def attach_memory(frame: pl.DataFrame, memory: pl.DataFrame) -> pl.DataFrame:
    """``memory``: when an earlier period's decision on this row's record was taken, else null."""
    return frame.join(memory, on="portal_doc_id", how="left", maintain_order="left")


def _side(frame: pl.DataFrame, name: str) -> pl.Expr:
    """portal_<name> if present else books_<name> (the portal copy is what the supplier reported)."""
    candidates = [f"portal_{name}", f"books_{name}"]
    present = [pl.col(c) for c in candidates if c in frame.columns]
    return pl.coalesce(present) if present else pl.lit(None)


def _tax(frame: pl.DataFrame, prefix: str) -> pl.Expr:
    cols = [f"{prefix}_{c}" for c in model.TAX_COLUMNS if f"{prefix}_{c}" in frame.columns]
    if not cols:
        return pl.lit(None, dtype=pl.Float64)
    total = pl.sum_horizontal([pl.col(c).fill_null(0.0) for c in cols])
    return pl.when(pl.col(f"{prefix}_doc_id").is_null()).then(None).otherwise(total)


def _differs(field_name: str) -> pl.Expr:
    return (
        pl.col("differences")
        .list.eval(pl.element().struct.field("field").is_in(DIFF_FIELDS[field_name]))
        .list.any()
        .fill_null(False)
    )


def _flag(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name).fill_null(False) if name in frame.columns else pl.lit(False)
