"""Second looks at pairs whose amounts do not agree: is another document the better partner?

A number is a key, not proof (docs/reference/matching-practice.md §3): a pair made on the number whose
amounts are unrelated may be the wrong document, and a Reject suggested on it would reject a genuine
invoice. Three checks, each on the few pairs whose amounts disagree:

* :func:`prefer_agreeing_registration` — after the number stage: among documents of one PAN with the same
  number, the one whose date and amounts agree wins over a same-GSTIN document with unrelated amounts
  (another registration of the supplier, §5); the pair it makes is still a PAN-level suggestion to confirm.
* :func:`drop_extra_copies` — after the number stage: a second booking of one invoice (§9) keeps a pair
  only when the amounts agree; otherwise it is the duplicate, and the portal document stays free.
* :func:`flag_better_candidates` — after every stage: a pair whose amounts disagree while a document no
  pair took (same PAN and kind) agrees with it in date and amounts is marked for review, so no action is
  suggested until a person has looked.

"Agree" is one definition throughout: taxable value within its tolerance and total tax within the largest
head tolerance (total, because another registration charges IGST where books expect CGST + SGST), and for
candidates the dates within ``date_window_days``.
"""

from __future__ import annotations

import polars as pl

from recon import present
from recon.match import assign, block
from recon.match.block import AMOUNTS, CANDIDATE_SCHEMA, tolerance_paise
from recon.match.settings import Settings

_PAN_KEY = ["pan", "kind", "key", "fy"]
_DUPLICATE_KEY = ["gstin", "kind", "key", "fy"]


def amounts_agree(b_prefix: str, p_prefix: str, settings: Settings) -> pl.Expr:
    """Taxable value and total tax of the two documents within tolerance (columns ``<prefix><head>``)."""
    total_limit = max(tolerance_paise(settings, h) for h in AMOUNTS[1:])
    taxable_gap = (pl.col(f"{p_prefix}taxable") - pl.col(f"{b_prefix}taxable")).abs()
    tax_gap = (_total_tax(p_prefix) - _total_tax(b_prefix)).abs()
    return (taxable_gap <= tolerance_paise(settings, "taxable")) & (tax_gap <= total_limit)


def _total_tax(prefix: str) -> pl.Expr:
    return pl.sum_horizontal([pl.col(f"{prefix}{h}") for h in AMOUNTS[1:]])


def _dates_agree(settings: Settings) -> pl.Expr:
    gap = (pl.col("p_date") - pl.col("b_date")).dt.total_days().abs()
    return (gap <= settings.date_window_days).fill_null(False)


def _pair_amounts(pairs: pl.DataFrame, books: pl.DataFrame, portal: pl.DataFrame) -> pl.DataFrame:
    """The pairs' amounts as ``b_<head>`` / ``p_<head>`` (``books``/``portal``: whole work frames)."""
    return pl.concat(
        [
            books.select(pl.col(AMOUNTS).gather(pairs["b"]).name.prefix("b_")),
            portal.select(pl.col(AMOUNTS).gather(pairs["p"]).name.prefix("p_")),
        ],
        how="horizontal",
    )


def disagreeing(
    pairs: pl.DataFrame, books: pl.DataFrame, portal: pl.DataFrame, settings: Settings
) -> pl.Series:
    """Per pair (``b``, ``p`` positions in the whole work frames): its amounts do not agree."""
    amounts = _pair_amounts(pairs, books, portal)
    return amounts.select(~amounts_agree("b_", "p_", settings)).to_series()


# ---------------------------------------------------------------------------------------------------
# After the number stage: another registration of the same PAN
# ---------------------------------------------------------------------------------------------------


def prefer_agreeing_registration(
    chosen: pl.DataFrame,
    books: pl.DataFrame,
    portal: pl.DataFrame,
    books_pool: pl.DataFrame,
    portal_pool: pl.DataFrame,
    forbidden: pl.DataFrame,
    settings: Settings,
) -> pl.DataFrame:
    """The number stage's ``chosen`` pairs, where a same-PAN document that agrees takes a document's place.

    A pair whose amounts disagree gives way when one of its documents has a document of the same PAN,
    kind, number key and FY under another GSTIN, free or in another such pair, whose date and amounts
    agree with it. The agreeing pairs are chosen first (one-to-one), then the disagreeing pairs that still
    can be; a document so left without a partner stays for the later stages.
    """
    if not settings.pan_matching:
        return chosen
    apart_rows = disagreeing(chosen, books, portal, settings)
    apart = chosen.filter(apart_rows)
    if apart.is_empty():
        return chosen
    kept = chosen.filter(~apart_rows)
    rivals = _registration_rivals(kept, apart, books, portal, books_pool, portal_pool, settings)
    if forbidden.height:
        rivals = rivals.join(forbidden, on=["b", "p"], how="anti")
    if rivals.is_empty():
        return chosen
    ranked = assign.rank(rivals.select(list(CANDIDATE_SCHEMA)), books_pool, portal_pool)
    settled = assign.greedy(pl.concat([ranked, apart]))
    settled = _with_rival_reasons(settled, rivals, apart, books, portal)
    return pl.concat([kept, settled])


def _registration_rivals(
    kept: pl.DataFrame,
    apart: pl.DataFrame,
    books: pl.DataFrame,
    portal: pl.DataFrame,
    books_pool: pl.DataFrame,
    portal_pool: pl.DataFrame,
    settings: Settings,
) -> pl.DataFrame:
    """Agreeing same-PAN pairs under another GSTIN with one document from a disagreeing pair.

    ``kept``: the pairs that stay, whose documents are taken. Carries ``rival_of`` ("b" when the books
    document leaves its pair, "p" when the portal one does) for the reason. Only the documents sharing a
    disagreeing pair's PAN, kind, number key and FY are joined, never the whole pools.
    """
    keys = pl.concat(
        [
            books.select(pl.col(_PAN_KEY).gather(apart["b"])),
            portal.select(pl.col(_PAN_KEY).gather(apart["p"])),
        ]
    ).unique()

    def open_documents(pool: pl.DataFrame, taken: pl.Series) -> pl.DataFrame:
        # The keys first: they leave a few rows a side, and only those are checked against the taken ones.
        found = pool.select(_PAN_KEY).with_row_index("_at").join(keys, on=_PAN_KEY, how="semi")
        rows = pool.select(c for c in block.BLOCK_COLUMNS if c in pool.columns).select(
            pl.all().gather(found["_at"])
        )
        return rows.filter(~pl.col("idx").is_in(taken.implode()))

    frame = block.pairs_on(
        open_documents(books_pool, kept["b"]), open_documents(portal_pool, kept["p"]), _PAN_KEY, _PAN_KEY
    )
    from_pair_b = pl.col("b_idx").is_in(apart["b"].implode())
    from_pair_p = pl.col("p_idx").is_in(apart["p"].implode())
    frame = frame.filter(
        (pl.col("b_gstin") != pl.col("p_gstin"))
        & (from_pair_b | from_pair_p)
        & amounts_agree("b_", "p_", settings)
        & _dates_agree(settings)
    )
    return frame.select(
        pl.col("b_idx").alias("b"),
        pl.col("p_idx").alias("p"),
        pl.lit(block.PAN, pl.Int8).alias("stage"),
        pl.lit("pan").alias("basis"),
        pl.lit(80.0).alias("score"),
        pl.lit(True).alias("review"),
        pl.lit(None, pl.String).alias("review_reason"),
        pl.when(from_pair_b).then(pl.lit("b")).otherwise(pl.lit("p")).alias("rival_of"),
    )


def _with_rival_reasons(
    settled: pl.DataFrame,
    rivals: pl.DataFrame,
    apart: pl.DataFrame,
    books: pl.DataFrame,
    portal: pl.DataFrame,
) -> pl.DataFrame:
    """The review reason of each agreeing pair that was chosen: which same-GSTIN document it beat, and why."""
    won = settled.join(rivals.select("b", "p", "rival_of"), on=["b", "p"], how="inner")
    if won.is_empty():
        return settled
    won = won.with_columns(
        (portal["date"].gather(won["p"]) - books["date"].gather(won["b"])).dt.total_days().abs().alias("_gap")
    )
    # The document of the disagreeing pair that lost its partner, and that partner's amounts.
    by_books = won.filter(pl.col("rival_of") == "b").join(
        apart.select("b", pl.col("p").alias("lost")), on="b"
    )
    by_portal = won.filter(pl.col("rival_of") == "p").join(
        apart.select("p", pl.col("b").alias("lost")), on="p"
    )
    said = pl.concat(
        [
            _rival_reason(by_books, portal, "the portal's document", "under the books GSTIN"),
            _rival_reason(by_portal, books, "your books' entry", "under the portal's GSTIN"),
        ]
    )
    return (
        settled.join(said, on=["b", "p"], how="left")
        .with_columns(pl.coalesce(pl.col("_reason"), pl.col("review_reason")).alias("review_reason"))
        .select(list(CANDIDATE_SCHEMA))
    )


def _rival_reason(won: pl.DataFrame, side: pl.DataFrame, whose: str, where: str) -> pl.DataFrame:
    lost = side.select(pl.col("doc_no", "taxable").gather(won["lost"]))
    gap = pl.col("_gap")
    dates = (
        pl.when(gap == 0)
        .then(pl.lit("the same date"))
        .otherwise(pl.concat_str(pl.lit("dates "), gap.cast(pl.String), pl.lit(" days apart")))
    )
    return pl.concat([won.select("b", "p", "_gap"), lost], how="horizontal").select(
        "b",
        "p",
        pl.concat_str(
            pl.lit(
                "the same number under another registration of this supplier (same PAN) has the same "
                "amounts and "
            ),
            dates,
            pl.lit(f", while {whose} "),
            pl.col("doc_no"),
            pl.lit(f" {where} has unrelated amounts (taxable "),
            present.rupees_expr(pl.col("taxable")),
            pl.lit(") — fix the GSTIN in books, or ask the supplier which registration billed it"),
        ).alias("_reason"),
    )


# ---------------------------------------------------------------------------------------------------
# After the number stage: a second booking of one invoice
# ---------------------------------------------------------------------------------------------------


def drop_extra_copies(
    chosen: pl.DataFrame, manual: pl.DataFrame, books: pl.DataFrame, portal: pl.DataFrame, settings: Settings
) -> pl.DataFrame:
    """The number stage's ``chosen`` pairs less those of extra copies of a double booking that disagree.

    Copies of one invoice share GSTIN, kind, number key and FY (docs/reference/matching-practice.md §9). Per group, the pair that agrees (else
    the earliest row's) stays; another copy keeps its pair only when its amounts agree too, so a
    double-booked copy never takes a different portal document of unrelated amount. Manual links always
    stay and count as the group's kept pair.
    """
    in_group = books.select(pl.col("in_duplicate_group").gather(chosen["b"])).to_series()
    if not in_group.any():
        return chosen
    copies = chosen.filter(in_group).select("b", "p", pl.lit(False).alias("_manual"))
    linked = manual.select("b", "p").filter(
        books.select(pl.col("in_duplicate_group").gather(manual["b"])).to_series()
    )
    members = pl.concat([copies, linked.with_columns(pl.lit(True).alias("_manual"))])
    members = pl.concat(
        [
            members,
            books.select(pl.col(*_DUPLICATE_KEY, "first_row", "doc_id").gather(members["b"])),
            members.select(disagreeing(members, books, portal, settings).alias("_apart")),
        ],
        how="horizontal",
    )
    ranked = members.sort(
        ["_manual", "_apart", "first_row", "doc_id"], descending=[True, False, False, False], nulls_last=True
    )
    extra = ranked.filter(
        ~pl.col("_manual") & pl.col("_apart") & (pl.int_range(pl.len()).over(_DUPLICATE_KEY) > 0)
    )
    if extra.is_empty():
        return chosen
    return chosen.join(extra.select("b", "p"), on=["b", "p"], how="anti")


# ---------------------------------------------------------------------------------------------------
# After every stage: a better candidate among the documents no pair took
# ---------------------------------------------------------------------------------------------------


def flag_better_candidates(
    pairs: pl.DataFrame,
    books: pl.DataFrame,
    portal: pl.DataFrame,
    unpaired: dict[str, pl.DataFrame],
    settings: Settings,
) -> pl.DataFrame:
    """``pairs`` with ``review`` set, and the candidate named, where a better partner was left unpaired.

    For a pair whose amounts disagree (not a manual link, not already a suggestion to confirm): a document
    no pair took, of the same PAN (the same GSTIN when PAN matching is off) and kind and not one that never enters IMS, whose date and amounts agree
    with the pair's document on the other side. The closest such document (date, then amounts, then id)
    is named in the reason.
    """
    open_pairs = pairs.filter((pl.col("stage") > 0) & ~pl.col("review"))
    apart = open_pairs.filter(disagreeing(open_pairs, books, portal, settings)).select("b", "p")
    if apart.is_empty():
        return pairs
    found = pl.concat(
        [
            _better_for("b", apart, books, portal, unpaired["p"]["idx"], settings),
            _better_for("p", apart, books, portal, unpaired["b"]["idx"], settings),
        ]
    )
    if found.is_empty():
        return pairs
    best = found.sort(["b", "p", "_date_gap", "_amount_gap", "_doc_id"]).unique(
        ["b", "p"], keep="first", maintain_order=True
    )
    flagged = pairs.join(best.select("b", "p", "_reason"), on=["b", "p"], how="left")
    return flagged.with_columns(
        (pl.col("review") | pl.col("_reason").is_not_null()).alias("review"),
        pl.coalesce(pl.col("_reason"), pl.col("review_reason")).alias("review_reason"),
    ).select(pairs.columns)


def _better_for(
    own: str,
    apart: pl.DataFrame,
    books: pl.DataFrame,
    portal: pl.DataFrame,
    free: pl.Series,
    settings: Settings,
) -> pl.DataFrame:
    """For the pairs' ``own``-side documents, the free documents of the other side that agree with them."""
    mine, theirs = (books, portal) if own == "b" else (portal, books)
    columns = ["idx", "pan", "kind", "date", "doc_id", "doc_no", "gstin", *AMOUNTS]
    left = mine.select(pl.col(columns).gather(apart[own])).with_columns(
        apart["b"].alias("_b"), apart["p"].alias("_p")
    )
    # A document that never enters IMS (reverse charge, ISD ...) is no partner for an IMS record.
    right = theirs.select(pl.col(columns).gather(free), pl.col("not_in_ims").gather(free))
    right = right.filter(pl.col("not_in_ims").is_null()).drop("not_in_ims")
    if right.is_empty():
        return pl.DataFrame(schema=_BETTER_SCHEMA)
    other = "p" if own == "b" else "b"
    # With PAN matching switched off, the supplier's other registrations are not candidates either.
    supplier = "pan" if settings.pan_matching else "gstin"
    # Blocked on the taxable value's bucket as well as PAN and kind: a supplier with thousands of open
    # documents would otherwise be compared all against all. A bucket is wider than the tolerance, so
    # agreeing documents share one or sit in neighbouring ones (the left side is repeated into both).
    width = max(tolerance_paise(settings, "taxable"), 1) + 1
    left = pl.concat(
        [left.with_columns((pl.col("taxable") // width + step).alias("_bucket")) for step in (-1, 0, 1)]
    )
    right = right.with_columns((pl.col("taxable") // width).alias("_bucket"))
    joined = left.rename({c: f"{own}_{c}" for c in columns}).join(
        right.rename({c: f"{other}_{c}" for c in columns}),
        left_on=[f"{own}_{supplier}", f"{own}_kind", "_bucket"],
        right_on=[f"{other}_{supplier}", f"{other}_kind", "_bucket"],
        how="inner",
        coalesce=False,  # both sides' GSTINs are read below, whichever column was joined on
    )
    joined = joined.filter(amounts_agree("b_", "p_", settings) & _dates_agree(settings))
    where = "IMS document" if other == "p" else "book entry"
    agrees_with = "your books' entry" if other == "p" else "this IMS record"
    amount_gap = pl.sum_horizontal([(pl.col(f"p_{h}") - pl.col(f"b_{h}")).abs() for h in AMOUNTS])
    return joined.select(
        pl.col("_b").alias("b"),
        pl.col("_p").alias("p"),
        (pl.col("p_date") - pl.col("b_date")).dt.total_days().abs().alias("_date_gap"),
        amount_gap.alias("_amount_gap"),
        pl.col(f"{other}_doc_id").alias("_doc_id"),
        pl.concat_str(
            pl.lit(f"a better candidate is unpaired: the {where} "),
            pl.col(f"{other}_doc_no"),
            pl.lit(" of "),
            pl.col(f"{other}_gstin"),
            pl.lit(" dated "),
            pl.col(f"{other}_date").dt.strftime("%d-%m-%Y"),
            pl.lit(" ("),
            _days_from(agrees_with),
            pl.lit(")"),
            pl.lit(
                f" has the amounts of {agrees_with}, where this pair's amounts differ — "
                "check which document this is before acting"
            ),
        ).alias("_reason"),
    )


def _days_from(whose: str) -> pl.Expr:
    """'the same date as <whose>' or 'N days from <whose>' (the candidate is within the date window)."""
    gap = (pl.col("p_date") - pl.col("b_date")).dt.total_days().abs()
    return (
        pl.when(gap == 0)
        .then(pl.lit(f"the same date as {whose}"))
        .otherwise(pl.concat_str(gap.cast(pl.String), pl.lit(f" days from {whose}")))
    )


_BETTER_SCHEMA = {
    "b": pl.UInt32,
    "p": pl.UInt32,
    "_date_gap": pl.Int64,
    "_amount_gap": pl.Int64,
    "_doc_id": pl.String,
    "_reason": pl.String,
}
