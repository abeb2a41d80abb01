"""Builders of purchase-register files for the books-reader tests (in memory, never in the repo)."""

from __future__ import annotations

import csv
import io
import struct
from datetime import date, datetime

from recon.gstin import check_char

# Check-character-valid GSTINs (docs/reference/ims-rules.md §9.1) and some more built with the same rule.
UMBRA = "27AAPFU0939F1ZV"  # Maharashtra
TAMIL = "33GSPTN0791G1Z5"
KERALA = "32TAAOA2947A1Z7"
KARNATAKA = "29AAPFU0939F1ZR"
CLIENT = "27AHQPA7588L1ZJ"


def make_gstin(state: str, pan: str, entity: str = "1") -> str:
    body = f"{state}{pan}{entity}Z"
    return body + check_char(body)


DELHI = make_gstin("07", "AABCD1234E")
GUJARAT = make_gstin("24", "AACCG5678K")


def xlsx_bytes(sheets: dict[str, list[list]], *, vba: bytes | None = None) -> bytes:
    """A workbook (xlsxwriter) with one grid per sheet; datetime/date cells become real Excel dates."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    date_format = book.add_format({"num_format": "dd-mm-yyyy"})
    for name, grid in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, (datetime, date)):
                    sheet.write_datetime(r, c, value, date_format)
                else:
                    sheet.write(r, c, value)
    if vba is not None:
        book.add_vba_project(io.BytesIO(vba), is_stream=True)
    book.close()
    return out.getvalue()


def xls_bytes(sheets: dict[str, list[list]]) -> bytes:
    """A real Excel 97-2003 .xls (BIFF8) written by xlwt."""
    import xlwt

    book = xlwt.Workbook()
    date_style = xlwt.easyxf(num_format_str="DD-MM-YYYY")
    for name, grid in sheets.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, (datetime, date)):
                    sheet.write(r, c, value, date_style)
                else:
                    sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text(rows: list[list], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def encrypted_xlsx_bytes() -> bytes:
    """A minimal OLE compound file shaped like a password-protected .xlsx (MS-OFFCRYPTO).

    Header sector + one directory sector holding Root Entry, EncryptionInfo and EncryptedPackage —
    what Excel writes around an encrypted workbook, minus the encrypted payload itself.
    """
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 44, 1)  # one FAT sector
    struct.pack_into("<I", header, 48, 0)  # first directory sector
    struct.pack_into("<I", header, 56, 4096)
    struct.pack_into("<I", header, 60, 0xFFFFFFFE)
    struct.pack_into("<I", header, 68, 0xFFFFFFFE)
    header[76:512] = b"\xff" * 436

    def entry(name: str, kind: int) -> bytes:
        raw = bytearray(128)
        encoded = (name + "\x00").encode("utf-16-le")
        raw[: len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<III", raw, 68, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        return bytes(raw)

    directory = entry("Root Entry", 5) + entry("EncryptionInfo", 2) + entry("EncryptedPackage", 2)
    directory += bytes(512 - len(directory))
    return bytes(header) + directory + b"\xff" * 512


TALLY_HEADERS = [
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
    "Cess Amount",
    "Invoice Value",
]
TITLE_ROWS = [["Acme Industries Pvt Ltd"], ["Purchase Register"], ["1-Apr-2025 to 31-Mar-2026"], []]


def tally_grid(rows: list[list], *, titles: bool = True) -> list[list]:
    return (TITLE_ROWS if titles else []) + [TALLY_HEADERS] + rows


def tally_row(
    number: str,
    taxable: float,
    *,
    gstin: str = UMBRA,
    voucher: str = "P/1",
    vtype: str = "Purchase",
    inv_date: date = date(2025, 10, 1),
    booked: date = date(2025, 10, 3),
    igst: float = 0.0,
    cgst: float | None = None,
    value: float | None = None,
    name: str = "Umbra Traders",
) -> list:
    if cgst is None:
        cgst = 0.0 if igst else round(taxable * 0.09, 2)
    total = value if value is not None else round(taxable + igst + 2 * cgst, 2)
    return [booked, name, vtype, voucher, number, inv_date, gstin, taxable, igst, cgst, cgst, 0, total]


def with_formatted_blank_rows(xlsx: bytes, first_row: int, count: int) -> bytes:
    """The workbook with ``count`` empty but formatted rows appended to its first sheet's XML.

    What a register looks like after someone formats whole columns down to row 1,048,576: a huge used
    range with nothing in it. Written straight into the sheet XML because xlsxwriter takes minutes.
    """
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = content.decode()
                last = first_row + count - 1
                rows = "".join(
                    f'<row r="{r}" s="1" customFormat="1"><c r="A{r}" s="1"/></row>'
                    for r in range(first_row, last + 1)
                )
                xml = xml.replace("</sheetData>", rows + "</sheetData>")
                xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:E{last}"/>', xml)
                content = xml.encode()
            target.writestr(item, content)
    return out.getvalue()
