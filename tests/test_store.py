"""The workspace store: what a consultant relies on is that nothing decided is ever lost or silently changed."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
import sqlalchemy as sa

from recon import model
from recon.errors import InputError
from recon.store import Store, database_url
from recon.store import results as results_table

# Every test runs on SQLite and on a real PostgreSQL server (the db_url fixture in tests/conftest.py).


@pytest.fixture
def store(db_url):
    store = Store(db_url)
    yield store
    store.dispose()


def two_documents() -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "doc_id": ["i1", "i2"],
            "source": ["ims", "ims"],
            "supplier_gstin": ["27AAPFU0939F1ZV", "29AAGCB7383J1Z4"],
            "doc_kind": ["invoice", "credit_note"],
            "doc_no": ["INV/001", "CN-7"],
            "doc_date": [date(2025, 11, 3), date(2025, 11, 20)],
            "igst": [1800.0, None],
            "ims_action": ["N", "P"],
            "origin_rows": [[2, 3], [4]],
            "warnings": [["rate-wise lines merged"], []],
        }
    )
    return model.conform(frame)


def test_decisions_survive_a_restart_with_their_audit_trail(db_url):
    first = Store(db_url)
    client = first.add_client("Acme Traders", "27AAPFU0939F1ZV", "27", "112025")
    first.save_decisions(
        client.id, "112025", [{"portal_doc_id": "i1", "action": "A"}], source="bulk", who="asha"
    )
    first.save_decisions(
        client.id,
        "112025",
        [{"portal_doc_id": "i1", "action": "R", "remarks": "rate charged is wrong"}],
        source="user",
        who="asha",
    )
    first.dispose()

    reopened = Store(db_url)  # an app restart
    decided = reopened.decisions(client.id)
    assert decided.select("portal_doc_id", "action", "remarks").rows() == [
        ("i1", "R", "rate charged is wrong")
    ]
    trail = reopened.audit_trail(client.id)
    assert trail.select("old_action", "new_action", "source", "who").rows() == [
        (None, "A", "bulk", "asha"),
        ("A", "R", "user", "asha"),
    ]
    reopened.dispose()


def test_saving_the_same_decision_again_adds_no_audit_row(store):
    client = store.add_client("Acme", "27AAPFU0939F1ZV", "27", "112025")
    row = {"portal_doc_id": "i1", "action": "A", "content_hash": "abc"}
    assert store.save_decisions(client.id, "112025", [row], source="user") == 1
    assert store.save_decisions(client.id, "112025", [row], source="user") == 0
    assert store.audit_trail(client.id).height == 1


def test_decisions_of_one_client_do_not_leak_into_another(store):
    acme = store.add_client("Acme", "27AAPFU0939F1ZV", "27", "112025")
    other = store.add_client("Other", "29AAGCB7383J1Z4", "29", "112025")
    store.save_decisions(acme.id, "112025", [{"portal_doc_id": "i1", "action": "R"}], source="user")
    assert store.decisions(other.id).is_empty()


def test_bulk_decisions_on_thousands_of_documents_are_all_written(store):
    client = store.add_client("Acme", "27AAPFU0939F1ZV", "27", "112025")
    rows = [{"portal_doc_id": f"i{n}", "action": "A"} for n in range(3000)]
    assert store.save_decisions(client.id, "112025", rows, source="bulk") == 3000
    rows[10] = {"portal_doc_id": "i10", "action": "P", "remarks": "awaiting credit note"}
    assert store.save_decisions(client.id, "112025", rows, source="bulk") == 1
    decided = store.decisions(client.id)
    assert decided.height == 3000
    assert decided.filter(pl.col("portal_doc_id") == "i10")["action"].item() == "P"


def test_documents_come_back_exactly_in_the_canonical_shape(store):
    client = store.add_client("Acme", "27AAPFU0939F1ZV", "27", "112025")
    docs = two_documents()
    import_id = store.add_import(client.id, "112025", "ims", "ims.json", docs, mode="replace")
    back = store.import_documents(import_id)
    assert back.schema == docs.schema
    assert back.equals(docs)


def test_replace_retires_earlier_imports_of_the_same_source_and_add_keeps_them(store):
    client = store.add_client("Acme", "27AAPFU0939F1ZV", "27", "112025")
    docs = two_documents()
    first = store.add_import(client.id, "112025", "ims", "a.json", docs, mode="replace")
    books = store.add_import(client.id, "112025", "books", "books.xlsx", docs, mode="replace")
    second = store.add_import(client.id, "112025", "ims", "b.json", docs, mode="add")
    assert [r.id for r in store.imports(client.id, "112025")] == [first, books, second]
    third = store.add_import(client.id, "112025", "ims", "c.json", docs, mode="replace")
    active = store.imports(client.id, "112025")
    assert [r.id for r in active] == [books, third]  # books untouched, both earlier IMS files retired
    assert len(store.imports(client.id, "112025", active_only=False)) == 4


def test_a_later_unlink_replaces_the_link_of_the_same_pair(store):
    client = store.add_client("Acme", "27AAPFU0939F1ZV", "27", "112025")
    store.set_link(client.id, "112025", "b1", "i1", "link")
    store.set_link(client.id, "112025", "b2", "i2", "link")
    store.set_link(client.id, "112025", "b1", "i1", "unlink")
    assert store.links(client.id, "112025") == ([("b2", "i2")], [("b1", "i1")])


def test_periods_are_listed_newest_first(store):
    client = store.add_client("Acme", "27AAPFU0939F1ZV", "27", "032025")
    store.ensure_period(client.id, "112025")
    store.ensure_period(client.id, "122024")
    assert store.periods(client.id) == ["112025", "032025", "122024"]


def test_database_url_prefers_env_then_secrets_then_data_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IMS_WORKBENCH_DATA", str(tmp_path / "somewhere" / "data"))
    monkeypatch.delenv("IMS_WORKBENCH_DB", raising=False)
    default = database_url()
    assert default == f"sqlite:///{tmp_path / 'somewhere' / 'data' / 'workbench.db'}"
    assert (tmp_path / "somewhere" / "data").is_dir()  # created on first run

    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[workbench]\ndatabase_url = "sqlite:///from-secrets.db"\n'
    )
    assert database_url() == "sqlite:///from-secrets.db"

    monkeypatch.setenv("IMS_WORKBENCH_DB", "postgresql+psycopg://u@h/db")
    assert database_url() == "postgresql+psycopg://u@h/db"


def test_rewriting_an_imports_documents_bumps_its_revision(store):
    # Caches key documents by (import id, revision): an upload that rewrites ims_action must be seen.
    client = store.add_client("Acme", "27AAPFU0939F1ZV", "27", "112025")
    import_id = store.add_import(client.id, "112025", "ims", "ims.json", two_documents(), mode="replace")
    assert store.imports(client.id, "112025")[0].revision == 0
    uploaded = two_documents().with_columns(pl.lit("A").alias("ims_action"))
    store.replace_import_documents(import_id, uploaded)
    assert store.imports(client.id, "112025")[0].revision == 1
    assert store.import_documents(import_id)["ims_action"].to_list() == ["A", "A"]


def test_a_sqlite_file_in_a_folder_that_does_not_exist_yet_is_created(tmp_path):
    path = tmp_path / "new" / "folder" / "workbench.db"
    store = Store(f"sqlite:///{path}")
    store.add_client("Acme Traders", "27AAPFU0939F1ZV", "27", "112025")
    store.dispose()
    assert path.is_file()


def test_a_database_that_cannot_be_opened_is_said_in_words(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(InputError, match="workspace database .* cannot be opened") as caught:
        Store(f"sqlite:///{blocker / 'workbench.db'}")
    assert "IMS_WORKBENCH_DB" in str(caught.value)


def test_two_sessions_reconciling_one_period_at_once_keep_one_result_and_neither_fails(db_url):
    """Two consultants opening one client at the same moment both save its reconciliation: the second
    replaces the first's row (a team server once answered the second with a duplicate-key error)."""
    import threading

    first, second = Store(db_url), Store(db_url)
    client = first.add_client("Acme", "27AHQPA7588L1ZJ", "27", "112025")
    frame = pl.DataFrame({"result_id": ["r1"], "category": ["matched"]})
    start, errors = threading.Barrier(2), []

    def reconcile(store: Store, who: str) -> None:
        start.wait()
        try:
            for _ in range(5):
                store.save_results(client.id, "112025", "ims", {}, {"who": who}, frame, who=who)
        except Exception as err:  # noqa: BLE001 - the failure is what the test reports
            errors.append(err)

    threads = [threading.Thread(target=reconcile, args=(s, w)) for s, w in ((first, "a"), (second, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with first.engine.connect() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(results_table)).scalar()
    assert rows == 1
    first.dispose()
    second.dispose()


def test_operations_closed_long_ago_are_deleted_when_a_new_one_starts(store):
    """The operations table does not grow for ever: a closed operation goes after 90 days, an open one
    (running, or an upload whose answer is still to be fetched) stays however old."""
    from datetime import timedelta

    from recon.store import now, operations

    client = store.add_client("Acme Traders", "27AAPFU0939F1ZV", "27", "112025")

    def operation(kind: str, *, closed: bool) -> int:
        op = store.start_operation(kind, client.id, "112025", {"file": f"{kind}.xlsx"}, who="asha")
        if closed:
            store.finish_operation(op, "saved")
        else:
            store.release_operation(op, "the portal was still processing")
        return op

    def started(op: int, days_ago: int) -> None:
        with store.engine.begin() as conn:
            back = now() - timedelta(days=days_ago)
            conn.execute(operations.update().where(operations.c.id == op).values(started_at=back))
            conn.execute(
                operations.update()
                .where(operations.c.id == op, operations.c.finished_at.is_not(None))
                .values(finished_at=back)
            )

    long_closed = operation("import", closed=True)
    recently_closed = operation("bulk", closed=True)
    long_open = operation("upload", closed=False)
    for op, days_ago in ((long_closed, 91), (recently_closed, 89), (long_open, 200)):
        started(op, days_ago)

    new = store.start_operation("reconcile", client.id, "112025", {}, who="asha")

    with store.engine.connect() as conn:
        kept = set(conn.execute(sa.select(operations.c.id)).scalars())
    assert kept == {recently_closed, long_open, new}
    assert store.operation(long_closed) is None
    assert [op["id"] for op in store.open_operations()] == [long_open, new]
    assert store.operation(long_open)["outcome"] == "the portal was still processing"
