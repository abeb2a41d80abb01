"""Facts about a portal document and its pair, as polars expressions over ``p_*`` / ``b_*`` columns.

Shared by the suggestion rules, the guards and the effective actions: each fact has one definition.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from recon.actions import texts

# Total tax differing by more than this share of the larger side is not a rounding or a missed line:
# the supplier has clearly reported a different document, so Reject is suggested.
FAR_APART_SHARE = 0.20
# Warn this many days before the s.16(4) deadline (docs/reference/ims-rules.md §7).
S16_WARNING_DAYS = 60
# First supplier period in which credit notes may be kept Pending, as YYYYMM
# (docs/reference/ims-rules.md §4, FAQ25).
CN_PENDING_FROM = 202510
REMARKS_MAX = 250  # docs/reference/formats.md §2 (unconfirmed limit; the offline tool enforces it)

DATE_FIELDS = ("doc_date", "date")
TAXABLE_FIELDS = ("taxable", "taxable_value")
POS_FIELDS = ("pos", "place_of_supply")
REVERSE_CHARGE_FIELDS = ("reverse_charge", "rc", "rev", "rchrg")
HEADS = ("igst", "cgst", "sgst", "cess")
DECL_COLUMNS = ("decl_igst", "decl_cgst", "decl_sgst", "decl_cess")


PORTAL_FACTS = (
    "section",
    "doc_kind",
    "supplier_gstin",
    "doc_no",
    "fy",
    "supplier_period",
    "supplier_filed",
    "ims_action",
    "pending_blocked",
    "remarks_blocked",
    "itc_red_blocked",
    "content_hash",
    *HEADS,
)


BOOKS_FACTS = ("fy", "doc_kind", *HEADS)


# The portal facts the suggestion rules read (the rest are for the guards and effective actions).
SUGGEST_PORTAL_FACTS = (
    "section",
    "doc_kind",
    "fy",
    "supplier_period",
    "supplier_filed",
    "ims_action",
    "pending_blocked",
    *HEADS,
)


def prefixed(docs: pl.DataFrame, prefix: str, columns: Iterable[str], id_name: str) -> pl.DataFrame:
    """The named columns of a canonical frame, renamed with a prefix, keyed by ``id_name``."""
    return docs.select(
        pl.col("doc_id").alias(id_name), *[pl.col(c).alias(f"{prefix}{c}") for c in columns]
    ).unique(id_name, keep="first", maintain_order=True)


def gathered(docs: pl.DataFrame, prefix: str, columns: Iterable[str], rows: pl.Series) -> pl.DataFrame:
    """The named columns at ``rows`` (null where the position is null), renamed with a prefix."""
    return docs.select(pl.col(c).gather(rows).alias(f"{prefix}{c}") for c in columns)


def is_credit_note() -> pl.Expr:
    return pl.col("p_doc_kind") == "credit_note"


def is_import() -> pl.Expr:
    # Import of goods entered IMS from the October-2025 period as sections impg, impga, impgsez ...
    return (pl.col("p_doc_kind") == "bill_of_entry") | pl.col("p_section").str.starts_with("impg").fill_null(
        False
    )


def _period_yyyymm(col: str = "p_supplier_period") -> pl.Expr:
    """MMYYYY as a sortable YYYYMM integer; null when the period is not six digits (e.g. 'MM' only)."""
    text = pl.col(col).cast(pl.String).str.strip_chars()
    ok = text.str.contains(r"^[0-9]{6}$").fill_null(False)
    return pl.when(ok).then(text.str.slice(2, 4).cast(pl.Int64) * 100 + text.str.slice(0, 2).cast(pl.Int64))


def _cn_pending_deadline(quarterly: bool = False) -> pl.Expr:
    """Last day a credit note may stay Pending: the 3B due date of the period after its 2B period.

    FAQ25 (docs/reference/ims-rules.md §4): a note in the October-2025 GSTR-1 filed 10-11-2025 may stay
    pending until 20-12-2025. The record's supplier period stands in for its 2B period (a return filed
    after the cut-off lands in a later 2B, which only lengthens the real window). A quarterly (QRMP)
    recipient's tax period is the quarter (§8): a note of October 2025 is in the October–December 2B and
    may stay pending through January–March, until that quarter's 3B due date, the 22nd of April (the
    earlier of the two state-wise dates, §8).
    """
    period = _period_yyyymm()
    if quarterly:
        quarter_end = (period % 100 - 1) // 3 * 3 + 3
        return pl.date(period // 100, quarter_end, 22).dt.offset_by("4mo")
    return pl.date(period // 100, period % 100, 20).dt.offset_by("2mo")


def _cn_pending_too_early() -> pl.Expr:
    """Credit note from before the October-2025 period (or of unknown period): Pending not available."""
    period = _period_yyyymm()
    return is_credit_note() & (period.is_null() | (period < CN_PENDING_FROM))


def _cn_pending_expired(today: date, quarterly: bool = False) -> pl.Expr:
    return is_credit_note() & (pl.lit(today) > _cn_pending_deadline(quarterly)).fill_null(False)


def pending_block_reason(today: date, quarterly: bool = False) -> pl.Expr:
    """Why the portal would refuse Pending for this document, or null when Pending is allowed.

    ``quarterly``: the recipient files quarterly (QRMP), so a credit note's one tax period is a quarter.
    """
    period_words = "quarter" if quarterly else "tax period"
    return (
        pl.when(pl.col("p_pending_blocked").fill_null(False))
        .then(pl.lit(texts.PENDING_BLOCKED))
        .when(_cn_pending_too_early())
        .then(
            pl.lit("credit notes can be kept Pending only from the October-2025 period (this one is from ")
            + _period_label()
            + pl.lit(")")
        )
        .when(_cn_pending_expired(today, quarterly))
        .then(
            pl.lit(f"this credit note's one {period_words} for Pending ended on ")
            + _cn_pending_deadline(quarterly).dt.strftime("%d-%m-%Y")
        )
    )


def _period_label() -> pl.Expr:
    text = pl.col("p_supplier_period").cast(pl.String)
    return (
        pl.when(_period_yyyymm().is_not_null())
        .then(text.str.slice(0, 2) + pl.lit("-") + text.str.slice(2, 4))
        .otherwise(pl.lit("an unknown period"))
    )


_SEPARATOR = "\x1f"  # never in a message


def listed(*messages: pl.Expr) -> pl.Expr:
    """The non-null messages of each row as a list (empty when none).

    Joined and split rather than concat_list + drop_nulls: one string kernel instead of building and
    filtering a list per row.
    """
    joined = pl.concat_str(list(messages), separator=_SEPARATOR, ignore_nulls=True)
    return (
        pl.when(joined.is_null() | (joined == ""))
        .then(pl.lit([], pl.List(pl.String)))
        .otherwise(joined.str.split(_SEPARATOR))
    )


def money(expr: pl.Expr) -> pl.Expr:
    return expr.fill_null(0.0)


def total_tax(prefix: str) -> pl.Expr:
    return pl.sum_horizontal([money(pl.col(f"{prefix}{h}")) for h in HEADS])


def supplier_filed() -> pl.Expr:
    # IMS always says; 2B records are filed by definition, so unknown counts as filed.
    return pl.col("p_supplier_filed").fill_null(True)


def current_action() -> pl.Expr:
    return pl.col("p_ims_action").fill_null("N")


def fact(name: str) -> pl.Expr:
    """The portal document's fact, else the books document's: how the rules read the books' fy and kind."""
    return pl.coalesce(pl.col(f"p_{name}"), pl.col(f"b_{name}"))


def needs_pair_confirmation() -> pl.Expr:
    """A pair the engine only suggests (fuzzy, PAN, 31-March/1-April): nothing until the user confirms."""
    suggested_pair = pl.col("basis").is_in(["fuzzy", "pan"]).fill_null(False) | (
        pl.col("needs_review").fill_null(False) & (pl.col("basis") != "manual").fill_null(True)
    )
    return suggested_pair & pl.col("category").is_in(["matched", "mismatched"])
