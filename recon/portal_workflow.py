"""Fetch from and upload to the portal through a connector: the steps the Import and Upload pages take.

The connector (``recon.portal.service``) speaks to the portal; this module decides what a step means for the
client's data: when to ask for an OTP, what is recorded as applied, how an interrupted upload is finished.
An upload is noted as an operation with the records it sends, and each reference id the portal gives is
stored before its status is polled, so a kill mid-way can be finished by ``resume_upload``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import polars as pl

from recon import ims_json
from recon.operations import local_time, noted

log = logging.getLogger(__name__)

_UPLOAD_RECORD_SCHEMA = {
    "portal_doc_id": pl.String,
    "section": pl.String,
    "supplier_gstin": pl.String,
    "doc_no": pl.String,
    "action": pl.String,
}


def on_session(connector, gstin: str, otp: str | None, step):
    """Run ``step()`` in the client's portal session, opened with ``otp`` when one is typed.

    Without a session (or when the portal ends it part-way) the portal is asked to send the signatory an
    OTP and ``OtpRequired`` is raised: the page then asks for the code and the step is taken again.
    """
    from recon.portal.client import OtpRequired
    from recon.portal.service import request_otp

    try:
        if otp:
            connector.authenticate(gstin, otp)
        elif not connector.has_session(gstin):
            raise OtpRequired(gstin, "no session")
        return step()
    except OtpRequired:
        request_otp(connector, gstin)
        raise


def fetch_ims(connector, gstin: str, *, otp=None, progress=None, previous=None):
    """Download the client's IMS (``recon.portal.service.fetch_ims``); OtpRequired as in ``on_session``."""
    from recon.portal.client import OtpRequired
    from recon.portal.service import fetch_ims as download
    from recon.portal.service import request_otp

    try:
        return download(connector, gstin, otp=otp, progress=progress, previous=previous)
    except OtpRequired:
        request_otp(connector, gstin)
        raise


def fetch_into(importer, client, period: str, connector, held, *, otp=None, progress=None):
    """Download the client's IMS and import it in place of the period's (``importer``: a
    ``recon.importing.Importer``); ``held``: the IMS documents held now. Returns the FetchOutcome."""
    previous = None if held.is_empty() else held
    outcome = fetch_ims(connector, client.gstin, otp=otp, progress=progress, previous=previous)
    importer.import_read(client, period, outcome.result, mode="replace", origin="portal")
    return outcome


def fetch_gstr2b_into(importer, client, period: str, connector, *, otp=None, progress=None):
    """Download the client's GSTR-2B of ``period`` and keep it as that month's 2B, in place of an earlier
    one: the statement later months' open pool settles books against. OtpRequired as in ``on_session``.

    Returns (``recon.portal.service.Gstr2bOutcome``, the stored import or None when the 2B is empty).
    """
    from recon.portal.client import OtpRequired
    from recon.portal.service import fetch_gstr2b, request_otp

    try:
        outcome = fetch_gstr2b(connector, client.gstin, period, otp=otp, progress=progress)
    except OtpRequired:
        request_otp(connector, client.gstin)
        raise
    if outcome.result is None:
        return outcome, None
    return outcome, importer.import_read(client, period, outcome.result, mode="replace", origin="portal")


def upload_result(outcome, by_doc: pl.DataFrame) -> dict:
    """What an upload through the connector did, as the Upload page shows it until the next upload:
    status, applied (count), failed (one dict per refused document), unknown (count), lines."""
    return {
        "status": outcome.status,
        "applied": by_doc.filter(pl.col("ok").fill_null(False)).height,
        "failed": by_doc.filter(pl.col("ok") == False).to_dicts(),  # noqa: E712 (polars expression)
        "unknown": by_doc.filter(pl.col("ok").is_null()).height,
        "lines": outcome.summary_lines(),
    }


def upload_to_portal(store, who: str, client_id: int, period: str, upload, connector, *, progress=None):
    """Send the Upload the screen counted through the connector and record what the portal holds.

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
    with noted(store, who, "upload", client_id, period, detail) as operation:
        try:
            outcome = send(
                connector,
                payloads,
                progress=progress,
                on_reference=lambda reference, body: store.add_operation_reference(
                    operation, reference, body
                ),
            )
        except OtpRequired as err:
            # The session ended part-way: what the portal applied before it is recorded all the same.
            partial = getattr(err, "partial", None)
            if partial is not None and any(r.ok for r in partial.per_record):
                by_doc = portal_outcome_by_doc(upload, partial.per_record)
                record_portal_outcome(store, who, client_id, period, by_doc, operation, "")
            raise
        by_doc = portal_outcome_by_doc(upload, outcome.per_record)
        waiting = outcome.references and by_doc.filter(pl.col("ok").is_null()).height
        # Still processing at the portal: what it applied is recorded, and the operation stays open
        # (owned by nobody) so that the Upload page can fetch the rest of its answer later.
        if not waiting:
            record_portal_outcome(store, who, client_id, period, by_doc, operation, "")
        else:
            if by_doc.filter(pl.col("ok").is_not_null()).height:
                record_portal_outcome(store, who, client_id, period, by_doc, None, "")
            store.release_operation(operation, "the portal was still processing")
    return outcome, by_doc


def resume_upload(store, who: str, operation_id: int, connector, client_of) -> str:
    """Finish an interrupted upload: ask the portal for the status of every stored reference id, record
    what it applied and close the operation. Returns what happened, in words.

    Needs a portal session (the connector raises OtpRequired otherwise; the operation stays open).
    A body sent without a stored reference is settled by what the portal now holds for its records.
    ``client_of``: client id -> Client (the workspace's, which refuses an unknown id in words).
    """
    from recon.portal.client import OtpRequired, PortalError
    from recon.portal.service import resume

    operation = store.operation(operation_id)
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
    by_doc = _settle_by_holdings(connector, client_of, operation, by_doc)
    applied = by_doc.filter(pl.col("ok").fill_null(False)).height
    when = f"{local_time(operation['started_at']):%d-%m-%Y %H:%M}"
    what = "still being processed" if operation["owner"] == "" else "interrupted"
    words = (
        f"An upload of {records.height:,} action(s) to the portal was {what} at {when}; the "
        f"portal's answer was fetched: {applied:,} saved"
    )
    refused = by_doc.filter(pl.col("ok") == False).height  # noqa: E712 (polars expression)
    unknown = by_doc.height - applied - refused
    words += (f", {refused:,} refused" if refused else "") + (f", {unknown:,} not known" if unknown else "")
    record_portal_outcome(
        store, who, operation["client_id"], operation["period"], by_doc, operation_id, words + "."
    )
    return words + "."


def mark_uploaded(
    store,
    who: str,
    client_id: int,
    period: str,
    actions: dict[str, str],
    *,
    route: str,
    profile: str,
    refused: dict[str, str] | None = None,
    operation_id: int | None = None,
    outcome: str = "",
) -> None:
    """The portal accepted these actions: record them as its new state (``ims_action``).

    ``refused``: {portal doc_id: the portal's code and message} for records it turned down; the grid
    shows them on their rows until the next upload. The rewritten documents, the upload row and the
    closing of ``operation_id`` are one transaction.
    """
    rewritten = {}
    for record in store.imports(client_id, period):
        if record.source != "ims":
            continue
        docs = store.import_documents(record.id)
        hit = docs.filter(pl.col("doc_id").is_in(list(actions)))
        if hit.is_empty():
            continue
        rewritten[record.id] = docs.with_columns(
            pl.col("doc_id").replace_strict(actions, default=pl.col("ims_action")).alias("ims_action")
        )
    store.record_upload(
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
        who=who,
        operation_id=operation_id,
        outcome=outcome,
    )


def portal_refusals(store, client_id: int, period: str) -> dict[str, str]:
    """What the portal refused in the last upload through the connector: {portal doc_id: code and message}.

    A later upload replaces the list, so a record re-sent successfully loses its refusal.
    """
    for upload in store.uploads(client_id, period):
        if upload["route"] == "portal":
            return dict(upload["summary"].get("refused") or {})
    return {}


def record_portal_outcome(store, who, client_id, period, by_doc: pl.DataFrame, operation_id, words) -> None:
    applied = by_doc.filter(pl.col("ok").fill_null(False))
    refused = by_doc.filter(pl.col("ok") == False)  # noqa: E712 (polars expression)
    mark_uploaded(
        store,
        who,
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


def _settle_by_holdings(connector, client_of, operation: dict, by_doc: pl.DataFrame) -> pl.DataFrame:
    """Records whose fate is unknown (no reference stored, or no answer): applied when the portal
    holds the asked action now (a fresh download of its sections), else left unknown."""
    unknown = by_doc.filter(pl.col("ok").is_null())
    if unknown.is_empty():
        return by_doc
    from recon.portal.client import PortalError

    client = client_of(operation["client_id"])
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
