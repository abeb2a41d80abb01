"""Results: the latest reconciliation of a client's period, with the settings and inputs it used."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import polars as pl
import sqlalchemy as sa

from recon.store import operation
from recon.store.engine import first_row, locked_write, now, retrying, scalar
from recon.store.frames import StoredResults, frame_to_parquet, results_of
from recon.store.schema import results as results_table

if TYPE_CHECKING:
    from recon.store import Store


def save_results(
    store: Store,
    client_id: int,
    period: str,
    portal_source: str,
    settings: dict,
    inputs: dict,
    frame: pl.DataFrame,
    *,
    who: str | None = None,
    operation_id: int | None = None,
) -> int:
    """Keep the latest reconciliation of a client's period (earlier runs are replaced); one
    transaction, which also closes ``operation_id``."""
    values = dict(
        portal_source=portal_source,
        settings=json.dumps(settings, sort_keys=True),
        inputs=json.dumps(inputs, sort_keys=True),
        created_at=now(),
        created_by=who,
        results=frame_to_parquet(frame),
    )
    of_period = (results_table.c.client_id == client_id, results_table.c.period == period)

    def write() -> int:
        # Two sessions (or two processes) reconciling one client's period at once take turns under the
        # client's write lock: the second finds the first's row and replaces it, never a duplicate key.
        with locked_write(store.engine, client_id) as conn:
            existing = conn.execute(sa.select(results_table.c.id).where(*of_period)).scalar()
            if existing:
                conn.execute(results_table.update().where(results_table.c.id == existing).values(**values))
            else:
                existing = conn.execute(
                    results_table.insert().values(client_id=client_id, period=period, **values)
                ).inserted_primary_key[0]
            if operation_id is not None:
                operation.close(conn, operation_id, f"{frame.height:,} result row(s) saved")
            return existing

    return retrying(write, "the reconciliation")


def stored_results(store: Store, client_id: int, period: str) -> StoredResults | None:
    row = first_row(
        store.engine,
        sa.select(results_table).where(
            results_table.c.client_id == client_id, results_table.c.period == period
        ),
    )
    return results_of(row) if row else None


def results_inputs(store: Store, client_id: int, period: str) -> dict | None:
    """What the stored run was computed from, without loading its frame."""
    text = scalar(
        store.engine,
        sa.select(results_table.c.inputs).where(
            results_table.c.client_id == client_id, results_table.c.period == period
        ),
    )
    return json.loads(text) if text else None
