"""The service layer the pages call: one method per thing a consultant does.

Create a client, import a file into a client's period, reconcile, review, decide, link, build the upload,
mark what the portal now holds. Pages only wire widgets to these methods; everything here is testable
without Streamlit. State lives in the store (``recon.store``); this module adds the rules of the workflow
and a small in-process cache so that a lakh of documents is not re-read from the database on every click.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import re
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl

from recon import figures, import_checks, ims_json, model
from recon import gstin as gstin_rules
from recon.actions import DECL_COLUMNS, needs_pair_confirmation
from recon.actions import preview_action as preview_action  # the grid's dialog reads it from here
from recon.errors import InputError
from recon.import_checks import ImportConcern, ImportNeedsConfirmation, OtherClientMatch
from recon.match.settings import Settings
from recon.pool import month_words
from recon.store import Client, DecisionConflict, Store, owner_alive

log = logging.getLogger("recon.workspace")

__all__ = ["DecisionConflict", "Workspace"]  # DecisionConflict: the one error a write conflict raises

PORTAL_PREFERENCE = ("ims", "gstr2b", "gstr2a")  # IMS first: only IMS records take actions
_SOURCE_WORDS = {"ims": "IMS", "gstr2b": "GSTR-2B", "gstr2a": "GSTR-2A"}
_PERIOD = re.compile(r"^(0[1-9]|1[0-2])(20[0-9]{2})$")


def check_period(period: str, *, what: str = "Return period") -> str:
    """MMYYYY, e.g. 112025 for November 2025; raises InputError in words otherwise."""
    text = str(period or "").strip()
    if not _PERIOD.match(text):
        raise InputError(
            f"{what} '{text}' is not a month in the form MMYYYY.",
            column=what,
            hint="Type the month and year as six digits, e.g. 112025 for November 2025.",
        )
    return text


def check_client_fields(name: str, gstin: str, period: str) -> tuple[str, str, str]:
    """Cleaned (name, GSTIN, period) or an InputError naming the field and the fix."""
    name = (name or "").strip()
    if not name:
        raise InputError(
            "Client name is blank.", column="Name", hint="Type the client's legal or trade name."
        )
    cleaned = gstin_rules.clean(gstin)
    problem = gstin_rules.problem(cleaned)
    if problem:
        raise InputError(
            f"{problem}.",
            column="GSTIN",
            hint="Copy the GSTIN from the client's registration certificate or the portal's profile page.",
        )
    return name, cleaned, check_period(period)


FREQUENCIES = ("monthly", "quarterly")


def check_frequency(frequency: str) -> str:
    """'monthly' or 'quarterly' (QRMP), or an InputError saying which are allowed."""
    cleaned = (frequency or "").strip().lower()
    if cleaned not in FREQUENCIES:
        raise InputError(
            f"Return filing frequency '{frequency}' is not monthly or quarterly.",
            column="Return filing",
            hint="Choose quarterly for a QRMP client (one GSTR-2B per quarter), else monthly.",
        )
    return cleaned


def default_period(today: date | None = None) -> str:
    """The month whose IMS a consultant works on: the previous calendar month."""
    today = today or date.today()
    month, year = (today.month - 1, today.year) if today.month > 1 else (12, today.year - 1)
    return f"{month:02d}{year}"


@dataclass
class ImportOutcome:
    import_id: int
    source: str
    summary: list[str]
    warnings: list[str]
    documents: int
    taxable: float = 0.0  # net of credit notes
    tax: float = 0.0  # IGST + CGST + SGST + cess, net of credit notes


# A decision written for this many documents or more is noted as an operation in progress first.
BULK_OPERATION_ROWS = 500


@dataclass
class Interruption:
    """An operation a process started and never finished (killed, crashed), said in words."""

    operation_id: int
    kind: str
    client_id: int | None
    period: str | None
    started_at: datetime
    message: str
    resumable: bool = False  # an upload whose portal answer can still be fetched (needs a session)
    headline: str = ""  # the message without what to do (where the page offers the step itself)


@dataclass
class ActionOutcome:
    """What a set-action request did: how many were saved, which were refused and why."""

    saved: int = 0
    unchanged: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (portal_doc_id, reason)


class _Cache:
    """A small LRU of frames keyed by what they were computed from (ids never change meaning).

    One per server process, shared by every session: ten consultants opening the same client and
    decisions version get the same frames. ``get_or_compute`` is single-flight: while one thread computes a
    key, the others asking for it wait and take its result instead of computing it again. Besides the entry
    count, the frames held are bounded in bytes, so superseded versions (an older decisions version, an
    older import) are let go rather than kept until sixteen newer ones push them out.
    """

    def __init__(self, size: int = 16, max_bytes: int | None = None) -> None:
        self._items: OrderedDict = OrderedDict()
        self._size = size
        self._max_bytes = max_bytes
        self._bytes: dict = {}
        self._lock = threading.Lock()
        self._flights: dict = {}  # key -> [lock held while computing it, threads using that lock]

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key, value):
        with self._lock:
            self._items[key] = value
            self._bytes[key] = _held_bytes(value)
            self._items.move_to_end(key)
            while len(self._items) > self._size or (len(self._items) > 1 and self._over_budget()):
                old, _ = self._items.popitem(last=False)
                self._bytes.pop(old, None)
        return value

    def get_or_compute(self, key, compute):
        """The value for ``key``; computed by ``compute()`` once however many threads ask at the same time."""
        value = self.get(key)
        if value is not None:
            return value
        with self._flight(key):
            value = self.get(key)  # the thread that held the key may have just computed it
            if value is not None:
                return value
            return self.put(key, compute())

    def clear(self):
        with self._lock:
            self._items.clear()
            self._bytes.clear()

    def _over_budget(self) -> bool:
        return self._max_bytes is not None and sum(self._bytes.values()) > self._max_bytes

    @contextmanager
    def _flight(self, key):
        with self._lock:
            flight = self._flights.setdefault(key, [threading.Lock(), 0])
            flight[1] += 1
        try:
            with flight[0]:
                yield
        finally:
            with self._lock:
                flight[1] -= 1
                if flight[1] == 0:
                    del self._flights[key]


def _held_bytes(value) -> int:
    """What a cached value holds, as far as it is frames (a frame's estimate; 0 for anything else)."""
    if isinstance(value, pl.DataFrame):
        return value.estimated_size()
    if isinstance(value, tuple):
        return sum(_held_bytes(v) for v in value)
    return 0


# The frames one process keeps for all its sessions: a lakh of documents a side comes to a few hundred MB
# for one client's documents, results, joined rows and actions; several clients fit, old versions do not pile up.
CACHE_BYTES = int(os.environ.get("IMS_WORKBENCH_CACHE_MB", "1024")) * 1024**2


class Workspace:
    """Everything the app does for a consultant, on one store."""

    def __init__(self, store: Store, user: str = "consultant") -> None:
        self.store = store
        self.user = user
        self._cache = _Cache(max_bytes=CACHE_BYTES)
        self._keys = _Cache(size=512)  # per stored import: its document keys and content signature

    def signed_in(self, user, on_use=None) -> Workspace:
        """This workspace as one signed-in person uses it (``user``: a ``recon.auth.User``).

        Their name goes into the audit trail, and the store is a ``recon.auth.ScopedStore``: only the
        clients assigned to them can be listed, opened, read or written. The database pool and the caches
        stay shared with every other session (cache keys carry the client, reached only after the check).
        """
        from recon.auth import ScopedStore

        view = copy.copy(self)
        view.store = ScopedStore(self.store, user, on_use)
        view.user = user.name
        return view

    # -- clients ----------------------------------------------------------------------------------

    def create_client(
        self, name: str, gstin: str, period: str, *, is_demo: bool = False, frequency: str = "monthly"
    ) -> Client:
        name, cleaned, period = check_client_fields(name, gstin, period)
        frequency = check_frequency(frequency)
        existing = self.store.client_by_gstin(cleaned)
        if existing:
            raise InputError(
                f"A client with GSTIN {cleaned} already exists ('{existing.name}').",
                column="GSTIN",
                hint="Select that client in the sidebar instead of creating it again.",
            )
        return self.store.add_client(
            name,
            cleaned,
            gstin_rules.state_code(cleaned),
            period,
            is_demo=is_demo,
            return_frequency=frequency,
        )

    def edit_client(
        self, client_id: int, name: str, gstin: str, period: str, *, frequency: str | None = None
    ) -> Client:
        """``frequency`` None keeps the client's return filing frequency as it is."""
        name, cleaned, period = check_client_fields(name, gstin, period)
        extra = {} if frequency is None else {"return_frequency": check_frequency(frequency)}
        other = self.store.client_by_gstin(cleaned)
        if other and other.id != client_id:
            raise InputError(
                f"GSTIN {cleaned} belongs to another client ('{other.name}').",
                column="GSTIN",
                hint="Check the GSTIN; each client has one registration here.",
            )
        return self.store.update_client(
            client_id,
            name=name,
            gstin=cleaned,
            state_code=gstin_rules.state_code(cleaned),
            return_period=period,
            **extra,
        )

    def is_quarterly(self, client_id: int) -> bool:
        """Whether the client files quarterly (QRMP): one GSTR-2B and one Pending window per quarter."""
        client = self.store.client(client_id)
        return client is not None and client.return_frequency == "quarterly"

    def clients(self) -> list[Client]:
        return self.store.clients()

    def client(self, client_id: int) -> Client | None:
        return self.store.client(client_id)

    # -- imports ----------------------------------------------------------------------------------

    def guess_books_layout(self, content: bytes, name: str, **options):
        """Sheet, header row and column mapping the books reader would use (editable on the page)."""
        from recon.readers.books import guess_layout

        return guess_layout(content, name, **options)

    def file_family(self, content: bytes, name: str) -> str:
        """'books' or 'portal': which kind of file this is, as reading it without a kind would decide."""
        from recon.readers.sniff import family

        return family(content, name)

    def misplaced(self, content: bytes, name: str, uploader: str) -> InputError | None:
        """Why a file does not belong on the 'books' or 'portal' uploader (and where it goes), else None."""
        from recon.readers.sniff import misplaced

        return misplaced(content, name, uploader)

    def read_file(self, content: bytes, name: str, *, kind: str | None = None, **options):
        """Read without saving (the import page shows what it would bring in)."""
        from recon import readers

        return readers.read(content, name, kind=kind, **options)

    def import_file(
        self,
        client_id: int,
        period: str,
        content: bytes,
        name: str,
        *,
        kind: str | None = None,
        mode: str = "replace",
        origin: str = "upload",
        confirmed: bool = False,
        **options,
    ) -> ImportOutcome:
        """Read one file and store its documents in the client's period (replace or add).

        Unless ``confirmed``, a file that looks like another client's or is mostly in the period already
        is not stored: ``ImportNeedsConfirmation`` carries the concerns and the file as read.
        """
        client = self._client(client_id)
        if (kind or self.file_family(content, name)) == "books":
            # A portal file is checked against the client here, where the message can name both clients.
            options.setdefault("recipient_gstin", client.gstin)
        result = self.read_file(content, name, kind=kind, **options)
        if not confirmed:
            # Refusals first (a wrong registration, the same content again); then the questions.
            self._check_recipient(client, result)
            if mode == "add":
                self._refuse_same_content(client.id, check_period(period), result)
            concerns = self.import_concerns(client.id, period, result, mode=mode)
            if concerns:
                raise ImportNeedsConfirmation(concerns, result)
        # Reading and checking write nothing; the operation row covers the write a kill could cut short.
        with self._operation("import", client.id, period, {"file": name, "mode": mode}) as operation:
            return self.import_read(client, period, result, mode=mode, origin=origin, operation_id=operation)

    def import_read(
        self, client: Client, period: str, result, *, mode: str, origin: str, operation_id: int | None = None
    ) -> ImportOutcome:
        """Store an already-read ReadResult (also used by the portal fetch and the demo).

        ``operation_id``: the import noted as in progress by the caller (closed with the stored import);
        without one it is noted here."""
        if operation_id is None:
            with self._operation(
                "import", client.id, period, {"file": result.file, "mode": mode}
            ) as operation:
                return self.import_read(
                    client, period, result, mode=mode, origin=origin, operation_id=operation
                )
        self._check_recipient(client, result)
        period = check_period(period)
        if mode == "add":
            self._refuse_same_content(client.id, period, result)
        if result.source == "ims":  # records no action can be sent for: named now, left out of uploads
            result.warnings.extend(ims_json.unsendable_issues(result.docs, result.file))
        warnings = [str(w) for w in result.warnings]
        import_id = self.store.add_import(
            client.id,
            period,
            result.source,
            result.file,
            _with_recipient(result.docs, client.gstin),
            mode=mode,
            origin=origin,
            who=self.user,
            summary=result.summary_lines(),
            warnings=warnings,
            operation_id=operation_id,
        )
        taxable, tax = _net_totals(result.docs)
        return ImportOutcome(
            import_id, result.source, result.summary_lines(), warnings, result.docs.height, taxable, tax
        )

    def _check_recipient(self, client: Client, result) -> None:
        # A portal file of another registration would silently produce a wrong upload: refuse it.
        found = (result.recipient_gstin or "").strip().upper()
        if result.source == "books" or not found or found == client.gstin:
            return
        owner = self.store.client_by_gstin(found)
        whose = f"client '{owner.name}'" if owner else "not a client in this workspace"
        raise InputError(
            f"this {_SOURCE_WORDS.get(result.source, result.source)} file is for GSTIN {found} ({whose}), "
            "but the selected client "
            f"is '{client.name}' (GSTIN {client.gstin}); nothing was imported.",
            file=result.file,
            hint=(
                f"Select '{owner.name}' in the sidebar to import it there, or download the file for "
                f"{client.gstin}."
                if owner
                else f"Download the file for {client.gstin}, or create the client this file belongs to."
            ),
        )

    def import_concerns(self, client_id: int, period: str, result, *, mode: str) -> list[ImportConcern]:
        """What to confirm before storing a read file: another client's data, documents already here."""
        client = self._client(client_id)
        concerns = []
        match = self.other_client_match(client_id, result.docs, period)
        if match is not None:
            message = import_checks.other_client_message(match, client.name, result.file)
            concerns.append(ImportConcern("other_client", message))
        if mode == "add":
            present = self.already_in_period(client_id, period, result)
            if present is not None:
                concerns.append(ImportConcern("already_in_period", present))
        return concerns

    def other_client_match(self, client_id: int, docs: pl.DataFrame, period: str) -> OtherClientMatch | None:
        """The client whose imported data the documents overlap far more than this client's, if any.

        Another client's data = its imports of this period and of the period it is being worked on (where
        a mixed-up file comes from), so that the check stays quick in a firm with many clients and years.
        """
        others = [c for c in self.store.clients() if c.id != client_id]
        new_keys = import_checks.document_keys(docs)
        if not others or new_keys.is_empty():
            return None
        ours = None  # this client's figures, needed only once another client's data fits the file
        best = None
        for other in others:
            theirs = import_checks.overlap(new_keys, self._client_keys(other, period))
            if not import_checks.belongs_elsewhere(theirs, import_checks.NO_OVERLAP):
                continue
            if ours is None:
                ours = import_checks.overlap(new_keys, self._client_keys(self._client(client_id), period))
            if import_checks.belongs_elsewhere(theirs, ours) and (
                best is None or theirs.documents > best.theirs.documents
            ):
                best = OtherClientMatch(other.id, other.name, other.gstin, theirs, ours)
        return best

    def already_in_period(self, client_id: int, period: str, result) -> str | None:
        """When most documents of the file are already in the period (same source): what to tell."""
        records = [r for r in self.store.imports(client_id, period) if r.source == result.source]
        if not records:
            return None
        new_keys = import_checks.document_keys(result.docs)
        known = pl.concat([self._import_keys(r)[0] for r in records]).unique()
        found = import_checks.overlap(new_keys, known)
        if found.share < import_checks.MOSTLY_PRESENT:
            return None
        from recon.present import period_label

        names = ", ".join(f"'{r.file_name}' ({r.imported_at:%d-%m-%Y %H:%M})" for r in records)
        return (
            f"{found.documents:,} of the {found.file_documents:,} documents of {result.file} are already "
            f"in {period_label(period)}, imported from {names}. Adding the file books them a second time."
        )

    def _refuse_same_content(self, client_id: int, period: str, result) -> None:
        """'Add' of documents identical to an earlier import of the period would double every one."""
        signature = import_checks.content_signature(result.docs)
        if not signature:
            return
        for record in self.store.imports(client_id, period):
            if record.source == result.source and self._import_keys(record)[1] == signature:
                from recon.present import period_label

                who = f" by {record.imported_by}" if record.imported_by else ""
                raise InputError(
                    f"the same documents were already imported into {period_label(period)} as "
                    f"'{record.file_name}' on {record.imported_at:%d-%m-%Y %H:%M}{who}; adding them again "
                    "would book every document twice, so nothing was imported.",
                    file=result.file,
                    hint="Choose 'Replace' to read the file again, or pick the file you meant to add.",
                )

    def _client_keys(self, client: Client, period: str) -> pl.DataFrame:
        """Document keys of a client's active imports in ``period`` and in the period it is worked on."""
        frames = [
            self._import_keys(record)[0]
            for each in dict.fromkeys((period, client.return_period))
            for record in self.store.imports(client.id, each)
        ]
        if not frames:
            return import_checks.document_keys(model.empty())
        return pl.concat(frames).unique()

    def _import_keys(self, record) -> tuple[pl.DataFrame, str]:
        """(document keys, content signature) of one stored import, computed once per revision."""
        key = (record.id, record.revision)
        cached = self._keys.get(key)
        if cached is None:
            docs = self.store.import_documents(record.id)
            cached = self._keys.put(
                key, (import_checks.document_keys(docs), import_checks.content_signature(docs))
            )
        return cached

    def imports(self, client_id: int, period: str):
        return self.store.imports(client_id, period)

    def documents(self, client_id: int, period: str, source: str) -> pl.DataFrame:
        """The canonical documents of one source in a period: all active imports, added together."""
        records = [r for r in self.store.imports(client_id, period) if r.source == source]
        key = ("docs", source, tuple((r.id, r.revision) for r in records))
        return self._cache.get_or_compute(key, lambda: self._read_documents(records, source))

    def _read_documents(self, records, source: str) -> pl.DataFrame:
        # An import stored before a canonical column existed reads with that column empty.
        frames = [_canonical(self.store.import_documents(r.id)) for r in records]
        if not frames:
            return model.empty()
        combined = pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]
        return _one_row_per_doc_id(combined, source)

    def portal_source(self, client_id: int, period: str) -> str | None:
        """Which portal data the period is reconciled against: IMS when imported, else 2B, else 2A."""
        present = {r.source for r in self.store.imports(client_id, period)}
        return next((s for s in PORTAL_PREFERENCE if s in present), None)

    # -- reconciliation ---------------------------------------------------------------------------

    def settings(self, client_id: int, period: str) -> Settings:
        return Settings.from_dict(self.store.period_settings(client_id, period))

    def save_settings(self, client_id: int, period: str, settings: Settings) -> None:
        self.store.save_period_settings(client_id, period, settings.to_dict())

    def _inputs(self, client_id: int, period: str) -> dict:
        records = self.store.imports(client_id, period)
        portal_source = self.portal_source(client_id, period)
        linked, unlinked = self.store.links(client_id, period)
        inputs = {
            "books": [[r.id, r.revision] for r in records if r.source == "books"],
            "portal": [[r.id, r.revision] for r in records if r.source == portal_source],
            "portal_source": portal_source,
            "links": [list(p) for p in linked],
            "unlinks": [list(p) for p in unlinked],
            "settings": self.settings(client_id, period).to_dict(),
        }
        # Only a run with earlier statements carries the open pool's inputs: a single-period run keeps
        # the fingerprint, and so the stored results, it always had.
        history = self._history_imports(client_id, period) if portal_source == "ims" else []
        if self.is_quarterly(client_id):  # only then: a monthly client's fingerprint stays as it was
            inputs["quarterly"] = True
        if history:
            inputs["history"] = history
            inputs["earlier_books"] = [
                [p, r.id, r.revision]
                for p in self._earlier_periods(client_id, period)
                for r in self.store.imports(client_id, p)
                if r.source == "books"
            ]
        return inputs

    # -- the open pool (docs/reference/ims-rules.md §1-§3, §7) ---------------------------------------

    def _earlier_periods(self, client_id: int, period: str) -> list[str]:
        """The client's periods before ``period``, newest first."""
        from recon.pool import is_earlier

        return [p for p in self.store.periods(client_id) if p != period and is_earlier(p, period)]

    def _history_imports(self, client_id: int, period: str) -> list[list]:
        """[period, import id, revision] of each GSTR-2B imported for an earlier period of the client.

        A quarterly client's 2B is its quarter's: one of the current quarter is not earlier, whichever
        of the quarter's months it was imported for.
        """
        from recon.pool import is_earlier_statement

        quarterly = self.is_quarterly(client_id)
        return [
            [p, r.id, r.revision]
            for p in self._earlier_periods(client_id, period)
            if is_earlier_statement(p, period, quarterly=quarterly)
            for r in self.store.imports(client_id, p)
            if r.source == "gstr2b"
        ]

    def history(self, client_id: int, period: str) -> list[tuple[str, pl.DataFrame]]:
        """(period, GSTR-2B documents) of each earlier statement the open pool settles against."""
        periods = sorted({p for p, _, _ in self._history_imports(client_id, period)})
        return [(p, self.documents(client_id, p, "gstr2b")) for p in periods]

    def pool_books(self, client_id: int, period: str) -> pl.DataFrame:
        """The books of ``period`` and every earlier period, each document once.

        A register imported for a later period replaces the earlier copy of the months it covers (the
        financial-year-to-date export repeats the months before it): an earlier import keeps only its
        documents booked in months no later import covers, and none a later import holds by id.
        """
        return self._pool_books(client_id, period)[0]

    def booking_periods(self, client_id: int, period: str) -> pl.DataFrame:
        """(doc_id, books_period) of the pool's books: the voucher date's month, else the import's month."""
        return self._pool_books(client_id, period)[1]

    def _pool_books(self, client_id: int, period: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        from recon.pool import booking_periods

        frames, months_of, covered, seen = [], [], set(), set()
        for p in [period, *self._earlier_periods(client_id, period)]:  # newest first
            docs = self.documents(client_id, p, "books")
            if docs.is_empty():
                continue
            booked = booking_periods(docs, p)
            months = booked["books_period"]
            keep = ~months.is_in(list(covered)) & ~docs["doc_id"].is_in(list(seen))
            frames.append(docs.filter(keep) if covered else docs)
            months_of.append(booked.filter(keep) if covered else booked)
            covered |= set(months.drop_nulls().to_list())
            seen |= set(docs["doc_id"].to_list())
        if not frames:
            return model.empty(), pl.DataFrame(schema={"doc_id": pl.String, "books_period": pl.String})
        if len(frames) == 1:
            return frames[0], months_of[0]
        return pl.concat(frames, how="vertical_relaxed"), pl.concat(months_of)

    def _books(self, client_id: int, period: str, inputs: dict) -> pl.DataFrame:
        """The books a run reads: the open pool's when earlier statements exist, else the period's."""
        if inputs.get("history"):
            return self.pool_books(client_id, period)
        return self.documents(client_id, period, "books")

    def timeline(self, client_id: int, period: str) -> pl.DataFrame:
        """The client's months up to ``period`` (recon.timeline): booked, in IMS, in 2B, settled, open.

        A quarterly client's rows are its quarters.
        """
        from recon.pool import booking_periods
        from recon.timeline import timeline_frame

        inputs = self._inputs(client_id, period)
        if inputs.get("history"):
            books, months = self._pool_books(client_id, period)
        else:
            books = self._books(client_id, period, inputs)
            months = booking_periods(books, period)
        statements = self.history(client_id, period) if inputs.get("history") else []
        current_2b = self.documents(client_id, period, "gstr2b")
        if not current_2b.is_empty():
            statements = [*statements, (period, current_2b)]
        return timeline_frame(
            self.results(client_id, period),
            books,
            self.documents(client_id, period, "ims"),
            statements,
            current_period=period,
            books_periods=months,
            quarterly=bool(inputs.get("quarterly")),
        )

    def _view_portal(self, client_id: int, period: str, inputs: dict) -> pl.DataFrame:
        """The portal documents rows may name: the period's, plus the earlier statements' (settled rows)."""
        portal = self.documents(client_id, period, inputs["portal_source"])
        statements = [docs for _, docs in self.history(client_id, period)] if inputs.get("history") else []
        if not statements:
            return portal
        return pl.concat([portal, *statements], how="vertical_relaxed").unique(
            "doc_id", keep="first", maintain_order=True
        )

    def ready(self, client_id: int, period: str) -> tuple[bool, str]:
        """Whether the period can be reconciled, and if not, what to import."""
        records = self.store.imports(client_id, period)
        sources = {r.source for r in records}
        if "books" not in sources and not sources & set(PORTAL_PREFERENCE):
            return False, "Import the purchase books and the IMS download (or GSTR-2B) on the Import page."
        if "books" not in sources:
            return False, "Import the purchase books (ITC register) on the Import page."
        if not sources & set(PORTAL_PREFERENCE):
            return (
                False,
                "Import the IMS download or GSTR-2B, or fetch IMS from the portal, on the Import page.",
            )
        return True, ""

    def reconcile(self, client_id: int, period: str, settings: Settings | None = None) -> pl.DataFrame:
        """Run the engine on the period's documents and store the result with the settings used."""
        from recon.match import reconcile

        if settings is not None:
            self.save_settings(client_id, period, settings)
        inputs = self._inputs(client_id, period)
        with self._operation(
            "reconcile", client_id, period, {"portal_source": inputs["portal_source"]}
        ) as op:
            portal = self.documents(client_id, period, inputs["portal_source"])
            run = dict(
                settings=Settings.from_dict(inputs["settings"]),
                links=[tuple(p) for p in inputs["links"]],
                unlinks=[tuple(p) for p in inputs["unlinks"]],
            )
            if inputs.get("history"):
                from recon.pool import reconcile_open_pool

                history = self.history(client_id, period)
                books, months = self._pool_books(client_id, period)
                frame = reconcile_open_pool(
                    books,
                    portal,
                    history,
                    current_period=period,
                    books_periods=months,
                    quarterly=bool(inputs.get("quarterly")),
                    **run,
                )
            else:
                frame = reconcile(self._books(client_id, period, inputs), portal, **run)
            self.store.save_results(
                client_id,
                period,
                inputs["portal_source"],
                inputs["settings"],
                inputs,
                frame,
                who=self.user,
                operation_id=op,
            )
        self._cache.put(("results", client_id, period, _fingerprint(inputs)), frame)
        return frame

    def results(self, client_id: int, period: str) -> pl.DataFrame:
        """The current results: stored ones when their inputs are unchanged, else a fresh run."""
        inputs = self._inputs(client_id, period)
        key = ("results", client_id, period, _fingerprint(inputs))
        return self._cache.get_or_compute(
            key, lambda: self._stored_or_fresh_results(client_id, period, inputs)
        )

    def _stored_or_fresh_results(self, client_id: int, period: str, inputs: dict) -> pl.DataFrame:
        stored_inputs = self.store.results_inputs(client_id, period)
        if stored_inputs is not None and _fingerprint(stored_inputs) == _fingerprint(inputs):
            return self.store.results(client_id, period).frame
        return self.reconcile(client_id, period)

    def joined(self, client_id: int, period: str) -> pl.DataFrame:
        """Result rows with their books and portal documents side by side (recon.match.view)."""
        from recon.paper import joined_view

        inputs = self._inputs(client_id, period)
        # A GSTR-2B imported later changes the names the rows carry, not the results.
        statements = tuple(r.id for r in self.store.imports(client_id, period) if r.source == "gstr2b")
        key = ("joined", client_id, period, _fingerprint(inputs), statements)

        def compute() -> pl.DataFrame:
            results = self.results(client_id, period)
            books = self._books(client_id, period, inputs)
            portal = self._view_portal(client_id, period, inputs)
            statement = self._name_statement(client_id, period, inputs["portal_source"])
            return _with_review_columns(joined_view(results, books, portal, statement))

        return self._cache.get_or_compute(key, compute)

    def review_version(self, client_id: int, period: str) -> tuple:
        """What the review table of a period is computed from: equal versions, equal tables.

        Inputs (imports, links, settings), the GSTR-2B names, the decisions and the last connector upload
        (what it refused); callers key shared copies of the table (the grid's rows) by it. The day is in
        it too: a decision's age ("decided 34 days ago") changes with it.
        """
        inputs = self._inputs(client_id, period)
        statements = tuple(r.id for r in self.store.imports(client_id, period) if r.source == "gstr2b")
        return (
            client_id,
            period,
            _fingerprint(inputs),
            statements,
            self.store.decisions_version(client_id),
            _fingerprint({"refused": self.portal_refusals(client_id, period)}),
            date.today().isoformat(),
        )

    def review(self, client_id: int, period: str) -> pl.DataFrame:
        """The grid table: joined rows plus the effective action (decision else suggestion)."""

        def compute() -> pl.DataFrame:
            base = self.joined(client_id, period)
            frame = _attach_actions(base, self.wanted_actions(client_id, period))
            frame = _attach_would_refuse(frame, self.unsendable(client_id, period))
            frame = _attach_portal_refusals(frame, self.portal_refusals(client_id, period))
            return _attach_memory(frame, self.decision_memory(client_id, period))

        return self._cache.get_or_compute(("review", *self.review_version(client_id, period)), compute)

    def decision_memory(self, client_id: int, period: str, today: date | None = None) -> pl.DataFrame:
        """Decisions taken while working an earlier period, with their age: (portal_doc_id, memory).

        A record stays in the inbox month after month; its decision, remark and link stay with it (they
        are keyed by the document), and ``memory`` says when and in which month it was taken, e.g.
        'decided 34 days ago, in Sep 2025'.
        """
        from zoneinfo import ZoneInfo

        from recon.pool import is_earlier

        today = today or datetime.now(ZoneInfo("Asia/Kolkata")).date()  # the consultant's calendar
        decided = self.store.decisions(client_id).select("portal_doc_id", "period", "decided_at")
        earlier = [p for p in decided["period"].drop_nulls().unique().to_list() if is_earlier(p, period)]
        decided = decided.filter(pl.col("period").is_in(earlier))
        days = (
            pl.lit(today) - pl.col("decided_at").dt.convert_time_zone("Asia/Kolkata").dt.date()
        ).dt.total_days()
        return decided.select(
            "portal_doc_id",
            pl.concat_str(
                pl.lit("decided "),
                pl.when(days == 0)
                .then(pl.lit("today"))
                .otherwise(days.cast(pl.String) + pl.lit(" days ago")),
                pl.lit(", in "),
                month_words(pl.col("period")),
            ).alias("memory"),
        )

    # -- decisions --------------------------------------------------------------------------------

    def decisions(self, client_id: int) -> pl.DataFrame:
        return self.store.decisions(client_id)

    def _decision_objects(self, client_id: int) -> list:
        from recon.actions import Decision

        frame = self.store.decisions(client_id)
        names = [f for f in Decision.__dataclass_fields__ if f in frame.columns and f != "decided_at"]
        return [Decision(**{k: row[k] for k in names}) for row in frame.iter_rows(named=True)]

    def set_action(
        self,
        client_id: int,
        period: str,
        portal_doc_ids: list[str],
        action: str,
        *,
        remarks: str | None = None,
        itc_reduction: dict | None = None,
        source: str = "user",
        confirmed: bool = False,
        expected: dict[str, str | None] | None = None,
    ) -> ActionOutcome:
        """Set one action on portal documents, through the guards of recon.actions.check_decision.

        ``itc_reduction``: {portal_doc_id: {"itc_red_req": "Y"/"N", "decl_igst": ..}} for credit notes.
        Guards that refuse (Pending blocked, Reject on imports) refuse; guards that warn (unfiled
        supplier, the cost of a Reject) need ``confirmed=True``.
        ``expected``: {doc id: decision version when the writer read it} (``decision_versions``); a
        document changed by someone else since raises :class:`DecisionConflict` and nothing is saved.
        """
        if action not in model.IMS_ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        portal = self.documents(client_id, period, self.portal_source(client_id, period))
        wanted_ids = list(dict.fromkeys(portal_doc_ids))
        docs = portal.filter(pl.col("doc_id").is_in(wanted_ids))
        requested = _requested_decisions(docs, action, remarks, itc_reduction or {})
        outcome = self._save_requested(
            client_id, period, docs, requested, source=source, confirmed=confirmed, expected=expected
        )
        missing = set(wanted_ids) - set(docs["doc_id"].to_list())
        outcome.refused += [(m, "not a portal document of this period") for m in sorted(missing)]
        return outcome

    def _save_requested(
        self,
        client_id: int,
        period: str,
        docs: pl.DataFrame,
        requested: pl.DataFrame,
        *,
        source: str,
        confirmed: bool,
        expected: dict[str, str | None] | None = None,
        keep_others: bool = False,
    ) -> ActionOutcome:
        """Save ``requested`` (one decision per row of ``docs``, same order) through the guards.

        ``expected``: see set_action. ``keep_others``: a document decided by someone else meanwhile keeps
        that decision and is listed as refused, instead of refusing the whole write.

        Guards that refuse (Pending blocked, Reject on imports) refuse; guards that warn (unfiled
        supplier, the cost of a Reject) need ``confirmed=True``.
        """
        from recon.actions import Decision, decision_cautions, guard_check

        # One vectorised pass of the guards (check_decision's rules) for the whole selection: a bulk
        # Accept of a lakh of rows must not cost a lakh of single-row checks.
        checked = guard_check(
            docs, requested.rename({"action": "wanted_action"}), quarterly=self.is_quarterly(client_id)
        )
        outcome = ActionOutcome()
        rows = []
        for doc, request, problems in zip(
            docs.iter_rows(named=True),
            requested.iter_rows(named=True),
            checked.get_column("guard_problems").to_list(),
            strict=True,
        ):
            if problems:
                outcome.refused.append((doc["doc_id"], "; ".join(problems)))
                continue
            decision = Decision(**{k: v for k, v in request.items() if k in Decision.__dataclass_fields__})
            cautions = decision_cautions(doc, decision)
            if cautions and not confirmed:
                outcome.refused.append((doc["doc_id"], "needs confirmation: " + "; ".join(cautions)))
                continue
            rows.append(_decision_row(decision))
        while True:
            try:
                outcome.saved = self._write_decisions(client_id, period, rows, source, expected)
                break
            except DecisionConflict as conflict:
                if not keep_others:
                    conflict.labels = self._document_labels(client_id, period, conflict.doc_ids)
                    raise
                taken = set(conflict.doc_ids)
                rows = [r for r in rows if r["portal_doc_id"] not in taken]
                outcome.refused += [(c.portal_doc_id, _decided_meanwhile(c)) for c in conflict.changes]
        outcome.unchanged = len(rows) - outcome.saved
        return outcome

    def _write_decisions(self, client_id, period, rows, source, expected) -> int:
        """One transaction; a large one is noted as an operation first, closed by that transaction."""
        if len(rows) < BULK_OPERATION_ROWS:
            return self.store.save_decisions(
                client_id, period, rows, source=source, who=self.user, expected=expected
            )
        actions = sorted({r["action"] for r in rows})
        with self._operation("bulk", client_id, period, {"documents": len(rows), "actions": actions}) as op:
            return self.store.save_decisions(
                client_id, period, rows, source=source, who=self.user, expected=expected, operation_id=op
            )

    def decision_versions(self, client_id: int, doc_ids: list[str] | None = None) -> dict[str, str]:
        """{doc id: version} of the decisions as saved now: read with the grid, handed back to set_action."""
        return self.store.decision_versions(client_id, doc_ids)

    def _document_labels(self, client_id: int, period: str, doc_ids: list[str]) -> dict[str, str]:
        """What a person calls each portal document: the supplier's name (as the grid shows it, else the
        GSTIN) and the document number."""
        portal = self.documents(client_id, period, self.portal_source(client_id, period))
        rows = portal.filter(pl.col("doc_id").is_in(doc_ids)).select(
            "doc_id", "supplier_gstin", pl.col("doc_no").cast(pl.String)
        )
        named = {}
        if self.store.results_inputs(client_id, period) is not None:  # names only where a run exists
            view = self.joined(client_id, period).filter(pl.col("portal_doc_id").is_in(doc_ids))
            named = dict(zip(view["portal_doc_id"].to_list(), view["supplier_name"].to_list(), strict=True))
        return {
            r["doc_id"]: f"{named.get(r['doc_id']) or r['supplier_gstin']} {r['doc_no']}"
            for r in rows.iter_rows(named=True)
        }

    # -- explicit suggestion steps ------------------------------------------------------------------

    def matched_to_accept(self, client_id: int, period: str, *, filed_only: bool = True) -> pl.DataFrame:
        """Matched documents an "accept matched" click would accept: no decision yet, not Accepted on the
        portal already, not a pair still to confirm; with ``filed_only`` only where the supplier filed.

        Columns: portal_doc_id, supplier_filed, doc_kind.
        """
        wanted = self.wanted_actions(client_id, period)
        pairs = self.results(client_id, period).filter(pl.col("category") == "matched")
        to_confirm = pairs.filter(needs_pair_confirmation()).get_column("portal_doc_id")
        portal = self.documents(client_id, period, self.portal_source(client_id, period))
        facts = portal.select(
            pl.col("doc_id").alias("portal_doc_id"), "doc_kind", pl.col("supplier_filed").fill_null(True)
        ).unique("portal_doc_id", keep="first", maintain_order=True)
        rows = wanted.filter(
            (pl.col("category") == "matched")
            & pl.col("decision_action").is_null()
            & (pl.col("ims_action") != "A")
            & ~pl.col("portal_doc_id").is_in(to_confirm.drop_nulls().implode())
        ).join(facts, on="portal_doc_id", how="left", maintain_order="left")
        if filed_only:
            rows = rows.filter(pl.col("supplier_filed"))
        return rows.select("portal_doc_id", "supplier_filed", "doc_kind")

    def accept_matched(self, client_id: int, period: str, *, filed_only: bool = True) -> ActionOutcome:
        """Accept every matched document in one click, saved as the consultant's own decisions.

        ``filed_only`` (the first button): only where the supplier has filed. Without it the unfiled ones
        are accepted too — the button says how many, so the click is the confirmation. Credit notes carry
        the ITC reduction at the books' amounts (capped at the note).
        """
        rows = self.matched_to_accept(client_id, period, filed_only=filed_only)
        if rows.is_empty():
            return ActionOutcome()
        ids = rows.get_column("portal_doc_id").to_list()
        notes = rows.filter(pl.col("doc_kind") == "credit_note").get_column("portal_doc_id").to_list()
        portal = self.documents(client_id, period, self.portal_source(client_id, period))
        docs = portal.filter(pl.col("doc_id").is_in(ids))
        requested = _requested_decisions(docs, "A", None, self._books_reductions(client_id, period, notes))
        # Only undecided documents are accepted: one decided by someone meanwhile keeps that decision.
        return self._save_requested(
            client_id,
            period,
            docs,
            requested,
            source="user",
            confirmed=not filed_only,
            expected=dict.fromkeys(ids),
            keep_others=True,
        )

    def _books_reductions(self, client_id: int, period: str, note_ids: list[str]) -> dict[str, dict]:
        """{credit note id: its ITC-reduction answer from the paired books entry} (recon.actions rule)."""
        from recon.actions import HEADS, books_declaration

        if not note_ids:
            return {}
        portal = self.documents(client_id, period, self.portal_source(client_id, period))
        books = self.documents(client_id, period, "books")
        pairs = self.results(client_id, period).filter(pl.col("portal_doc_id").is_in(note_ids))
        books_by_id = {
            r["doc_id"]: r
            for r in books.filter(
                pl.col("doc_id").is_in(pairs["books_doc_id"].drop_nulls().implode())
            ).iter_rows(named=True)
        }
        notes_by_id = {
            r["doc_id"]: r for r in portal.filter(pl.col("doc_id").is_in(note_ids)).iter_rows(named=True)
        }
        out = {}
        for pair in pairs.iter_rows(named=True):
            note = notes_by_id.get(pair["portal_doc_id"])
            entry = books_by_id.get(pair["books_doc_id"], {})
            if note is not None:
                out[note["doc_id"]] = books_declaration(note, {h: entry.get(h) for h in HEADS})
        return out

    def suggestions_to_apply(
        self, client_id: int, period: str, *, actions: tuple[str, ...] = ("A", "R", "P")
    ) -> pl.DataFrame:
        """Suggestions an "apply these suggestions" step would save: one row per portal document whose
        suggested action differs from the portal's and that nobody has decided.

        Columns: portal_doc_id, supplier, supplier_gstin, doc_no, category, suggested_action, why,
        suggested_remark, portal_would_refuse (why the upload will leave it out, else null).
        """
        wanted = self.wanted_actions(client_id, period)
        rows = wanted.filter(
            (pl.col("action_source") == "suggested")
            & pl.col("suggested_action").is_in(list(actions))
            & (pl.col("suggested_action") != pl.col("ims_action"))
        )
        names = (
            self.joined(client_id, period)
            .select("portal_doc_id", "supplier_name", pl.col("action_reason").alias("why"))
            .filter(pl.col("portal_doc_id").is_not_null())
            .unique("portal_doc_id", keep="first", maintain_order=True)
        )
        refused = self.unsendable(client_id, period).rename({"doc_id": "portal_doc_id", "reason": "refusal"})
        rows = rows.join(names, on="portal_doc_id", how="left", maintain_order="left").join(
            refused, on="portal_doc_id", how="left", maintain_order="left"
        )
        return rows.select(
            "portal_doc_id",
            pl.coalesce("supplier_name", "supplier_gstin").alias("supplier"),
            "supplier_gstin",
            "doc_no",
            "category",
            "suggested_action",
            "why",
            pl.col("remarks").alias("suggested_remark"),
            pl.col("refusal").alias("portal_would_refuse"),
        )

    def apply_suggestions(
        self, client_id: int, period: str, portal_doc_ids: list[str], *, confirmed: bool = False
    ) -> ActionOutcome:
        """Save each listed document's suggested action (and its suggested remark and ITC reduction) as a
        decision of the consultant, through the same guards as set_action.

        Documents decided since the list was shown keep their decision (refused: "already decided").
        Rejects, and Accepts of unfiled suppliers' documents, need ``confirmed=True`` — the page shows
        the list before the button.
        """
        wanted = self.wanted_actions(client_id, period)
        ids = list(dict.fromkeys(portal_doc_ids))
        portal = self.documents(client_id, period, self.portal_source(client_id, period))
        docs = portal.filter(pl.col("doc_id").is_in(ids)).unique("doc_id", keep="first", maintain_order=True)
        chosen = docs.select(pl.col("doc_id").alias("portal_doc_id")).join(
            wanted, on="portal_doc_id", how="left", maintain_order="left"
        )
        open_ = (chosen.get_column("action_source") == "suggested") & chosen.get_column(
            "suggested_action"
        ).is_not_null()
        outcome = ActionOutcome()
        outcome.refused += [
            (doc_id, "already decided, or nothing suggested: left as it is")
            for doc_id in chosen.filter(~open_).get_column("portal_doc_id").to_list()
        ]
        docs, chosen = docs.filter(open_), chosen.filter(open_)
        requested = chosen.select(
            "portal_doc_id",
            pl.col("suggested_action").alias("action"),
            "remarks",
            "itc_red_req",
            *DECL_COLUMNS,
        ).with_columns(docs.get_column("content_hash").alias("content_hash"))
        undecided = dict.fromkeys(chosen.get_column("portal_doc_id").to_list())
        saved = self._save_requested(
            client_id,
            period,
            docs,
            requested,
            source="user",
            confirmed=confirmed,
            expected=undecided,
            keep_others=True,
        )
        saved.refused = outcome.refused + saved.refused
        missing = set(ids) - set(portal.get_column("doc_id").to_list())
        saved.refused += [(m, "not a portal document of this period") for m in sorted(missing)]
        return saved

    def audit_trail(self, client_id: int, period: str | None = None) -> pl.DataFrame:
        return self.store.audit_trail(client_id, period)

    def audit_csv(self, client_id: int, period: str | None = None) -> bytes:
        """The audit trail as the CSV people download: a remark or number starting '=' stays text."""
        from recon import safe_text

        return safe_text.csv_bytes(self.audit_trail(client_id, period))

    # -- manual links -----------------------------------------------------------------------------

    def link(self, client_id: int, period: str, books_doc_id: str, portal_doc_id: str) -> pl.DataFrame:
        """Pair a books-only entry with an IMS-only record by hand, then reconcile again."""
        self.store.set_link(client_id, period, books_doc_id, portal_doc_id, "link", who=self.user)
        return self.reconcile(client_id, period)

    def unlink(self, client_id: int, period: str, books_doc_id: str, portal_doc_id: str) -> pl.DataFrame:
        """Undo a pair so the engine never makes it again, then reconcile again."""
        self.store.set_link(client_id, period, books_doc_id, portal_doc_id, "unlink", who=self.user)
        return self.reconcile(client_id, period)

    # -- the upload -------------------------------------------------------------------------------

    def wanted_actions(self, client_id: int, period: str) -> pl.DataFrame:
        from recon.actions import effective_actions

        inputs = self._inputs(client_id, period)
        key = ("wanted", client_id, period, _fingerprint(inputs), self.store.decisions_version(client_id))

        def compute() -> pl.DataFrame:
            portal = self.documents(client_id, period, inputs["portal_source"])
            books = self._books(client_id, period, inputs)
            # The stored decisions go in as a frame: no Decision object per row.
            # decided_at is left out, as _decision_objects leaves it out.
            decided = self.store.decisions(client_id).with_columns(
                pl.lit(None, dtype=pl.Datetime("us")).alias("decided_at")
            )
            return effective_actions(
                self.results(client_id, period),
                portal,
                decided,
                books=books,
                quarterly=bool(inputs.get("quarterly")),
            )

        return self._cache.get_or_compute(key, compute)

    def upload_problems(self, client_id: int, period: str) -> pl.DataFrame:
        """Decided documents whose action the portal would refuse (guards), with the reasons."""
        wanted = self.wanted_actions(client_id, period)
        return wanted.filter(
            (pl.col("action_source") == "user")
            & pl.col("changed")
            & (pl.col("guard_problems").list.len() > 0)
        )

    def unsendable(self, client_id: int, period: str) -> pl.DataFrame:
        """The period's IMS records the portal would refuse any action for: doc_id, reason."""
        inputs = self._inputs(client_id, period)
        key = ("unsendable", client_id, period, _fingerprint(inputs))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if inputs["portal_source"] != "ims":
            return self._cache.put(key, pl.DataFrame(schema={"doc_id": pl.String, "reason": pl.String}))
        return self._cache.put(key, ims_json.unsendable(self.documents(client_id, period, "ims")))

    def build_upload(self, client_id: int, period: str, profile: str = "offline"):
        """SAVE / RESET payloads for what the consultant decided, where it differs from the portal.

        Only decisions are sent (a suggestion is shown, never sent: apply it first to make it a
        decision). A record the portal would refuse is left out and listed in ``Upload.left_out``;
        everything else is written. The same Upload carries the API profile of the same records
        (``ims_json.api_payloads``), so the connector sends exactly what the screen counted.
        """
        client = self._client(client_id)
        if self.portal_source(client_id, period) != "ims":
            raise InputError(
                "Actions can only be sent for IMS records; this period has no IMS data.",
                hint="Import the IMS download or fetch IMS from the portal on the Import page.",
            )
        portal = self.documents(client_id, period, "ims")
        wanted = self.wanted_actions(client_id, period)
        return ims_json.build(portal, wanted, client.gstin, profile=profile, period=period)

    def previous_portal_documents(self, client_id: int, period: str) -> pl.DataFrame | None:
        """The IMS documents held now (to say what a fresh download changed), or None."""
        docs = self.documents(client_id, period, "ims")
        return None if docs.is_empty() else docs

    def portal_refusals(self, client_id: int, period: str) -> dict[str, str]:
        """What the portal refused in the last upload through the connector: {portal doc_id: code and message}.

        A later upload replaces the list, so a record re-sent successfully loses its refusal.
        """
        for upload in self.store.uploads(client_id, period):
            if upload["route"] == "portal":
                return dict(upload["summary"].get("refused") or {})
        return {}

    def mark_uploaded(
        self,
        client_id: int,
        period: str,
        actions: dict[str, str],
        *,
        route: str,
        profile: str,
        refused: dict[str, str] | None = None,
        operation_id: int | None = None,
        outcome: str = "",
    ):
        """The portal accepted these actions: record them as its new state (``ims_action``).

        ``refused``: {portal doc_id: the portal's code and message} for records it turned down; the grid
        shows them on their rows until the next upload. The rewritten documents, the upload row and the
        closing of ``operation_id`` are one transaction.
        """
        rewritten = {}
        for record in self.store.imports(client_id, period):
            if record.source != "ims":
                continue
            docs = self.store.import_documents(record.id)
            hit = docs.filter(pl.col("doc_id").is_in(list(actions)))
            if hit.is_empty():
                continue
            rewritten[record.id] = docs.with_columns(
                pl.col("doc_id").replace_strict(actions, default=pl.col("ims_action")).alias("ims_action")
            )
        self.store.record_upload(
            client_id,
            period,
            rewritten,
            route=route,
            profile=profile,
            summary={
                "actions": dict(sorted(actions.items())),
                "refused": dict(sorted((refused or {}).items())),
            },
            status="saved" if not refused else "saved with errors",
            who=self.user,
            operation_id=operation_id,
            outcome=outcome,
        )
        self._cache.clear()

    # -- the upload through the connector, resumable ----------------------------------------------

    def upload_to_portal(self, client_id: int, period: str, upload, connector, *, progress=None):
        """Send the Upload the screen counted through the connector and record what the portal holds.

        Noted as an operation first, with the records it sends; each reference id the portal gives is
        stored before its status is polled, so a kill mid-way can be finished by ``resume_upload``.
        Returns (the service's UploadOutcome, per document: portal_doc_id, action, ok, error_cd, error_msg).
        Raises the connector's OtpRequired / PortalError (nothing recorded as applied then).
        """
        from recon.portal.client import OtpRequired
        from recon.portal.service import upload as send

        payloads = ims_json.api_payloads(upload)
        detail = {
            "documents": upload.records.height,
            "actions": upload.summary().get("by_action", {}),
            "records": _upload_records(upload.records),
        }
        with self._operation("upload", client_id, period, detail) as operation:
            try:
                outcome = send(
                    connector,
                    payloads,
                    progress=progress,
                    on_reference=lambda reference, body: self.store.add_operation_reference(
                        operation, reference, body
                    ),
                )
            except OtpRequired as err:
                # The session ended part-way: what the portal applied before it is recorded all the same.
                partial = getattr(err, "partial", None)
                if partial is not None and any(r.ok for r in partial.per_record):
                    by_doc = portal_outcome_by_doc(upload, partial.per_record)
                    self._record_portal_outcome(client_id, period, by_doc, operation, "")
                raise
            by_doc = portal_outcome_by_doc(upload, outcome.per_record)
            waiting = outcome.references and by_doc.filter(pl.col("ok").is_null()).height
            # Still processing at the portal: what it applied is recorded, and the operation stays open
            # (owned by nobody) so that the Upload page can fetch the rest of its answer later.
            if not waiting:
                self._record_portal_outcome(client_id, period, by_doc, operation, "")
            else:
                if by_doc.filter(pl.col("ok").is_not_null()).height:
                    self._record_portal_outcome(client_id, period, by_doc, None, "")
                self.store.release_operation(operation, "the portal was still processing")
        return outcome, by_doc

    def resume_upload(self, operation_id: int, connector) -> str:
        """Finish an interrupted upload: ask the portal for the status of every stored reference id, record
        what it applied (``mark_uploaded``) and close the operation. Returns what happened, in words.

        Needs a portal session (the connector raises OtpRequired otherwise; the operation stays open).
        A body sent without a stored reference is settled by what the portal now holds for its records.
        """
        from recon.portal.client import OtpRequired, PortalError
        from recon.portal.service import resume

        operation = self.store.operation(operation_id)
        if operation is None or operation["finished_at"] is not None:
            return "That upload was already recorded."
        detail = operation["detail"]
        records = pl.DataFrame(detail.get("records") or [], schema=_UPLOAD_RECORD_SCHEMA)
        per_record = []
        for stored in detail.get("references", []):
            try:
                per_record.extend(resume(connector, stored["reference"], stored["body"]).per_record)
            except OtpRequired:
                raise
            except PortalError as err:
                log.info("upload %s: reference %s not answered: %s", operation_id, stored["reference"], err)
        by_doc = portal_outcome_by_doc(_RecordsOnly(records), per_record)
        by_doc = self._settle_by_holdings(connector, operation, by_doc)
        applied = by_doc.filter(pl.col("ok").fill_null(False)).height
        when = f"{_local(operation['started_at']):%d-%m-%Y %H:%M}"
        what = "still being processed" if operation["owner"] == "" else "interrupted"
        words = (
            f"An upload of {records.height:,} action(s) to the portal was {what} at {when}; the "
            f"portal's answer was fetched: {applied:,} saved"
        )
        refused = by_doc.filter(pl.col("ok") == False).height  # noqa: E712 (polars expression)
        unknown = by_doc.height - applied - refused
        words += (f", {refused:,} refused" if refused else "") + (
            f", {unknown:,} not known" if unknown else ""
        )
        self._record_portal_outcome(
            operation["client_id"], operation["period"], by_doc, operation_id, words + "."
        )
        return words + "."

    def _settle_by_holdings(self, connector, operation: dict, by_doc: pl.DataFrame) -> pl.DataFrame:
        """Records whose fate is unknown (no reference stored, or no answer): applied when the portal
        holds the asked action now (a fresh download of its sections), else left unknown."""
        unknown = by_doc.filter(pl.col("ok").is_null())
        if unknown.is_empty():
            return by_doc
        from recon.portal.client import PortalError

        client = self._client(operation["client_id"])
        held = {}
        try:
            for section in unknown.get_column("section").unique().to_list():
                for record in connector.get_section(client.gstin, section):
                    number = str(record.get("inum") or record.get("nt_num") or "")
                    held[(section, str(record.get("stin", "")).upper(), number)] = str(record.get("action"))
        except PortalError as err:
            log.info("upload %s: could not download to settle: %s", operation["id"], err)
            return by_doc
        now_held = pl.Series(
            [
                held.get((r["section"], r["supplier_gstin"], r["doc_no"]))
                for r in by_doc.select("section", "supplier_gstin", "doc_no").iter_rows(named=True)
            ],
            dtype=pl.String,
        )
        return by_doc.with_columns(
            pl.when(pl.col("ok").is_null() & (now_held == pl.col("action")))
            .then(True)
            .otherwise(pl.col("ok"))
            .alias("ok")
        )

    def _record_portal_outcome(self, client_id, period, by_doc: pl.DataFrame, operation_id, words) -> None:
        applied = by_doc.filter(pl.col("ok").fill_null(False))
        refused = by_doc.filter(pl.col("ok") == False)  # noqa: E712 (polars expression)
        self.mark_uploaded(
            client_id,
            period,
            dict(zip(applied["portal_doc_id"].to_list(), applied["action"].to_list(), strict=True)),
            route="portal",
            profile="api",
            refused={
                row["portal_doc_id"]: f"{row['error_cd'] or ''} {row['error_msg'] or ''}".strip()
                for row in refused.iter_rows(named=True)
            },
            operation_id=operation_id,
            outcome=words or f"{applied.height:,} saved on the portal, {refused.height:,} refused",
        )

    # -- what was interrupted ---------------------------------------------------------------------

    def interrupted(self) -> list[Interruption]:
        """Operations whose process is gone before they finished, in words. Imports, reconciliations and
        bulk decisions are all-or-nothing: they are closed here ("nothing of it was saved"). An upload
        that has reference ids stays open until ``resume_upload`` records the portal's answer."""
        found = []
        for operation in self.store.open_operations():
            if owner_alive(operation["owner"], operation["started_at"]):
                continue
            found.append(self._interruption(operation))
        return found

    def _interruption(self, operation: dict) -> Interruption:
        detail = operation["detail"]
        when = f"{_local(operation['started_at']):%d-%m-%Y %H:%M}"
        where = self._where(operation)
        kind = operation["kind"]
        resumable = False
        headline = ""
        if kind == "import":
            message = f"An import of {detail.get('file')}{where} was interrupted at {when}: nothing of it was saved."
        elif kind == "reconcile":
            message = (
                f"A reconciliation{where} was interrupted at {when}: the previous results are kept; it runs "
                "again when the period is opened."
            )
        elif kind == "bulk":
            message = (
                f"A decision on {detail.get('documents', 0):,} document(s){where} was interrupted at {when}: "
                "nothing of it was saved; the decisions are as they were before it."
            )
        elif detail.get("references"):
            resumable = True
            what = (
                "was still being processed by the portal" if operation["owner"] == "" else "was interrupted"
            )
            headline = (
                f"An upload of {detail.get('documents', 0):,} action(s) to the portal{where} {what} at {when}. "
                "The portal had received it"
            )
            message = (
                f"{headline}: open the Upload page to fetch the portal's answer (needs the OTP) and record "
                "what it holds."
            )
        else:
            message = (
                f"An upload of {detail.get('documents', 0):,} action(s) to the portal{where} was interrupted "
                f"at {when} before the portal answered. Fetch IMS from the portal again to see what it "
                "holds before uploading again."
            )
        if not resumable:
            self.store.finish_operation(operation["id"], message, interrupted=True)
        return Interruption(
            operation["id"],
            kind,
            operation["client_id"],
            operation["period"],
            operation["started_at"],
            message,
            resumable,
            headline or message,
        )

    def still_open(self, interruption: Interruption) -> bool:
        """Whether an interruption reported earlier is still to be dealt with (an upload not yet resumed)."""
        operation = self.store.operation(interruption.operation_id)
        return interruption.resumable and operation is not None and operation["finished_at"] is None

    def pending_uploads(self, client_id: int, period: str) -> list[Interruption]:
        """Interrupted uploads of this client's period whose portal answer is still to be fetched."""
        return [
            i for i in self.interrupted() if i.resumable and i.client_id == client_id and i.period == period
        ]

    def _where(self, operation: dict) -> str:
        from recon.present import period_label

        client = self.store.client(operation["client_id"]) if operation["client_id"] else None
        if client is None:
            return ""
        period = f", {period_label(operation['period'])}" if operation["period"] else ""
        return f" ({client.name}{period})"

    # -- hand-outs --------------------------------------------------------------------------------

    def _name_statement(self, client_id: int, period: str, portal_source: str | None) -> pl.DataFrame | None:
        """The period's GSTR-2B when IMS is what is reconciled: its trade names name suppliers the books
        lack (recon.match.view.supplier_names)."""
        if portal_source == "gstr2b":
            return None
        statement = self.documents(client_id, period, "gstr2b")
        return None if statement.is_empty() else statement

    def _paper_inputs(self, client_id: int, period: str):
        inputs = self._inputs(client_id, period)
        return (
            self.results(client_id, period),
            self._books(client_id, period, inputs),
            self._view_portal(client_id, period, inputs),
        )

    def working_paper(self, client_id: int, period: str) -> bytes:
        """The Excel working paper (summary, one sheet per tab, supplier follow-ups) with the decisions."""
        from recon.paper import working_paper

        client = self._client(client_id)
        results, books, portal = self._paper_inputs(client_id, period)
        statement = self._name_statement(client_id, period, self.portal_source(client_id, period))
        decisions = self._decision_objects(client_id)
        timeline = self.timeline(client_id, period)
        return working_paper(
            results, books, portal, decisions, client=client.name, statement=statement, timeline=timeline
        )

    def supplier_followups(self, client_id: int, period: str) -> dict[str, list[dict]]:
        """Per supplier GSTIN, the documents to ask the supplier about and what to ask."""
        from recon.paper import supplier_followups

        statement = self._name_statement(client_id, period, self.portal_source(client_id, period))
        return supplier_followups(*self._paper_inputs(client_id, period), statement)

    # -- helpers ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _operation(self, kind: str, client_id: int | None, period: str | None, detail: dict):
        """Note a long operation before it runs; its result's transaction closes it. One that fails is
        closed here with the reason, so only a killed process leaves it open (see ``interrupted``)."""
        operation = self.store.start_operation(kind, client_id, period, detail, who=self.user)
        try:
            yield operation
        except BaseException as err:
            reason = str(err) if isinstance(err, InputError) else type(err).__name__
            with contextlib.suppress(Exception):  # the original error matters more than this note
                self.store.finish_operation(operation, f"not saved: {reason}"[:1000])
            raise

    def _client(self, client_id: int) -> Client:
        client = self.store.client(client_id)
        if client is None:
            raise InputError("No client is selected.", hint="Create or select a client on the Clients page.")
        return client


# ----------------------------------------------------------------------------------------------------
# Pure helpers (frames in, frames out)
# ----------------------------------------------------------------------------------------------------


def _net_totals(docs: pl.DataFrame) -> tuple[float, float]:
    """Taxable value and total tax of a file, credit notes subtracted: the figures to tick against the ERP."""
    return figures.documents_taxable(docs), figures.documents_itc(docs)


def _with_recipient(docs: pl.DataFrame, gstin: str) -> pl.DataFrame:
    """Documents of a file that names no recipient are the client's (the upload's 'rtin')."""
    if "recipient_gstin" not in docs.columns or not docs["recipient_gstin"].null_count():
        return docs
    return docs.with_columns(pl.col("recipient_gstin").fill_null(gstin))


def _fingerprint(inputs: dict) -> str:
    import json

    return json.dumps(inputs, sort_keys=True, default=str)


def _canonical(docs: pl.DataFrame) -> pl.DataFrame:
    return docs if docs.columns == list(model.COLUMNS) else model.conform(docs)


def _one_row_per_doc_id(docs: pl.DataFrame, source: str) -> pl.DataFrame:
    """Added imports share one id space: a portal record downloaded twice keeps its latest copy;
    a books entry present in two added files is a double booking and keeps both, with a new id."""
    if source != "books":
        return docs.unique("doc_id", keep="last", maintain_order=True)
    seen = docs.with_columns(pl.int_range(pl.len()).over("doc_id").alias("_copy"))
    if seen["_copy"].max() in (None, 0):
        return docs
    renamed = seen.with_columns(
        pl.when(pl.col("_copy") > 0)
        .then(pl.col("doc_id") + pl.lit("-") + pl.col("_copy").cast(pl.String))
        .otherwise(pl.col("doc_id"))
        .alias("doc_id")
    )
    return renamed.drop("_copy")


def _requested_decisions(docs: pl.DataFrame, action: str, remarks, itc_reduction: dict) -> pl.DataFrame:
    """One requested decision per portal document, in the documents' order (DECISION fields)."""
    reductions = [itc_reduction.get(doc_id, {}) for doc_id in docs["doc_id"].to_list()]
    return pl.DataFrame(
        {
            "portal_doc_id": docs["doc_id"],
            "action": [action] * docs.height,
            "remarks": [remarks or None] * docs.height,
            "itc_red_req": [r.get("itc_red_req") for r in reductions],
            **{c: [_amount(r.get(c)) for r in reductions] for c in DECL_COLUMNS},
            "content_hash": docs["content_hash"],
        },
        schema={k: v for k, v in model.DECISION_SCHEMA.items() if k not in ("decided_by", "decided_at")},
    )


_UPLOAD_RECORD_SCHEMA = {
    "portal_doc_id": pl.String,
    "section": pl.String,
    "supplier_gstin": pl.String,
    "doc_no": pl.String,
    "action": pl.String,
}


def _upload_records(records: pl.DataFrame) -> list[dict]:
    """The records of an upload as kept with its operation (to name each portal answer's document)."""
    return records.select(
        [
            pl.col(c).cast(t) if c in records.columns else pl.lit(None, t).alias(c)
            for c, t in _UPLOAD_RECORD_SCHEMA.items()
        ]
    ).to_dicts()


@dataclass
class _RecordsOnly:
    """An Upload's ``records`` alone: all portal_outcome_by_doc reads of it."""

    records: pl.DataFrame


def _local(stamp: datetime) -> datetime:
    """A stored UTC time as the server's local time (what the consultant's clock says)."""
    from datetime import UTC

    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone()


def _decided_meanwhile(change) -> str:
    who = change.decided_by or "someone"
    what = model.ACTION_LABELS.get(change.action, change.action) if change.action else "no decision"
    return f"decided meanwhile by {who} ({what}): left as it is"


def _amount(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _decision_row(decision) -> dict:
    return {
        "portal_doc_id": decision.portal_doc_id,
        "action": decision.action,
        "remarks": getattr(decision, "remarks", None),
        "itc_red_req": getattr(decision, "itc_red_req", None),
        "decl_igst": getattr(decision, "decl_igst", None),
        "decl_cgst": getattr(decision, "decl_cgst", None),
        "decl_sgst": getattr(decision, "decl_sgst", None),
        "decl_cess": getattr(decision, "decl_cess", None),
        "content_hash": getattr(decision, "content_hash", None),
    }


def _side(frame: pl.DataFrame, name: str) -> pl.Expr:
    """portal_<name> if present else books_<name> (the portal copy is what the supplier reported)."""
    candidates = [f"portal_{name}", f"books_{name}"]
    present = [pl.col(c) for c in candidates if c in frame.columns]
    return pl.coalesce(present) if present else pl.lit(None)


def _tax(frame: pl.DataFrame, prefix: str) -> pl.Expr:
    cols = [f"{prefix}_{c}" for c in model.TAX_COLUMNS if f"{prefix}_{c}" in frame.columns]
    if not cols:
        return pl.lit(None, dtype=pl.Float64)
    total = pl.sum_horizontal([pl.col(c).fill_null(0.0) for c in cols])
    return pl.when(pl.col(f"{prefix}_doc_id").is_null()).then(None).otherwise(total)


def _differs(field_name: str) -> pl.Expr:
    return (
        pl.col("differences")
        .list.eval(pl.element().struct.field("field").is_in(_DIFF_FIELDS[field_name]))
        .list.any()
        .fill_null(False)
    )


_DIFF_FIELDS = {
    "diff_tax": ["igst", "cgst", "sgst", "cess", "tax", "total_tax"],
    "diff_taxable": ["taxable_value"],
    "diff_doc_no": ["doc_no", "doc_no_key"],
    "diff_doc_date": ["doc_date"],
    "diff_gstin": ["supplier_gstin"],
}


def _with_review_columns(joined: pl.DataFrame) -> pl.DataFrame:
    """Columns the review grid and the dashboard read, derived once from the joined view."""
    # supplier_name comes from recon.match.view.supplier_names (paper.joined_view): named on every row.
    name = pl.col("supplier_name") if "supplier_name" in joined.columns else _side(joined, "supplier_name")
    frame = joined.with_columns(
        _side(joined, "supplier_gstin").alias("supplier_gstin"),
        name.alias("supplier_name"),
        _side(joined, "doc_kind").alias("doc_kind"),
        _side(joined, "doc_date").alias("doc_date"),
        _side(joined, "taxable_value").alias("taxable_value"),
        _side(joined, "fy").alias("fy"),
        _tax(joined, "books").alias("books_tax"),
        _tax(joined, "portal").alias("portal_tax"),
    )
    filed = pl.col("portal_supplier_filed") if "portal_supplier_filed" in frame.columns else pl.lit(None)
    frame = frame.with_columns(
        (pl.col("portal_tax") - pl.col("books_tax")).round(2).alias("tax_difference"),
        figures.row_itc().alias("itc"),
        pl.when(filed.is_null())
        .then(pl.lit(""))
        .when(filed)
        .then(pl.lit("Filed"))
        .otherwise(pl.lit("Not filed"))
        .alias("filing"),
        *[_differs(name).alias(name) for name in _DIFF_FIELDS],
        _flag(frame, "portal_pending_blocked").alias("pending_blocked"),
        (_side(frame, "doc_kind") == "bill_of_entry").fill_null(False).alias("reject_blocked"),
        pl.col("not_in_ims_reason").is_not_null().alias("not_ims_record"),
        needs_pair_confirmation().fill_null(False).alias("pair_to_confirm"),
    )
    return frame


def _flag(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name).fill_null(False) if name in frame.columns else pl.lit(False)


_ACTION_COLUMNS = (
    "ims_action",
    "suggested_action",
    "decision_action",
    "wanted_action",
    "action_source",
    "remarks",
    "itc_red_req",
    "decl_igst",
    "decl_cgst",
    "decl_sgst",
    "decl_cess",
    "stale",
    "stale_reason",
    "changed",
    "guard_problems",
)


def _attach_would_refuse(frame: pl.DataFrame, unsendable: pl.DataFrame) -> pl.DataFrame:
    """``portal_would_refuse``: why the portal would refuse this row's record or decided action, else null."""
    record = dict(zip(unsendable["doc_id"].to_list(), unsendable["reason"].to_list(), strict=True))
    by_record = pl.col("portal_doc_id").replace_strict(record, default=None, return_dtype=pl.String)
    decided = (pl.col("action_source") == "user") & pl.col("changed").fill_null(False)
    by_guard = pl.when(decided & (pl.col("guard_problems").list.len() > 0)).then(
        pl.col("guard_problems").list.join("; ")
    )
    if "guard_problems" not in frame.columns:
        by_guard = pl.lit(None, pl.String)
    record_reason = by_record if record else pl.lit(None, pl.String)
    return frame.with_columns(pl.coalesce(record_reason, by_guard).alias("portal_would_refuse"))


def _attach_memory(frame: pl.DataFrame, memory: pl.DataFrame) -> pl.DataFrame:
    """``memory``: when an earlier period's decision on this row's record was taken, else null."""
    return frame.join(memory, on="portal_doc_id", how="left", maintain_order="left")


def _attach_portal_refusals(frame: pl.DataFrame, refused: dict[str, str]) -> pl.DataFrame:
    """``portal_says``: the portal's error for a row it refused in the last upload, else null."""
    says = pl.col("portal_doc_id").replace_strict(refused, default=None, return_dtype=pl.String)
    return frame.with_columns((says if refused else pl.lit(None, dtype=pl.String)).alias("portal_says"))


def _attach_actions(base: pl.DataFrame, wanted: pl.DataFrame) -> pl.DataFrame:
    """Join the effective action per portal document onto the grid rows; ``action`` is its label."""
    columns = [c for c in _ACTION_COLUMNS if c in wanted.columns]
    frame = base.drop([c for c in columns if c in base.columns])
    frame = frame.join(
        wanted.select("portal_doc_id", *columns), on="portal_doc_id", how="left", maintain_order="left"
    )
    return frame.with_columns(
        pl.col("wanted_action").replace_strict(model.ACTION_LABELS, default=None).alias("action"),
    )


def category_totals(review: pl.DataFrame) -> dict[str, tuple[int, float]]:
    """(count, ITC) per tab (recon.figures.tab_totals); the 'not an IMS record' group is counted apart."""
    return figures.tab_totals(review)


def portal_outcome_by_doc(upload, per_record) -> pl.DataFrame:
    """Per uploaded document: its doc_id, what was asked, and whether the portal applied it.

    The connector reports records by (section, supplier GSTIN, number); the upload's ``records`` frame
    names the doc_id of each, so the outcome can be shown on the grid rows and saved to the store.
    """
    outcome = pl.DataFrame(
        [
            {
                "section": r.section,
                "supplier_gstin": (r.stin or "").upper(),
                "doc_no": str(r.doc_no),
                "ok": r.ok,
                "error_cd": r.error_cd,
                "error_msg": r.error_msg,
                "asked": r.action,
            }
            for r in per_record
        ],
        schema={
            "section": pl.String,
            "supplier_gstin": pl.String,
            "doc_no": pl.String,
            "ok": pl.Boolean,
            "error_cd": pl.String,
            "error_msg": pl.String,
            "asked": pl.String,
        },
    )
    records = upload.records.select(
        "portal_doc_id",
        "section",
        pl.col("supplier_gstin").str.to_uppercase(),
        pl.col("doc_no").cast(pl.String),
        "action",
    )
    return records.join(outcome, on=["section", "supplier_gstin", "doc_no"], how="left").with_columns(
        pl.coalesce("asked", "action").alias("action")
    )
