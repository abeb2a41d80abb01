"""One review tab a page at a time: search, sort and paging over the tab's rows, done on the server.

A browser parsing a lakh of rows for every consultant is what made ten sessions wait minutes for the grid;
a page of ``PAGE_SIZE`` rows costs the browser next to nothing. The search and the sort run over the
whole tab (not only the page shown), so "Accept the M found (of N in this tab)" means the rows the search finds.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

PAGE_SIZE = 1_000

# How the rows can be ordered, by the label a consultant picks; "As reconciled" keeps the engine's order.
AS_RECONCILED = "As reconciled"
SORTS: dict[str, list[pl.Expr]] = {
    AS_RECONCILED: [],
    "Supplier": [pl.col("supplier_name").str.to_lowercase(), pl.col("supplier_gstin")],
    "Document date": [pl.col("doc_date")],
    "Document number": [pl.coalesce("portal_doc_no", "books_doc_no")],
    "Tax (₹)": [pl.coalesce("portal_tax", "books_tax")],
    "Tax difference (₹)": [pl.col("tax_difference").abs()],
}

# What the search box looks in: the supplier's name and GSTIN and the document number on either side.
SEARCHED = ("supplier_name", "supplier_gstin", "books_doc_no", "portal_doc_no")


@dataclass(frozen=True)
class View:
    """What the consultant asked of one tab: a search text, an order and a page number (from 1)."""

    search: str = ""
    sort: str = AS_RECONCILED
    descending: bool = False
    page: int = 1

    @property
    def narrowed(self) -> bool:
        return bool(self.search.strip())


@dataclass(frozen=True)
class Page:
    """The rows of one page, where it sits, and how many rows the search left in the whole tab."""

    rows: pl.DataFrame
    number: int
    pages: int
    found: int  # rows in the tab after the search (all of them when there is no search)
    first: int  # 1-based position of the page's first row among those found (0 when none)

    @property
    def last(self) -> int:
        return self.first + self.rows.height - 1 if self.rows.height else 0


def matching(rows: pl.DataFrame, text: str) -> pl.DataFrame:
    """Rows whose supplier name, GSTIN or document number contains ``text`` (any case, taken literally)."""
    needle = text.strip().lower()
    if not needle:
        return rows
    present = [c for c in SEARCHED if c in rows.columns]
    if not present:
        return rows.clear()
    found = pl.any_horizontal(
        pl.col(c).str.to_lowercase().str.contains(needle, literal=True).fill_null(False) for c in present
    )
    return rows.filter(found)


def ordered(rows: pl.DataFrame, sort: str, descending: bool = False) -> pl.DataFrame:
    """Rows in the chosen order; ties keep the engine's order, empty values go last either way."""
    keys = SORTS.get(sort) or []
    if not keys:
        return rows.reverse() if descending else rows
    return rows.sort(keys, descending=descending, nulls_last=True, maintain_order=True)


def page_count(found: int, size: int | None = None) -> int:
    return max(1, -(-found // (size or PAGE_SIZE)))


def paged(rows: pl.DataFrame, view: View, size: int | None = None) -> tuple[pl.DataFrame, Page]:
    """(the rows the search finds in the tab's order, the page of them asked for).

    A page number past the end (the tab shrank after a link, a narrower search) shows the last page.
    """
    size = size or PAGE_SIZE
    found = ordered(matching(rows, view.search), view.sort, view.descending)
    pages = page_count(found.height, size)
    number = min(max(1, int(view.page)), pages)
    start = (number - 1) * size
    page_rows = found.slice(start, size)
    return found, Page(page_rows, number, pages, found.height, start + 1 if page_rows.height else 0)


def needs_paging(total: int, size: int | None = None) -> bool:
    """A tab with more rows than one page is paged on the server; a smaller one goes to the grid whole."""
    return total > (size or PAGE_SIZE)
