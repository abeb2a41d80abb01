"""Clients and the periods they have work in."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import sqlalchemy as sa

from recon.store.engine import all_rows, first_row, insert_stamped, now, scalar, update_stamped
from recon.store.frames import Client, client_of
from recon.store.schema import clients, periods

if TYPE_CHECKING:
    from recon.store import Store

CLIENT_FIELDS = (
    "name",
    "gstin",
    "state_code",
    "return_period",
    "return_frequency",
)  # what update_client may change


def add_client(
    store: Store,
    name: str,
    gstin: str,
    state_code: str | None,
    return_period: str,
    *,
    is_demo=False,
    return_frequency="monthly",
) -> Client:
    with store.engine.begin() as conn:
        new_id = insert_stamped(
            conn,
            clients,
            name=name,
            gstin=gstin,
            state_code=state_code,
            return_period=return_period,
            is_demo=is_demo,
            return_frequency=return_frequency,
        )
        ensure_period_in(conn, new_id, return_period)
    return store.client(new_id)


def update_client(store: Store, client_id: int, **values) -> Client:
    with store.engine.begin() as conn:
        changed = update_stamped(conn, clients, client_id, values, CLIENT_FIELDS)
        if "return_period" in changed:
            ensure_period_in(conn, client_id, changed["return_period"])
    return store.client(client_id)


def client(store: Store, client_id: int) -> Client | None:
    row = first_row(store.engine, sa.select(clients).where(clients.c.id == client_id))
    return client_of(row) if row else None


def client_by_gstin(store: Store, gstin: str) -> Client | None:
    row = first_row(store.engine, sa.select(clients).where(clients.c.gstin == gstin))
    return client_of(row) if row else None


def all_clients(store: Store) -> list[Client]:
    return [client_of(r) for r in all_rows(store.engine, sa.select(clients).order_by(clients.c.name))]


def client_periods(store: Store, client_id: int) -> list[str]:
    """Periods with work in them, newest first (MMYYYY sorts by year then month)."""
    with store.engine.connect() as conn:
        found = conn.execute(sa.select(periods.c.period).where(periods.c.client_id == client_id)).scalars()
        return sorted(found, key=lambda p: (p[2:], p[:2]), reverse=True)


def ensure_period(store: Store, client_id: int, period: str) -> None:
    with store.engine.begin() as conn:
        ensure_period_in(conn, client_id, period)


def ensure_period_in(conn, client_id: int, period: str) -> None:
    """The period row of a client, created in the caller's transaction when it is new."""
    exists = conn.execute(
        sa.select(periods.c.id).where(periods.c.client_id == client_id, periods.c.period == period)
    ).first()
    if not exists:
        conn.execute(periods.insert().values(client_id=client_id, period=period, created_at=now()))


def period_settings(store: Store, client_id: int, period: str) -> dict | None:
    text = scalar(
        store.engine,
        sa.select(periods.c.settings).where(periods.c.client_id == client_id, periods.c.period == period),
    )
    return json.loads(text) if text else None


def save_period_settings(store: Store, client_id: int, period: str, settings: dict) -> None:
    with store.engine.begin() as conn:
        ensure_period_in(conn, client_id, period)
        conn.execute(
            periods.update()
            .where(periods.c.client_id == client_id, periods.c.period == period)
            .values(settings=json.dumps(settings, sort_keys=True))
        )
