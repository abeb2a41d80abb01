"""Assignment: from candidate pairs, choose one-to-one pairs by best evidence.

The order of evidence is total and uses only stable facts, so shuffling the input rows changes nothing:
stage (exact before normalised before fuzzy ...), score, then the smaller amount gap, the nearer date,
the earlier spreadsheet row (a double booking pairs through its first copy), then the doc ids.

The choice equals the classic greedy "take the best remaining pair, drop its rows, repeat", computed in
rounds: every pair that is the best for both of its documents is taken at once (the best remaining pair
always is), then the rest is ranked again. Rounds are vectorised; a long chain of rivals falls back to the
plain greedy loop on what is left (small by then).
"""

from __future__ import annotations

import polars as pl

from recon.match.block import AMOUNTS, CANDIDATE_SCHEMA

_VECTOR_ROUNDS = 8


def rank(candidates: pl.DataFrame, books: pl.DataFrame, portal: pl.DataFrame) -> pl.DataFrame:
    """Candidates sorted best first, with the tie-breaking facts that make the order total."""
    # Only the candidates' documents: a left join would otherwise hash every row of the whole pool.
    # Columns picked before rows: an eager filter copies every column of the frame.
    books = books.select("idx", "doc_id", "first_row", "date", *AMOUNTS)
    portal = portal.select("idx", "doc_id", "date", *AMOUNTS)
    books = books.filter(pl.col("idx").is_in(candidates["b"].implode()))
    portal = portal.filter(pl.col("idx").is_in(candidates["p"].implode()))
    b = books.select(
        pl.col("idx").alias("b"),
        pl.col("doc_id").alias("_b_id"),
        pl.col("first_row").alias("_b_row"),
        pl.col("date").alias("_b_date"),
        *[pl.col(h).alias(f"_b_{h}") for h in AMOUNTS],
    )
    p = portal.select(
        pl.col("idx").alias("p"),
        pl.col("doc_id").alias("_p_id"),
        pl.col("date").alias("_p_date"),
        *[pl.col(h).alias(f"_p_{h}") for h in AMOUNTS],
    )
    frame = candidates.join(b, on="b", how="left").join(p, on="p", how="left")
    amount_gap = pl.sum_horizontal([(pl.col(f"_p_{h}") - pl.col(f"_b_{h}")).abs() for h in AMOUNTS])
    date_gap = (pl.col("_p_date") - pl.col("_b_date")).dt.total_days().abs().fill_null(9999)
    frame = frame.with_columns(amount_gap.alias("_amount_gap"), date_gap.alias("_date_gap"))
    return frame.sort(
        ["stage", "score", "_amount_gap", "_date_gap", "_b_row", "_b_id", "_p_id"],
        descending=[False, True, False, False, False, False, False],
        nulls_last=True,
        maintain_order=True,
    ).select(list(CANDIDATE_SCHEMA))


def one_to_one(candidates: pl.DataFrame, books: pl.DataFrame, portal: pl.DataFrame) -> pl.DataFrame:
    """The chosen pairs: each books and each portal document at most once."""
    if candidates.is_empty():
        return candidates
    # Most documents have exactly one candidate whose document has no rival: nothing to rank.
    alone = candidates.select(
        ~pl.col("b").is_in(repeated(candidates["b"]).implode())
        & ~pl.col("p").is_in(repeated(candidates["p"]).implode())
    ).to_series()
    chosen = [candidates.filter(alone)]  # worked out once for both filters
    # A pair found twice (by two strategies of one stage) has rivals, so only these rows can repeat one.
    rivals = candidates.filter(~alone).unique(["b", "p"], keep="first", maintain_order=True)
    remaining = rank(rivals, books, portal)
    for _ in range(_VECTOR_ROUNDS):
        if remaining.is_empty():
            break
        mutual = remaining.filter(pl.col("b").is_first_distinct() & pl.col("p").is_first_distinct())
        chosen.append(mutual)
        remaining = remaining.filter(
            ~pl.col("b").is_in(mutual["b"].implode()) & ~pl.col("p").is_in(mutual["p"].implode())
        )
    if not remaining.is_empty():
        chosen.append(greedy(remaining))
    return pl.concat(chosen)


def repeated(values: pl.Series) -> pl.Series:
    """The values that occur more than once (each at least once).

    Sorted, a repeat sits next to its twin: twice as fast as counting a window over a million values.
    """
    ordered = values.sort()
    return ordered.filter((ordered == ordered.shift(1)) | (ordered == ordered.shift(-1)))


def greedy(ranked: pl.DataFrame) -> pl.DataFrame:
    """Plain greedy over a best-first frame: keep a pair when neither document is taken yet."""
    taken_b: set[int] = set()
    taken_p: set[int] = set()
    keep = []
    for b, p in zip(ranked["b"].to_list(), ranked["p"].to_list(), strict=True):
        ok = b not in taken_b and p not in taken_p
        keep.append(ok)
        if ok:
            taken_b.add(b)
            taken_p.add(p)
    return ranked.filter(pl.Series(keep, dtype=pl.Boolean))
