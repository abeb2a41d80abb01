"""The workspace database: clients, periods, imports, results, decisions and their audit trail.

SQLAlchemy Core, so the same code runs on SQLite (the default, a file under ``data/``) and PostgreSQL
(``IMS_WORKBENCH_DB=postgresql+psycopg://...``). No dialect-specific SQL: upserts are a select followed by
an update or insert inside one transaction.

Documents are stored per import as one Parquet blob of the canonical frame (``recon.model.SCHEMA``), not
as rows of a documents table: Parquet round-trips every canonical type exactly (dates, list columns,
nulls), a lakh of documents loads in tens of milliseconds, and the store holds the one canonical shape
instead of a second, relational copy of it. Nothing queries single documents in SQL; decisions point at
documents by ``doc_id``.

Every decision is written at once and every change appends one audit row, so a refresh, a second tab or
a restart shows exactly the same decisions.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import time
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from recon import model
from recon.errors import InputError
from recon.model import DECISION_SCHEMA

PROJECT_ROOT = Path(__file__).resolve().parents[1]

metadata = sa.MetaData()

clients = sa.Table(
    "clients",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("gstin", sa.String(15), nullable=False, unique=True),
    sa.Column("state_code", sa.String(2)),
    sa.Column("return_period", sa.String(6), nullable=False),  # the period the client works on, MMYYYY
    sa.Column("is_demo", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # monthly | quarterly (QRMP: one GSTR-2B per quarter, docs/reference/ims-rules.md §8)
    sa.Column("return_frequency", sa.String(9), nullable=False, server_default="monthly"),
)

periods = sa.Table(
    "periods",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("period", sa.String(6), nullable=False),
    sa.Column("settings", sa.Text),  # reconciliation settings last used (JSON)
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("client_id", "period"),
)

imports = sa.Table(
    "imports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("period", sa.String(6), nullable=False),
    sa.Column("source", sa.String(10), nullable=False),  # books | ims | gstr2b | gstr2a
    sa.Column("file_name", sa.String(300), nullable=False),
    sa.Column("origin", sa.String(20), nullable=False),  # upload | portal | demo
    sa.Column("mode", sa.String(10), nullable=False),  # replace | add
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("imported_by", sa.String(100)),
    sa.Column("summary", sa.Text),  # ReadResult.summary_lines() as JSON
    sa.Column("warnings", sa.Text),  # JSON list of warning texts
    sa.Column("doc_count", sa.Integer, nullable=False),
    # False once a later import of the same source replaced it; kept for the audit of what was read.
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    # Bumped when the documents are rewritten (the portal's new actions after an upload), so caches keyed
    # by (import id, revision) never serve the old copy, whichever process or instance read it.
    sa.Column("revision", sa.Integer, nullable=False, default=0),
    sa.Column("documents", sa.LargeBinary, nullable=False),  # Parquet of the canonical frame
)
sa.Index("ix_imports_client_period", imports.c.client_id, imports.c.period, imports.c.source)

results = sa.Table(
    "results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("period", sa.String(6), nullable=False),
    sa.Column("portal_source", sa.String(10), nullable=False),
    sa.Column("settings", sa.Text, nullable=False),  # JSON of recon.match.Settings
    sa.Column("inputs", sa.Text, nullable=False),  # JSON: the import ids and links the run used
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(100)),
    sa.Column("results", sa.LargeBinary, nullable=False),  # Parquet of RESULT_SCHEMA
    sa.UniqueConstraint("client_id", "period"),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), primary_key=True),
    sa.Column("portal_doc_id", sa.String(40), primary_key=True),
    sa.Column("period", sa.String(6)),
    sa.Column("action", sa.String(1), nullable=False),  # A / R / P / N
    sa.Column("remarks", sa.Text),
    sa.Column("itc_red_req", sa.String(1)),  # Y / N, credit-note acceptance only
    sa.Column("decl_igst", sa.Float),
    sa.Column("decl_cgst", sa.Float),
    sa.Column("decl_sgst", sa.Float),
    sa.Column("decl_cess", sa.Float),
    sa.Column("content_hash", sa.String(32)),  # the document's hash when decided
    sa.Column("source", sa.String(10), nullable=False),  # user | bulk | upload
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_by", sa.String(100)),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("period", sa.String(6)),
    sa.Column("portal_doc_id", sa.String(40)),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("who", sa.String(100)),
    sa.Column("old_action", sa.String(1)),
    sa.Column("new_action", sa.String(1)),
    sa.Column("remarks", sa.Text),
    sa.Column("source", sa.String(10), nullable=False),  # user | bulk | upload | link | import
    sa.Column("note", sa.Text),
)
sa.Index("ix_audit_client", audit.c.client_id, audit.c.at)

links = sa.Table(
    "links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("period", sa.String(6), nullable=False),
    sa.Column("books_doc_id", sa.String(40), nullable=False),
    sa.Column("portal_doc_id", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(6), nullable=False),  # link | unlink
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("who", sa.String(100)),
    sa.UniqueConstraint("client_id", "period", "books_doc_id", "portal_doc_id"),
)

uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("period", sa.String(6), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("who", sa.String(100)),
    sa.Column("route", sa.String(10), nullable=False),  # file | portal
    sa.Column("profile", sa.String(10)),
    sa.Column("summary", sa.Text),  # JSON
    sa.Column("status", sa.String(20)),
)

# A long operation (import, reconciliation, bulk decision, upload) is written here before it starts and
# closed in the same transaction as its result: a row left open by a process that is gone is an
# interrupted operation, and the next start says so. An upload keeps its reference ids in ``detail`` so its
# status can still be asked for after a restart (docs/reference/portal-api.md §4).
operations = sa.Table(
    "operations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id")),
    sa.Column("period", sa.String(6)),
    sa.Column("kind", sa.String(20), nullable=False),  # import | reconcile | bulk | upload
    sa.Column("detail", sa.Text),  # JSON: what it works on (file name, counts; an upload's references)
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_by", sa.String(100)),
    sa.Column("owner", sa.String(200), nullable=False),  # the process running it: host, pid, its start
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("outcome", sa.Text),  # what happened, in words (set when finished or found interrupted)
    sa.Column("interrupted", sa.Boolean, nullable=False, default=False),
)
sa.Index("ix_operations_open", operations.c.finished_at)

# People who may sign in. Only an argon2 hash of the password is kept (recon.auth), never the password.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),  # the sign-in name, lower case
    sa.Column("role", sa.String(12), nullable=False),  # admin | consultant
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("is_demo", sa.Boolean, nullable=False, default=False),  # the documented demo login
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Which clients a consultant may open; an admin opens every client without rows here.
client_access = sa.Table(
    "client_access",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), primary_key=True),
    sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("granted_by", sa.String(100)),
)

DECISION_FIELDS = (
    "action",
    "remarks",
    "itc_red_req",
    "decl_igst",
    "decl_cgst",
    "decl_sgst",
    "decl_cess",
    "content_hash",
)

# The decision fields of recon.actions plus where and how each was recorded; stored times are UTC.
DECISION_FRAME_SCHEMA = {
    "portal_doc_id": pl.String,
    "period": pl.String,
    **{k: v for k, v in DECISION_SCHEMA.items() if k not in ("portal_doc_id", "decided_by", "decided_at")},
    "source": pl.String,
    "decided_at": pl.Datetime(time_zone="UTC"),
    "decided_by": pl.String,
}


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    gstin: str
    state_code: str | None
    return_period: str
    is_demo: bool
    return_frequency: str = "monthly"


@dataclass(frozen=True)
class ImportRecord:
    id: int
    client_id: int
    period: str
    source: str
    file_name: str
    origin: str
    mode: str
    imported_at: datetime
    imported_by: str | None
    summary: list[str]
    warnings: list[str]
    doc_count: int
    active: bool
    revision: int = 0


@dataclass(frozen=True)
class StoredResults:
    id: int
    portal_source: str
    settings: dict
    inputs: dict
    created_at: datetime
    frame: pl.DataFrame


@dataclass(frozen=True)
class ChangedDecision:
    """A decision someone else saved after the writer read it: who, when, and what it says now."""

    portal_doc_id: str
    action: str | None  # None: the decision was removed
    remarks: str | None
    decided_by: str | None
    decided_at: datetime | None
    source: str | None
    wanted: str  # the action the refused writer asked for


class DecisionConflict(Exception):
    """Decisions changed by someone else since they were read: nothing of the write was saved.

    ``changes`` names each document, who changed it, when and to what; the writer decides again (apply
    theirs over it, or keep the other's change). ``labels`` maps doc ids to what a person calls the
    document (filled by the workspace, which knows the documents).
    """

    def __init__(self, changes: list[ChangedDecision]) -> None:
        self.changes = changes
        self.labels: dict[str, str] = {}
        super().__init__(self.message())

    def __str__(self) -> str:  # labels may be filled after the error was raised
        return self.message()

    @property
    def doc_ids(self) -> list[str]:
        return [c.portal_doc_id for c in self.changes]

    def lines(self) -> list[str]:
        out = []
        for change in self.changes:
            label = self.labels.get(change.portal_doc_id, change.portal_doc_id)
            who = change.decided_by or "someone"
            when = f" at {change.decided_at:%d-%m-%Y %H:%M} UTC" if change.decided_at else ""
            now_ = model.ACTION_LABELS.get(change.action, change.action) if change.action else "no decision"
            remark = f" (remark: '{change.remarks}')" if change.remarks else ""
            wanted = model.ACTION_LABELS.get(change.wanted, change.wanted)
            out.append(f"{label}: {who} set {now_}{when}{remark}; you chose {wanted}.")
        return out

    def message(self) -> str:
        count = len(self.changes)
        return (
            f"{count:,} document(s) were changed by someone else after you opened them, so nothing of "
            "your change was saved: " + " ".join(self.lines()[:5]) + (" ..." if count > 5 else "")
        )


class StoreBusy(InputError):
    """The database stayed busy with another writer; nothing of this write was saved."""


def now() -> datetime:
    return datetime.now(UTC)


def version_of(stamp) -> str | None:
    """A decision's version as text: its decided_at in UTC to the microsecond (SQLite returns it naive)."""
    if stamp is None:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


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
        return started_at is None or now() - _utc(started_at) < OTHER_HOST_GRACE
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return not started or _process_start(pid) in ("", started)


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


def frame_to_parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd")
    return buffer.getvalue()


def frame_from_parquet(blob: bytes) -> pl.DataFrame:
    return pl.read_parquet(io.BytesIO(blob))


def _make_sqlite_folder(url: sa.engine.URL) -> None:
    """A SQLite file is created on first run, but its folder must exist (IMS_WORKBENCH_DB may name a new one)."""
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        # A failure here is reported by the connection attempt, with the URL, in Store.__init__.
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


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Store:
    """One workspace database. Thread-safe through SQLAlchemy's pool; cheap to keep one per process."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or database_url()
        self.engine = sa.create_engine(self.url, future=True)
        if self.engine.dialect.name == "sqlite":
            _make_sqlite_folder(self.engine.url)
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            sa.event.listen(self.engine, "begin", _sqlite_begin)
        try:
            metadata.create_all(self.engine)
            _add_new_columns(self.engine)
        except sa.exc.SQLAlchemyError as err:
            self.engine.dispose()
            raise InputError(
                f"the workspace database {self.engine.url.render_as_string(hide_password=True)} cannot be "
                f"opened ({type(err.orig or err).__name__}: {err.orig or err}).",
                hint="Check IMS_WORKBENCH_DB (or [workbench] database_url in .streamlit/secrets.toml): "
                "the folder must be writable, or the database server reachable with these credentials.",
            ) from None

    def dispose(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def _locked_write(self, client_id: int):
        """One transaction that holds the client's write lock from its first statement.

        SQLite: BEGIN IMMEDIATE (the database's write lock). PostgreSQL: the client's row FOR NO KEY UPDATE,
        which serialises writers of one client's decisions but lets imports of it (a key share) proceed.
        """
        with self.engine.connect() as conn:
            conn.execution_options(write_lock=True)
            with conn.begin():
                conn.execute(
                    sa.select(clients.c.id).where(clients.c.id == client_id).with_for_update(key_share=True)
                )
                yield conn

    def _retrying(self, write, what: str):
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

    # -- clients and periods ----------------------------------------------------------------------

    def add_client(
        self, name, gstin, state_code, return_period, *, is_demo=False, return_frequency="monthly"
    ) -> Client:
        stamp = now()
        with self.engine.begin() as conn:
            new_id = conn.execute(
                clients.insert().values(
                    name=name,
                    gstin=gstin,
                    state_code=state_code,
                    return_period=return_period,
                    is_demo=is_demo,
                    return_frequency=return_frequency,
                    created_at=stamp,
                    updated_at=stamp,
                )
            ).inserted_primary_key[0]
            self._ensure_period(conn, new_id, return_period)
        return self.client(new_id)

    def update_client(self, client_id: int, **values) -> Client:
        editable = ("name", "gstin", "state_code", "return_period", "return_frequency")
        allowed = {k: v for k, v in values.items() if k in editable}
        with self.engine.begin() as conn:
            conn.execute(
                clients.update().where(clients.c.id == client_id).values(**allowed, updated_at=now())
            )
            if "return_period" in allowed:
                self._ensure_period(conn, client_id, allowed["return_period"])
        return self.client(client_id)

    def client(self, client_id: int) -> Client | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(clients).where(clients.c.id == client_id)).mappings().first()
        return _client(row) if row else None

    def client_by_gstin(self, gstin: str) -> Client | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(clients).where(clients.c.gstin == gstin)).mappings().first()
        return _client(row) if row else None

    def clients(self) -> list[Client]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(clients).order_by(clients.c.name)).mappings().all()
        return [_client(r) for r in rows]

    def periods(self, client_id: int) -> list[str]:
        """Periods with work in them, newest first (MMYYYY sorts by year then month)."""
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(periods.c.period).where(periods.c.client_id == client_id)
            ).scalars()
            return sorted(found, key=lambda p: (p[2:], p[:2]), reverse=True)

    def ensure_period(self, client_id: int, period: str) -> None:
        with self.engine.begin() as conn:
            self._ensure_period(conn, client_id, period)

    def _ensure_period(self, conn, client_id: int, period: str) -> None:
        exists = conn.execute(
            sa.select(periods.c.id).where(periods.c.client_id == client_id, periods.c.period == period)
        ).first()
        if not exists:
            conn.execute(periods.insert().values(client_id=client_id, period=period, created_at=now()))

    def period_settings(self, client_id: int, period: str) -> dict | None:
        with self.engine.connect() as conn:
            text = conn.execute(
                sa.select(periods.c.settings).where(
                    periods.c.client_id == client_id, periods.c.period == period
                )
            ).scalar()
        return json.loads(text) if text else None

    def save_period_settings(self, client_id: int, period: str, settings: dict) -> None:
        with self.engine.begin() as conn:
            self._ensure_period(conn, client_id, period)
            conn.execute(
                periods.update()
                .where(periods.c.client_id == client_id, periods.c.period == period)
                .values(settings=json.dumps(settings, sort_keys=True))
            )

    # -- imports ----------------------------------------------------------------------------------

    def add_import(
        self,
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
        with self.engine.begin() as conn:
            self._ensure_period(conn, client_id, period)
            if mode == "replace":
                conn.execute(
                    imports.update()
                    .where(
                        imports.c.client_id == client_id,
                        imports.c.period == period,
                        imports.c.source == source,
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
                _finish(conn, operation_id, f"{documents.height:,} document(s) of {file_name} saved")
            return new_id

    def imports(self, client_id: int, period: str, *, active_only: bool = True) -> list[ImportRecord]:
        query = sa.select(*[c for c in imports.c if c.name != "documents"]).where(
            imports.c.client_id == client_id, imports.c.period == period
        )
        if active_only:
            query = query.where(imports.c.active.is_(True))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(imports.c.id)).mappings().all()
        return [_import(r) for r in rows]

    def import_documents(self, import_id: int) -> pl.DataFrame:
        with self.engine.connect() as conn:
            blob = conn.execute(sa.select(imports.c.documents).where(imports.c.id == import_id)).scalar_one()
        return frame_from_parquet(blob)

    def replace_import_documents(self, import_id: int, documents: pl.DataFrame) -> None:
        """Rewrite one import's documents (the portal's state after a successful upload)."""
        with self.engine.begin() as conn:
            _rewrite_documents(conn, import_id, documents)

    # -- results ----------------------------------------------------------------------------------

    def save_results(
        self,
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

        def write() -> int:
            # Two sessions (or two processes) reconciling one client's period at once take turns under the
            # client's write lock: the second finds the first's row and replaces it, never a duplicate key.
            with self._locked_write(client_id) as conn:
                existing = conn.execute(
                    sa.select(results.c.id).where(
                        results.c.client_id == client_id, results.c.period == period
                    )
                ).scalar()
                if existing:
                    conn.execute(results.update().where(results.c.id == existing).values(**values))
                else:
                    existing = conn.execute(
                        results.insert().values(client_id=client_id, period=period, **values)
                    ).inserted_primary_key[0]
                if operation_id is not None:
                    _finish(conn, operation_id, f"{frame.height:,} result row(s) saved")
                return existing

        return self._retrying(write, "the reconciliation")

    def results(self, client_id: int, period: str) -> StoredResults | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    sa.select(results).where(results.c.client_id == client_id, results.c.period == period)
                )
                .mappings()
                .first()
            )
        if not row:
            return None
        return StoredResults(
            id=row["id"],
            portal_source=row["portal_source"],
            settings=json.loads(row["settings"]),
            inputs=json.loads(row["inputs"]),
            created_at=row["created_at"],
            frame=frame_from_parquet(row["results"]),
        )

    def results_inputs(self, client_id: int, period: str) -> dict | None:
        """What the stored run was computed from, without loading its frame."""
        with self.engine.connect() as conn:
            text = conn.execute(
                sa.select(results.c.inputs).where(
                    results.c.client_id == client_id, results.c.period == period
                )
            ).scalar()
        return json.loads(text) if text else None

    # -- decisions and audit ----------------------------------------------------------------------

    def save_decisions(
        self,
        client_id: int,
        period: str,
        rows: list[dict],
        *,
        source: str,
        who: str | None = None,
        expected: dict[str, str | None] | None = None,
        operation_id: int | None = None,
    ) -> int:
        """Write decisions at once (insert or update) and append an audit row for each change.

        ``rows``: dicts with ``portal_doc_id`` and DECISION_FIELDS. Returns how many changed. The whole
        list is one transaction: a kill at any moment leaves all of it or none of it.
        ``expected``: {doc id: the version (``version_of(decided_at)``, None = undecided) the writer saw};
        a listed document whose decision changed since, to something else than asked, refuses the whole
        write with :class:`DecisionConflict`. ``operation_id`` is closed in the same transaction.
        """
        if not rows:
            if operation_id is not None:
                self.finish_operation(operation_id, "nothing to change")
            return 0
        by_id = {r["portal_doc_id"]: r for r in rows}

        def write() -> int:
            stamp = now()
            with self._locked_write(client_id) as conn:
                current = self._current_decisions(conn, client_id, list(by_id))
                _refuse_changed(by_id, current, expected)
                changed = self._write_decisions(conn, client_id, period, by_id, current, source, who, stamp)
                if operation_id is not None:
                    _finish(conn, operation_id, f"{changed:,} decision(s) saved")
                return changed

        return self._retrying(write, f"the decision on {len(by_id):,} document(s)")

    def _current_decisions(self, conn, client_id: int, doc_ids: list[str]) -> dict[str, dict]:
        current = {}
        for chunk in _chunks(doc_ids):
            found = conn.execute(
                sa.select(decisions).where(
                    decisions.c.client_id == client_id, decisions.c.portal_doc_id.in_(chunk)
                )
            ).mappings()
            current.update({r["portal_doc_id"]: dict(r) for r in found})
        return current

    def _write_decisions(self, conn, client_id, period, by_id, current, source, who, stamp) -> int:
        inserts, updates, trail = [], [], []
        for doc_id, row in by_id.items():
            values = {f: row.get(f) for f in DECISION_FIELDS}
            old = current.get(doc_id)
            if old and _same_decision(old, values):
                continue
            stamped = dict(values, period=period, source=source, decided_at=stamp, decided_by=who)
            if old:
                updates.append(dict(stamped, b_doc=doc_id))
            else:
                inserts.append(dict(stamped, client_id=client_id, portal_doc_id=doc_id))
            trail.append(
                dict(
                    client_id=client_id,
                    period=period,
                    portal_doc_id=doc_id,
                    at=stamp,
                    who=who,
                    old_action=old["action"] if old else None,
                    new_action=values["action"],
                    remarks=values["remarks"],
                    source=source,
                    note=row.get("note"),
                )
            )
        if inserts:
            conn.execute(decisions.insert(), inserts)
        if updates:
            statement = (
                decisions.update()
                .where(decisions.c.client_id == client_id, decisions.c.portal_doc_id == sa.bindparam("b_doc"))
                .values(
                    {
                        k: sa.bindparam(k)
                        for k in (*DECISION_FIELDS, "period", "source", "decided_at", "decided_by")
                    }
                )
            )
            conn.execute(statement, updates)
        if trail:
            conn.execute(audit.insert(), trail)
        return len(trail)

    def decision_versions(self, client_id: int, doc_ids: list[str] | None = None) -> dict[str, str]:
        """{doc id: version} of the client's decisions (all, or of ``doc_ids``): what a writer saw."""
        query = sa.select(decisions.c.portal_doc_id, decisions.c.decided_at).where(
            decisions.c.client_id == client_id
        )
        with self.engine.connect() as conn:
            if doc_ids is None:
                rows = conn.execute(query).all()
            else:
                rows = [
                    r
                    for chunk in _chunks(list(dict.fromkeys(doc_ids)))
                    for r in conn.execute(query.where(decisions.c.portal_doc_id.in_(chunk))).all()
                ]
        return {doc_id: version_of(stamp) for doc_id, stamp in rows}

    def decisions(self, client_id: int) -> pl.DataFrame:
        """Current decisions of a client, one row per portal document."""
        columns = [decisions.c[name] for name in DECISION_FRAME_SCHEMA]
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(*columns).where(decisions.c.client_id == client_id)).all()
        return pl.DataFrame([tuple(r) for r in rows], schema=DECISION_FRAME_SCHEMA, orient="row")

    def decisions_version(self, client_id: int) -> tuple:
        """Changes whenever a decision of the client changes: (audit rows, last audit id)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(sa.func.count(audit.c.id), sa.func.max(audit.c.id)).where(
                    audit.c.client_id == client_id
                )
            ).first()
        return tuple(row)

    def audit_trail(self, client_id: int, period: str | None = None) -> pl.DataFrame:
        query = sa.select(
            audit.c.at,
            audit.c.who,
            audit.c.period,
            audit.c.portal_doc_id,
            audit.c.old_action,
            audit.c.new_action,
            audit.c.remarks,
            audit.c.source,
            audit.c.note,
        ).where(audit.c.client_id == client_id)
        if period:
            query = query.where(audit.c.period == period)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(audit.c.id)).all()
        schema = {
            "at": pl.Datetime(time_zone="UTC"),
            "who": pl.String,
            "period": pl.String,
            "portal_doc_id": pl.String,
            "old_action": pl.String,
            "new_action": pl.String,
            "remarks": pl.String,
            "source": pl.String,
            "note": pl.String,
        }
        return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")

    def add_audit_note(self, client_id: int, period: str, source: str, note: str, who: str | None = None):
        with self.engine.begin() as conn:
            conn.execute(
                audit.insert().values(
                    client_id=client_id, period=period, at=now(), who=who, source=source, note=note
                )
            )

    # -- manual links -----------------------------------------------------------------------------

    def set_link(
        self, client_id: int, period: str, books_doc_id: str, portal_doc_id: str, kind: str, who=None
    ) -> None:
        """Record a manual link or unlink; a later one for the same pair replaces the earlier."""
        if kind not in ("link", "unlink"):
            raise ValueError(f"kind must be link or unlink, not {kind!r}")
        key = (
            links.c.client_id == client_id,
            links.c.period == period,
            links.c.books_doc_id == books_doc_id,
            links.c.portal_doc_id == portal_doc_id,
        )
        with self.engine.begin() as conn:
            conn.execute(links.delete().where(*key))
            conn.execute(
                links.insert().values(
                    client_id=client_id,
                    period=period,
                    books_doc_id=books_doc_id,
                    portal_doc_id=portal_doc_id,
                    kind=kind,
                    at=now(),
                    who=who,
                )
            )
            conn.execute(
                audit.insert().values(
                    client_id=client_id,
                    period=period,
                    portal_doc_id=portal_doc_id,
                    at=now(),
                    who=who,
                    source="link",
                    note=f"{kind} books {books_doc_id} with portal {portal_doc_id}",
                )
            )

    def links(self, client_id: int, period: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(links, unlinks) as (books_doc_id, portal_doc_id) pairs, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(links.c.books_doc_id, links.c.portal_doc_id, links.c.kind)
                .where(links.c.client_id == client_id, links.c.period == period)
                .order_by(links.c.id)
            ).all()
        linked = [(b, p) for b, p, kind in rows if kind == "link"]
        unlinked = [(b, p) for b, p, kind in rows if kind == "unlink"]
        return linked, unlinked

    # -- uploads ----------------------------------------------------------------------------------

    def add_upload(
        self, client_id: int, period: str, route: str, profile: str, summary: dict, status: str, who=None
    ) -> int:
        with self.engine.begin() as conn:
            return _insert_upload(conn, client_id, period, route, profile, summary, status, who)

    def record_upload(
        self,
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
        with self.engine.begin() as conn:
            for import_id, frame in documents.items():
                _rewrite_documents(conn, import_id, frame)
            upload_id = _insert_upload(conn, client_id, period, route, profile, summary, status, who)
            if operation_id is not None:
                _finish(conn, operation_id, outcome or status)
            return upload_id

    # -- operations in progress -------------------------------------------------------------------

    def start_operation(
        self, kind: str, client_id: int | None, period: str | None, detail: dict, who: str | None = None
    ) -> int:
        """Note a long operation before it starts (closed by the transaction that saves its result)."""
        with self.engine.begin() as conn:
            return conn.execute(
                operations.insert().values(
                    client_id=client_id,
                    period=period,
                    kind=kind,
                    detail=json.dumps(detail, default=str),
                    started_at=now(),
                    started_by=who,
                    owner=process_owner(),
                    interrupted=False,
                )
            ).inserted_primary_key[0]

    def add_operation_reference(self, operation_id: int, reference: str, body: dict) -> None:
        """Keep an upload's reference id with the body it answers, before its status is asked for."""
        with self.engine.begin() as conn:
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

    def release_operation(self, operation_id: int, note: str) -> None:
        """Leave an operation open but owned by nobody: its result is still to be fetched (see owner_alive)."""
        with self.engine.begin() as conn:
            conn.execute(
                operations.update()
                .where(operations.c.id == operation_id, operations.c.finished_at.is_(None))
                .values(owner="", outcome=note)
            )

    def finish_operation(self, operation_id: int, outcome: str, *, interrupted: bool = False) -> None:
        with self.engine.begin() as conn:
            _finish(conn, operation_id, outcome, interrupted=interrupted)

    def operation(self, operation_id: int) -> dict | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(operations).where(operations.c.id == operation_id)).mappings().first()
            )
        return _operation(row) if row else None

    def open_operations(self) -> list[dict]:
        """Operations not closed yet (running, or interrupted by a process that is gone), oldest first."""
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    sa.select(operations).where(operations.c.finished_at.is_(None)).order_by(operations.c.id)
                )
                .mappings()
                .all()
            )
        return [_operation(r) for r in rows]

    def uploads(self, client_id: int, period: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    sa.select(uploads)
                    .where(uploads.c.client_id == client_id, uploads.c.period == period)
                    .order_by(uploads.c.id.desc())
                )
                .mappings()
                .all()
            )
        return [dict(r, summary=json.loads(r["summary"] or "{}")) for r in rows]

    # -- users and client access (recon.auth decides; this only keeps) ------------------------------

    def add_user(self, name: str, role: str, password_hash: str, *, is_demo: bool = False) -> int:
        stamp = now()
        with self.engine.begin() as conn:
            return conn.execute(
                users.insert().values(
                    name=name,
                    role=role,
                    password_hash=password_hash,
                    active=True,
                    is_demo=is_demo,
                    created_at=stamp,
                    updated_at=stamp,
                )
            ).inserted_primary_key[0]

    def user_row(self, *, name: str | None = None, user_id: int | None = None) -> dict | None:
        """One user's row, password hash included (for recon.auth to verify), by sign-in name or id."""
        where = users.c.name == name if user_id is None else users.c.id == user_id
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(where)).mappings().first()
        return dict(row) if row else None

    def user_rows(self) -> list[dict]:
        """Every user without the password hash, by name."""
        columns = [c for c in users.c if c.name != "password_hash"]
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(*columns).order_by(users.c.name)).mappings().all()
        return [dict(r) for r in rows]

    def update_user(self, user_id: int, **values) -> None:
        allowed = {k: v for k, v in values.items() if k in ("role", "password_hash", "active")}
        with self.engine.begin() as conn:
            conn.execute(users.update().where(users.c.id == user_id).values(**allowed, updated_at=now()))

    def user_client_ids(self, user_id: int) -> set[int]:
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(client_access.c.client_id).where(client_access.c.user_id == user_id)
            ).scalars()
            return set(found)

    def grant_client(self, user_id: int, client_id: int, who: str | None = None) -> None:
        with self.engine.begin() as conn:
            self._grant(conn, user_id, client_id, who)

    def set_user_clients(self, user_id: int, client_ids, who: str | None = None) -> None:
        """Exactly these clients for this user, in one transaction."""
        wanted = set(client_ids)
        with self.engine.begin() as conn:
            held = set(
                conn.execute(
                    sa.select(client_access.c.client_id).where(client_access.c.user_id == user_id)
                ).scalars()
            )
            if held - wanted:
                conn.execute(
                    client_access.delete().where(
                        client_access.c.user_id == user_id, client_access.c.client_id.in_(held - wanted)
                    )
                )
            for client_id in sorted(wanted - held):
                self._grant(conn, user_id, client_id, who)

    def _grant(self, conn, user_id: int, client_id: int, who: str | None) -> None:
        exists = conn.execute(
            sa.select(client_access.c.user_id).where(
                client_access.c.user_id == user_id, client_access.c.client_id == client_id
            )
        ).first()
        if not exists:
            conn.execute(
                client_access.insert().values(
                    user_id=user_id, client_id=client_id, granted_at=now(), granted_by=who
                )
            )


def _client(row) -> Client:
    return Client(
        id=row["id"],
        name=row["name"],
        gstin=row["gstin"],
        state_code=row["state_code"],
        return_period=row["return_period"],
        is_demo=bool(row["is_demo"]),
        return_frequency=row["return_frequency"],
    )


def _import(row) -> ImportRecord:
    return ImportRecord(
        id=row["id"],
        client_id=row["client_id"],
        period=row["period"],
        source=row["source"],
        file_name=row["file_name"],
        origin=row["origin"],
        mode=row["mode"],
        imported_at=row["imported_at"],
        imported_by=row["imported_by"],
        summary=json.loads(row["summary"] or "[]"),
        warnings=json.loads(row["warnings"] or "[]"),
        doc_count=row["doc_count"],
        active=bool(row["active"]),
        revision=row["revision"],
    )


def _same_decision(old: dict, values: dict) -> bool:
    return all(old[f] == values[f] for f in DECISION_FIELDS)


def _refuse_changed(by_id: dict, current: dict, expected: dict | None) -> None:
    """DecisionConflict for documents whose decision changed since the writer's read, unless it already
    says what the writer asks (then nothing would be overwritten)."""
    if not expected:
        return
    changes = []
    for doc_id, seen in expected.items():
        if doc_id not in by_id:
            continue
        old = current.get(doc_id)
        if version_of(old["decided_at"] if old else None) == seen:
            continue
        wanted = {f: by_id[doc_id].get(f) for f in DECISION_FIELDS}
        if old and _same_decision(old, wanted):
            continue
        changes.append(
            ChangedDecision(
                portal_doc_id=doc_id,
                action=old["action"] if old else None,
                remarks=old["remarks"] if old else None,
                decided_by=old["decided_by"] if old else None,
                decided_at=_utc(old["decided_at"]) if old else None,
                source=old["source"] if old else None,
                wanted=wanted["action"],
            )
        )
    if changes:
        raise DecisionConflict(changes)


def _utc(stamp: datetime | None) -> datetime | None:
    if stamp is None or stamp.tzinfo is not None:
        return stamp
    return stamp.replace(tzinfo=UTC)


def _finish(conn, operation_id: int, outcome: str, *, interrupted: bool = False) -> None:
    conn.execute(  # an operation is closed once: a later note does not overwrite what it recorded
        operations.update()
        .where(operations.c.id == operation_id, operations.c.finished_at.is_(None))
        .values(finished_at=now(), outcome=outcome, interrupted=interrupted)
    )


def _operation(row) -> dict:
    return dict(row, detail=json.loads(row["detail"] or "{}"))


def _rewrite_documents(conn, import_id: int, documents: pl.DataFrame) -> None:
    conn.execute(
        imports.update()
        .where(imports.c.id == import_id)
        .values(
            documents=frame_to_parquet(model.conform(documents)),
            doc_count=documents.height,
            revision=imports.c.revision + 1,
        )
    )


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
