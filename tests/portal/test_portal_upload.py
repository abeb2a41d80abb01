"""Uploads over real HTTP: the happy path end to end, and faults where no decision may be lost or sent twice.

"Sent twice" is judged by the sandbox: it logs every request it received and which records each one
changed. A decision applied twice, or a record missing from the portal's state, fails the test.
"""

from __future__ import annotations

import time

import polars as pl
import pytest
from portal_helpers import (
    FAST,
    RECIPIENT,
    SUPPLIER_MH,
    applications,
    fetch_raw,
    held,
    save_body,
)

from recon.portal.client import OtpRequired
from recon.portal.sandbox import start_background
from recon.portal.service import (
    WB_CONFLICT,
    demo_connector,
    fetch_ims,
    resume,
    upload,
)

DECISIONS = {
    ("b2b", "MH/2526/0417"): "A",
    ("b2b", "MH/2526/0418"): "R",
    ("b2b", "KA-7781"): "P",
    ("b2b", "0000451"): "A",
    ("b2bdn", "DN/77"): "R",
}


def _decided(portal, decisions: dict = DECISIONS) -> dict:
    return {key: action for key, action in held(portal).items() if key in decisions}


def _by_number(outcome) -> dict:
    return {record.doc_no: record for record in outcome.per_record}


# ---------------------------------------------------------------------------------------------------
# End to end
# ---------------------------------------------------------------------------------------------------


def test_fetch_reconcile_decide_upload_leaves_the_portal_holding_the_decisions():
    from recon import actions, ims_json, synth
    from recon.match import reconcile

    corpus = synth.generate(seed=11, n_docs=120)
    gstin = corpus.client.gstin
    handle = start_background(seed_docs=corpus.ims_payload, gstin=gstin)
    try:
        client = demo_connector(handle, **FAST)
        client.request_otp(gstin)
        fetched = fetch_ims(client, gstin, otp=handle.otp)
        portal = fetched.result.docs
        results = reconcile(corpus.books, portal)
        # The consultant overrides one suggestion: reject the first matched invoice with a remark.
        first_matched = results.filter(results["category"] == "matched")["portal_doc_id"][0]
        decision = actions.Decision(first_matched, "R", remarks="Goods not received")
        wanted = actions.effective_actions(results, portal, [decision], books=corpus.books)
        built = ims_json.build(portal, wanted, gstin, profile="api")
        assert not built.is_empty

        references = []
        outcome = upload(
            client, ims_json.api_payloads(built), on_reference=lambda ref, body: references.append(ref)
        )

        assert outcome.status == "P"
        assert all(record.ok for record in outcome.per_record)
        assert len(outcome.per_record) == built.records.height
        assert references == outcome.references and references
        # Only the decision was sent: the portal changed exactly that one record, whatever was suggested.
        assert built.records.height == 1 == len(outcome.per_record)
        after = fetch_ims(client, gstin, previous=portal).result.docs
        held_now = dict(zip(after["doc_id"].to_list(), after["ims_action"].to_list(), strict=True))
        held_before = dict(zip(portal["doc_id"].to_list(), portal["ims_action"].to_list(), strict=True))
        changed = {doc for doc in held_now if held_now[doc] != held_before[doc]}
        assert changed == {first_matched}
        assert held_now[first_matched] == "R"
        assert wanted.filter(pl.col("action_source") == "suggested")["wanted_action"].is_in(["R", "P"]).any()
        # Nothing applied twice, and a fresh build has nothing left to send.
        assert max(applications(handle.portal).values()) == 1
        again = actions.effective_actions(results, after, [decision], books=corpus.books)
        assert ims_json.build(after, again, gstin, profile="api").is_empty
    finally:
        handle.stop()


def test_save_then_reset_both_apply(client, sandbox):
    records = fetch_raw(client)
    upload(client, [save_body(records, {("b2b", "TN/88"): "R"})])
    records = fetch_raw(client)
    outcome = upload(client, [save_body(records, {("b2b", "TN/88"): "N"}, reset=True)])
    assert outcome.status == "P"
    assert _by_number(outcome)["TN/88"].action == "N"
    assert held(sandbox.portal)[("b2b", "TN/88")] == "N"


# ---------------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------------


def _two_bodies(client) -> list[dict]:
    """Invoices in one SAVE, notes in a second: a fault on the second hits the middle of the upload."""
    records = fetch_raw(client)
    invoices = {k: v for k, v in DECISIONS.items() if k[0] == "b2b"}
    notes = {k: v for k, v in DECISIONS.items() if k[0] != "b2b"}
    return [save_body(records, invoices), save_body(records, notes)]


@pytest.mark.parametrize("applied_before_failing", [False, True])
def test_server_error_in_the_middle_of_an_upload(client, sandbox, applied_before_failing):
    sandbox.portal.add_fault("error500", "SAVE", skip=1, apply_first=applied_before_failing)

    outcome = upload(client, _two_bodies(client))

    assert outcome.status == "P"
    assert all(record.ok for record in outcome.per_record)
    assert _decided(sandbox.portal) == DECISIONS
    assert all(applications(sandbox.portal)[key] == 1 for key in applications(sandbox.portal))
    saves = sandbox.portal.requests_of("SAVE")
    if applied_before_failing:
        # The portal held the debit-note decision already: it was confirmed, not sent again.
        assert len(saves) == 2
    else:
        # Not applied: only that body's record went again, once.
        assert len(saves) == 3
        assert [r[:3] for r in saves[2].records] == [r[:3] for r in saves[1].records]


@pytest.mark.parametrize("applied_before_dropping", [True, False])
def test_dropped_connection_after_the_portal_received_the_request(client, sandbox, applied_before_dropping):
    sandbox.portal.add_fault("drop", "SAVE", apply_first=applied_before_dropping)
    records = fetch_raw(client)
    invoices = {k: v for k, v in DECISIONS.items() if k[0] == "b2b"}
    body = save_body(records, invoices)

    outcome = upload(client, [body])

    saves = sandbox.portal.requests_of("SAVE")
    assert saves[0].replied is False and saves[0].fault == "drop"
    assert _decided(sandbox.portal, invoices) == invoices
    assert set(applications(sandbox.portal).values()) == {1}
    assert len(saves) == (1 if applied_before_dropping else 2)
    assert outcome.status == "P"
    assert {r.doc_no: r.held_action for r in outcome.per_record} == {
        "MH/2526/0417": "A",
        "MH/2526/0418": "R",
        "KA-7781": "P",
        "0000451": "A",
    }


def test_timeout_while_the_portal_is_still_working_applies_each_decision_once(sandbox):
    # The portal is slow: the client gives up, checks (still old state), sends again; meanwhile the first
    # request completes. prev_status makes the two a compare-and-set: exactly one of them applies.
    client = demo_connector(sandbox, **FAST)
    client.settings = client.settings.__class__(**{**client.settings.__dict__, "timeout": 0.5})
    client.request_otp(RECIPIENT)
    client.authenticate(RECIPIENT, sandbox.otp)
    sandbox.portal.add_fault("slow", "SAVE", seconds=1.5)
    body = save_body(fetch_raw(client), {("b2b", "TN/88"): "A"})

    outcome = upload(client, [body])
    record = _by_number(outcome)["TN/88"]
    assert record.ok is True and record.held_action == "A"

    # Let the slow first request finish too, then judge: it must have been refused as stale.
    first = sandbox.portal.requests_of("SAVE")[0]
    deadline = time.monotonic() + 5
    while first.reference_id is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.fault == "slow" and first.reference_id is not None
    late = sandbox.portal._references[first.reference_id]["status"]
    assert late["error_report"]["b2b"][0]["error_cd"] == "IMSSAV0010"
    assert held(sandbox.portal)[("b2b", "TN/88")] == "A"
    assert applications(sandbox.portal)[("b2b", "33GSPTN0791G1Z5", "TN/88", "112025")] == 1


def test_session_expiry_between_fetch_and_upload_is_refreshed_without_an_otp(client, sandbox):
    body = save_body(fetch_raw(client), DECISIONS)
    sandbox.portal.expire_sessions(refreshable=True)

    outcome = upload(client, [body])

    assert outcome.status == "P"
    assert _decided(sandbox.portal) == DECISIONS
    assert len(sandbox.portal.requests_of("REFRESHTOKEN")) == 1
    assert set(applications(sandbox.portal).values()) == {1}


def test_session_ended_for_good_asks_for_an_otp_and_keeps_what_was_not_sent(client, sandbox):
    bodies = _two_bodies(client)
    sandbox.portal.expire_sessions(refreshable=False)

    with pytest.raises(OtpRequired) as err:
        upload(client, bodies)

    partial = err.value.partial
    assert partial.status == "INCOMPLETE"
    assert partial.unsent == bodies
    assert {r.ok for r in partial.per_record} == {None}
    assert not any(entry.applied for entry in sandbox.portal.log)
    # The user enters a new OTP; the unsent bodies go once.
    client.request_otp(RECIPIENT)
    client.authenticate(RECIPIENT, sandbox.otp)
    outcome = upload(client, partial.unsent)
    assert outcome.status == "P"
    assert _decided(sandbox.portal) == DECISIONS
    assert set(applications(sandbox.portal).values()) == {1}


def test_processed_with_errors_maps_each_error_back_to_its_record(client, sandbox):
    records = fetch_raw(client)
    body = save_body(
        records,
        {
            ("b2b", "MH/2526/0417"): "A",  # fine
            ("b2b", "KA-7782"): "P",  # Pending blocked on this record
            ("b2b", "MH/2526/0418"): "R",  # the taxpayer acts on the portal meanwhile: stale prev_status
            ("b2bcn", "CN-0093"): "A",  # credit note accepted without itcRedReq
            ("b2bdn", "DN/77"): "R",  # fine
        },
    )
    sandbox.portal.set_action(RECIPIENT, "b2b", SUPPLIER_MH, "MH/2526/0418", "A")

    outcome = upload(client, [body])

    assert outcome.status == "PE"
    result = _by_number(outcome)
    assert result["MH/2526/0417"].ok and result["DN/77"].ok
    assert (result["KA-7782"].ok, result["KA-7782"].error_cd) == (False, "SBX-PENDBLK")
    assert (result["MH/2526/0418"].ok, result["MH/2526/0418"].error_cd) == (False, "IMSSAV0010")
    assert (result["CN-0093"].ok, result["CN-0093"].error_cd) == (False, "IMSSAV0054")
    assert "itcRedReq" in result["CN-0093"].error_msg
    # What the portal holds agrees with the outcome: refused records kept their old action.
    now = held(sandbox.portal)
    assert now[("b2b", "MH/2526/0417")] == "A" and now[("b2bdn", "DN/77")] == "R"
    assert now[("b2b", "KA-7782")] == "N" and now[("b2bcn", "CN-0093")] == "N"
    assert now[("b2b", "MH/2526/0418")] == "A"  # the taxpayer's own action, not overwritten
    assert result["MH/2526/0418"].held_action == "A"
    assert len(sandbox.portal.requests_of("SAVE")) == 1


def test_error_report_with_short_section_keys_is_mapped_too():
    from portal_helpers import small_ims

    handle = start_background(seed_docs=small_ims(), gstin=RECIPIENT, short_report_keys=True)
    try:
        client = demo_connector(handle, **FAST)
        client.request_otp(RECIPIENT)
        client.authenticate(RECIPIENT, handle.otp)
        outcome = upload(
            client, [save_body(fetch_raw(client), {("b2bcn", "CN-0093"): "A", ("b2b", "TN/88"): "A"})]
        )
        status = handle.portal._references[outcome.references[0]]["status"]
        assert list(status["error_report"]) == ["cn"]  # the production spelling
        result = _by_number(outcome)
        assert (result["CN-0093"].ok, result["CN-0093"].error_cd) == (False, "IMSSAV0054")
        assert result["TN/88"].ok is True
    finally:
        handle.stop()


def test_schema_violation_is_an_error_for_the_whole_request_and_nothing_applies(client, sandbox):
    body = save_body(fetch_raw(client), DECISIONS)
    del body["data"]["invdata"]["b2b"][1]["prev_status"]

    outcome = upload(client, [body])

    assert outcome.status == "ER"
    assert {r.error_cd for r in outcome.per_record} == {"IMSSAV005"}
    assert "prev_status" in outcome.per_record[0].error_msg
    assert not applications(sandbox.portal)


def test_supplier_edit_after_download_is_refused_and_reported(client, sandbox):
    body = save_body(fetch_raw(client), {("b2b", "MH/2526/0417"): "A"})
    sandbox.portal.supplier_edit(RECIPIENT, "b2b", SUPPLIER_MH, "MH/2526/0417", txval=50100.0, val=59118.0)

    outcome = upload(client, [body])

    record = _by_number(outcome)["MH/2526/0417"]
    assert (record.ok, record.error_cd) == (False, "IMSSAV0010")
    assert held(sandbox.portal)[("b2b", "MH/2526/0417")] == "N"


def test_record_changed_on_the_portal_during_an_uncertain_send_is_reported_not_overwritten(client, sandbox):
    body = save_body(fetch_raw(client), {("b2b", "TN/88"): "A"})
    sandbox.portal.add_fault("drop", "SAVE")  # dropped before the portal read it
    # Between the drop and the check, the taxpayer rejects it on the portal's web page.
    original_submit = client.submit

    def submit_then_taxpayer_acts(gstin, sent):
        try:
            return original_submit(gstin, sent)
        finally:
            sandbox.portal.set_action(RECIPIENT, "b2b", "33GSPTN0791G1Z5", "TN/88", "R")

    client.submit = submit_then_taxpayer_acts
    outcome = upload(client, [body])

    record = _by_number(outcome)["TN/88"]
    assert (record.ok, record.error_cd, record.held_action) == (False, WB_CONFLICT, "R")
    assert len(sandbox.portal.requests_of("SAVE")) == 1  # not sent again over the taxpayer's action
    assert held(sandbox.portal)[("b2b", "TN/88")] == "R"


def test_polling_survives_a_restart_with_the_stored_reference(client, sandbox):
    sandbox.portal.ip_polls = 100  # the portal keeps saying "in progress" while the app is running
    stored = {}
    body = save_body(fetch_raw(client), DECISIONS)

    first = upload(
        client, [body], on_reference=lambda ref, sent: stored.update(ref=ref, body=sent), confirm=False
    )

    assert first.status == "IP"
    assert {r.ok for r in first.per_record} == {None}
    assert stored["ref"] == first.references[0]
    # The app restarts: a new client, a new OTP, the stored reference and body.
    sandbox.portal.ip_polls = 0
    restarted = demo_connector(sandbox, **FAST)
    restarted.request_otp(RECIPIENT)
    restarted.authenticate(RECIPIENT, sandbox.otp)
    outcome = resume(restarted, stored["ref"], stored["body"])
    assert outcome.status == "P"
    assert all(r.ok and r.held_action == r.action for r in outcome.per_record)
    assert len(sandbox.portal.requests_of("SAVE")) == 1


def test_request_refused_on_receipt_is_reported_per_record_and_the_rest_still_goes(client, sandbox):
    records = fetch_raw(client)
    refused = save_body(records, {("b2b", "TN/88"): "A"})
    refused["action"] = "SAVEALL"  # not an IMS action: the portal refuses it before reading the records
    fine = save_body(records, {("b2b", "KA-7781"): "R"})

    outcome = upload(client, [refused, fine])

    result = _by_number(outcome)
    assert (result["TN/88"].ok, result["TN/88"].error_cd) == (False, "GEN5001")
    assert result["KA-7781"].ok is True
    assert outcome.status == "PE"
    assert held(sandbox.portal)[("b2b", "TN/88")] == "N"


def test_reset_dropped_after_the_portal_applied_it_is_confirmed_not_resent(client, sandbox):
    upload(client, [save_body(fetch_raw(client), {("b2b", "TN/88"): "R", ("b2bdn", "DN/77"): "R"})])
    sandbox.portal.add_fault("drop", "RESETIMS", apply_first=True)

    reset = save_body(fetch_raw(client), {("b2b", "TN/88"): "N", ("b2bdn", "DN/77"): "N"}, reset=True)
    outcome = upload(client, [reset])

    assert outcome.status == "P"
    assert {r.doc_no: (r.ok, r.action, r.held_action) for r in outcome.per_record} == {
        "TN/88": (True, "N", "N"),
        "DN/77": (True, "N", "N"),
    }
    assert len(sandbox.portal.requests_of("RESETIMS")) == 1
    assert (
        applications(sandbox.portal)[("b2b", "33GSPTN0791G1Z5", "TN/88", "112025")] == 2
    )  # the R, then the N


def test_a_field_outside_the_published_schema_fails_the_whole_request(client, sandbox):
    body = save_body(fetch_raw(client), DECISIONS)
    body["data"]["invdata"]["b2b"][0]["hash"] = "ab" * 32  # download-only field echoed back

    outcome = upload(client, [body])

    assert outcome.status == "ER"
    assert "hash" in outcome.per_record[0].error_msg
    assert not applications(sandbox.portal)


def test_credit_note_accepted_with_a_declaration_above_its_tax_is_refused(client, sandbox):
    body = save_body(fetch_raw(client), {("b2bcn", "CN-0093"): "A", ("b2b", "TN/88"): "A"})
    note = body["data"]["invdata"]["b2bcn"][0]
    # The note carries IGST 360.00; declaring 400 is more than the note itself.
    note.update(itcRedReq="Y", declIgst=400, declCgst=0, declSgst=0, declCess=0)
    outcome = upload(client, [body])
    result = _by_number(outcome)
    assert (result["CN-0093"].ok, result["CN-0093"].error_cd) == (False, "SBX-DECL")
    assert result["TN/88"].ok is True

    body = save_body(fetch_raw(client), {("b2bcn", "CN-0093"): "A"})
    body["data"]["invdata"]["b2bcn"][0].update(
        itcRedReq="Y", declIgst=360, declCgst=0, declSgst=0, declCess=0
    )
    assert upload(client, [body]).status == "P"
    assert held(sandbox.portal)[("b2bcn", "CN-0093")] == "A"


def test_unreadable_success_reply_to_a_save_is_checked_not_resent(client, sandbox):
    sandbox.portal.add_fault("garble", "SAVE", apply_first=True)
    outcome = upload(client, [save_body(fetch_raw(client), {("b2b", "TN/88"): "R"})])
    assert outcome.status == "P"
    assert _by_number(outcome)["TN/88"].held_action == "R"
    assert len(sandbox.portal.requests_of("SAVE")) == 1
    assert any("unreadable" in message for message in outcome.messages)
