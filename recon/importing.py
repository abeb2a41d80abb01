"""Storing a read file in a client's period, and the checks an import makes before it stores anything.

Refusals (a portal file of another registration, the same content added twice) and questions (documents
that look like another client's, documents mostly in the period already: ``recon.import_checks``) are asked
here of the store's imports. ``recon.workspace`` reads the file and notes the import as an operation.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from recon import figures, import_checks, ims_json, model
from recon.clients import check_period
from recon.errors import InputError
from recon.import_checks import ImportConcern, ImportNeedsConfirmation, OtherClientMatch
from recon.operations import noted
from recon.store import Client

SOURCE_WORDS = {"ims": "IMS", "gstr2b": "GSTR-2B", "gstr2a": "GSTR-2A"}
PORTAL_PREFERENCE = ("ims", "gstr2b", "gstr2a")  # IMS first: only IMS records take actions


def portal_source(sources: set[str]) -> str | None:
    """Which portal data a period with imports of ``sources`` is reconciled against: IMS, else 2B, else 2A."""
    return next((s for s in PORTAL_PREFERENCE if s in sources), None)


def readiness(sources: set[str]) -> tuple[bool, str]:
    """Whether a period with imports of ``sources`` can be reconciled, and if not, what to import."""
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


@dataclass
class ImportOutcome:
    import_id: int
    source: str
    summary: list[str]
    warnings: list[str]
    documents: int
    taxable: float = 0.0  # net of credit notes
    tax: float = 0.0  # IGST + CGST + SGST + cess, net of credit notes


class Importer:
    """The import step on one store. ``keys``: a cache of (document keys, content signature) per stored
    import revision, shared by every session of the process (an import's keys never change meaning)."""

    def __init__(self, store, keys, who: str) -> None:
        self.store = store
        self.keys = keys
        self.who = who

    def import_file(
        self,
        client: Client,
        period: str,
        content: bytes,
        name: str,
        *,
        kind: str | None,
        mode: str,
        origin: str,
        confirmed: bool,
        **options,
    ) -> ImportOutcome:
        """Read one file and store its documents in the client's period (see ``Workspace.import_file``)."""
        from recon import readers
        from recon.readers.sniff import family

        if (kind or family(content, name)) == "books":
            # A portal file is checked against the client here, where the message can name both clients.
            options.setdefault("recipient_gstin", client.gstin)
        result = readers.read(content, name, kind=kind, **options)
        if not confirmed:
            # Refusals first (a wrong registration, the same content again); then the questions.
            self.check_recipient(client, result)
            if mode == "add":
                self.refuse_same_content(client.id, check_period(period), result)
            concerns = self.concerns(client, period, result, mode=mode)
            if concerns:
                raise ImportNeedsConfirmation(concerns, result)
        # Reading and checking write nothing; the operation row covers the write a kill could cut short.
        with noted(
            self.store, self.who, "import", client.id, period, {"file": name, "mode": mode}
        ) as operation:
            return self.import_read(client, period, result, mode=mode, origin=origin, operation_id=operation)

    def import_read(
        self, client: Client, period: str, result, *, mode: str, origin: str, operation_id: int | None = None
    ) -> ImportOutcome:
        """Check and store an already-read ReadResult. ``operation_id``: the import noted as in progress by
        the caller (closed with the stored import); without one it is noted here."""
        if operation_id is None:
            detail = {"file": result.file, "mode": mode}
            with noted(self.store, self.who, "import", client.id, period, detail) as operation:
                return self.import_read(
                    client, period, result, mode=mode, origin=origin, operation_id=operation
                )
        self.check_recipient(client, result)
        period = check_period(period)
        if mode == "add":
            self.refuse_same_content(client.id, period, result)
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
            who=self.who,
            summary=result.summary_lines(),
            warnings=warnings,
            operation_id=operation_id,
        )
        taxable, tax = _net_totals(result.docs)
        return ImportOutcome(
            import_id, result.source, result.summary_lines(), warnings, result.docs.height, taxable, tax
        )

    def check_recipient(self, client: Client, result) -> None:
        # A portal file of another registration would silently produce a wrong upload: refuse it.
        found = (result.recipient_gstin or "").strip().upper()
        if result.source == "books" or not found or found == client.gstin:
            return
        owner = self.store.client_by_gstin(found)
        whose = f"client '{owner.name}'" if owner else "not a client in this workspace"
        raise InputError(
            f"this {SOURCE_WORDS.get(result.source, result.source)} file is for GSTIN {found} ({whose}), "
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

    def concerns(self, client: Client, period: str, result, *, mode: str) -> list[ImportConcern]:
        """What to confirm before storing a read file: another client's data, documents already here."""
        concerns = []
        match = self.other_client_match(client, result.docs, period)
        if match is not None:
            message = import_checks.other_client_message(match, client.name, result.file)
            concerns.append(ImportConcern("other_client", message))
        if mode == "add":
            present = self.already_in_period(client.id, period, result)
            if present is not None:
                concerns.append(ImportConcern("already_in_period", present))
        return concerns

    def other_client_match(self, client: Client, docs: pl.DataFrame, period: str) -> OtherClientMatch | None:
        """The client whose imported data the documents overlap far more than this client's, if any.

        Another client's data = its imports of this period and of the period it is being worked on (where
        a mixed-up file comes from), so that the check stays quick in a firm with many clients and years.
        """
        others = [c for c in self.store.clients() if c.id != client.id]
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
                ours = import_checks.overlap(new_keys, self._client_keys(client, period))
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

    def refuse_same_content(self, client_id: int, period: str, result) -> None:
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

    def documents(self, records, source: str) -> pl.DataFrame:
        """The canonical documents of the stored imports ``records`` of one source, added together."""
        # An import stored before a canonical column existed reads with that column empty.
        frames = [_canonical(self.store.import_documents(r.id)) for r in records]
        if not frames:
            return model.empty()
        combined = pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]
        return _one_row_per_doc_id(combined, source)

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
        cached = self.keys.get(key)
        if cached is None:
            docs = self.store.import_documents(record.id)
            cached = self.keys.put(
                key, (import_checks.document_keys(docs), import_checks.content_signature(docs))
            )
        return cached


def _net_totals(docs: pl.DataFrame) -> tuple[float, float]:
    """Taxable value and total tax of a file, credit notes subtracted: the figures to tick against the ERP."""
    return figures.documents_taxable(docs), figures.documents_itc(docs)


def _with_recipient(docs: pl.DataFrame, gstin: str) -> pl.DataFrame:
    """Documents of a file that names no recipient are the client's (the upload's 'rtin')."""
    if "recipient_gstin" not in docs.columns or not docs["recipient_gstin"].null_count():
        return docs
    return docs.with_columns(pl.col("recipient_gstin").fill_null(gstin))


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
