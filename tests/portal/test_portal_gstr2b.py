"""GSTR-2B through the connector: the sandbox's statement per month, its parts, its refusals, and the
workspace keeping it as the client's 2B so that a later month's open pool settles against it."""

from __future__ import annotations

import json

import polars as pl
import pytest
from portal_helpers import (
    BOTH_TRANSPORTS,
    RECIPIENT,
    SUPPLIER_KA,
    SUPPLIER_KL,
    SUPPLIER_MH,
    SUPPLIER_TN,
    connect,
    in_process,
    many_invoices,
    small_ims,
)

from recon.jsonio import loads_exact
from recon.portal.client import OtpRequired, PortalError
from recon.portal.service import fetch_gstr2b, fetch_ims, gstr2b_periods
from recon.readers.gstr2b import read_gstr2b
from recon.store import Store
from recon.workspace import Workspace
from tests.handwritten_files import tally_workbook

NOV, OCT, SEP = "112025", "102025", "092025"


def _session(handle):
    connector = connect(handle)
    connector.request_otp(RECIPIENT)
    connector.authenticate(RECIPIENT, handle.otp)
    return connector


def _numbers(frame: pl.DataFrame, **where) -> list[str]:
    for column, value in where.items():
        frame = frame.filter(pl.col(column) == value)
    return sorted(frame["doc_no"].to_list())


@pytest.mark.parametrize("sandbox", BOTH_TRANSPORTS, indirect=True)
def test_a_months_2b_holds_what_the_suppliers_filed_for_it_as_the_recipient_left_it(client, sandbox):
    portal = sandbox.portal
    portal.set_action(RECIPIENT, "b2b", SUPPLIER_MH, "MH/2526/0418", "R")
    portal.set_action(RECIPIENT, "b2b", SUPPLIER_KA, "KA-7781", "P")
    portal.set_action(RECIPIENT, "b2bcn", SUPPLIER_TN, "CN-0093", "A")

    outcome = fetch_gstr2b(client, RECIPIENT, NOV)

    docs = outcome.result.docs
    assert outcome.result.source == "gstr2b" and outcome.result.period == NOV and outcome.parts == 1
    # Kept Pending: not in this 2B. Rejected: in it, apart (ims_action R). No action counts as accepted.
    assert "KA-7781" not in docs["doc_no"].to_list()
    assert _numbers(docs, ims_action="R") == ["MH/2526/0418"]
    assert _numbers(docs, ims_action="A") == ["CN-0093"]
    assert _numbers(docs, ims_action="N") == ["0000451", "DN/77", "KA-7782", "MH/2526/0417", "TN/88"]
    kinds = dict(zip(docs["doc_no"], docs["doc_kind"], strict=True))
    assert kinds["CN-0093"] == "credit_note" and kinds["DN/77"] == "debit_note"
    row = docs.filter(pl.col("doc_no") == "0000451").row(0, named=True)
    assert (row["supplier_gstin"], row["taxable_value"], row["igst"]) == (SUPPLIER_KL, 999.99, 180.0)
    assert outcome.summary_lines()[0] == "Downloaded GSTR-2B for Nov 2025: 7 documents."


def test_the_connector_reads_a_2b_exactly_as_the_same_file_imported_by_hand():
    # Written by hand in the portal's layout: amounts only on rate lines, a debit note under cdnr, one
    # record rejected in IMS, numbers as text.
    statement = {
        "chksum": "x",
        "data": {
            "gstin": RECIPIENT,
            "rtnprd": SEP,
            "gendt": "14-10-2025",
            "docdata": {
                "b2b": [
                    {
                        "ctin": SUPPLIER_MH,
                        "trdnm": "Sahyadri Fasteners",
                        "supprd": SEP,
                        "supfildt": "10-10-2025",
                        "inv": [
                            {
                                "inum": "SF/118",
                                "typ": "R",
                                "dt": "02-09-2025",
                                "val": "70800.00",
                                "pos": "27",
                                "rev": "N",
                                "itcavl": "Y",
                                "imsStatus": "A",
                                "items": [
                                    {
                                        "num": 1,
                                        "rt": 18,
                                        "txval": "45000.00",
                                        "cgst": "4050.00",
                                        "sgst": "4050.00",
                                    },
                                    {
                                        "num": 2,
                                        "rt": 18,
                                        "txval": "15000.00",
                                        "cgst": "1350.00",
                                        "sgst": "1350.00",
                                    },
                                ],
                            }
                        ],
                    }
                ],
                "cdnr": [
                    {
                        "ctin": SUPPLIER_KA,
                        "supprd": SEP,
                        "nt": [
                            {
                                "ntnum": "DN-4",
                                "typ": "D",
                                "suptyp": "R",
                                "dt": "09-09-2025",
                                "val": "1180.00",
                                "pos": "29",
                                "rev": "N",
                                "itcavl": "Y",
                                "txval": "1000.00",
                                "igst": "180.00",
                            }
                        ],
                    }
                ],
            },
            "docRejdata": {
                "b2b": [
                    {
                        "ctin": SUPPLIER_TN,
                        "supprd": SEP,
                        "inv": [
                            {
                                "inum": "TN-9",
                                "typ": "R",
                                "dt": "11-09-2025",
                                "val": "590.00",
                                "pos": "33",
                                "rev": "N",
                                "txval": "500.00",
                                "igst": "90.00",
                            }
                        ],
                    }
                ]
            },
        },
    }
    handle = in_process(small_ims())
    handle.portal.hold_gstr2b(RECIPIENT, statement)
    fetched = fetch_gstr2b(_session(handle), RECIPIENT, SEP).result.docs
    by_hand = read_gstr2b(json.dumps(statement).encode(), "2B_092025.json", recipient_gstin=RECIPIENT).docs
    columns = ["doc_id", "doc_no", "doc_kind", "taxable_value", "igst", "cgst", "sgst", "ims_action"]
    assert fetched.select(columns).sort("doc_no").equals(by_hand.select(columns).sort("doc_no"))
    invoice = fetched.filter(pl.col("doc_no") == "SF/118").row(0, named=True)
    assert (invoice["taxable_value"], invoice["cgst"], invoice["supplier_name"]) == (
        60000.0,
        5400.0,
        "Sahyadri Fasteners",
    )


def test_a_large_2b_is_fetched_part_by_part_and_equals_the_whole():
    seed = many_invoices(23)
    whole = fetch_gstr2b(_session(in_process(seed)), RECIPIENT, NOV)
    split = in_process(seed, gstr2b_docs_per_file=10)
    parted = fetch_gstr2b(_session(split), RECIPIENT, NOV)
    assert parted.parts == 3 and whole.parts == 1
    assert parted.summary_lines()[0] == "Downloaded GSTR-2B for Nov 2025 in 3 parts: 23 documents."
    assert sorted(parted.result.docs["doc_id"]) == sorted(whole.result.docs["doc_id"])
    assert len(split.portal.requests_of("GET2B")) == 4  # the count of parts, then parts 1, 2 and 3
    assert not [w for w in parted.result.warnings if "parts" in str(w)]


def test_a_part_that_fails_once_is_asked_for_again():
    handle = in_process(many_invoices(23), gstr2b_docs_per_file=10)
    handle.portal.add_fault("error500", "GET2B", skip=2)  # the second part's first answer is HTTP 500
    outcome = fetch_gstr2b(_session(handle), RECIPIENT, NOV)
    assert outcome.result.docs.height == 23
    assert [e.fault for e in handle.portal.requests_of("GET2B")] == [None, None, "error500", None, None]


@pytest.mark.parametrize(
    ("options", "period", "month"),
    [({}, "122025", "Dec 2025"), ({"not_generated": {NOV}}, NOV, "Nov 2025")],
    ids=["a month after the inbox's newest", "the current month before the 14th"],
)
def test_a_2b_the_portal_has_not_generated_yet_is_refused_in_plain_words(options, period, month):
    handle = in_process(small_ims(), **options)
    with pytest.raises(PortalError) as err:
        fetch_gstr2b(_session(handle), RECIPIENT, period)
    assert err.value.code == "RET2B1023"
    assert f"has not generated GSTR-2B for {month} yet" in str(err.value)


def test_a_record_that_missed_its_months_2b_is_in_the_next_one_with_its_own_supplier_period():
    late = dict(small_ims()["b2b"][0], inum="MH/2526/0390", rtnprd=OCT)  # October's GSTR-1, filed late
    decided = dict(small_ims()["b2b"][1], inum="MH/2526/0391", rtnprd=OCT, action="A")  # Pending till now
    still_pending = dict(small_ims()["b2b"][2], inum="KA-7700", rtnprd=OCT, action="P")
    handle = in_process({"b2b": [*small_ims()["b2b"], late, decided, still_pending]})
    connector = _session(handle)
    docs = fetch_gstr2b(connector, RECIPIENT, NOV).result.docs
    periods = dict(zip(docs["doc_no"], docs["supplier_period"], strict=True))
    assert periods["MH/2526/0390"] == OCT and periods["MH/2526/0391"] == OCT and periods["TN/88"] == NOV
    assert "KA-7700" not in periods
    # An earlier month's 2B is the one fixed when its 3B was filed; none was filed here, so it is empty.
    assert fetch_gstr2b(connector, RECIPIENT, OCT).result is None


def test_a_month_nothing_was_filed_for_gives_an_empty_outcome_and_imports_nothing(tmp_path):
    handle = in_process(small_ims())
    outcome = fetch_gstr2b(_session(handle), RECIPIENT, OCT)
    assert outcome.result is None
    assert outcome.summary_lines() == [
        "The portal's GSTR-2B for Oct 2025 holds no documents: nothing was imported."
    ]
    ws = Workspace(Store(f"sqlite:///{tmp_path / 'w.db'}"), user="tester")
    try:
        client = ws.create_client("Acme Industries", RECIPIENT, NOV)
        _, stored = ws.fetch_gstr2b(client.id, OCT, _session(handle))
        assert stored is None and not ws.imports(client.id, OCT)
    finally:
        ws.store.dispose()


def test_an_empty_statement_instead_of_the_no_documents_code_is_the_same_empty_outcome():
    class GspAnsweringEmpty:
        """A GSP that hands over an empty 2B where the portal says RET2B1016."""

        def open_session(self, gstin, otp=None):
            pass  # a session is open

        def get_gstr2b(self, gstin, period):
            return [{"data": {"gstin": gstin, "rtnprd": period, "docdata": {}, "docRejdata": {}}}]

    outcome = fetch_gstr2b(GspAnsweringEmpty(), RECIPIENT, OCT)
    assert outcome.result is None
    assert "holds no documents" in outcome.summary_lines()[0]


def test_without_a_session_the_2b_fetch_asks_for_an_otp_and_with_it_succeeds():
    handle = in_process(small_ims())
    connector = connect(handle)
    with pytest.raises(OtpRequired):
        fetch_gstr2b(connector, RECIPIENT, NOV)
    connector.request_otp(RECIPIENT)
    assert fetch_gstr2b(connector, RECIPIENT, NOV, otp=handle.otp).result.docs.height == 8
    assert not handle.portal.requests_of("GET2B")[0].fault


def test_the_months_offered_run_back_to_the_oldest_still_claimable():
    assert gstr2b_periods("102025")[:3] == ["102025", "092025", "082025"]
    assert gstr2b_periods("102025")[-1] == "042024"  # FY 2024-25's credit lapses on 30 November 2025
    assert gstr2b_periods("122025")[-1] == "042025"  # ... so from December its months are gone


# -- through the workspace: September's 2B from the portal settles September's books in October ----------


def _register(bills: list[tuple[str, str, str, float]]) -> bytes:
    """A Tally purchase register (.xlsx) written by hand: title rows, Tally's column names; each bill is
    (supplier GSTIN, number, date, taxable) at 18 %, IGST unless the supplier is in the client's state."""
    rows = []
    for index, (gstin, number, day, taxable) in enumerate(bills, 1):
        tax = round(taxable * 0.18, 2)
        igst, half = (0.0, tax / 2) if gstin[:2] == RECIPIENT[:2] else (tax, 0.0)
        rows.append(
            [
                day,
                "Supplier",
                "Purchase",
                f"PV/{index}",
                number,
                day,
                gstin,
                taxable,
                igst,
                half,
                half,
                round(taxable + tax, 2),
            ]
        )
    return tally_workbook(rows, span="1-Sep-2025 to 31-Oct-2025")


def _ims_record(stin: str, number: str, day: str, taxable: str, rtnprd: str, action: str = "N") -> dict:
    tax = f"{float(taxable) * 0.18:.2f}"
    half = f"{float(taxable) * 0.09:.2f}"
    amounts = (
        f'"iamt": 0, "camt": {half}, "samt": {half}'
        if stin[:2] == "27"
        else f'"iamt": {tax}, "camt": 0, "samt": 0'
    )
    value = f"{float(taxable) * 1.18:.2f}"
    return loads_exact(
        f'{{"stin": "{stin}", "inum": "{number}", "idt": "{day}", "inv_typ": "R", "pos": "27", "val": {value}, '
        f'"txval": {taxable}, {amounts}, "cess": 0, "rtnprd": "{rtnprd}", "srcform": "R1", '
        f'"srcfilstatus": "Filed", "action": "{action}", "ispendactblocked": "N"}}'
    )


def test_septembers_2b_fetched_from_the_portal_settles_septembers_books_in_october(tmp_path):
    handle = in_process(
        {
            "b2b": [
                _ims_record(SUPPLIER_MH, "SEP-11", "05-09-2025", "40000.00", SEP),
                _ims_record(SUPPLIER_KA, "SEP-12", "20-09-2025", "9000.00", SEP, action="P"),
                _ims_record(SUPPLIER_TN, "OCT-21", "03-10-2025", "12000.00", OCT),
            ]
        }
    )
    # September's 3B is filed: its 2B is fixed; SEP-11 leaves the inbox, the Pending SEP-12 stays.
    assert handle.portal.file_3b(RECIPIENT, SEP) == 1
    ws = Workspace(Store(f"sqlite:///{tmp_path / 'w.db'}"), user="tester")
    try:
        client = ws.create_client("Acme Industries", RECIPIENT, OCT)
        register = _register(
            [
                (SUPPLIER_MH, "SEP-11", "05-09-2025", 40000.0),
                (SUPPLIER_KA, "SEP-12", "20-09-2025", 9000.0),
                (SUPPLIER_TN, "OCT-21", "03-10-2025", 12000.0),
            ]
        )
        ws.import_file(client.id, OCT, register, "Purchase_Register_FY.xlsx", confirmed=True)
        connector = connect(handle)
        connector.request_otp(RECIPIENT)
        outcome, stored = ws.fetch_gstr2b(client.id, SEP, connector, otp=handle.otp)
        assert stored.source == "gstr2b" and stored.documents == 1
        [record] = ws.imports(client.id, SEP)
        assert (record.source, record.origin) == ("gstr2b", "portal")
        inbox = fetch_ims(connector, RECIPIENT)
        ws.import_read(client, OCT, inbox.result, mode="replace", origin="portal")

        review = ws.review(client.id, OCT)
        category = dict(zip(review["books_doc_no"], review["category"], strict=False))
        assert category["SEP-11"] == "settled"
        assert category["SEP-12"] == "matched" and category["OCT-21"] == "matched"
        assert review.filter(pl.col("category") == "books_only").is_empty()
        settled = review.filter(pl.col("books_doc_no") == "SEP-11").row(0, named=True)
        assert "Sep 2025" in settled["explanation"]
    finally:
        ws.store.dispose()
