"""Two people on one client: neither silently overwrites the other, neither sees a raw database error.

Each test runs on SQLite and on PostgreSQL (IMS_WORKBENCH_TEST_PG, tests/conftest.py): two
Workspaces on two Store objects stand for two sessions (or two server processes) on one database.
"""

from __future__ import annotations

import threading

import polars as pl
import pytest
from handwritten_files import CLIENT_A, ims_download

from recon.store import DecisionConflict, Store
from recon.workspace import Workspace

PERIOD = "112025"


def two_sessions(db_url, documents: int):
    """asha and ravi, each with their own Store, on one client whose IMS holds ``documents`` invoices."""
    stores = [Store(db_url), Store(db_url)]
    asha, ravi = Workspace(stores[0], user="asha"), Workspace(stores[1], user="ravi")
    client = asha.create_client("Acme Traders", CLIENT_A, PERIOD)
    numbers = [(i % 3, f"AC/{i:05d}") for i in range(documents)]
    asha.import_file(client.id, PERIOD, ims_download(numbers, rtin=CLIENT_A), "ims_nov.json", confirmed=True)
    ids = asha.documents(client.id, PERIOD, "ims").get_column("doc_id").to_list()
    return asha, ravi, client, ids, stores


def decision(ws, client_id, doc_id) -> dict:
    return ws.decisions(client_id).filter(pl.col("portal_doc_id") == doc_id).to_dicts()[0]


def test_the_second_writer_is_told_who_changed_the_document_and_to_what(db_url):
    asha, ravi, client, ids, stores = two_sessions(db_url, 3)
    target = ids[0]
    seen_by_ravi = ravi.decision_versions(client.id)  # both opened the grid: nothing decided yet
    seen_by_asha = asha.decision_versions(client.id)
    asha.set_action(
        client.id,
        PERIOD,
        [target],
        "R",
        remarks="rate charged is wrong",
        confirmed=True,
        expected={target: seen_by_asha.get(target)},
    )
    with pytest.raises(DecisionConflict) as raised:
        ravi.set_action(client.id, PERIOD, [target], "A", expected={target: seen_by_ravi.get(target)})
    conflict = raised.value
    assert conflict.doc_ids == [target]
    change = conflict.changes[0]
    assert (change.decided_by, change.action, change.remarks, change.wanted) == (
        "asha",
        "R",
        "rate charged is wrong",
        "A",
    )
    words = str(conflict)
    assert "asha" in words and "Reject" in words and "rate charged is wrong" in words
    assert "AC/00000" in words, "the document is named as a person knows it"
    assert "SELECT" not in words and "sqlite" not in words.lower()
    # Nothing of ravi's Accept was saved: asha's Reject and remark stand.
    kept = decision(ravi, client.id, target)
    assert (kept["action"], kept["remarks"], kept["decided_by"]) == ("R", "rate charged is wrong", "asha")
    for store in stores:
        store.dispose()


def test_after_the_conflict_the_second_writer_decides_again(db_url):
    asha, ravi, client, ids, stores = two_sessions(db_url, 4)
    seen = ravi.decision_versions(client.id)
    asha.set_action(client.id, PERIOD, [ids[1]], "R", remarks="not received", confirmed=True)
    wanted = ids[:3]
    with pytest.raises(DecisionConflict) as raised:
        ravi.set_action(client.id, PERIOD, wanted, "A", expected={d: seen.get(d) for d in wanted})
    assert ravi.decisions(client.id).height == 1, "the refused bulk saved nothing"
    # "Keep theirs": the same Accept for the others, with asha's document left out.
    others = [d for d in wanted if d not in raised.value.doc_ids]
    kept = ravi.set_action(client.id, PERIOD, others, "A", expected={d: seen.get(d) for d in others})
    assert kept.saved == 2
    assert decision(ravi, client.id, ids[1])["action"] == "R"
    # "Apply mine": ravi has now seen asha's change; re-applying with that version overwrites it, recorded.
    now_seen = raised.value.changes[0]
    versions = ravi.decision_versions(client.id, [now_seen.portal_doc_id])
    ravi.set_action(client.id, PERIOD, [ids[1]], "A", expected=versions)
    assert decision(ravi, client.id, ids[1])["action"] == "A"
    trail = ravi.audit_trail(client.id).filter(pl.col("portal_doc_id") == ids[1])
    assert trail.select("who", "old_action", "new_action").rows() == [("asha", None, "R"), ("ravi", "R", "A")]
    for store in stores:
        store.dispose()


def test_the_same_change_by_both_is_no_conflict(db_url):
    asha, ravi, client, ids, stores = two_sessions(db_url, 2)
    seen = ravi.decision_versions(client.id)
    asha.set_action(client.id, PERIOD, [ids[0]], "A")
    outcome = ravi.set_action(client.id, PERIOD, [ids[0]], "A", expected={ids[0]: seen.get(ids[0])})
    assert (outcome.saved, outcome.unchanged) == (0, 1)
    for store in stores:
        store.dispose()


def test_accept_matched_leaves_a_document_decided_meanwhile_as_it_is(db_url):
    asha, ravi, client, ids, stores = two_sessions(db_url, 3)
    # apply_suggestions and accept_matched act on undecided documents only: a decision made by another
    # session between the list and the click is kept and named, the rest is saved.
    from recon.deciding import requested_decisions

    portal = ravi.documents(client.id, PERIOD, "ims")
    asha.set_action(client.id, PERIOD, [ids[2]], "R", remarks="duplicate", confirmed=True)
    outcome = ravi._writer(client.id, PERIOD).save(
        portal,
        requested_decisions(portal, "A", None, {}),
        source="user",
        confirmed=True,
        expected=dict.fromkeys(ids),
        keep_others=True,
    )
    assert outcome.saved == 2
    assert outcome.refused == [(ids[2], "decided meanwhile by asha (Reject): left as it is")]
    assert decision(ravi, client.id, ids[2])["remarks"] == "duplicate"
    for store in stores:
        store.dispose()


@pytest.mark.slow
def test_a_bulk_accept_and_a_single_reject_at_the_same_time_lose_nothing(db_url):
    """20,000 rows accepted in one bulk while another session rejects one of them with a remark."""
    asha, ravi, client, ids, stores = two_sessions(db_url, 20_000)
    target = ids[12_345]
    bulk_seen = asha.decision_versions(client.id)
    reject_seen = ravi.decision_versions(client.id)
    errors: dict[str, BaseException] = {}
    start = threading.Barrier(2)

    def bulk():
        start.wait()
        try:
            asha.set_action(
                client.id, PERIOD, ids, "A", source="bulk", expected={d: bulk_seen.get(d) for d in ids}
            )
        except BaseException as err:  # noqa: BLE001 - every outcome is checked below
            errors["bulk"] = err

    def reject():
        start.wait()
        try:
            ravi.set_action(
                client.id,
                PERIOD,
                [target],
                "R",
                remarks="goods returned",
                confirmed=True,
                expected={target: reject_seen.get(target)},
            )
        except BaseException as err:  # noqa: BLE001
            errors["reject"] = err

    threads = [threading.Thread(target=bulk), threading.Thread(target=reject)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(e, DecisionConflict) for e in errors.values()), errors
    assert len(errors) == 1, "exactly one of the two writers came second and was told"
    decided = ravi.decisions(client.id)
    row = decision(ravi, client.id, target)
    if "bulk" in errors:  # the Reject came first: the bulk saved nothing and named the Reject
        assert errors["bulk"].doc_ids == [target]
        assert (row["action"], row["remarks"], row["decided_by"]) == ("R", "goods returned", "ravi")
        assert decided.height == 1
    else:  # the bulk came first: the Reject was refused naming asha's Accept, nothing overwritten
        assert errors["reject"].changes[0].decided_by == "asha"
        assert errors["reject"].changes[0].action == "A"
        assert decided.height == len(ids)
        assert decided.get_column("action").unique().to_list() == ["A"]
    assert ravi.audit_trail(client.id).height == decided.height
    for store in stores:
        store.dispose()


def test_writers_without_versions_wait_for_each_other_instead_of_failing(db_url):
    """Eight sessions writing at once (no versions: e.g. the CLI): all saved, no database error."""
    asha, _ravi, client, ids, stores = two_sessions(db_url, 400)
    sessions = [Workspace(Store(db_url), user=f"user{i}") for i in range(8)]
    errors = []
    start = threading.Barrier(len(sessions))

    def work(index, ws):
        start.wait()
        try:
            for slice_ in range(5):
                chunk = ids[(index * 50 + slice_ * 10) : (index * 50 + slice_ * 10 + 10)]
                ws.set_action(client.id, PERIOD, chunk, "A", source="bulk")
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=work, args=(i, ws)) for i, ws in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert asha.decisions(client.id).height == 400
    for ws in sessions:
        ws.store.dispose()
    for store in stores:
        store.dispose()


def test_a_database_held_too_long_by_another_writer_is_said_in_words(tmp_path, monkeypatch):
    """SQLite: another process keeps the write lock past every retry; the save says so, saves nothing."""
    import sqlite3

    from recon.store import StoreBusy
    from recon.store import engine as store_module

    monkeypatch.setattr(store_module, "SQLITE_BUSY_MS", 50)
    url = f"sqlite:///{tmp_path / 'workbench.db'}"
    asha, _ravi, client, ids, stores = two_sessions(url, 3)
    other = sqlite3.connect(tmp_path / "workbench.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # e.g. a long import in another server process
    try:
        with pytest.raises(StoreBusy) as raised:
            asha.set_action(client.id, PERIOD, ids, "A", source="bulk")
    finally:
        other.execute("ROLLBACK")
        other.close()
    words = str(raised.value)
    assert "busy with another save" in words and "nothing of it was written" in words
    assert "locked" not in words and "INSERT" not in words
    assert asha.decisions(client.id).is_empty()
    assert asha.set_action(client.id, PERIOD, ids, "A", source="bulk").saved == 3, "works once it is free"
    for store in stores:
        store.dispose()
