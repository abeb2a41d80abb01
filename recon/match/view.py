"""The flat table the grid, the CSV and the working paper show: result columns + both documents' columns.

Results point at documents by doc_id and never copy them (recon.match.result); this view joins them back
once, for display and export. Columns: every RESULT_SCHEMA column, then ``books_<col>`` and
``portal_<col>`` for every canonical document column (``books_doc_id``/``portal_doc_id`` are the keys).
"""

from __future__ import annotations

import polars as pl

from recon import model


def _prefixed(docs: pl.DataFrame, prefix: str) -> pl.DataFrame:
    if list(docs.columns) != list(model.COLUMNS):
        docs = model.conform(docs)
    return docs.rename({c: f"{prefix}_{c}" for c in docs.columns})


def joined(results: pl.DataFrame, books: pl.DataFrame, portal: pl.DataFrame) -> pl.DataFrame:
    """Result rows in their order, each with its books and portal document columns (null when absent)."""
    books_cols = _prefixed(books, "books").unique("books_doc_id", keep="first", maintain_order=True)
    portal_cols = _prefixed(portal, "portal").unique("portal_doc_id", keep="first", maintain_order=True)
    return results.join(books_cols, on="books_doc_id", how="left", maintain_order="left").join(
        portal_cols, on="portal_doc_id", how="left", maintain_order="left"
    )


def books_rows_text(col: str = "books_origin_rows") -> pl.Expr:
    """Spreadsheet rows of a book entry as Excel shows them, joined by ';' ('' when none)."""
    return pl.col(col).list.eval(pl.element().cast(pl.String)).list.join(";").fill_null("")
