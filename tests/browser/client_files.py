"""A client's own files, written by hand for the browser walk: a Tally purchase register and its IMS download.

Neither comes from ``recon.synth``: the register is laid out the way Tally prints it (a title block above the
header, Tally's column names, rate-wise lines of one voucher with the gross total printed once, "Debit Note"
vouchers for the supplier's credit notes), the IMS file is the bare download without a recipient GSTIN.
Every document's fate is known up front (:class:`ClientFiles`), so the walk can check each tab against it.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from recon.gstin import check_char

PERIOD = "112025"
RTNPRD = "112025"
CLIENT_NAME = "Kaveri Precision Castings"
COMPANY_TITLE = "Kaveri Precision Castings Pvt Ltd"
TITLE_BLOCK = [[COMPANY_TITLE], ["Purchase Register"], ["1-Nov-2025 to 30-Nov-2025"], []]
HEADERS = [
    "Date",
    "Particulars",
    "Voucher Type",
    "Voucher No.",
    "Supplier Invoice No.",
    "Supplier Invoice Date",
    "GSTIN/UIN",
    "Taxable Value",
    "Input IGST",
    "Input CGST",
    "Input SGST",
    "Gross Total",
]
# A number the portal refuses: GST allows 16 characters (docs/reference/formats.md §1.3).
OVERLONG_NUMBER = "KPC/2025-26/INV/000123"


def make_gstin(state: str, pan: str, entity: str = "1") -> str:
    """A GSTIN with a valid check character (docs/reference/ims-rules.md §9.1)."""
    body = f"{state}{pan}{entity}Z"
    return body + check_char(body)


CLIENT_GSTIN = make_gstin("27", "AAKCK4821M")
OTHER_CLIENT_GSTIN = make_gstin("29", "AAFCD7310Q")


@dataclass(frozen=True)
class Supplier:
    name: str
    gstin: str

    @property
    def intra(self) -> bool:
        return self.gstin[:2] == CLIENT_GSTIN[:2]


SUPPLIERS = [
    Supplier("Deccan Alloys & Metals", make_gstin("27", "AACFD2291K")),
    Supplier("Sahyadri Foundry Consumables", make_gstin("27", "AAGCS5530P")),
    Supplier("Konkan Packaging Works", make_gstin("27", "ABEPK7712R")),
    Supplier("Nilgiri Abrasives Ltd", make_gstin("33", "AACCN3381E")),
    Supplier("Malabar Tooling Co", make_gstin("32", "AAEFM9920H")),
    Supplier("Godavari Electricals", make_gstin("36", "AAHFG6604L")),
    Supplier("Vindhya Refractories", make_gstin("23", "AADCV1187B")),
]
DECCAN, SAHYADRI, KONKAN, NILGIRI, MALABAR, GODAVARI, VINDHYA = SUPPLIERS
# Deccan's second registration (same PAN, another state): never in the register, only on the portal.
DECCAN_KARNATAKA = Supplier("Deccan Alloys & Metals", make_gstin("29", DECCAN.gstin[2:12], "2"))


@dataclass(frozen=True)
class Line:
    """One rate line of a document: taxable value at a GST rate."""

    taxable: float
    rate: int


@dataclass
class Document:
    """One supplier document and where it should land after reconciliation."""

    supplier: Supplier
    number: str
    day: int
    lines: list[Line]
    kind: str = "invoice"  # or "credit_note"
    expect: str = "matched"  # matched / mismatched / ims_only / books_only
    portal_taxable_delta: float = 0.0  # the supplier reported a different taxable value
    in_books: bool = True
    in_ims: bool = True
    supplier_on_portal: Supplier | None = None
    supplier_filed: bool = True  # False: the supplier has not filed the return that carries it
    vouchers: list[str] = field(default_factory=list)

    @property
    def doc_date(self) -> date:
        return date(2025, 11, self.day)

    @property
    def taxable(self) -> float:
        return round(sum(line.taxable for line in self.lines), 2)

    def tax_parts(self, supplier: Supplier, delta: float = 0.0) -> tuple[float, float, float]:
        """(IGST, CGST, SGST) of all lines; ``delta`` adds taxable value to the first line."""
        igst = cgst = 0.0
        for index, line in enumerate(self.lines):
            taxable = line.taxable + (delta if index == 0 else 0.0)
            tax = round(taxable * line.rate / 100, 2)
            if supplier.intra:
                cgst += round(tax / 2, 2)
            else:
                igst += tax
        return round(igst, 2), round(cgst, 2), round(cgst, 2)

    @property
    def itc(self) -> float:
        igst, cgst, sgst = self.tax_parts(self.supplier)
        return round(igst + cgst + sgst, 2)


def documents() -> list[Document]:
    """About forty documents of November 2025, each with the tab it belongs to."""
    docs: list[Document] = []
    matched_plan = [
        (DECCAN, "DAM/1101", 3, [Line(84500.00, 18)]),
        (DECCAN, "DAM/1102", 5, [Line(21000.00, 5), Line(46250.00, 18)]),  # two rate rows
        (DECCAN, "DAM/1107", 12, [Line(132400.00, 18)]),
        (SAHYADRI, "SFC-2231", 4, [Line(18900.00, 18)]),
        (SAHYADRI, "SFC-2240", 9, [Line(7600.00, 12), Line(12250.50, 18)]),  # two rate rows
        (SAHYADRI, "SFC-2262", 21, [Line(56000.00, 18)]),
        (KONKAN, "KPW/25/0871", 6, [Line(9850.00, 12)]),
        (KONKAN, "KPW/25/0902", 17, [Line(14420.00, 12)]),
        (NILGIRI, "NAL/TN/4410", 7, [Line(66300.00, 18)]),
        (NILGIRI, "NAL/TN/4432", 18, [Line(15000.00, 5), Line(38750.00, 18)]),  # two rate rows
        (MALABAR, "MTC-118", 10, [Line(241000.00, 18)]),
        (MALABAR, "MTC-121", 24, [Line(12300.00, 18)]),
        (GODAVARI, "GE/2526/3390", 11, [Line(45780.00, 18)]),
        (GODAVARI, "GE/2526/3417", 25, [Line(8800.00, 28), Line(3150.00, 18)]),  # two rate rows
        (VINDHYA, "VR-55012", 13, [Line(172500.00, 18)]),
        (VINDHYA, "VR-55019", 26, [Line(39900.00, 12)]),
        (DECCAN, "DAM/1115", 19, [Line(27640.00, 18)]),
        (SAHYADRI, "SFC-2270", 27, [Line(11100.00, 18)]),
        (KONKAN, "KPW/25/0915", 28, [Line(6240.00, 18)]),
        (NILGIRI, "NAL/TN/4450", 29, [Line(19990.00, 18)]),
    ]
    docs += [Document(s, n, d, lines) for s, n, d, lines in matched_plan]
    # Matched, but the supplier has not filed yet: accepting it takes credit before GSTR-2B carries it.
    docs[15].supplier_filed = False
    # Debit Note vouchers of the register = the supplier's credit notes on the portal (b2bcn).
    docs += [
        Document(DECCAN, "DAM/CN/044", 20, [Line(5000.00, 18)], kind="credit_note"),
        Document(NILGIRI, "NAL/CN/112", 22, [Line(3200.00, 18)], kind="credit_note"),
    ]
    mismatched_plan = [
        (SAHYADRI, "SFC-2248", 14, [Line(25400.00, 18)], 2000.00),
        (MALABAR, "MTC-119", 15, [Line(58800.00, 18)], 5000.00),
        (GODAVARI, "GE/2526/3402", 16, [Line(31200.00, 18)], -1500.00),
        (VINDHYA, "VR-55016", 20, [Line(11000.00, 5), Line(24000.00, 18)], 1000.00),  # two rate rows
        (KONKAN, "KPW/25/0888", 12, [Line(18650.00, 12)], 750.00),
    ]
    docs += [
        Document(s, n, d, lines, expect="mismatched", portal_taxable_delta=delta)
        for s, n, d, lines, delta in mismatched_plan
    ]
    # On the portal only: the books never recorded them.
    docs += [
        Document(MALABAR, "MTC-126", 27, [Line(17350.00, 18)], expect="ims_only", in_books=False),
        Document(GODAVARI, "GE/2526/3431", 28, [Line(4600.00, 18)], expect="ims_only", in_books=False),
        Document(VINDHYA, "VR-55027", 29, [Line(64000.00, 18)], expect="ims_only", in_books=False),
        Document(
            DECCAN,
            "DAM/KA/0077",
            23,
            [Line(9300.00, 18)],
            expect="ims_only",
            in_books=False,
            supplier_on_portal=DECCAN_KARNATAKA,
        ),
        # The record the portal would refuse: its number is longer than GST allows.
        Document(SAHYADRI, OVERLONG_NUMBER, 25, [Line(15500.00, 18)], expect="ims_only", in_books=False),
    ]
    # In the books only: never reported, and one invoice booked twice.
    docs += [
        Document(KONKAN, "KPW/25/0931", 30, [Line(5200.00, 18)], expect="books_only", in_ims=False),
        Document(NILGIRI, "NAL/TN/4461", 30, [Line(22400.00, 18)], expect="books_only", in_ims=False),
        Document(MALABAR, "MTC-121B", 26, [Line(3300.00, 18)], expect="books_only", in_ims=False),
    ]
    for index, doc in enumerate(docs, start=1):
        doc.vouchers = [f"{'DN' if doc.kind == 'credit_note' else 'PUR'}/{index:04d}"]
    # The register books GE/2526/3390 a second time under another voucher (a double booking).
    docs[12].vouchers.append("PUR/0099")
    return docs


# --- the Tally register ----------------------------------------------------------------------------


def register_rows(docs: list[Document]) -> list[list]:
    """Rows under the header: one per rate line; Particulars and Gross Total only on a voucher's first line."""
    rows: list[list] = []
    for doc in docs:
        if not doc.in_books:
            continue
        vtype = "Debit Note" if doc.kind == "credit_note" else "Purchase"
        for voucher in doc.vouchers:
            booked = date(2025, 11, min(doc.day + 2, 30))
            for index, line in enumerate(doc.lines):
                single = Document(doc.supplier, doc.number, doc.day, [line])
                igst, cgst, sgst = single.tax_parts(doc.supplier)
                gross = round(doc.taxable + doc.itc, 2) if index == 0 else None
                rows.append(
                    [
                        booked,
                        doc.supplier.name if index == 0 else None,
                        vtype,
                        voucher,
                        doc.number,
                        doc.doc_date,
                        doc.supplier.gstin,
                        line.taxable,
                        igst or None,
                        cgst or None,
                        sgst or None,
                        gross,
                    ]
                )
    return rows


def register_xlsx(docs: list[Document]) -> bytes:
    """The workbook Tally's Purchase Register export looks like: titles, header, lines, a total row."""
    return _tally_workbook(HEADERS, register_rows(docs), first_amount=7)


RATES = (5, 12, 18, 28)


def _pct(rate: float) -> str:
    return f"{rate:g}%"


LEDGER_HEADERS = [
    "Date",
    "Particulars",
    "Voucher Type",
    "Voucher No.",
    "Supplier Invoice No.",
    "Supplier Invoice Date",
    "GSTIN/UIN",
    *[f"Purchase @{_pct(r)}" for r in RATES],
    *[f"Input CGST @{_pct(r / 2)}" for r in RATES],
    *[f"Input SGST @{_pct(r / 2)}" for r in RATES],
    *[f"Input IGST @{_pct(r)}" for r in RATES],
    "Gross Total",
]


def ledger_rows(docs: list[Document]) -> list[list]:
    """Tally's columnar register: one row per voucher, one column per ledger (rate-wise purchase and tax)."""
    rows: list[list] = []
    for doc in docs:
        if not doc.in_books:
            continue
        vtype = "Debit Note" if doc.kind == "credit_note" else "Purchase"
        by_rate = {line.rate: line for line in doc.lines}
        purchase, cgst, sgst, igst = [], [], [], []
        for rate in RATES:
            line = by_rate.get(rate)
            i, c, s_ = (
                Document(doc.supplier, doc.number, doc.day, [line]).tax_parts(doc.supplier)
                if line
                else (0, 0, 0)
            )
            purchase.append(line.taxable if line else None)
            cgst.append(c or None)
            sgst.append(s_ or None)
            igst.append(i or None)
        for voucher in doc.vouchers:
            booked = date(2025, 11, min(doc.day + 2, 30))
            rows.append(
                [
                    booked,
                    doc.supplier.name,
                    vtype,
                    voucher,
                    doc.number,
                    doc.doc_date,
                    doc.supplier.gstin,
                    *purchase,
                    *cgst,
                    *sgst,
                    *igst,
                    round(doc.taxable + doc.itc, 2),
                ]
            )
    return rows


def ledger_register_xlsx(docs: list[Document]) -> bytes:
    return _tally_workbook(LEDGER_HEADERS, ledger_rows(docs), first_amount=7)


def _tally_workbook(headers: list[str], rows: list[list], *, first_amount: int) -> bytes:
    """Title block, header, rows and Tally's "Grand Total" line under the amount columns."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("Purchase Register")
    date_format = book.add_format({"num_format": "d-mmm-yy"})
    money = book.add_format({"num_format": "#,##,##0.00"})
    grid = [*TITLE_BLOCK, headers, *rows]
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, date_format)
            elif isinstance(value, float):
                sheet.write_number(r, c, value, money)
            else:
                sheet.write(r, c, value)
    total_row = len(grid)
    sheet.write(total_row, 1, "Grand Total")
    for c in range(first_amount, len(headers)):
        sheet.write_number(total_row, c, round(sum((row[c] or 0.0) for row in rows), 2), money)
    book.close()
    return out.getvalue()


# --- the IMS download -----------------------------------------------------------------------------


def _record_hash(record: dict) -> str:
    keys = sorted(k for k in record if k not in ("action", "hash", "ispendactblocked", "srcfilstatus"))
    return hashlib.sha256("|".join(f"{k}={record[k]}" for k in keys).encode()).hexdigest()


def ims_record(doc: Document) -> dict:
    supplier = doc.supplier_on_portal or doc.supplier
    igst, cgst, sgst = doc.tax_parts(supplier, doc.portal_taxable_delta)
    taxable = round(doc.taxable + doc.portal_taxable_delta, 2)
    number_key, date_key = ("nt_num", "nt_dt") if doc.kind == "credit_note" else ("inum", "idt")
    record = {
        "stin": supplier.gstin,
        number_key: doc.number,
        date_key: doc.doc_date.strftime("%d-%m-%Y"),
        "inv_typ": "R",
        "pos": CLIENT_GSTIN[:2],
        "val": round(taxable + igst + cgst + sgst, 2),
        "txval": taxable,
        "iamt": igst,
        "camt": cgst,
        "samt": sgst,
        "cess": 0,
        "rtnprd": RTNPRD,
        "srcform": "R1",
        "srcfilstatus": "Filed" if doc.supplier_filed else "Not Filed",
        "action": "N",
        "ispendactblocked": "N",
    }
    record["hash"] = _record_hash(record)
    return record


def ims_sections(docs: list[Document]) -> dict[str, list[dict]]:
    sections: dict[str, list[dict]] = {"b2b": [], "b2bcn": []}
    for doc in docs:
        if doc.in_ims:
            sections["b2bcn" if doc.kind == "credit_note" else "b2b"].append(ims_record(doc))
    return sections


def ims_json(docs: list[Document]) -> bytes:
    """The bare download (no recipient GSTIN in it), as the decrypted API payload is."""
    return json.dumps(ims_sections(docs), indent=1).encode()


# --- everything on disk ---------------------------------------------------------------------------


@dataclass
class ClientFiles:
    folder: Path
    docs: list[Document]
    register: Path
    ims: Path
    ledger_register: Path

    def expected(self, tab: str) -> list[Document]:
        return [d for d in self.docs if d.expect == tab]

    def book_documents(self) -> int:
        """Documents the register holds (a double booking counts twice, rate lines once)."""
        return sum(len(d.vouchers) for d in self.docs if d.in_books)

    def ims_records(self) -> int:
        return sum(1 for d in self.docs if d.in_ims)

    def name_of(self, gstin: str) -> str:
        return next(s.name for s in [*SUPPLIERS, DECCAN_KARNATAKA] if s.gstin == gstin)


def write_client_files(folder: Path) -> ClientFiles:
    docs = documents()
    folder.mkdir(parents=True, exist_ok=True)
    register = folder / "Kaveri Purchase Register Nov-25.xlsx"
    register.write_bytes(register_xlsx(docs))
    ims = folder / f"IMS_{PERIOD}_download.json"
    ims.write_bytes(ims_json(docs))
    ledger = folder / "Kaveri Purchase Register Nov-25 (columnar).xlsx"
    ledger.write_bytes(ledger_register_xlsx(docs))
    return ClientFiles(folder, docs, register, ims, ledger)
