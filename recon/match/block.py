"""Blocking: which (books, portal) pairs are worth comparing at all.

Each strategy returns a *candidate* frame with columns ``b`` and ``p`` (row positions in the prepared books
and portal work frames), ``stage`` (lower = stronger evidence), ``basis``, ``score``, ``review`` and
``review_reason``. Strategies never decide; ``assign`` picks one-to-one pairs from the candidates.

Costs (n = documents per side):

* :func:`key_candidates` — one hash join on (supplier GSTIN, kind, number key, FY); linear in n.
* :func:`boundary_candidates` — hash joins of the leftovers on (GSTIN, kind, number) across FYs.
* :func:`fuzzy_candidates` — leftovers of the same supplier whose taxable values fall in neighbouring
  ₹-buckets; bounded by how many leftovers of one supplier share an amount, never quadratic in n.
* :func:`pan_candidates` — leftovers joined on (PAN, kind, key, FY), plus books rows with a GSTIN that fails
  its check character joined on (kind, key, FY).

Reference: docs/reference/matching-practice.md §1 (keys), §3 (numbers), §4 (fuzzy pitfalls), §5 (PAN), §6 (FY boundary),
§9 (duplicates), §10 (amendments).
"""

from __future__ import annotations

import polars as pl
from rapidfuzz import fuzz, process

from recon.match.settings import Settings
from recon.normalise import doc_no_key_expr, fy_expr, fy_token_free_expr

# Stage numbers order the evidence: the assignment prefers a lower stage over any score.
EXACT, EXACT_VIA_ORIGINAL, NORMALISED, NORMALISED_VIA_ORIGINAL = 1, 2, 3, 4
BOUNDARY, FUZZY, PAN = 5, 6, 7

AMOUNTS = ("taxable", "igst", "cgst", "sgst", "cess")
_AMOUNT_SOURCE = {"taxable": "taxable_value", "igst": "igst", "cgst": "cgst", "sgst": "sgst", "cess": "cess"}

CANDIDATE_SCHEMA = {
    "b": pl.UInt32,
    "p": pl.UInt32,
    "stage": pl.Int8,
    "basis": pl.String,
    "score": pl.Float64,
    "review": pl.Boolean,
    "review_reason": pl.String,
}


# ---------------------------------------------------------------------------------------------------
# Normalise: the work frame every strategy reads
# ---------------------------------------------------------------------------------------------------


# The canonical columns :func:`prepare` and ``classify.not_in_ims_expr`` read.
PREPARE_INPUTS = (
    "doc_id",
    "source",
    "section",
    "doc_kind",
    "is_amendment",
    "original_doc_no",
    "original_doc_date",
    "supplier_gstin",
    "supplier_pan",
    "gstin_valid",
    "doc_no",
    "doc_no_key",
    "doc_date",
    "fy",
    "pos",
    "reverse_charge",
    "taxable_value",
    "igst",
    "cgst",
    "sgst",
    "cess",
    "itc_available",
    "itc_unavailable_reason",
    "origin_rows",
)


def prepare(docs: pl.DataFrame) -> pl.DataFrame:
    """The columns matching needs, one row per canonical document, position = ``idx``.

    Amounts become whole paise (Int64) so that tolerance boundaries (₹1.00 vs ₹1.01) are exact.
    ``doc_no_key`` and ``fy`` are taken from the frame and only computed where a reader left them empty.
    """
    frame = docs
    if frame["fy"].null_count() > frame["doc_date"].null_count():
        frame = frame.with_columns(pl.coalesce(pl.col("fy"), fy_expr("doc_date")).alias("fy"))
    if frame["doc_no_key"].null_count():
        fys = [f for f in frame["fy"].unique().to_list() if f]
        frame = frame.with_columns(
            pl.coalesce(pl.col("doc_no_key"), doc_no_key_expr("doc_no", "fy", fys)).alias("doc_no_key")
        )
    gstin = pl.col("supplier_gstin").fill_null("")  # readers store it upper-cased and trimmed (recon.model)
    original_no = pl.col("original_doc_no").str.strip_chars().str.to_uppercase()
    original_fy = _original_fy(frame)
    work = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("idx"),
        pl.col("doc_id"),
        gstin.alias("gstin"),
        pl.coalesce(pl.col("supplier_pan"), gstin.str.slice(2, 10)).alias("pan"),
        pl.col("doc_kind").alias("kind"),
        pl.col("doc_no"),
        pl.col("doc_no").fill_null("").str.strip_chars().str.to_uppercase().alias("no_upper"),
        pl.col("doc_no_key").fill_null("").alias("key"),
        pl.col("fy").fill_null(""),
        pl.col("doc_date").alias("date"),
        *[
            (pl.col(src).fill_null(0.0) * 100).round(0).cast(pl.Int64).alias(name)
            for name, src in _AMOUNT_SOURCE.items()
        ],
        pl.col("pos"),
        pl.col("reverse_charge").alias("rc"),
        pl.col("gstin_valid").fill_null(True).alias("gstin_valid"),
        pl.col("origin_rows"),
        pl.col("origin_rows").list.min().alias("first_row"),
        pl.col("source"),
        pl.col("section"),
        pl.col("itc_available"),
        pl.col("itc_unavailable_reason").alias("itc_reason"),
        pl.col("is_amendment").fill_null(False).alias("amend"),
        original_no.alias("orig_no_upper"),
        pl.col("original_doc_date").alias("orig_date"),
        original_fy.alias("orig_fy"),
    )
    return _with_original_key(work)


def _original_fy(frame: pl.DataFrame) -> pl.Series:
    """The FY of an amendment's original date where one is given, else the document's own FY.

    Worked out on the dated rows alone: few documents are amendments, and the FY text of a million
    empty dates would still cost a million concatenations.
    """
    dated = frame["original_doc_date"].is_not_null().arg_true()
    own = frame["fy"].clone()  # scattered into below: the caller's column stays as it is
    if dated.is_empty():
        return own
    return own.scatter(dated, frame.select(fy_expr("original_doc_date").gather(dated)).to_series())


def _with_original_key(work: pl.DataFrame) -> pl.DataFrame:
    """Key of an amendment's original number, normalised against the original's own FY.

    Computed on the amendments only (a few rows) and joined back by position.
    """
    amended = work.select("idx", "orig_no_upper", "orig_fy").filter(pl.col("orig_no_upper").is_not_null())
    fys = [f for f in amended["orig_fy"].drop_nulls().unique().to_list() if f]
    keys = amended.select("idx", doc_no_key_expr("orig_no_upper", "orig_fy", fys).alias("orig_key"))
    # Scatter by position rather than join: a join would copy every column of the work frame.
    orig_key = pl.repeat(None, work.height, dtype=pl.String, eager=True).alias("orig_key")
    if keys.height:
        orig_key = orig_key.scatter(keys["idx"], keys["orig_key"])
    return work.with_columns(orig_key)


def runs_expr(no_col: str, fy_col: str, fys: list[str]) -> pl.Expr:
    """The digit runs of a number as numbers, own-FY tokens removed: 'A10/03' -> '10,3', 'INV/24-25/017' -> '17'.

    Two numbers can share a key yet be split differently (A/1003 vs A10/03, docs/reference/matching-practice.md §3);
    the runs tell them apart, and runs that differ as numbers (1 vs 11, 40 vs 45) mean another document.
    ``no_col`` holds numbers in upper case (a work frame's ``no_upper``).
    """
    cleaned = fy_token_free_expr(pl.col(no_col).fill_null(""), fy_col, fys)
    return (
        cleaned.str.extract_all(r"[0-9]+")
        .list.eval(pl.element().str.strip_chars_start("0").replace("", "0"))
        .list.join(",")
    )


def _fys(*frames: pl.DataFrame, col: str = "fy") -> list[str]:
    found: set[str] = set()
    for frame in frames:
        found.update(f for f in frame[col].unique().to_list() if f)
    return sorted(found)


# What the blocking strategies read; the rest of a work frame is not carried through their joins.
BLOCK_COLUMNS = (
    "idx",
    "gstin",
    "pan",
    "kind",
    "doc_no",
    "no_upper",
    "key",
    "fy",
    "date",
    *AMOUNTS,
    "gstin_valid",
    "amend",
    "orig_no_upper",
    "orig_fy",
    "orig_key",
    "bucket",
)


def _pairs(
    books: pl.DataFrame, portal: pl.DataFrame, left_on: list[str], right_on: list[str]
) -> pl.DataFrame:
    """Inner join of two work frames, books columns prefixed ``b_`` and portal columns ``p_``."""
    # A blank number or GSTIN is no evidence: two documents without a number are not "the same number".
    books = books.select([c for c in BLOCK_COLUMNS if c in books.columns]).filter(_given(books, left_on))
    portal = portal.select([c for c in BLOCK_COLUMNS if c in portal.columns]).filter(_given(portal, right_on))
    b = books.rename({c: f"b_{c}" for c in books.columns})
    p = portal.rename({c: f"p_{c}" for c in portal.columns})
    return b.join(
        p,
        left_on=[f"b_{c}" for c in left_on],
        right_on=[f"p_{c}" for c in right_on],
        how="inner",
        coalesce=False,  # keep both sides' key columns for the comparisons that follow
    )


def pairs_on(
    books: pl.DataFrame, portal: pl.DataFrame, left_on: list[str], right_on: list[str]
) -> pl.DataFrame:
    """Every (books, portal) pair of two work frames agreeing on the given columns, prefixed ``b_``/``p_``."""
    return _pairs(books, portal, left_on, right_on)


def _given(frame: pl.DataFrame, columns: list[str]) -> pl.Expr:
    text = [c for c in columns if frame.schema[c] == pl.String]
    return pl.all_horizontal([pl.col(c).fill_null("") != "" for c in text]) if text else pl.lit(True)


def _within_tolerance(settings: Settings, *, exact: bool = False) -> pl.Expr:
    """Every amount head and the taxable value within tolerance (or equal to the paisa when ``exact``)."""
    conditions = []
    for name in AMOUNTS:
        limit = 0 if exact else tolerance_paise(settings, name)
        conditions.append((pl.col(f"p_{name}") - pl.col(f"b_{name}")).abs() <= limit)
    return pl.all_horizontal(conditions)


def tolerance_paise(settings: Settings, head: str) -> int:
    field = "tolerance_taxable" if head == "taxable" else f"tolerance_{head}"
    return round(getattr(settings, field) * 100)


def _date_gap() -> pl.Expr:
    return (pl.col("p_date") - pl.col("b_date")).dt.total_days().abs()


def _candidates(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.with_columns(pl.col("b_idx").alias("b"), pl.col("p_idx").alias("p"))
    return frame.select(list(CANDIDATE_SCHEMA)).cast(CANDIDATE_SCHEMA)


def empty_candidates() -> pl.DataFrame:
    return pl.DataFrame(schema=CANDIDATE_SCHEMA)


# ---------------------------------------------------------------------------------------------------
# Stages 1-2: exact and normalised keys (and an amendment's original number)
# ---------------------------------------------------------------------------------------------------


def key_candidates(books: pl.DataFrame, portal: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """Pairs sharing supplier GSTIN, kind, number key and FY.

    Same upper-cased number → ``exact``; same key only → ``normalised``. A number unique per supplier per
    FY (Rule 46(b), docs/reference/matching-practice.md §3) makes this strong evidence, but a key is not proof: when the
    digit runs are split differently (A/1003 vs A10/03) the pair stands only if every amount agrees, and
    then as a suggestion to review.
    """
    key = ["gstin", "kind", "key", "fy"]
    # The million-row join carries only the keys; full columns are fetched for the few non-exact pairs.
    slim_b = books.select("idx", *key, "no_upper").filter(_given(books, key))
    slim_p = portal.select("idx", *key, "no_upper").filter(_given(portal, key))
    joined = slim_b.join(slim_p, on=key, how="inner", suffix="_p").select(
        pl.col("idx").alias("b"),
        pl.col("idx_p").alias("p"),
        (pl.col("no_upper") == pl.col("no_upper_p")).alias("_same"),
    )
    exact = (
        joined.filter(pl.col("_same"))
        .select(
            "b",
            "p",
            pl.lit(EXACT).alias("stage"),
            pl.lit("exact").alias("basis"),
            pl.lit(100.0).alias("score"),
            pl.lit(False).alias("review"),
            pl.lit(None, pl.String).alias("review_reason"),
        )
        .cast(CANDIDATE_SCHEMA)
    )
    direct = _with_columns_of(joined.filter(~pl.col("_same")).select("b", "p"), books, portal)
    direct = direct.with_columns(
        pl.col("p_no_upper").alias("p_no_upper_matched"), pl.lit(False).alias("via_original")
    )
    # An amendment (b2ba, b2bcna ...) may still be booked under its original number (docs/reference/matching-practice.md §10).
    amended = (
        portal.select("idx", "gstin", "kind", "amend", "orig_key", "orig_fy")
        .filter(pl.col("amend") & pl.col("orig_key").is_not_null())
        .select("idx", "gstin", "kind", pl.col("orig_key").alias("key"), pl.col("orig_fy").alias("fy"))
    )
    amended = amended.filter(_given(amended, key))
    via_pairs = slim_b.join(amended, on=key, how="inner", suffix="_p").select(
        pl.col("idx").alias("b"), pl.col("idx_p").alias("p")
    )
    via = _with_columns_of(via_pairs, books, portal).with_columns(
        pl.col("p_orig_no_upper").alias("p_no_upper_matched"), pl.lit(True).alias("via_original")
    )
    frame = pl.concat([direct, via.select(direct.columns)], how="vertical")
    if frame.is_empty():
        return exact
    same_text = pl.col("b_no_upper") == pl.col("p_no_upper_matched")
    stage = (
        pl.when(same_text)
        .then(EXACT_VIA_ORIGINAL)
        .when(~pl.col("via_original"))
        .then(NORMALISED)
        .otherwise(NORMALISED_VIA_ORIGINAL)
    )
    frame = frame.with_columns(stage.alias("stage"))
    via_exact = frame.filter(pl.col("stage") == EXACT_VIA_ORIGINAL).with_columns(
        pl.lit("normalised").alias("basis"),
        pl.lit(97.0).alias("score"),
        pl.lit(False).alias("review"),
        pl.lit(None, pl.String).alias("review_reason"),
    )
    normalised = _guard_split_runs(frame.filter(pl.col("stage") > EXACT_VIA_ORIGINAL), settings)
    return pl.concat([exact, _candidates(via_exact), _candidates(normalised)])


def _with_columns_of(pairs: pl.DataFrame, books: pl.DataFrame, portal: pl.DataFrame) -> pl.DataFrame:
    """Candidate positions (``b``, ``p``) with both documents' blocking columns, prefixed b_/p_."""
    if _is_whole(books) and _is_whole(portal):
        # idx is the row position: gathered, not joined (the first strategy sees every document).
        return pl.concat(
            [
                books.select(
                    pl.col(c).gather(pairs["b"]).alias(f"b_{c}") for c in BLOCK_COLUMNS if c in books.columns
                ),
                portal.select(
                    pl.col(c).gather(pairs["p"]).alias(f"p_{c}") for c in BLOCK_COLUMNS if c in portal.columns
                ),
            ],
            how="horizontal",
        )
    # Only the pairs' documents are joined: the whole pool would be hashed for a few thousand pairs.
    books = books.filter(pl.col("idx").is_in(pairs["b"].implode()))
    portal = portal.filter(pl.col("idx").is_in(pairs["p"].implode()))
    b = books.select([c for c in BLOCK_COLUMNS if c in books.columns])
    p = portal.select([c for c in BLOCK_COLUMNS if c in portal.columns])
    return (
        pairs.join(b.rename({c: f"b_{c}" for c in b.columns}), left_on="b", right_on="b_idx", coalesce=False)
        .join(p.rename({c: f"p_{c}" for c in p.columns}), left_on="p", right_on="p_idx", coalesce=False)
        .drop("b", "p")
    )


def _is_whole(pool: pl.DataFrame) -> bool:
    """No document has left the pool, so a row's ``idx`` is its position (idx only grows down a pool)."""
    return pool.height > 0 and pool["idx"][-1] == pool.height - 1


def _guard_split_runs(frame: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """Normalised pairs whose digit runs differ: keep only when every amount agrees, and flag for review."""
    if frame.is_empty():
        return frame.with_columns(
            pl.lit("normalised").alias("basis"),
            pl.lit(0.0).alias("score"),
            pl.lit(False).alias("review"),
            pl.lit(None, pl.String).alias("review_reason"),
        )
    fys = _fys(frame, col="b_fy")
    number_p = pl.when(pl.col("via_original")).then(pl.col("p_orig_no_upper")).otherwise(pl.col("p_no_upper"))
    fy_p = pl.when(pl.col("via_original")).then(pl.col("p_orig_fy")).otherwise(pl.col("p_fy"))
    frame = frame.with_columns(number_p.alias("_p_number"), fy_p.alias("_p_fy"))
    # In one call, so polars works out both sides' runs at once.
    frame = frame.with_columns(
        runs_expr("b_no_upper", "b_fy", fys).alias("b_runs"),
        runs_expr("_p_number", "_p_fy", fys).alias("p_runs"),
    )
    split = pl.col("b_runs") != pl.col("p_runs")
    frame = frame.filter(~split | _within_tolerance(settings))
    return frame.with_columns(
        pl.lit("normalised").alias("basis"),
        pl.when(split).then(85.0).when(pl.col("via_original")).then(93.0).otherwise(95.0).alias("score"),
        split.alias("review"),
        pl.when(split)
        .then(
            pl.concat_str(
                pl.lit("the numbers give the same key but their digits are grouped differently (books "),
                pl.col("b_doc_no"),
                pl.lit(", portal "),
                pl.col("_p_number"),
                pl.lit("); amounts agree — confirm it is one document"),
            )
        )
        .alias("review_reason"),
    )


# ---------------------------------------------------------------------------------------------------
# FY boundary: 31 March vs 1 April
# ---------------------------------------------------------------------------------------------------


def boundary_candidates(books: pl.DataFrame, portal: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """Same supplier, kind and number, dates within the window but in different FYs (docs/reference/matching-practice.md §6).

    A number is unique only within a FY, so these are suggestions to review, never automatic.
    """
    frames = [
        _pairs(books, portal, ["gstin", "kind", "no_upper"], ["gstin", "kind", "no_upper"]),
        _pairs(books, portal, ["gstin", "kind", "key"], ["gstin", "kind", "key"]),
    ]
    frame = pl.concat(frames).unique(["b_idx", "p_idx"], keep="first")
    frame = frame.filter((pl.col("b_fy") != pl.col("p_fy")) & (_date_gap() <= settings.date_window_days))
    if frame.is_empty():
        return empty_candidates()
    return _candidates(
        frame.with_columns(
            pl.lit(BOUNDARY).alias("stage"),
            pl.when(pl.col("b_no_upper") == pl.col("p_no_upper"))
            .then(pl.lit("exact"))
            .otherwise(pl.lit("normalised"))
            .alias("basis"),
            pl.lit(80.0).alias("score"),
            pl.lit(True).alias("review"),
            pl.concat_str(
                pl.lit("the dates fall in different financial years ("),
                pl.col("b_fy"),
                pl.lit(" in books, "),
                pl.col("p_fy"),
                pl.lit(" on the portal); a number is unique only within a year — confirm it is one document"),
            ).alias("review_reason"),
        )
    )


# ---------------------------------------------------------------------------------------------------
# Stage 3: fuzzy numbers within one supplier
# ---------------------------------------------------------------------------------------------------


def fuzzy_candidates(books: pl.DataFrame, portal: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """Same supplier and kind, amounts within tolerance, dates within the window, numbers alike.

    Alike means (docs/reference/matching-practice.md §4): the digit runs are the same numbers and only letters or
    formatting differ (scored with rapidfuzz against ``fuzzy_threshold``), or one side carries only the
    digits of the other ('1045' for 'GST1045'), or two adjacent digits are swapped *and* taxable, tax and
    date agree to the paisa and day. Never on substring alone: 1 vs 11, 40 vs 45, 123 vs 1234 differ.
    """
    frame = _same_amount_pairs(books, portal, settings)
    frame = frame.filter(_within_tolerance(settings) & (_date_gap() <= settings.date_window_days))
    if frame.is_empty():
        return empty_candidates()
    fys = _fys(frame, col="b_fy") + _fys(frame, col="p_fy")
    frame = frame.with_columns(
        runs_expr("b_no_upper", "b_fy", fys).alias("b_runs"),
        runs_expr("p_no_upper", "p_fy", fys).alias("p_runs"),
        pl.col("b_key").str.replace_all(r"[0-9]", "").alias("b_letters"),
        pl.col("p_key").str.replace_all(r"[0-9]", "").alias("p_letters"),
    )
    similarity = process.cpdist(
        frame["b_key"].to_list(), frame["p_key"].to_list(), scorer=fuzz.ratio, workers=1
    )
    frame = frame.with_columns(
        pl.Series("similarity", similarity, dtype=pl.Float64),
        _adjacent_swaps(frame["b_runs"], frame["p_runs"]),
    )
    same_runs = (pl.col("b_runs") == pl.col("p_runs")) & (pl.col("b_runs") != "")
    partial = same_runs & ((pl.col("b_letters") == "") | (pl.col("p_letters") == ""))
    letters = same_runs & (pl.col("similarity") >= settings.fuzzy_threshold)
    swapped = pl.col("adjacent_swap") & _within_tolerance(settings, exact=True)
    swapped = swapped & (_date_gap() == 0)
    frame = frame.with_columns(
        pl.when(letters)
        .then(pl.lit("letters"))
        .when(partial)
        .then(pl.lit("partial"))
        .when(swapped)
        .then(pl.lit("swapped"))
        .alias("kind_of_match")
    ).filter(pl.col("kind_of_match").is_not_null())
    if frame.is_empty():
        return empty_candidates()
    score = (
        pl.when(pl.col("kind_of_match") == "letters")
        .then((pl.col("similarity") * 0.9).round(1))
        .when(pl.col("kind_of_match") == "partial")
        .then(75.0)
        .otherwise(70.0)
    )
    reason = (
        pl.when(pl.col("kind_of_match") == "letters")
        .then(pl.lit("numbers differ only in letters or formatting"))
        .when(pl.col("kind_of_match") == "partial")
        .then(pl.lit("one side carries only the digits of the number"))
        .otherwise(pl.lit("two adjacent digits are swapped; taxable value, tax and date agree exactly"))
    )
    return _candidates(
        frame.with_columns(
            pl.lit(FUZZY).alias("stage"),
            pl.lit("fuzzy").alias("basis"),
            score.alias("score"),
            pl.lit(True).alias("review"),
            pl.concat_str(
                reason,
                pl.lit(" (books "),
                pl.col("b_doc_no"),
                pl.lit(", portal "),
                pl.col("p_doc_no"),
                pl.lit(") — a suggestion to confirm"),
            ).alias("review_reason"),
        )
    )


def _same_amount_pairs(books: pl.DataFrame, portal: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """Pairs of one supplier and kind whose taxable values lie within one bucket of each other.

    Buckets are wider than the tolerance, so every pair within tolerance is in the same or a neighbouring
    bucket; the precise tolerance check follows. This keeps a supplier with many leftovers linear.
    """
    on = ["gstin", "kind", "bucket"]
    # Only the keys are repeated and joined; the pairs' other columns are fetched once they are known.
    b, p = _bucketed(
        books.select("idx", "gstin", "kind", "taxable"), portal.select("idx", *on[:2], "taxable"), settings
    )
    pairs = (
        b.filter(_given(b, on))
        .join(p.filter(_given(p, on)), on=on, how="inner", suffix="_p")
        .select(pl.col("idx").alias("b"), pl.col("idx_p").alias("p"))
    )
    return _with_columns_of(pairs, books, portal)


def _bucketed(
    books: pl.DataFrame, portal: pl.DataFrame, settings: Settings
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Taxable-value buckets wider than the tolerance; books rows repeated into the two neighbours."""
    width = max(tolerance_paise(settings, "taxable"), 1) + 1
    b = books.with_columns((pl.col("taxable") // width).alias("bucket"))
    p = portal.with_columns((pl.col("taxable") // width).alias("bucket"))
    # Three copies stacked: as fast as it gets, and a list per row then exploded costs several times more.
    b = pl.concat([b.with_columns(pl.col("bucket") + step) for step in (-1, 0, 1)])
    return b, p


def _adjacent_swaps(b_runs: pl.Series, p_runs: pl.Series) -> pl.Series:
    """Per pair, whether the digits differ only by one swap of two neighbours (1234 vs 1243, 101 vs 110).

    Judged here in the calling thread, as the similarity is: a Python function inside a polars expression
    runs on polars' worker threads and can hang a server whose sessions share them (recon.present.each).
    """
    b_digits = b_runs.str.replace_all(",", "").to_list()
    p_digits = p_runs.str.replace_all(",", "").to_list()
    swaps = [_is_adjacent_swap(b, p) for b, p in zip(b_digits, p_digits, strict=True)]
    return pl.Series("adjacent_swap", swaps, dtype=pl.Boolean)


def _is_adjacent_swap(a: str | None, b: str | None) -> bool:
    if not a or not b or len(a) != len(b) or a == b:
        return False
    diffs = [i for i in range(len(a)) if a[i] != b[i]]
    return (
        len(diffs) == 2
        and diffs[1] == diffs[0] + 1
        and a[diffs[0]] == b[diffs[1]]
        and a[diffs[1]] == b[diffs[0]]
    )


# ---------------------------------------------------------------------------------------------------
# Stage 4: PAN level — another registration of the same PAN, or a mistyped GSTIN in books
# ---------------------------------------------------------------------------------------------------


def pan_candidates(books: pl.DataFrame, portal: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """Same number key and FY under another GSTIN (docs/reference/matching-practice.md §5). Never auto-accepted.

    * Branch: same PAN, other GSTIN; taxable within tolerance and *total* tax within tolerance, because
      another state's registration charges IGST where books expect CGST + SGST.
    * Typo: books GSTIN fails its check character and is one or two characters from the portal's;
      taxable and every head within tolerance.
    """
    total_limit = max(tolerance_paise(settings, h) for h in AMOUNTS[1:])
    branch = _pairs(books, portal, ["pan", "kind", "key", "fy"], ["pan", "kind", "key", "fy"])
    branch = branch.filter(
        (pl.col("b_gstin") != pl.col("p_gstin"))
        & ((pl.col("p_taxable") - pl.col("b_taxable")).abs() <= tolerance_paise(settings, "taxable"))
        & ((_total_tax("p") - _total_tax("b")).abs() <= total_limit)
    ).with_columns(
        pl.lit(80.0).alias("score"),
        pl.lit("the same PAN, another GSTIN (another registration of this supplier)").alias("why"),
    )
    # Across all GSTINs a short key (INV1) is common, so the typo search also blocks on the taxable
    # bucket: the amounts must agree anyway.
    mistyped, portal_buckets = _bucketed(books.filter(~pl.col("gstin_valid")), portal, settings)
    typo = _pairs(
        mistyped, portal_buckets, ["kind", "key", "fy", "bucket"], ["kind", "key", "fy", "bucket"]
    ).filter((pl.col("b_gstin") != pl.col("p_gstin")) & _within_tolerance(settings))
    typo = typo.filter(_hamming_at_most_two(pl.col("b_gstin"), pl.col("p_gstin"))).with_columns(
        pl.lit(75.0).alias("score"),
        pl.lit(
            "the books GSTIN fails its check character and is one or two characters from the portal's"
        ).alias("why"),
    )
    frame = pl.concat([branch, typo.select(branch.columns)]).unique(["b_idx", "p_idx"], keep="first")
    if frame.is_empty():
        return empty_candidates()
    return _candidates(
        frame.with_columns(
            pl.lit(PAN).alias("stage"),
            pl.lit("pan").alias("basis"),
            pl.lit(True).alias("review"),
            pl.concat_str(
                pl.lit("paired at PAN level: "),
                pl.col("why"),
                pl.lit(" — fix the GSTIN in books, or ask the supplier to correct the registration"),
            ).alias("review_reason"),
        )
    )


def _total_tax(side: str) -> pl.Expr:
    return pl.sum_horizontal([pl.col(f"{side}_{h}") for h in AMOUNTS[1:]])


def _hamming_at_most_two(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """Both 15 characters and at most two positions differ."""
    same_length = (a.str.len_chars() == 15) & (b.str.len_chars() == 15)
    differing = pl.sum_horizontal([(a.str.slice(i, 1) != b.str.slice(i, 1)).cast(pl.Int8) for i in range(15)])
    return same_length & (differing <= 2)
