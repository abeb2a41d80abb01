"""ISD credit notes take back ITC an Input Service Distributor gave earlier: they subtract, like any credit note.

The 2B ``isd`` section carries invoices (``ISDI``) and credit notes (``ISDC``) side by side; 2A says
``isd_docty`` ISD / ISDCN; IMS may hold separate ``isd`` / ``isdcn`` groups; the portal's workbook writes
"ISD Credit Note"; a register may book an "ISD Credit Note" voucher. Each file below is written by hand. In
every one an ISD invoice and an ISD credit note share the number ISD/25-26/014: they are two documents
of two kinds, never one document repeated, and the net ITC is the invoice's tax less the note's.
"""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import pytest
from books_files import CLIENT, csv_text, tally_grid, tally_row
from portal_fixtures import gstr2b_workbook

from recon import model
from recon.readers import read
from recon.store import Store
from recon.workspace import Workspace

ISD = "27AAPFU0939F1ZV"  # the head office distributing the credit
NUMBER = "ISD/25-26/014"
PERIOD = "102025"


def gstr2b_isd_json() -> bytes:
    documents = [
        {
            "doctyp": "ISDI",
            "docnum": NUMBER,
            "docdt": "05-10-2025",
            "oinvnum": "HO-77",
            "oinvdt": "01-10-2025",
            "igst": 1800.00,
            "cgst": 0,
            "sgst": 0,
            "cess": 0,
            "itcelg": "Y",
        },
        {
            "doctyp": "ISDC",
            "docnum": NUMBER,
            "docdt": "20-10-2025",
            "oinvnum": "HO-77",
            "oinvdt": "01-10-2025",
            "igst": 300.00,
            "cgst": 0,
            "sgst": 0,
            "cess": 0,
            "itcelg": "Y",
        },
    ]
    statement = {
        "data": {
            "gstin": CLIENT,
            "rtnprd": PERIOD,
            "docdata": {
                "isd": [{"ctin": ISD, "trdnm": "Head Office", "supprd": PERIOD, "doclist": documents}]
            },
        }
    }
    return json.dumps(statement, indent=1).encode()


def gstr2a_isd_json() -> bytes:
    documents = [
        {
            "isd_docty": "ISD",
            "docnum": NUMBER,
            "docdt": "05-10-2025",
            "iamt": 1800.0,
            "camt": 0,
            "samt": 0,
            "cess": 0,
            "itc_elg": "Y",
        },
        {
            "isd_docty": "ISDCN",
            "docnum": NUMBER,
            "docdt": "20-10-2025",
            "iamt": 300.0,
            "camt": 0,
            "samt": 0,
            "cess": 0,
            "itc_elg": "Y",
        },
    ]
    return json.dumps({"gstin": CLIENT, "fp": PERIOD, "isd": [{"ctin": ISD, "doclist": documents}]}).encode()


def ims_isd_json() -> bytes:
    def record(amount: float, when: str) -> dict:
        return {
            "stin": ISD,
            "docnum": NUMBER,
            "docdt": when,
            "txval": 0,
            "iamt": amount,
            "camt": 0,
            "samt": 0,
            "cess": 0,
            "rtnprd": PERIOD,
            "action": "N",
        }

    return json.dumps(
        {"isd": [record(1800.0, "05-10-2025")], "isdcn": [record(300.0, "20-10-2025")]}
    ).encode()


def gstr2b_isd_workbook() -> bytes:
    """The portal's 2B workbook with an ISD sheet: title rows, then one header row as the portal words it."""
    book = openpyxl.load_workbook(io.BytesIO(gstr2b_workbook([])))
    sheet = book.create_sheet("ISD")
    sheet["A1"] = "Goods and Services Tax - GSTR 2B"
    sheet["A2"] = "ISD Credits"
    headers = [
        "GSTIN of ISD",
        "Trade/Legal name",
        "ISD Document type",
        "ISD Document number",
        "ISD Document date",
        "Original Invoice Number",
        "Original invoice date",
        "Integrated Tax(₹)",
        "Central Tax(₹)",
        "State/UT Tax(₹)",
        "Cess(₹)",
        "ISD GSTR-6 Period",
        "ISD GSTR-6 Filing Date",
        "Eligibility of ITC",
    ]
    rows = [
        [ISD, "Head Office", "ISD Invoice", NUMBER, "05/10/2025", "HO-77", "01/10/2025", 1800, 0, 0, 0, "Oct'25", "11/11/2025", "Yes"],
        [ISD, "Head Office", "ISD Credit Note", NUMBER, "20/10/2025", "HO-77", "01/10/2025", 300, 0, 0, 0, "Oct'25", "11/11/2025", "Yes"],
    ]  # fmt: skip
    for r, values in enumerate([headers, *rows], start=6):
        for c, value in enumerate(values, start=1):
            sheet.cell(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def books_isd_csv() -> bytes:
    """A Tally register (title rows, Tally's names) booking the ISD invoice and the ISD credit note."""
    invoice = tally_row(
        NUMBER,
        0,
        gstin=ISD,
        voucher="J/4",
        vtype="ISD Invoice",
        igst=1800.0,
        cgst=0.0,
        inv_date=date(2025, 10, 5),
        name="Head Office",
    )
    note = tally_row(
        NUMBER,
        0,
        gstin=ISD,
        voucher="J/9",
        vtype="ISD Credit Note",
        igst=300.0,
        cgst=0.0,
        inv_date=date(2025, 10, 20),
        name="Head Office",
    )
    return csv_text(tally_grid([invoice, note])).encode()


FILES = {
    "gstr2b-json": ("2b-oct.json", gstr2b_isd_json),
    "gstr2a-json": ("2a-oct.json", gstr2a_isd_json),
    "ims-json": ("ims-oct.json", ims_isd_json),
    "gstr2b-workbook": ("2b-oct.xlsx", gstr2b_isd_workbook),
    "books-tally-csv": ("register.csv", books_isd_csv),
}


@pytest.mark.parametrize("which", FILES)
def test_invoice_and_credit_note_of_one_number_are_two_documents_of_two_kinds(which):
    name, build = FILES[which]
    result = read(build(), name)
    docs = result.docs.sort("doc_date")
    assert docs["doc_no"].to_list() == [NUMBER, NUMBER]
    assert docs["doc_kind"].to_list() == ["isd", "credit_note"]
    assert docs["doc_id"].n_unique() == 2
    assert not any("more than once" in str(w) or "booked again" in str(w) for w in result.warnings)
    assert not any("same supplier, kind, number" in w for ws in docs["warnings"].to_list() for w in ws)


@pytest.mark.parametrize("which", ["gstr2b-json", "gstr2a-json", "gstr2b-workbook"])
def test_the_portal_files_say_why_the_note_subtracts(which):
    name, build = FILES[which]
    docs = read(build(), name).docs.sort("doc_date")
    assert [any("reduces the ITC" in w for w in ws) for ws in docs["warnings"].to_list()] == [False, True]


@pytest.mark.parametrize("which", FILES)
def test_the_credit_note_reduces_the_itc_of_the_import(which, tmp_path):
    name, build = FILES[which]
    ws = Workspace(Store(f"sqlite:///{tmp_path / 'w.db'}"), user="tester")
    try:
        client = ws.create_client("Acme Industries", CLIENT, PERIOD)
        outcome = ws.import_file(client.id, PERIOD, build(), name)
        assert outcome.tax == pytest.approx(1800.0 - 300.0)
        source = "books" if which.startswith("books") else outcome.source
        stored = ws.documents(client.id, PERIOD, source)
        signed = stored.select((model.total_tax() * model.itc_direction()).sum()).item()
        assert signed == pytest.approx(1500.0)
    finally:
        ws.store.dispose()


def test_an_amended_isd_credit_note_in_ims_is_a_credit_note_too():
    record = {
        "stin": ISD,
        "docnum": "ISD/25-26/015",
        "docdt": "21-10-2025",
        "odocnum": "ISD/25-26/013",
        "odocdt": "02-10-2025",
        "iamt": 120.0,
        "rtnprd": PERIOD,
        "action": "N",
    }
    docs = read(json.dumps({"isdcna": [record]}).encode(), "ims.json").docs
    assert docs.select("doc_kind", "is_amendment", "original_doc_no").row(0) == (
        "credit_note",
        True,
        "ISD/25-26/013",
    )
