"""Server-side search, sort and paging of one review tab (recon.paging), on rows written by hand."""

from __future__ import annotations

from datetime import date

import polars as pl

from recon import paging
from recon.paging import View


def tab_rows() -> pl.DataFrame:
    """Seven rows of a tab as the joined view carries them: a books-only row has no portal number."""
    rows = [
        # result_id, supplier, GSTIN, books no, portal no, date, books tax, portal tax, difference
        (
            "r1",
            "Kaveri Traders",
            "27AAGFK1234A1ZS",
            "KT-501",
            "KT-501",
            date(2025, 11, 5),
            4100.0,
            4100.0,
            0.0,
        ),
        ("r2", "Malabar Steel", "29AAJCM5678B1ZQ", "MS-77", "MS-77", date(2025, 11, 8), 9000.0, 9000.0, 0.0),
        ("r3", "kaveri traders", "27AAGFK1234A1ZS", "KT-502", None, date(2025, 11, 2), 1800.0, None, None),
        (
            "r4",
            "Deccan Bearings",
            "36AADCD4321C1ZK",
            None,
            "DB/2025/9",
            date(2025, 11, 20),
            None,
            540.0,
            None,
        ),
        ("r5", None, "27AABCS9999D1ZA", "SV-1", "SV-1", date(2025, 11, 1), 300.0, 250.0, -50.0),
        ("r6", "Malabar Steel", "29AAJCM5678B1ZQ", "MS-80", "MS-80", None, 7000.0, 7200.0, 200.0),
        ("r7", "Zenith Paper", "33AAFCZ1111E1ZB", "ZP-3", "ZP-3", date(2025, 11, 15), 120.0, 120.0, 0.0),
    ]
    columns = [
        "result_id",
        "supplier_name",
        "supplier_gstin",
        "books_doc_no",
        "portal_doc_no",
        "doc_date",
        "books_tax",
        "portal_tax",
        "tax_difference",
    ]
    return pl.DataFrame(rows, schema=columns, orient="row")


def ids(frame: pl.DataFrame) -> list[str]:
    return frame["result_id"].to_list()


def test_search_finds_a_supplier_in_any_case_by_name_gstin_or_either_number():
    rows = tab_rows()
    assert ids(paging.matching(rows, "KAVERI")) == ["r1", "r3"]
    assert ids(paging.matching(rows, "29aajcm")) == ["r2", "r6"]
    assert ids(paging.matching(rows, "db/2025")) == ["r4"]  # only the portal has a number for this one
    assert ids(paging.matching(rows, "  kt-502 ")) == ["r3"]  # only the books have it
    assert ids(paging.matching(rows, "")) == ids(rows)


def test_search_text_is_taken_literally_not_as_a_pattern():
    rows = tab_rows()
    assert paging.matching(rows, ".*").is_empty()
    assert ids(paging.matching(rows, "db/2025/9")) == ["r4"]


def test_sort_orders_the_whole_tab_and_puts_missing_values_last_either_way():
    rows = tab_rows()
    by_date = paging.ordered(rows, "Document date")
    assert ids(by_date) == ["r5", "r3", "r1", "r2", "r7", "r4", "r6"]
    assert ids(paging.ordered(rows, "Document date", descending=True))[-1] == "r6"
    # The tax a row shows is the portal's when there is one, the books' otherwise.
    assert ids(paging.ordered(rows, "Tax (₹)", descending=True))[:2] == ["r2", "r6"]
    # The biggest difference first, whichever way it goes.
    assert ids(paging.ordered(rows, "Tax difference (₹)", descending=True))[:2] == ["r6", "r5"]
    # Suppliers in alphabetical order whatever their case; a row without a name comes last.
    assert ids(paging.ordered(rows, "Supplier")) == ["r4", "r1", "r3", "r2", "r6", "r7", "r5"]
    assert ids(paging.ordered(rows, paging.AS_RECONCILED)) == ids(rows)


def test_pages_cover_every_found_row_once_in_order():
    rows = tab_rows()
    seen = []
    for number in (1, 2, 3):
        found, page = paging.paged(rows, View(sort="Document number", page=number), size=3)
        assert (page.number, page.pages, page.found) == (number, 3, 7)
        seen += ids(page.rows)
    assert seen == ids(paging.ordered(rows, "Document number"))
    assert found.height == 7
    _, last = paging.paged(rows, View(page=3), size=3)
    assert (last.first, last.last) == (7, 7)


def test_a_page_past_the_end_shows_the_last_page_of_what_the_search_finds():
    found, page = paging.paged(tab_rows(), View(search="malabar", page=9), size=1)
    assert ids(found) == ["r2", "r6"]
    assert (page.number, page.pages, ids(page.rows)) == (2, 2, ["r6"])


def test_a_search_that_finds_nothing_gives_one_empty_page():
    found, page = paging.paged(tab_rows(), View(search="no such supplier"), size=3)
    assert found.is_empty() and page.rows.is_empty()
    assert (page.number, page.pages, page.found, page.first, page.last) == (1, 1, 0, 0, 0)


def test_only_a_tab_larger_than_a_page_is_paged():
    assert not paging.needs_paging(paging.PAGE_SIZE)
    assert paging.needs_paging(paging.PAGE_SIZE + 1)
    assert paging.page_count(paging.PAGE_SIZE + 1) == 2
