"""The IMS action files: every rule of docs/reference/formats.md §2 / §2.1, both profiles, and a round trip via the reader."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from recon.actions import Decision
from recon.errors import InputError
from recon.ims_json import api_payloads, build, split_payload, validate
from recon.jsonio import dumps_exact, loads_exact
from recon.readers.ims import read_ims

RTIN = "27AHQPA7588L1ZJ"
TODAY = date(2025, 12, 5)

# One download with every kind of record the rules care about. Amount literals (59000.00, 0) and a
# 16-digit numeric document number must come back byte for byte.
DOWNLOAD = """{"b2b": [
 {"stin": "27AAPFU0939F1ZV", "tradenm": "Umbra Traders", "inum": "MH/2526/0417", "idt": "07-11-2025",
  "inv_typ": "R", "pos": "27", "val": 59000.00, "txval": 50000.00, "iamt": 0, "camt": 4500.00,
  "samt": 4500.00, "cess": 0, "rtnprd": "112025", "srcform": "R1", "srcfilstatus": "Filed", "action": "N",
  "ispendactblocked": "N", "irn": "abc123", "hash": "9b5534758ba4ba2a"},
 {"stin": "27AAPFU0939F1ZV", "inum": "1234567890123456", "idt": "09-11-2025", "inv_typ": "R", "pos": "27",
  "val": 1180.50, "txval": 1000.42, "iamt": 0, "camt": 90.04, "samt": 90.04, "cess": 0, "rtnprd": "112025",
  "srcform": "IFF", "srcfilstatus": "Filed", "action": "A", "ispendactblocked": "N", "hash": "77aa"}],
 "b2bcn": [
 {"stin": "33GSPTN0791G1Z5", "nt_num": "CN-0093", "nt_dt": "18-11-2025", "inv_typ": "R", "pos": "27",
  "val": 2360.00, "txval": 2000.00, "iamt": 360.00, "camt": 0, "samt": 0, "cess": 0, "rtnprd": "112025",
  "srcform": "R1", "srcfilstatus": "Filed", "action": "N", "ispendactblocked": "N", "hash": "5038"},
 {"stin": "33GSPTN0791G1Z5", "nt_num": "CN-0040", "nt_dt": "18-09-2025", "inv_typ": "R", "pos": "27",
  "val": 1180.00, "txval": 1000.00, "iamt": 180.00, "camt": 0, "samt": 0, "cess": 0, "rtnprd": "092025",
  "srcform": "R1", "srcfilstatus": "Filed", "action": "N", "ispendactblocked": "N", "hash": "5039"}],
 "b2bdn": [
 {"stin": "32TAAOA2947A1Z7", "nt_num": "DN/77", "nt_dt": "21-11-2025", "inv_typ": "R", "pos": "27",
  "val": 1180.00, "txval": 1000.00, "iamt": 180.00, "camt": 0, "samt": 0, "cess": 0, "rtnprd": "112025",
  "srcform": "IFF", "srcfilstatus": "Filed", "action": "R", "ispendactblocked": "Y",
  "isRemarksBlocked": "Y", "hash": "aa01"}],
 "impg": [
 {"rgstinrefId": "REF1", "irefdt": "02-11-2025", "portcd": "INNSA1", "boenum": "7654321", "boedt": "01-11-2025",
  "txval": 100000.00, "igst": 18000.00, "cess": 0, "rtnprd": "112025", "action": "N", "hash": "ff00"}]}"""


@pytest.fixture(scope="module")
def portal() -> pl.DataFrame:
    return read_ims(DOWNLOAD.encode(), "ims.json").docs


def doc_id(portal: pl.DataFrame, doc_no: str) -> str:
    return portal.filter(pl.col("doc_no") == doc_no).get_column("doc_id").item()


@pytest.fixture(scope="module")
def decide(portal):
    """A Decision on the downloaded document with this number: ``decide("CN-0093", "A", itc_red_req="N")``."""
    return lambda doc_no, action, **fields: Decision(doc_id(portal, doc_no), action, **fields)


def upload_of(portal: pl.DataFrame, decisions, **options):
    """The upload for the client RTIN on TODAY."""
    return build(portal, decisions, RTIN, today=TODAY, **options)


def validate_one(section: str, record: dict, **options) -> None:
    """Validate a SAVE payload holding this one record."""
    validate({"rtin": RTIN, "reqtyp": "SAVE", "invdata": {section: [record]}}, **options)


def written(upload, reqtyp: str = "SAVE") -> dict:
    """The file as the portal would read it, numbers kept as their literal text."""
    files = upload.to_files()
    name = next(n for n in files if n.startswith(f"IMS_{reqtyp}_"))
    return json.loads(files[name], parse_float=str, parse_int=str)


def only_record(payload: dict, section: str) -> dict:
    (record,) = payload["invdata"][section]
    return record


def left_out(upload) -> dict[str, str]:
    """Document number -> why it was left out of the files."""
    return dict(zip(upload.left_out["doc_no"].to_list(), upload.left_out["reason"].to_list(), strict=True))


def numbers_written(upload) -> list[str]:
    return sorted(upload.records["doc_no"].to_list())


# ------------------------------------------------------------------------------------------- rule 1


def test_only_documents_whose_action_changes_are_written(portal, decide):
    decisions = [
        decide("MH/2526/0417", "A"),  # N -> A: changes
        decide("1234567890123456", "A"),  # already A: nothing to send
    ]
    upload = upload_of(portal, decisions)
    assert upload.records.get_column("portal_doc_id").to_list() == [doc_id(portal, "MH/2526/0417")]
    assert upload.reset is None
    assert [r["inum"] for r in written(upload)["invdata"]["b2b"]] == ["MH/2526/0417"]


def test_nothing_changed_gives_no_files_and_says_so(portal, decide):
    upload = upload_of(portal, [decide("1234567890123456", "A")])
    assert upload.is_empty
    assert upload.to_files() == {}
    assert "No changes" in upload.summary_lines()[0]
    assert upload.summary()["total"] == 0


# ------------------------------------------------------------------------------------------- RESET


def test_back_to_no_action_is_a_reset_record_without_action(portal, decide):
    upload = upload_of(portal, [decide("1234567890123456", "N")])
    assert upload.save is None
    reset = written(upload, "RESET")
    assert reset["reqtyp"] == "RESET"
    record = only_record(reset, "b2b")
    assert "action" not in record
    assert record["inum"] == "1234567890123456"


def test_a_save_file_never_carries_no_action():
    with pytest.raises(InputError, match="RESET"):
        validate_one("b2b", dict(_plain_b2b(), action="N"))


# ------------------------------------------------------------------------------------------- rule 2


def test_prev_status_is_the_downloaded_action(portal, decide):
    decisions = [
        decide("1234567890123456", "R", remarks="Not our purchase"),  # held: A
        decide("MH/2526/0417", "A"),  # held: N
    ]
    api = written(upload_of(portal, decisions, profile="api"))
    assert {r["inum"]: r["prev_status"] for r in api["invdata"]["b2b"]} == {
        "MH/2526/0417": "N",
        "1234567890123456": "A",
    }


# ------------------------------------------------------------------------------------------- rules 3-5


def test_identity_and_amounts_are_echoed_exactly(portal, decide):
    decisions = [decide("1234567890123456", "P", remarks="Checking")]
    for profile in ("offline", "api"):
        upload = upload_of(portal, decisions, profile=profile)
        text = next(iter(upload.to_files().values())).decode()
        # Literal digits as downloaded: no 1180.5, no float for the 16-digit number.
        assert '"val":1180.50' in text
        assert '"txval":1000.42' in text
        assert '"inum":"1234567890123456"' in text
        record = only_record(written(upload), "b2b")
        assert record["idt"] == "09-11-2025"
        assert record["rtnprd"] == "112025"
        assert record["srcform"] == "IFF"
        assert record["pos"] == "27"
        assert record["inv_typ"] == "R"


def test_a_number_that_went_through_a_float_is_refused():
    record = dict(_plain_b2b(), inum=1234567890123456, action="A")
    with pytest.raises(InputError, match="string"):
        validate_one("b2b", record)


def test_sections_are_written_lower_case(decide):
    download = DOWNLOAD.replace('"b2b":', '"B2B":').replace('"b2bcn":', '"B2BCN":')
    portal = read_ims(download.encode(), "ims.json").docs
    decisions = [
        decide("MH/2526/0417", "A"),
        decide("CN-0093", "A", itc_red_req="N"),
    ]
    payload = written(upload_of(portal, decisions))
    assert sorted(payload["invdata"]) == ["b2b", "b2bcn"]
    with pytest.raises(InputError, match="lower case"):
        validate_one("B2B", dict(_plain_b2b(), action="A"))


# ------------------------------------------------------------------------------------------- rule 6


def test_pending_where_the_portal_blocks_it_is_left_out_by_name_and_the_rest_is_written(portal, decide):
    decisions = [decide("DN/77", "P"), decide("MH/2526/0417", "A")]
    upload = upload_of(portal, decisions)
    assert numbers_written(upload) == ["MH/2526/0417"]
    assert "b2bdn" not in written(upload)["invdata"]
    (line,) = upload.left_out_lines()
    assert "b2bdn" in line and "DN/77" in line and "32TAAOA2947A1Z7" in line and "Pending" in line
    assert "DN/77" in upload.left_out_csv().decode("utf-8-sig")


def test_pending_for_a_credit_note_before_october_2025_is_left_out(portal, decide):
    upload = upload_of(portal, [decide("CN-0040", "P")])
    assert upload.is_empty
    assert "October-2025" in left_out(upload)["CN-0040"]
    # From the October-2025 period it is allowed, within its one tax period.
    upload = upload_of(portal, [decide("CN-0093", "P")])
    assert only_record(written(upload), "b2bcn")["action"] == "P"


def test_imports_are_never_rejected(portal, decide):
    rejected = upload_of(portal, [decide("7654321", "R")])
    assert rejected.is_empty and "never rejected" in left_out(rejected)["7654321"]
    upload = upload_of(portal, [decide("7654321", "P")])
    assert only_record(written(upload), "impg")["boenum"] == "7654321"


# ------------------------------------------------------------------------------------------- rule 7


def test_remarks_go_only_with_reject_or_pending(portal, decide):
    decisions = [
        decide("MH/2526/0417", "A", remarks="fine"),
        decide("1234567890123456", "R", remarks="Rate not agreed"),
    ]
    records = {r["inum"]: r for r in written(upload_of(portal, decisions))["invdata"]["b2b"]}
    assert "remarks" not in records["MH/2526/0417"]
    assert records["1234567890123456"]["remarks"] == "Rate not agreed"
    with pytest.raises(InputError, match="only with Reject or Pending"):
        validate_one("b2b", dict(_plain_b2b(), action="A", remarks="x"))


def test_a_reject_without_a_remark_is_left_out_and_the_rest_is_written(portal, decide):
    decisions = [
        decide("1234567890123456", "R", remarks="  "),
        decide("MH/2526/0417", "A"),
    ]
    upload = upload_of(portal, decisions)
    assert "needs a remark" in left_out(upload)["1234567890123456"]
    assert [r["inum"] for r in written(upload)["invdata"]["b2b"]] == ["MH/2526/0417"]


def test_remarks_where_the_portal_blocks_them_are_refused(portal, decide):
    # DN/77 is held as Reject with remarks blocked; re-accepting needs no remarks, rejecting again is no change.
    with pytest.raises(InputError, match="blocks remarks"):
        validate_one("b2b", dict(_plain_b2b(), action="R", remarks="x", isRemarksBlocked="Y"))
    upload = upload_of(portal, [decide("DN/77", "A", remarks="ignored")])
    assert "remarks" not in only_record(written(upload), "b2bdn")


def test_accepted_credit_note_carries_the_itc_reduction_and_nothing_else_does(portal, decide):
    decisions = [
        decide("CN-0093", "A", itc_red_req="Y", decl_igst=300.0),
        decide("MH/2526/0417", "A", itc_red_req="Y", decl_cgst=10.0, decl_sgst=10.0),
    ]
    payload = written(upload_of(portal, decisions))
    note = only_record(payload, "b2bcn")
    assert (note["itcRedReq"], note["declIgst"], note["declCgst"], note["declSgst"]) == (
        "Y",
        "300.00",
        "0.00",
        "0.00",
    )
    invoice = only_record(payload, "b2b")
    assert not {"itcRedReq", "declIgst", "declCgst", "declSgst", "declCess"} & set(invoice)
    # Rejecting the credit note: no reduction question at all.
    rejected = written(upload_of(portal, [decide("CN-0093", "R", remarks="Not agreed", itc_red_req="Y")]))
    assert "itcRedReq" not in only_record(rejected, "b2bcn")


def test_accepting_a_credit_note_without_the_reduction_answer_is_left_out(portal, decide):
    upload = upload_of(portal, [decide("CN-0093", "A")])
    assert upload.is_empty and "IMSSAV0054" in left_out(upload)["CN-0093"]


def test_declared_reduction_cannot_exceed_the_note_or_split_cgst_sgst_unevenly(portal, decide):
    upload = upload_of(portal, [decide("CN-0093", "A", itc_red_req="Y", decl_igst=400.0)])
    assert "more than the document" in left_out(upload)["CN-0093"]
    record = dict(_plain_b2b(), action="A", itcRedReq="Y", declIgst=0, declCgst=10, declSgst=9, declCess=0)
    record["nt_num"] = record.pop("inum")
    record["nt_dt"] = record.pop("idt")
    with pytest.raises(InputError, match="equal"):
        validate_one("b2bcn", record)


# ------------------------------------------------------------------------------------------- profiles


def test_api_profile_writes_only_the_allowed_fields(portal, decide):
    upload = upload_of(portal, [decide("MH/2526/0417", "A")], profile="api")
    record = only_record(written(upload), "b2b")
    assert set(record) == {
        "stin",
        "rtnprd",
        "srcform",
        "inum",
        "idt",
        "inv_typ",
        "pos",
        "val",
        "txval",
        "iamt",
        "camt",
        "samt",
        "cess",
        "action",
        "prev_status",
    }
    with pytest.raises(InputError, match="not allowed"):
        validate_one("b2b", dict(_plain_b2b(), action="A", prev_status="N", hash="x"), profile="api")


def test_offline_profile_echoes_the_record_minus_name_hash_and_download_flags(portal, decide):
    decision = [decide("MH/2526/0417", "A")]
    record = only_record(written(upload_of(portal, decision)), "b2b")
    assert record["irn"] == "abc123"  # an unknown field is echoed, as the offline tool does
    assert not {"tradenm", "hash", "srcfilstatus", "ispendactblocked", "prev_status"} & set(record)
    assert record["action"] == "A"


def test_offline_switches_keep_flags_and_write_prev_status(portal, decide):
    decision = [decide("MH/2526/0417", "A")]
    upload = upload_of(portal, decision, include_prev_status=True, keep_download_flags=True)
    record = only_record(written(upload), "b2b")
    assert record["prev_status"] == "N"
    assert record["srcfilstatus"] == "Filed" and record["ispendactblocked"] == "N"
    assert "tradenm" not in record and "hash" not in record


# ------------------------------------------------------------------------------------------- files


def test_files_are_named_with_gstin_and_period_and_summarised(portal, decide):
    decisions = [
        decide("MH/2526/0417", "A"),
        decide("1234567890123456", "N"),
        decide("7654321", "P"),
    ]
    upload = upload_of(portal, decisions)
    assert sorted(upload.to_files()) == [f"IMS_RESET_{RTIN}_112025.json", f"IMS_SAVE_{RTIN}_112025.json"]
    assert upload.summary()["by_action"] == {"A": 1, "N": 1, "P": 1}
    assert upload.summary()["by_section"] == {"b2b": 2, "impg": 1}


def test_files_land_in_the_folder(portal, tmp_path, decide):
    upload = upload_of(portal, [decide("MH/2526/0417", "A")])
    upload.to_files(tmp_path / "out")
    assert (tmp_path / "out" / f"IMS_SAVE_{RTIN}_112025.json").exists()


def test_large_bodies_are_split_by_section_then_halves(portal, decide):
    decisions = [
        decide("MH/2526/0417", "A"),
        decide("1234567890123456", "R", remarks="x"),
        decide("CN-0093", "A", itc_red_req="N"),
    ]
    upload = upload_of(portal, decisions, profile="api")
    b2b = upload.save["invdata"]["b2b"]
    # Room for the larger single b2b record, not for both: the b2b section has to be halved.
    limit = max(len(dumps_exact({**upload.save, "invdata": {"b2b": [r]}}).encode()) for r in b2b) + 5
    bodies = api_payloads(upload, limit=limit)
    assert all(len(dumps_exact(b["data"]).encode()) <= limit for b in bodies)
    assert all(b["action"] == "SAVE" for b in bodies)
    sections = [tuple(b["data"]["invdata"]) for b in bodies]
    assert sections == [("b2b",), ("b2b",), ("b2bcn",)]
    assert sum(len(r) for b in bodies for r in b["data"]["invdata"].values()) == 3
    assert split_payload(upload.save) == [upload.save]  # under 4 MB: one body


def test_an_offline_upload_hands_the_connector_the_same_records_in_the_api_profile(portal, decide):
    decisions = [
        decide("MH/2526/0417", "A"),
        decide("CN-0093", "A", itc_red_req="N"),
        decide("DN/77", "N"),
    ]
    upload = upload_of(portal, decisions)
    bodies = api_payloads(upload)
    assert [b["action"] for b in bodies] == ["SAVE", "RESETIMS"]
    sent = [r for b in bodies for records in b["data"]["invdata"].values() for r in records]
    assert sorted(r.get("inum") or r.get("nt_num") for r in sent) == numbers_written(upload)
    assert all("prev_status" in r and "srcfilstatus" not in r and "irn" not in r for r in sent)


def test_a_stale_decision_is_not_exported_but_listed(portal, decide):
    stale = decide("MH/2526/0417", "A", content_hash="an-older-version")
    upload = upload_of(portal, [stale])
    assert upload.is_empty
    assert "supplier changed this document" in upload.skipped[0]
    assert "MH/2526/0417" in upload.skipped[0]


def test_a_bad_recipient_gstin_is_refused(portal, decide):
    with pytest.raises(InputError, match="check character"):
        build(portal, [decide("MH/2526/0417", "A")], "27AHQPA7588L1ZK", today=TODAY)


# ------------------------------------------------------------------------------------------- round trip

_CHANGED_KEYS = {
    "action",
    "prev_status",
    "remarks",
    "itcRedReq",
    "declIgst",
    "declCgst",
    "declSgst",
    "declCess",
}


@pytest.mark.parametrize("profile", ["offline", "api"])
def test_round_trip_read_decide_write_read_back(portal, profile, decide):
    decisions = [
        decide("MH/2526/0417", "A"),
        decide("1234567890123456", "R", remarks="Not our purchase"),
        decide("CN-0093", "A", itc_red_req="Y", decl_igst=360.0),
        decide("7654321", "P"),
        decide("DN/77", "N"),
    ]
    upload = upload_of(portal, decisions, profile=profile)
    back = pl.concat(
        [read_ims(content, name).docs for name, content in upload.to_files().items()], how="vertical"
    )
    assert back.height == 5
    original = portal.filter(pl.col("doc_id").is_in(back.get_column("doc_id").to_list()))
    # The same documents come back (doc ids are built from the identity), with the same identity and amounts.
    identity = [
        "doc_id",
        "section",
        "supplier_gstin",
        "doc_no",
        "doc_date",
        "pos",
        "supply_type",
        "taxable_value",
        "igst",
        "cgst",
        "sgst",
        "cess",
        "doc_value",
        "supplier_period",
        "content_hash",
    ]
    assert back.select(identity).sort("doc_id").equals(original.select(identity).sort("doc_id"))
    # The actions read back are the ones decided.
    wanted = {d.portal_doc_id: d.action for d in decisions}
    assert dict(zip(back["doc_id"], back["ims_action"], strict=True)) == wanted
    # Every downloaded key that is written comes back with the very same literal.
    for row in back.iter_rows(named=True):
        echoed = loads_exact(row["raw"])
        downloaded = loads_exact(original.filter(pl.col("doc_id") == row["doc_id"]).get_column("raw").item())
        for key, value in echoed.items():
            if key not in _CHANGED_KEYS:
                assert str(downloaded[key]) == str(value), (row["doc_no"], key)
        assert (
            set(downloaded) - set(echoed)
            <= {
                "tradenm",
                "hash",
                "srcfilstatus",
                "ispendactblocked",
                "isRemarksBlocked",
                "irn",
                "rgstinrefId",
                "irefdt",
                "portcd",
            }
            | _CHANGED_KEYS
        )


def _plain_b2b() -> dict:
    """The first downloaded invoice as the API would echo it, without an action yet."""
    dropped = ("action", "tradenm", "hash", "srcfilstatus", "ispendactblocked", "irn")
    return {k: v for k, v in loads_exact(DOWNLOAD)["b2b"][0].items() if k not in dropped}


# ------------------------------------------------------------------------------------------- CLI


@pytest.fixture
def actions_cli(monkeypatch, tmp_path):
    """``python -m recon actions`` on the download, through the real entry point (only this verb registered).

    ``run(name, text, *options)`` writes the decisions file ``name`` and returns the exit code; the files go to
    ``tmp_path / "out"``.
    """
    from recon import cli

    monkeypatch.setattr(cli, "VERBS", ("actions",))
    ims = tmp_path / "ims.json"
    ims.write_text(DOWNLOAD)

    def run(name: str, text: str, *options: str, out: str = "out") -> int:
        decisions = tmp_path / name
        decisions.write_text(text)
        argv = [
            "--ims",
            str(ims),
            "--decisions",
            str(decisions),
            "--gstin",
            RTIN,
            "--out-dir",
            str(tmp_path / out),
        ]
        return cli.main(["actions", *argv, *options])

    return run


def file_written(folder, reqtyp: str = "SAVE") -> dict:
    """The November file the CLI wrote into ``folder``, numbers kept as their literal text."""
    return json.loads((folder / f"IMS_{reqtyp}_{RTIN}_112025.json").read_text(), parse_float=str)


def test_cli_writes_the_files_from_a_decisions_csv(actions_cli, tmp_path, capsys):
    code = actions_cli(
        "decisions.csv",
        "Supplier GSTIN,Doc Type,Doc No,Action,Remarks,ITC Red Req,Decl IGST\n"
        "27AAPFU0939F1ZV,Invoice,MH/2526/0417,Accept,,,\n"
        "27AAPFU0939F1ZV,invoice,1234567890123456,Reject,Rate not agreed,,\n"
        "33GSPTN0791G1Z5,credit note,CN-0093,A,,Y,360\n",
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "Accept: 2" in printed and "Reject: 1" in printed
    payload = file_written(tmp_path / "out")
    assert [(r["inum"], r["action"]) for r in payload["invdata"]["b2b"]] == [
        ("MH/2526/0417", "A"),
        ("1234567890123456", "R"),
    ]
    assert only_record(payload, "b2bcn")["declIgst"] == "360.00"


def test_cli_leaves_out_a_reject_without_a_remark_naming_its_row(actions_cli, tmp_path, capsys):
    code = actions_cli(
        "decisions.csv",
        "GSTIN of Supplier,Invoice No,Your Action,Remark\n"
        "27AAPFU0939F1ZV,MH/2526/0417,Accept,\n"
        "27AAPFU0939F1ZV,1234567890123456,Reject,\n",
    )
    assert code == 3
    (warning,) = [line for line in capsys.readouterr().err.splitlines() if "1234567890123456" in line]
    assert "decisions.csv, row 3" in warning and "needs a remark" in warning
    payload = file_written(tmp_path / "out")
    assert [(r["inum"], r["action"]) for r in payload["invdata"]["b2b"]] == [("MH/2526/0417", "A")]


RECONCILED_CSV = (
    "category,ims_section,supplier_gstin,ims_doc_no,suggested_action,action,books_igst,books_cgst,books_sgst\n"
    "matched,b2b,27AAPFU0939F1ZV,MH/2526/0417,A,,0,4500,4500\n"
    "ims_only,impg,,7654321,P,,,,\n"
    "matched,b2bcn,33GSPTN0791G1Z5,CN-0093,A,,300,0,0\n"
    "mismatched,b2b,27AAPFU0939F1ZV,1234567890123456,P,N,,,\n"
    "books_only,,27AAPFU0939F1ZV,,,,100,0,0\n"
)


def test_cli_takes_the_reconcile_csv_with_action_overriding_the_suggestion(actions_cli, tmp_path):
    assert actions_cli("reconciled.csv", RECONCILED_CSV) == 0
    save = file_written(tmp_path / "out")
    assert only_record(save, "b2b")["action"] == "A"
    # The suggested Pending of the IMS-only import is not written: nobody chose it.
    assert "impg" not in save["invdata"]
    # The suggested credit-note Accept declares the books' IGST, capped at the note's 360.
    note = only_record(save, "b2bcn")
    assert (note["itcRedReq"], note["declIgst"]) == ("Y", "300.00")
    # The user's N overrides the suggested P: the invoice held as A goes back through RESET.
    assert only_record(file_written(tmp_path / "out", "RESET"), "b2b")["inum"] == "1234567890123456"


def test_cli_suggested_all_writes_every_suggestion(actions_cli, tmp_path):
    assert actions_cli("reconciled.csv", RECONCILED_CSV, "--suggested", "all") == 0
    assert only_record(file_written(tmp_path / "out"), "impg")["action"] == "P"


def test_cli_bad_decision_row_exits_2_with_one_line(actions_cli, capsys):
    code = actions_cli(
        "decisions.csv",
        "supplier_gstin,doc_no,action\n27AAPFU0939F1ZV,MH/2526/0417,A\n27AAPFU0939F1ZV,NOPE,A\n",
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "decisions.csv, row 3" in err and "NOPE" in err


def test_cli_leaves_out_a_guard_violation_naming_file_and_document(actions_cli, tmp_path, capsys):
    pending = [{"supplier_gstin": "32TAAOA2947A1Z7", "doc_no": "DN/77", "action": "Pending"}]
    code = actions_cli("decisions.json", json.dumps(pending))
    assert code == 3  # files written for the rest (here: none), some records left out
    err = capsys.readouterr().err
    assert "DN/77" in err and "Pending" in err and "decisions.json" in err
    assert not list(tmp_path.glob("out/IMS_*.json"))


def test_big_uploads_become_numbered_files(portal, decide):
    decisions = [decide("MH/2526/0417", "A"), decide("7654321", "P")]
    upload = upload_of(portal, decisions)
    files = upload.to_files(limit=400)
    assert sorted(files) == [f"IMS_SAVE_{RTIN}_112025_part1.json", f"IMS_SAVE_{RTIN}_112025_part2.json"]
    assert sorted(next(iter(json.loads(f)["invdata"])) for f in files.values()) == ["b2b", "impg"]


def test_a_bill_of_entry_number_downloaded_as_digits_passes():
    record = {"boenum": 7654321, "boedt": "01-11-2025", "txval": 100, "igst": 18, "cess": 0, "action": "P"}
    validate_one("impg", record)


def test_decisions_on_documents_not_in_the_download_are_listed_not_written(portal, decide):
    decisions = [Decision("i-gone-after-3b", "A"), decide("MH/2526/0417", "A")]
    upload = upload_of(portal, decisions)
    assert upload.records.height == 1
    assert "not in this IMS download" in upload.skipped[0]


def test_actions_for_gstr2b_records_are_left_out(portal, decide):
    from_2b = portal.with_columns(pl.lit("gstr2b").alias("source"))
    upload = upload_of(from_2b, [decide("MH/2526/0417", "A")])
    assert upload.is_empty and "not from an IMS download" in left_out(upload)["MH/2526/0417"]


# ------------------------------------------------------------------------------------------- unsendable


def test_unsendable_names_each_record_the_portal_would_refuse_and_no_other(portal):
    from recon.ims_json import unsendable

    good = loads_exact(DOWNLOAD)["b2b"][0]
    odd = {
        "KA/2025-26/PUR/0000991": dict(good, inum="KA/2025-26/PUR/0000991"),
        "no value": {k: v for k, v in dict(good, inum="NOVAL-1").items() if k != "val"},
        "amount as text": dict(good, inum="TXT-1", txval="50000.00"),
    }
    download = {"b2b": [good, *odd.values()], "b2bcn": loads_exact(DOWNLOAD)["b2bcn"]}
    docs = read_ims(dumps_exact(download).encode(), "ims.json").docs
    found = unsendable(docs).join(docs.select("doc_id", "doc_no"), on="doc_id")
    reasons = dict(zip(found["doc_no"], found["reason"], strict=True))
    assert set(reasons) == {"KA/2025-26/PUR/0000991", "NOVAL-1", "TXT-1"}
    assert "22 characters" in reasons["KA/2025-26/PUR/0000991"]
    assert "no val" in reasons["NOVAL-1"]
    assert "txval must be a number" in reasons["TXT-1"]
    # The same records are what a build leaves out, with the same reasons; the good ones are written.
    upload = upload_of(docs, [Decision(d, "A", itc_red_req="N") for d in docs["doc_id"]])
    assert left_out(upload) == reasons
    assert sorted(upload.records["doc_no"]) == ["CN-0040", "CN-0093", "MH/2526/0417"]
