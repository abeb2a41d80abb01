"""The GSTR-2B portal Excel of a generated period (docs/reference/formats.md §4), from the same records as the JSON.

Sheets 'Read me', B2B, B2BA, B2B-CDNR, B2B-CDNRA, ISD and IMPG; group headers on row 5 (amendment
sheets: 'Original details' / 'Revised details' on row 5, groups on row 6), column names on the next row,
**one row per tax rate**; words instead of codes (Regular, Yes/No, state names, Nov'25).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import xlsxwriter

from recon.gstin import state_name
from recon.synth.generate import Corpus

GSTR2B_EXCEL_FILE = "gstr2b.xlsx"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LONG_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_B2B_TAIL = [
    "Place of supply",
    "Supply Attract Reverse Charge",
    "Rate(%)",
    "Taxable Value (₹)",
    "Integrated Tax(₹)",
    "Central Tax(₹)",
    "State/UT Tax(₹)",
    "Cess(₹)",
    "GSTR-1/IFF/GSTR-5 Period",
    "GSTR-1/IFF/GSTR-5 Filing Date",
    "ITC Availability",
    "Reason",
    "Applicable % of Tax Rate",
    "Source",
    "IRN",
    "IRN Date",
]
B2B_HEADER = [
    "GSTIN of supplier",
    "Trade/Legal name",
    "Invoice number",
    "Invoice type",
    "Invoice Date",
    "Invoice Value(₹)",
    *_B2B_TAIL,
]
CDNR_HEADER = [
    "GSTIN of supplier",
    "Trade/Legal name",
    "Note number",
    "Note type",
    "Note Supply type",
    "Note date",
    "Note Value (₹)",
    *_B2B_TAIL,
]
ISD_HEADER = [
    "Eligibility of ITC",
    "Document type",
    "GSTIN of ISD",
    "Trade/Legal name of the ISD",
    "ISD Document number",
    "ISD Document date",
    "Original ISD Document number",
    "Original ISD Document date",
    "Integrated Tax(₹)",
    "Central Tax(₹)",
    "State/UT Tax(₹)",
    "Cess(₹)",
    "ISD GSTR-6 Period",
    "ISD GSTR-6 Filing Date",
]
IMPG_HEADER = [
    "Icegate Reference Date",
    "Port Code",
    "Number",
    "Date",
    "Taxable Value",
    "Integrated Tax",
    "Cess",
    "Amended (Yes)",
]
_REASONS = {
    "P": "POS and supplier state are same but recipient state is different",
    "C": "Return filed after time specified in Section 16(4)",
}


def _dmy(text: str | None) -> str | None:
    """JSON DD-MM-YYYY → the Excel's DD/MM/YYYY."""
    return text.replace("-", "/") if text else None


def _period_words(mmyyyy: str) -> str:
    return f"{_MONTHS[int(mmyyyy[:2]) - 1]}'{mmyyyy[4:]}"


def _lines(rec: dict) -> list[dict]:
    """Per-rate amounts of a 2B record: its items[], or its document-level amounts as one line."""
    if "items" in rec:
        return rec["items"]
    taxable = float(rec["txval"])
    tax = float(rec["igst"]) + float(rec["cgst"]) + float(rec["sgst"])
    rate = round(tax / taxable * 100) if taxable else 0
    return [{"rt": rate, **{k: rec[k] for k in ("txval", "igst", "cgst", "sgst", "cess")}}]


def _b2b_rows(supplier: dict, rec: dict, note: bool) -> list[list]:
    number = (
        [rec["ntnum"], "Credit Note" if rec["typ"] == "C" else "Debit Note", "Regular"]
        if note
        else [rec["inum"], "Regular"]
    )
    head = [supplier["ctin"], supplier["trdnm"], *number, _dmy(rec["dt"]), float(rec["val"])]
    rows = []
    for line in _lines(rec):
        rows.append(
            [
                *head,
                state_name(rec["pos"]),
                "Yes" if rec["rev"] == "Y" else "No",
                float(line["rt"]),
                *[float(line[k]) for k in ("txval", "igst", "cgst", "sgst", "cess")],
                _period_words(supplier["supprd"]),
                _dmy(supplier["supfildt"]),
                "Yes" if rec["itcavl"] == "Y" else "No",
                _REASONS.get(rec.get("rsn"), ""),
                "100%",
                rec.get("srctyp", ""),
                rec.get("irn", ""),
                _dmy(rec.get("irngendate")),
            ]
        )
    return rows


def _original(rec: dict, note: bool) -> list:
    if note:
        return ["Credit Note" if rec["onttyp"] == "C" else "Debit Note", rec["ontnum"], _dmy(rec["ontdt"])]
    return [rec["oinum"], _dmy(rec["oidt"])]


def _sheets(payload: dict) -> dict[str, tuple[list[str], list[list], int]]:
    """Sheet name → (header, rows, columns under 'Original details')."""
    docdata = payload["data"]["docdata"]
    out: dict[str, tuple[list[str], list[list], int]] = {}
    for section, sheet, note in (("b2b", "B2B", False), ("cdnr", "B2B-CDNR", True)):
        rows = [
            r
            for s in docdata.get(section, [])
            for rec in s["inv" if not note else "nt"]
            for r in _b2b_rows(s, rec, note)
        ]
        out[sheet] = (B2B_HEADER if not note else CDNR_HEADER, rows, 0)
    for section, sheet, note in (("b2ba", "B2BA", False), ("cdnra", "B2B-CDNRA", True)):
        original = ["Note type", "Note number", "Note date"] if note else ["Invoice number", "Invoice Date"]
        rows = [
            _original(rec, note) + r
            for s in docdata.get(section, [])
            for rec in s["inv" if not note else "nt"]
            for r in _b2b_rows(s, rec, note)
        ]
        out[sheet] = (original + (CDNR_HEADER if note else B2B_HEADER), rows, len(original))
    isd_rows = [
        [
            "Yes" if rec["itcelg"] == "Y" else "No",
            "ISD Invoice",
            s["ctin"],
            s["trdnm"],
            rec["docnum"],
            _dmy(rec["docdt"]),
            None,
            None,
            *[float(rec[k]) for k in ("igst", "cgst", "sgst", "cess")],
            _period_words(s["supprd"]),
            _dmy(s["supfildt"]),
        ]
        for s in docdata.get("isd", [])
        for rec in s["doclist"]
    ]
    out["ISD"] = (ISD_HEADER, isd_rows, 0)
    impg_rows = [
        [
            _dmy(rec["refdt"]),
            rec["portcode"],
            rec["boenum"],
            _dmy(rec["boedt"]),
            float(rec["txval"]),
            float(rec["igst"]),
            float(rec["cess"]),
            "Yes" if rec["isamd"] == "Y" else "No",
        ]
        for rec in docdata.get("impg", [])
    ]
    out["IMPG"] = (IMPG_HEADER, impg_rows, 0)
    return out


def first_data_row(original_columns: int) -> int:
    return 8 if original_columns else 7


def write_gstr2b_excel(corpus: Corpus, path: Path) -> Path:
    payload = corpus.gstr2b_payload
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    book.set_properties({"created": _generated(payload)})
    bold = book.add_format({"bold": True, "text_wrap": True, "align": "center"})
    _read_me(book, corpus, bold)
    for sheet_name, (header, rows, original) in _sheets(payload).items():
        ws = book.add_worksheet(sheet_name)
        ws.write(0, 0, "Goods and Services Tax - GSTR-2B", bold)
        ws.write(2, 0, f"{sheet_name} details", bold)
        name_row = first_data_row(original) - 2  # 0-based row of the column names
        if original:
            ws.merge_range(4, 0, 4, original - 1, "Original details", bold)
            ws.merge_range(4, original, 4, len(header) - 1, "Revised details", bold)
        if sheet_name == "IMPG":
            ws.merge_range(name_row - 1, 2, name_row - 1, 3, "Bill of Entry Details", bold)
            ws.merge_range(name_row - 1, 4, name_row - 1, 6, "Amount of tax (₹)", bold)
        ws.write_row(name_row, 0, header, bold)
        for r, row in enumerate(rows, start=name_row + 1):
            for c, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, float):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, str(value))  # numbers as text: a 16-digit one must stay whole
    book.close()
    return path


def _generated(payload: dict) -> datetime:
    d, m, y = payload["data"]["gendt"].split("-")
    return datetime(int(y), int(m), int(d), 10, 0, 0)


def _read_me(book, corpus: Corpus, bold) -> None:
    ws = book.add_worksheet("Read me")
    period = corpus.client.period
    start = int(period[2:]) if int(period[:2]) >= 4 else int(period[2:]) - 1
    rows = [
        ("Financial Year", f"{start}-{(start + 1) % 100:02d}"),
        ("Tax Period", _LONG_MONTHS[int(period[:2]) - 1]),
        ("GSTIN", corpus.client.gstin),
        ("Legal Name", corpus.client.name),
        ("Trade Name (if any)", corpus.client.name),
        ("Date of generation", _dmy(corpus.gstr2b_payload["data"]["gendt"])),
    ]
    ws.write(0, 0, "Goods and Services Tax - GSTR-2B", bold)
    for r, (label, value) in enumerate(rows, start=2):
        ws.write_string(r, 0, label)
        ws.write_string(r, 1, value)


_SHEET_OF_SECTION = {
    "b2b": "B2B",
    "b2ba": "B2BA",
    "cdnr": "B2B-CDNR",
    "cdnra": "B2B-CDNRA",
    "isd": "ISD",
    "impg": "IMPG",
}


def gstr2b_excel_as_read(corpus: Corpus) -> pl.DataFrame:
    """The canonical 2B a reader must make of the Excel: the JSON's documents, as the Excel shows them.

    Differences from the JSON, all because the Excel does not carry the field: no IMS status, a filing
    status of plain 'Filed' (the filing date is in its own column), origin sheet/rows of the workbook.
    ``raw`` of an Excel document is the reader's record of the row cells, not compared here.
    """
    sheets = _sheets(corpus.gstr2b_payload)
    origin: dict[tuple, list[int]] = {}  # (section, supplier, number) -> the rows it spans
    for section, sheet in _SHEET_OF_SECTION.items():
        header, rows, original = sheets[sheet]
        start = first_data_row(original)
        no_col = header.index(
            {
                "B2B": "Invoice number",
                "B2BA": "Invoice number",
                "B2B-CDNR": "Note number",
                "B2B-CDNRA": "Note number",
                "ISD": "ISD Document number",
                "IMPG": "Number",
            }[sheet],
            original,
        )
        gstin_col = next((i for i, h in enumerate(header) if "GSTIN" in h), None)
        for i, row in enumerate(rows):
            key = (section, row[gstin_col] if gstin_col is not None else None, row[no_col])
            origin.setdefault(key, []).append(start + i)
    return corpus.gstr2b.with_columns(
        pl.struct("section", "supplier_gstin", "doc_no")
        .map_elements(
            lambda s: origin[(s["section"], s["supplier_gstin"], s["doc_no"])], return_dtype=pl.List(pl.Int64)
        )
        .alias("origin_rows"),
        pl.col("section").replace_strict(_SHEET_OF_SECTION).alias("origin_sheet"),
        pl.lit(GSTR2B_EXCEL_FILE).alias("origin_file"),
        pl.lit(None, dtype=pl.String).alias("ims_action"),
        pl.lit("Filed").alias("supplier_filing_status"),
    )
