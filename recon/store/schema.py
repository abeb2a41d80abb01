"""The workspace database's tables (SQLAlchemy Core, the same on SQLite and PostgreSQL).

Documents are stored per import as one Parquet blob of the canonical frame (``recon.model.SCHEMA``), not
as rows of a documents table: Parquet round-trips every canonical type exactly (dates, list columns,
nulls), a lakh of documents loads in tens of milliseconds, and the store holds the one canonical shape
instead of a second, relational copy of it. Nothing queries single documents in SQL; decisions point at
documents by ``doc_id``.
"""

from __future__ import annotations

import sqlalchemy as sa

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

# Failed sign-ins, kept here so that every app process on this database counts the same failures; for any
# name typed, known or not (a lock says nothing about who exists). recon.auth decides when a name is locked.
# Per name from every address together: the ceiling that locks the name everywhere.
sign_in_failures = sa.Table(
    "sign_in_failures",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),  # as typed, cleaned (recon.auth.clean_name)
    sa.Column("failures", sa.Integer, nullable=False),  # each within the lock time of the one before
    sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("locked_until", sa.DateTime(timezone=True)),
)

# Per name and the place the attempts came from: a few failures lock the name for that place only, so
# nobody keeps a colleague out from elsewhere. The place is a keyed hash of the browser's address, never
# the address itself (recon.store.access.sign_in_place).
sign_in_place_failures = sa.Table(
    "sign_in_place_failures",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("place", sa.String(64), primary_key=True),  # HMAC-SHA256 hex, or "unknown"
    sa.Column("failures", sa.Integer, nullable=False),  # in a row, each within the lock time of the last
    sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("locked_until", sa.DateTime(timezone=True)),
)

# Places a name signed in from with its password lately: the lock everywhere (guessing from many places)
# does not keep the user out of them, so strangers guessing a name cannot lock its owner out of the office.
sign_in_trusted_places = sa.Table(
    "sign_in_trusted_places",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("place", sa.String(64), primary_key=True),  # as in sign_in_place_failures
    sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=False),  # the last good sign-in there
)

# The key of those hashes: random, made once per workspace database (one row), so a place's hash means
# nothing outside this install and the same address hashes alike in every app process.
sign_in_key = sa.Table(
    "sign_in_key",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # always 1
    sa.Column("secret", sa.String(64), nullable=False),  # 32 random bytes, hex
)
