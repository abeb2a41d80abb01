"""Explanation: the differences as data and as sentences a consultant can read aloud to a client.

Everything here is a polars expression over whole columns — a million pairs are explained without a Python
loop. Rupees are written the Indian way (₹1,23,456.00); differences are portal minus books.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from recon import present
from recon.match import block, compare
from recon.match.block import AMOUNTS
from recon.match.result import DIFFERENCE
from recon.match.settings import Settings

LABELS = {
    "gstin": "Supplier GSTIN",
    "taxable": "Taxable value",
    "igst": "IGST",
    "cgst": "CGST",
    "sgst": "SGST",
    "cess": "Cess",
    "date": "Date",
    "pos": "Place of supply",
    "rc": "Reverse charge",
}
FIELD_NAMES = {  # the canonical column each difference is about
    "gstin": "supplier_gstin",
    "taxable": "taxable_value",
    "igst": "igst",
    "cgst": "cgst",
    "sgst": "sgst",
    "cess": "cess",
    "date": "doc_date",
    "pos": "pos",
    "rc": "reverse_charge",
}


def _plain_amount(paise: pl.Expr) -> pl.Expr:
    """'1800.00': the machine-readable form stored inside ``differences``."""
    return pl.concat_str(
        (paise // 100).cast(pl.String), pl.lit("."), (paise % 100).cast(pl.String).str.zfill(2)
    )


def _date_text(col: pl.Expr) -> pl.Expr:
    return col.dt.strftime("%d-%m-%Y").fill_null("—")


def _yes_no(col: pl.Expr) -> pl.Expr:
    return pl.when(col).then(pl.lit("Yes")).when(col.not_()).then(pl.lit("No")).otherwise(pl.lit("—"))


# ---------------------------------------------------------------------------------------------------
# Differences of a pair
# ---------------------------------------------------------------------------------------------------


def _values(field: str, side: str) -> pl.Expr:
    """A non-amount field's value as text for ``differences`` (amounts: :func:`_amount_differences`)."""
    col = pl.col(f"{side}_{field}")
    if field == "date":
        return col.dt.strftime("%Y-%m-%d")
    if field == "rc":
        return _yes_no(col)
    return col.cast(pl.String)


def _difference_value(field: str) -> pl.Expr:
    if field == "date":
        return pl.col("d_date").cast(pl.Float64)
    return pl.lit(None, pl.Float64)


def _columns_of(field: str) -> list[str]:
    """The compared frame's columns that describe one field's difference."""
    delta = [f"d_{field}"] if field in AMOUNTS or field == "date" else []
    return [f"b_{field}", f"p_{field}", *delta, f"x_{field}"]


def difference_inputs(fields: tuple[str, ...]) -> list[str]:
    """What :func:`differences_frame` reads of a compared frame for ``fields``."""
    return ["_row", *[c for field in fields for c in _columns_of(field)]]


def differences_columns(
    wide: pl.DataFrame, fields: tuple[str, ...], height: int
) -> tuple[pl.Series, pl.Series]:
    """``differences`` (list of {field, books, portal, difference}, portal minus books; empty when none)
    and ``differences_text`` (one sentence per differing field; null when none), one row per ``_row``
    from 0 to ``height`` - 1; ``wide`` holds the compared rows where something differs.

    Built long (one row per differing field) because each sentence is then made only for the pairs where
    that field differs, not for every pair and field.
    """
    long = _difference_items(wide, fields)
    return _items_by_row(long, height), _text_by_row(long, height)


def _difference_items(wide: pl.DataFrame, fields: tuple[str, ...]) -> pl.DataFrame:
    """One row per differing field: ``_row``, ``item`` and ``sentence``, by row then field order."""
    parts, amounts = [], []
    for order, field in enumerate(fields):
        # Only the columns this field's item and sentence read are copied by the filter.
        differing = wide.select("_row", *_columns_of(field)).filter(pl.col(f"x_{field}"))
        if field in AMOUNTS:
            amounts.append(_stacked_amounts(differing, field, order))
            continue
        item = pl.struct(
            pl.lit(FIELD_NAMES[field]).alias("field"),
            _values(field, "b").alias("books"),
            _values(field, "p").alias("portal"),
            _difference_value(field).alias("difference"),
        )
        parts.append(
            differing.select(
                "_row",
                pl.lit(order, pl.Int8).alias("_order"),
                item.alias("item"),
                _sentence(field).alias("sentence"),
            )
        )
    if amounts:
        parts.append(_amount_differences(pl.concat(amounts)))
    return pl.concat(parts).sort(["_row", "_order"]).with_columns(pl.col("item").cast(DIFFERENCE))


def _items_by_row(long: pl.DataFrame, height: int) -> pl.Series:
    """The items as a list per row, empty for the rows without one.

    Assembled by Arrow from the items and each row's offset: polars has no constructor for a list
    column from offsets, and filling the empty lists of a million agreeing pairs costs several times more.
    """
    runs = long.select(pl.col("_row").rle()).unnest("_row")  # long is sorted by _row
    per_row = pl.zeros(height, pl.Int64, eager=True).scatter(runs["value"], runs["len"])
    offsets = pl.concat([pl.Series([0], dtype=pl.Int64), per_row.cum_sum()])
    lists = pa.LargeListArray.from_arrays(offsets.to_arrow(), long["item"].to_arrow())
    return pl.Series("differences", lists).cast(pl.List(DIFFERENCE))


def _text_by_row(long: pl.DataFrame, height: int) -> pl.Series:
    """The sentences of each row joined, null for the rows without one."""
    # Most pairs differ in one field: their sentence is their text, and only the rest are grouped
    # (grouping costs per group, and there are as many groups as differing pairs).
    row = pl.col("_row")
    alone = long.select((row != row.shift(1)).fill_null(True) & (row != row.shift(-1)).fill_null(True))
    alone = alone.to_series()
    texts = pl.concat(
        [
            long.filter(alone).select("_row", "sentence"),
            long.filter(~alone).group_by("_row", maintain_order=True).agg(pl.col("sentence").str.join(" ")),
        ]
    )
    empty = pl.repeat(None, height, dtype=pl.String, eager=True).alias("differences_text")
    return empty.scatter(texts["_row"], texts["sentence"]) if texts.height else empty


def _stacked_amounts(differing: pl.DataFrame, field: str, order: int) -> pl.DataFrame:
    """One amount head's differing rows, with columns named alike so that the heads stack."""
    return differing.select(
        "_row",
        pl.lit(order, pl.Int8).alias("_order"),
        pl.lit(FIELD_NAMES[field]).alias("field"),
        pl.lit(LABELS[field]).alias("label"),
        *[pl.col(f"{prefix}_{field}").alias(f"{prefix}_amount") for prefix in ("b", "p", "d")],
    )


def _amount_differences(amounts: pl.DataFrame) -> pl.DataFrame:
    """The items and sentences of every differing amount head at once (from :func:`_stacked_amounts`).

    The heads are worded alike, so one pass over all of them costs far less than one per head.
    """
    books, portal, delta = pl.col("b_amount"), pl.col("p_amount"), pl.col("d_amount")
    item = pl.struct(
        "field",
        _plain_amount(books).alias("books"),
        _plain_amount(portal).alias("portal"),
        (delta / 100).alias("difference"),
    )
    sentence = pl.concat_str(
        pl.col("label"),
        pl.lit(" differs: books "),
        present.rupees_expr(books),
        pl.lit(", portal "),
        present.rupees_expr(portal),
        pl.lit(" ("),
        present.rupees_expr(delta, signed=True),
        pl.lit(")."),
    )
    return amounts.select("_row", "_order", item.alias("item"), sentence.alias("sentence"))


def _sentence(field: str) -> pl.Expr:
    """The sentence of one differing field other than an amount head (see :func:`_amount_differences`)."""
    label = LABELS[field]
    if field == "date":
        days = pl.col("d_date")
        gap = (
            pl.when(days.is_null())
            .then(pl.lit(""))
            .otherwise(
                pl.concat_str(
                    pl.lit(" ("),
                    pl.when(days > 0).then(pl.lit("+")).otherwise(pl.lit("")),
                    days.cast(pl.String),
                    pl.when(days.abs() == 1).then(pl.lit(" day)")).otherwise(pl.lit(" days)")),
                )
            )
        )
        return pl.concat_str(
            pl.lit("Date differs: books "),
            _date_text(pl.col("b_date")),
            pl.lit(", portal "),
            _date_text(pl.col("p_date")),
            gap,
            pl.lit("."),
        )
    if field == "rc":
        books, portal = _yes_no(pl.col("b_rc")), _yes_no(pl.col("p_rc"))
    else:
        books, portal = pl.col(f"b_{field}").cast(pl.String), pl.col(f"p_{field}").cast(pl.String)
    return pl.concat_str(pl.lit(f"{label} differs: books "), books, pl.lit(", portal "), portal, pl.lit("."))


# ---------------------------------------------------------------------------------------------------
# Why a pair was made
# ---------------------------------------------------------------------------------------------------


def _tolerance_words(settings: Settings) -> str:
    limits = {block.tolerance_paise(settings, h) for h in AMOUNTS}
    if len(limits) == 1:
        return f"within {present.format_rupees(limits.pop() / 100)}"
    return "within the set tolerances"


def basis_sentence(stage: int) -> pl.Expr:
    """How a pair of ``stage`` was found, in words ('Paired on the normalised number INV45 (books ..., portal ...).').

    One expression per stage (the caller splits the pairs by stage) because polars evaluates every
    branch of a when/then chain on every row: a million exact pairs should not build seven sentences each.
    """
    both = pl.concat_str(
        pl.lit(" (books "), pl.col("b_doc_no"), pl.lit(", portal "), pl.col("p_doc_no"), pl.lit(")")
    )
    if stage == 0:
        return pl.lit("Paired by you (manual link).")
    if stage == block.EXACT:
        return (
            # The number stands beside the sentence in every view; repeating it says nothing more.
            pl.when(pl.col("b_doc_no") == pl.col("p_doc_no"))
            .then(pl.lit("Paired on the exact number."))
            .otherwise(
                pl.concat_str(pl.lit("Paired on the number "), pl.col("p_no_upper"), both, pl.lit("."))
            )
        )
    if stage in (block.EXACT_VIA_ORIGINAL, block.NORMALISED_VIA_ORIGINAL):
        return pl.concat_str(
            pl.lit("Paired through the original number "),
            pl.col("p_orig_no_upper"),
            pl.lit(" of the portal's amendment "),
            pl.col("p_doc_no"),
            pl.lit(" (books "),
            pl.col("b_doc_no"),
            pl.lit(")."),
        )
    if stage == block.NORMALISED:
        return pl.concat_str(pl.lit("Paired on the normalised number "), pl.col("b_key"), both, pl.lit("."))
    if stage == block.BOUNDARY:
        return pl.concat_str(
            pl.lit("Suggested pair on the same number across the year end"), both, pl.lit(".")
        )
    if stage == block.FUZZY:
        # The numbers themselves are in the review reason that follows.
        return pl.concat_str(
            pl.lit("Suggested pair on a similar number, score "),
            pl.col("score").round(0).cast(pl.Int64).cast(pl.String),
            pl.lit("."),
        )
    # The GSTINs are in the differences that follow.
    return pl.concat_str(
        pl.lit("Suggested pair at PAN level on the number "), pl.col("b_key"), both, pl.lit(".")
    )


def pair_explanation(stage: int, settings: Settings) -> pl.Expr:
    """Basis sentence, then the differences (or that everything agrees), then what to confirm."""
    agree = f"All amounts agree {_tolerance_words(settings)} and the dates are the same."
    review = pl.when(pl.col("review")).then(
        pl.concat_str(pl.lit("Confirm before acting: "), pl.col("review_reason"), pl.lit("."))
    )
    not_ims = pl.when(pl.col("not_in_ims").is_not_null()).then(
        pl.concat_str(pl.lit("Note: "), pl.col("not_in_ims"), pl.lit("."))
    )
    return pl.concat_str(
        [basis_sentence(stage), pl.coalesce(pl.col("differences_text"), pl.lit(agree)), review, not_ims],
        separator=" ",
        ignore_nulls=True,
    ).alias("explanation")


# What the pair sentences read (basis_sentence and pair_explanation).
_EXPLANATION_INPUTS = (
    "b_doc_no",
    "p_doc_no",
    "p_no_upper",
    "p_orig_no_upper",
    "b_key",
    "score",
    "review",
    "review_reason",
    "not_in_ims",
    "differences_text",
)


def _plain_exact() -> pl.Expr:
    """The same number on both sides and nothing that differs, to confirm or to note."""
    return (
        (pl.col("stage") == block.EXACT)
        & (pl.col("b_doc_no") == pl.col("p_doc_no")).fill_null(False)
        & pl.col("differences_text").is_null()
        & ~pl.col("review").fill_null(False)
        & pl.col("not_in_ims").is_null()
    ).alias("_plain")


def plain_exact_sentence(settings: Settings) -> str:
    return f"Paired on the exact number. All amounts agree {_tolerance_words(settings)} and the dates are the same."


def with_pair_explanation(
    wide: pl.DataFrame, settings: Settings, books: pl.DataFrame, portal: pl.DataFrame
) -> pl.DataFrame:
    """Add ``explanation`` to compared pairs, stage by stage, rows in their order.

    ``books`` / ``portal``: the work frames ``b`` and ``p`` point into, for the columns only sentences
    read (``compare.SENTENCE_*_COLUMNS``), fetched for the pairs that are not plain exact ones.
    """
    if wide.is_empty():
        return wide.with_columns(pl.lit(None, pl.String).alias("explanation"))
    plain = wide.select(_plain_exact()).to_series()
    # Only the pairs with something to say are split by stage, and only the columns their sentences read.
    own = [c for c in _EXPLANATION_INPUTS if c in wide.columns]
    rest = wide.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_at"), "stage", "b", "p", *own)
    rest = compare.widen(
        rest.filter(~plain), books, portal, compare.SENTENCE_BOOKS_COLUMNS, compare.SENTENCE_PORTAL_COLUMNS
    )
    parts = rest.partition_by("stage", as_dict=True, maintain_order=True)
    said = [part.select("_at", pair_explanation(stage, settings)) for (stage,), part in parts.items()]
    # The plain pairs share one sentence: repeated, it is stored once and each row points at it.
    explanation = pl.repeat(plain_exact_sentence(settings), wide.height, eager=True)
    for sentences in said:
        explanation = explanation.scatter(sentences["_at"], sentences["explanation"])
    return wide.with_columns(explanation.alias("explanation"))


# ---------------------------------------------------------------------------------------------------
# Leftovers: why nothing was paired, and the nearest candidate
# ---------------------------------------------------------------------------------------------------


def rows_text(origin_rows: pl.Expr) -> pl.Expr:
    """' (row 12)' / ' (rows 12;13)' / '' from a list of spreadsheet rows."""
    joined = origin_rows.list.eval(pl.element().cast(pl.String)).list.join(";")
    count = origin_rows.list.len().fill_null(0)
    return (
        pl.when(count == 1)
        .then(pl.concat_str(pl.lit(" (row "), joined, pl.lit(")")))
        .when(count > 1)
        .then(pl.concat_str(pl.lit(" (rows "), joined, pl.lit(")")))
        .otherwise(pl.lit(""))
    )


_TAXABLE_GAP_QUOTED = pl.col("x_taxable")
_TAX_GAP_QUOTED = ~pl.col("x_taxable") & pl.any_horizontal([pl.col(f"x_{h}") for h in AMOUNTS[1:]])


def with_gap_texts(wide: pl.DataFrame) -> pl.DataFrame:
    """Add ``_taxable_gap`` and ``_tax_gap``: the gaps in rupees, on the rows whose nearest-candidate
    sentence quotes them (rupee text is costly, and the tax gap is seldom quoted)."""
    quoted = pl.col("n_idx").is_not_null()
    tax_delta = pl.sum_horizontal([pl.col(f"d_{h}") for h in AMOUNTS[1:]]).abs()
    return wide.with_columns(
        only_where(wide, quoted & _TAXABLE_GAP_QUOTED, present.rupees_expr(pl.col("d_taxable").abs())).alias(
            "_taxable_gap"
        ),
        only_where(wide, quoted & _TAX_GAP_QUOTED, present.rupees_expr(tax_delta)).alias("_tax_gap"),
    )


def only_where(frame: pl.DataFrame, where: pl.Expr, value: pl.Expr) -> pl.Series:
    """``value`` worked out only on the rows ``where`` holds, null on the others (for costly values)."""
    rows = frame.select(where.fill_null(False)).to_series()
    # Only the columns the value reads are filtered (a wide frame has dozens more), and the value is
    # worked out lazily: an eager select evaluates a sub-expression once per use (digit runs twice over).
    subset = frame.select(*dict.fromkeys(value.meta.root_names())).filter(rows)
    values = subset.lazy().select(value).collect().to_series()
    return pl.repeat(None, frame.height, dtype=values.dtype, eager=True).scatter(rows.arg_true(), values)


def nearest_reason_expr(own: str, settings: Settings) -> pl.Expr:
    """Why the nearest candidate was not taken, on a frame compared as a pair (``b_*``/``p_*``, ``x_*``).

    ``own`` is the leftover's side ("b" or "p"); the candidate is the other side. ``same_runs``: the two
    numbers have the same digit runs (see ``runs_expr``); the gaps in rupees come from :func:`with_gap_texts`.
    """
    other = "p" if own == "b" else "b"
    other_word = "portal" if other == "p" else "books"
    number = (
        pl.when(pl.col("b_key") == pl.col("p_key"))
        .then(pl.lit("same number"))
        .when(pl.col("same_runs"))
        .then(
            pl.concat_str(
                pl.lit("number "),
                pl.col("b_doc_no"),
                pl.lit(" vs "),
                pl.col("p_doc_no"),
                pl.lit(": letters differ"),
            )
        )
        .otherwise(
            pl.concat_str(
                pl.lit("number "),
                pl.col("b_doc_no"),
                pl.lit(" vs "),
                pl.col("p_doc_no"),
                pl.lit(": digits differ"),
            )
        )
    )
    parts = [
        pl.concat_str(pl.lit("same supplier, "), number),
        pl.when(pl.col("n_paired")).then(pl.lit(f"that {other_word} document is already paired")),
        pl.when(pl.col("n_unlinked")).then(pl.lit("you unlinked this pair")),
        pl.when(pl.col("b_fy") != pl.col("p_fy")).then(
            pl.concat_str(
                pl.lit("different financial year ("),
                pl.col("b_fy"),
                pl.lit(" vs "),
                pl.col("p_fy"),
                pl.lit(")"),
            )
        ),
        pl.when(_TAXABLE_GAP_QUOTED).then(pl.concat_str(pl.lit("taxable value differs by "), "_taxable_gap")),
        pl.when(_TAX_GAP_QUOTED).then(pl.concat_str(pl.lit("tax differs by "), "_tax_gap")),
        pl.when(~pl.any_horizontal([pl.col(f"x_{h}") for h in AMOUNTS])).then(pl.lit("amounts agree")),
        pl.when(pl.col("d_date").abs() > settings.date_window_days).then(
            pl.concat_str(pl.lit("dates "), pl.col("d_date").abs().cast(pl.String), pl.lit(" days apart"))
        ),
    ]
    return pl.concat_str(parts, separator="; ", ignore_nulls=True)


def nearest_sentence(own: str) -> pl.Expr:
    """'Nearest in IMS: INV-40 dated 01-11-2025 — same supplier, ...' or the lack of any candidate."""
    other = "p" if own == "b" else "b"
    where = "in IMS" if other == "p" else "in books"
    found = pl.concat_str(
        pl.lit(f"Nearest {where}: "),
        pl.col(f"{other}_doc_no"),
        rows_text(pl.col("b_origin_rows")) if other == "b" else pl.lit(""),
        pl.lit(" dated "),
        _date_text(pl.col(f"{other}_date")),
        pl.lit(" — "),
        pl.col("nearest_reason"),
        pl.lit("."),
    )
    return (
        pl.when(pl.col("n_idx").is_not_null())
        .then(found)
        .otherwise(pl.concat_str(pl.col("nearest_reason"), pl.lit(".")))
    )


def leftover_explanation(own: str) -> pl.Expr:
    """The whole explanation of a leftover: where it is, duplicate, nearest, not-in-IMS note."""
    if own == "b":
        missing = pl.concat_str(
            pl.lit("Only in books"),
            rows_text(pl.col("b_origin_rows")),
            pl.lit(": no IMS document "),
            pl.col("b_doc_no"),
            pl.lit(" of supplier "),
            pl.col("b_gstin"),
            pl.lit("."),
        )
        duplicate = pl.concat_str(
            pl.lit("Only in books"),
            rows_text(pl.col("b_origin_rows")),
            pl.lit(": duplicate of row "),
            pl.col("dup_rows"),
            pl.lit(" — number "),
            pl.col("b_doc_no"),
            pl.lit(" of the same supplier is booked again."),
        )
        head = pl.when(pl.col("dup_rows").is_not_null()).then(duplicate).otherwise(missing)
    else:
        head = pl.concat_str(
            pl.lit("Only in IMS: no book entry for "),
            pl.col("p_doc_no"),
            pl.lit(" of supplier "),
            pl.col("p_gstin"),
            pl.lit("."),
        )
    not_ims = pl.when(pl.col("not_in_ims").is_not_null()).then(
        pl.concat_str(pl.lit("Not missing: "), pl.col("not_in_ims"), pl.lit("."))
    )
    return pl.concat_str([head, nearest_sentence(own), not_ims], separator=" ", ignore_nulls=True)
