"""The generator's own description of documents before they are written anywhere.

A :class:`PortalDoc` is a document as the supplier reported it (it becomes an IMS record and/or a
GSTR-2B record); a :class:`BookEntry` is the client's booking of a document (it becomes one or more
rows of a purchase register). Both are internal: everything outside ``recon.synth`` sees only the
canonical frames built from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from recon.synth.parties import Supplier


def r2(value: float) -> float:
    """Round half up to paise, as invoices are printed (Python's round() is banker's rounding)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass
class Line:
    """Amounts of one tax rate on a document."""

    rate: float
    taxable: float
    igst: float = 0.0
    cgst: float = 0.0
    sgst: float = 0.0
    cess: float = 0.0

    @property
    def total(self) -> float:
        return r2(self.taxable + self.igst + self.cgst + self.sgst + self.cess)


def taxed_line(rate: float, taxable: float, inter_state: bool, cess_rate: float = 0.0) -> Line:
    """Tax split by place of supply: IGST across states, CGST + SGST (half each) within one."""
    cess = r2(taxable * cess_rate / 100)
    if inter_state:
        return Line(rate, taxable, igst=r2(taxable * rate / 100), cess=cess)
    half = r2(taxable * rate / 200)
    return Line(rate, taxable, cgst=half, sgst=half, cess=cess)


def sum_lines(lines: list[Line]) -> dict[str, float]:
    return {
        "taxable_value": r2(sum(x.taxable for x in lines)),
        "igst": r2(sum(x.igst for x in lines)),
        "cgst": r2(sum(x.cgst for x in lines)),
        "sgst": r2(sum(x.sgst for x in lines)),
        "cess": r2(sum(x.cess for x in lines)),
    }


@dataclass
class PortalDoc:
    """A document as its supplier reported it in GSTR-1 / IFF (or as ICEGATE / an ISD reported it)."""

    supplier: Supplier | None
    doc_kind: str  # invoice | credit_note | debit_note | isd | bill_of_entry
    doc_no: str
    doc_date: date
    lines: list[Line]
    pos: str
    rtnprd: str
    srcform: str = "R1"
    filed: bool = True
    action: str = "N"
    pending_blocked: bool = False
    original_no: str | None = None
    original_date: date | None = None
    in_ims: bool = True
    reverse_charge: bool = False
    itc_available: str = "Y"
    itc_reason: str | None = None
    items_in_2b: bool = False  # 2B JSON carries the amounts per rate in items[] only
    e_invoice: bool = False
    port_code: str | None = None  # imports
    doc_value: float | None = None  # None: sum of the lines

    @property
    def value(self) -> float:
        if self.doc_value is not None:
            return self.doc_value
        return r2(sum(x.total for x in self.lines))

    @property
    def is_amendment(self) -> bool:
        return self.original_no is not None

    @property
    def in_2b(self) -> bool:
        # Only filed documents reach GSTR-2B; Pending ones wait in IMS (docs/reference/ims-rules.md §1, §2).
        return self.filed and self.action != "P"


@dataclass
class BookEntry:
    """The client's booking of one document: one voucher, one or more register rows."""

    supplier_gstin: str
    supplier_name: str
    doc_kind: str
    doc_no: str
    doc_date: date
    lines: list[Line]
    voucher_no: str = ""
    voucher_date: date | None = None
    pos: str | None = None
    reverse_charge: bool = False
    negative: bool = False  # amounts typed with a minus sign (a purchase return booked as negative)
    split_rates: bool = False  # one register row per tax rate
    gross_total: float | None = None  # None: sum of the lines (else includes a round-off)
    extra: dict = field(default_factory=dict)

    @property
    def value(self) -> float:
        if self.gross_total is not None:
            return self.gross_total
        return r2(sum(x.total for x in self.lines))
