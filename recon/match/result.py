"""The result table: one row per pair or leftover, pointing at canonical documents by doc_id.

Amounts and identities are never copied here; views join back to the documents (``recon.match.view``).
"""

from __future__ import annotations

import polars as pl

CATEGORIES = ("matched", "mismatched", "ims_only", "books_only")
CATEGORY_LABELS = {
    "matched": "Matched with ITC",
    "mismatched": "Mismatched with ITC",
    "ims_only": "Not found in ITC",
    "books_only": "New invoice in ITC",
}
BASES = ("exact", "normalised", "fuzzy", "pan", "manual")

DIFFERENCE = pl.Struct(
    {"field": pl.String, "books": pl.String, "portal": pl.String, "difference": pl.Float64}
)

RESULT_SCHEMA: dict[str, pl.DataType] = {
    "result_id": pl.String,  # stable: derived from the doc ids it holds
    "category": pl.String,  # one of CATEGORIES
    "books_doc_id": pl.String,  # null for ims_only
    "portal_doc_id": pl.String,  # null for books_only
    "basis": pl.String,  # one of BASES; null for leftovers
    "score": pl.Float64,  # 0-100: how sure the pairing is (100 exact)
    "differences": pl.List(DIFFERENCE),  # each differing field, both values, portal minus books
    "differences_text": pl.String,  # the same in words
    "explanation": pl.String,  # a sentence a consultant can read aloud
    "nearest_doc_id": pl.String,  # leftovers: the closest candidate on the other side
    "nearest_reason": pl.String,  # leftovers: why it was not taken
    "duplicate_of": pl.String,  # books: doc_id of the twin this entry duplicates
    "not_in_ims_reason": pl.String,  # reverse charge, ISD, import, ITC not available ...; null if IMS
    "needs_review": pl.Boolean,  # fuzzy/PAN suggestion to confirm, or supplier changed a decided doc
    "review_reason": pl.String,
    "suggested_action": pl.String,  # A / R / P / N for portal documents; null for books_only
    "action_reason": pl.String,
    "action_warnings": pl.List(pl.String),
}


def empty_results() -> pl.DataFrame:
    return pl.DataFrame(schema=RESULT_SCHEMA)
