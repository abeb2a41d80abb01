"""The workspace service: what 'replace' and 'add' mean for a consultant's imports, and client checks."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from handwritten_files import CLIENT_A, CLIENT_B, ims_download, tally_register

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
    ws.import_read(
        client,
        "112025",
        read_result("books", [{"doc_id": "b1", "doc_no": "7"}], "april.xlsx"),
        mode="replace",
        origin="upload",
    )
    ws.import_read(
        client,
        "112025",
        read_result("books", [{"doc_id": "b1", "doc_no": "7"}, {"doc_id": "b2", "doc_no": "8"}], "may.xlsx"),
        mode="add",
        origin="upload",
    )
    books = ws.documents(client.id, "112025", "books")
    assert books.height == 3
    assert books["doc_id"].n_unique() == 3  # the second copy of b1 got its own id


def test_adding_a_portal_file_again_keeps_the_latest_copy_of_each_record(ws):
    client = ws.create_client("Acme", GSTIN, "112025")
    ws.import_read(
        client,
        "112025",
        read_result("ims", [{"doc_id": "i1", "doc_no": "7", "igst": 18.0}], "b2b.json"),
        mode="replace",
        origin="upload",
    )
    ws.import_read(
        client,
        "112025",
        read_result("ims", [{"doc_id": "i1", "doc_no": "7", "igst": 36.0}], "b2b-again.json"),
        mode="add",
        origin="upload",
    )
    portal = ws.documents(client.id, "112025", "ims")
    assert portal.select("doc_id", "igst").rows() == [("i1", 36.0)]


def test_replace_brings_only_the_new_file(ws):
    client = ws.create_client("Acme", GSTIN, "112025")
    for name, number in (("first.json", "7"), ("second.json", "9")):
        ws.import_read(
            client,
            "112025",
            read_result("ims", [{"doc_id": f"i{number}", "doc_no": number}], name),
            mode="replace",
            origin="upload",
        )
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

    ws.mark_uploaded(
        client.id,
        "112025",
        {"i1": "A"},
        route="portal",
        profile="api",
        refused={"i2": "IMSSAV0010 previous action incorrect"},
    )
    says = dict(ws.review(client.id, "112025").select("portal_doc_id", "portal_says").iter_rows())
    assert says == {"i1": None, "i2": "IMSSAV0010 previous action incorrect"}

    ws.mark_uploaded(client.id, "112025", {"i2": "A"}, route="portal", profile="api")  # re-sent, saved
    assert ws.review(client.id, "112025")["portal_says"].null_count() == 2


# -- clients never mix; the same file is never added twice in silence ------------------------------------
# Files written by hand, as a consultant receives them (tests/handwritten_files.py): a Tally purchase
# register with its title rows, Tally's column names, one invoice on two rate rows and a Debit Note voucher;
# an IMS download with and without its recipient.

B_INVOICES = [(0, "SF/101"), (1, "KA-2207"), (2, "GJ/55"), (0, "SF/102"), (1, "KA-2208"), (2, "DN-9")]
A_INVOICES = [(0, "SF/901"), (1, "KA-3301"), (2, "GJ/77"), (0, "SF/902")]


@pytest.fixture
def two_clients(ws):
    a = ws.create_client("Acme Industries", CLIENT_A, "112025")
    b = ws.create_client("Bharat Castings", CLIENT_B, "112025")
    ws.import_file(b.id, "112025", tally_register(B_INVOICES), "bharat-nov.xlsx", kind="books")
    return a, b


def test_a_download_for_another_clients_gstin_is_refused_naming_both(ws, two_clients):
    a, b = two_clients
    with pytest.raises(InputError) as err:
        ws.import_file(a.id, "112025", ims_download(A_INVOICES, rtin=CLIENT_B), "ims.json")
    message = str(err.value)
    for words in ("ims.json", CLIENT_B, "Bharat Castings", CLIENT_A, "Acme Industries"):
        assert words in message
    assert ws.imports(a.id, "112025") == []


def test_a_download_without_a_recipient_is_not_said_to_name_the_clients(ws, two_clients):
    a, _ = two_clients
    outcome = ws.import_file(a.id, "112025", ims_download(A_INVOICES), "ims.json")
    [record] = ws.imports(a.id, "112025")
    for summary in (outcome.summary, record.summary):
        assert not [line for line in summary if "Recipient GSTIN" in line], summary
    named = ws.import_file(a.id, "112025", ims_download(A_INVOICES, rtin=CLIENT_A), "ims-rtin.json")
    assert f"Recipient GSTIN in file: {CLIENT_A}" in named.summary


def test_another_clients_register_is_asked_about_with_the_figures(ws, two_clients):
    from recon.import_checks import ImportNeedsConfirmation

    a, b = two_clients
    register = tally_register(B_INVOICES)
    match = ws.other_client_match(a.id, ws.read_file(register, "register.xlsx", kind="books").docs, "112025")
    assert (match.client_name, match.theirs.documents, match.theirs.file_documents) == (
        "Bharat Castings",
        6,
        6,
    )
    assert (match.theirs.suppliers, match.ours.documents) == (3, 0)

    with pytest.raises(ImportNeedsConfirmation) as err:
        ws.import_file(a.id, "112025", register, "register.xlsx", kind="books")
    [concern] = err.value.concerns
    assert concern.kind == "other_client"
    assert "Bharat Castings" in concern.message and "6 of its 6 documents" in concern.message
    assert ws.imports(a.id, "112025") == []  # nothing stored before the consultant confirms

    ws.import_read(a, "112025", err.value.result, mode="replace", origin="upload")  # confirmed
    assert [r.file_name for r in ws.imports(a.id, "112025")] == ["register.xlsx"]


def test_a_clients_own_register_raises_no_question(ws, two_clients):
    a, _ = two_clients
    ws.import_file(a.id, "112025", ims_download(A_INVOICES), "ims.json")
    outcome = ws.import_file(a.id, "112025", tally_register(A_INVOICES), "acme-nov.xlsx", kind="books")
    assert outcome.documents == len(A_INVOICES)


def test_adding_the_same_register_again_is_refused_naming_the_earlier_import(ws, two_clients):
    _, b = two_clients
    [earlier] = ws.imports(b.id, "112025")
    # The same documents under another file name (saved again from Tally): refused all the same.
    with pytest.raises(InputError) as err:
        ws.import_file(
            b.id,
            "112025",
            tally_register(B_INVOICES, title="Purchase Register (copy)"),
            "bharat-nov (1).xlsx",
            kind="books",
            mode="add",
        )
    message = str(err.value)
    assert "bharat-nov.xlsx" in message and f"{earlier.imported_at:%d-%m-%Y %H:%M}" in message
    assert "twice" in message
    assert len(ws.imports(b.id, "112025")) == 1
    assert ws.documents(b.id, "112025", "books").height == len(B_INVOICES)
    # Replace reads it again: nothing is doubled.
    ws.import_file(b.id, "112025", tally_register(B_INVOICES), "bharat-nov.xlsx", kind="books")
    assert ws.documents(b.id, "112025", "books").height == len(B_INVOICES)


def test_adding_a_register_mostly_in_the_period_asks_first(ws, two_clients):
    from recon.import_checks import ImportNeedsConfirmation

    _, b = two_clients
    overlapping = [*B_INVOICES[:4], (2, "GJ/56")]  # four of five already imported
    with pytest.raises(ImportNeedsConfirmation) as err:
        ws.import_file(
            b.id, "112025", tally_register(overlapping), "bharat-extra.xlsx", kind="books", mode="add"
        )
    [concern] = err.value.concerns
    assert concern.kind == "already_in_period"
    assert "4 of the 5 documents" in concern.message and "bharat-nov.xlsx" in concern.message
    assert len(ws.imports(b.id, "112025")) == 1

    ws.import_read(b, "112025", err.value.result, mode="add", origin="upload")  # the consultant confirmed
    assert len(ws.imports(b.id, "112025")) == 2


def test_adding_new_documents_raises_no_question(ws, two_clients):
    _, b = two_clients
    later = [(0, "SF/140"), (1, "KA-2290"), (2, "GJ/90")]
    ws.import_file(b.id, "112025", tally_register(later), "bharat-late.xlsx", kind="books", mode="add")
    assert ws.documents(b.id, "112025", "books").height == len(B_INVOICES) + len(later)


def test_a_gstr2b_of_another_client_is_refused_in_the_portals_words(ws, two_clients):
    import json

    a, _ = two_clients
    statement = {
        "data": {
            "gstin": CLIENT_B,
            "rtnprd": "112025",
            "docdata": {
                "b2b": [
                    {
                        "ctin": "27AAPFU0939F1ZV",
                        "trdnm": "Umbra Traders",
                        "supfildt": "11-12-2025",
                        "supprd": "112025",
                        "inv": [
                            {
                                "inum": "MH/0417",
                                "typ": "R",
                                "dt": "07-11-2025",
                                "val": "1180.00",
                                "pos": "27",
                                "rev": "N",
                                "itcavl": "Y",
                                "items": [
                                    {
                                        "num": 1,
                                        "rt": 18,
                                        "txval": "1000.00",
                                        "igst": "0",
                                        "cgst": "90.00",
                                        "sgst": "90.00",
                                        "cess": "0",
                                    }
                                ],
                            }
                        ],
                    }
                ]
            },
        }
    }
    with pytest.raises(InputError) as err:
        ws.import_file(a.id, "112025", json.dumps(statement).encode(), "2b-nov.json")
    assert "this GSTR-2B file is for GSTIN" in str(err.value)
    assert "Bharat Castings" in str(err.value) and "Acme Industries" in str(err.value)
    assert ws.imports(a.id, "112025") == []


def test_the_working_papers_version_moves_with_a_decision_an_import_and_a_replaced_file(ws):
    # The Reconcile page keeps built working papers by this version: a stale one must never be handed out.
    client = ws.create_client("Acme", CLIENT_A, "112025")
    ws.import_file(client.id, "112025", ims_download([(0, "INV-1"), (1, "INV-2")], rtin=CLIENT_A), "ims.json")
    seen = [ws.handouts_version(client.id, "112025")]
    [doc_id, _] = ws.documents(client.id, "112025", "ims")["doc_id"].to_list()
    ws.set_action(client.id, "112025", [doc_id], "P", confirmed=True)
    seen.append(ws.handouts_version(client.id, "112025"))
    ws.import_file(
        client.id, "112025", tally_register([(0, "INV-1"), (1, "INV-2")]), "register.xlsx", kind="books"
    )
    seen.append(ws.handouts_version(client.id, "112025"))
    # The same number of files, one of them another download: the paper is built again.
    again = ims_download([(0, "INV-1"), (1, "INV-2"), (2, "INV-3")], rtin=CLIENT_A)
    ws.import_file(client.id, "112025", again, "ims-later.json", mode="replace")
    seen.append(ws.handouts_version(client.id, "112025"))
    assert len(set(seen)) == 4
    assert ws.periods(client.id) == ["112025"]
