"""A large CSV register is split straight from its bytes, in pieces, into the cells a plain reading gives.

The reader never holds the whole text as one string (a register of several hundred MB must fit the server);
these tests make the pieces tiny so that a register of a few thousand rows crosses hundreds of piece
boundaries, and compare with the standard library's reading of the same text: every cell, every row number.
"""

from __future__ import annotations

import codecs
import csv
import io

import polars as pl
import pytest
from books_files import KERALA, TAMIL, UMBRA
from polars.testing import assert_frame_equal

from recon.readers import read, tabular

TITLE = [["Acme Industries Pvt Ltd"], ["Purchase Register"], ["1-Apr-2025 to 31-Mar-2026"], []]
TALLY = [
    "Date",
    "Particulars",
    "Voucher Type",
    "Voucher No.",
    "Supplier Invoice No.",
    "Supplier Invoice Date",
    "GSTIN/UIN",
    "Taxable Value",
    "Integrated Tax Amount",
    "Central Tax Amount",
    "State Tax Amount",
    "Invoice Value",
]
SUPPLIERS = [(UMBRA, "Umbra Trädérs"), (TAMIL, "Tamil – Agencies"), (KERALA, 'Kerala "Spices", Kochi')]


def tally_grid(invoices: int) -> list[list[str]]:
    """A Tally register written by hand: title block, two rate rows for every third invoice, Debit Note
    vouchers, Indian-comma amounts in quotes, a supplier name spanning two lines, a grand-total row."""
    rows = [*TITLE, TALLY]
    for i in range(invoices):
        gstin, name = SUPPLIERS[i % 3]
        if i % 97 == 5:
            name = f"{name}\nUnit {i}"  # an address line typed into the ledger name
        kind = "Debit Note" if i % 11 == 0 else "Purchase"
        rates = (18, 12) if i % 3 == 0 else (18,)
        for rate in rates:
            taxable = 1000 + 37 * i + rate
            tax = round(taxable * rate / 100, 2)
            igst, half = (f"{tax:,.2f}", "") if gstin[:2] != "27" else ("", f"{tax / 2:,.2f}")
            rows.append(
                [
                    f"{1 + i % 28:02d}-Nov-2025",
                    name,
                    kind,
                    f"P/{i}",
                    f"INV/{i:05d}",
                    f"{1 + i % 27:02d}-11-2025",
                    gstin,
                    f"{taxable:,.2f}",
                    igst,
                    half,
                    half,
                    f"{taxable + tax:,.2f}",
                ]
            )
    rows.append(["", "Grand Total", "", "", "", "", "", "", "", "", "", ""])
    return rows


def written(rows: list[list[str]], delimiter: str = ",", line_end: str = "\r\n") -> str:
    """The rows as CSV text; every line end, those inside quoted cells too, is ``line_end``."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().replace("\r\n", "\n").replace("\n", line_end)


def standard_library_cells(text: str, delimiter: str = ",") -> pl.DataFrame:
    """The cells as the csv module splits the text: row i = spreadsheet row i+1, blanks null, c0..cN."""
    rows = list(csv.reader(io.StringIO(text.replace("\r\n", "\n"), newline=""), delimiter=delimiter))
    width = max(len(r) for r in rows)
    columns = {f"c{i}": [(r[i] or None) if i < len(r) else None for r in rows] for i in range(width)}
    return pl.DataFrame(columns, schema={c: pl.String for c in columns})


def same_cells(cells: pl.DataFrame, expected: pl.DataFrame) -> None:
    """Equal cell by cell. The reader may add columns past the widest row (delimiters inside quotes are
    counted when the width is judged): those are empty in every row."""
    extra = cells.columns[expected.width :]
    assert all(cells.get_column(c).null_count() == cells.height for c in extra)
    assert_frame_equal(cells.drop(extra), expected)


@pytest.fixture
def tiny_pieces(monkeypatch):
    monkeypatch.setattr(tabular, "_PIECE", 1000)


def test_a_large_register_splits_into_the_cells_the_standard_library_reads(tiny_pieces):
    text = written(tally_grid(3000))
    cells = tabular.csv_cells(text.encode(), "Purchase Register.csv")
    expected = standard_library_cells(text)
    assert cells.height > 4000  # row i of the frame is row i+1 of the sheet: nothing dropped or merged
    same_cells(cells, expected)


@pytest.mark.parametrize(
    ("encoding", "line_end"),
    [("utf-8-sig", "\r\n"), ("utf-8", "\n"), ("utf-8", "\r"), ("cp1252", "\r\n"), ("utf-16", "\r\n")],
)
def test_every_encoding_and_line_end_reads_to_the_same_cells(tiny_pieces, encoding, line_end):
    rows = tally_grid(400)
    plain = tabular.csv_cells(written(rows).encode(), "register.csv")
    # A name spanning two lines keeps one \n in its cell whatever the file's line ends.
    data = written(rows, line_end=line_end).encode(encoding)
    assert_frame_equal(tabular.csv_cells(data, "register.csv"), plain)


def test_excels_sep_line_stays_a_blank_row_and_names_the_delimiter(tiny_pieces):
    rows = tally_grid(200)
    text = "sep=;\r\n" + written(rows, delimiter=";")
    cells = tabular.csv_cells(text.encode(), "register.csv")
    assert cells.row(0) == (None,) * cells.width  # the sep line: rows below keep their numbers
    same_cells(cells.slice(1), standard_library_cells(written(rows, delimiter=";"), ";"))


def test_the_register_reads_to_the_same_documents_in_every_form(tiny_pieces):
    rows = tally_grid(600)
    utf8 = read(written(rows).encode(), "register.csv", kind="books")
    for data in (
        written(rows).encode("cp1252"),
        codecs.BOM_UTF8 + written(rows, line_end="\n").encode(),
        ("sep=|\r\n" + written(rows, delimiter="|")).encode("utf-16"),
    ):
        other = read(data, "register.csv", kind="books")
        # The sep line is a row of its own: the same documents, their rows one further down.
        shift = 1 if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE) else 0
        docs = other.docs.with_columns(pl.col("origin_rows").list.eval(pl.element() - shift))
        assert_frame_equal(
            docs.drop("content_hash", "warnings"),
            utf8.docs.drop("content_hash", "warnings"),
            check_exact=True,
        )
        assert (other.rows_read, other.rows_skipped) == (utf8.rows_read, utf8.rows_skipped)
    assert utf8.docs.height == 600
    assert utf8.docs.filter(pl.col("doc_kind") == "credit_note").height == len(range(0, 600, 11))
    assert utf8.docs.filter(pl.col("supplier_name").str.contains("\n")).height > 0
