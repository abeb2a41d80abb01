"""Long operations in progress (import, reconciliation, bulk decision, upload) and the uploads made.

An operation is written before it starts and closed in the same transaction as its result: a row left
open by a process that is gone is an interrupted operation, and the next start says so. An upload keeps
its reference ids in ``detail`` so its status can still be asked for after a restart
(docs/reference/portal-api.md §4).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl
import sqlalchemy as sa

from recon.store import documents as imported
from recon.store.engine import all_rows, first_row, now, process_owner
from recon.store.schema import operations, uploads

if TYPE_CHECKING:
    from recon.store import Store

# Only open operations are ever read again (what was interrupted, an upload to resume); the history of
# uploads is the uploads table and that of decisions the audit table. A closed operation is kept this
# long for someone looking into the database, then deleted when a new operation starts.
KEEP_FINISHED = timedelta(days=90)


def start_operation(
    store: Store, kind: str, client_id: int | None, period: str | None, detail: dict, who: str | None = None
) -> int:
    """Note a long operation before it starts (closed by the transaction that saves its result).

    Operations closed more than KEEP_FINISHED ago are deleted in the same transaction."""
    stamp = now()
    with store.engine.begin() as conn:
        prune_finished(conn, stamp - KEEP_FINISHED)
        return conn.execute(
            operations.insert().values(
                client_id=client_id,
                period=period,
                kind=kind,
                detail=json.dumps(detail, default=str),
                started_at=stamp,
                started_by=who,
                owner=process_owner(),
                interrupted=False,
            )
        ).inserted_primary_key[0]


def prune_finished(conn, before: datetime) -> int:
    """Delete the operations closed before ``before``; an open one is never deleted. How many went."""
    return conn.execute(
        operations.delete().where(operations.c.finished_at.is_not(None), operations.c.finished_at < before)
    ).rowcount


def add_operation_reference(store: Store, operation_id: int, reference: str, body: dict) -> None:
    """Keep an upload's reference id with the body it answers, before its status is asked for."""
    with store.engine.begin() as conn:
        text = conn.execute(
            sa.select(operations.c.detail).where(operations.c.id == operation_id).with_for_update()
        ).scalar_one()
        detail = json.loads(text or "{}")
        detail.setdefault("references", []).append({"reference": reference, "body": body})
        conn.execute(
            operations.update()
            .where(operations.c.id == operation_id)
            .values(detail=json.dumps(detail, default=str))
        )


def release_operation(store: Store, operation_id: int, note: str) -> None:
    """Leave an operation open but owned by nobody: its result is still to be fetched (see owner_alive)."""
    with store.engine.begin() as conn:
        conn.execute(
            operations.update()
            .where(operations.c.id == operation_id, operations.c.finished_at.is_(None))
            .values(owner="", outcome=note)
        )


def finish_operation(store: Store, operation_id: int, outcome: str, *, interrupted: bool = False) -> None:
    with store.engine.begin() as conn:
        close(conn, operation_id, outcome, interrupted=interrupted)


def close(conn, operation_id: int, outcome: str, *, interrupted: bool = False) -> None:
    """Close an operation in the caller's transaction (the one that saves its result)."""
    conn.execute(  # an operation is closed once: a later note does not overwrite what it recorded
        operations.update()
        .where(operations.c.id == operation_id, operations.c.finished_at.is_(None))
        .values(finished_at=now(), outcome=outcome, interrupted=interrupted)
    )


def operation(store: Store, operation_id: int) -> dict | None:
    row = first_row(store.engine, sa.select(operations).where(operations.c.id == operation_id))
    return _operation(row) if row else None


def open_operations(store: Store) -> list[dict]:
    """Operations not closed yet (running, or interrupted by a process that is gone), oldest first."""
    query = sa.select(operations).where(operations.c.finished_at.is_(None)).order_by(operations.c.id)
    return [_operation(r) for r in all_rows(store.engine, query)]


def _operation(row: dict) -> dict:
    return dict(row, detail=json.loads(row["detail"] or "{}"))


# -- uploads ------------------------------------------------------------------------------------------


def record_upload(
    store: Store,
    client_id: int,
    period: str,
    documents: dict[int, pl.DataFrame],
    *,
    route: str,
    profile: str,
    summary: dict,
    status: str,
    who: str | None = None,
    operation_id: int | None = None,
    outcome: str = "",
) -> int:
    """What the portal now holds, in one transaction: the rewritten import documents ({import id:
    documents}), the upload row and the closing of ``operation_id``. A kill leaves all or nothing."""
    with store.engine.begin() as conn:
        for import_id, frame in documents.items():
            imported.rewrite_documents(conn, import_id, frame)
        upload_id = _insert_upload(conn, client_id, period, route, profile, summary, status, who)
        if operation_id is not None:
            close(conn, operation_id, outcome or status)
        return upload_id


def upload_rows(store: Store, client_id: int, period: str) -> list[dict]:
    query = (
        sa.select(uploads)
        .where(uploads.c.client_id == client_id, uploads.c.period == period)
        .order_by(uploads.c.id.desc())
    )
    return [dict(r, summary=json.loads(r["summary"] or "{}")) for r in all_rows(store.engine, query)]


def _insert_upload(conn, client_id, period, route, profile, summary, status, who) -> int:
    return conn.execute(
        uploads.insert().values(
            client_id=client_id,
            period=period,
            at=now(),
            who=who,
            route=route,
            profile=profile,
            summary=json.dumps(summary, default=str),
            status=status,
        )
    ).inserted_primary_key[0]
