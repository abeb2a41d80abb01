"""Purchase-register layouts of the ERPs Indian clients use, and how each names its vouchers.

Registers use the *buyer's* wording (docs/reference/matching-practice.md §7): a supplier's credit note is a "Debit
Note" voucher in Tally and Busy, a "Vendor Credits" entry in Zoho Books, a "Credit Memo" in SAP; a
supplier's debit note is a "Credit Note" voucher in Tally. Some purchase returns are typed as
negative purchases instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from recon.gstin import state_name
from recon.present import indian_grouping
from recon.synth.register import LayoutShape, file_rows

LAYOUTS = ("tally", "busy", "zoho", "sap", "marg", "generic")

SHAPES: dict[str, LayoutShape] = {
    # Tally: company, report name and period above the header (rows 1-3), header on row 4.
    "tally": LayoutShape(
        first_data_row=5, splits_rates=False, has_pos=False, has_reverse_charge=False, has_voucher_no=True
    ),
    "busy": LayoutShape(
        first_data_row=4, splits_rates=True, has_pos=False, has_reverse_charge=True, has_voucher_no=True
    ),
    "zoho": LayoutShape(
        first_data_row=2,
        splits_rates=False,
        has_pos=True,
        has_reverse_charge=True,
        has_voucher_no=False,
        debit_note_as_invoice=True,
        allows_negative=False,
    ),
    "sap": LayoutShape(
        first_data_row=2, splits_rates=True, has_pos=True, has_reverse_charge=True, has_voucher_no=True
    ),
    "marg": LayoutShape(
        first_data_row=3, splits_rates=False, has_pos=False, has_reverse_charge=False, has_voucher_no=True
    ),
    "generic": LayoutShape(
        first_data_row=2, splits_rates=True, has_pos=True, has_reverse_charge=True, has_voucher_no=True
    ),
}

SHEET_NAMES = {
    "tally": "Purchase Register",
    "busy": "Purchase Register",
    "zoho": "Bills",
    "sap": "Sheet1",
    "marg": "Purchase Register",
    "generic": "Purchase Register",
}

# Voucher words per layout: (supplier's class, typed negative?) -> what the ERP writes.
_WORDS: dict[str, dict[tuple[str, bool], str]] = {
    "tally": {
        ("invoice", False): "Purchase",
        ("credit_note", False): "Debit Note",
        ("credit_note", True): "Purchase",
        ("debit_note", False): "Credit Note",
    },
    "busy": {
        ("invoice", False): "Purchase",
        ("credit_note", False): "Debit Note",
        ("credit_note", True): "Purchase",
        ("debit_note", False): "Credit Note",
    },
    "zoho": {
        ("invoice", False): "Bill",
        ("credit_note", False): "Vendor Credits",
        ("credit_note", True): "Vendor Credits",
        ("debit_note", False): "Bill",
    },
    "sap": {
        ("invoice", False): "Invoice",
        ("credit_note", False): "Credit Memo",
        ("credit_note", True): "Credit Memo",
        ("debit_note", False): "Subsequent Debit",
    },
    "marg": {
        ("invoice", False): "Purchase",
        ("credit_note", False): "Purchase Return",
        ("credit_note", True): "Purchase",
        ("debit_note", False): "Credit Note",
    },
    # Our own template words every class unambiguously, so it reads right without a voucher-type mapping.
    "generic": {
        ("invoice", False): "Purchase",
        ("credit_note", False): "Purchase Return",
        ("credit_note", True): "Purchase Return",
        ("debit_note", False): "Supplier Debit Note",
    },
}


def voucher_word(layout: str, doc_kind: str, negative: bool) -> str:
    words = _WORDS[layout]
    return words.get((doc_kind, negative)) or words[(doc_kind, False)]


def voucher_type_expr(layout: str) -> pl.Expr:
    """The voucher word of each register row in ``layout`` (columns doc_kind, negative)."""
    expr = None
    for (kind, negative), word in _WORDS[layout].items():
        cond = (pl.col("doc_kind") == kind) & (pl.col("negative") == negative)
        expr = pl.when(cond).then(pl.lit(word)) if expr is None else expr.when(cond).then(pl.lit(word))
    return expr.otherwise(None)


# ---------------------------------------------------------------------------------------------------
# Rendering the register in each layout
# ---------------------------------------------------------------------------------------------------


@dataclass
class Sheet:
    """A register as a grid: title rows, one header row, data rows, a totals row. Cells are str, float,
    date or None; ``date_format`` says how dates print in CSV (and in xlsx when ``dates_as_text``)."""

    name: str
    title: list[list] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    footer: list[list] = field(default_factory=list)
    date_format: str = "%d-%m-%Y"
    dates_as_text: bool = False
    excel_date_format: str = "dd-mm-yyyy"
    csv_bom: bool = False  # Excel's "CSV UTF-8" starts the file with a byte-order mark


def indian(amount: float | None) -> str:
    """1,23,456.50 — lakh grouping, as Indian ERPs print amounts."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    whole, paise = f"{abs(amount):.2f}".split(".")
    return f"{sign}{indian_grouping(int(whole))}.{paise}"


def _signed(row: dict, column: str, allow_negative: bool = True) -> float:
    value = row[column]
    return -value if (row["negative"] and allow_negative and value) else value


def _blank_zero(value: float) -> float | None:
    return None if value == 0 else value


def _period_text(register_rows: list[dict], fmt: str) -> tuple[str, str]:
    dates = [r["voucher_date"] for r in register_rows]
    first = min(dates).replace(day=1)
    last = max(dates)
    nxt = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return format_date(first, fmt), format_date(last, fmt)


def format_date(d: date, fmt: str) -> str:
    # %-d is not portable; strip the zero by hand where a layout prints "1-Nov-2025".
    text = d.strftime(fmt.replace("%-d", "%d"))
    return text[1:] if fmt.startswith("%-d") and text.startswith("0") else text


def _totals(header: list[str], rows: list[list], label_col: int, label: str) -> list:
    total = [None] * len(header)
    total[label_col] = label
    for j in range(len(header)):
        values = [r[j] for r in rows]
        numeric = [v for v in values if isinstance(v, float)]
        if numeric and len(numeric) == len([v for v in values if v is not None]) and j != label_col:
            total[j] = round(sum(numeric), 2)
    return total


def tally_sheet(rows: list[dict], client_name: str) -> Sheet:
    start, end = _period_text(rows, "%-d-%b-%Y")
    header = [
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
        "Gross Total",
    ]
    data = [
        [
            r["voucher_date"],
            r["supplier_name"],
            voucher_word("tally", r["doc_kind"], r["negative"]),
            r["voucher_no"],
            r["doc_no"],
            r["doc_date"],
            r["supplier_gstin"],
            _signed(r, "taxable_value"),
            *[_blank_zero(_signed(r, c)) for c in ("igst", "cgst", "sgst", "cess")],
            _signed(r, "gross_total"),
        ]
        for r in rows
    ]
    return Sheet(
        SHEET_NAMES["tally"],
        [[client_name], ["Purchase Register"], [f"{start} to {end}"]],
        header,
        data,
        [_totals(header, data, 1, "Grand Total")],
        date_format="%-d-%b-%Y",
        excel_date_format="d-mmm-yy",
    )


def busy_sheet(rows: list[dict], client_name: str, amounts_as_text: bool) -> Sheet:
    start, end = _period_text(rows, "%d-%m-%Y")
    header = [
        "Date",
        "Vch/Bill No",
        "Type",
        "Party Name",
        "GSTIN",
        "Supplier Bill No",
        "Supplier Bill Date",
        "Reverse Charge",
        "Tax Rate",
        "Taxable Amt",
        "IGST Amt",
        "CGST Amt",
        "SGST Amt",
        "Cess Amt",
        "Bill Amount",
    ]
    money = indian if amounts_as_text else (lambda v: v)
    data = [
        [
            r["voucher_date"],
            r["voucher_no"],
            voucher_word("busy", r["doc_kind"], r["negative"]),
            r["supplier_name"],
            r["supplier_gstin"],
            r["doc_no"],
            r["doc_date"],
            "Y" if r["reverse_charge"] else "N",
            f"{r['rate']:g}%" if r["rate"] is not None else "",
            *[money(_signed(r, c)) for c in ("taxable_value", "igst", "cgst", "sgst", "cess", "gross_total")],
        ]
        for r in rows
    ]
    return Sheet(
        SHEET_NAMES["busy"],
        [[client_name], [f"Purchase Register from {start} to {end}"]],
        header,
        data,
        [] if amounts_as_text else [_totals(header, data, 3, "Total")],
        dates_as_text=True,
    )


def zoho_sheet(rows: list[dict]) -> Sheet:
    header = [
        "Bill Date",
        "Transaction Type",
        "Bill#",
        "Vendor Name",
        "GST Identification Number (GSTIN)",
        "Place of Supply",
        "Reverse Charge",
        "Taxable Amount",
        "IGST",
        "CGST",
        "SGST",
        "CESS",
        "Total",
    ]
    data = [
        [
            r["doc_date"],
            voucher_word("zoho", r["doc_kind"], False),
            r["doc_no"],
            r["supplier_name"],
            r["supplier_gstin"],
            state_name(r["pos"]),
            "Yes" if r["reverse_charge"] else "No",
            *[r[c] for c in ("taxable_value", "igst", "cgst", "sgst", "cess", "gross_total")],
        ]
        for r in rows
    ]
    return Sheet(
        SHEET_NAMES["zoho"], [], header, data, [], date_format="%Y-%m-%d", excel_date_format="yyyy-mm-dd"
    )


def sap_sheet(rows: list[dict]) -> Sheet:
    header = [
        "Posting Date",
        "Document Date",
        "Document Number",
        "Document Type",
        "Vendor",
        "Vendor Name",
        "Vendor GSTIN",
        "Reference",
        "Place of Supply",
        "Reverse Charge",
        "Tax Rate",
        "Taxable Amount",
        "IGST Amount",
        "CGST Amount",
        "SGST Amount",
        "Cess Amount",
        "Gross Amount",
    ]
    data = [
        [
            r["voucher_date"],
            r["doc_date"],
            r["voucher_no"],
            voucher_word("sap", r["doc_kind"], r["negative"]),
            f"V{int(r['supplier_gstin'][2:12].encode().hex(), 16) % 900000 + 100000}",
            r["supplier_name"],
            r["supplier_gstin"],
            r["doc_no"],
            r["pos"],
            "Yes" if r["reverse_charge"] else "No",
            r["rate"],
            *[_signed(r, c) for c in ("taxable_value", "igst", "cgst", "sgst", "cess", "gross_total")],
        ]
        for r in rows
    ]
    return Sheet(SHEET_NAMES["sap"], [], header, data, [], date_format="%d.%m.%Y", dates_as_text=True)


def marg_sheet(rows: list[dict]) -> Sheet:
    start, end = _period_text(rows, "%d/%m/%Y")
    header = [
        "Date",
        "Vch No.",
        "Type",
        "Party Name",
        "GSTIN",
        "Bill No.",
        "Bill Date",
        "Taxable",
        "IGST",
        "CGST",
        "SGST",
        "Cess",
        "Net Amount",
    ]
    data = [
        [
            r["voucher_date"],
            r["voucher_no"],
            voucher_word("marg", r["doc_kind"], r["negative"]),
            r["supplier_name"],
            r["supplier_gstin"],
            r["doc_no"],
            r["doc_date"],
            *[
                indian(_signed(r, c))
                for c in ("taxable_value", "igst", "cgst", "sgst", "cess", "gross_total")
            ],
        ]
        for r in rows
    ]
    totals = [None] * len(header)
    totals[3] = "Total"
    for j, c in enumerate(("taxable_value", "igst", "cgst", "sgst", "cess", "gross_total"), start=7):
        totals[j] = indian(round(sum(_signed(r, c) for r in rows), 2))
    return Sheet(
        SHEET_NAMES["marg"],
        [[f"PURCHASE REGISTER {start} TO {end}"]],
        header,
        data,
        [totals],
        date_format="%d/%m/%Y",
        dates_as_text=True,
    )


def generic_sheet(rows: list[dict]) -> Sheet:
    header = [
        "Supplier GSTIN",
        "Supplier Name",
        "Invoice No",
        "Invoice Date",
        "Place of Supply",
        "Reverse Charge",
        "Rate",
        "Taxable Value",
        "IGST",
        "CGST",
        "SGST",
        "Cess",
        "Invoice Value",
        "Voucher Type",
        "Voucher No",
        "Voucher Date",
    ]
    data = [
        [
            r["supplier_gstin"],
            r["supplier_name"],
            r["doc_no"],
            r["doc_date"],
            f"{r['pos']}-{state_name(r['pos'])}" if r["pos"] else None,
            "Y" if r["reverse_charge"] else "N",
            r["rate"],
            *[_signed(r, c) for c in ("taxable_value", "igst", "cgst", "sgst", "cess", "gross_total")],
            voucher_word("generic", r["doc_kind"], r["negative"]),
            r["voucher_no"],
            r["voucher_date"],
        ]
        for r in rows
    ]
    # Our template is typically filled in Excel and saved as "CSV UTF-8", which writes a BOM.
    return Sheet(SHEET_NAMES["generic"], [], header, data, [], csv_bom=True)


def render(layout: str, register: pl.DataFrame, client_name: str, fmt: str) -> Sheet:
    """The register as ``layout`` writes it in ``fmt`` (xlsx or csv)."""
    rows = file_rows(register, SHAPES[layout]).to_dicts()
    if layout == "tally":
        return tally_sheet(rows, client_name)
    if layout == "busy":
        return busy_sheet(rows, client_name, amounts_as_text=fmt == "csv")
    if layout == "zoho":
        return zoho_sheet(rows)
    if layout == "sap":
        return sap_sheet(rows)
    if layout == "marg":
        return marg_sheet(rows)
    return generic_sheet(rows)
