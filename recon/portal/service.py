"""What the app calls: fetch IMS and GSTR-2B into canonical documents, upload actions and say what happened
per record.

Policy lives here, the protocol in :mod:`recon.portal.client`:

* a download is read with the IMS reader into the canonical model and compared with the previous
  download (new documents, documents the supplier changed, documents gone, actions changed on the portal);
* an upload is sent body by body; each reference id is handed to ``on_reference`` at once so the app can
  store it and resume polling after a restart (:func:`resume`);
* a body that may have reached the portal (timeout, dropped connection, 5xx) is **never sent again
  blindly**: the affected sections are downloaded again and each record's held action compared with what
  was sent; only records the portal still holds at their ``prev_status`` are re-sent. ``prev_status`` makes
  every SAVE a compare-and-set, so even a late-applied first attempt cannot be applied twice;
* after the uploads the affected sections are downloaded again (docs/reference/portal-api.md §4 practice) and each
  record's outcome is confirmed against what the portal holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

import polars as pl
import requests

from recon.errors import Issue
from recon.jsonio import dumps_exact
from recon.portal.client import MaybeReceived, OtpRequired, PortalClient, PortalError, PortalUnavailable
from recon.portal.config import load_settings, settings_from_mapping

# The GSTR-2B fetch has its own module; the app finds it here with the rest of what it calls.
from recon.portal.service_gstr2b import Gstr2bOutcome, Progress, fetch_gstr2b, gstr2b_periods  # noqa: F401
from recon.present import india_time
from recon.readers.result import ReadResult
from recon.readers.sections import FETCHED_SECTIONS

log = logging.getLogger("recon.portal.service")

NOTE_SECTIONS = ("b2bcn", "b2bcna", "b2bdn", "b2bdna")
# error_report keys seen in production replies vs the published schema (docs/reference/portal-api.md §4): accept both.
REPORT_SECTION_ALIASES = {
    "cn": ("b2bcn",),
    "dn": ("b2bdn",),
    "cna": ("b2bcna",),
    "dna": ("b2bdna",),
    "b2bcn": ("b2bcn",),
    "b2bdn": ("b2bdn",),
}
# GETINV names unconfirmed (docs/reference/formats.md §1.2): a refusal is a warning
OPTIONAL_SECTIONS = ("ecom", "ecoma")

# Outcome codes the workbench gives when the portal gave none.
WB_GONE = "WB-GONE"  # the record is no longer on the portal
WB_CONFLICT = "WB-CONFLICT"  # the portal holds an action that is neither the sent one nor prev_status
WB_UNKNOWN = "WB-UNKNOWN"  # sent, but whether it was applied could not be established
WB_NOT_SENT = "WB-NOT-SENT"  # not sent (session lost before it): safe to send again
WB_UNDELIVERED = "WB-UNDELIVERED"  # the portal failed on every attempt and still holds prev_status


# ---------------------------------------------------------------------------------------------------
# Fetch
# ---------------------------------------------------------------------------------------------------


@dataclass
class FetchOutcome:
    """A download: canonical documents, counts, and what changed since the previous download."""

    result: ReadResult
    per_section: dict[str, int]
    portal_counts: dict[str, int] = field(default_factory=dict)  # GETCNT totals (completeness check)
    new: list[str] = field(default_factory=list)  # doc_ids not in the previous download
    changed: list[str] = field(default_factory=list)  # changed by the supplier (content or portal hash)
    gone: list[str] = field(default_factory=list)  # doc_ids of the previous download no longer there
    action_changed: list[str] = field(default_factory=list)  # held action differs (acted on the portal)

    def summary_lines(self) -> list[str]:
        sections = ", ".join(f"{s} {n}" for s, n in self.per_section.items() if n) or "no records"
        lines = [f"Downloaded {self.result.docs.height} documents from the portal ({sections})."]
        if self.new or self.changed or self.gone or self.action_changed:
            lines.append(
                f"Since the previous download: {len(self.new)} new, {len(self.changed)} changed by the supplier, "
                f"{len(self.gone)} gone, {len(self.action_changed)} with another action on the portal."
            )
        lines.extend(f"Warning: {w}" for w in self.result.warnings)
        return lines


def request_otp(client: PortalClient, gstin: str) -> None:
    """Ask the portal to send the OTP to the taxpayer's authorised signatory."""
    client.request_otp(gstin)


def fetch_ims(
    client: PortalClient,
    gstin: str,
    *,
    otp: str | None = None,
    progress: Progress | None = None,
    previous: pl.DataFrame | None = None,
    sections: Iterable[str] | None = None,
) -> FetchOutcome:
    """Download every IMS section for ``gstin`` and read it into canonical documents.

    ``otp``: opens the session when given; without a session and without an OTP, :class:`OtpRequired`
    is raised (call :func:`request_otp`, ask the user, call again with ``otp``).
    ``previous``: the previous download's canonical documents, to report what changed.
    """
    gstin = gstin.upper()
    client.open_session(gstin, otp)
    wanted = list(sections or client.settings.getinv_sections())
    report = progress or (lambda fraction, message: None)
    warnings: list[Issue] = []
    counts = _portal_counts(client, gstin, warnings)
    fetched: dict[str, list] = {}
    for index, section in enumerate(wanted):
        report(index / (len(wanted) + 1), f"Downloading {section}")
        try:
            fetched[section] = client.get_section(gstin, section)
        except PortalError as err:
            if section not in OPTIONAL_SECTIONS or isinstance(err, (OtpRequired, PortalUnavailable)):
                raise
            warnings.append(
                Issue(f"section {section} could not be downloaded ({err}); the GSP may not offer it")
            )
    report(len(wanted) / (len(wanted) + 1), "Reading the records")
    name = f"IMS {gstin} (portal download {india_time(datetime.now(UTC))})"
    result = _read_fetched(fetched, name, gstin)
    result.warnings.extend(warnings)
    per_section = {section: len(records) for section, records in fetched.items()}
    result.warnings.extend(_completeness(per_section, counts))
    outcome = FetchOutcome(result=result, per_section=per_section, portal_counts=counts)
    if previous is not None:
        _compare_with_previous(outcome, previous)
    report(1.0, "Done")
    return outcome


def _read_fetched(fetched: dict[str, list], name: str, gstin: str) -> ReadResult:
    from recon.readers.ims import read_ims

    # The bare {section: [records]} form, numbers as their exact literals (docs/reference/formats.md §2 rule 3).
    return read_ims(dumps_exact(fetched).encode("utf-8"), name, recipient_gstin=gstin)


def _portal_counts(client: PortalClient, gstin: str, warnings: list[Issue]) -> dict[str, int]:
    try:
        reply = client.get_counts(gstin)
    except (OtpRequired, PortalUnavailable):
        raise
    except PortalError as err:
        warnings.append(Issue(f"the portal's record counts (GETCNT) were not available: {err}"))
        return {}
    return section_totals(reply)


def section_totals(reply) -> dict[str, int]:
    """Per-section totals from a GETCNT reply, whatever the nesting (shapes differ between GSPs)."""
    totals: dict[str, int] = {}
    sections = set(FETCHED_SECTIONS)

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key.lower() in sections and isinstance(value, dict):
                    if "ttl_cnt" in value:
                        total = int(value["ttl_cnt"])
                    else:
                        total = sum(
                            int(value.get(k) or 0) for k in ("noaction", "accept", "reject", "pending")
                        )
                    totals[key.lower()] = totals.get(key.lower(), 0) + total
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(reply)
    return totals


def _completeness(per_section: dict[str, int], counts: dict[str, int]) -> list[Issue]:
    issues = []
    for section, expected in counts.items():
        got = per_section.get(section)
        if got is not None and got != expected:
            issues.append(
                Issue(
                    f"the portal counts {expected} {section} records but {got} were downloaded: download again"
                )
            )
    return issues


def _compare_with_previous(outcome: FetchOutcome, previous: pl.DataFrame) -> None:
    """New, gone, edited by the supplier (content or portal hash differs), acted on at the portal."""
    columns = ("doc_id", "content_hash", "portal_hash", "ims_action")
    now = outcome.result.docs.select(columns)
    before = previous.select(columns)
    before_ids = set(before["doc_id"].to_list())
    now_ids = set(now["doc_id"].to_list())
    outcome.new = [d for d in now["doc_id"].to_list() if d not in before_ids]
    outcome.gone = [d for d in before["doc_id"].to_list() if d not in now_ids]
    both = now.join(before, on="doc_id", how="inner", suffix="_before", maintain_order="left")
    edited = pl.col("content_hash").ne_missing(pl.col("content_hash_before")) | pl.col(
        "portal_hash"
    ).ne_missing(pl.col("portal_hash_before"))
    acted = pl.col("ims_action").ne_missing(pl.col("ims_action_before"))
    outcome.changed = both.filter(edited)["doc_id"].to_list()
    # A supplier edit resets the action too; it is reported once, as an edit.
    outcome.action_changed = both.filter(acted & edited.not_())["doc_id"].to_list()


# ---------------------------------------------------------------------------------------------------
# Upload
# ---------------------------------------------------------------------------------------------------


class RecordOutcome(NamedTuple):
    """What happened to one uploaded record. ``ok`` None: not known yet (still processing / unverified)."""

    section: str
    stin: str
    doc_no: str
    rtnprd: str
    ok: bool | None
    error_cd: str | None
    error_msg: str | None
    action: str  # what was asked: A / R / P, or N for a RESET
    reference_id: str | None = None
    held_action: str | None = None  # what the portal holds after the upload (when re-downloaded)


@dataclass
class UploadOutcome:
    """Overall status (P / PE / ER as REQSTS, IP = the portal is still processing, INCOMPLETE = records not
    sent or not verifiable yet), one :class:`RecordOutcome` per record, and the reference ids."""

    status: str
    per_record: list[RecordOutcome]
    references: list[str]
    messages: list[str] = field(default_factory=list)
    unsent: list[dict] = field(default_factory=list)  # bodies not sent (session lost): send them later

    @property
    def failed(self) -> list[RecordOutcome]:
        return [r for r in self.per_record if r.ok is False]

    def summary_lines(self) -> list[str]:
        done = sum(1 for r in self.per_record if r.ok)
        unknown = sum(1 for r in self.per_record if r.ok is None)
        lines = [
            f"Upload {self.status}: {done} applied, {len(self.failed)} refused, {unknown} not known yet."
        ]
        lines += [
            f"  {r.section} {r.stin} {r.doc_no} ({r.rtnprd}): {r.error_cd} {r.error_msg}" for r in self.failed
        ]
        lines += self.messages
        return lines


def upload(
    client: PortalClient,
    payloads: Iterable[dict],
    *,
    progress: Progress | None = None,
    on_reference: Callable[[str, dict], None] | None = None,
    confirm: bool = True,
) -> UploadOutcome:
    """Send SAVE / RESETIMS bodies (``recon.ims_json.api_payloads``) and report per record.

    ``on_reference(reference_id, body)`` is called as soon as the portal gives a reference id: store both
    so :func:`resume` can finish the polling after a restart. ``confirm``: download the affected sections
    afterwards and record what the portal holds.
    Raises :class:`OtpRequired` when the session is lost for good; its ``partial`` attribute holds the
    outcome so far, with the bodies not yet sent in ``unsent``.
    """
    bodies = list(payloads)
    report = progress or (lambda fraction, message: None)
    outcome = UploadOutcome(status="P", per_record=[], references=[])
    for index, body in enumerate(bodies):
        report(index / (len(bodies) + 1), f"Sending {body['action']} ({_count(body)} records)")
        try:
            outcome.per_record.extend(_send_body(client, body, outcome, on_reference))
        except OtpRequired as err:
            rest = bodies[index + 1 :] if getattr(err, "body_sent", False) else bodies[index:]
            _stop_here(outcome, rest, "not sent: the portal session ended; enter a new OTP and send again")
            err.partial = outcome
            raise
        except PortalUnavailable as err:
            _stop_here(
                outcome,
                bodies[index:],
                f"not sent: the portal could not be reached ({err}); send again later",
            )
            return outcome
    if confirm and outcome.per_record:
        report(len(bodies) / (len(bodies) + 1), "Checking what the portal holds now")
        _confirm(client, bodies, outcome)
    outcome.status = _overall(outcome.per_record)
    report(1.0, "Done")
    return outcome


def _stop_here(outcome: UploadOutcome, unsent: list[dict], message: str) -> None:
    """Bodies from here on were not sent: list their records as such and keep the bodies for later."""
    outcome.unsent = unsent
    for body in unsent:
        outcome.per_record.extend(_all(body, None, WB_NOT_SENT, message))
    outcome.status = _overall(outcome.per_record)


def resume(client: PortalClient, reference_id: str, body: dict, *, confirm: bool = True) -> UploadOutcome:
    """Finish an upload after a restart: poll the stored reference id and map its result onto ``body``."""
    gstin = body["data"]["rtin"]
    status = client.wait_for_status(gstin, reference_id)
    outcome = UploadOutcome(
        status="P", per_record=_map_status(body, reference_id, status), references=[reference_id]
    )
    if confirm:
        _confirm(client, [body], outcome)
    outcome.status = _overall(outcome.per_record)
    return outcome


def _send_body(client: PortalClient, body: dict, outcome: UploadOutcome, on_reference) -> list[RecordOutcome]:
    """One body: submit, or settle an uncertain submit by checking the portal; then poll."""
    gstin = body["data"]["rtin"]
    results: list[RecordOutcome] = []
    pending = body
    reference = None
    maybe_sent = False
    try:
        for _ in range(3):
            try:
                reference = client.submit(gstin, pending)
            except MaybeReceived as err:
                maybe_sent = True
                outcome.messages.append(f"{pending['action']}: {err}")
                settled, pending = _settle_uncertain(client, pending)
                results.extend(settled)
                if pending is None:
                    return results
                continue
            except OtpRequired:
                raise
            except PortalUnavailable:
                if not maybe_sent:
                    raise  # nothing of this body reached the portal: the caller keeps it as unsent
                break  # the rest was verified as not applied: reported as undelivered below
            except PortalError as err:
                # Refused on receipt (an error code, not a timeout): nothing of it was applied.
                return results + list(_all(pending, False, err.code or "ERROR", err.message))
            outcome.references.append(reference)
            if on_reference:
                on_reference(reference, pending)
            try:
                status = client.wait_for_status(gstin, reference)
            except OtpRequired:
                raise
            except PortalError as err:
                outcome.messages.append(
                    f"reference {reference}: status not known yet ({err}); check again later"
                )
                status = {"status_cd": "IP"}
            return results + _map_status(pending, reference, status)
    except OtpRequired as err:
        if maybe_sent or reference:
            # The body reached (or may have reached) the portal: it must not count as unsent.
            message = (
                "sent; the session ended before the portal's answer was known: enter an OTP and check again"
            )
            outcome.per_record.extend(results + list(_all(pending, None, WB_UNKNOWN, message, reference)))
            err.body_sent = True
        raise
    # The portal failed three times and still holds the old action for these: say so, do not loop on.
    message = "the portal kept failing and still holds the previous action: send again later"
    return results + list(_all(pending, False, WB_UNDELIVERED, message))


def _settle_uncertain(client: PortalClient, body: dict) -> tuple[list[RecordOutcome], dict | None]:
    """After a send that may have reached the portal: which records hold the sent action already, which
    must be sent again (the portal still holds ``prev_status``), and which changed in between."""
    gstin = body["data"]["rtin"]
    client.clock.sleep(client.poll_schedule[0] if client.poll_schedule else 0)  # let a queued request finish
    try:
        held = _held_actions(client, gstin, body["data"]["invdata"])
    except PortalUnavailable:
        return list(
            _all(body, None, WB_UNKNOWN, "sent, but the portal could not be reached to check it")
        ), None
    settled: list[RecordOutcome] = []
    resend: dict[str, list] = {}
    for section, record in _records(body):
        wanted = _wanted(body, record)
        now = held.get(_key(section, record))
        if now is None:
            settled.append(
                _outcome(section, record, body, False, WB_GONE, "no longer on the portal: download again")
            )
        elif now == wanted:
            settled.append(_outcome(section, record, body, True, None, None, held_action=now))
        elif now == record["prev_status"]:
            resend.setdefault(section, []).append(record)
        else:
            message = f"the portal now holds {now}, not {wanted} and not {record['prev_status']}: download and decide again"
            settled.append(_outcome(section, record, body, False, WB_CONFLICT, message, held_action=now))
    if not resend:
        return settled, None
    log.info("re-sending %d record(s) the portal does not hold", sum(len(v) for v in resend.values()))
    return settled, {"action": body["action"], "data": {**body["data"], "invdata": resend}}


def _map_status(body: dict, reference: str, status: dict) -> list[RecordOutcome]:
    """Per-record outcome from a REQSTS reply (P: all done; PE: errors per record; ER: none done)."""
    code = str(status.get("status_cd"))
    if code == "P":
        return list(_all(body, True, None, None, reference))
    if code == "ER":
        return list(
            _all(
                body,
                False,
                status.get("err_cd") or "ER",
                status.get("err_msg") or "request refused",
                reference,
            )
        )
    if code != "PE":
        return list(
            _all(body, None, WB_UNKNOWN, f"still processing at the portal (reference {reference})", reference)
        )
    errors = _errors_by_record(status.get("error_report") or {})
    results = []
    for section, record in _records(body):
        error = _find_error(errors, section, record)
        if error:
            results.append(_outcome(section, record, body, False, error[0], error[1], reference))
        else:
            results.append(_outcome(section, record, body, True, None, None, reference))
    return results


def _errors_by_record(report: dict) -> dict[tuple, tuple[str, str]]:
    """error_report -> {(section, stin, number, rtnprd): (code, message)}; rtnprd may be ''."""
    errors = {}
    for key, groups in report.items():
        sections = REPORT_SECTION_ALIASES.get(key.lower(), (key.lower(),))
        for group in groups or []:
            stin = str(group.get("stin", "")).upper()
            for inv in group.get("inv") or []:
                # The number sits under `inum` even for notes (docs/reference/portal-api.md §4); tolerate nt_num.
                number = str(inv.get("inum") or inv.get("nt_num") or "")
                for section in sections:
                    errors[(section, stin, number, str(inv.get("rtnprd") or ""))] = (
                        str(group.get("error_cd") or ""),
                        str(group.get("error_msg") or ""),
                    )
    return errors


def _find_error(errors: dict, section: str, record: dict) -> tuple[str, str] | None:
    key = _key(section, record)
    return errors.get(key) or errors.get((*key[:3], ""))


def _confirm(client: PortalClient, bodies: list[dict], outcome: UploadOutcome) -> None:
    """Download the affected sections again and note what the portal holds for every record."""
    by_rtin: dict[str, dict[str, list]] = {}
    for body in bodies:
        for section, records in body["data"]["invdata"].items():
            by_rtin.setdefault(body["data"]["rtin"], {}).setdefault(section, []).extend(records)
    held: dict[tuple, str] = {}  # one upload is for one recipient in practice; keys omit the rtin
    try:
        for rtin, invdata in by_rtin.items():
            held.update(_held_actions(client, rtin, invdata))
    except PortalError as err:
        outcome.messages.append(f"could not re-download to confirm the upload: {err}")
        return
    confirmed = []
    for record in outcome.per_record:
        now = held.get((record.section, record.stin, record.doc_no, record.rtnprd))
        if now is None:
            confirmed.append(record)
            continue
        if record.ok is not True and now == record.action and record.error_cd != WB_NOT_SENT:
            # e.g. a re-send refused as stale because the first attempt had been applied after all.
            record = record._replace(ok=True, error_cd=None, error_msg=None)
        confirmed.append(record._replace(held_action=now))
    outcome.per_record = confirmed


def _held_actions(client: PortalClient, gstin: str, invdata: dict) -> dict[tuple, str]:
    held = {}
    for section in invdata:
        for record in client.get_section(gstin, section):
            held[_key(section, record)] = str(record.get("action"))
    return held


def _overall(records: list[RecordOutcome]) -> str:
    """P all applied; PE some refused; ER none applied; IP waiting for the portal's answer;
    INCOMPLETE some records not sent, or sent without any way to learn their fate yet."""
    if any(r.ok is None and (r.error_cd == WB_NOT_SENT or r.reference_id is None) for r in records):
        return "INCOMPLETE"
    if any(r.ok is None for r in records):
        return "IP"
    if all(r.ok for r in records):
        return "P"
    return "PE" if any(r.ok for r in records) else "ER"


# -- record helpers ----------------------------------------------------------------------------------


def _records(body: dict):
    for section, records in body["data"]["invdata"].items():
        for record in records:
            yield section, record


def _count(body: dict) -> int:
    return sum(len(v) for v in body["data"]["invdata"].values())


def _number(section: str, record: dict) -> str:
    first, second = ("nt_num", "inum") if section in NOTE_SECTIONS else ("inum", "nt_num")
    return str(record.get(first) or record.get(second) or "")


def _key(section: str, record: dict) -> tuple[str, str, str, str]:
    return (
        section,
        str(record.get("stin", "")).upper(),
        _number(section, record),
        str(record.get("rtnprd", "")),
    )


def _wanted(body: dict, record: dict) -> str:
    return "N" if body["action"] == "RESETIMS" else str(record.get("action"))


def _outcome(section, record, body, ok, code, message, reference=None, held_action=None) -> RecordOutcome:
    return RecordOutcome(
        section, *_key(section, record)[1:], ok, code, message, _wanted(body, record), reference, held_action
    )


def _all(body: dict, ok, code, message, reference=None):
    for section, record in _records(body):
        yield _outcome(section, record, body, ok, code, message, reference)


# ---------------------------------------------------------------------------------------------------
# Building a connector
# ---------------------------------------------------------------------------------------------------


def connector_from_settings(
    session: requests.Session | None = None,
    *,
    environ=None,
    secrets_path=".streamlit/secrets.toml",
    **client_options,
) -> PortalClient:
    """A client for the firm's GSP, configured from the environment / .streamlit/secrets.toml [portal]."""
    settings = load_settings(environ, secrets_path)
    return PortalClient(settings.base_url, settings, session, **client_options)


def demo_connector(handle, session: requests.Session | None = None, **client_options) -> PortalClient:
    """A client for a sandbox: running on 127.0.0.1 (``recon.portal.sandbox.start_background``, the app's demo
    mode) or in-process (``recon.portal.transport.start_in_process``)."""
    settings = settings_from_mapping(
        {
            "base_url": handle.base_url,
            "client_id": handle.client_id,
            "client_secret": handle.client_secret,
            "public_key_pem": handle.public_key_pem,
            "usernames": handle.usernames,
        },
        origin="sandbox",
    )
    if session is None:
        session = requests.Session()
        session.trust_env = False  # 127.0.0.1 must never go through a proxy from the environment
        transport = getattr(handle, "transport", None)
        if transport is not None:  # an in-process sandbox: no socket (recon.portal.transport)
            session.mount(handle.base_url + "/", transport)
    return PortalClient(handle.base_url, settings, session, **client_options)
