"""Hand-built portal files shaped like docs/reference/formats.md describes the real ones (not like our generator writes).

GSTINs are the check-digit-valid examples of docs/reference/ims-rules.md §9.1; the recipient is 27AHQPA7588L1ZJ.
"""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import openpyxl

from recon import jsonio

RECIPIENT = "27AHQPA7588L1ZJ"
UMBRA = "27AAPFU0939F1ZV"  # Maharashtra
GSPTN = "33GSPTN0791G1Z5"  # Tamil Nadu
TAAOA = "32TAAOA2947A1Z7"  # Kerala
UMBRA_KA = "29AAPFU0939F1ZR"  # same PAN as UMBRA, Karnataka
VENDOR_SAMPLE = "24MAYAS0100J1JD"  # GSTN sample GSTIN that fails the check character

# docs/reference/formats.md §1.3, written by hand as the portal writes it: amounts with two decimals, spaces after colons.
IMS_EXAMPLE = """{"b2b": [{"stin": "27AAPFU0939F1ZV", "inum": "MH/2526/0417", "idt": "07-11-2025", "inv_typ": "R",
          "pos": "27", "val": 59000.00, "txval": 50000.00, "iamt": 0, "camt": 4500.00, "samt": 4500.00,
          "cess": 0, "rtnprd": "112025", "srcform": "R1", "srcfilstatus": "Not Filed", "action": "N",
          "ispendactblocked": "N",
          "hash": "9b5534758ba4ba2a27b127a1108a075bd16fbb909ec9ac4cb768a7509d575b7d"}],
 "b2bcn": [{"stin": "33GSPTN0791G1Z5", "nt_num": "CN-0093", "nt_dt": "18-11-2025", "inv_typ": "R",
          "pos": "27", "val": 2360.00, "txval": 2000.00, "iamt": 360.00, "camt": 0, "samt": 0, "cess": 0,
          "rtnprd": "112025", "srcform": "R1", "srcfilstatus": "Filed", "action": "N",
          "ispendactblocked": "N",
          "hash": "50383abe021a56c65195549948975b94f1cf888b4a48bd3004c63c529efae01f"}]}"""


def _base(stin: str = UMBRA, **extra) -> dict:
    record = {
        "stin": stin,
        "inv_typ": "R",
        "pos": "27",
        "val": Decimal("1180.00"),
        "txval": Decimal("1000.00"),
        "iamt": Decimal("180.00"),
        "camt": 0,
        "samt": 0,
        "cess": 0,
        "rtnprd": "112025",
        "srcform": "R1",
        "srcfilstatus": "Filed",
        "action": "N",
        "ispendactblocked": "N",
        "hash": "ab12",
    }
    record.update(extra)
    return record


def ims_all_sections() -> dict:
    """One record in every IMS section (docs/reference/formats.md §1.2), with the section's own number/date keys."""
    return {
        "b2b": [_base(inum="INV-1", idt="01-11-2025")],
        "b2ba": [_base(inum="INV-2R", idt="03-11-2025", oinum="INV-2", oidt="02-10-2025")],
        "b2bdn": [_base(TAAOA, nt_num="DN/77", nt_dt="21-11-2025")],
        "b2bdna": [_base(TAAOA, nt_num="DN/78", nt_dt="22-11-2025", ont_num="DN/70", ont_dt="20-10-2025")],
        "b2bcn": [_base(GSPTN, nt_num="CN-0093", nt_dt="18-11-2025")],
        "b2bcna": [
            _base(GSPTN, nt_num="CN-0094", nt_dt="19-11-2025", ont_num="CN-0090", ont_dt="15-10-2025")
        ],
        "ecom": [{k: v for k, v in _base(inum="ECO-5", idt="05-11-2025").items() if k != "inv_typ"}],
        "ecoma": [
            {
                k: v
                for k, v in _base(inum="ECO-6", idt="06-11-2025", oinum="ECO-4", oidt="04-10-2025").items()
                if k != "inv_typ"
            }
        ],
        "impg": [
            {
                "rgstinrefId": "REF1",
                "portcd": "INNSA1",
                "boenum": "7654321",
                "boedt": "10-11-2025",
                "txval": Decimal("100000.00"),
                "igst": Decimal("18000.00"),
                "cess": 0,
                "action": "N",
                "hash": "cd34",
            }
        ],
    }


def ims_bytes(payload) -> bytes:
    return jsonio.dumps_exact(payload).encode()


# ---------------------------------------------------------------------------------------------------
# GSTR-2B JSON (docs/reference/formats.md §3)
# ---------------------------------------------------------------------------------------------------


def gstr2b_statement(docdata: dict, rejected: dict | None = None, gstin: str = RECIPIENT, **extra) -> dict:
    data = {
        "gstin": gstin,
        "rtnprd": "112025",
        "version": "1.0",
        "gendt": "14-12-2025",
        "itcsumm": {},
        "docdata": docdata,
        "docRejdata": rejected or {},
    }
    data.update(extra)
    return {"chksum": "x", "data": data}


# docs/reference/formats.md §3 example: amounts only in the rate lines.
GSTR2B_EXAMPLE = """{"data": {"gstin": "27AHQPA7588L1ZJ", "rtnprd": "112025", "gendt": "14-12-2025", "docdata": {"b2b": [
  {"ctin": "27AAPFU0939F1ZV", "trdnm": "Umbra Traders", "supfildt": "11-12-2025", "supprd": "112025",
   "inv": [{"inum": "MH/2526/0417", "typ": "R", "dt": "07-11-2025", "val": 59000.00, "pos": "27", "rev": "N",
            "itcavl": "Y", "diffprcnt": 1, "srctyp": "e-Invoice", "imsStatus": "A",
            "items": [{"num": 1, "rt": 18, "txval": 30000.00, "igst": 0, "cgst": 2700.00, "sgst": 2700.00, "cess": 0},
                      {"num": 2, "rt": 18, "txval": 20000.00, "igst": 0, "cgst": 1800.00, "sgst": 1800.00, "cess": 0}]}]}]},
 "docRejdata": {"cdnr": []}}}"""


def gstr2b_supplier(ctin: str, list_key: str, documents: list[dict], name: str = "Umbra Traders") -> dict:
    return {"ctin": ctin, "trdnm": name, "supfildt": "11-12-2025", "supprd": "112025", list_key: documents}


# ---------------------------------------------------------------------------------------------------
# GSTR-2B Excel (docs/reference/formats.md §4): title rows, merged group row 5, column names row 6, data from row 7;
# amendment sheets one level more (data from row 8).
# ---------------------------------------------------------------------------------------------------

# The columns after a document's own: the same on the B2B and the credit / debit note sheets.
_LINE_HEADERS = [
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
B2B_HEADERS = [
    "GSTIN of supplier",
    "Trade/Legal name",
    "Invoice number",
    "Invoice type",
    "Invoice Date",
    "Invoice Value(₹)",
    *_LINE_HEADERS,
]
CDNR_HEADERS = [
    "GSTIN of supplier",
    "Trade/Legal name",
    "Note number",
    "Note type",
    "Note Supply type",
    "Note date",
    "Note Value (₹)",
    *_LINE_HEADERS,
]
B2BA_HEADERS = ["Invoice number", "Invoice Date", *B2B_HEADERS]


def _write_title(ws, title: str) -> None:
    ws["A1"] = "Goods and Services Tax - GSTR 2B"
    ws["A2"] = title
    ws["A3"] = "(Details of supplies received from registered persons)"


def _b2b_sheet(ws, rows: list[list], header_row: int = 6) -> None:
    _write_title(ws, "Taxable inward supplies received from registered persons")
    group = header_row - 1
    ws.cell(group, 3, "Invoice details")
    ws.merge_cells(start_row=group, start_column=3, end_row=group, end_column=6)
    ws.cell(group, 11, "Tax Amount")
    ws.merge_cells(start_row=group, start_column=11, end_row=group, end_column=14)
    for c, text in enumerate(B2B_HEADERS, start=1):
        ws.cell(header_row, c, text)
    for r, values in enumerate(rows, start=header_row + 1):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c, value)


def _cdnr_sheet(ws, rows: list[list]) -> None:
    _write_title(ws, "Debit/Credit notes (Original)")
    ws.cell(5, 3, "Credit note/Debit note details")
    ws.merge_cells(start_row=5, start_column=3, end_row=5, end_column=7)
    for c, text in enumerate(CDNR_HEADERS, start=1):
        ws.cell(6, c, text)
    for r, values in enumerate(rows, start=7):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c, value)


def _b2ba_sheet(ws, rows: list[list]) -> None:
    _write_title(ws, "Amendments to previously filed invoices by supplier")
    ws.cell(5, 1, "Original details")
    ws.merge_cells(start_row=5, start_column=1, end_row=5, end_column=2)
    ws.cell(5, 3, "Revised details")
    ws.merge_cells(start_row=5, start_column=3, end_row=5, end_column=len(B2BA_HEADERS))
    ws.cell(6, 5, "Invoice details")
    ws.merge_cells(start_row=6, start_column=5, end_row=6, end_column=8)
    for c, text in enumerate(B2BA_HEADERS, start=1):
        ws.cell(7, c, text)
    for r, values in enumerate(rows, start=8):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c, value)


def b2b_row(
    gstin,
    name,
    number,
    inv_type,
    when,
    value,
    pos,
    rcm,
    rate,
    taxable,
    igst,
    cgst,
    sgst,
    cess=0.0,
    period="Nov'25",
    itc="Yes",
    reason="",
):
    return [
        gstin,
        name,
        number,
        inv_type,
        when,
        value,
        pos,
        rcm,
        rate,
        taxable,
        igst,
        cgst,
        sgst,
        cess,
        period,
        "11/12/2025",
        itc,
        reason,
        "",
        "e-Invoice",
        "",
        "",
    ]


def gstr2b_workbook(
    b2b_rows: list[list],
    cdnr_rows: list[list] = (),
    b2ba_rows: list[list] = (),
    rejected_rows: list[list] = (),
    gstin: str = RECIPIENT,
    b2b_header_row: int = 6,
) -> bytes:
    """A GSTR-2B workbook laid out like the portal's: Read me, summaries, B2B, B2BA, B2B-CDNR, rejected."""
    wb = openpyxl.Workbook()
    readme = wb.active
    readme.title = "Read me"
    readme["A1"] = "Goods and Services Tax - GSTR 2B"
    for r, (label, value) in enumerate(
        [
            ("Financial Year", "2025-26"),
            ("Tax Period", "November"),
            ("GSTIN", gstin),
            ("Legal Name", "Amrit Textiles"),
            ("Date of generation", "14/12/2025"),
        ],
        start=3,
    ):
        readme.cell(r, 1, label)
        readme.cell(r, 2, value)
    wb.create_sheet("ITC Available")["A1"] = "Summary: ITC available"
    _b2b_sheet(wb.create_sheet("B2B"), b2b_rows, b2b_header_row)
    _b2ba_sheet(wb.create_sheet("B2BA"), list(b2ba_rows))
    _cdnr_sheet(wb.create_sheet("B2B-CDNR"), list(cdnr_rows))
    _b2b_sheet(wb.create_sheet("B2B(Rejected)"), list(rejected_rows))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def workbook_bytes(sheets: dict[str, list[list]]) -> bytes:
    """A plain workbook (e.g. a purchase register) with the given rows per sheet."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------
# GSTR-2A JSON (docs/reference/formats.md §5)
# ---------------------------------------------------------------------------------------------------


def gstr2a_statement() -> dict:
    def line(num, rt, txval, iamt=0, camt=0, samt=0, csamt=0):
        return {
            "num": num,
            "itm_det": {
                "rt": rt,
                "txval": Decimal(txval),
                "iamt": Decimal(str(iamt)),
                "camt": Decimal(str(camt)),
                "samt": Decimal(str(samt)),
                "csamt": Decimal(str(csamt)),
            },
        }

    return {
        "gstin": RECIPIENT,
        "fp": "112025",
        "b2b": [
            {
                "ctin": UMBRA,
                "cfs": "Y",
                "cfs3b": "Y",
                "fldtr1": "11-Dec-25",
                "flprdr1": "Nov-25",
                "inv": [
                    {
                        "inum": "MH/2526/0417",
                        "idt": "07-Nov-25",
                        "val": Decimal("59000.00"),
                        "pos": "27",
                        "rchrg": "N",
                        "inv_typ": "R",
                        "itms": [
                            line(1, 18, "30000.00", camt="2700.00", samt="2700.00"),
                            line(2, 18, "20000.00", camt="1800.00", samt="1800.00"),
                        ],
                    },
                    {
                        "inum": "RCM-9",
                        "idt": "09-11-2025",
                        "val": Decimal("11800"),
                        "pos": "27",
                        "rchrg": "Y",
                        "inv_typ": "R",
                        "itms": [line(1, 18, "10000", camt="900", samt="900")],
                    },
                ],
            },
            {
                "ctin": TAAOA,
                "cfs": "N",
                "inv": [
                    {
                        "inum": "K-1",
                        "idt": "12-11-2025",
                        "val": Decimal("2360.00"),
                        "pos": "27",
                        "rchrg": "N",
                        "inv_typ": "SEWP",
                        "itms": [line(1, 18, "2000.00", iamt="360.00")],
                    }
                ],
            },
        ],
        "cdn": [
            {
                "ctin": GSPTN,
                "cfs": "Y",
                "nt": [
                    {
                        "ntty": "C",
                        "nt_num": "CN-0093",
                        "nt_dt": "18-Nov-25",
                        "val": Decimal("2360.00"),
                        "pos": "27",
                        "rchrg": "N",
                        "inv_typ": "R",
                        "itms": [line(1, 18, "2000.00", iamt="360.00")],
                    }
                ],
            }
        ],
        "b2ba": [
            {
                "ctin": UMBRA,
                "cfs": "Y",
                "inv": [
                    {
                        "oinum": "MH/2526/0300",
                        "oidt": "01-10-2025",
                        "inum": "MH/2526/0300A",
                        "idt": "02-11-2025",
                        "val": Decimal("1180"),
                        "pos": "27",
                        "rchrg": "N",
                        "inv_typ": "R",
                        "itms": [line(1, 18, "1000", camt="90", samt="90")],
                    }
                ],
            }
        ],
    }


GSTR1_EXAMPLE = {
    "gstin": UMBRA,
    "fp": "112025",
    "gt": 0,
    "cur_gt": 0,
    "b2b": [
        {
            "ctin": RECIPIENT,
            "inv": [
                {
                    "inum": "MH/2526/0417",
                    "idt": "07-11-2025",
                    "val": 59000,
                    "pos": "27",
                    "rchrg": "N",
                    "inv_typ": "R",
                    "itms": [],
                }
            ],
        }
    ],
    "b2cs": [],
    "hsn": {"data": []},
    "doc_issue": {"doc_det": []},
}


def json_bytes(obj) -> bytes:
    return jsonio.dumps_exact(obj).encode() if not isinstance(obj, str) else obj.encode()


def plain_json(obj) -> bytes:
    return json.dumps(obj).encode()


def as_text_digits(value):
    """A parsed JSON structure with every Decimal as its literal text, to compare digits, not values."""
    if isinstance(value, Decimal):
        return ("decimal", str(value))
    if isinstance(value, dict):
        return {k: as_text_digits(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text_digits(v) for v in value]
    return value


NOV_7 = date(2025, 11, 7)


# ---------------------------------------------------------------------------------------------------
# IMS Offline Tool workbook (docs/reference/formats.md §6): Home + section sheets, header rows 5–6, data from row 7,
# amendment sheets one level more (data from row 8).
# ---------------------------------------------------------------------------------------------------

IMS_TOOL_B2B = [
    "GSTIN of supplier",
    "Trade/Legal name",
    "Invoice number",
    "Invoice type",
    "Invoice date",
    "Invoice value",
    "Status",
    "Place of supply",
    "Taxable value",
    "IGST",
    "CGST",
    "SGST",
    "Cess",
    "Remarks",
    "Source",
    "Source return period",
    "Source filing status",
    "Sheet validation errors",
    "GST portal validation errors",
    "Previous status",
    "Remarks",
    "IsPendingBlocked",
    "IsRemarkBlocked",
]
IMS_TOOL_CN = [
    "GSTIN of supplier",
    "Trade/Legal name",
    "Note number",
    "Note type",
    "Note date",
    "Note value",
    "Status",
    "Place of supply",
    "Taxable value",
    "IGST",
    "CGST",
    "SGST",
    "Cess",
    "ITC reduction required",
    "Declared IGST",
    "Declared CGST",
    "Declared SGST",
    "Declared Cess",
    "Remarks",
    "Source",
    "Source return period",
    "Source filing status",
    "Sheet validation errors",
    "GST portal validation errors",
    "Previous status",
    "Remarks",
    "IsPendingBlocked",
    "IsRemarkBlocked",
]


def _ims_tool_sheet(ws, headers: list[str], rows: list[list], original: int = 0) -> None:
    """Row 5: GSTIN/name merged down into row 6 and the group labels; row 6: column names."""
    ws["A1"] = "Invoice Management System (IMS) - Offline Tool"
    top = 5 + (1 if original else 0)
    if original:
        ws.cell(5, 1, "Original details")
        ws.merge_cells(start_row=5, start_column=1, end_row=5, end_column=original)
        ws.cell(5, original + 1, "Revised details")
    for c, text in enumerate(headers, start=1):
        if text in ("GSTIN of supplier", "Trade/Legal name"):
            ws.cell(top, c, text)
            ws.merge_cells(start_row=top, start_column=c, end_row=top + 1, end_column=c)
        else:
            ws.cell(top + 1, c, text)
    ws.cell(top, original + 3, "Invoice details")
    for r, values in enumerate(rows, start=top + 2):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c, value)


def ims_tool_workbook(b2b_rows: list[list], cn_rows: list[list] = (), b2ba_rows: list[list] = ()) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = "Home"
    wb["Home"]["A1"] = "IMS Offline Tool"
    _ims_tool_sheet(wb.create_sheet("B2B"), IMS_TOOL_B2B, b2b_rows)
    _ims_tool_sheet(
        wb.create_sheet("B2BA"),
        ["Invoice number", "Invoice date", *IMS_TOOL_B2B],
        list(b2ba_rows),
        original=2,
    )
    for title in ("B2B-DN", "B2B-DNA", "B2B-CNA", "ECO", "ECOA"):
        wb.create_sheet(title)
    _ims_tool_sheet(wb.create_sheet("B2B-CN"), IMS_TOOL_CN, list(cn_rows))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# GSTR-2A Excel (docs/reference/formats.md §5): 2B's columns without the trade name, then filing statuses and amendment info.
GSTR2A_B2B_HEADERS = [
    "GSTIN of supplier",
    "Invoice number",
    "Invoice type",
    "Invoice Date",
    "Invoice Value (₹)",
    "Place of supply",
    "Supply Attract Reverse Charge",
    "Rate (%)",
    "Taxable Value (₹)",
    "Integrated Tax (₹)",
    "Central Tax (₹)",
    "State/UT tax (₹)",
    "Cess (₹)",
    "GSTR-1/5 Filing Status",
    "GSTR-3B Filing Status",
    "Amendment made, if any",
    "Tax Period in which Amended",
    "Effective date of cancellation",
    "Source",
    "IRN",
    "IRN Date",
]
GSTR2A_CDNR_HEADERS = [
    "GSTIN of supplier",
    "Note/Refund Voucher type",
    "Note/Refund Voucher Number",
    "Note/Refund Voucher date",
    "Note Supply type",
    "Note/Refund Voucher Value (₹)",
    "Place of supply",
    "Supply Attract Reverse Charge",
    "Rate (%)",
    "Taxable Value (₹)",
    "Integrated Tax (₹)",
    "Central Tax (₹)",
    "State/UT tax (₹)",
    "Cess (₹)",
    "GSTR-1/5 Filing Status",
    "GSTR-3B Filing Status",
    "Amendment made, if any",
    "Tax Period in which Amended",
    "Effective date of cancellation",
]


def gstr2a_workbook(b2b_rows: list[list], cdnr_rows: list[list] = ()) -> bytes:
    wb = openpyxl.Workbook()
    readme = wb.active
    readme.title = "Read me"
    readme["A1"] = "Goods and Services Tax - GSTR-2A"
    readme["A3"], readme["B3"] = "GSTIN", RECIPIENT
    for title, headers, rows in (
        ("B2B", GSTR2A_B2B_HEADERS, b2b_rows),
        ("CDNR", GSTR2A_CDNR_HEADERS, cdnr_rows),
    ):
        ws = wb.create_sheet(title)
        ws["A1"] = "Goods and Services Tax - GSTR-2A"
        ws.cell(5, 2, "Invoice details")
        for c, text in enumerate(headers, start=1):
            ws.cell(6, c, text)
        for r, values in enumerate(rows, start=7):
            for c, value in enumerate(values, start=1):
                ws.cell(r, c, value)
    tds = wb.create_sheet("TDS")
    for r in range(1, 20):
        tds.cell(r, 1, f"TDS line {r}")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
