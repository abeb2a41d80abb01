"""A local stand-in for the GST portal's IMS API: the same conversation, its own keys, switchable faults.

Two layers: :class:`SandboxPortal` holds the state (no HTTP) and applies the portal's rules
(:mod:`recon.portal.sandbox_rules`), and a small ``http.server`` handler speaks the protocol on 127.0.0.1
around it (:func:`answer` is the request-to-reply step, free of sockets). The app's demo mode and the
loopback tests use :func:`start_background`; most tests call :func:`answer` in-process through
``recon.portal.transport``; ``python -m recon.sandbox`` runs it in the foreground.

What it imitates (docs/reference/portal-api.md §2-§4, docs/reference/formats.md §1-§2, docs/reference/ims-rules.md §2/§4):

* OTPREQUEST / AUTHTOKEN / REFRESHTOKEN with RSA-encrypted app keys, an OTP under the app key, ``sek``;
  expiring sessions (AUTH4033 invalid, AUTH4038 expired), refresh within the API-access window;
* encrypted, HMAC-signed bodies and replies (``rek``);
* GETCNT, GETINV per section (records with ``action``, ``hash``, ``ispendactblocked``), queued downloads
  (token + est, FILEDET with encrypted tar.gz files and their SHA-256);
* SAVE / RESETIMS -> reference id -> REQSTS (IP, then P / PE with ``error_report`` / ER): stale
  ``prev_status`` or a supplier edit -> IMSSAV0010; Accept of a credit note without ``itcRedReq`` ->
  IMSSAV0054; schema violations (missing or extra keys, N in a SAVE, an action in a RESET) -> IMSSAV005
  (whole request, nothing applied); Pending where blocked -> SBX-PENDBLK for that record; a declared ITC
  reduction above the note's tax or with CGST != SGST -> SBX-DECL;
* supplier edits (amounts and hash change, the recipient's action resets to N);
* faults: slow replies, HTTP 500, dropped connections (optionally after applying the request), expired
  sessions.

Error codes the reference does not give are the sandbox's own and start with ``SBX``.
"""

from __future__ import annotations

import contextlib
import copy
import io
import itertools
import json
import logging
import secrets
import socket
import tarfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from recon.jsonio import dumps_exact, loads_exact
from recon.portal import crypto
from recon.portal.clock import SYSTEM_CLOCK, Clock
from recon.portal.sandbox_rules import (
    SECTION_KEYS,
    SHORT_REPORT_KEYS,
    number_field,
    record_hash,
    record_key,
    record_problem,
    schema_problem,
    sent_records,
)

log = logging.getLogger("recon.portal.sandbox")

DEMO_OTP = "575757"
DEMO_CLIENT_ID = "sandbox-client"
DEMO_CLIENT_SECRET = "sandbox-secret"
DEMO_USERNAME = "demo_user"


# ---------------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------------


@dataclass
class Fault:
    """A switchable misbehaviour for matching requests.

    ``kind``: ``error500`` (reply HTTP 500), ``drop`` (close the socket without a reply), ``slow``
    (sleep ``seconds`` before replying), ``garble`` (HTTP 200 with a reply that does not decrypt). ``action``: SAVE, RESETIMS, GETINV, REQSTS, FILEDET, GETCNT,
    AUTHTOKEN, ..., or ``*``. ``skip``: let this many matching requests through first (fault on the
    Nth = skip N-1). ``times``: how many requests it hits. ``apply_first``: for SAVE/RESETIMS, process
    the request (the portal received it) before failing.
    """

    kind: str
    action: str = "*"
    skip: int = 0
    times: int = 1
    apply_first: bool = False
    seconds: float = 0.0

    def matches(self, action: str) -> bool:
        return self.times > 0 and self.action in ("*", action)


@dataclass
class LoggedRequest:
    """One request as the sandbox received it (tests assert on this log)."""

    number: int
    method: str
    action: str
    gstin: str | None
    records: list[tuple] = field(default_factory=list)  # (section, stin, number, rtnprd, action) sent
    applied: list[tuple] = field(default_factory=list)  # record keys whose action changed
    reference_id: str | None = None
    fault: str | None = None
    replied: bool = True


@dataclass
class _Session:
    username: str
    gstin: str
    app_key: bytes
    session_key: bytes
    expires_at: float
    refreshable: bool = True


@dataclass
class _Queued:
    gstin: str
    ready_at: float
    file_key: bytes
    files: list[tuple[str, int, bytes]]  # (name, record count, tar.gz bytes)


class SandboxError(Exception):
    """An error reply: HTTP status, error code and message as the portal gives them."""

    def __init__(self, http_status: int, code: str, message: str) -> None:
        self.http_status = http_status
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class DropConnection(Exception):
    """Close the socket without a reply."""


# ---------------------------------------------------------------------------------------------------
# The portal's state and rules
# ---------------------------------------------------------------------------------------------------


class SandboxPortal:
    """IMS records per GSTIN, sessions, requests and their statuses, faults. Thread-safe."""

    def __init__(
        self,
        *,
        otp: str = DEMO_OTP,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
        session_minutes: float = 360.0,
        refresh_window_minutes: float = 24 * 60.0,
        queue_threshold: int = 500,
        records_per_file: int = 1000,
        est_minutes: int = 1,
        file_ready_seconds: float = 0.0,
        ip_polls: int = 1,
        short_report_keys: bool = False,
        clock: Clock = SYSTEM_CLOCK,
        key_pair=None,
        faults=(),
    ) -> None:
        # Its own key pair per portal; tests may share one (``key_pair``) because generating costs ~0.2 s.
        self.private_key, self.public_key_pem = key_pair or crypto.new_rsa_key_pair()
        self.otp = otp
        self.client_id = client_id
        self.client_secret = client_secret
        self.session_minutes = session_minutes
        self.refresh_window_minutes = refresh_window_minutes
        self.queue_threshold = queue_threshold
        self.records_per_file = records_per_file
        self.est_minutes = est_minutes
        self.file_ready_seconds = file_ready_seconds
        self.ip_polls = ip_polls
        self.short_report_keys = short_report_keys
        self.clock = clock
        self.base_url = ""  # set by the server once it knows its port (file URLs are absolute)
        self.records: dict[str, dict[str, list[dict]]] = {}  # gstin -> section -> records
        self.usernames: dict[str, str] = {}  # gstin -> portal username
        self.log: list[LoggedRequest] = []
        self.faults: list[Fault] = list(faults)  # switched on from the start (or later: add_fault)
        self._otp_issued: set[tuple[str, str]] = set()  # (gstin, username)
        self._sessions: dict[str, _Session] = {}  # auth token -> session
        self._references: dict[str, dict] = {}  # reference id -> {"gstin", "status", "polls"}
        self._queued: dict[str, _Queued] = {}
        self._files: dict[str, bytes] = {}
        self._counter = itertools.count(1)
        self._lock = threading.RLock()

    # -- seeding and supplier-side changes ----------------------------------------------------------

    def add_taxpayer(self, gstin: str, sections: Mapping[str, list], username: str = DEMO_USERNAME) -> None:
        """Hold these IMS records for ``gstin``; missing ``action``/``hash``/``ispendactblocked`` are filled."""
        gstin = gstin.upper()
        held: dict[str, list[dict]] = {}
        for section, records in sections.items():
            for record in records:
                rec = loads_exact(dumps_exact(record))  # own copy, numbers as Decimal
                rec.setdefault("action", "N")
                rec.setdefault("ispendactblocked", "N")
                rec["hash"] = rec.get("hash") or record_hash(rec)
                held.setdefault(section, []).append(rec)
        with self._lock:
            self.records[gstin] = held
            self.usernames[gstin] = username

    def find(
        self, gstin: str, section: str, stin: str, number: str, rtnprd: str | None = None
    ) -> dict | None:
        for rec in self.records.get(gstin.upper(), {}).get(section, []):
            key = record_key(section, rec)
            if key[1] == stin.upper() and key[2] == number and (rtnprd is None or key[3] == rtnprd):
                return rec
        return None

    def held_actions(self, gstin: str) -> dict[tuple, str]:
        """(section, stin, number, rtnprd) -> action held now: what tests compare decisions with."""
        with self._lock:
            return {
                record_key(section, rec): rec["action"]
                for section, records in self.records.get(gstin.upper(), {}).items()
                for rec in records
            }

    def supplier_edit(self, gstin: str, section: str, stin: str, number: str, **changes) -> dict:
        """The supplier amends a saved document: fields change, the hash changes, the action resets to N."""
        with self._lock:
            rec = self.find(gstin, section, stin, number)
            if rec is None:
                raise KeyError(f"no {section} record {stin}/{number} held for {gstin}")
            for key, value in changes.items():
                rec[key] = Decimal(str(value)) if isinstance(value, float) else value
            rec["action"] = "N"
            rec["hash"] = record_hash(rec)
            return copy.deepcopy(rec)

    def set_action(self, gstin: str, section: str, stin: str, number: str, action: str) -> None:
        """Someone else (the taxpayer on the portal's web page) sets an action."""
        with self._lock:
            rec = self.find(gstin, section, stin, number)
            if rec is None:
                raise KeyError(f"no {section} record {stin}/{number} held for {gstin}")
            rec["action"] = action

    # -- faults and session control -------------------------------------------------------------------

    def add_fault(self, kind: str, action: str = "*", **options) -> Fault:
        if kind not in ("error500", "drop", "slow", "garble"):
            raise ValueError(f"unknown fault kind {kind!r}")
        fault = Fault(kind, action, **options)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def expire_sessions(self, *, refreshable: bool = True) -> None:
        """Every open session expires now; with ``refreshable=False`` a new OTP is the only way back."""
        with self._lock:
            for session in self._sessions.values():
                session.expires_at = self.clock.monotonic() - 1
                session.refreshable = session.refreshable and refreshable

    def _take_fault(self, action: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(action):
                    if fault.skip > 0:
                        fault.skip -= 1
                        return None
                    fault.times -= 1
                    return fault
        return None

    # -- request log -------------------------------------------------------------------------------

    def _record_request(self, method: str, action: str, gstin: str | None) -> LoggedRequest:
        with self._lock:
            entry = LoggedRequest(len(self.log) + 1, method, action, gstin)
            self.log.append(entry)
            return entry

    def requests_of(self, *actions: str) -> list[LoggedRequest]:
        with self._lock:
            return [entry for entry in self.log if entry.action in actions]

    # -- authentication ------------------------------------------------------------------------------

    def check_gsp(self, headers: Mapping[str, str]) -> None:
        if headers.get("clientid") != self.client_id or headers.get("client-secret") != self.client_secret:
            raise SandboxError(401, "AUTH158", "Authentication failed: unknown clientid or client-secret")

    def authenticate(self, gstin: str, body: Mapping) -> dict:
        action = body.get("action")
        if action == "OTPREQUEST":
            return self._otp_request(gstin, body)
        if action == "AUTHTOKEN":
            return self._auth_token(gstin, body)
        if action == "REFRESHTOKEN":
            return self._refresh(gstin, body)
        raise SandboxError(400, "GEN5001", f"unknown authentication action {action!r}")

    def _username_ok(self, gstin: str, username: str | None) -> None:
        if gstin not in self.records:
            raise SandboxError(400, "AUTH158", f"GSTIN {gstin} is not registered on this sandbox")
        if username != self.usernames.get(gstin):
            raise SandboxError(401, "AUTH158", "Invalid username for this GSTIN")

    def _app_key(self, body: Mapping) -> bytes:
        try:
            key = crypto.rsa_decrypt(str(body.get("app_key") or ""), self.private_key)
        except crypto.CryptoError:
            raise SandboxError(
                400, "TEC4002", "Invalid public key: the app key cannot be decrypted"
            ) from None
        if len(key) != crypto.KEY_BYTES:
            raise SandboxError(400, "TEC4002", "the app key must be 32 bytes")
        return key

    def _otp_request(self, gstin: str, body: Mapping) -> dict:
        with self._lock:
            self._username_ok(gstin, body.get("username"))
            self._app_key(body)
            self._otp_issued.add((gstin, body["username"]))
        log.info("sandbox: OTP for %s is the demo OTP", gstin)
        return {"status_cd": "1"}

    def _auth_token(self, gstin: str, body: Mapping) -> dict:
        with self._lock:
            username = body.get("username")
            self._username_ok(gstin, username)
            app_key = self._app_key(body)
            try:
                otp = crypto.aes_decrypt(str(body.get("otp") or ""), app_key).decode()
            except (crypto.CryptoError, UnicodeDecodeError):
                raise SandboxError(400, "RET13506", "OTP is invalid or expired") from None
            if (gstin, username) not in self._otp_issued or otp != self.otp:
                raise SandboxError(400, "RET13506", "OTP is invalid or expired")
            self._otp_issued.discard((gstin, username))
            return self._open_session(gstin, username, app_key)

    def _open_session(self, gstin: str, username: str, app_key: bytes) -> dict:
        token = secrets.token_hex(16)
        session_key = crypto.new_key()
        self._sessions[token] = _Session(
            username, gstin, app_key, session_key, self.clock.monotonic() + self.session_minutes * 60
        )
        return {
            "status_cd": "1",
            "auth_token": token,
            "expiry": self.session_minutes,
            "sek": crypto.aes_encrypt(session_key, app_key),
        }

    def _refresh(self, gstin: str, body: Mapping) -> dict:
        with self._lock:
            session = self._sessions.get(str(body.get("auth_token") or ""))
            if session is None or session.gstin != gstin or session.username != body.get("username"):
                raise SandboxError(401, "AUTH4033", "Invalid session")
            too_late = self.clock.monotonic() > session.expires_at + self.refresh_window_minutes * 60
            if not session.refreshable or too_late:
                raise SandboxError(401, "AUTH4038", "Session expired: authenticate again with an OTP")
            try:
                app_key = crypto.aes_decrypt(str(body.get("app_key") or ""), session.session_key)
            except crypto.CryptoError:
                raise SandboxError(
                    400, "TEC4002", "the app key is not encrypted with the session key"
                ) from None
            if app_key != session.app_key:
                raise SandboxError(401, "AUTH158", "the app key does not belong to this session")
            del self._sessions[body["auth_token"]]
            return self._open_session(gstin, session.username, app_key)

    def session_for(self, headers: Mapping[str, str], gstin: str) -> _Session:
        with self._lock:
            session = self._sessions.get(headers.get("auth-token") or "")
            if session is None or session.gstin != gstin or session.username != headers.get("username"):
                raise SandboxError(401, "AUTH4033", "Invalid session")
            if self.clock.monotonic() >= session.expires_at:
                raise SandboxError(401, "AUTH4038", "Session expired")
            return session

    # -- downloads -------------------------------------------------------------------------------------

    def counts(self, gstin: str, goods_typ: str) -> dict:
        if goods_typ != "ALL_OTH":
            return {"goods_typ": goods_typ, "ttl_cnt": 0, "sections": {}}
        sections = {}
        with self._lock:
            for section, records in self.records.get(gstin, {}).items():
                tally = {"ttl_cnt": len(records), "noaction": 0, "accept": 0, "reject": 0, "pending": 0}
                for rec in records:
                    tally[{"N": "noaction", "A": "accept", "R": "reject", "P": "pending"}[rec["action"]]] += 1
                sections[section] = tally
        return {
            "goods_typ": goods_typ,
            "ttl_cnt": sum(s["ttl_cnt"] for s in sections.values()),
            "sections": sections,
        }

    def invoices(self, gstin: str, section_code: str, status: str | None) -> dict:
        section = SECTION_KEYS.get((section_code or "").upper())
        if section is None:
            raise SandboxError(400, "GEN5001", f"section {section_code!r} is not an IMS section")
        with self._lock:
            records = copy.deepcopy(self.records.get(gstin, {}).get(section, []))
        if status:
            records = [r for r in records if r["action"] == status]
        if len(records) > self.queue_threshold:
            return self._queue(gstin, section, records)
        return {section: records}

    def _queue(self, gstin: str, section: str, records: list[dict]) -> dict:
        token = secrets.token_hex(8)
        file_key = crypto.new_key()
        files = []
        for index in range(0, len(records), self.records_per_file):
            chunk = records[index : index + self.records_per_file]
            name = f"{token}_{index // self.records_per_file + 1}.tar.gz"
            files.append(
                (name, len(chunk), _tar_gz(name[:-7] + ".json", crypto.seal({section: chunk}, file_key)[0]))
            )
        with self._lock:
            self._queued[token] = _Queued(
                gstin, self.clock.monotonic() + self.file_ready_seconds, file_key, files
            )
            for name, _, content in files:
                self._files[name] = content
        return {"token": token, "est": self.est_minutes}

    def file_details(self, gstin: str, token: str) -> dict:
        with self._lock:
            queued = self._queued.get(token or "")
        if queued is None or queued.gstin != gstin:
            raise SandboxError(400, "GEN5001", "unknown token")
        if self.clock.monotonic() < queued.ready_at:
            raise SandboxError(400, "SBX-FILE-WAIT", "the file is being generated; try after some time")
        urls = [
            {"ul": f"{self.base_url}/files/{name}", "ic": count, "hash": crypto.sha256_hex(content)}
            for name, count, content in queued.files
        ]
        return {"fc": len(urls), "urls": urls, "ek": crypto.b64(queued.file_key)}

    def file(self, name: str) -> bytes | None:
        with self._lock:
            return self._files.get(name)

    # -- SAVE / RESETIMS --------------------------------------------------------------------------------

    def receive_action(self, gstin: str, action: str, payload, entry: LoggedRequest) -> str:
        """Process a decrypted SAVE/RESETIMS body; returns the reference id (processing is synchronous,
        REQSTS reports IP for ``ip_polls`` polls first, as the portal's queue would)."""
        with self._lock:
            reference = f"SBX{next(self._counter):08d}"
            entry.records = sent_records(payload)
            problem = schema_problem(gstin, action, payload)
            if problem:
                status = {"status_cd": "ER", "transTypCd": "SAV", "proc_cnt": "0", "err_cnt": "0",
                          "err_cd": "IMSSAV005", "err_msg": f"Schema validation failed: {problem}"}  # fmt: skip
            else:
                status = self._apply(gstin, payload, entry)
            self._references[reference] = {"gstin": gstin, "status": status, "polls": 0}
            entry.reference_id = reference  # last: a reader seeing it finds the status stored
            return reference

    def _apply(self, gstin: str, payload: Mapping, entry: LoggedRequest) -> dict:
        reqtyp = payload["reqtyp"]
        errors: list[tuple[str, dict, str, str]] = []  # (section, record, code, message)
        done = 0
        index = {
            record_key(section, rec): rec
            for section, records in self.records.get(gstin, {}).items()
            for rec in records
        }
        for section, records in payload["invdata"].items():
            for sent in records:
                held = index.get(record_key(section, sent))
                problem = record_problem(held, section, sent, reqtyp)
                if problem:
                    errors.append((section, sent, *problem))
                    continue
                held["action"] = sent["action"] if reqtyp == "SAVE" else "N"
                entry.applied.append(record_key(section, held))
                done += 1
        status = {"status_cd": "PE" if errors else "P", "transTypCd": "SAV" if reqtyp == "SAVE" else "RST",
                  "proc_cnt": str(done), "err_cnt": str(len(errors)), "err_cd": "", "err_msg": ""}  # fmt: skip
        if errors:
            status["error_report"] = self._error_report(errors)
        return status

    def _error_report(self, errors: list[tuple[str, dict, str, str]]) -> dict:
        report: dict[str, list[dict]] = {}
        groups: dict[tuple, dict] = {}
        for section, sent, code, message in errors:
            key = SHORT_REPORT_KEYS.get(section, section) if self.short_report_keys else section
            group_key = (key, str(sent.get("stin")), code, message)
            if group_key not in groups:
                groups[group_key] = {
                    "stin": str(sent.get("stin")),
                    "error_cd": code,
                    "error_msg": message,
                    "inv": [],
                }
                report.setdefault(key, []).append(groups[group_key])
            # The number sits under `inum` even for notes (docs/reference/portal-api.md §4).
            number = sent.get(number_field(section)) or sent.get("inum")
            groups[group_key]["inv"].append({"inum": number, "rtnprd": sent.get("rtnprd")})
        return report

    def request_status(self, gstin: str, reference: str) -> dict:
        with self._lock:
            ref = self._references.get(reference or "")
            if ref is None or ref["gstin"] != gstin:
                raise SandboxError(400, "GEN5001", "unknown reference id")
            ref["polls"] += 1
            if ref["polls"] <= self.ip_polls:
                return {"status_cd": "IP"}
            return copy.deepcopy(ref["status"])


def _tar_gz(member: str, text: str) -> bytes:
    buffer = io.BytesIO()
    data = text.encode("ascii")
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WireReply:
    """What the sandbox answers one request with, before any socket is involved."""

    status: int
    body: bytes
    content_type: str = "application/json"


def _json_reply(status: int, value: dict) -> WireReply:
    return WireReply(status, json.dumps(value).encode())


def _error_reply(status: int, code: str, message: str) -> WireReply:
    return _json_reply(status, {"status_cd": "0", "error": {"error_cd": code, "message": message}})


class _Answered(Exception):
    """A fault has chosen the reply (HTTP 500, a garbled body): stop handling and send it."""

    def __init__(self, reply: WireReply) -> None:
        self.reply = reply
        super().__init__(reply.status)


def answer(
    portal: SandboxPortal, method: str, target: str, headers: Mapping[str, str], raw_body: bytes
) -> WireReply:
    """The sandbox's reply to one request (``target``: path and query), the same for a socket or in-process.

    Raises :class:`DropConnection` when a fault says the connection closes without a reply.
    """
    url = urlparse(target)
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    headers = {k.lower(): v for k, v in headers.items()}
    try:
        if url.path.startswith("/files/"):
            return _file_reply(portal, url.path[len("/files/") :])
        if url.path == "/sandbox/public-key":
            return _json_reply(200, {"public_key_pem": portal.public_key_pem})
        if url.path == "/sandbox/admin" and method == "POST":
            return _json_reply(200, _admin(portal, json.loads(raw_body or b"{}")))
        if url.path.endswith("/authenticate") and method == "POST":
            return _authenticate(portal, headers, raw_body)
        if url.path.endswith("/returns/ims"):
            return _ims(portal, method, headers, params, raw_body)
        return _error_reply(404, "GEN404", "no such endpoint")
    except _Answered as answered:
        return answered.reply
    except SandboxError as err:
        return _error_reply(err.http_status, err.code, err.message)


def _authenticate(portal: SandboxPortal, headers: dict, raw_body: bytes) -> WireReply:
    body = _json_body(raw_body)
    action = str(body.get("action"))
    entry = portal._record_request("POST", action, headers.get("gstin"))
    _fault_before(portal, action, entry)
    portal.check_gsp(headers)
    gstin = (headers.get("gstin") or "").upper()
    return _json_reply(200, portal.authenticate(gstin, body))


def _ims(portal: SandboxPortal, method: str, headers: dict, params: dict, raw_body: bytes) -> WireReply:
    portal.check_gsp(headers)
    gstin = (headers.get("gstin") or params.get("gstin") or "").upper()
    body = _json_body(raw_body) if method == "PUT" else {}
    action = str(params.get("action") or body.get("action") or "")
    entry = portal._record_request(method, action, gstin)
    session = portal.session_for(headers, gstin)
    if method == "PUT":
        return _receive(portal, session, gstin, action, body, entry)
    _fault_before(portal, action, entry)
    if gstin != (params.get("gstin") or "").upper():
        raise SandboxError(400, "GEN5001", "gstin parameter missing or different from the header")
    if action == "GETCNT":
        return _sealed_reply(session, portal.counts(gstin, params.get("goods_typ") or ""))
    if action == "GETINV":
        return _sealed_reply(
            session, portal.invoices(gstin, params.get("section") or "", params.get("status"))
        )
    if action == "FILEDET":
        return _sealed_reply(session, portal.file_details(gstin, params.get("token") or ""))
    if action == "REQSTS":
        return _sealed_reply(session, portal.request_status(gstin, params.get("int_tran_id") or ""))
    raise SandboxError(400, "GEN5001", f"unknown action {action!r}")


def _receive(
    portal: SandboxPortal, session: _Session, gstin: str, action: str, body: dict, entry: LoggedRequest
) -> WireReply:
    """A SAVE / RESETIMS: verified, logged as received, applied; a fault may strike before or after."""
    if action not in ("SAVE", "RESETIMS"):
        raise SandboxError(400, "GEN5001", f"unknown action {action!r}")
    try:
        payload = crypto.open_sealed(str(body.get("data") or ""), body.get("hmac"), session.session_key)
    except crypto.CryptoError as err:
        raise SandboxError(400, "SBX-HMAC", f"the request could not be verified: {err}") from None
    entry.records = sent_records(payload)  # logged as received, whatever happens next
    fault = portal._take_fault(action)
    if fault and not fault.apply_first:
        _fail(portal, fault, entry)
    reference = portal.receive_action(gstin, action, payload, entry)
    if fault and fault.apply_first:
        _fail(portal, fault, entry)
    return _sealed_reply(session, {"reference_id": reference})


def _fault_before(portal: SandboxPortal, action: str, entry: LoggedRequest) -> None:
    fault = portal._take_fault(action)
    if fault:
        _fail(portal, fault, entry)


def _fail(portal: SandboxPortal, fault: Fault, entry: LoggedRequest) -> None:
    entry.fault = fault.kind
    if fault.kind == "slow":
        # On the portal's clock: a ManualClock makes the delay cost no real time, yet the caller's
        # timeout still sees it (recon.portal.transport compares the clock before and after).
        portal.clock.sleep(fault.seconds)
        return
    entry.replied = False
    if fault.kind == "drop":
        raise DropConnection()
    if fault.kind == "garble":
        # A success status with a reply that does not decrypt (a proxy or GSP mangled it).
        raise _Answered(
            _json_reply(200, {"status_cd": "1", "data": crypto.b64(b"x" * 32), "rek": crypto.b64(b"y" * 48)})
        )
    raise _Answered(_json_reply(500, {"message": "Internal Server Error"}))


def _file_reply(portal: SandboxPortal, name: str) -> WireReply:
    content = portal.file(name)
    if content is None:
        return _error_reply(404, "GEN404", "no such file")
    return WireReply(200, content, "application/gzip")


def _sealed_reply(session: _Session, value) -> WireReply:
    return _json_reply(200, {"status_cd": "1", **crypto.seal_reply(value, session.session_key)})


class _Handler(BaseHTTPRequestHandler):
    """:func:`answer` over a socket on 127.0.0.1."""

    portal: SandboxPortal  # set on the subclass made per server
    protocol_version = "HTTP/1.1"
    # Status line, headers and body leave in one write: written apart, Nagle here and the client's
    # delayed ACK stall every reply.
    wbufsize = -1

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        log.debug("sandbox %s", format % args)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        try:
            reply = answer(self.portal, method, self.path, dict(self.headers.items()), raw_body)
        except DropConnection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)


def _json_body(raw_body: bytes) -> dict:
    try:
        body = json.loads(raw_body or b"{}")
    except json.JSONDecodeError:
        raise SandboxError(400, "GEN5001", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise SandboxError(400, "GEN5001", "the body is not a JSON object")
    return body


def _admin(portal: SandboxPortal, command: dict) -> dict:
    """Control for a sandbox running as its own process (tests in-process use the portal object)."""
    op = command.get("op")
    if op == "fault":
        options = {k: command[k] for k in ("skip", "times", "apply_first", "seconds") if k in command}
        portal.add_fault(command["kind"], command.get("action", "*"), **options)
    elif op == "clear_faults":
        portal.clear_faults()
    elif op == "expire_sessions":
        portal.expire_sessions(refreshable=bool(command.get("refreshable", True)))
    elif op == "supplier_edit":
        changes = command.get("changes") or {}
        portal.supplier_edit(
            command["gstin"], command["section"], command["stin"], command["number"], **changes
        )
    elif op != "state":
        raise SandboxError(400, "GEN5001", f"unknown admin op {op!r}")
    held = {
        gstin: {"|".join(k): v for k, v in portal.held_actions(gstin).items()} for gstin in portal.records
    }
    return {"ok": True, "held": held, "requests": len(portal.log)}


# ---------------------------------------------------------------------------------------------------
# Running it
# ---------------------------------------------------------------------------------------------------


@dataclass
class SandboxHandle:
    """A sandbox to talk to: its base URL, public key and OTP, the portal state, and stop().

    Over a socket (:func:`start_background`) ``server`` and ``thread`` are set; in-process
    (``recon.portal.transport.start_in_process``) ``transport`` is the requests adapter that answers
    for the base URL instead.
    """

    base_url: str
    public_key_pem: str
    otp: str
    portal: SandboxPortal
    server: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None
    transport: object | None = None  # a requests adapter (recon.portal.transport.SandboxTransport)

    @property
    def client_id(self) -> str:
        return self.portal.client_id

    @property
    def client_secret(self) -> str:
        return self.portal.client_secret

    @property
    def usernames(self) -> dict[str, str]:
        return dict(self.portal.usernames)

    def stop(self) -> None:
        if self.server is None:
            return
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A client that timed out and left (the slow fault does this on purpose) is not a server error.
        log.debug("sandbox: connection from %s ended abruptly", client_address, exc_info=True)


def make_server(portal: SandboxPortal, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    handler = type("SandboxHandler", (_Handler,), {"portal": portal})
    server = _Server((host, port), handler)
    server.daemon_threads = True
    portal.base_url = f"http://{host}:{server.server_address[1]}"
    return server


def start_background(
    port: int = 0,
    seed_docs=None,
    gstin: str | None = None,
    *,
    username: str = DEMO_USERNAME,
    **portal_options,
) -> SandboxHandle:
    """Start a sandbox on 127.0.0.1 in a daemon thread (``port=0``: any free port).

    ``seed_docs``: IMS records as ``{section: [records]}`` (any envelope the IMS reader accepts), a
    canonical frame with ``raw`` portal records, or None for the demo corpus. ``gstin``: the recipient
    (default: the file's ``rtin`` or the demo client's GSTIN).
    """
    portal = seeded_portal(seed_docs, gstin, username=username, **portal_options)
    server = make_server(portal, port)
    # A short poll interval so stop() returns at once (tests start and stop many sandboxes).
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="gstn-sandbox", daemon=True)
    thread.start()
    return SandboxHandle(portal.base_url, portal.public_key_pem, portal.otp, portal, server, thread)


def seeded_portal(
    seed_docs=None, gstin: str | None = None, *, username: str = DEMO_USERNAME, **portal_options
):
    """A :class:`SandboxPortal` holding ``seed_docs`` for the recipient (see :func:`start_background`)."""
    portal = SandboxPortal(**portal_options)
    recipient, sections = seed_sections(seed_docs, gstin)
    portal.add_taxpayer(recipient, sections, username=username)
    return portal


def seed_sections(seed_docs, gstin: str | None) -> tuple[str, dict[str, list]]:
    """The recipient GSTIN and ``{section: [records]}`` to hold, from whatever the caller has."""
    if seed_docs is None:
        return demo_sections(gstin)
    if hasattr(seed_docs, "columns") and "raw" in seed_docs.columns:
        return _sections_from_frame(seed_docs, gstin)
    if isinstance(seed_docs, (bytes, str)):
        seed_docs = loads_exact(seed_docs)
    sections = _unwrap_sections(seed_docs)
    recipient = gstin or _find_rtin(seed_docs)
    if not recipient:
        raise ValueError("the recipient GSTIN is not in the seed data: pass gstin=")
    return recipient.upper(), sections


def _unwrap_sections(node) -> dict[str, list]:
    """Bare sections, or under data / data.data / imsDetails / invdata (docs/reference/formats.md §1.1)."""
    for _ in range(4):
        if not isinstance(node, Mapping):
            break
        found = {
            k.lower(): v
            for k, v in node.items()
            if k.lower() in SECTION_KEYS.values() and isinstance(v, list)
        }
        if found:
            return found
        inner = next(
            (node[k] for k in ("data", "imsDetails", "invdata") if isinstance(node.get(k), Mapping)), None
        )
        if inner is None:
            break
        node = inner
    raise ValueError("no IMS sections (b2b, b2bcn ...) found in the seed data")


def _find_rtin(node) -> str | None:
    for _ in range(4):
        if not isinstance(node, Mapping):
            return None
        for key in ("rtin", "gstin"):
            if isinstance(node.get(key), str):
                return node[key]
        node = node.get("data") or node.get("imsDetails")
    return None


def _sections_from_frame(frame, gstin: str | None) -> tuple[str, dict[str, list]]:
    ims = frame.filter(frame["source"] == "ims") if "source" in frame.columns else frame
    sections: dict[str, list] = {}
    for section, raw in zip(ims["section"].to_list(), ims["raw"].to_list(), strict=True):
        if section and raw:
            sections.setdefault(section, []).append(loads_exact(raw))
    recipients = (
        [g for g in ims["recipient_gstin"].unique().to_list() if g]
        if "recipient_gstin" in ims.columns
        else []
    )
    recipient = gstin or (recipients[0] if recipients else None)
    if not recipient:
        raise ValueError("the recipient GSTIN is not in the seed frame: pass gstin=")
    return recipient.upper(), sections


def demo_sections(gstin: str | None = None, seed: int | None = None) -> tuple[str, dict[str, list]]:
    """IMS records of recon.synth: the demo corpus, or ``generate(seed)``."""
    from recon import synth

    corpus = synth.demo_corpus() if seed is None else synth.generate(seed=seed, n_docs=synth.DEMO_DOCS)
    payload = getattr(corpus, "ims_payload", None)
    if payload:
        recipient = gstin or _find_rtin(payload) or corpus.client.gstin
        return recipient.upper(), _unwrap_sections(payload)
    return _sections_from_frame(corpus.ims, gstin)
