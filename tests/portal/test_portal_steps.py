"""The Import and Upload pages' portal steps as the workspace takes them: fetch, send, fetch the answer.

Each step asks the portal for an OTP when the client has no session (and stores nothing), and with the
OTP typed completes: the download imported, the decisions applied and recorded, an upload the portal
was still processing finished.
"""

from __future__ import annotations

import polars as pl
import pytest
from portal_helpers import RECIPIENT, connect

from recon.portal.client import OtpRequired
from recon.store import Store
from recon.workspace import Workspace

PERIOD = "112025"


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace(Store(f"sqlite:///{tmp_path / 'w.db'}"), user="asha")
    yield workspace
    workspace.store.dispose()


def otps_sent(sandbox) -> int:
    return len(sandbox.portal.requests_of("OTPREQUEST"))


def test_without_a_session_each_step_asks_for_the_otp_and_stores_nothing(ws, sandbox):
    client = ws.create_client("Acme Traders", RECIPIENT, PERIOD)
    connector = connect(sandbox)
    with pytest.raises(OtpRequired):
        ws.fetch_from_portal(client.id, PERIOD, connector)
    assert otps_sent(sandbox) == 1, "the signatory was sent an OTP"
    assert ws.imports(client.id, PERIOD) == []

    ws.fetch_from_portal(client.id, PERIOD, connector, otp=sandbox.otp)
    ids = ws.documents(client.id, PERIOD, "ims")["doc_id"].to_list()
    ws.set_action(client.id, PERIOD, ids, "A", confirmed=True)
    upload = ws.build_upload(client.id, PERIOD, "api")
    fresh = connect(sandbox)  # another server process: no session for the client
    with pytest.raises(OtpRequired):
        ws.send_to_portal(client.id, PERIOD, upload, fresh)
    assert otps_sent(sandbox) == 2
    assert ws.upload_history(client.id, PERIOD) == [], "nothing sent, nothing recorded"


def test_a_send_with_the_otp_records_what_the_portal_applied(ws, sandbox):
    client = ws.create_client("Acme Traders", RECIPIENT, PERIOD)
    connector = connect(sandbox)
    connector.request_otp(RECIPIENT)
    ws.fetch_from_portal(client.id, PERIOD, connector, otp=sandbox.otp)
    ids = ws.documents(client.id, PERIOD, "ims")["doc_id"].to_list()
    ws.set_action(client.id, PERIOD, ids, "A", confirmed=True)
    upload = ws.build_upload(client.id, PERIOD, "api")
    fresh = connect(sandbox)
    fresh.request_otp(RECIPIENT)

    result = ws.send_to_portal(client.id, PERIOD, upload, fresh, otp=sandbox.otp)

    assert (result["applied"], result["failed"], result["unknown"]) == (upload.records.height, [], 0)
    assert ws.build_upload(client.id, PERIOD, "api").is_empty, "the portal now holds every decision"
    assert len(ws.upload_history(client.id, PERIOD)) == 1


def test_an_upload_still_processing_is_finished_once_the_otp_is_typed(ws, sandbox):
    client = ws.create_client("Acme Traders", RECIPIENT, PERIOD)
    connector = connect(sandbox)
    connector.request_otp(RECIPIENT)
    ws.fetch_from_portal(client.id, PERIOD, connector, otp=sandbox.otp)
    ids = ws.documents(client.id, PERIOD, "ims")["doc_id"].to_list()
    ws.set_action(client.id, PERIOD, ids, "A", confirmed=True)
    upload = ws.build_upload(client.id, PERIOD, "api")
    sent = upload.records["portal_doc_id"].to_list()
    sandbox.portal.ip_polls = 10_000  # the portal keeps the upload "in progress" past every poll
    sandbox.portal.add_fault("error500", "GETINV", times=100)  # nor can its download settle it now
    result = ws.send_to_portal(client.id, PERIOD, upload, connector)
    assert result["unknown"] == len(sent)
    assert len(ws.pending_uploads(client.id, PERIOD)) == 1

    sandbox.portal.ip_polls = 0
    sandbox.portal.clear_faults()
    later = connect(sandbox)  # the next day: the session is gone
    with pytest.raises(OtpRequired):
        ws.resume_uploads(client.id, PERIOD, later)
    assert len(ws.pending_uploads(client.id, PERIOD)) == 1, "still to be fetched"

    words = ws.resume_uploads(client.id, PERIOD, later, otp=sandbox.otp)

    assert len(words) == 1 and f"{len(sent)} saved" in words[0]
    assert ws.pending_uploads(client.id, PERIOD) == []
    held = ws.documents(client.id, PERIOD, "ims")
    assert set(held.filter(pl.col("doc_id").is_in(sent))["ims_action"]) == {"A"}
