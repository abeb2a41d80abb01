"""Kinds of result rows: rows that read the same values in every suggestion rule.

The suggestion rules run once per kind and the answer is copied to every row of that kind.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from recon.actions.facts import BOOKS_FACTS, HEADS, SUGGEST_PORTAL_FACTS, gathered, needs_pair_confirmation

# The portal facts the rules read as they are: all but the tax heads (read only on mismatches).
# What the rules read of a mismatch's amounts, differences and basis: rows equal in these are of one kind.
FINDINGS = ("_error_kind", "_date_only", "_evidence", "_doubt")
_PROFILE_PORTAL_FACTS = tuple(c for c in SUGGEST_PORTAL_FACTS if c not in HEADS)


# Likewise the books facts, which the rules read only through fact: where the portal document lacks its own.
_FALLBACK_FACTS = tuple(c for c in BOOKS_FACTS if c not in HEADS)


# The result columns the rules read only for a pair still to confirm (_situation's "Suggested pair").
_CONFIRM_INPUTS = ("basis", "score", "review_reason")


def kinds(
    results: pl.DataFrame,
    books: pl.DataFrame,
    portal: pl.DataFrame,
    books_rows: pl.Series,
    portal_rows: pl.Series,
    mismatched: pl.Series,
    findings: pl.DataFrame,
) -> tuple[pl.Series, pl.Series]:
    """Per result row the number of its kind, and whether it is the first row of its kind.

    Rows are of one kind when every value the rules read is equal, or differs only where the rules
    cannot tell: amounts, differences and basis are read only through the ``findings`` (supplier error,
    date only, the evidence for a Reject) and only on mismatches (whose first sentence is built row by
    row); basis, score and review reason only on pairs to confirm; the books' fy and kind only where the
    portal lacks them.
    """
    read = results.select(
        "category", pl.col("portal_doc_id").is_null(), "not_in_ims_reason", needs_pair_confirmation()
    )
    confirm = read.to_series(3).fill_null(False)
    key = _combined(
        [
            *_label_codes(read),
            _code_where(confirm, results.select(_CONFIRM_INPUTS).filter(confirm)),
            _code_where(mismatched, findings.select(FINDINGS)),
            _profile_code(portal.select(_PROFILE_PORTAL_FACTS), portal_rows),
            _fallback_code(books, portal, books_rows, portal_rows),
        ]
    )
    first = key.is_first_distinct()
    numbered = key.filter(first).to_frame("key").with_row_index("kind")
    kind = key.to_frame("key").join(numbered, on="key", how="left", maintain_order="left")
    return kind.get_column("kind"), first


def _code(values: pl.Series) -> pl.Series:
    """A number per row, equal exactly where the values are."""
    if values.dtype == pl.String:
        # Ranking sorts the text; hashes rank faster and are as exact when no two values share one.
        hashed = values.hash()
        if hashed.n_unique() == values.n_unique():
            values = hashed
    return values.rank("dense").fill_null(0).cast(pl.UInt64)


def _label_codes(frame: pl.DataFrame) -> list[pl.Series]:
    """Per column of few values (categories, flags), a number per row, equal exactly where the values are.

    0 for null. A categorical's codes are exact and cost a hash per row, not a sort (a column of many
    values would swell the process-wide categories, hence few values). The columns are coded side by side.
    """

    def code(name: str, dtype: pl.DataType) -> pl.Expr:
        if dtype == pl.String:
            return pl.col(name).cast(pl.Categorical).to_physical().cast(pl.UInt64) + 1
        if dtype == pl.Boolean:
            return pl.col(name).cast(pl.UInt64) + 1
        return pl.col(name).rank("dense").cast(pl.UInt64)

    return frame.select(code(n, t).fill_null(0) for n, t in frame.schema.items()).get_columns()


def _combined(codes: Iterable[pl.Series]) -> pl.Series:
    """One number per row, equal exactly where every code is (codes from 0 up)."""
    key, size = None, 1
    for code in codes:
        span = _size(code)
        if key is None:
            key, size = code, span
            continue
        if size * span >= 2**64:
            # Renumbered densely so the product fits in 64 bits (a few thousand kinds: seldom needed).
            key = _code(key)
            size = _size(key)
            if size * span >= 2**64:
                code = _code(code)
                span = _size(code)
        key, size = key * span + code, size * span
    assert key is not None
    return key


def _size(code: pl.Series) -> int:
    return int(code.max() or 0) + 1


def _code_where(where: pl.Series, values: pl.DataFrame, *, labels: bool = False) -> pl.Series:
    """The combined code of ``values`` (the rows ``where`` holds) from 1 there, 0 on every other row.

    Worked out on those rows alone: the values are many, but the rules read them only there. ``labels``:
    the values are columns of few values (see :func:`_label_codes`).
    """
    codes = _label_codes(values) if labels else [_code(s) for s in values.iter_columns()]
    part = _combined(codes)
    return pl.zeros(where.len(), pl.UInt64, eager=True).scatter(where.arg_true(), part + 1)


def _profile_code(facts: pl.DataFrame, rows: pl.Series) -> pl.Series:
    """Per result row, the code of its document's ``facts`` (0 when there is no document)."""
    present = rows.is_not_null()
    if present.sum() * 2 < facts.height:
        # Rows holding few of the documents (the engine suggests for each part of the results on its
        # own): coding only those documents beats coding the whole download.
        return _code_where(present, facts.select(pl.all().gather(rows.filter(present))), labels=True)
    profile = _combined(_label_codes(facts))
    # Shifted by one so a document whose facts are all null stays apart from no document.
    return (profile + 1).rechunk().gather(rows).fill_null(0)


def _fallback_code(
    books: pl.DataFrame, portal: pl.DataFrame, books_rows: pl.Series, portal_rows: pl.Series
) -> pl.Series:
    """Per result row, the code of its books document's _FALLBACK_FACTS where the rules read them, else 0."""
    lacking = portal.select(pl.any_horizontal(pl.col(_FALLBACK_FACTS).is_null())).to_series()
    read = lacking.gather(portal_rows).fill_null(True)
    return _code_where(read, gathered(books, "b_", _FALLBACK_FACTS, books_rows.filter(read)))
