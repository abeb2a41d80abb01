"""A client's Aug–Oct 2025 written by hand: one financial-year register, two GSTR-2Bs, two IMS inboxes.

The register is a Tally export (title rows, Tally's column names, one bill on two rate rows, a Debit Note
voucher) covering three months; the portal files are the JSON the portal gives. Every document's story:

- AUG-1 booked Aug, in August's 2B                    → settled by Aug 2025
- AUG-2 booked Aug, in September's 2B (filed late)    → settled by Sep 2025
- SEP-1 booked Sep, in IMS from the supplier's Oct GSTR-1 → a cross-period pair (Matched)
- SEP-2 booked Sep, in IMS since September (kept Pending last month) → Matched, still Pending
- OCT-1 booked Oct, in IMS from Oct                   → Matched in its own month
- OCT-2 booked Oct, a Debit Note voucher the supplier never reported → New invoice in ITC
Shared by tests/test_timeline.py and tests/browser/test_open_pool.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date

from handwritten_files import CLIENT_A, SUPPLIERS, tally_workbook

CLIENT = CLIENT_A


@dataclass(frozen=True)
class Bill:
    supplier: int
    number: str
    day: date
    taxable: float
    voucher: str = "Purchase"


BILLS = {
    "AUG-1": Bill(0, "AUG-1", date(2025, 8, 5), 40000.0),
    "AUG-2": Bill(1, "AUG-2", date(2025, 8, 12), 25000.0),
    "SEP-1": Bill(1, "SEP-1", date(2025, 9, 10), 18000.0),
    "SEP-2": Bill(2, "SEP-2", date(2025, 9, 20), 9000.0),
    "OCT-1": Bill(0, "OCT-1", date(2025, 10, 3), 12000.0),
    "OCT-2": Bill(2, "OCT-2", date(2025, 10, 15), 3000.0, voucher="Debit Note"),
}


# A bill the September register held that the financial-year register no longer books (deleted since).
DELETED = {"SEP-9": Bill(0, "SEP-9", date(2025, 9, 25), 7000.0)}


def _tax(bill: Bill, taxable: float, rate: float) -> tuple[float, float, float]:
    """(IGST, CGST, SGST): intra-state (the client is in state 27) splits the tax in halves."""
    tax = round(taxable * rate, 2)
    return (
        (0.0, round(tax / 2, 2), round(tax / 2, 2)) if SUPPLIERS[bill.supplier][:2] == "27" else (tax, 0, 0)
    )


def _rate_rows(bill: Bill) -> list[tuple[float, float]]:
    """(taxable, rate) lines: AUG-1 is on two rate rows, as Tally exports a bill of two rates."""
    if bill.number == "AUG-1":
        return [(bill.taxable * 0.75, 0.18), (bill.taxable * 0.25, 0.12)]
    return [(bill.taxable, 0.18)]


def _amounts(bill: Bill) -> dict:
    lines = [_tax(bill, taxable, rate) for taxable, rate in _rate_rows(bill)]
    igst, cgst, sgst = (round(sum(line[i] for line in lines), 2) for i in range(3))
    return {"txval": bill.taxable, "igst": igst, "cgst": cgst, "sgst": sgst}


def fy_register(numbers: list[str] | None = None, *, taxable: dict[str, float] | None = None) -> bytes:
    """The financial-year-to-date Tally register (Aug–Oct 2025) as .xlsx bytes; ``numbers`` picks bills,
    ``taxable`` books some at other amounts (an earlier, wrong copy of a month)."""
    rows = []
    picked = [{**BILLS, **DELETED}[n] for n in numbers] if numbers else list(BILLS.values())
    picked = [replace(b, taxable=(taxable or {}).get(b.number, b.taxable)) for b in picked]
    for index, bill in enumerate(picked):
        for taxable, rate in _rate_rows(bill):
            igst, cgst, sgst = _tax(bill, taxable, rate)
            day = bill.day.strftime("%d-%m-%Y")
            rows.append(
                [
                    day,
                    f"Supplier {bill.supplier}",
                    bill.voucher,
                    f"P/{index}",
                    bill.number,
                    day,
                    SUPPLIERS[bill.supplier],
                    taxable,
                    igst,
                    cgst,
                    sgst,
                    round(taxable + igst + cgst + sgst, 2),
                ]
            )
    return tally_workbook(rows, span="1-Aug-2025 to 31-Oct-2025")


def _value(bill: Bill) -> str:
    a = _amounts(bill)
    return f"{a['txval'] + a['igst'] + a['cgst'] + a['sgst']:.2f}"


def gstr2b(period: str, numbers: list[str]) -> bytes:
    """A GSTR-2B statement (JSON) of ``period`` holding the named bills, one supplier block each."""
    suppliers = []
    for number in numbers:
        bill = BILLS[number]
        a = _amounts(bill)
        kind = "cdnr" if bill.voucher == "Debit Note" else "b2b"
        doc = {
            "inum": bill.number,
            "typ": "R",
            "dt": bill.day.strftime("%d-%m-%Y"),
            "val": _value(bill),
            "pos": "27",
            "rev": "N",
            "itcavl": "Y",
            "txval": f"{a['txval']:.2f}",
            "igst": f"{a['igst']:.2f}",
            "cgst": f"{a['cgst']:.2f}",
            "sgst": f"{a['sgst']:.2f}",
            "cess": "0.00",
        }
        assert kind == "b2b", "the statements here carry invoices only"
        suppliers.append(
            {
                "ctin": SUPPLIERS[bill.supplier],
                "trdnm": f"Supplier {bill.supplier}",
                "supprd": period,
                "supfildt": "11-" + period[:2] + "-2025",
                "inv": [doc],
            }
        )
    body = {
        "data": {
            "gstin": CLIENT,
            "rtnprd": period,
            "gendt": "14-" + period[:2] + "-2025",
            "docdata": {"b2b": suppliers},
        }
    }
    return json.dumps(body).encode()


def ims_inbox(records: list[tuple[str, str]], *, taxable: dict[str, float] | None = None) -> bytes:
    """An IMS download (JSON): (bill number, the supplier's return period rtnprd) per record; ``taxable``
    gives some records other amounts (the supplier amended them since)."""
    rows = []
    for number, rtnprd in records:
        bill = replace(BILLS[number], taxable=(taxable or {}).get(number, BILLS[number].taxable))
        a = _amounts(bill)
        # Amounts are JSON numbers, as the portal downloads them (the upload sends them back unchanged).
        rows.append(
            {
                "stin": SUPPLIERS[bill.supplier],
                "inum": bill.number,
                "idt": bill.day.strftime("%d-%m-%Y"),
                "inv_typ": "R",
                "pos": "27",
                "val": float(_value(bill)),
                "txval": a["txval"],
                "iamt": a["igst"],
                "camt": a["cgst"],
                "samt": a["sgst"],
                "cess": 0,
                "rtnprd": rtnprd,
                "srcform": "R1",
                "srcfilstatus": "Filed",
                "action": "N",
                "ispendactblocked": "N",
                "hash": f"h{number}-{a['txval']:.0f}",
            }
        )
    return json.dumps({"rtin": CLIENT, "reqtyp": "IMS", "b2b": rows}).encode()


SEPTEMBER_INBOX = [("SEP-2", "092025")]
OCTOBER_INBOX = [("SEP-1", "102025"), ("SEP-2", "092025"), ("OCT-1", "102025")]
