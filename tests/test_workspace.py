"""The workspace service: what 'replace' and 'add' mean for a consultant's imports, and client checks."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from recon import model
from recon.errors import InputError
from recon.readers.result import ReadResult
from recon.store import Store
from recon.workspace import Workspace, check_period, default_period

GSTIN = "27AAPFU0939F1ZV"


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(Store(f"sqlite:///{tmp_path / 'w.db'}"), user="tester")
    yield workspace
    workspace.store.dispose()


def read_result(source: str, rows: list[dict], file: str) -> ReadResult:
    base = {
        "source": source,
        "doc_kind": "invoice",
        "supplier_gstin": "29AAGCB7383J1Z4",
        "doc_date": date(2025, 11, 3),
    }
    docs = model.with_content_hash(model.conform(pl.DataFrame([base | r for r in rows])))
    return ReadResult(docs=docs, source=source, file=file, file_format="json")


def test_adding_a_second_books_file_keeps_a_double_booking_as_two_documents(ws):
    client = ws.create_client("Acme", GSTIN, "112025")
    ws.import_read(client, "112025", read_result("books", [{"doc_id": "b1", "doc_no": "7"}], "april.xlsx"),
                   mode="replace", origin="upload")  # fmt: skip
    ws.import_read(client, "112025", read_result("books", [{"doc_id": "b1", "doc_no": "7"}, {"doc_id": "b2", "doc_no": "8"}],
                   "may.xlsx"), mode="add", origin="upload")  # fmt: skip
    books = ws.documents(client.id, "112025", "books")
    assert books.height == 3
    assert books["doc_id"].n_unique() == 3  # the second copy of b1 got its own id


def test_adding_a_portal_file_again_keeps_the_latest_copy_of_each_record(ws):
    client = ws.create_client("Acme", GSTIN, "112025")
    ws.import_read(client, "112025", read_result("ims", [{"doc_id": "i1", "doc_no": "7", "igst": 18.0}], "b2b.json"),
                   mode="replace", origin="upload")  # fmt: skip
    ws.import_read(client, "112025", read_result("ims", [{"doc_id": "i1", "doc_no": "7", "igst": 36.0}], "b2b-again.json"),
                   mode="add", origin="upload")  # fmt: skip
    portal = ws.documents(client.id, "112025", "ims")
    assert portal.select("doc_id", "igst").rows() == [("i1", 36.0)]


def test_replace_brings_only_the_new_file(ws):
    client = ws.create_client("Acme", GSTIN, "112025")
    for name, number in (("first.json", "7"), ("second.json", "9")):
        ws.import_read(client, "112025", read_result("ims", [{"doc_id": f"i{number}", "doc_no": number}], name),
                       mode="replace", origin="upload")  # fmt: skip
    assert ws.documents(client.id, "112025", "ims")["doc_no"].to_list() == ["9"]


def test_portal_file_of_another_registration_is_refused(ws):
    client = ws.create_client("Acme", GSTIN, "112025")
    result = read_result("ims", [{"doc_id": "i1", "doc_no": "7"}], "ims.json")
    result.recipient_gstin = "29AAGCB7383J1Z4"
    with pytest.raises(InputError, match="29AAGCB7383J1Z4"):
        ws.import_read(client, "112025", result, mode="replace", origin="upload")
    assert ws.imports(client.id, "112025") == []


def test_the_same_gstin_cannot_become_two_clients(ws):
    ws.create_client("Acme", GSTIN, "112025")
    with pytest.raises(InputError, match="already exists"):
        ws.create_client("Acme again", GSTIN.lower(), "112025")


def test_periods_must_be_months():
    assert check_period(" 032026 ") == "032026"
    with pytest.raises(InputError, match="MMYYYY"):
        check_period("13-2025")
    assert default_period(date(2026, 1, 15)) == "122025"  # January works on December's IMS


def test_an_import_reports_its_totals_net_of_credit_notes(ws):
    client = ws.create_client("Acme", GSTIN, "112025")
    rows = [
        {"doc_id": "b1", "doc_no": "7", "taxable_value": 1000.0, "igst": 180.0},
        {"doc_id": "b2", "doc_no": "CN-1", "doc_kind": "credit_note", "taxable_value": 100.0, "igst": 18.0},
    ]
    outcome = ws.import_read(
        client, "112025", read_result("books", rows, "books.xlsx"), mode="replace", origin="upload"
    )
    assert (outcome.documents, outcome.taxable, outcome.tax) == (2, 900.0, 162.0)


def test_a_record_the_portal_refused_shows_its_code_on_its_row_until_the_next_upload(ws):
    client = ws.create_client("Acme", GSTIN, "112025")
    books = read_result("books", [{"doc_id": "b1", "doc_no": "7"}, {"doc_id": "b2", "doc_no": "8"}], "b.xlsx")
    ims = read_result(
        "ims",
        [
            {"doc_id": "i1", "doc_no": "7", "ims_action": "N"},
            {"doc_id": "i2", "doc_no": "8", "ims_action": "N"},
        ],
        "ims.json",
    )
    ws.import_read(client, "112025", books, mode="replace", origin="upload")
    ws.import_read(client, "112025", ims, mode="replace", origin="upload")
    ws.reconcile(client.id, "112025")

    ws.mark_uploaded(client.id, "112025", {"i1": "A"}, route="portal", profile="api",
                     refused={"i2": "IMSSAV0010 previous action incorrect"})  # fmt: skip
    says = dict(ws.review(client.id, "112025").select("portal_doc_id", "portal_says").iter_rows())
    assert says == {"i1": None, "i2": "IMSSAV0010 previous action incorrect"}

    ws.mark_uploaded(client.id, "112025", {"i2": "A"}, route="portal", profile="api")  # re-sent, saved
    assert ws.review(client.id, "112025")["portal_says"].null_count() == 2
