"""Downloading IMS through the connector into canonical documents, queued files, and change reports."""

from __future__ import annotations

import io
import zipfile

import pytest
from portal_helpers import (
    BOTH_TRANSPORTS,
    RECIPIENT,
    SUPPLIER_KA,
    SUPPLIER_MH,
    SUPPLIER_TN,
    connect,
    in_process,
    many_invoices,
    small_ims,
)

from recon import model
from recon.portal.client import OtpRequired, PortalError
from recon.portal.service import fetch_ims


@pytest.mark.parametrize("sandbox", BOTH_TRANSPORTS, indirect=True)
def test_fetch_gives_canonical_documents_with_the_portal_record_kept(client):
    outcome = fetch_ims(client, RECIPIENT)
    docs = outcome.result.docs
    assert tuple(docs.columns) == model.COLUMNS
    assert outcome.per_section == {
        "b2b": 6,
        "b2ba": 0,
        "b2bcn": 1,
        "b2bcna": 0,
        "b2bdn": 1,
        "b2bdna": 0,
        "ecom": 0,
        "ecoma": 0,
    }
    assert docs.height == 8
    kinds = dict(zip(docs["doc_no"].to_list(), docs["doc_kind"].to_list(), strict=True))
    assert (
        kinds["CN-0093"] == "credit_note" and kinds["DN/77"] == "debit_note" and kinds["KA-7781"] == "invoice"
    )
    assert set(docs["ims_action"].to_list()) == {"N"}
    # Pending is blocked on exactly the one record the portal flags.
    blocked = docs.filter(docs["pending_blocked"])["doc_no"].to_list()
    assert blocked == ["KA-7782"]
    # The number with leading zeros and the amount written 999.99 survive the trip untouched.
    row = docs.filter(docs["doc_no"] == "0000451").row(0, named=True)
    assert row["taxable_value"] == 999.99
    assert '"txval":999.99' in row["raw"].replace(" ", "")
    assert outcome.portal_counts["b2b"] == 6
    assert not [w for w in outcome.result.warnings if "counts" in str(w)]


def test_fetch_without_a_session_asks_for_an_otp_and_with_it_succeeds(sandbox):
    connector = connect(sandbox)
    with pytest.raises(OtpRequired) as err:
        fetch_ims(connector, RECIPIENT)
    assert err.value.gstin == RECIPIENT
    connector.request_otp(RECIPIENT)
    outcome = fetch_ims(connector, RECIPIENT, otp=sandbox.otp)
    assert outcome.result.docs.height == 8


def test_queued_download_over_several_encrypted_files_equals_the_direct_download():
    seed = many_invoices(120)
    direct = in_process(seed)
    queued = in_process(seed, queue_threshold=50, records_per_file=40)
    try:
        results = []
        for handle in (direct, queued):
            connector = connect(handle)
            connector.request_otp(RECIPIENT)
            connector.authenticate(RECIPIENT, handle.otp)
            results.append(connector.get_section(RECIPIENT, "b2b"))
        assert len(results[1]) == 120
        assert results[0] == results[1]
        files = queued.portal.requests_of("FILEDET")
        assert len(files) == 1
        assert len(queued.portal._files) == 3  # 40 + 40 + 40 records
    finally:
        direct.stop()
        queued.stop()


def test_queued_file_that_fails_its_sha256_is_refused():
    handle = in_process(many_invoices(30), queue_threshold=10)
    try:
        connector = connect(handle)
        connector.request_otp(RECIPIENT)
        connector.authenticate(RECIPIENT, handle.otp)
        real_queue = handle.portal._queue

        def corrupting_queue(*args):
            reply = real_queue(*args)
            for name, content in list(handle.portal._files.items()):
                handle.portal._files[name] = content[:-1] + bytes([content[-1] ^ 1])
            return reply

        handle.portal._queue = corrupting_queue
        with pytest.raises(PortalError, match="SHA-256"):
            connector.get_section(RECIPIENT, "b2b")
    finally:
        handle.stop()


def test_queued_file_not_ready_yet_is_waited_for():
    # Five minutes to generate: the production schedule waits it out, on the shared ManualClock.
    handle = in_process(many_invoices(30), queue_threshold=10, file_ready_seconds=300)
    connector = connect(handle)
    connector.request_otp(RECIPIENT)
    connector.authenticate(RECIPIENT, handle.otp)
    assert len(connector.get_section(RECIPIENT, "b2b")) == 30
    filedet = handle.portal.requests_of("FILEDET")
    assert len(filedet) >= 2  # refused while generating, then served
    assert sum(handle.portal.clock.slept) >= 300  # waited the five minutes out rather than giving up


def test_second_download_reports_new_changed_gone_and_acted_on_documents(client, sandbox):
    first = fetch_ims(client, RECIPIENT)
    portal = sandbox.portal
    # The supplier amends one invoice, the taxpayer accepts another on the portal's web page, a new
    # invoice arrives and one disappears (supplier deleted it before filing).
    portal.supplier_edit(RECIPIENT, "b2b", SUPPLIER_MH, "MH/2526/0418", txval=12500.0, val=14750.0)
    portal.set_action(RECIPIENT, "b2bcn", SUPPLIER_TN, "CN-0093", "R")
    new_record = dict(small_ims()["b2b"][0], inum="MH/2526/0500")
    portal.records[RECIPIENT]["b2b"].append(dict(new_record, hash="f" * 64))
    portal.records[RECIPIENT]["b2b"] = [r for r in portal.records[RECIPIENT]["b2b"] if r["inum"] != "KA-7781"]

    second = fetch_ims(client, RECIPIENT, previous=first.result.docs)

    def numbers(doc_ids, frame):
        return sorted(frame.filter(frame["doc_id"].is_in(doc_ids))["doc_no"].to_list())

    assert numbers(second.new, second.result.docs) == ["MH/2526/0500"]
    assert numbers(second.changed, second.result.docs) == ["MH/2526/0418"]
    assert numbers(second.action_changed, second.result.docs) == ["CN-0093"]
    assert numbers(second.gone, first.result.docs) == ["KA-7781"]
    assert any("changed by the supplier" in line for line in second.summary_lines())


def test_a_section_the_gsp_does_not_offer_is_a_warning_not_a_failure(client, sandbox):
    client.settings = client.settings.__class__(
        **{**client.settings.__dict__, "eco_sections": ("ECOX", "ECOAX")}
    )
    outcome = fetch_ims(client, RECIPIENT)
    assert outcome.result.docs.height == 8
    assert any("ecom" in str(w) for w in outcome.result.warnings)


def test_server_error_on_a_download_is_retried(client, sandbox):
    sandbox.portal.add_fault("error500", "GETINV", times=1)
    records = client.get_section(RECIPIENT, "b2b")
    assert len(records) == 6
    getinv = sandbox.portal.requests_of("GETINV")
    assert [entry.fault for entry in getinv] == ["error500", None]


def test_completeness_warning_when_counts_and_records_differ(client, sandbox):
    real_counts = sandbox.portal.counts

    def inflated(gstin, goods_typ):
        reply = real_counts(gstin, goods_typ)
        reply["sections"]["b2b"]["ttl_cnt"] += 1
        return reply

    sandbox.portal.counts = inflated
    outcome = fetch_ims(client, RECIPIENT)
    assert any("7 b2b records but 6" in str(w) for w in outcome.result.warnings)
    assert SUPPLIER_KA in outcome.result.docs["supplier_gstin"].to_list()


def test_session_that_runs_out_on_its_own_is_refreshed_before_the_next_call(client, sandbox):
    # The token lives six hours; the user comes back after seven, within the API-access window.
    assert len(client.get_section(RECIPIENT, "b2b")) == 6
    sandbox.portal.clock.advance(7 * 3600)
    assert len(client.get_section(RECIPIENT, "b2b")) == 6
    assert len(sandbox.portal.requests_of("REFRESHTOKEN")) == 1
    assert len(sandbox.portal.requests_of("AUTHTOKEN")) == 1  # no second OTP


def test_session_past_the_access_window_asks_for_an_otp(client, sandbox):
    sandbox.portal.clock.advance(31 * 3600)  # six hours of token, then the 24-hour refresh window
    with pytest.raises(OtpRequired):
        client.get_section(RECIPIENT, "b2b")
    assert not client.has_session(RECIPIENT)
    assert len(sandbox.portal.requests_of("REFRESHTOKEN")) == 1


def test_queued_files_from_a_gsp_that_zips_them_are_read():
    from recon.portal import crypto
    from recon.portal.client import _unpack

    key = crypto.new_key()
    sealed = crypto.seal({"b2b": [{"inum": "Z-1"}]}, key)[0].encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("part1.json", sealed)
    (member,) = _unpack(buffer.getvalue())
    assert crypto.open_sealed(member.decode(), None, key, require_hmac=False) == {"b2b": [{"inum": "Z-1"}]}


def test_server_error_while_refreshing_keeps_the_session_for_the_next_try(client, sandbox):
    from recon.portal.client import PortalUnavailable

    sandbox.portal.expire_sessions(refreshable=True)
    sandbox.portal.add_fault("error500", "REFRESHTOKEN")
    with pytest.raises(PortalUnavailable):
        client.get_section(RECIPIENT, "b2b")
    assert client.has_session(RECIPIENT)  # a network fault is no reason to ask for a new OTP
    assert len(client.get_section(RECIPIENT, "b2b")) == 6
    assert len(sandbox.portal.requests_of("AUTHTOKEN")) == 1


def test_download_that_times_out_is_retried(sandbox):
    connector = connect(sandbox)
    connector.settings = connector.settings.__class__(**{**connector.settings.__dict__, "timeout": 0.4})
    connector.request_otp(RECIPIENT)
    connector.authenticate(RECIPIENT, sandbox.otp)
    sandbox.portal.add_fault("slow", "GETINV", seconds=1.2)
    assert len(connector.get_section(RECIPIENT, "b2b")) == 6
    assert [entry.fault for entry in sandbox.portal.requests_of("GETINV")] == ["slow", None]


def test_two_threads_meeting_an_expired_session_refresh_it_once(client, sandbox):
    from concurrent.futures import ThreadPoolExecutor

    sandbox.portal.expire_sessions(refreshable=True)
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(
            pool.map(lambda section: len(client.get_section(RECIPIENT, section)), ["b2b", "b2bcn"] * 4)
        )
    assert counts == [6, 1] * 4
    # A second refresh would have invalidated the first thread's fresh token and cost the user an OTP.
    assert len(sandbox.portal.requests_of("REFRESHTOKEN")) == 1
    assert client.has_session(RECIPIENT)
