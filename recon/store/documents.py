"""Imports: the documents each read file brought, one Parquet blob per import (see recon.store.schema)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import polars as pl
import sqlalchemy as sa

from recon import model
from recon.store import operation
from recon.store.client import ensure_period_in
from recon.store.engine import all_rows, now
from recon.store.frames import ImportRecord, frame_from_parquet, frame_to_parquet, import_of
from recon.store.schema import imports

if TYPE_CHECKING:
    from recon.store import Store


def add_import(
    store: Store,
    client_id: int,
    period: str,
    source: str,
    file_name: str,
    documents: pl.DataFrame,
    *,
    mode: str,
    origin: str = "upload",
    who: str | None = None,
    summary: list[str] = (),
    warnings: list[str] = (),
    operation_id: int | None = None,
) -> int:
    """Store one read file. ``mode='replace'`` retires earlier imports of the same source.

    One transaction (stored results need no invalidation: they name the import ids they used);
    ``operation_id`` is closed in it."""
    if mode not in ("replace", "add"):
        raise ValueError(f"mode must be replace or add, not {mode!r}")
    blob = frame_to_parquet(model.conform(documents))
    with store.engine.begin() as conn:
        ensure_period_in(conn, client_id, period)
        if mode == "replace":
            conn.execute(
                imports.update()
                .where(
                    imports.c.client_id == client_id, imports.c.period == period, imports.c.source == source
                )
                .values(active=False)
            )
        new_id = conn.execute(
            imports.insert().values(
                client_id=client_id,
                period=period,
                source=source,
                file_name=file_name,
                origin=origin,
                mode=mode,
                imported_at=now(),
                imported_by=who,
                summary=json.dumps(list(summary)),
                warnings=json.dumps(list(warnings)),
                doc_count=documents.height,
                active=True,
                revision=0,
                documents=blob,
            )
        ).inserted_primary_key[0]
        if operation_id is not None:
            operation.close(conn, operation_id, f"{documents.height:,} document(s) of {file_name} saved")
        return new_id


def import_records(
    store: Store, client_id: int, period: str, *, active_only: bool = True
) -> list[ImportRecord]:
    # The documents are read apart; the reader's warnings (every row it doubted, up to half a megabyte
    # for a lakh of rows) stay on record for the audit and are said when the file is imported.
    query = sa.select(*[c for c in imports.c if c.name not in ("documents", "warnings")]).where(
        imports.c.client_id == client_id, imports.c.period == period
    )
    if active_only:
        query = query.where(imports.c.active.is_(True))
    return [import_of(r) for r in all_rows(store.engine, query.order_by(imports.c.id))]


def import_documents(store: Store, import_id: int) -> pl.DataFrame:
    with store.engine.connect() as conn:
        blob = conn.execute(sa.select(imports.c.documents).where(imports.c.id == import_id)).scalar_one()
    return frame_from_parquet(blob)


def replace_import_documents(store: Store, import_id: int, documents: pl.DataFrame) -> None:
    """Rewrite one import's documents (the portal's state after a successful upload)."""
    with store.engine.begin() as conn:
        rewrite_documents(conn, import_id, documents)


def rewrite_documents(conn, import_id: int, documents: pl.DataFrame) -> None:
    """New documents for an import, in the caller's transaction; its revision moves on."""
    conn.execute(
        imports.update()
        .where(imports.c.id == import_id)
        .values(
            documents=frame_to_parquet(model.conform(documents)),
            doc_count=documents.height,
            revision=imports.c.revision + 1,
        )
    )
