"""Users, the clients each may open, and failed sign-ins (recon.auth decides; this only keeps)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from recon.store.engine import all_rows, first_row, insert_stamped, now, retrying, scalar, update_stamped, utc
from recon.store.schema import (
    client_access,
    sign_in_failures,
    sign_in_key,
    sign_in_place_failures,
    sign_in_trusted_places,
    users,
)

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

# A name nobody has failed with for this long is forgotten (typos of unknown names do not pile up, and
# neither do the hashes of the addresses they came from).
FORGET_FAILURES = timedelta(days=1)
UNKNOWN_PLACE = "unknown"  # no address known (the app opened on the server itself, a test): one place
# A place a name signed in from with its password within this time is trusted for it: guessing from many
# places (the lock everywhere) does not keep the user out of it, and its failures count for it alone.
TRUST_FOR = timedelta(days=30)


@dataclass(frozen=True)
class SignInLock:
    """A lock on a sign-in name: for one place only, or ``everywhere`` (the name's ceiling was reached)."""

    until: datetime
    everywhere: bool
    new: bool = False  # this failure set it (it was not set before by another attempt)


def sign_in_place(store: Store, address: str | None) -> str:
    """How the place of a sign-in attempt is kept: an HMAC-SHA256 of its address under this install's key.

    An IP address is personal data and counting needs only to tell places apart, so the address itself is
    never stored (a keyed hash, not a plain one: the few billion IPv4 addresses are quickly hashed all,
    but not without the key). Whoever holds the whole database holds the key too; the rows go after a day.
    """
    if not address:
        return UNKNOWN_PLACE
    return hmac.new(_place_key(store), address.encode(), hashlib.sha256).hexdigest()


def _place_key(store: Store) -> bytes:
    """This install's key, made on first use; kept on the Store object so it is read once per process."""
    key = getattr(store, "_sign_in_key", None)
    if key is None:
        key = bytes.fromhex(_stored_or_new_key(store))
        store._sign_in_key = key
    return key


def _stored_or_new_key(store: Store) -> str:
    query = sa.select(sign_in_key.c.secret).where(sign_in_key.c.id == 1)
    for _ in range(2):
        stored = scalar(store.engine, query)
        if stored:
            return stored
        try:
            with store.engine.begin() as conn:
                conn.execute(sign_in_key.insert().values(id=1, secret=secrets.token_hex(32)))
        except sa.exc.IntegrityError:
            continue  # another process made it first: read theirs
    return scalar(store.engine, query)


def sign_in_locked_until(store: Store, name: str, place: str, at: datetime) -> datetime | None:
    """When the lock on this sign-in name from this place ends (the later of the name's lock everywhere
    and the place's own), if it is locked at ``at``."""
    name = name[:100]
    with store.engine.connect() as conn:
        everywhere = conn.execute(
            sa.select(sign_in_failures.c.locked_until).where(sign_in_failures.c.name == name)
        ).scalar()
        if _trusted(conn, name, place, at):
            everywhere = None
        here = conn.execute(
            sa.select(sign_in_place_failures.c.locked_until).where(
                sign_in_place_failures.c.name == name, sign_in_place_failures.c.place == place
            )
        ).scalar()
    ends = [utc(until) for until in (everywhere, here) if until is not None and utc(until) > at]
    return max(ends) if ends else None


def note_failed_sign_in(
    store: Store, name: str, place: str, at: datetime, *, limit: int, ceiling: int, lock_for: timedelta
) -> SignInLock | None:
    """Count one failed sign-in for ``name`` from ``place``, and for the name from every place together.

    The ``limit``-th failure in a row from one place locks the name for that place; the ``ceiling``-th
    from all places together locks it everywhere; each for ``lock_for`` (failures count while each comes
    within ``lock_for`` of the one before). The lock this failure met or set, if any. A place the name
    signed in from lately (``TRUST_FOR``) is not held by the lock everywhere, and its failures count for
    it alone: the owner's typos at the office do not help strangers reach the ceiling.

    One transaction under the write lock (SQLite) or the name's row lock (PostgreSQL; the name's row is
    always locked first), so two app processes counting failures for one name at once add up; a row both
    insert first is tried again."""
    name = name[:100]

    def write() -> SignInLock | None:
        with store.engine.connect() as conn:
            conn.execution_options(write_lock=True)
            with conn.begin():
                _forget_old_failures(conn, at)
                whole = _failure_row(conn, sign_in_failures, at, name=name)
                trusted = _trusted(conn, name, place, at)
                if whole.locked and not trusted:  # locked meanwhile by another process: nothing to add
                    return SignInLock(whole.locked, everywhere=True)
                here = _failure_row(conn, sign_in_place_failures, at, name=name, place=place)
                if here.locked:
                    return SignInLock(here.locked, everywhere=False)
                everywhere = None if trusted else whole.count_one(at, ceiling, lock_for)
                for_place = here.count_one(at, limit, lock_for)
                if everywhere:
                    return SignInLock(everywhere, everywhere=True, new=True)
                return SignInLock(for_place, everywhere=False, new=True) if for_place else None

    for attempt in range(2):
        try:
            return retrying(write, "the failed sign-in")
        except sa.exc.IntegrityError:
            if attempt:
                raise
    return None


def _forget_old_failures(conn, at: datetime) -> None:
    for table in (sign_in_failures, sign_in_place_failures):
        conn.execute(table.delete().where(table.c.last_failed_at < at - FORGET_FAILURES))
    trusted = sign_in_trusted_places
    conn.execute(trusted.delete().where(trusted.c.signed_in_at < at - TRUST_FOR))


def _trusted(conn, name: str, place: str, at: datetime) -> bool:
    """Whether ``name`` signed in from ``place`` with its password within ``TRUST_FOR`` of ``at``. An
    unknown place is never trusted: everyone without an address shares it."""
    if place == UNKNOWN_PLACE:
        return False
    trusted = sign_in_trusted_places
    query = sa.select(trusted.c.signed_in_at).where(trusted.c.name == name, trusted.c.place == place)
    last = conn.execute(query).scalar()
    return last is not None and utc(last) >= at - TRUST_FOR


def remember_sign_in_place(store: Store, name: str, place: str, at: datetime) -> None:
    """``name`` signed in from ``place`` with its password at ``at``: trust the place for ``TRUST_FOR``."""
    if place == UNKNOWN_PLACE:
        return
    name, trusted = name[:100], sign_in_trusted_places
    mine = (trusted.c.name == name, trusted.c.place == place)
    try:
        with store.engine.begin() as conn:
            if not conn.execute(trusted.update().where(*mine).values(signed_in_at=at)).rowcount:
                conn.execute(trusted.insert().values(name=name, place=place, signed_in_at=at))
    except sa.exc.IntegrityError:
        pass  # the same sign-in place recorded at this moment by another process: trusted all the same


@dataclass
class _FailureRow:
    """One counter row (a name's, or a name's from one place), read under the lock, written back once."""

    conn: sa.Connection
    table: sa.Table
    key: dict
    row: dict | None
    locked: datetime | None  # when its lock ends, if locked at the time read

    def count_one(self, at: datetime, limit: int, lock_for: timedelta) -> datetime | None:
        """Add this failure; when it is the ``limit``-th, lock for ``lock_for``. When the lock ends, if set."""
        failures = _failures_after(self.row, at, lock_for) + 1
        until = at + lock_for if failures >= limit else None
        values = dict(failures=0 if until else failures, last_failed_at=at, locked_until=until)
        if self.row:
            self.conn.execute(self.table.update().where(*_matching(self.table, self.key)).values(**values))
        else:
            self.conn.execute(self.table.insert().values(**self.key, **values))
        return until


def _failure_row(conn, table: sa.Table, at: datetime, **key) -> _FailureRow:
    row = conn.execute(sa.select(table).where(*_matching(table, key)).with_for_update()).mappings().first()
    until = utc(row["locked_until"]) if row and row["locked_until"] else None
    return _FailureRow(conn, table, key, dict(row) if row else None, until if until and until > at else None)


def _matching(table: sa.Table, key: dict) -> list:
    return [table.c[column] == value for column, value in key.items()]


def _failures_after(row: dict | None, at: datetime, lock_for: timedelta) -> int:
    """Failures that still count at ``at``: none after a lock ended or a long pause."""
    if row is None or row["locked_until"] is not None or utc(row["last_failed_at"]) < at - lock_for:
        return 0
    return row["failures"]


def clear_sign_in_failures(store: Store, name: str, place: str | None = None) -> None:
    """Forget the failures and locks of a sign-in name from one place (it signed in from there), or from
    every place and its lock everywhere (``place`` None: an admin unlocked it, or set a new password; the
    places it was trusted at are forgotten too, in case one of them was a guesser's)."""
    name = name[:100]
    with store.engine.begin() as conn:
        where = [sign_in_place_failures.c.name == name]
        if place is not None:
            where.append(sign_in_place_failures.c.place == place)
        conn.execute(sign_in_place_failures.delete().where(*where))
        if place is None:
            conn.execute(sign_in_failures.delete().where(sign_in_failures.c.name == name))
            conn.execute(sign_in_trusted_places.delete().where(sign_in_trusted_places.c.name == name))


def sign_in_locks(store: Store, at: datetime) -> dict[str, datetime]:
    """{sign-in name: when its lock ends} of the names locked everywhere at ``at``."""
    query = sa.select(sign_in_failures.c.name, sign_in_failures.c.locked_until).where(
        sign_in_failures.c.locked_until > at
    )
    with store.engine.connect() as conn:
        return {name: utc(until) for name, until in conn.execute(query).all()}


def sign_in_place_locks(store: Store, at: datetime) -> dict[str, list[datetime]]:
    """{sign-in name: when each of its locks for one place ends} of the names locked somewhere at ``at``."""
    query = sa.select(sign_in_place_failures.c.name, sign_in_place_failures.c.locked_until).where(
        sign_in_place_failures.c.locked_until > at
    )
    locks: dict[str, list[datetime]] = {}
    with store.engine.connect() as conn:
        for name, until in conn.execute(query).all():
            locks.setdefault(name, []).append(utc(until))
    return locks
