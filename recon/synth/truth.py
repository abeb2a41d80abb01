"""The ground truth of a generated corpus: what a correct reconciliation concludes about each case,
against IMS and against GSTR-2B, keyed by the doc_ids the readers give the generated files."""

from __future__ import annotations

import polars as pl

from recon import model
from recon.normalise import fy_of
from recon.synth import portal
from recon.synth.documents import PortalDoc

TRUTH_SCHEMA = {
    "books_doc_id": pl.String,
    "portal_doc_id": pl.String,  # the IMS document
    "gstr2b_doc_id": pl.String,  # the same document in GSTR-2B, when it is there
    "defect": pl.String,
    "expected_category": pl.String,  # matched | mismatched | ims_only | books_only; null: not an IMS doc
    # Fields a correct engine reports as different: beyond the ₹1 tolerance for amounts (rounding within
    # it is not listed), any difference for dates and GSTINs.
    "expected_differences": pl.List(pl.String),
    # The same books reconciled against GSTR-2B instead (the engine's names: ims_only = only on the portal).
    "expected_category_2b": pl.String,
    "duplicate_of": pl.String,
    "not_in_ims_reason": pl.String,
    "detail": pl.String,
}


def truth_frame(links, ordered, books, ims_docs, ims, twob_docs, gstr2b) -> pl.DataFrame:
    """One row per case (``links``), with the doc_ids of its books entry and its IMS and 2B documents."""
    book_ids = dict(zip(map(id, ordered), books.get_column("doc_id").to_list(), strict=True))
    ims_ids = dict(zip(map(id, ims_docs), _portal_ids_in_doc_order(ims_docs, ims, "ims"), strict=True))
    twob_ids = dict(
        zip(map(id, twob_docs), _portal_ids_in_doc_order(twob_docs, gstr2b, "gstr2b"), strict=True)
    )
    rows = []
    for link in links:
        doc_key = id(link.doc) if link.doc is not None else None
        rows.append(
            {
                "books_doc_id": book_ids[id(link.book)] if link.book is not None else None,
                "portal_doc_id": ims_ids.get(doc_key),
                "gstr2b_doc_id": twob_ids.get(doc_key),
                "defect": link.defect,
                "expected_category": link.category,
                "expected_differences": list(link.differences),
                "duplicate_of": book_ids[id(link.duplicate_of)] if link.duplicate_of is not None else None,
                "not_in_ims_reason": link.reason,
                "detail": link.detail,
            }
        )
    return with_2b_categories(
        pl.DataFrame(rows, schema={k: v for k, v in TRUTH_SCHEMA.items() if k != "expected_category_2b"})
    )


def with_2b_categories(truth: pl.DataFrame) -> pl.DataFrame:
    """expected_category_2b from the IMS truth: 2B holds only filed, not-pending documents, plus the
    documents IMS never sees (reverse charge pairs with its booking there; ISD and imports stand alone)."""
    in_books, in_2b = pl.col("books_doc_id").is_not_null(), pl.col("gstr2b_doc_id").is_not_null()
    paired = pl.col("expected_category").is_in(["matched", "mismatched"])
    category = (
        pl.when(in_books & in_2b)
        .then(pl.when(paired).then(pl.col("expected_category")).otherwise(pl.lit("matched")))
        .when(in_books)
        .then(pl.lit("books_only"))
        .when(in_2b)
        .then(pl.lit("ims_only"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return truth.with_columns(category.alias("expected_category_2b")).select(TRUTH_SCHEMA.keys())


def _portal_ids_in_doc_order(docs: list[PortalDoc], frame: pl.DataFrame, source: str) -> list[str]:
    """doc_ids of ``docs`` (the frame's row order follows the file's sections, not generation order)."""
    ids = []
    for doc in docs:
        section = portal.ims_section(doc) if source == "ims" else portal.gstr2b_section(doc)
        ids.append(
            model.make_doc_id(
                source,
                doc.supplier.gstin if doc.supplier else None,
                doc.doc_kind,
                doc.doc_no,
                fy_of(doc.doc_date),
                section=section,
            )
        )
    known = set(frame.get_column("doc_id").to_list())
    missing = [i for i in ids if i not in known]
    if missing:
        raise AssertionError(f"{len(missing)} generated {source} documents missing from the frame")
    return ids
