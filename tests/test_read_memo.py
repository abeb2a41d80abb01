"""A signed-in session's repeated reads within a moment are answered once, and never hide its own writes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from recon.auth import Accounts
from recon.store import Store
from recon.store.memo import FRESH_FOR, ReadMemo
from recon.workspace import Workspace


@pytest.fixture
def counted(tmp_path):
    """A workspace on a fresh database, and a list that grows by one per SQL statement sent to it."""
    store = Store(f"sqlite:///{tmp_path / 'memo.db'}")
    statements: list[str] = []
    sa.event.listen(
        store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]) if a[2] != "BEGIN" else None
    )
    yield Workspace(store, user="setup"), statements
    store.dispose()


def _signed_in(ws):
    admin = Accounts(ws.store).create_user(None, "asha", "asha-password-1", "admin")
    return ws.signed_in(admin)


def test_a_page_asking_for_the_same_rows_again_reaches_the_database_once(counted):
    ws, statements = counted
    client = ws.create_client("Bharat Fasteners", "27AABCB4321K1ZV", "112025")
    view = _signed_in(ws)
    statements.clear()
    first = [
        view.store.imports(client.id, "112025"),
        view.settings(client.id, "112025"),
        view.client(client.id),
    ]
    asked = len(statements)
    again = [
        view.store.imports(client.id, "112025"),
        view.settings(client.id, "112025"),
        view.client(client.id),
    ]
    assert again == first
    assert len(statements) == asked  # nothing more was asked


def test_a_write_in_between_is_seen_by_the_next_read(counted):
    ws, _ = counted
    client = ws.create_client("Bharat Fasteners", "27AABCB4321K1ZV", "112025")
    view = _signed_in(ws)
    assert view.client(client.id).name == "Bharat Fasteners"
    view.edit_client(client.id, "Bharat Fasteners Pvt Ltd", "27AABCB4321K1ZV", "112025")
    assert view.client(client.id).name == "Bharat Fasteners Pvt Ltd"  # not the answer from before the write


def test_another_sessions_write_is_seen_once_the_moment_has_passed(counted):
    ws, _ = counted
    client = ws.create_client("Bharat Fasteners", "27AABCB4321K1ZV", "112025")
    now = [100.0]
    memo = ReadMemo(ws.store, clock=lambda: now[0])
    assert memo.client(client.id).name == "Bharat Fasteners"
    ws.edit_client(client.id, "Renamed elsewhere", "27AABCB4321K1ZV", "112025")  # not through this memo
    assert memo.client(client.id).name == "Bharat Fasteners"  # within the moment: this run's answer
    now[0] += FRESH_FOR
    assert memo.client(client.id).name == "Renamed elsewhere"


def test_a_list_handed_out_is_the_callers_own(counted):
    ws, _ = counted
    client = ws.create_client("Bharat Fasteners", "27AABCB4321K1ZV", "112025")
    memo = ReadMemo(ws.store)
    clients = memo.clients()
    clients.clear()
    assert [c.id for c in memo.clients()] == [client.id]
