"""The service layer the pages call: one method per thing a consultant does.

Create a client, import a file into a client's period, reconcile, review, decide, link, build the upload,
mark what the portal now holds. Pages only wire widgets to these methods; everything here is testable
without Streamlit. State lives in the store (``recon.store``); this module keeps a small in-process cache so
that a lakh of documents is not re-read from the database on every click, and hands each step's rules to
the module of its idea: ``recon.clients`` (a client's fields), ``recon.importing`` (imports and their
checks), ``recon.review`` (the review table), ``recon.deciding`` (decisions), ``recon.portal_workflow``
(fetch and upload through the connector), ``recon.operations`` (operations in progress and what a killed
process left), ``recon.frame_cache`` (the frames kept for every session).
"""

from __future__ import annotations

import copy
import functools
from datetime import date

import polars as pl

from recon import clients, deciding, importing, ims_json, operations, portal_workflow, review, safe_text
from recon.actions import preview_action as preview_action  # the grid's dialog reads it from here
from recon.client_months import ClientMonths
from recon.clients import check_period as check_period  # the Clients page and the tests read them here
from recon.clients import default_period as default_period
from recon.deciding import ActionOutcome, DecisionWriter
from recon.errors import InputError
from recon.frame_cache import CACHE_BYTES, FrameCache
from recon.frame_cache import fingerprint as _fingerprint
from recon.import_checks import OtherClientMatch
from recon.importing import Importer, ImportOutcome
from recon.match.settings import Settings
from recon.operations import Interruption
from recon.review import category_totals as category_totals  # the Reconcile page's tab counts
from recon.store import Client, DecisionConflict, Store
from recon.store import version_of as version_of  # a decision's version, as the grid hands it back

__all__ = ["DecisionConflict", "Workspace"]  # DecisionConflict: the one error a write conflict raises


# Raised when the rules judged by the quarter change (2: suggestions judge a credit note's Pending by the
# quarter): a quarterly client's stored results are then redone once, a monthly client's are untouched.
QUARTERLY_RULES = 2


class Workspace:
    """Everything the app does for a consultant, on one store."""

    def __init__(self, store: Store, user: str = "consultant") -> None:
        self.store = store
        self.user = user
        self._cache = FrameCache(max_bytes=CACHE_BYTES)
        self._keys = FrameCache(size=512)  # per stored import: its document keys and content signature

    def signed_in(self, user, on_use=None) -> Workspace:
        """This workspace as one signed-in person uses it (``user``: a ``recon.auth.User``).

        Their name goes into the audit trail, and the store is a ``recon.auth.ScopedStore``: only the
        clients assigned to them can be listed, opened, read or written. The database pool and the caches
        stay shared with every other session (cache keys carry the client, reached only after the check).
        Reads repeated within a moment are answered once (``recon.store.memo``): a page's run asks for
        the same imports and settings many times.
        """
        from recon.auth import ScopedStore
        from recon.store.memo import ReadMemo

        view = copy.copy(self)
        view.store = ReadMemo(ScopedStore(self.store, user, on_use))
        view.user = user.name
        return view

    # -- clients ----------------------------------------------------------------------------------

    def create_client(
        self, name: str, gstin: str, period: str, *, is_demo: bool = False, frequency: str = "monthly"
    ) -> Client:
        return clients.create_client(self.store, name, gstin, period, is_demo=is_demo, frequency=frequency)

    def edit_client(
        self, client_id: int, name: str, gstin: str, period: str, *, frequency: str | None = None
    ) -> Client:
        return clients.edit_client(self.store, client_id, name, gstin, period, frequency=frequency)

    def is_quarterly(self, client_id: int) -> bool:
        """Whether the client files quarterly (QRMP): one GSTR-2B and one Pending window per quarter."""
        client = self.store.client(client_id)
        return client is not None and client.return_frequency == "quarterly"

    def clients(self) -> list[Client]:
        return self.store.clients()

    def client(self, client_id: int) -> Client | None:
        return self.store.client(client_id)

    def periods(self, client_id: int) -> list[str]:
        """The periods the client has data for (the sidebar's choice)."""
        return self.store.periods(client_id)

    def accounts(self):
        """The firm's users and roles on this workspace's store (``recon.auth.Accounts``)."""
        from recon.auth import Accounts

        return Accounts(self.store)

    # -- imports ----------------------------------------------------------------------------------

    def guess_books_layout(self, content: bytes, name: str, **options):
        """Sheet, header row and column mapping the books reader would use (editable on the page)."""
        from recon.readers.books import guess_layout

        return guess_layout(content, name, **options)

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
        return self._importer().import_file(
            self._client(client_id),
            period,
            content,
            name,
            kind=kind,
            mode=mode,
            origin=origin,
            confirmed=confirmed,
            **options,
        )

    def import_read(
        self, client: Client, period: str, result, *, mode: str, origin: str, operation_id: int | None = None
    ) -> ImportOutcome:
        """Store an already-read ReadResult (``recon.importing.Importer.import_read``)."""
        return self._importer().import_read(
            client, period, result, mode=mode, origin=origin, operation_id=operation_id
        )

    def fetch_gstr2b(self, client_id: int, period: str, connector, *, otp=None, progress=None):
        """The client's GSTR-2B of ``period`` through the connector, kept as that month's 2B
        (``recon.portal_workflow.fetch_gstr2b_into``): (Gstr2bOutcome, the stored import or None)."""
        client = self._client(client_id)
        return portal_workflow.fetch_gstr2b_into(
            self._importer(), client, check_period(period), connector, otp=otp, progress=progress
        )

    def other_client_match(self, client_id: int, docs: pl.DataFrame, period: str) -> OtherClientMatch | None:
        """The client whose imported data the documents overlap far more than this client's, if any."""
        return self._importer().other_client_match(self._client(client_id), docs, period)

    def _importer(self) -> Importer:
        return Importer(self.store, self._keys, self.user)

    def imports(self, client_id: int, period: str):
        return self.store.imports(client_id, period)

    def documents(self, client_id: int, period: str, source: str) -> pl.DataFrame:
        """The canonical documents of one source in a period: all active imports, added together."""
        records = [r for r in self.store.imports(client_id, period) if r.source == source]
        key = ("docs", source, tuple((r.id, r.revision) for r in records))
        return self._cache.get_or_compute(key, lambda: self._importer().documents(records, source))

    def portal_source(self, client_id: int, period: str) -> str | None:
        """Which portal data the period is reconciled against: IMS when imported, else 2B, else 2A."""
        return importing.portal_source({r.source for r in self.store.imports(client_id, period)})

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
        months = self._months(client_id)
        history = months.statement_imports(period) if portal_source == "ims" else []
        if months.quarterly:  # only then: a monthly client's fingerprint stays as it was
            inputs["quarterly"] = QUARTERLY_RULES
        if history:
            inputs["history"] = history
            inputs["earlier_books"] = months.earlier_books_imports(period)
            inputs["pool_rules"] = 2  # raised when the open pool's rules change: stored results are redone
        return inputs

    # -- the open pool (docs/reference/ims-rules.md §1-§3, §7) ---------------------------------------

    def _months(self, client_id: int) -> ClientMonths:
        return ClientMonths(self.store, self.documents, client_id, self.is_quarterly(client_id))

    def history(self, client_id: int, period: str) -> list[tuple[str, pl.DataFrame]]:
        """(period, GSTR-2B documents) of each earlier statement the open pool settles against."""
        return self._months(client_id).statements(period)

    def pool_books(self, client_id: int, period: str) -> pl.DataFrame:
        """The books of ``period`` and every earlier period, each document once (``ClientMonths.books``)."""
        return self._months(client_id).books(period)[0]

    def booking_periods(self, client_id: int, period: str) -> pl.DataFrame:
        """(doc_id, books_period) of the pool's books: the voucher date's month, else the import's month."""
        return self._months(client_id).books(period)[1]

    def _books(self, client_id: int, period: str, inputs: dict) -> pl.DataFrame:
        """The books a run reads: the open pool's when earlier statements exist, else the period's."""
        return self._months(client_id).booked(period, pooled=bool(inputs.get("history")))[0]

    def timeline(self, client_id: int, period: str) -> pl.DataFrame:
        """The client's months up to ``period`` (recon.timeline): booked, in IMS, in 2B, settled, open.

        A quarterly client's rows are its quarters.
        """
        from recon.timeline import timeline_frame

        inputs = self._inputs(client_id, period)
        months, pooled = self._months(client_id), bool(inputs.get("history"))
        books, booked = months.booked(period, pooled=pooled)
        return timeline_frame(
            self.results(client_id, period),
            books,
            self.documents(client_id, period, "ims"),
            months.timeline_statements(period, pooled=pooled),
            current_period=period,
            books_periods=booked,
            quarterly=months.quarterly,
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
        return importing.readiness({r.source for r in self.store.imports(client_id, period)})

    def reconcile(self, client_id: int, period: str, settings: Settings | None = None) -> pl.DataFrame:
        """Run the engine on the period's documents and store the result with the settings used."""
        from recon.match import reconcile

        if settings is not None:
            self.save_settings(client_id, period, settings)
        inputs = self._inputs(client_id, period)
        detail = {"portal_source": inputs["portal_source"]}
        with operations.noted(self.store, self.user, "reconcile", client_id, period, detail) as op:
            portal = self.documents(client_id, period, inputs["portal_source"])
            run = dict(
                settings=Settings.from_dict(inputs["settings"]),
                links=[tuple(p) for p in inputs["links"]],
                unlinks=[tuple(p) for p in inputs["unlinks"]],
            )
            if inputs.get("history"):
                from recon.pool import reconcile_open_pool

                months = self._months(client_id)
                books, booked = months.books(period)
                frame = reconcile_open_pool(
                    books,
                    portal,
                    months.statements(period),
                    current_period=period,
                    books_periods=booked,
                    quarterly=months.quarterly,
                    **run,
                )
            else:
                books = self._books(client_id, period, inputs)
                frame = reconcile(books, portal, **run, quarterly=bool(inputs.get("quarterly")))
            source, used = inputs["portal_source"], inputs["settings"]
            self.store.save_results(
                client_id, period, source, used, inputs, frame, who=self.user, operation_id=op
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
            return review.with_review_columns(joined_view(results, books, portal, statement))

        return self._cache.get_or_compute(key, compute)

    def _per_version(self, what: tuple, client_id: int, period: str, compute) -> pl.DataFrame:
        """A frame computed once per review version and shared by every session asking for it."""
        return self._cache.get_or_compute((*what, self.review_version(client_id, period)), compute)

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
            return review.review_table(
                self.joined(client_id, period),
                self.wanted_actions(client_id, period),
                self.unsendable(client_id, period),
                self.portal_refusals(client_id, period),
                self.decision_memory(client_id, period),
            )

        return self._cache.get_or_compute(("review", *self.review_version(client_id, period)), compute)

    def decision_memory(self, client_id: int, period: str, today: date | None = None) -> pl.DataFrame:
        """Decisions taken while working an earlier period, with their age (``recon.review.decision_memory``)."""
        return review.decision_memory(self.store.decisions(client_id), period, today)

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
        return deciding.set_action(
            self._writer(client_id, period),
            self._portal_documents(client_id, period),
            portal_doc_ids,
            action,
            remarks=remarks,
            itc_reduction=itc_reduction or {},
            source=source,
            confirmed=confirmed,
            expected=expected,
        )

    def _writer(self, client_id: int, period: str) -> DecisionWriter:
        labels = functools.partial(self._document_labels, client_id, period)
        quarterly = self.is_quarterly(client_id)
        return DecisionWriter(self.store, self.user, client_id, period, labels, quarterly=quarterly)

    def decision_versions(self, client_id: int, doc_ids: list[str] | None = None) -> dict[str, str]:
        """{doc id: version} of the decisions as saved now: read with the grid, handed back to set_action."""
        return self.store.decision_versions(client_id, doc_ids)

    def _document_labels(self, client_id: int, period: str, doc_ids: list[str]) -> dict[str, str]:
        """What a person calls each portal document (``recon.deciding.document_labels``)."""
        a_run = self.store.results_inputs(client_id, period) is not None  # names only where a run exists
        named = self.joined(client_id, period) if a_run else None
        return deciding.document_labels(self._portal_documents(client_id, period), named, doc_ids)

    def _portal_documents(self, client_id: int, period: str) -> pl.DataFrame:
        return self.documents(client_id, period, self.portal_source(client_id, period))

    # -- explicit suggestion steps ------------------------------------------------------------------

    def matched_to_accept(self, client_id: int, period: str, *, filed_only: bool = True) -> pl.DataFrame:
        """Matched documents an "accept matched" click would accept (``recon.deciding.matched_to_accept``);
        one frame per decisions version, shared by every session showing the button."""

        def compute() -> pl.DataFrame:
            wanted, results = self.wanted_actions(client_id, period), self.results(client_id, period)
            portal = self._portal_documents(client_id, period)
            return deciding.matched_to_accept(wanted, results, portal, filed_only=filed_only)

        return self._per_version(("to_accept", filed_only), client_id, period, compute)

    def accept_matched(self, client_id: int, period: str, *, filed_only: bool = True) -> ActionOutcome:
        """Accept every matched document in one click (``recon.deciding.accept_matched``)."""
        return deciding.accept_matched(
            self._writer(client_id, period),
            self.matched_to_accept(client_id, period, filed_only=filed_only),
            self._portal_documents(client_id, period),
            self.documents(client_id, period, "books"),
            self.results(client_id, period),
            filed_only=filed_only,
        )

    def suggestions_to_apply(
        self, client_id: int, period: str, *, actions: tuple[str, ...] = ("A", "R", "P")
    ) -> pl.DataFrame:
        """Suggestions "apply these suggestions" would save (``recon.deciding.suggestions_to_apply``); one
        frame per decisions version, shared by every session showing the panel."""

        def compute() -> pl.DataFrame:
            wanted, joined = self.wanted_actions(client_id, period), self.joined(client_id, period)
            return deciding.suggestions_to_apply(wanted, joined, self.unsendable(client_id, period), actions)

        return self._per_version(("to_apply", actions), client_id, period, compute)

    def apply_suggestions(
        self, client_id: int, period: str, portal_doc_ids: list[str], *, confirmed: bool = False
    ) -> ActionOutcome:
        """Save the listed documents' suggestions as decisions (``recon.deciding.apply_suggestions``)."""
        return deciding.apply_suggestions(
            self._writer(client_id, period),
            self.wanted_actions(client_id, period),
            self._portal_documents(client_id, period),
            portal_doc_ids,
            confirmed=confirmed,
        )

    def audit_trail(self, client_id: int, period: str | None = None) -> pl.DataFrame:
        return self.store.audit_trail(client_id, period)

    def audit_csv(self, client_id: int, period: str | None = None) -> bytes:
        """The audit trail as the CSV people download: a remark or number starting '=' stays text."""
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

    def unsendable(self, client_id: int, period: str) -> pl.DataFrame:
        """The period's IMS records the portal would refuse any action for: doc_id, reason."""
        ims = self.documents(client_id, period, "ims")  # none when the period is reconciled against a 2B
        key = ("unsendable", client_id, period, _fingerprint(self._inputs(client_id, period)))
        return self._cache.get_or_compute(key, lambda: ims_json.unsendable(ims))

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

    def portal_refusals(self, client_id: int, period: str) -> dict[str, str]:
        """What the portal refused in the last upload through the connector: {portal doc_id: code and message}."""
        return portal_workflow.portal_refusals(self.store, client_id, period)

    def upload_history(self, client_id: int, period: str) -> list[dict]:
        """The period's recorded uploads, newest first (at, route, profile, summary, status)."""
        return self.store.uploads(client_id, period)

    def mark_uploaded(self, client_id: int, period: str, actions: dict[str, str], **how) -> None:
        """The portal accepted these actions: record them as its new state (``ims_action``).

        ``how``: route, profile, and optionally refused ({portal doc_id: the portal's code and message},
        shown on the grid's rows until the next upload), operation_id, outcome
        (``recon.portal_workflow.mark_uploaded``).
        """
        portal_workflow.mark_uploaded(self.store, self.user, client_id, period, actions, **how)
        self._cache.clear()

    # -- fetch and upload through the connector, resumable -----------------------------------------

    def fetch_from_portal(self, client_id: int, period: str, connector, *, otp=None, progress=None):
        """Download the client's IMS through the connector and import it (replacing the period's IMS).

        Returns the service's FetchOutcome. Raises OtpRequired (the portal was asked to send an OTP) or
        PortalError; an InputError when the download cannot be stored (nothing stored then).
        """
        held = self.documents(client_id, period, "ims")  # to say what the fresh download changed
        return portal_workflow.fetch_into(
            self._importer(), self._client(client_id), period, connector, held, otp=otp, progress=progress
        )

    def send_to_portal(
        self, client_id: int, period: str, upload, connector, *, otp=None, progress=None
    ) -> dict:
        """The Upload page's step: open the session (``otp``), send the Upload the screen counted, record
        what the portal holds; returns ``portal_workflow.upload_result``. Raises OtpRequired (the portal
        was asked to send an OTP) or PortalError."""
        client = self._client(client_id)

        def send():
            return self.upload_to_portal(client_id, period, upload, connector, progress=progress)

        return portal_workflow.upload_result(*portal_workflow.on_session(connector, client.gstin, otp, send))

    def upload_to_portal(self, client_id: int, period: str, upload, connector, *, progress=None):
        """Send the Upload through the connector and record what the portal holds (``recon.portal_workflow``).

        Returns (the service's UploadOutcome, per document: portal_doc_id, action, ok, error_cd, error_msg).
        """
        try:
            return portal_workflow.upload_to_portal(
                self.store, self.user, client_id, period, upload, connector, progress=progress
            )
        finally:
            self._cache.clear()  # what the portal now holds changes the rows

    def resume_uploads(self, client_id: int, period: str, connector, *, otp=None) -> list[str]:
        """Fetch the portal's answer to each interrupted upload of the period; what happened, in words."""
        client = self._client(client_id)
        pending = self.pending_uploads(client_id, period)

        def resume():
            return [self.resume_upload(i.operation_id, connector) for i in pending]

        return portal_workflow.on_session(connector, client.gstin, otp, resume)

    def resume_upload(self, operation_id: int, connector) -> str:
        """Finish an interrupted upload: record what the portal applied and close the operation."""
        try:
            return portal_workflow.resume_upload(self.store, self.user, operation_id, connector, self._client)
        finally:
            self._cache.clear()

    # -- what was interrupted ---------------------------------------------------------------------

    def interrupted(self) -> list[Interruption]:
        """Operations whose process is gone before they finished, in words (``recon.operations``)."""
        return operations.interrupted(self.store)

    def still_open(self, interruption: Interruption) -> bool:
        """Whether an interruption reported earlier is still to be dealt with (an upload not yet resumed)."""
        return operations.still_open(self.store, interruption)

    def pending_uploads(self, client_id: int, period: str) -> list[Interruption]:
        """Interrupted uploads of this client's period whose portal answer is still to be fetched."""
        return operations.pending_uploads(self.store, client_id, period)

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
        sheets = {"statement": statement, "timeline": self.timeline(client_id, period)}
        # Decided actions are judged as the review and the upload judge them (one Pending rule).
        judged = {"quarterly": self.is_quarterly(client_id), "unsendable": self.unsendable(client_id, period)}
        return working_paper(results, books, portal, decisions, client=client.name, **sheets, **judged)

    def supplier_followups(self, client_id: int, period: str) -> dict[str, list[dict]]:
        """Per supplier GSTIN, the documents to ask the supplier about and what to ask."""
        from recon.paper import supplier_followups

        statement = self._name_statement(client_id, period, self.portal_source(client_id, period))
        return supplier_followups(*self._paper_inputs(client_id, period), statement)

    def handouts_version(self, client_id: int, period: str) -> tuple:
        """What the working paper is built from, as a cache key: the run's inputs (imports and their
        revisions, links, settings), the GSTR-2B that names suppliers, and the decisions."""
        statements = tuple(r.id for r in self.store.imports(client_id, period) if r.source == "gstr2b")
        inputs = _fingerprint(self._inputs(client_id, period))
        return (inputs, statements, *self.store.decisions_version(client_id))

    # -- helpers ----------------------------------------------------------------------------------

    def _client(self, client_id: int) -> Client:
        client = self.store.client(client_id)
        if client is None:
            raise InputError("No client is selected.", hint="Create or select a client on the Clients page.")
        return client
