"""Ten consultants opening one client at once: the work is done once and shared, and let go when they leave."""

from __future__ import annotations

import gc
import threading
import time

import pytest

from recon.store import Store
from recon.workspace import Workspace
from tests.handwritten_files import CLIENT_A, ims_download, tally_register

PERIOD = "112025"
INVOICES = [(i % 3, f"KA/{i:03d}") for i in range(12)]
SESSIONS = 8


@pytest.fixture
def ws(tmp_path):
    ws = Workspace(Store(f"sqlite:///{tmp_path / 'workbench.db'}"))
    yield ws
    ws.store.dispose()


@pytest.fixture
def client_id(ws):
    client = ws.create_client("Acme Industries Pvt Ltd", CLIENT_A, PERIOD)
    ws.import_file(client.id, PERIOD, tally_register(INVOICES), "Purchase Register.xlsx", kind="books")
    ws.import_file(client.id, PERIOD, ims_download(INVOICES, rtin=CLIENT_A), "ims.json", kind="ims")
    return client.id


def _at_once(count: int, work) -> list:
    """``work()`` in ``count`` threads released together; their results in thread order."""
    results: list = [None] * count
    gate = threading.Barrier(count)

    def run(index: int) -> None:
        gate.wait()
        results[index] = work()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_sessions_opening_the_same_client_at_once_reconcile_it_once(ws, client_id, monkeypatch):
    saved = []
    save_results = ws.store.save_results

    def slow_save(*args, **kwargs):
        saved.append(args[:2])
        time.sleep(0.2)  # a lakh of documents takes a while: the others arrive while it runs
        return save_results(*args, **kwargs)

    monkeypatch.setattr(ws.store, "save_results", slow_save)
    tables = _at_once(SESSIONS, lambda: ws.review(client_id, PERIOD))
    assert saved == [(client_id, PERIOD)]  # one reconciliation stored, not one per session
    assert all(t is tables[0] for t in tables)  # and every session got the same table, not a copy
    ims_ids = set(ws.documents(client_id, PERIOD, "ims")["doc_id"])
    assert set(tables[0]["portal_doc_id"].drop_nulls()) == ims_ids  # every IMS document has its row


def test_a_decision_gives_every_session_the_new_table(ws, client_id):
    before = ws.review(client_id, PERIOD)
    doc = ws.documents(client_id, PERIOD, "ims")["doc_id"][0]
    ws.set_action(client_id, PERIOD, [doc], "A")
    after = _at_once(SESSIONS, lambda: ws.review(client_id, PERIOD))
    assert after[0] is not before and all(t is after[0] for t in after)
    assert after[0].filter(after[0]["portal_doc_id"] == doc)["action_source"].to_list() == ["user"]


def test_grid_rows_are_built_once_for_all_sessions_and_freed_when_the_last_leaves(ws, client_id):
    from views._grid import SHARED, shared_snapshot

    review = ws.joined(client_id, PERIOD)
    rows = review.filter(review["category"] == "mismatched")  # the register's amounts differ from IMS
    snapshots = _at_once(SESSIONS, lambda: shared_snapshot(ws, client_id, PERIOD, "mismatched", rows))
    assert all(s is snapshots[0] for s in snapshots)  # one JSON text held by every session
    assert len(snapshots[0].text) > 1000 and "KA/001" in snapshots[0].text
    key = (ws.review_version(client_id, PERIOD), "mismatched", ws.user, None)  # None: a tab of one page
    assert SHARED._held.get(key) is snapshots[0]
    del snapshots
    gc.collect()
    assert SHARED._held.get(key) is None  # nobody shows it any more: its memory is returned
