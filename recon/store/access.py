"""Users, the clients each may open, and failed sign-ins (recon.auth decides; this only keeps)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from recon.store.engine import all_rows, first_row, insert_stamped, now, retrying, update_stamped, utc
from recon.store.schema import client_access, sign_in_failures, users

if TYPE_CHECKING:
    from recon.store import Store

USER_FIELDS = ("role", "password_hash", "active")  # what update_user may change


def add_user(store: Store, name: str, role: str, password_hash: str, *, is_demo: bool = False) -> int:
    with store.engine.begin() as conn:
        return insert_stamped(
            conn, users, name=name, role=role, password_hash=password_hash, active=True, is_demo=is_demo
        )


def user_row(store: Store, *, name: str | None = None, user_id: int | None = None) -> dict | None:
    """One user's row, password hash included (for recon.auth to verify), by sign-in name or id."""
    where = users.c.name == name if user_id is None else users.c.id == user_id
    return first_row(store.engine, sa.select(users).where(where))


def user_rows(store: Store) -> list[dict]:
    """Every user without the password hash, by name."""
    columns = [c for c in users.c if c.name != "password_hash"]
    return all_rows(store.engine, sa.select(*columns).order_by(users.c.name))


def update_user(store: Store, user_id: int, **values) -> None:
    with store.engine.begin() as conn:
        update_stamped(conn, users, user_id, values, USER_FIELDS)


# -- which clients a consultant opens -----------------------------------------------------------------


def user_client_ids(store: Store, user_id: int) -> set[int]:
    with store.engine.connect() as conn:
        return set(conn.execute(_held_by(user_id)).scalars())


def grant_client(store: Store, user_id: int, client_id: int, who: str | None = None) -> None:
    with store.engine.begin() as conn:
        _grant(conn, user_id, client_id, who)


def set_user_clients(store: Store, user_id: int, client_ids: Iterable[int], who: str | None = None) -> None:
    """Exactly these clients for this user, in one transaction."""
    wanted = set(client_ids)
    with store.engine.begin() as conn:
        held = set(conn.execute(_held_by(user_id)).scalars())
        if held - wanted:
            conn.execute(
                client_access.delete().where(
                    client_access.c.user_id == user_id, client_access.c.client_id.in_(held - wanted)
                )
            )
        for client_id in sorted(wanted - held):
            _grant(conn, user_id, client_id, who)


def _held_by(user_id: int):
    return sa.select(client_access.c.client_id).where(client_access.c.user_id == user_id)


def _grant(conn, user_id: int, client_id: int, who: str | None) -> None:
    exists = conn.execute(_held_by(user_id).where(client_access.c.client_id == client_id)).first()
    if not exists:
        conn.execute(
            client_access.insert().values(
                user_id=user_id, client_id=client_id, granted_at=now(), granted_by=who
            )
        )


# -- failed sign-ins -----------------------------------------------------------------------------------

# A name nobody has failed with for this long is forgotten (typos of unknown names do not pile up).
FORGET_FAILURES = timedelta(days=1)


def sign_in_locked_until(store: Store, name: str, at: datetime) -> datetime | None:
    """When the lock on this sign-in name ends, if it is locked at ``at``."""
    row = first_row(store.engine, sa.select(sign_in_failures).where(sign_in_failures.c.name == name[:100]))
    until = utc(row["locked_until"]) if row else None
    return until if until and until > at else None


def note_failed_sign_in(
    store: Store, name: str, at: datetime, *, limit: int, lock_for: timedelta
) -> datetime | None:
    """Count one failed sign-in for ``name``; when it is the ``limit``-th in a row (each within
    ``lock_for`` of the one before), lock the name for ``lock_for``. When the lock ends, if locked.

    One transaction under the write lock (SQLite) or the name's row lock (PostgreSQL), so two app
    processes counting failures for one name at once add up; a row both insert first is tried again."""
    name = name[:100]

    def write() -> datetime | None:
        with store.engine.connect() as conn:
            conn.execution_options(write_lock=True)
            with conn.begin():
                conn.execute(
                    sign_in_failures.delete().where(sign_in_failures.c.last_failed_at < at - FORGET_FAILURES)
                )
                row = (
                    conn.execute(
                        sa.select(sign_in_failures).where(sign_in_failures.c.name == name).with_for_update()
                    )
                    .mappings()
                    .first()
                )
                if row and row["locked_until"] and utc(row["locked_until"]) > at:
                    return utc(row["locked_until"])  # locked meanwhile by another process: nothing to add
                failures = _failures_after(row, at, lock_for) + 1
                until = at + lock_for if failures >= limit else None
                values = dict(failures=0 if until else failures, last_failed_at=at, locked_until=until)
                if row:
                    conn.execute(
                        sign_in_failures.update().where(sign_in_failures.c.name == name).values(**values)
                    )
                else:
                    conn.execute(sign_in_failures.insert().values(name=name, **values))
                return until

    for attempt in range(2):
        try:
            return retrying(write, "the failed sign-in")
        except sa.exc.IntegrityError:
            if attempt:
                raise
    return None


def _failures_after(row: dict | None, at: datetime, lock_for: timedelta) -> int:
    """Failures that still count at ``at``: none after a lock ended or a long pause."""
    if row is None or row["locked_until"] is not None or utc(row["last_failed_at"]) < at - lock_for:
        return 0
    return row["failures"]


def clear_sign_in_failures(store: Store, name: str) -> None:
    """Forget the failures and any lock of a sign-in name (it signed in, or an admin unlocked it)."""
    with store.engine.begin() as conn:
        conn.execute(sign_in_failures.delete().where(sign_in_failures.c.name == name[:100]))


def sign_in_locks(store: Store, at: datetime) -> dict[str, datetime]:
    """{sign-in name: when its lock ends} of the names locked at ``at``."""
    query = sa.select(sign_in_failures.c.name, sign_in_failures.c.locked_until).where(
        sign_in_failures.c.locked_until > at
    )
    with store.engine.connect() as conn:
        return {name: utc(until) for name, until in conn.execute(query).all()}
