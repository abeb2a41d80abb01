"""The workspace database: clients, periods, imports, results, decisions and their audit trail, links,
operations and uploads, users and their clients.

SQLAlchemy Core, so the same code runs on SQLite (the default, a file under ``data/``) and PostgreSQL
(``IMS_WORKBENCH_DB=postgresql+psycopg://...``). One module per idea:

- ``schema``: the tables;
- ``engine``: the URL and data folder, SQLite's settings, a client's write lock, retrying a write,
  :class:`StoreBusy`, which process runs an operation;
- ``frames``: Parquet blobs and the dataclasses handed back (:class:`Client`, :class:`ImportRecord`,
  :class:`StoredResults`);
- ``client`` (clients, periods), ``documents`` (imports), ``reconciliation`` (results), ``decision``
  (decisions, audit, :class:`DecisionConflict`), ``link`` (manual links), ``operation`` (operations in
  progress, uploads), ``access`` (users, client access, failed sign-ins).

:class:`Store` is the one class callers use. Each of its methods is a function of one of those modules
whose first argument is the store; the class body below lists them, module by module, so it reads as the
store's table of contents (and ``recon.auth.ScopedStore`` sees each method's real signature).
"""

from __future__ import annotations

from recon.store import access, decision, documents, link, reconciliation
from recon.store import client as client_rows  # the store has a method named client
from recon.store import operation as operation_rows  # and one named operation
from recon.store.decision import (
    DECISION_FIELDS,
    DECISION_FRAME_SCHEMA,
    ChangedDecision,
    DecisionConflict,
    version_of,
)
from recon.store.engine import (
    OTHER_HOST_GRACE,
    PROJECT_ROOT,
    SQLITE_BUSY_MS,
    WRITE_ATTEMPTS,
    StoreBusy,
    data_dir,
    database_url,
    now,
    open_engine,
    owner_alive,
    process_owner,
)
from recon.store.frames import Client, ImportRecord, StoredResults, frame_from_parquet, frame_to_parquet
from recon.store.schema import (
    audit,
    client_access,
    clients,
    decisions,
    imports,
    links,
    metadata,
    operations,
    periods,
    results,
    sign_in_failures,
    sign_in_key,
    sign_in_place_failures,
    sign_in_trusted_places,
    uploads,
    users,
)

__all__ = [
    "DECISION_FIELDS",
    "DECISION_FRAME_SCHEMA",
    "OTHER_HOST_GRACE",
    "PROJECT_ROOT",
    "SQLITE_BUSY_MS",
    "WRITE_ATTEMPTS",
    "ChangedDecision",
    "Client",
    "DecisionConflict",
    "ImportRecord",
    "Store",
    "StoreBusy",
    "StoredResults",
    "audit",
    "client_access",
    "clients",
    "data_dir",
    "database_url",
    "decisions",
    "frame_from_parquet",
    "frame_to_parquet",
    "imports",
    "links",
    "metadata",
    "now",
    "operations",
    "owner_alive",
    "periods",
    "process_owner",
    "results",
    "sign_in_failures",
    "sign_in_key",
    "sign_in_place_failures",
    "sign_in_trusted_places",
    "uploads",
    "users",
    "version_of",
]


class Store:
    """One workspace database. Thread-safe through SQLAlchemy's pool; cheap to keep one per process."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or database_url()
        self.engine = open_engine(self.url)

    def dispose(self) -> None:
        self.engine.dispose()

    # -- clients and periods (client) --------------------------------------------------------------
    add_client = client_rows.add_client
    update_client = client_rows.update_client
    client = client_rows.client
    client_by_gstin = client_rows.client_by_gstin
    clients = client_rows.all_clients
    periods = client_rows.client_periods
    ensure_period = client_rows.ensure_period
    period_settings = client_rows.period_settings
    save_period_settings = client_rows.save_period_settings

    # -- imports (documents) -----------------------------------------------------------------------
    add_import = documents.add_import
    imports = documents.import_records
    import_documents = documents.import_documents
    replace_import_documents = documents.replace_import_documents

    # -- results (reconciliation) ------------------------------------------------------------------
    save_results = reconciliation.save_results
    results = reconciliation.stored_results
    results_inputs = reconciliation.results_inputs

    # -- decisions and audit (decision) ------------------------------------------------------------
    save_decisions = decision.save_decisions
    decision_versions = decision.decision_versions
    decisions = decision.decision_frame
    decisions_version = decision.decisions_version
    audit_trail = decision.audit_trail

    # -- manual links (link) -----------------------------------------------------------------------
    set_link = link.set_link
    links = link.pair_lists

    # -- operations in progress and uploads (operation) --------------------------------------------
    start_operation = operation_rows.start_operation
    add_operation_reference = operation_rows.add_operation_reference
    release_operation = operation_rows.release_operation
    finish_operation = operation_rows.finish_operation
    operation = operation_rows.operation
    open_operations = operation_rows.open_operations
    record_upload = operation_rows.record_upload
    uploads = operation_rows.upload_rows

    # -- users, client access and failed sign-ins (access; recon.auth decides) ---------------------
    add_user = access.add_user
    user_row = access.user_row
    user_rows = access.user_rows
    update_user = access.update_user
    user_client_ids = access.user_client_ids
    grant_client = access.grant_client
    set_user_clients = access.set_user_clients
    sign_in_place = access.sign_in_place
    sign_in_locked_until = access.sign_in_locked_until
    note_failed_sign_in = access.note_failed_sign_in
    clear_sign_in_failures = access.clear_sign_in_failures
    remember_sign_in_place = access.remember_sign_in_place
    sign_in_locks = access.sign_in_locks
    sign_in_place_locks = access.sign_in_place_locks
