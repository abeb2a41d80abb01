"""How the workspace database is reached and written: its URL and folder, SQLite's settings, a client's
write lock, trying again when another writer was in the way, and which process runs an operation.

No dialect-specific SQL: upserts are a select followed by an update or insert inside one transaction.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from recon.errors import InputError
from recon.store.schema import clients, metadata

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class StoreBusy(InputError):
    """The database stayed busy with another writer; nothing of this write was saved."""


def now() -> datetime:
    return datetime.now(UTC)


def utc(stamp: datetime | None) -> datetime | None:
    """A stored time with its zone (SQLite hands it back naive; the store writes UTC only)."""
    if stamp is None or stamp.tzinfo is not None:
        return stamp
    return stamp.replace(tzinfo=UTC)


# -- where the database is -------------------------------------------------------------------------


def data_dir() -> Path:
    """Where the default SQLite file lives: env ``IMS_WORKBENCH_DATA`` or ``<project>/data``."""
    return Path(os.environ.get("IMS_WORKBENCH_DATA") or PROJECT_ROOT / "data")


def database_url() -> str:
    """env ``IMS_WORKBENCH_DB``, else ``[workbench] database_url`` in secrets.toml, else SQLite in data_dir()."""
    url = os.environ.get("IMS_WORKBENCH_DB")
    if url:
        return url
    for secrets in (Path.cwd() / ".streamlit" / "secrets.toml", PROJECT_ROOT / ".streamlit" / "secrets.toml"):
        if secrets.is_file():
            configured = tomllib.loads(secrets.read_text()).get("workbench", {}).get("database_url")
            if configured:
                return configured
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'workbench.db'}"


def open_engine(url: str) -> sa.Engine:
    """An engine with every table created; a database that cannot be opened is said in words."""
    engine = sa.create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        _make_sqlite_folder(engine.url)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
    try:
        metadata.create_all(engine)
        _add_new_columns(engine)
    except sa.exc.SQLAlchemyError as err:
        engine.dispose()
        raise InputError(
            f"the workspace database {engine.url.render_as_string(hide_password=True)} cannot be "
            f"opened ({type(err.orig or err).__name__}: {err.orig or err}).",
            hint="Check IMS_WORKBENCH_DB (or [workbench] database_url in .streamlit/secrets.toml): "
            "the folder must be writable, or the database server reachable with these credentials.",
        ) from None
    return engine


def _make_sqlite_folder(url: sa.engine.URL) -> None:
    """A SQLite file is created on first run, but its folder must exist (IMS_WORKBENCH_DB may name a new one)."""
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        # A failure here is reported by the connection attempt, with the URL, in open_engine.
        with contextlib.suppress(OSError):
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


SQLITE_BUSY_MS = 10_000  # how long one attempt waits for another writer's lock


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets a second browser tab read while the first writes; the busy timeout makes a concurrent
    # writer wait instead of failing with "database is locked". The driver's own transaction handling is
    # switched off so that _sqlite_begin decides how each transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn) -> None:
    # A read-check-write (decisions with expected versions) must hold the write lock from its first read:
    # with a deferred BEGIN another writer could commit between the check and the write.
    immediate = conn.get_execution_options().get("write_lock")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# -- reading and writing ---------------------------------------------------------------------------


def first_row(engine: sa.Engine, query) -> dict | None:
    """The query's first row as a dict, or None."""
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def all_rows(engine: sa.Engine, query) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings().all()]


def scalar(engine: sa.Engine, query):
    """The first column of the first row, or None."""
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def insert_stamped(conn, table: sa.Table, **values) -> int:
    """Insert a row created now (``created_at`` = ``updated_at``); its new id."""
    stamp = now()
    statement = table.insert().values(**values, created_at=stamp, updated_at=stamp)
    return conn.execute(statement).inserted_primary_key[0]


def update_stamped(conn, table: sa.Table, row_id: int, values: dict, allowed: tuple) -> dict:
    """Change the ``allowed`` fields of one row and its ``updated_at``; the fields changed."""
    changed = {k: v for k, v in values.items() if k in allowed}
    conn.execute(table.update().where(table.c.id == row_id).values(**changed, updated_at=now()))
    return changed


def chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@contextlib.contextmanager
def locked_write(engine: sa.Engine, client_id: int):
    """One transaction that holds the client's write lock from its first statement.

    SQLite: BEGIN IMMEDIATE (the database's write lock). PostgreSQL: the client's row FOR NO KEY UPDATE,
    which serialises writers of one client's decisions but lets imports of it (a key share) proceed.
    """
    with engine.connect() as conn:
        conn.execution_options(write_lock=True)
        with conn.begin():
            conn.execute(
                sa.select(clients.c.id).where(clients.c.id == client_id).with_for_update(key_share=True)
            )
            yield conn


# Errors that mean "another writer was in the way": SQLite's lock, PostgreSQL's serialization failure,
# deadlock and lock timeout. The whole transaction is tried again.
_RETRY_PG_CODES = {"40001", "40P01", "55P03"}
WRITE_ATTEMPTS = 4


def _is_contention(err: sa.exc.DBAPIError) -> bool:
    code = getattr(err.orig, "sqlstate", None) or getattr(err.orig, "pgcode", None)
    if code in _RETRY_PG_CODES:
        return True
    text = str(err.orig).lower()
    return "database is locked" in text or "database is busy" in text


def retrying(write, what: str):
    """Run ``write()`` (one whole transaction), again when another writer was in the way."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            return write()
        except sa.exc.DBAPIError as err:
            if not _is_contention(err):
                raise
            if attempt == WRITE_ATTEMPTS - 1:
                raise StoreBusy(
                    f"the workspace stayed busy with another save, so {what} was not saved (nothing "
                    "of it was written).",
                    hint="Try again in a moment; the other save is kept.",
                ) from None
            time.sleep(0.2 * (attempt + 1))
    return None


# -- which process runs an operation ---------------------------------------------------------------


def _process_start(pid: int) -> str:
    """When a process started (clock ticks since boot), so a reused pid is not taken for the old process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def process_owner() -> str:
    """This process as an operation's owner: host, pid and its start."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start(pid)}"


# A process on another host cannot be asked whether it runs (a container restarted under a new name
# never comes back): after this long its open operation counts as interrupted.
OTHER_HOST_GRACE = timedelta(hours=6)


def owner_alive(owner: str, started_at: datetime | None = None) -> bool:
    """Whether the process that started an operation (at ``started_at``) still runs."""
    if not owner:
        return False  # released: nobody runs it any more (an upload waiting for the portal's answer)
    host, _, rest = owner.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return started_at is None or now() - utc(started_at) < OTHER_HOST_GRACE
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return not started or _process_start(pid) in ("", started)


# Columns added to a table after databases were created: (table, column DDL). create_all makes
# missing tables only, so an existing database gains these here.
_NEW_COLUMNS = (("clients", "return_frequency VARCHAR(9) NOT NULL DEFAULT 'monthly'"),)


def _add_new_columns(engine: sa.Engine) -> None:
    for table, ddl in _NEW_COLUMNS:
        if not _has_column(engine, table, ddl.split()[0]):
            try:
                with engine.begin() as conn:
                    conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {ddl}"))
            except sa.exc.DBAPIError:
                if not _has_column(engine, table, ddl.split()[0]):  # else another process added it first
                    raise


def _has_column(engine: sa.Engine, table: str, column: str) -> bool:
    return column in {c["name"] for c in sa.inspect(engine).get_columns(table)}
