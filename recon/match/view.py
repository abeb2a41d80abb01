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


def _pan_of(gstin: pl.Expr) -> pl.Expr:
    """The PAN inside a GSTIN: characters 3 to 12 (docs/reference/ims-rules.md §9.2)."""
    return gstin.str.to_uppercase().str.slice(2, 10)


def _names_by(docs: pl.DataFrame, key: pl.Expr, alias: str) -> pl.DataFrame:
    """One name per key: the name the documents use most often (ties: the first in file order)."""
    named = docs.select(key.alias(alias), pl.col("supplier_name").str.strip_chars().alias("name")).filter(
        pl.col(alias).is_not_null() & (pl.col("name").fill_null("") != "")
    )
    counted = named.group_by(alias, "name", maintain_order=True).agg(pl.len().alias("n"))
    return counted.sort("n", descending=True, maintain_order=True).unique(alias, keep="first").drop("n")


def supplier_names(
    gstins: pl.Series, books: pl.DataFrame, portal: pl.DataFrame, statement: pl.DataFrame | None = None
) -> pl.Series:
    """A supplier name for each GSTIN, the name the consultant knows first.

    In order: the name the books use for that GSTIN; the name the portal record itself carries; the
    books' name for another registration of the same PAN (a supplier billing from a second state);
    the trade name (``trdnm``) of the GSTR-2B statement of the period. Null when none has one.
    """
    frame = pl.DataFrame({"gstin": gstins.cast(pl.String).str.to_uppercase()})
    frame = frame.with_columns(_pan_of(pl.col("gstin")).alias("pan"))
    gstin_key = pl.col("supplier_gstin").str.to_uppercase()
    sources = [
        (books, gstin_key, "gstin"),
        (portal, gstin_key, "gstin"),
        (books, _pan_of(pl.col("supplier_gstin")), "pan"),
    ]
    if statement is not None:
        sources.append((statement, gstin_key, "gstin"))
    found = []
    for i, (docs, key, on) in enumerate(sources):
        names = _names_by(docs, key, on).rename({"name": f"_name{i}"})
        frame = frame.join(names, on=on, how="left", maintain_order="left")
        found.append(pl.col(f"_name{i}"))
    return frame.select(pl.coalesce(found).alias("supplier_name")).to_series()


def with_supplier_names(
    view: pl.DataFrame, books: pl.DataFrame, portal: pl.DataFrame, statement: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``supplier_gstin`` (the portal's when it has the document) and ``supplier_name`` on every row."""
    gstin = view.select(
        pl.coalesce(pl.col("portal_supplier_gstin"), pl.col("books_supplier_gstin")).alias("supplier_gstin")
    ).to_series()
    names = supplier_names(gstin, books, portal, statement)
    own = view.select(
        pl.coalesce(pl.col("books_supplier_name"), pl.col("portal_supplier_name")).alias("own")
    ).to_series()
    return view.with_columns(gstin, names.fill_null(own).alias("supplier_name"))
