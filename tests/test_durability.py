"""kill -9 at the worst moment: the workspace keeps its last good state and the next start says what happened.

A subprocess (tests/durability_worker.py) runs an import, a bulk decision or an upload to a sandbox portal
on the test's database and pauses at a chosen point (inside the transaction that saves the result, or
right after the portal's reference id was stored); the test SIGKILLs it there, reopens the database and
checks what a consultant would see. Every test runs on SQLite and on PostgreSQL (IMS_WORKBENCH_TEST_PG).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from handwritten_files import CLIENT_A, SUPPLIERS, ims_download

from recon.jsonio import loads_exact
from recon.store import Store
from recon.workspace import Workspace

PERIOD = "112025"
WORKER = Path(__file__).with_name("durability_worker.py")
FAST = {"poll_schedule": (0.01, 0.01, 0.01, 0.01), "retry_schedule": (0.01, 0.01), "est_unit_seconds": 0.0}


def kill_when_paused(scenario: str, url: str, tmp_path: Path, args: dict) -> None:
    """Run the worker until it reports the pause, then SIGKILL it (and reap it, as a supervisor would)."""
    marker = tmp_path / f"{scenario}.marker"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    process = subprocess.Popen(
        [sys.executable, str(WORKER), scenario, url, str(marker), json.dumps(args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    state = marker.read_text() if marker.exists() else None
    if state != "paused":
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"the worker did not reach the pause ({state}): {err.decode()[-2000:]}")
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL


def integrity_ok(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        else:
            assert conn.exec_driver_sql("SELECT count(*) FROM decisions").scalar() is not None
    engine.dispose()


def workspace_with_ims(url: str, numbers: list[tuple[int, str]]):
    ws = Workspace(Store(url), user="asha")
    client = ws.create_client("Acme Traders", CLIENT_A, PERIOD)
    ws.import_file(client.id, PERIOD, ims_download(numbers, rtin=CLIENT_A), "ims_oct.json", confirmed=True)
    return ws, client


def test_kill_mid_import_keeps_the_previous_import_and_says_so(db_url, tmp_path):
    ws, client = workspace_with_ims(db_url, [(0, "OLD/1"), (1, "OLD/2")])
    new_file = tmp_path / "IMS download 2 Dec.json"
    new_file.write_bytes(ims_download([(i % 3, f"NEW/{i:04d}") for i in range(3000)], rtin=CLIENT_A))
    ws.store.dispose()

    kill_when_paused(
        "import", db_url, tmp_path, {"client_id": client.id, "period": PERIOD, "file": str(new_file)}
    )

    integrity_ok(db_url)
    reopened = Workspace(Store(db_url), user="asha")
    records = reopened.imports(client.id, PERIOD)
    assert [(r.file_name, r.doc_count) for r in records] == [("ims_oct.json", 2)], "the old import is intact"
    assert sorted(reopened.documents(client.id, PERIOD, "ims")["doc_no"].to_list()) == ["OLD/1", "OLD/2"]
    told = reopened.interrupted()
    assert [i.kind for i in told] == ["import"]
    assert "IMS download 2 Dec.json" in told[0].message and "nothing of it was saved" in told[0].message
    assert reopened.interrupted() == [], "said once, then closed"
    reopened.store.dispose()


def test_kill_mid_bulk_decision_leaves_the_decisions_as_they_were(db_url, tmp_path):
    ws, client = workspace_with_ims(db_url, [(i % 3, f"BK/{i:05d}") for i in range(2500)])
    ids = ws.documents(client.id, PERIOD, "ims")["doc_id"].to_list()
    ws.set_action(client.id, PERIOD, [ids[0]], "R", remarks="goods not received", confirmed=True)
    before = ws.decisions(client.id)
    trail_before = ws.audit_trail(client.id).height
    ws.store.dispose()

    kill_when_paused("bulk", db_url, tmp_path, {"client_id": client.id, "period": PERIOD, "doc_ids": ids[1:]})

    integrity_ok(db_url)
    reopened = Workspace(Store(db_url), user="asha")
    after = reopened.decisions(client.id)
    assert (
        after.select("portal_doc_id", "action", "remarks").rows()
        == before.select("portal_doc_id", "action", "remarks").rows()
    )
    assert reopened.audit_trail(client.id).height == trail_before
    told = reopened.interrupted()
    assert [i.kind for i in told] == ["bulk"]
    assert "2,499 document(s)" in told[0].message and "nothing of it was saved" in told[0].message
    # The workspace works on: the same bulk again saves all of it.
    assert reopened.set_action(client.id, PERIOD, ids[1:], "A", source="bulk").saved == 2499
    reopened.store.dispose()


def _portal_records() -> dict:
    """Three invoices and a credit note as the portal lists them (numbers as JSON numbers)."""
    rows = [(SUPPLIERS[0], "MH/0417", 50000), (SUPPLIERS[1], "KA-7781", 8000), (SUPPLIERS[2], "GJ/88", 2000)]
    b2b = [
        f'{{"stin": "{stin}", "inum": "{number}", "idt": "07-11-2025", "inv_typ": "R", "pos": "27", '
        f'"val": {taxable * 1.18:.2f}, "txval": {taxable}.00, "iamt": {taxable * 0.18:.2f}, "camt": 0, "samt": 0, '
        f'"cess": 0, "rtnprd": "112025", "srcform": "R1", "srcfilstatus": "Filed", "action": "N", '
        f'"ispendactblocked": "N"}}'
        for stin, number, taxable in rows
    ]
    return loads_exact(f'{{"b2b": [{", ".join(b2b)}]}}')


def test_kill_mid_upload_is_reported_resumed_and_recorded(db_url, tmp_path):
    from recon.portal.sandbox import start_background
    from recon.portal.service import demo_connector, fetch_ims

    portal = start_background(port=0, seed_docs=_portal_records(), gstin=CLIENT_A, ip_polls=1)
    try:
        ws = Workspace(Store(db_url), user="asha")
        client = ws.create_client("Acme Traders", CLIENT_A, PERIOD)
        connector = demo_connector(portal, **FAST)
        connector.request_otp(CLIENT_A)
        fetched = fetch_ims(connector, CLIENT_A, otp=portal.otp)
        ws.import_read(client, PERIOD, fetched.result, mode="replace", origin="portal")
        docs = ws.documents(client.id, PERIOD, "ims")
        by_no = dict(zip(docs["doc_no"].to_list(), docs["doc_id"].to_list(), strict=True))
        ws.set_action(client.id, PERIOD, [by_no["MH/0417"], by_no["KA-7781"]], "A")
        ws.set_action(client.id, PERIOD, [by_no["GJ/88"]], "R", remarks="rate is wrong", confirmed=True)
        assert ws.build_upload(client.id, PERIOD, "api").records.height == 3
        ws.store.dispose()
        args = {
            "client_id": client.id,
            "period": PERIOD,
            "gstin": CLIENT_A,
            "fast": FAST,
            "portal": {
                "base_url": portal.base_url,
                "client_id": portal.client_id,
                "client_secret": portal.client_secret,
                "public_key_pem": portal.public_key_pem,
                "usernames": portal.usernames,
                "otp": portal.otp,
            },
        }

        kill_when_paused("upload", db_url, tmp_path, args)

        integrity_ok(db_url)
        reopened = Workspace(Store(db_url), user="asha")
        # The portal has the actions; the workspace has not recorded them yet: not shown as done.
        assert reopened.store.uploads(client.id, PERIOD) == []
        told = reopened.interrupted()
        assert [(i.kind, i.resumable) for i in told] == [("upload", True)]
        assert "An upload of 3 action(s) to the portal" in told[0].message
        assert reopened.pending_uploads(client.id, PERIOD)[0].operation_id == told[0].operation_id

        fresh = demo_connector(portal, **FAST)  # the killed process's portal session is gone with it
        fresh.request_otp(CLIENT_A)
        fresh.authenticate(CLIENT_A, portal.otp)
        words = reopened.resume_upload(told[0].operation_id, fresh)

        assert "the portal's answer was fetched: 3 saved" in words
        assert reopened.build_upload(client.id, PERIOD, "api").is_empty, "nothing left to change"
        held = reopened.documents(client.id, PERIOD, "ims")
        assert dict(zip(held["doc_no"].to_list(), held["ims_action"].to_list(), strict=True)) == {
            "MH/0417": "A",
            "KA-7781": "A",
            "GJ/88": "R",
        }
        history = reopened.store.uploads(client.id, PERIOD)
        assert [(h["route"], h["status"], len(h["summary"]["actions"])) for h in history] == [
            ("portal", "saved", 3)
        ]
        assert reopened.interrupted() == []
        sent = [e for e in portal.portal.log if e.action in ("SAVE", "RESETIMS")]
        assert len(sent) == 1, "resuming asked for the status; it did not send the actions again"
        reopened.store.dispose()
    finally:
        portal.stop()


def test_an_upload_the_portal_is_still_processing_can_be_checked_later(db_url):
    from recon.portal.sandbox import start_background
    from recon.portal.service import demo_connector, fetch_ims

    portal = start_background(port=0, seed_docs=_portal_records(), gstin=CLIENT_A, ip_polls=50)
    try:
        ws = Workspace(Store(db_url), user="asha")
        client = ws.create_client("Acme Traders", CLIENT_A, PERIOD)
        connector = demo_connector(portal, **FAST)
        connector.request_otp(CLIENT_A)
        ws.import_read(
            client,
            PERIOD,
            fetch_ims(connector, CLIENT_A, otp=portal.otp).result,
            mode="replace",
            origin="portal",
        )
        ids = ws.documents(client.id, PERIOD, "ims")["doc_id"].to_list()
        ws.set_action(client.id, PERIOD, ids, "A")
        portal.portal.add_fault("error500", "GETINV", times=10)  # nor can its download be checked now
        outcome, by_doc = ws.upload_to_portal(
            client.id, PERIOD, ws.build_upload(client.id, PERIOD, "api"), connector
        )
        assert outcome.status == "IP" and by_doc["ok"].null_count() == 3
        assert ws.store.uploads(client.id, PERIOD) == [], "nothing recorded as applied while unknown"
        waiting = ws.pending_uploads(client.id, PERIOD)
        assert len(waiting) == 1 and "still being processed by the portal" in waiting[0].message

        portal.portal.ip_polls = 0  # the portal finishes
        portal.portal.clear_faults()
        words = ws.resume_upload(waiting[0].operation_id, connector)
        assert "the portal's answer was fetched: 3 saved" in words
        assert ws.build_upload(client.id, PERIOD, "api").is_empty
        assert ws.pending_uploads(client.id, PERIOD) == []
        ws.store.dispose()
    finally:
        portal.stop()


def test_a_running_operation_of_a_live_process_is_not_reported_as_interrupted(db_url):
    ws = Workspace(Store(db_url), user="asha")
    client = ws.create_client("Acme Traders", CLIENT_A, PERIOD)
    running = ws.store.start_operation("import", client.id, PERIOD, {"file": "big.xlsx"}, who="ravi")
    assert ws.interrupted() == []
    assert [op["id"] for op in ws.store.open_operations()] == [running]
    ws.store.dispose()


def test_an_operation_of_another_host_counts_as_interrupted_only_after_hours(db_url):
    from datetime import timedelta

    from recon.store import now, operations

    ws = Workspace(Store(db_url), user="asha")
    client = ws.create_client("Acme Traders", CLIENT_A, PERIOD)
    recent = ws.store.start_operation("import", client.id, PERIOD, {"file": "a.xlsx"})
    old = ws.store.start_operation("import", client.id, PERIOD, {"file": "b.xlsx"})
    with ws.store.engine.begin() as conn:  # both run by a server on another machine
        conn.execute(operations.update().values(owner="other-host:4242:1"))
        conn.execute(
            operations.update().where(operations.c.id == old).values(started_at=now() - timedelta(hours=7))
        )
    assert [i.operation_id for i in ws.interrupted()] == [old]
    assert [op["id"] for op in ws.store.open_operations()] == [recent]
    ws.store.dispose()


def test_an_import_refused_for_its_content_closes_its_operation(db_url):
    from recon.errors import InputError

    ws = Workspace(Store(db_url), user="asha")
    client = ws.create_client("Acme Traders", CLIENT_A, PERIOD)
    with pytest.raises(InputError):
        ws.import_file(client.id, PERIOD, b"{not json", "broken.json", confirmed=True)
    assert ws.store.open_operations() == []
    assert ws.interrupted() == []
    decided = ws.decisions(client.id)
    assert isinstance(decided, pl.DataFrame) and decided.is_empty()
    ws.store.dispose()
