"""The service layer the pages call: one method per thing a consultant does.

Create a client, import a file into a client's period, reconcile, review, decide, link, build the upload,
mark what the portal now holds. Pages only wire widgets to these methods; everything here is testable
without Streamlit. State lives in the store (``recon.store``); this module adds the rules of the workflow
and a small in-process cache so that a lakh of documents is not re-read from the database on every click.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from recon import figures, import_checks, ims_json, model
from recon import gstin as gstin_rules
from recon.actions import DECISION_SCHEMA, DECL_COLUMNS
from recon.errors import InputError
from recon.import_checks import ImportConcern, ImportNeedsConfirmation, OtherClientMatch
from recon.match.settings import Settings
from recon.store import Client, Store

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

    # -- clients ----------------------------------------------------------------------------------

    def create_client(self, name: str, gstin: str, period: str, *, is_demo: bool = False) -> Client:
        name, cleaned, period = check_client_fields(name, gstin, period)
        existing = self.store.client_by_gstin(cleaned)
        if existing:
            raise InputError(
                f"A client with GSTIN {cleaned} already exists ('{existing.name}').",
                column="GSTIN",
                hint="Select that client in the sidebar instead of creating it again.",
            )
        return self.store.add_client(name, cleaned, gstin_rules.state_code(cleaned), period, is_demo=is_demo)

    def edit_client(self, client_id: int, name: str, gstin: str, period: str) -> Client:
        name, cleaned, period = check_client_fields(name, gstin, period)
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
        )

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
        return self.import_read(client, period, result, mode=mode, origin=origin)

    def import_read(self, client: Client, period: str, result, *, mode: str, origin: str) -> ImportOutcome:
        """Store an already-read ReadResult (also used by the portal fetch and the demo)."""
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
        frames = [self.store.import_documents(r.id) for r in records]
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
        return {
            "books": [[r.id, r.revision] for r in records if r.source == "books"],
            "portal": [[r.id, r.revision] for r in records if r.source == portal_source],
            "portal_source": portal_source,
            "links": [list(p) for p in linked],
            "unlinks": [list(p) for p in unlinked],
            "settings": self.settings(client_id, period).to_dict(),
        }

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
        books = self.documents(client_id, period, "books")
        portal = self.documents(client_id, period, inputs["portal_source"])
        frame = reconcile(
            books,
            portal,
            settings=Settings.from_dict(inputs["settings"]),
            links=[tuple(p) for p in inputs["links"]],
            unlinks=[tuple(p) for p in inputs["unlinks"]],
        )
        self.store.save_results(
            client_id, period, inputs["portal_source"], inputs["settings"], inputs, frame, who=self.user
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
        from recon.paper import joined_view  # the engine's view.joined, with the paper's columns assured

        inputs = self._inputs(client_id, period)
        # A GSTR-2B imported later changes the names the rows carry, not the results.
        statements = tuple(r.id for r in self.store.imports(client_id, period) if r.source == "gstr2b")
        key = ("joined", client_id, period, _fingerprint(inputs), statements)

        def compute() -> pl.DataFrame:
            results = self.results(client_id, period)
            books = self.documents(client_id, period, "books")
            portal = self.documents(client_id, period, inputs["portal_source"])
            statement = self._name_statement(client_id, period, inputs["portal_source"])
            view = _with_side_fields(joined_view(results, books, portal, statement), books, portal)
            return _with_review_columns(view)

        return self._cache.get_or_compute(key, compute)

    def review_version(self, client_id: int, period: str) -> tuple:
        """What the review table of a period is computed from: equal versions, equal tables.

        Inputs (imports, links, settings), the GSTR-2B names, the decisions and the last connector upload
        (what it refused); callers key shared copies of the table (the grid's rows) by it.
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
        )

    def review(self, client_id: int, period: str) -> pl.DataFrame:
        """The grid table: joined rows plus the effective action (decision else suggestion)."""

        def compute() -> pl.DataFrame:
            base = self.joined(client_id, period)
            frame = _attach_actions(base, self.wanted_actions(client_id, period))
            frame = _attach_would_refuse(frame, self.unsendable(client_id, period))
            return _attach_portal_refusals(frame, self.portal_refusals(client_id, period))

        return self._cache.get_or_compute(("review", *self.review_version(client_id, period)), compute)

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
    ) -> ActionOutcome:
        """Set one action on portal documents, through the guards of recon.actions.check_decision.

        ``itc_reduction``: {portal_doc_id: {"itc_red_req": "Y"/"N", "decl_igst": ..}} for credit notes.
        Guards that refuse (Pending blocked, Reject on imports) refuse; guards that warn (unfiled
        supplier, the cost of a Reject) need ``confirmed=True``.
        """
        if action not in model.IMS_ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        portal = self.documents(client_id, period, self.portal_source(client_id, period))
        wanted_ids = list(dict.fromkeys(portal_doc_ids))
        docs = portal.filter(pl.col("doc_id").is_in(wanted_ids))
        requested = _requested_decisions(docs, action, remarks, itc_reduction or {})
        outcome = self._save_requested(client_id, period, docs, requested, source=source, confirmed=confirmed)
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
    ) -> ActionOutcome:
        """Save ``requested`` (one decision per row of ``docs``, same order) through the guards.

        Guards that refuse (Pending blocked, Reject on imports) refuse; guards that warn (unfiled
        supplier, the cost of a Reject) need ``confirmed=True``.
        """
        from recon.actions import Decision, decision_cautions, guard_check

        # One vectorised pass of the guards (check_decision's rules) for the whole selection: a bulk
        # Accept of a lakh of rows must not cost a lakh of single-row checks.
        checked = guard_check(docs, requested.rename({"action": "wanted_action"}))
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
        outcome.saved = self.store.save_decisions(client_id, period, rows, source=source, who=self.user)
        outcome.unchanged = len(rows) - outcome.saved
        return outcome

    # -- explicit suggestion steps ------------------------------------------------------------------

    def matched_to_accept(self, client_id: int, period: str, *, filed_only: bool = True) -> pl.DataFrame:
        """Matched documents an "accept matched" click would accept: no decision yet, not Accepted on the
        portal already, not a pair still to confirm; with ``filed_only`` only where the supplier filed.

        Columns: portal_doc_id, supplier_filed, doc_kind.
        """
        from recon.actions import _needs_pair_confirmation

        wanted = self.wanted_actions(client_id, period)
        pairs = self.results(client_id, period).filter(pl.col("category") == "matched")
        to_confirm = pairs.filter(_needs_pair_confirmation()).get_column("portal_doc_id")
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
        return self.set_action(
            client_id,
            period,
            ids,
            "A",
            itc_reduction=self._books_reductions(client_id, period, notes),
            confirmed=not filed_only,
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
        saved = self._save_requested(client_id, period, docs, requested, source="user", confirmed=confirmed)
        saved.refused = outcome.refused + saved.refused
        missing = set(ids) - set(portal.get_column("doc_id").to_list())
        saved.refused += [(m, "not a portal document of this period") for m in sorted(missing)]
        return saved

    def audit_trail(self, client_id: int, period: str | None = None) -> pl.DataFrame:
        return self.store.audit_trail(client_id, period)

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
            books = self.documents(client_id, period, "books")
            # The stored decisions go in as a frame: one Decision object per row cost ~0.5 s per 40,000.
            # decided_at is left out, as _decision_objects leaves it out.
            decided = self.store.decisions(client_id).with_columns(
                pl.lit(None, dtype=pl.Datetime("us")).alias("decided_at")
            )
            return effective_actions(self.results(client_id, period), portal, decided, books=books)

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
    ):
        """The portal accepted these actions: record them as its new state (``ims_action``).

        ``refused``: {portal doc_id: the portal's code and message} for records it turned down; the grid
        shows them on their rows until the next upload.
        """
        for record in self.store.imports(client_id, period):
            if record.source != "ims":
                continue
            docs = self.store.import_documents(record.id)
            hit = docs.filter(pl.col("doc_id").is_in(list(actions)))
            if hit.is_empty():
                continue
            updated = docs.with_columns(
                pl.col("doc_id").replace_strict(actions, default=pl.col("ims_action")).alias("ims_action")
            )
            self.store.replace_import_documents(record.id, updated)
        self.store.add_upload(
            client_id,
            period,
            route,
            profile,
            {"actions": dict(sorted(actions.items())), "refused": dict(sorted((refused or {}).items()))},
            "saved" if not refused else "saved with errors",
            who=self.user,
        )
        self._cache.clear()

    # -- hand-outs --------------------------------------------------------------------------------

    def _name_statement(self, client_id: int, period: str, portal_source: str | None) -> pl.DataFrame | None:
        """The period's GSTR-2B when IMS is what is reconciled: its trade names name suppliers the books
        lack (recon.match.view.supplier_names)."""
        if portal_source == "gstr2b":
            return None
        statement = self.documents(client_id, period, "gstr2b")
        return None if statement.is_empty() else statement

    def _paper_inputs(self, client_id: int, period: str):
        source = self.portal_source(client_id, period)
        return (
            self.results(client_id, period),
            self.documents(client_id, period, "books"),
            self.documents(client_id, period, source),
        )

    def working_paper(self, client_id: int, period: str) -> bytes:
        """The Excel working paper (summary, one sheet per tab, supplier follow-ups) with the decisions."""
        from recon.paper import working_paper

        client = self._client(client_id)
        results, books, portal = self._paper_inputs(client_id, period)
        statement = self._name_statement(client_id, period, self.portal_source(client_id, period))
        decisions = self._decision_objects(client_id)
        return working_paper(results, books, portal, decisions, client=client.name, statement=statement)

    def supplier_followups(self, client_id: int, period: str) -> dict[str, list[dict]]:
        """Per supplier GSTIN, the documents to ask the supplier about and what to ask."""
        from recon.paper import supplier_followups

        statement = self._name_statement(client_id, period, self.portal_source(client_id, period))
        return supplier_followups(*self._paper_inputs(client_id, period), statement)

    # -- helpers ----------------------------------------------------------------------------------

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
        schema={k: v for k, v in DECISION_SCHEMA.items() if k not in ("decided_by", "decided_at")},
    )


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


# Fields the grid needs beyond what every joined view carries.
_SIDE_FIELDS = {"books": ("fy",), "portal": ("fy", "pending_blocked", "supplier_filed")}


def _with_side_fields(view: pl.DataFrame, books: pl.DataFrame, portal: pl.DataFrame) -> pl.DataFrame:
    for prefix, docs in (("books", books), ("portal", portal)):
        missing = [f for f in _SIDE_FIELDS[prefix] if f"{prefix}_{f}" not in view.columns]
        if missing:
            side = docs.select(
                pl.col("doc_id").alias(f"{prefix}_doc_id"),
                *[pl.col(f).alias(f"{prefix}_{f}") for f in missing],
            ).unique(f"{prefix}_doc_id", keep="first", maintain_order=True)
            view = view.join(side, on=f"{prefix}_doc_id", how="left", maintain_order="left")
    return view


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
    from recon.actions import _needs_pair_confirmation  # one definition of a pair the user must confirm

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
        _needs_pair_confirmation().fill_null(False).alias("pair_to_confirm"),
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


@dataclass
class ActionPreview:
    """What applying one action to some grid rows means, said before the user confirms it."""

    action: str
    rows: int  # portal documents the action applies to
    skipped_books_only: int  # books-only rows selected (nothing to act on in IMS)
    itc: float  # net ITC of those documents (credit notes negative)
    unfiled: int  # documents whose supplier has not filed (Accept: confirm)
    credit_notes: pl.DataFrame  # portal_doc_id + declaration prefilled from books (Accept: ask)
    pending_refused: int  # rows where the portal blocks Pending
    needs_confirmation: bool
    consequences: list[str]


def preview_action(rows: pl.DataFrame, action: str) -> ActionPreview:
    """Guards of matching-practice.md §12 for a set of review rows, before anything is saved.

    Reject: the ITC lost and that undoing it after GSTR-3B needs the supplier to report again
    (ims-rules.md §5). Accept of an unfiled supplier's document: the credit is not in a filed return
    yet. Accept of a credit note: the ITC-reduction declaration (§12.5), prefilled from the books.
    """
    actionable = rows.filter(pl.col("portal_doc_id").is_not_null())
    kinds = actionable.get_column("doc_kind")
    notes = actionable.filter(kinds == "credit_note")
    unfiled = actionable.filter(pl.col("filing") == "Not filed").height
    blocked = actionable.filter(pl.col("pending_blocked")).height if action == "P" else 0
    consequences = []
    if action == "R":
        consequences.append(
            "Rejecting removes this ITC from GSTR-2B for the period. After GSTR-3B is filed, undoing a "
            "Reject needs the supplier to report the document again and the ITC moves to a later period."
        )
        if notes.height:
            consequences.append(
                f"{notes.height} of them are credit notes: rejecting a credit note restores the supplier's "
                "liability instead of reducing your ITC."
            )
    if action == "A" and unfiled:
        consequences.append(
            f"{unfiled} supplier return(s) are not filed yet: accepting takes credit for documents that are "
            "not in a filed return (they reach GSTR-2B only once filed)."
        )
    if action == "P" and blocked:
        consequences.append(
            f"{blocked} document(s) cannot be kept Pending (the portal blocks it); they are skipped."
        )
    declaration = _declaration_prefill(notes) if notes.height else pl.DataFrame()
    return ActionPreview(
        action=action,
        rows=actionable.height,
        skipped_books_only=rows.height - actionable.height,
        itc=float(actionable.get_column("itc").sum() or 0.0),
        unfiled=unfiled,
        credit_notes=declaration if action == "A" else pl.DataFrame(),
        pending_refused=blocked,
        needs_confirmation=action == "R" or (action == "A" and (unfiled > 0 or notes.height > 0)),
        consequences=consequences,
    )


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


def _declaration_prefill(notes: pl.DataFrame) -> pl.DataFrame:
    """The ITC-reduction answer per credit note, prefilled: the answer already given (decision or
    suggestion), else Yes with the books' tax amounts (matching-practice.md §11: reduction = books)."""
    amounts = []
    for column in ("decl_igst", "decl_cgst", "decl_sgst", "decl_cess"):
        books_column = f"books_{column[5:]}"
        value = pl.col(column) if column in notes.columns else pl.lit(None, dtype=pl.Float64)
        if books_column in notes.columns:
            value = value.fill_null(pl.col(books_column))
        amounts.append(value.fill_null(0.0).alias(column))
    answer = pl.col("itc_red_req") if "itc_red_req" in notes.columns else pl.lit(None, dtype=pl.String)
    return notes.select(
        "portal_doc_id",
        pl.col("supplier_name").fill_null(pl.col("supplier_gstin")).alias("supplier"),
        pl.col("portal_doc_no").alias("note_no"),
        answer.fill_null("Y").alias("itc_red_req"),
        *amounts,
    )
