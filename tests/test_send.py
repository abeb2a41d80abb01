"""What is sent is what a person decided, and one odd record never blocks the rest — on the client's own files.

The files are hand-written (tests/send_files.py): a Tally register with a title block, two rate rows and a
Debit Note voucher, and an IMS download with one document number longer than GST allows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from send_files import MATCHED_FILED, OVERLONG, PERIOD, RECIPIENT, ims_sections, write

from recon import ims_json
from recon.store import Store
from recon.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def files(tmp_path):
    return write(tmp_path / "client")


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(Store(f"sqlite:///{tmp_path / 'w.db'}"), user="asha")
    yield workspace
    workspace.store.dispose()


@pytest.fixture
def client(ws, files):
    books, ims = files
    client = ws.create_client("Godavari Forgings", RECIPIENT, PERIOD)
    ws.import_file(client.id, PERIOD, books.read_bytes(), books.name, kind="books")
    ws.import_file(client.id, PERIOD, ims.read_bytes(), ims.name, kind="ims")
    return client


def doc_id(ws, client, number: str) -> str:
    docs = ws.documents(client.id, PERIOD, "ims")
    return docs.filter(pl.col("doc_no") == number).get_column("doc_id").item()


def file_records(upload) -> list[dict]:
    return [
        record
        for content in upload.to_files().values()
        for records in json.loads(content)["invdata"].values()
        for record in records
    ]


def number(record: dict) -> str:
    return record.get("inum") or record.get("nt_num")


# ---------------------------------------------------------------------------------------------------
# Only decisions are sent
# ---------------------------------------------------------------------------------------------------


def test_nothing_is_sent_until_someone_decides_however_much_is_suggested(ws, client):
    suggested = ws.wanted_actions(client.id, PERIOD)
    assert set(suggested.filter(pl.col("changed"))["wanted_action"]) == {"A", "R", "P"}
    upload = ws.build_upload(client.id, PERIOD)
    assert upload.is_empty and upload.records.is_empty()


def test_accept_matched_offers_filed_suppliers_first_and_saves_decisions_of_the_user(ws, client):
    filed = ws.matched_to_accept(client.id, PERIOD, filed_only=True)
    every = ws.matched_to_accept(client.id, PERIOD, filed_only=False)
    ids = {n: doc_id(ws, client, n) for n in (*MATCHED_FILED, "KA-55")}
    assert set(filed["portal_doc_id"]) == {ids[n] for n in MATCHED_FILED}
    assert set(every["portal_doc_id"]) == set(ids.values())  # KA-55's supplier has not filed

    outcome = ws.accept_matched(client.id, PERIOD)
    assert (outcome.saved, outcome.refused) == (4, [])
    trail = ws.audit_trail(client.id, PERIOD)
    assert set(trail["who"]) == {"asha"} and set(trail["new_action"]) == {"A"}
    assert trail.height == 4
    # The credit note carries the ITC reduction at the books' amounts.
    note = ws.decisions(client.id).filter(pl.col("portal_doc_id") == ids["CN-3"]).row(0, named=True)
    assert (note["itc_red_req"], note["decl_igst"]) == ("Y", 360.0)
    # Decided now: the same button has nothing left to accept among filed suppliers.
    assert ws.matched_to_accept(client.id, PERIOD).is_empty()
    assert ws.accept_matched(client.id, PERIOD, filed_only=False).saved == 1  # KA-55, confirmed by the click


def test_accept_matched_never_overrides_a_persons_decision(ws, client):
    mh = doc_id(ws, client, "MH/102")
    ws.set_action(client.id, PERIOD, [mh], "R", remarks="Short supply", confirmed=True)
    ws.accept_matched(client.id, PERIOD)
    decided = ws.decisions(client.id).filter(pl.col("portal_doc_id") == mh).row(0, named=True)
    assert (decided["action"], decided["remarks"]) == ("R", "Short supply")


def test_a_reject_without_a_remark_is_refused_naming_each_document(ws, client):
    kl, tn = doc_id(ws, client, "KL-7"), doc_id(ws, client, "TN/9")
    outcome = ws.set_action(client.id, PERIOD, [kl, tn], "R", remarks="  ", confirmed=True)
    assert outcome.saved == 0
    assert {d: "needs a remark" in reason for d, reason in outcome.refused} == {kl: True, tn: True}
    assert ws.decisions(client.id).is_empty()
    assert ws.set_action(client.id, PERIOD, [kl], "R", remarks="Not our purchase", confirmed=True).saved == 1


def test_the_upload_holds_exactly_the_decisions_with_the_persons_remark(ws, client):
    ws.accept_matched(client.id, PERIOD)
    kl = doc_id(ws, client, "KL-7")
    ws.set_action(client.id, PERIOD, [kl], "R", remarks="Not our purchase", confirmed=True)
    upload = ws.build_upload(client.id, PERIOD)
    records = file_records(upload)
    assert sorted(number(r) for r in records) == ["CN-3", "KL-7", "MH/101", "MH/102"]
    assert upload.summary()["total"] == len(records) == upload.records.height
    # TN/9's suggested Reject and KA-55's suggested Pending were never chosen: not in the file.
    assert {r["action"] for r in records} == {"A", "R"}
    assert [r.get("remarks") for r in records if number(r) == "KL-7"] == ["Not our purchase"]
    assert not [r for r in records if r.get("remarks") and number(r) != "KL-7"]


def test_suggestions_are_listed_before_they_are_applied_and_then_become_decisions(ws, client):
    listed = ws.suggestions_to_apply(client.id, PERIOD)
    by_number = {r["doc_no"]: r for r in listed.iter_rows(named=True)}
    assert by_number["TN/9"]["suggested_action"] == "R"
    assert "Rejected, differs from our records" in by_number["TN/9"]["suggested_remark"]
    assert by_number["KL-7"]["suggested_action"] == "P" and by_number["KL-7"]["why"]
    assert by_number["MH/101"]["supplier"] == "Umbra Traders"
    assert by_number["MH/101"]["portal_would_refuse"] is None
    assert "1 to 16" in by_number[OVERLONG]["portal_would_refuse"]
    only_rejects = ws.suggestions_to_apply(client.id, PERIOD, actions=("R",))
    assert only_rejects["doc_no"].to_list() == ["TN/9"]

    # A Reject is not saved without the confirmation the page gives after showing the list.
    unconfirmed = ws.apply_suggestions(client.id, PERIOD, only_rejects["portal_doc_id"].to_list())
    assert unconfirmed.saved == 0 and "needs confirmation" in unconfirmed.refused[0][1]
    applied = ws.apply_suggestions(client.id, PERIOD, only_rejects["portal_doc_id"].to_list(), confirmed=True)
    assert applied.saved == 1
    records = file_records(ws.build_upload(client.id, PERIOD))
    assert [(number(r), r["action"]) for r in records] == [("TN/9", "R")]
    assert records[0]["remarks"].startswith("Rejected, differs from our records")
    # Applied once, it is a decision: no longer an open suggestion.
    assert "TN/9" not in ws.suggestions_to_apply(client.id, PERIOD)["doc_no"].to_list()


def test_applying_a_suggestion_someone_has_decided_since_keeps_the_decision(ws, client):
    kl = doc_id(ws, client, "KL-7")
    ws.set_action(client.id, PERIOD, [kl], "A")
    outcome = ws.apply_suggestions(client.id, PERIOD, [kl], confirmed=True)
    assert outcome.saved == 0 and outcome.refused[0][0] == kl
    assert ws.decisions(client.id).filter(pl.col("portal_doc_id") == kl)["action"].item() == "A"


# ---------------------------------------------------------------------------------------------------
# One odd record never blocks the rest
# ---------------------------------------------------------------------------------------------------


def test_the_import_names_the_record_the_portal_would_refuse(ws, files):
    books, ims = files
    client = ws.create_client("Godavari Forgings", RECIPIENT, PERIOD)
    outcome = ws.import_file(client.id, PERIOD, ims.read_bytes(), ims.name, kind="ims")
    named = [w for w in outcome.warnings if OVERLONG in w]
    assert len(named) == 1
    assert "27AAPFU0939F1ZV" in named[0] and "16" in named[0] and "left out" in named[0]
    assert named[0].startswith(ims.name)
    # The summary the Import page prints carries it too.
    assert [line for line in outcome.summary if OVERLONG in line] == [f"  - {named[0]}"]
    assert outcome.documents == 7  # imported all the same


def test_the_review_table_marks_the_row_with_the_reason(ws, client):
    review = ws.review(client.id, PERIOD)
    marked = review.filter(pl.col("portal_would_refuse").is_not_null())
    assert marked["portal_doc_no"].to_list() == [OVERLONG]
    assert "21 characters" in marked["portal_would_refuse"].item()


def test_a_decision_the_portal_now_refuses_is_marked_and_left_out(ws, client, files):
    _, ims = files
    kl = doc_id(ws, client, "KL-7")
    ws.set_action(client.id, PERIOD, [kl], "P", remarks="Checking with stores")
    # A fresher download: the portal now blocks Pending for KL-7.
    fresher = ims.read_text().replace(
        '"inum": "KL-7", "idt": "14-11-2025", "inv_typ": "R", "pos": "27", "val": 5900.00, "txval": 5000.00, '
        '"iamt": 900.00, "camt": 0, "samt": 0, "cess": 0, "rtnprd": "112025", "srcform": "R1", '
        '"srcfilstatus": "Filed", "action": "N", "ispendactblocked": "N"',
        '"inum": "KL-7", "idt": "14-11-2025", "inv_typ": "R", "pos": "27", "val": 5900.00, "txval": 5000.00, '
        '"iamt": 900.00, "camt": 0, "samt": 0, "cess": 0, "rtnprd": "112025", "srcform": "R1", '
        '"srcfilstatus": "Filed", "action": "N", "ispendactblocked": "Y"',
    )
    assert fresher != ims.read_text()
    ws.import_file(client.id, PERIOD, fresher.encode(), ims.name, kind="ims")
    row = ws.review(client.id, PERIOD).filter(pl.col("portal_doc_id") == kl).row(0, named=True)
    assert row["decision_action"] == "P" and "Pending is not allowed" in row["portal_would_refuse"]
    ws.accept_matched(client.id, PERIOD)
    upload = ws.build_upload(client.id, PERIOD)
    assert "Pending" in upload.left_out.filter(pl.col("doc_no") == "KL-7")["reason"].item()
    assert "KL-7" not in upload.records["doc_no"].to_list() and upload.records.height == 3


def test_the_overlong_record_is_left_out_with_its_reason_and_the_rest_is_written(ws, client):
    ws.accept_matched(client.id, PERIOD)
    upload = ws.build_upload(client.id, PERIOD)
    assert sorted(number(r) for r in file_records(upload)) == ["CN-3", "MH/101", "MH/102"]
    (left,) = upload.left_out.iter_rows(named=True)
    assert (left["doc_no"], left["supplier_gstin"], left["action"]) == (OVERLONG, "27AAPFU0939F1ZV", "A")
    assert "the portal allows 1 to 16" in left["reason"]
    csv = pl.read_csv(upload.left_out_csv())
    assert csv.row(0, named=True)["Document number"] == OVERLONG
    # The API twin the connector sends holds the very same records.
    api = [r for b in ims_json.api_payloads(upload) for rs in b["data"]["invdata"].values() for r in rs]
    assert sorted(map(number, api)) == sorted(upload.records["doc_no"].to_list())


def test_screen_count_equals_file_records_equals_what_the_sandbox_portal_changes(ws, client):
    from recon.portal.sandbox import start_background
    from recon.portal.service import demo_connector, upload

    ws.accept_matched(client.id, PERIOD)
    tn = doc_id(ws, client, "TN/9")
    ws.set_action(client.id, PERIOD, [tn], "R", remarks="Rate not agreed", confirmed=True)
    built = ws.build_upload(client.id, PERIOD)
    counted = built.summary()["total"]
    handle = start_background(port=0, seed_docs=ims_sections(), gstin=RECIPIENT)
    try:
        connector = demo_connector(
            handle, poll_schedule=(0.01,) * 4, retry_schedule=(0.01, 0.01), est_unit_seconds=0.0
        )
        connector.request_otp(RECIPIENT)
        connector.authenticate(RECIPIENT, handle.otp)
        outcome = upload(connector, ims_json.api_payloads(built))
        changed = Counter(key for entry in handle.portal.log for key in entry.applied)
        held = {key[2]: action for key, action in handle.portal.held_actions(RECIPIENT).items()}
    finally:
        handle.stop()
    assert counted == len(file_records(built)) == len(changed) == len(outcome.per_record) == 4
    assert max(changed.values()) == 1
    assert {n: held[n] for n in ("MH/101", "MH/102", "CN-3", "TN/9")} == {
        "MH/101": "A",
        "MH/102": "A",
        "CN-3": "A",
        "TN/9": "R",
    }
    # Nothing suggested moved: KA-55 and KL-7 still hold No Action, and so does the over-long record.
    assert (held["KA-55"], held["KL-7"], held[OVERLONG]) == ("N", "N", "N")


# ---------------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------------


def run_recon(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "recon", *args], cwd=cwd, capture_output=True, text=True, env=None, check=False
    )


@pytest.fixture
def reconciled(files, tmp_path):
    """The reconcile CSV of the client's files, written by ``python -m recon reconcile`` (no action column)."""
    books, ims = files
    out = tmp_path / "reconciled.csv"
    done = run_recon(
        "reconcile",
        "--books",
        str(books),
        "--ims",
        str(ims),
        "--gstin",
        RECIPIENT,
        "--out",
        str(out),
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return out


def actions_cli(ims: Path, decisions: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_recon(
        "actions",
        "--ims",
        str(ims),
        "--decisions",
        str(decisions),
        "--gstin",
        RECIPIENT,
        "--out-dir",
        str(out),
        *extra,
        cwd=ROOT,
    )


def written_actions(out: Path) -> dict[str, str]:
    found = {}
    for path in out.glob("IMS_*.json"):
        for records in json.loads(path.read_text())["invdata"].values():
            for record in records:
                found[number(record)] = record.get("action", "RESET")
    return found


def test_cli_without_an_action_column_writes_no_reject_and_no_pending(files, reconciled, tmp_path):
    _, ims = files
    done = actions_cli(ims, reconciled, tmp_path / "out")
    written = written_actions(tmp_path / "out")
    assert written == {"MH/101": "A", "MH/102": "A", "CN-3": "A"}
    # The over-long record was a suggested Accept too: left out, named with the file row and the reason.
    assert done.returncode == 3, done.stderr
    (line,) = [x for x in done.stderr.splitlines() if OVERLONG in x]
    assert "reconciled.csv, row" in line and "27AAPFU0939F1ZV" in line and "1 to 16" in line

    none = actions_cli(ims, reconciled, tmp_path / "none", "--suggested", "none")
    assert none.returncode == 0 and written_actions(tmp_path / "none") == {}
    every = actions_cli(ims, reconciled, tmp_path / "all", "--suggested", "all")
    assert written_actions(tmp_path / "all") == {
        "MH/101": "A",
        "MH/102": "A",
        "CN-3": "A",
        "KA-55": "P",
        "TN/9": "R",
        "KL-7": "P",
    }
    assert every.returncode == 3


def test_cli_with_one_row_set_to_reject_writes_exactly_one_reject(files, reconciled, tmp_path):
    _, ims = files
    table = pl.read_csv(reconciled, infer_schema=False)
    table = table.with_columns(
        pl.when(pl.col("ims_doc_no") == "KL-7").then(pl.lit("Reject")).alias("action"),
        pl.when(pl.col("ims_doc_no") == "KL-7").then(pl.lit("Not our purchase")).alias("remarks"),
    )
    decided = tmp_path / "decided.csv"
    table.write_csv(decided)
    done = actions_cli(ims, decided, tmp_path / "out")
    written = written_actions(tmp_path / "out")
    assert [n for n, a in written.items() if a == "R"] == ["KL-7"]
    assert not [n for n, a in written.items() if a == "P"]
    save = json.loads(next((tmp_path / "out").glob("IMS_SAVE_*.json")).read_text())
    (kl,) = [r for r in save["invdata"]["b2b"] if r["inum"] == "KL-7"]
    assert kl["remarks"] == "Not our purchase"
    assert done.returncode == 3 and OVERLONG in done.stderr  # the rest was written all the same


def test_cli_help_names_the_suggested_switch_and_the_exit_codes():
    done = run_recon("actions", "--help", cwd=ROOT)
    assert "--suggested" in done.stdout and "{accepts,all,none}" in done.stdout
    assert "3 files written" in " ".join(done.stdout.split())
