"""Small IMS data to act on and helpers that read the sandbox's request log."""

from __future__ import annotations

import functools
from collections import Counter

import pytest

from recon.jsonio import loads_exact
from recon.portal import crypto
from recon.portal.clock import ManualClock
from recon.portal.service import demo_connector
from recon.portal.transport import start_in_process

RECIPIENT = "27AHQPA7588L1ZJ"
SUPPLIER_MH = "27AAPFU0939F1ZV"
SUPPLIER_TN = "33GSPTN0791G1Z5"
SUPPLIER_KL = "32TAAOA2947A1Z7"
SUPPLIER_KA = "29AABCT1332L1ZA"

# Back-offs for a sandbox over a real socket; in-process tests run the production schedules on a ManualClock.
FAST = {"poll_schedule": (0.01, 0.01, 0.01, 0.01), "retry_schedule": (0.01, 0.01), "est_unit_seconds": 0.0}
LOOPBACK = pytest.param("loopback", marks=pytest.mark.loopback)
BOTH_TRANSPORTS = ["in-process", LOOPBACK]


@functools.cache
def shared_keys():
    return crypto.new_rsa_key_pair()


def in_process(seed_docs, **portal_options):
    """A sandbox for RECIPIENT answered in-process, on its own ManualClock."""
    portal_options.setdefault("key_pair", shared_keys())
    return start_in_process(seed_docs, RECIPIENT, clock=ManualClock(), **portal_options)


def connect(handle, **client_options):
    """A connector for ``handle``: in-process on the portal's own clock (production schedules, no real
    waiting); over a socket on real time with the FAST back-offs."""
    if handle.transport is None:
        return demo_connector(handle, **{**FAST, **client_options})
    return demo_connector(handle, clock=handle.portal.clock, **client_options)


def _invoice(stin: str, number: str, taxable: str, *, blocked: str = "N", intra: bool = True) -> dict:
    tax = f"{float(taxable) * 0.09:.2f}"
    igst = f"{float(taxable) * 0.18:.2f}"
    value = f"{float(taxable) * 1.18:.2f}"
    amounts = f'"camt": {tax}, "samt": {tax}, "iamt": 0' if intra else f'"iamt": {igst}, "camt": 0, "samt": 0'
    return loads_exact(
        f'{{"stin": "{stin}", "inum": "{number}", "idt": "07-11-2025", "inv_typ": "R", "pos": "27", '
        f'"val": {value}, "txval": {taxable}, {amounts}, "cess": 0, "rtnprd": "112025", "srcform": "R1", '
        f'"srcfilstatus": "Filed", "action": "N", "ispendactblocked": "{blocked}"}}'
    )


def _note(stin: str, number: str, taxable: str) -> dict:
    igst = f"{float(taxable) * 0.18:.2f}"
    value = f"{float(taxable) * 1.18:.2f}"
    return loads_exact(
        f'{{"stin": "{stin}", "nt_num": "{number}", "nt_dt": "18-11-2025", "inv_typ": "R", "pos": "27", '
        f'"val": {value}, "txval": {taxable}, "iamt": {igst}, "camt": 0, "samt": 0, "cess": 0, '
        f'"rtnprd": "112025", "srcform": "R1", "srcfilstatus": "Filed", "action": "N", "ispendactblocked": "N"}}'
    )


def small_ims() -> dict:
    """Six invoices from three suppliers, one credit note, one debit note; one invoice blocks Pending."""
    return {
        "b2b": [
            _invoice(SUPPLIER_MH, "MH/2526/0417", "50000.00"),
            _invoice(SUPPLIER_MH, "MH/2526/0418", "12000.00"),
            _invoice(SUPPLIER_KA, "KA-7781", "8000.50", intra=False),
            _invoice(SUPPLIER_KA, "KA-7782", "3100.00", intra=False, blocked="Y"),
            _invoice(SUPPLIER_KL, "0000451", "999.99", intra=False),
            _invoice(SUPPLIER_TN, "TN/88", "20000.00", intra=False),
        ],
        "b2bcn": [_note(SUPPLIER_TN, "CN-0093", "2000.00")],
        "b2bdn": [_note(SUPPLIER_KL, "DN/77", "1000.00")],
    }


def many_invoices(count: int) -> dict:
    return {"b2b": [_invoice(SUPPLIER_MH, f"BULK/{i:05d}", f"{1000 + i}.00") for i in range(count)]}


def save_body(
    records_by_section: dict[str, list[dict]], actions: dict[tuple, str], *, reset: bool = False
) -> dict:
    """A SAVE / RESETIMS body built the way docs/reference/formats.md §2 prescribes: the downloaded record echoed with
    only the upload fields, ``action`` (SAVE) and ``prev_status`` = what the portal holds."""
    invdata: dict[str, list] = {}
    for section, records in records_by_section.items():
        for record in records:
            number = record.get("inum") or record.get("nt_num")
            wanted = actions.get((section, number))
            if wanted is None:
                continue
            sent = {
                k: v
                for k, v in record.items()
                if k not in ("hash", "srcfilstatus", "ispendactblocked", "action")
            }
            sent["prev_status"] = record["action"]
            if not reset:
                sent["action"] = wanted
            invdata.setdefault(section, []).append(sent)
    return {
        "action": "RESETIMS" if reset else "SAVE",
        "data": {"rtin": RECIPIENT, "reqtyp": "RESET" if reset else "SAVE", "invdata": invdata},
    }


def fetch_raw(client, sections=("b2b", "b2bcn", "b2bdn")) -> dict[str, list[dict]]:
    return {section: client.get_section(RECIPIENT, section) for section in sections}


def applications(portal) -> Counter:
    """How many times the sandbox applied an action to each record, over every request it received."""
    return Counter(key for entry in portal.log for key in entry.applied)


def held(portal) -> dict[tuple, str]:
    """(section, number) -> action the sandbox holds."""
    return {(key[0], key[2]): action for key, action in portal.held_actions(RECIPIENT).items()}


DECISIONS_FOR_LOG_TEST = {("b2b", "MH/2526/0417"): "A", ("b2bdn", "DN/77"): "R"}
