"""Column headers that purchase registers use for each canonical field.

Every ERP names the same thing differently: Tally's "Supplier Invoice No.", Zoho's "Bill Number", SAP's
"Reference", Busy's "Vch/Bill No", a CA's template "Inv No". A header is reduced to a *key* (lower-case,
currency marks and punctuation dropped, "No./Number/#" folded to "no", a trailing "Amount/Amt" dropped)
and looked up here. Within one field the synonyms are listed best first; the rank decides when a sheet
offers two candidates ("Supplier Invoice Date" beats a bare "Date", which is then the voucher date).
"""

from __future__ import annotations

import re

# Canonical fields a register may carry, in the order the mapping screen shows them.
FIELDS = (
    "supplier_gstin",
    "supplier_name",
    "doc_no",
    "doc_date",
    "voucher_no",
    "voucher_date",
    "voucher_type",
    "taxable_value",
    "igst",
    "cgst",
    "sgst",
    "cess",
    "doc_value",
    "rate",
    "pos",
    "reverse_charge",
    "original_doc_no",
    "original_doc_date",
    "supply_type",
    "recipient_gstin",
    "status",
)

# How the mapping screen names each field.
LABELS = {
    "supplier_gstin": "Supplier GSTIN",
    "supplier_name": "Supplier name",
    "doc_no": "Supplier invoice / note no.",
    "doc_date": "Supplier invoice date",
    "voucher_no": "Voucher no. (yours)",
    "voucher_date": "Voucher date",
    "voucher_type": "Voucher / document type",
    "taxable_value": "Taxable value",
    "igst": "IGST",
    "cgst": "CGST",
    "sgst": "SGST / UTGST",
    "cess": "Cess",
    "doc_value": "Invoice value",
    "rate": "Rate %",
    "pos": "Place of supply",
    "reverse_charge": "Reverse charge",
    "original_doc_no": "Original invoice no.",
    "original_doc_date": "Original invoice date",
    "supply_type": "Supply type",
    "recipient_gstin": "Recipient GSTIN (yours)",
    "status": "Entry status (void / cancelled skipped)",
}

AMOUNT_FIELDS = ("taxable_value", "igst", "cgst", "sgst", "cess", "doc_value")
TAX_FIELDS = ("igst", "cgst", "sgst", "cess")

# Best first. Tally (Purchase Register, GSTR-2 export), Busy, Zoho Books (Bills, Vendor Credits), SAP
# (FBL1N, J_1IG purchase register), Marg, Navision/Business Central and common CA templates.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "supplier_gstin": (
        # Party-specific names first: beside them a bare "GSTIN" is more likely the company's own.
        "Supplier GSTIN",
        "GSTIN of Supplier",
        "GSTIN/UIN of Supplier",
        "Party GSTIN",
        "Party GSTIN No",
        "Vendor GSTIN",
        "Vendor GST No",
        "Supplier GST No",
        "Supplier GSTIN/UIN",
        "Seller GSTIN",
        "GSTIN of Party",
        "Party GST No",
        "CTIN",
        "GSTIN/UIN",
        "GSTIN",
        "GSTIN No",
        "GSTIN Number",
        "GST Identification Number (GSTIN)",
        "GST Identification Number",
        "GST No",
        "GST Number",
        "GST Reg No",
        "GST Registration No",
        "GSTN",
        "GSTN No",
        "Tax Number 3",
    ),
    "supplier_name": (
        "Supplier Name",
        "Name of Supplier",
        "Supplier",
        "Vendor Name",
        "Name of Vendor",
        "Party Name",
        "Name of Party",
        "Party",
        "Particulars",
        "Trade/Legal Name",
        "Trade Name",
        "Legal Name",
        "Supplier Trade Name",
        "Ledger Name",
        "Ledger",
        "Account Name",
        "Name 1",
        "Creditor",
        "Seller Name",
        "Vendor",
        "Account",
        "Name",
    ),
    "doc_no": (
        "Supplier Invoice No",
        "Supplier Invoice",
        "Supplier Inv No",
        "Supplier Bill No",
        "Supplier Ref No",
        "Supplier Reference",
        "Supplier Reference No",
        "Supplier Ref",
        "Supplier's Ref",
        "Suppliers Invoice No",
        "Vendor Invoice No",
        "Vendor Invoice",
        "Vendor Inv No",
        "Vendor Bill No",
        "Vendor Reference",
        "Party Invoice No",
        "Party Bill No",
        "Party Ref No",
        "External Document No",
        "Ext Doc No",
        "Supp Inv No",
        "Supp Bill No",
        "Sup Inv No",
        "Voucher Ref No",
        "Vch Ref No",
        "Bill No",
        "Bill",
        "Bill Ref No",
        "Bill Reference",
        "Vch/Bill No",
        "Invoice/Note No",
        "Invoice/Note Number",
        "Inv/Note No",
        "Invoice No",
        "Inv No",
        "Invoice",
        "Vendor Credit",
        "Vendor Credit No",
        "Credit Note No",
        "Debit Note No",
        "Note No",
        "Reference No",
        "Ref No",
        "Reference",
        "Document No",
        "Doc No",
    ),
    "doc_date": (
        "Supplier Invoice Date",
        "Supplier Inv Date",
        "Supplier Bill Date",
        "Supplier Ref Date",
        "Vendor Invoice Date",
        "Vendor Bill Date",
        "Party Invoice Date",
        "Party Bill Date",
        "Bill Date",
        "Invoice/Note Date",
        "Inv/Note Date",
        "Invoice Date",
        "Inv Date",
        "Date of Invoice",
        "Vendor Credit Date",
        "Credit Note Date",
        "Debit Note Date",
        "Note Date",
        "Document Date",
        "Doc Date",
        "Reference Date",
        "Ref Date",
        "Date",
    ),
    "voucher_no": (
        "Voucher No",
        "Vch No",
        "Voucher Number",
        "Vou No",
        "Entry No",
        "Journal No",
        "Purchase No",
        "Purchase Voucher No",
        "GRN No",
        "Bill ID",
        "Internal No",
        "Document Number",
        "Document No",
        "Doc No",
        "Vendor Credit ID",
        "Vch/Bill No",  # Busy registers: the buyer's voucher number
    ),
    "voucher_date": (
        "Voucher Date",
        "Vch Date",
        "Vou Date",
        "Posting Date",
        "Entry Date",
        "GL Date",
        "Accounting Date",
        "Booking Date",
        "Purchase Date",
        "Date",
    ),
    "voucher_type": (
        "Voucher Type",
        "Vch Type",
        "Voucher Type Name",
        "Document Type",
        "Doc Type",
        "Transaction Type",
        "Note Type",
        "Type of Note",
        "Type of Document",
        "Entry Type",
        "Type",
    ),
    "taxable_value": (
        "Taxable Value",
        "Taxable",
        "Taxable Val",
        "Taxable Amt",
        "Assessable Value",
        "Assessable",
        "Item Total",
        "Sub Total",
        "SubTotal",
        "Base Amount",
        "Tax Base Amount",
        "Net Value",
        "Value Before Tax",
        "Amount Before Tax",
        "Purchase Value",
        "Goods Value",
    ),
    "igst": (
        "IGST",
        "Integrated Tax",
        "Integrated Tax Paid",
        "IGST Value",
        "Input IGST",
        "IGST Paid",
        "Integrated Tax Amount",
        "IGST Tax",
    ),
    "cgst": (
        "CGST",
        "Central Tax",
        "Central Tax Paid",
        "CGST Value",
        "Input CGST",
        "CGST Paid",
        "CGST Tax",
    ),
    "sgst": (
        "SGST",
        "SGST/UTGST",
        "SGST/UGST",
        "State Tax",
        "State/UT Tax",
        "State Tax Paid",
        "State/UT Tax Paid",
        "UTGST",
        "UGST",
        "SGST Value",
        "Input SGST",
        "SGST Paid",
        "SGST Tax",
    ),
    "cess": (
        "Cess",
        "CESS Value",
        "Compensation Cess",
        "GST Cess",
        "Cess Paid",
        "Input Cess",
    ),
    "doc_value": (
        "Invoice Value",
        "Total Invoice Value",
        "Invoice Total",
        "Invoice Amount",
        "Bill Value",
        "Bill Amount",
        "Bill Total",
        "Note Value",
        "Document Value",
        "Gross Total",
        "Gross",
        "Total Value",
        "Total",
        "Net Total",
        "Net Amount",
        "Grand Total",
        "Amount in LC",
        "Amount in Local Currency",
        "Amount in Doc Curr",
        "Value",
        "Amount",
        "Gross Amount",  # SAP MIRO / vendor line items
    ),
    "rate": (
        "Rate",
        "GST Rate",
        "Tax Rate",
        "Rate %",
        "GST %",
        "Tax %",
        "Rate of Tax",
        "GST Rate %",
        "Item Tax %",
        "Tax Rate %",
        "Applicable Rate",
    ),
    "pos": (
        "Place of Supply",
        "Place of Supply (With State Code)",
        "Place Of Supply (Name of State/UT)",
        "POS",
        "Place of Supply State",
        "Supply State",
        "POS State",
        "State of Supply",
        "Destination of Supply",
    ),
    "reverse_charge": (
        "Reverse Charge",
        "Reverse Charge Applicable",
        "Is Reverse Charge",
        "Reverse Charge (Y/N)",
        "RCM",
        "RCM Applicable",
        "Is RCM",
        "Supply Attract Reverse Charge",
    ),
    "original_doc_no": (
        "Original Invoice No",
        "Orig Invoice No",
        "Original Bill No",
        "Against Invoice No",
        "Against Bill No",
        "Original Document No",
        "Ref Invoice No",
        "Invoice Reference",
    ),
    "original_doc_date": (
        "Original Invoice Date",
        "Orig Invoice Date",
        "Original Bill Date",
        "Against Invoice Date",
        "Original Document Date",
        "Ref Invoice Date",
    ),
    "supply_type": ("Invoice Type", "Supply Type", "Type of Supply", "Nature of Supply"),
    # The buyer's own registration, in registers of companies with several GSTINs (branches, SAP plants).
    "recipient_gstin": (
        "Recipient GSTIN",
        "GSTIN of Recipient",
        "Company GSTIN",
        "Our GSTIN",
        "Own GSTIN",
        "Buyer GSTIN",
        "Branch GSTIN",
        "Location GSTIN",
        "Business Place GSTIN",
        "Company GST No",
        "Receiver GSTIN",
    ),
    # Entry status: void / cancelled / draft entries are not purchases (Zoho's "Bill Status").
    "status": (
        "Bill Status",
        "Voucher Status",
        "Document Status",
        "Invoice Status",
        "Entry Status",
        "Status",
    ),
}

# Headers that name the kind of document in themselves (Zoho's Vendor Credits export has no type column).
HEADER_KIND = {
    "vendorcredit": "credit_note",
    "vendorcreditno": "credit_note",
    "creditnoteno": "credit_note",
    "vendorcreditdate": "credit_note",
}

_TOKEN_CANON = {
    "number": "no",
    "num": "no",
    "nbr": "no",
    "#": "no",
    "dt": "date",
    "amt": "amount",
    "inv": "invoice",
    "vch": "vch",
    "%": "pct",
    "percent": "pct",
}
_DROP_TOKENS = {"rs", "inr", "₹", "in", "the", "of"}
_TAX_WORDS = {"igst", "cgst", "sgst", "utgst", "ugst", "cess", "tax", "taxable", "gst"}
# Bare headers that two fields share, in order of preference: a sheet with only "Date" means the
# document date; next to "Supplier Invoice Date" it is the voucher date. They rank after every
# specific synonym.
_SHARED = {
    "date": ("doc_date", "voucher_date"),
    "documentno": ("doc_no", "voucher_no"),
    "docno": ("doc_no", "voucher_no"),
}


def header_key(text: object) -> str:
    """Reduce a header to the key synonyms are looked up by; '' for a blank header.

    'Supplier Invoice No.' · 'supplier invoice number' · 'SUPPLIER INV #' → 'supplierinvoiceno';
    'IGST Amt (₹)' · 'IGST (Rs.)' · 'igst amount' → 'igst'.
    """
    if text is None:
        return ""
    t = str(text).lower().replace("&", " and ").replace("'", "").replace("’", "")
    tokens = re.findall(r"[a-z0-9]+|[#%₹]", t)
    out = []
    for tok in tokens:
        tok = _TOKEN_CANON.get(tok, tok)
        if tok in _DROP_TOKENS:
            continue
        out.append(tok)
    # "IGST Amount" and "IGST" are the same column; but "Bill Amount" is not "Bill" (a number).
    if len(out) > 1 and out[-1] == "amount" and out[-2] in _TAX_WORDS:
        out.pop()
    return "".join(out)


def _candidates() -> dict[str, list[tuple[str, int]]]:
    """key -> [(field, rank)], rank = position in the field's synonym list."""
    table: dict[str, list[tuple[str, int]]] = {}
    for field, names in SYNONYMS.items():
        for rank, name in enumerate(names):
            key = header_key(name)
            if key in _SHARED:
                rank = 1000 + _SHARED[key].index(field)
            entries = table.setdefault(key, [])
            if all(f != field for f, _ in entries):
                entries.append((field, rank))
    return table


CANDIDATES = _candidates()


def fields_for(header: object) -> list[tuple[str, int]]:
    """The fields a header may stand for, with its rank in each (lower is better).

    A repeated header renamed "Date (2)" by the reader is still a date: the second of two "Date"
    columns becomes the voucher date when the first is the document date.
    """
    text = re.sub(r"\s\(\d+\)$", "", str(header)) if header is not None else header
    return CANDIDATES.get(header_key(text), [])


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Canonical field -> header, each header used once, best-ranked pairs first.

    ``headers`` must be unique (the reader disambiguates duplicates first). Order of the result follows
    :data:`FIELDS`.
    """
    pairs = []
    for position, header in enumerate(headers):
        for field, rank in fields_for(header):
            pairs.append((rank, FIELDS.index(field), position, field, header))
    pairs.sort()
    chosen: dict[str, str] = {}
    used: set[str] = set()
    for _rank, _order, _pos, field, header in pairs:
        if field in chosen or header in used:
            continue
        chosen[field] = header
        used.add(header)
    # A header that could be the supplier's number goes there when nothing else is: Busy's "Vch/Bill
    # No" is the voucher number beside "Supplier Bill No", but the only number in a plain Busy export.
    for needed, spare in (("doc_no", "voucher_no"), ("doc_date", "voucher_date")):
        if (
            needed not in chosen
            and spare in chosen
            and any(f == needed for f, _ in fields_for(chosen[spare]))
        ):
            chosen[needed] = chosen.pop(spare)
    used = set(chosen.values())
    ledgers: dict[str, list[str]] = {}
    for header in headers:
        field = ledger_field(header) if header not in used else None
        if field and field not in chosen:
            ledgers.setdefault(field, []).append(header)
    chosen.update({field: JOIN.join(columns) for field, columns in ledgers.items()})
    return {f: chosen[f] for f in FIELDS if f in chosen}


# Tally's columnar purchase register shows one column per ledger: "Purchase @18%", "Input CGST @9%",
# "Input CGST @2.5%" ... A field fed by several such columns is their sum; the mapping names them all,
# joined by JOIN. A plain column for the field ("CGST", "Central Tax Amount") always wins over ledgers.
JOIN = " + "
_LEDGER_TAX = (
    ("igst", r"\bigst\b|integrated\s+tax"),
    ("cgst", r"\bcgst\b|central\s+tax"),
    ("sgst", r"\b(sgst|utgst|ugst)\b|state(\s*/\s*ut)?\s+tax"),
    ("cess", r"\bcess\b"),
)
_RATE_IN_HEADER = r"@|\d+(\.\d+)?\s*%"
_PURCHASE_LEDGER = r"^(gst\s+|local\s+|inter\s*-?\s*state\s+|intra\s*-?\s*state\s+)?purchases?\b"


def ledger_field(header: object) -> str | None:
    """The field a ledger column adds to: 'Input IGST @18%' -> igst, 'Purchase @12%' -> taxable_value.

    Only headers that carry a rate ('@', '18%') or say 'Input' are ledgers; a 'Rate' column is not.
    """
    text = str(header or "").lower()
    if re.search(r"\brate\b", text):
        return None
    has_rate = re.search(_RATE_IN_HEADER, text) is not None
    if has_rate or re.search(r"\binput\b", text):
        for field, pattern in _LEDGER_TAX:
            if re.search(pattern, text):
                return field
    if has_rate and re.search(_PURCHASE_LEDGER, text):
        return "taxable_value"
    return None


def split_columns(mapped: str) -> list[str]:
    """The header(s) a mapping value names: 'A + B' -> ['A', 'B']."""
    return [part.strip() for part in str(mapped).split(JOIN) if part.strip()]


def candidates_per_field(headers: list[str]) -> dict[str, list[str]]:
    """For the mapping screen: every header that could stand for each field, best first."""
    result: dict[str, list[tuple[int, int, str]]] = {f: [] for f in FIELDS}
    for position, header in enumerate(headers):
        for field, rank in fields_for(header):
            result[field].append((rank, position, header))
        ledger = ledger_field(header)
        if ledger and not fields_for(header):
            result[ledger].append((2000, position, header))
    return {f: [h for _, _, h in sorted(v)] for f, v in result.items() if v}
