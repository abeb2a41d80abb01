"""The matching engine: books × portal documents → matched, mismatched, ims_only, books_only, with reasons.

Stages, in the order a consultant would trust them (each one-to-one, on what the earlier stages left):

0. manual links (win over everything; still compared);
1. exact number, 2. normalised number — also through an amendment's original number; a pair of unrelated
   amounts then gives way to the same number under the supplier's other registration when that one agrees
   in date and amounts, and a double booking's extra copy keeps no pair of unrelated amount (``settle``);
   then the FY boundary (31 March vs 1 April, a suggestion);
3. fuzzy number within one supplier, amounts and dates agreeing (a suggestion);
4. PAN level: another registration of the supplier, or a mistyped books GSTIN (a suggestion);
5. leftovers, each with the nearest document on the other side and why it was not taken; a pair whose
   amounts disagree while a leftover of the same PAN agrees with it is marked for review, not acted on.

Engine choice: polars. Stages 1-2 are one hash join over (GSTIN, kind, key, FY) and the comparisons and
sentences are column expressions, so a million documents per side reconcile in seconds on two cores; the
fuzzy and PAN stages see only the leftovers of one supplier or PAN. Pure: no files, no database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import TypeVar

import polars as pl

from recon import actions, model
from recon.match import assign, block, classify, compare, explain, nearest, settle
from recon.match.result import RESULT_SCHEMA, empty_results
from recon.match.settings import Settings

__all__ = ["Settings", "reconcile"]

T = TypeVar("T")

_POOL_COLUMNS = (*block.BLOCK_COLUMNS, "doc_id", "first_row")

# A number is unique per supplier, class and FY (Rule 46(b)): the same four values twice is a double booking.
_DUPLICATE_KEY = ("gstin", "kind", "key", "fy")
_CATEGORY_ORDER = {c: i for i, c in enumerate(("matched", "mismatched", "ims_only", "books_only"))}
# Work-frame columns read only by ``classify.not_in_ims_expr``.
_NOT_IN_IMS_INPUTS = ("source", "section", "itc_available", "itc_reason")


def reconcile(
    books: pl.DataFrame,
    portal: pl.DataFrame,
    settings: Settings = Settings(),  # noqa: B008 — frozen dataclass, safe as a default
    links: Iterable[tuple[str, str]] = (),
    unlinks: Iterable[tuple[str, str]] = (),
    today: date | None = None,
    *,
    quarterly: bool = False,
) -> pl.DataFrame:
    """Pair books documents with portal documents one-to-one and explain every outcome.

    ``links``/``unlinks``: (books doc_id, portal doc_id) pairs the user made or forbade.
    ``today``: the date the suggested actions are judged on (credit-note Pending window, s.16(4)
    warnings); None means the machine's date. Pin it to make a result independent of the day it runs.
    ``quarterly``: the client files quarterly (QRMP), so a credit note's Pending window is judged by the
    quarter, as the guards and the upload judge it (docs/reference/ims-rules.md §8).
    Returns RESULT_SCHEMA rows ordered by category, supplier GSTIN, document number.
    """
    # The pairs and the leftovers are each ordered and given their suggested actions on their own thread,
    # then laid end to end in category order: no sort or copy of the whole result.
    parts = _result_parts(books, portal, settings, links, unlinks, today, quarterly)
    return pl.concat(parts, how="vertical")


def _in_parallel(*steps: Callable[[], T]) -> list[T]:
    """Run independent steps on threads and return their results in order.

    Polars releases the GIL while it works, and many of its string operations use one core each: two
    independent steps side by side keep both cores of a small machine busy.
    """
    with ThreadPoolExecutor(max_workers=len(steps)) as pool:
        futures = [pool.submit(step) for step in steps]
        return [future.result() for future in futures]


def _result_parts(
    books: pl.DataFrame,
    portal: pl.DataFrame,
    settings: Settings,
    links: Iterable[tuple[str, str]],
    unlinks: Iterable[tuple[str, str]],
    today: date | None,
    quarterly: bool,
) -> list[pl.DataFrame]:
    """The result rows in two finished parts, in result order: the pairs, then ims_only and books_only.

    The two leftover sides are built side by side but finished as one part: a part's ordering and
    suggestions cost a fixed amount too, which a few thousand leftovers would otherwise pay twice.
    """
    books_work, portal_work = _in_parallel(
        lambda: _with_duplicate_flag(_prepare(books)), lambda: _prepare(portal)
    )
    forbidden = _id_pairs(unlinks, books_work, portal_work)
    manual = _manual(links, books_work, portal_work)
    pairs, twins, unpaired = _pair_in_stages(books_work, portal_work, settings, manual, forbidden)
    # The work frames are let go as soon as both parts are built: otherwise they would stand beside two
    # copies of every pair row while the pairs are put in order, the moment memory peaks.
    work = _Released(
        {"b": books_work, "p": portal_work, "pairs": pairs, "twins": twins, "unpaired": unpaired}, users=2
    )
    del books_work, portal_work, pairs, twins, unpaired

    def pair_rows() -> pl.DataFrame:
        with work as w:
            return _pair_results(w["pairs"], w["b"], w["p"], settings)

    def leftover_rows() -> pl.DataFrame:
        with work as w:
            return pl.concat(
                _in_parallel(
                    lambda: _leftover_results(
                        "p", w["p"], w["b"], w["unpaired"], w["pairs"], None, forbidden, settings
                    ),
                    lambda: _leftover_results(
                        "b", w["b"], w["p"], w["unpaired"], w["pairs"], w["twins"], forbidden, settings
                    ),
                )
            )

    return _in_parallel(
        lambda: _finished(pair_rows(), books, portal, today, quarterly),
        lambda: _finished(leftover_rows(), books, portal, today, quarterly),
    )


class _Released:
    """Frames shared by ``users`` steps on threads, dropped when the last of them is done with them."""

    def __init__(self, frames: dict[str, pl.DataFrame], users: int) -> None:
        self._frames, self._users, self._lock = frames, users, threading.Lock()

    def __enter__(self) -> dict[str, pl.DataFrame]:
        return self._frames

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self._users -= 1
            if not self._users:
                self._frames.clear()


def _finished(
    part: pl.DataFrame, books: pl.DataFrame, portal: pl.DataFrame, today: date | None, quarterly: bool
) -> pl.DataFrame:
    """A part's rows in result order, as RESULT_SCHEMA, with their suggested actions."""
    part = part.rechunk()  # gathering across chunks is several times slower
    # Suggesting reads rows, not their order: it runs while the order is found, then both are gathered.
    order, suggested = _in_parallel(
        lambda: _row_order(part), lambda: _suggested_columns(part, books, portal, today, quarterly)
    )
    return _ordered(pl.concat([part, suggested], how="horizontal"), order)


def _pair_in_stages(
    books: pl.DataFrame,
    portal: pl.DataFrame,
    settings: Settings,
    manual: pl.DataFrame,
    forbidden: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, pl.DataFrame]]:
    """Run the strategies in order of evidence, each one-to-one on what the earlier ones left.

    Returns the chosen pairs; the book entries that duplicate another (``idx``) with the kept twin
    (``twin_idx``); and the documents no pair took, per side ("b", "p"), with what
    ``nearest.nearest`` reads. The twins are settled after the exact stage and left out of the later
    ones, so only a kept copy can pair later on, and it stays the kept one.
    """
    strategies = [block.key_candidates, block.boundary_candidates, block.fuzzy_candidates]
    if settings.pan_matching:
        strategies.append(block.pan_candidates)
    chosen = [manual]
    # Each pool is the last one less what the last strategy took: filtering a million rows against every
    # pair so far, once per strategy, would cost more than the later strategies themselves.
    books_pool, portal_pool = _free(books, manual["b"]), _free(portal, manual["p"])
    twins = pl.DataFrame(schema={"idx": pl.UInt32, "twin_idx": pl.UInt32})
    for number, strategy in enumerate(strategies):
        if number:
            taken_b = pl.concat([chosen[-1]["b"], twins["idx"]]) if number == 1 else chosen[-1]["b"]
            books_pool, portal_pool = _free(books_pool, taken_b), _free(portal_pool, chosen[-1]["p"])
        candidates = strategy(books_pool, portal_pool, settings)
        if forbidden.height:  # an anti join with nothing still hashes every candidate
            candidates = candidates.join(forbidden, on=["b", "p"], how="anti")
        picked = assign.one_to_one(candidates, books_pool, portal_pool)
        if number == 0:
            picked = _settled_number_pairs(
                picked, manual, books, portal, books_pool, portal_pool, forbidden, settings
            )
        chosen.append(picked)
        if number == 0:
            # A second booking of a paired document is a duplicate, not a candidate for weaker evidence.
            twins = _duplicate_twins(books, pl.concat([c["b"] for c in chosen]))
    pairs = pl.concat(chosen)
    # The last pools less the last pairs hold what no pair took, but for the twins set aside (a twin
    # may have paired at the exact stage too); in the work frames' order.
    set_aside = twins["idx"].filter(~twins["idx"].is_in(pairs["b"].implode()))
    unpaired = {
        "b": pl.concat(
            [
                _free(books_pool, chosen[-1]["b"]).select(nearest.NEAREST_COLUMNS),
                books.select(pl.col(nearest.NEAREST_COLUMNS).gather(set_aside)),
            ]
        ).sort("idx"),
        "p": _free(portal_pool, chosen[-1]["p"]).select(nearest.NEAREST_COLUMNS),
    }
    # A pair whose amounts disagree while a better partner was left over is not acted on unseen.
    pairs = settle.flag_better_candidates(pairs, books, portal, unpaired, settings)
    return pairs, twins, unpaired


def _settled_number_pairs(
    picked: pl.DataFrame,
    manual: pl.DataFrame,
    books: pl.DataFrame,
    portal: pl.DataFrame,
    books_pool: pl.DataFrame,
    portal_pool: pl.DataFrame,
    forbidden: pl.DataFrame,
    settings: Settings,
) -> pl.DataFrame:
    """The number stage's pairs once a number with unrelated amounts has given way (``recon.match.settle``):
    to the supplier's other registration whose date and amounts agree, and, for a second booking of one
    invoice, to nothing."""
    picked = settle.prefer_agreeing_registration(
        picked, books, portal, books_pool, portal_pool, forbidden, settings
    )
    return settle.drop_extra_copies(picked, manual, books, portal, settings)


def _free(work: pl.DataFrame, taken: pl.Series) -> pl.DataFrame:
    """The documents not paired yet, with only what strategies and assignment read (a copy is costly)."""
    slim = work.select([c for c in _POOL_COLUMNS if c in work.columns])
    return slim.filter(~pl.col("idx").is_in(taken.implode())) if taken.len() else slim


# ---------------------------------------------------------------------------------------------------
# Preparation and manual decisions
# ---------------------------------------------------------------------------------------------------


def _prepare(docs: pl.DataFrame) -> pl.DataFrame:
    if list(docs.columns) != list(model.COLUMNS) or dict(docs.schema) != model.SCHEMA:
        docs = model.conform(docs)
    # One contiguous chunk per column (a Parquet read gives several): every later stage gathers rows
    # of the work frame by ``idx``, and a gather across chunks is several times slower. The inputs are
    # joined up, not the work frame: what is worked out of them then comes in one chunk too, and is not
    # copied a second time.
    docs = docs.select(block.PREPARE_INPUTS).rechunk()
    return block.prepare(docs).with_columns(classify.not_in_ims_expr()).drop(_NOT_IN_IMS_INPUTS)


def _id_pairs(pairs: Iterable[tuple[str, str]], books: pl.DataFrame, portal: pl.DataFrame) -> pl.DataFrame:
    """(books doc_id, portal doc_id) pairs → positions; pairs naming unknown documents are dropped."""
    ids = pl.DataFrame(
        [(str(b), str(p)) for b, p in pairs], schema={"b_id": pl.String, "p_id": pl.String}, orient="row"
    )
    if ids.is_empty():  # no links: joining nothing would still hash a million doc ids
        return pl.DataFrame(schema={"b": pl.UInt32, "p": pl.UInt32})
    return (
        ids.join(books.select(pl.col("doc_id").alias("b_id"), pl.col("idx").alias("b")), on="b_id")
        .join(portal.select(pl.col("doc_id").alias("p_id"), pl.col("idx").alias("p")), on="p_id")
        .select("b", "p")
        .unique()
    )


def _manual(links, books: pl.DataFrame, portal: pl.DataFrame) -> pl.DataFrame:
    """The user's links as chosen pairs. A document linked twice keeps its first link in doc-id order."""
    pairs = _id_pairs(links, books, portal)
    candidates = pairs.with_columns(
        pl.lit(0, pl.Int8).alias("stage"),
        pl.lit("manual").alias("basis"),
        pl.lit(100.0).alias("score"),
        pl.lit(False).alias("review"),
        pl.lit(None, pl.String).alias("review_reason"),
    ).cast(block.CANDIDATE_SCHEMA)
    if candidates.is_empty():
        return block.empty_candidates()
    return assign.one_to_one(candidates, books, portal)


def _with_duplicate_flag(books: pl.DataFrame) -> pl.DataFrame:
    """Add ``in_duplicate_group``: another book entry has the same GSTIN, kind, number key and FY.

    Only rows whose hash of the four repeats can be in one; the groups are counted on those alone. A
    window over four text columns of every row costs twice as much and allocates hundreds of megabytes.
    """
    hashed = books.select(
        pl.col("gstin").hash(1) ^ pl.col("kind").hash(2) ^ pl.col("key").hash(3) ^ pl.col("fy").hash(4)
    ).to_series()
    maybe = books.select(hashed.is_in(assign.repeated(hashed).implode()) & (pl.col("key") != ""))
    maybe = maybe.to_series().arg_true()
    grouped = books.select(pl.col(_DUPLICATE_KEY).gather(maybe)).select(pl.len().over(_DUPLICATE_KEY) > 1)
    flag = pl.repeat(False, books.height, eager=True).scatter(maybe.filter(grouped.to_series()), True)
    return books.with_columns(flag.alias("in_duplicate_group"))


def _duplicate_twins(books: pl.DataFrame, taken_b: pl.Series) -> pl.DataFrame:
    """Books documents booked more than once: for each copy that is not the kept one, the kept twin.

    Same supplier GSTIN, kind, number key and FY is one document (docs/reference/matching-practice.md §9). The kept copy
    is the one that paired, else the earliest row.
    """
    group = list(_DUPLICATE_KEY)
    # Columns picked before rows, here and below: an eager filter copies every column of the frame.
    members = (
        books.select("idx", "doc_id", "first_row", *group, "in_duplicate_group")
        .filter(pl.col("in_duplicate_group"))
        .with_columns(pl.col("idx").is_in(taken_b.implode()).alias("_paired"))
    )
    if members.is_empty():
        return pl.DataFrame(schema={"idx": pl.UInt32, "twin_idx": pl.UInt32})
    ranked = members.sort(
        ["_paired", "first_row", "doc_id"], descending=[True, False, False], nulls_last=True
    )
    kept = ranked.unique(group, keep="first", maintain_order=True).select(
        *group, pl.col("idx").alias("twin_idx")
    )
    return members.join(kept, on=group).filter(pl.col("idx") != pl.col("twin_idx")).select("idx", "twin_idx")


# ---------------------------------------------------------------------------------------------------
# Result rows
# ---------------------------------------------------------------------------------------------------


def _pair_results(
    pairs: pl.DataFrame, books: pl.DataFrame, portal: pl.DataFrame, settings: Settings
) -> pl.DataFrame:
    wide = compare.widen(pairs, books, portal, compare.PAIR_BOOKS_COLUMNS, compare.PAIR_PORTAL_COLUMNS)
    wide = compare.compare(wide, settings).with_columns(
        pl.coalesce(pl.col("p_not_in_ims"), pl.col("b_not_in_ims")).alias("not_in_ims"),
        compare.any_difference().alias("_differs"),
        classify.pair_category().alias("category"),
    )
    wide = wide.with_row_index("_row")
    # Sentences only for the pairs where something differs; most pairs agree and get an empty list.
    fields = compare.DIFFERENCE_FIELDS
    differing = wide.select(explain.difference_inputs(fields)).filter(wide["_differs"])
    differences, differences_text = explain.differences_columns(differing, fields, wide.height)
    slim = wide.select(
        "category",
        "stage",
        "basis",
        "score",
        "review",
        "review_reason",
        "not_in_ims",
        "b",
        "p",
        "b_doc_id",
        "p_doc_id",
        "b_doc_no",
        "p_doc_no",
        "b_gstin",
        "p_gstin",
    )
    del wide
    slim = explain.with_pair_explanation(
        slim.with_columns(differences, differences_text), settings, books, portal
    )
    return slim.select(
        _result_id(pl.col("b_doc_id"), pl.col("p_doc_id")),
        "category",
        pl.col("b_doc_id").alias("books_doc_id"),
        pl.col("p_doc_id").alias("portal_doc_id"),
        "basis",
        "score",
        "differences",
        "differences_text",
        "explanation",
        # nearest_doc_id, nearest_reason and duplicate_of speak of leftovers: null here, set by _ordered.
        pl.col("not_in_ims").alias("not_in_ims_reason"),
        pl.col("review").alias("needs_review"),
        pl.col("review_reason"),
        pl.coalesce(pl.col("p_gstin"), pl.col("b_gstin")).alias("_gstin"),
        pl.coalesce(pl.col("p_doc_no"), pl.col("b_doc_no")).alias("_doc_no"),
        pl.col("b").alias("_books_row"),
        pl.col("p").alias("_portal_row"),
    )


def _leftover_results(
    own: str,
    work: pl.DataFrame,
    other_work: pl.DataFrame,
    unpaired: dict[str, pl.DataFrame],
    pairs: pl.DataFrame,
    twins: pl.DataFrame | None,
    forbidden: pl.DataFrame,
    settings: Settings,
) -> pl.DataFrame:
    """books_only (``own`` = "b") or ims_only ("p") rows, each with its nearest candidate and why not.

    ``unpaired``: the work frames' rows that no pair took, per side ("b", "p"); ``twins``: the book
    entries that duplicate another, from :func:`_pair_in_stages` (None for ims_only).
    """
    other = "p" if own == "b" else "b"
    leftovers = unpaired[own]
    near = nearest.nearest(leftovers, other_work, unpaired[other], settings)
    frame = (
        leftovers.select(pl.col("idx").alias(own))
        .join(near.rename({"idx": own, "n_idx": other}), on=own, how="left")
        .with_columns(pl.lit(None, pl.Int8).alias("stage"))
    )
    books_side = work if own == "b" else other_work
    portal_side = other_work if own == "b" else work
    columns = (*compare.WIDE_COLUMNS, "origin_rows")
    wide = compare.compare(compare.widen(frame, books_side, portal_side, columns, columns), settings)
    fys = sorted({f for f in pl.concat([wide["b_fy"], wide["p_fy"]]).drop_nulls().unique().to_list() if f})
    wide = wide.with_columns(
        pl.col(other).alias("n_idx"),
        pl.col(other).is_in(pairs[other].implode()).fill_null(False).alias("n_paired"),
    )
    wide = explain.with_gap_texts(wide.with_columns(_same_digit_runs(wide, fys).alias("same_runs")))
    wide = _mark_unlinked(wide, forbidden)
    wide = _with_twins(wide, twins, books_side)
    # Documents of the supplier on the other side, counted only for leftovers without any candidate.
    alone = wide.select(pl.col(f"{own}_gstin").filter(pl.col("n_idx").is_null()).unique()).to_series()
    present = (
        other_work.select("gstin")
        .filter(pl.col("gstin").is_in(alone.implode()))
        .group_by("gstin")
        .len()
        .rename({"len": "_present"})
    )
    wide = wide.join(present, left_on=f"{own}_gstin", right_on="gstin", how="left")
    where = "IMS" if own == "b" else "books"
    absent = (
        pl.when(pl.col("_present").is_null())
        .then(pl.lit(f"No document of this supplier in {where}"))
        .otherwise(
            pl.concat_str(
                pl.lit(
                    f"No {where} document of this supplier of the same kind with a close number or amount ("
                ),
                pl.col("_present").cast(pl.String),
                pl.lit(" of other kinds)"),
            )
        )
    )
    wide = wide.with_columns(
        pl.when(pl.col("n_idx").is_not_null())
        .then(explain.nearest_reason_expr(own, settings))
        .otherwise(absent)
        .alias("nearest_reason"),
        pl.col(f"{own}_not_in_ims").alias("not_in_ims"),
    )
    category = "books_only" if own == "b" else "ims_only"
    return wide.select(
        _result_id(
            pl.col("b_doc_id") if own == "b" else pl.lit(None, pl.String),
            pl.col("p_doc_id") if own == "p" else pl.lit(None, pl.String),
        ),
        pl.lit(category).alias("category"),
        (pl.col("b_doc_id") if own == "b" else pl.lit(None, pl.String)).alias("books_doc_id"),
        (pl.col("p_doc_id") if own == "p" else pl.lit(None, pl.String)).alias("portal_doc_id"),
        pl.lit(None, pl.String).alias("basis"),
        pl.lit(None, pl.Float64).alias("score"),
        pl.lit([], pl.List(RESULT_SCHEMA["differences"].inner)).alias("differences"),
        pl.lit(None, pl.String).alias("differences_text"),
        explain.leftover_explanation(own).alias("explanation"),
        pl.col(f"{other}_doc_id").alias("nearest_doc_id"),
        pl.col("nearest_reason"),
        pl.col("dup_doc_id").alias("duplicate_of"),
        pl.col("not_in_ims").alias("not_in_ims_reason"),
        pl.lit(False).alias("needs_review"),
        pl.lit(None, pl.String).alias("review_reason"),
        pl.col(f"{own}_gstin").alias("_gstin"),
        pl.col(f"{own}_doc_no").alias("_doc_no"),
        (pl.col("b") if own == "b" else pl.lit(None, pl.UInt32)).alias("_books_row"),
        (pl.col("p") if own == "p" else pl.lit(None, pl.UInt32)).alias("_portal_row"),
    )


def _same_digit_runs(wide: pl.DataFrame, fys: list[str]) -> pl.Series:
    """Per leftover: its number and its nearest candidate's have the same digit runs (so only letters
    differ). Worked out only where the sentence asks: a candidate whose number key differs."""
    asked = pl.col("n_idx").is_not_null() & (pl.col("b_key") != pl.col("p_key"))
    b_runs, p_runs = block.runs_expr("b_no_upper", "b_fy", fys), block.runs_expr("p_no_upper", "p_fy", fys)
    return explain.only_where(wide, asked, (b_runs == p_runs) & (b_runs != "")).fill_null(False)


def _mark_unlinked(wide: pl.DataFrame, forbidden: pl.DataFrame) -> pl.DataFrame:
    marked = forbidden.with_columns(pl.lit(True).alias("n_unlinked"))
    wide = wide.join(marked, on=["b", "p"], how="left")
    return wide.with_columns(pl.col("n_unlinked").fill_null(False))


def _with_twins(wide: pl.DataFrame, twins: pl.DataFrame | None, books: pl.DataFrame) -> pl.DataFrame:
    """Add ``dup_doc_id`` and ``dup_rows`` (the kept twin's id and spreadsheet rows) for books duplicates."""
    if twins is None or twins.is_empty():
        return wide.with_columns(
            pl.lit(None, pl.String).alias("dup_doc_id"), pl.lit(None, pl.String).alias("dup_rows")
        )
    # ``twin_idx`` is a row position in ``books``: gathered, not joined (a join would hash every book entry).
    kept = books.select(pl.col("doc_id", "origin_rows").gather(twins["twin_idx"]))
    twin_info = pl.DataFrame(
        [
            twins["idx"].alias("b"),
            kept["doc_id"].alias("dup_doc_id"),
            kept["origin_rows"].list.eval(pl.element().cast(pl.String)).list.join(";").alias("dup_rows"),
        ]
    )
    return wide.join(twin_info, on="b", how="left")


def _result_id(books_id: pl.Expr, portal_id: pl.Expr) -> pl.Expr:
    """Stable: the doc ids it holds (a pair and its leftovers never share one)."""
    return pl.concat_str(books_id.fill_null("-"), pl.lit("~"), portal_id.fill_null("-")).alias("result_id")


def _row_order(results: pl.DataFrame) -> pl.Series:
    """Category, supplier, number, then ids — the same rows always come out in the same order.

    Suppliers are sorted once as a short list and replaced by their position; the rows are then sorted
    on the numbers and on category and supplier as one integer (see :func:`_arg_sort`). Ids only break ties.
    """
    # In first-seen order before sorting: polars finds the few distinct values faster that way.
    suppliers = results.select(pl.col("_gstin").unique(maintain_order=True).sort(nulls_last=True))
    suppliers = suppliers.with_row_index("_supplier")
    keys = results.select(
        pl.col("category").replace_strict(_CATEGORY_ORDER, return_dtype=pl.Int8).alias("_category"),
        "_gstin",
        "_doc_no",
        "result_id",
    ).join(suppliers, on="_gstin", how="left", maintain_order="left", nulls_equal=True)
    return _break_ties_by_id(keys, _arg_sort(keys, _SORT_KEYS))


def _ordered(results: pl.DataFrame, order: pl.Series) -> pl.DataFrame:
    """RESULT_SCHEMA rows in ``order`` (row positions); columns the results lack are null."""
    # ``results`` is one contiguous chunk: gathering a list column spread over chunks is many times slower.
    return results.select(
        (pl.col(c).gather(order) if c in results.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in RESULT_SCHEMA.items()
    )


_SORT_KEYS = ("_category", "_supplier", "_doc_no")


def _arg_sort(keys: pl.DataFrame, columns: tuple[str, ...]) -> pl.Series:
    """Row positions sorted on ``columns`` (nulls last): integer columns, then one text column."""
    *groups, text = columns
    bits = [max(int(keys[c].max() or 0).bit_length(), 1) for c in groups]
    if sum(bits) + keys.height.bit_length() > 64:
        return keys.select(pl.arg_sort_by(list(columns), nulls_last=True)).to_series()
    # Least significant first: the text alone (a text column sorts several times faster alone than
    # among other columns), then the integer columns packed into one number with that position last, so
    # the second sort keeps the first one's order among equal groups.
    by_text = _text_order(keys[text])
    packed = pl.lit(0, pl.UInt64)
    for column, width in zip(groups, bits, strict=True):
        packed = packed * 2**width + pl.col(column).cast(pl.UInt64)
    packed = packed.gather(by_text) * 2 ** keys.height.bit_length() + pl.int_range(pl.len(), dtype=pl.UInt64)
    return by_text.gather(keys.select(packed.arg_sort()).to_series())


def _text_order(text: pl.Series) -> pl.Series:
    """Row positions of ``text`` in sorted order, nulls last (ties in any order)."""
    lengths = text.str.len_bytes()
    # Zero-padding keeps the text's order unless a text ends in the padding byte ("A" vs "A\x00").
    plain = (lengths == text.str.len_chars()) & ~text.str.ends_with("\x00")
    if int(lengths.max() or 0) > _WORD_BYTES or not plain.fill_null(True).all():
        return (
            text.to_frame()
            .select(pl.arg_sort_by(text.name, nulls_last=True, multithreaded=False))
            .to_series()
        )
    # Short ASCII text read as two big-endian 8-byte integers, zero-padded, compares as the text does, and
    # two integer sorts (least significant first) beat one text sort. A null gets the top bit, which no
    # ASCII byte has, so it sorts last.
    padded = pl.col(text.name).fill_null("").str.pad_end(_WORD_BYTES, "\x00").cast(pl.Binary)
    words = text.to_frame().select(
        padded.bin.slice(0, 8).bin.reinterpret(dtype=pl.UInt64, endianness="big").alias("high"),
        padded.bin.slice(8, 8).bin.reinterpret(dtype=pl.UInt64, endianness="big").alias("low"),
    )
    high = words["high"].set(text.is_null(), 2**63)
    by_low = words["low"].arg_sort()
    return by_low.gather(
        high.gather(by_low).to_frame().select(pl.arg_sort_by("high", maintain_order=True)).to_series()
    )


# Text up to this many bytes is sorted as two integers (see _text_order).
_WORD_BYTES = 16


def _break_ties_by_id(keys: pl.DataFrame, order: pl.Series) -> pl.Series:
    """``order`` (sorted on _SORT_KEYS) with each run of equal keys sorted by result_id.

    The same as sorting on the keys and result_id at once, but the long result_id strings are compared
    only within the few runs of tied rows (double bookings), not across a million rows.
    """
    ranked = keys.select(pl.col(c).gather(order) for c in _SORT_KEYS)
    same_as_previous = pl.all_horizontal(pl.col(c).eq_missing(pl.col(c).shift(1)) for c in _SORT_KEYS)
    tied = (
        ranked.select(same_as_previous.alias("_same"))
        .with_row_index("_at")
        .with_columns((~pl.col("_same")).cum_sum().alias("_run"))
        .filter(pl.col("_same") | pl.col("_same").shift(-1).fill_null(False))
    )
    if tied.is_empty():
        return order
    tied = tied.with_columns(order.gather(tied["_at"]).alias("_position"))
    tied = tied.with_columns(keys["result_id"].gather(tied["_position"]).alias("_id"))
    # Runs stay where they are (sorted by _run); inside a run the rows take result_id order.
    return order.scatter(tied["_at"], tied.sort(["_run", "_id"])["_position"])


def _suggested_columns(
    results: pl.DataFrame, books: pl.DataFrame, portal: pl.DataFrame, today: date | None, quarterly: bool
) -> pl.DataFrame:
    """suggested_action, action_reason and action_warnings per result row, from ``recon.actions``
    (docs/architecture.md §4); rows in the order given."""
    names = ("suggested_action", "action_reason", "action_warnings")
    facts = results.select(c for c in RESULT_SCHEMA if c in results.columns and c not in names)
    suggested = actions.suggest(
        facts,
        books,
        portal,
        today,
        books_rows=results["_books_row"],
        portal_rows=results["_portal_row"],
        quarterly=quarterly,
    )
    return suggested.select(names)


def empty() -> pl.DataFrame:
    return empty_results()
