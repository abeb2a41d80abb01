"""Bad and awkward purchase-register files: each gets a clear InputError or is read with the right warnings.

Every file is generated in tmp_path. Error cases assert the words a consultant reads: what is wrong, and
the row / column when one is to blame. Warning cases assert the file is still read correctly.
"""

from __future__ import annotations

import codecs
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import pytest
from books_files import (
    KERALA,
    TAMIL,
    UMBRA,
    csv_text,
    encrypted_xlsx_bytes,
    tally_grid,
    tally_row,
    with_formatted_blank_rows,
    xls_bytes,
    xlsx_bytes,
)

from recon.errors import InputError
from recon.readers.books import read_books

HEADER = [
    "Supplier GSTIN",
    "Supplier Name",
    "Invoice No",
    "Invoice Date",
    "Taxable Value",
    "IGST",
    "CGST",
    "SGST",
]
GOOD = [KERALA, "Kerala Co", "K-1", "01-10-2025", "1000", "180", "", ""]


def book_csv(*rows: list, header: list = HEADER) -> bytes:
    return csv_text([header, *rows]).encode()


def book_xlsx(*rows: list, header: list = HEADER) -> bytes:
    return xlsx_bytes({"Books": [header, *rows]})


def openpyxl_formulas() -> bytes:
    """Amounts as formulas saved by a script: no cached results in the file."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Books"
    sheet.append(["Supplier GSTIN", "Invoice No", "Invoice Date", "Qty", "Price", "Taxable Value", "IGST"])
    sheet.append([KERALA, "K-1", "01-10-2025", 2, 500, "=D2*E2", "=F2*0.18"])
    sheet.append([TAMIL, "T-1", "02-10-2025", 1, 800, "=D3*E3", "=F3*0.18"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def openpyxl_tax_formulas() -> bytes:
    """Taxable typed in, IGST a formula without a saved result."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Books"
    sheet.append(["Supplier GSTIN", "Invoice No", "Invoice Date", "Taxable Value", "IGST"])
    sheet.append([KERALA, "K-1", "01-10-2025", 1000, "=D2*0.18"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def corrupt_sheet_xlsx() -> bytes:
    """A workbook whose ZIP is fine but whose sheet XML is garbage."""
    good = zipfile.ZipFile(io.BytesIO(book_xlsx(GOOD)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for item in good.infolist():
            content = good.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = b"<worksheet><sheetData><row r='1'><c r='A1' t='s'><v>99"
            archive.writestr(item, content)
    return out.getvalue()


def million_formatted_rows() -> bytes:
    grid = [HEADER[:5], [KERALA, "Kerala Co", "K-1", datetime(2025, 10, 1), 1000]]
    return with_formatted_blank_rows(xlsx_bytes({"Books": grid}), 3, 1_000_000)


IMS_JSON = json.dumps(
    {"b2b": [{"stin": KERALA, "inum": "K-1", "idt": "01-10-2025", "val": 1180, "txval": 1000, "action": "N"}]}
).encode()
GSTR1_JSON = json.dumps(
    {"gstin": KERALA, "fp": "102025", "b2b": [{"ctin": UMBRA, "inv": []}], "b2cs": [], "hsn": {"data": []}}
).encode()
GSTR2B_JSON = json.dumps({"data": {"gstin": UMBRA, "rtnprd": "102025", "docdata": {"b2b": []}}}).encode()


@dataclass
class Case:
    id: str
    build: Callable[[], bytes]
    name: str = "books.xlsx"
    error: list[str] | None = None  # words the error must contain
    warnings: list[str] = field(default_factory=list)  # words some warning must contain
    options: dict = field(default_factory=dict)
    check: Callable | None = None  # more assertions on a result read despite the oddity


def docs(result) -> dict[str, dict]:
    return {row["doc_no"]: row for row in result.docs.iter_rows(named=True)}


CASES = [
    # --- not a register at all ---------------------------------------------------------------------
    Case("empty-file", lambda: b"", error=["books.xlsx", "empty"]),
    Case("blank-text-file", lambda: b"  \r\n\r\n ", name="books.csv", error=["empty"]),
    Case(
        "renamed-pdf",
        lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n",
        error=["PDF", "not a spreadsheet"],
    ),
    Case("renamed-png", lambda: b"\x89PNG\r\n\x1a\n" + bytes(64), error=["PNG image"]),
    Case("renamed-jpeg", lambda: b"\xff\xd8\xff\xe0" + bytes(64), name="books.xls", error=["JPEG image"]),
    Case(
        "zip-archive",
        lambda: zip_of({"a.txt": b"hello"}),
        name="books.zip",
        error=["ZIP archive", "not an Excel"],
    ),
    Case("word-docx", lambda: zip_of({"word/document.xml": b"<w/>"}), error=["Word document"]),
    Case(
        "password-protected-xlsx", encrypted_xlsx_bytes, error=["password-protected", "remove the password"]
    ),
    Case(
        "old-word-doc",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
        name="books.xls",
        error=["holds no workbook"],
    ),
    Case("truncated-xlsx", lambda: truncated(book_xlsx(GOOD, GOOD)), error=["corrupt or truncated"]),
    Case("corrupt-sheet-xml", corrupt_sheet_xlsx, error=["cannot be read", "save it again"]),
    Case(
        "ims-json-as-books",
        lambda: IMS_JSON,
        name="ims.json",
        error=["IMS download", "not a purchase register"],
    ),
    Case("gstr1-json-as-books", lambda: GSTR1_JSON, name="books.json", error=["GSTR-1 return"]),
    Case("gstr2b-json-as-books", lambda: GSTR2B_JSON, name="2b.json", error=["GSTR-2B JSON"]),
    Case(
        "html-saved-as-xls",
        lambda: b"<html><body><p>Session expired, please log in again</p></body></html>",
        name="books.xls",
        error=["web page (HTML)", "holds no table", "save it as .xlsx"],
    ),
    Case(
        "excel-2003-xml",
        lambda: b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
        name="books.xml",
        error=["XML file"],
    ),
    Case("binary-garbage", lambda: bytes(range(256)) * 4, name="books.dat", error=["binary file"]),
    # --- a spreadsheet, but not a register ------------------------------------------------------------
    Case(
        "csv-without-header",
        lambda: b"hello,world\n1,2\n3,4\n",
        name="notes.csv",
        error=["no header row", "first 30 rows", "'hello'", "missing: supplier GSTIN; supplier invoice"],
    ),
    Case(
        "xlsx-numbers-only",
        lambda: xlsx_bytes({"Data": [[1, 2, 3], [4, 5, 6]]}),
        error=["no header row", "Data"],
    ),
    Case("xlsx-with-no-cells", lambda: xlsx_bytes({"Sheet1": []}), error=["no header row"]),
    Case(
        "missing-gstin-column",
        lambda: book_csv(GOOD[1:], header=HEADER[1:]),
        name="b.csv",
        error=["no column for: supplier GSTIN", "Columns seen", "'Invoice No'"],
    ),
    Case(
        "missing-number-column-voucher-hint",
        lambda: book_csv(
            [KERALA, "V-1", "01-10-2025", "10", "1"],
            header=["GSTIN", "Voucher No", "Invoice Date", "Taxable Value", "IGST"],
        ),
        name="b.csv",
        error=["supplier invoice / note number", '--map doc_no="Voucher No"'],
    ),
    Case(
        "missing-date-columns",
        lambda: book_csv([KERALA, "K-1", "10", "1"], header=["GSTIN", "Invoice No", "Taxable Value", "IGST"]),
        name="b.csv",
        error=["document date"],
    ),
    Case(
        "missing-amount-columns",
        lambda: book_csv(
            [KERALA, "K-1", "01-10-2025", "x"], header=["GSTIN", "Invoice No", "Invoice Date", "Remarks"]
        ),
        name="b.csv",
        error=["taxable value or a tax column"],
    ),
    Case("header-but-no-rows", lambda: book_csv(), name="b.csv", error=["no document rows"]),
    # --- bad values -----------------------------------------------------------------------------------
    Case(
        "all-amounts-blank",
        lambda: book_csv(
            [KERALA, "K", "K-1", "01-10-2025", "", "", "", ""],
            [TAMIL, "T", "T-1", "02-10-2025", "", "", "", ""],
        ),
        name="b.csv",
        error=["every amount column", "blank in every row"],
    ),
    Case(
        "impossible-date-31-feb",
        lambda: book_csv(GOOD, [UMBRA, "U", "U-1", "31-02-2025", "10", "", "1", "1"]),
        name="b.csv",
        error=["row 3", "column 'Invoice Date'", "'31-02-2025' is not a real date"],
    ),
    Case(
        "impossible-date-in-xlsx-text",
        lambda: book_xlsx(GOOD, GOOD[:3] + ["30/02/2025"] + GOOD[4:]),
        error=["sheet 'Books'", "row 3", "'30/02/2025'"],
    ),
    Case(
        "month-13",
        lambda: book_csv([UMBRA, "U", "U-1", "12-13-2025", "10", "", "1", "1"]),
        name="b.csv",
        error=["row 2", "'12-13-2025'"],
    ),
    Case(
        "several-bad-dates-listed",
        lambda: book_csv(*[[UMBRA, "U", f"U-{i}", "2025-31-12", "1", "", "", ""] for i in range(3)]),
        name="b.csv",
        error=["row 2", "also rows 3, 4"],
    ),
    Case(
        "text-in-amount-column",
        lambda: book_csv(GOOD, [UMBRA, "U", "U-1", "01-10-2025", "ten thousand", "", "", ""]),
        name="b.csv",
        error=["row 3", "column 'Taxable Value'", "'ten thousand' is not an amount"],
    ),
    # --- options that do not fit the file -------------------------------------------------------------
    Case(
        "no-such-sheet",
        lambda: book_xlsx(GOOD),
        options={"sheet": "Register"},
        error=["no sheet named 'Register'", "Books"],
    ),
    Case(
        "mapping-names-missing-column",
        lambda: book_csv(GOOD),
        name="b.csv",
        options={"mapping": {"doc_no": "Bill No"}},
        error=["no such column", "'Bill No'", "'Invoice No'"],
    ),
    Case(
        "mapping-unknown-field",
        lambda: book_csv(GOOD),
        name="b.csv",
        options={"mapping": {"invoice": "Invoice No"}},
        error=["'invoice' is not a field"],
    ),
    Case(
        "header-row-outside-sheet",
        lambda: book_csv(GOOD),
        name="b.csv",
        options={"header_row": 40},
        error=["header row 40 is outside"],
    ),
    Case(
        "kind-map-unknown-kind",
        lambda: book_csv(GOOD),
        name="b.csv",
        options={"kind_map": {"purchase": "bill"}},
        error=["'bill' is not a document kind"],
    ),
    # --- formulas -------------------------------------------------------------------------------------
    Case(
        "formulas-without-saved-results",
        openpyxl_formulas,
        error=["formulas without saved results", "save it"],
    ),
    Case(
        "tax-formula-without-saved-result",
        openpyxl_tax_formulas,
        warnings=["column 'IGST'", "formulas without saved results", "open and save the file in Excel"],
    ),
    # --- read, with warnings --------------------------------------------------------------------------
    Case(
        "duplicate-column-names",
        lambda: book_csv(
            [KERALA, "K-1", "01-10-2025", "1000", "180", "memo"],
            header=["GSTIN", "Invoice No", "Invoice Date", "Taxable Value", "IGST", "Invoice No"],
        ),
        name="b.csv",
        warnings=["repeats column names 'Invoice No'", "(2)"],
        check=lambda r: docs(r)["K-1"]["igst"] == 180 and r.mapping["doc_no"] == "Invoice No",
    ),
    Case(
        "sixteen-digit-number-cell-in-xlsx",
        lambda: book_xlsx([KERALA, "K", 1234567890123456, datetime(2025, 10, 1), 100, 18, 0, 0]),
        warnings=["row 2", "stored as a number", "15 significant digits", "format the column as Text"],
    ),
    Case(
        "sixteen-digit-text-cell-in-xlsx-is-fine",
        lambda: book_xlsx([KERALA, "K", "1234567890123457", datetime(2025, 10, 1), 100, 18, 0, 0]),
        check=lambda r: list(docs(r)) == ["1234567890123457"] and not r.warnings,
    ),
    Case(
        "sixteen-digit-number-in-csv-read-exactly",
        lambda: book_csv([KERALA, "K", "9876543210987654", "01-10-2025", "100", "18", "", ""]),
        name="b.csv",
        check=lambda r: list(docs(r)) == ["9876543210987654"] and not r.warnings,
    ),
    Case(
        "scientific-notation-number-in-csv",
        lambda: book_csv([KERALA, "K", "1.23457E+15", "01-10-2025", "100", "18", "", ""]),
        name="b.csv",
        warnings=["scientific notation", "digits are lost"],
    ),
    Case(
        "million-empty-formatted-rows",
        million_formatted_rows,
        check=lambda r: r.docs.height == 1 and r.rows_read == 1 and docs(r)["K-1"]["taxable_value"] == 1000,
    ),
    Case(
        "invalid-gstin-kept-with-warning",
        lambda: book_csv(GOOD, ["27AAPFU0939F1ZX", "Typo Co", "X-1", "01-10-2025", "10", "", "1", "1"]),
        name="b.csv",
        warnings=["row 3", "column 'Supplier GSTIN'", "fails the check character", "kept"],
        check=lambda r: docs(r)["X-1"]["gstin_valid"] is False and docs(r)["X-1"]["warnings"],
    ),
    Case(
        "unregistered-supplier-urd",
        lambda: book_csv(GOOD, ["URD", "Local Hardware", "LH-1", "02-10-2025", "50", "", "", ""]),
        name="b.csv",
        warnings=["row 3", "unregistered supplier", "never appear in IMS"],
        check=lambda r: docs(r)["LH-1"]["supplier_gstin"] is None and docs(r)["LH-1"]["gstin_valid"] is False,
    ),
    Case(
        "cgst-and-sgst-differ-and-both-taxes",
        lambda: book_csv(
            GOOD,
            [UMBRA, "U", "U-1", "02-10-2025", "1000", "", "90", "80"],
            [TAMIL, "T", "T-1", "03-10-2025", "1000", "180", "90", "90"],
        ),
        name="b.csv",
        warnings=[
            "row 3, column 'CGST': CGST and SGST differ",
            "row 4, column 'IGST': both IGST and CGST/SGST",
        ],
    ),
    Case(
        "date-before-gst",
        lambda: book_csv([KERALA, "K", "K-1", "01-10-2015", "1000", "180", "", ""]),
        name="b.csv",
        warnings=["row 2", "before GST began"],
        check=lambda r: docs(r)["K-1"]["fy"] == "2015-16",
    ),
    Case(
        "print-export-repeats-header-and-page-totals",
        lambda: xlsx_bytes(
            {
                "Register": [
                    ["Acme Ltd"],
                    ["Purchase Register"],
                    HEADER,
                    GOOD,
                    ["Page Total", None, None, None, "1000", "180", None, None],
                    ["Acme Ltd"],
                    ["Purchase Register  Page 2"],
                    HEADER,
                    [UMBRA, "Umbra", "U-1", "02-10-2025", "500", "", "45", "45"],
                ]
            }
        ),
        check=lambda r: (
            set(docs(r)) == {"K-1", "U-1"} and r.rows_skipped == 4 and docs(r)["U-1"]["origin_rows"] == [9]
        ),
    ),
    Case(
        "short-gstin",
        lambda: book_csv(["27AAPFU0939F1Z", "Short", "S-1", "01-10-2025", "10", "1", "", ""]),
        name="b.csv",
        warnings=["has 14 characters"],
    ),
    Case(
        "negative-purchase-becomes-credit-note",
        lambda: book_csv(GOOD, [UMBRA, "U", "U-1", "01-10-2025", "-500", "", "-45", "-45"]),
        name="b.csv",
        warnings=["row 3", "negative amounts", "credit note"],
        check=lambda r: (
            docs(r)["U-1"]["doc_kind"] == "credit_note" and docs(r)["U-1"]["taxable_value"] == 500
        ),
    ),
    Case(
        "totals-blank-rows-and-footer-skipped",
        lambda: xlsx_bytes(
            {
                "Purchase Register": tally_grid(
                    [
                        tally_row("A-1", 1000),
                        [],
                        tally_row("A-2", 2000, voucher="P/2"),
                        [None, "Total", None, None, None, None, None, 3000, 0, 270, 270, 0, 3540],
                        [],
                        [None, "Prepared by: Accounts"],
                        [None, "This is a computer generated report"],
                    ]
                )
            }
        ),
        check=lambda r: set(docs(r)) == {"A-1", "A-2"} and r.rows_skipped == 5 and r.rows_read == 2,
    ),
    Case(
        "stray-amount-row-without-identity",
        lambda: book_csv(GOOD, [None, "Round off", None, None, "0.40", "", "", ""]),
        name="b.csv",
        warnings=["row 3", "amounts but no supplier GSTIN, number or date"],
        check=lambda r: r.rows_skipped == 1,
    ),
    Case(
        "unknown-voucher-type",
        lambda: xlsx_bytes({"PR": tally_grid([tally_row("A-1", 100, vtype="Memorandum")])}),
        warnings=["not recognised", "'Memorandum'", "invoices"],
    ),
    Case(
        "ambiguous-credit-note-voucher",
        lambda: xlsx_bytes({"PR": tally_grid([tally_row("C-1", 100, vtype="Credit Note")])}),
        warnings=["'Credit Note'", "supplier's credit note", "kind_map"],
        check=lambda r: docs(r)["C-1"]["doc_kind"] == "credit_note",
    ),
    Case(
        "unknown-place-of-supply",
        lambda: book_csv(
            [KERALA, "K", "K-1", "01-10-2025", "10", "1", "", "", "Atlantis"],
            header=[*HEADER, "Place of Supply"],
        ),
        name="b.csv",
        warnings=["not a recognised place of supply", "'Atlantis'"],
        check=lambda r: docs(r)["K-1"]["pos"] is None,
    ),
    Case(
        "blank-invoice-date-uses-voucher-date",
        lambda: xlsx_bytes(
            {"PR": tally_grid([tally_row("A-1", 100)[:5] + [None] + tally_row("A-1", 100)[6:]])}
        ),
        warnings=["row 6", "voucher date was used"],
        check=lambda r: docs(r)["A-1"]["doc_date"] == date(2025, 10, 3),
    ),
    Case(
        "missing-invoice-number-on-a-row",
        lambda: book_csv(GOOD, [UMBRA, "U", "", "02-10-2025", "10", "", "1", "1"]),
        name="b.csv",
        warnings=["row 3", "no supplier invoice number"],
    ),
    Case(
        "double-booking-under-two-vouchers",
        lambda: xlsx_bytes(
            {"PR": tally_grid([tally_row("D-1", 100, voucher="P/1"), tally_row("D-1", 100, voucher="P/9")])}
        ),
        warnings=["row 7", "booked again (first at row 6)"],
        check=lambda r: r.docs.height == 2 and r.docs["doc_id"].n_unique() == 2,
    ),
    Case(
        "utf16-csv-with-tabs",
        lambda: codecs.BOM_UTF16_LE + csv_text([HEADER, GOOD], "\t").encode("utf-16-le"),
        name="export.txt",
        check=lambda r: docs(r)["K-1"]["igst"] == 180,
    ),
    Case(
        "excel-sep-line-csv",
        lambda: b"sep=;\r\n" + csv_text([HEADER, GOOD], ";").encode(),
        name="b.csv",
        check=lambda r: r.header_row == 2 and docs(r)["K-1"]["origin_rows"] == [3],
    ),
    Case(
        "supplier-named-total-is-not-a-total-row",
        lambda: book_csv(GOOD, ["", "Total Tools Pvt Ltd", "TT-1", "02-10-2025", "50", "9", "", ""]),
        name="b.csv",
        warnings=["row 3", "no supplier GSTIN (unregistered supplier?)"],
        check=lambda r: "TT-1" in docs(r) and r.rows_skipped == 0,
    ),
    Case(
        "excel-error-value-in-amount",
        lambda: book_csv(GOOD, [UMBRA, "U", "U-1", "02-10-2025", "#REF!", "", "", ""]),
        name="b.csv",
        error=["row 3", "'#REF!' is not an amount"],
    ),
    Case(
        "xls-from-old-erp",
        lambda: xls_bytes({"Sheet1": [HEADER, GOOD]}),
        name="old.xls",
        check=lambda r: r.file_format == "xls" and docs(r)["K-1"]["taxable_value"] == 1000,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path):
    path = tmp_path / case.name
    path.write_bytes(case.build())
    data = path.read_bytes()
    if case.error:
        with pytest.raises(InputError) as caught:
            read_books(data, case.name, **case.options)
        message = str(caught.value)
        assert case.name in message  # every message names the file
        for words in case.error:
            assert words in message, f"{words!r} not in: {message}"
        return
    result = read_books(data, case.name, **case.options)
    for words in case.warnings:
        assert any(words in str(w) for w in result.warnings), f"{words!r} not in warnings: {result.warnings}"
    if case.check is not None:
        assert case.check(result)


def test_the_corpus_is_large_enough():
    assert len({c.id for c in CASES}) == len(CASES) >= 40
