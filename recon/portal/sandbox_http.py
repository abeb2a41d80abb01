"""The sandbox's HTTP face: :func:`answer` turns one request into a reply (free of sockets), and a small
``http.server`` handler speaks it on 127.0.0.1.

Routes: ``…/authenticate`` (POST), ``…/returns/ims`` (GET, PUT), ``…/returns/gstr2b`` (GET), ``/files/…``
(queued download files), ``/sandbox/public-key`` and ``/sandbox/admin`` (control of a sandbox running as its
own process).
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlparse

from recon.portal import crypto
from recon.portal.sandbox_auth import _Session
from recon.portal.sandbox_faults import DropConnection, Fault, LoggedRequest, SandboxError
from recon.portal.sandbox_rules import sent_records

if TYPE_CHECKING:
    from recon.portal.sandbox import SandboxPortal

log = logging.getLogger("recon.portal.sandbox")


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
        if url.path.endswith("/returns/gstr2b") and method == "GET":
            return _gstr2b(portal, headers, params)
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


def _gstr2b(portal: SandboxPortal, headers: dict, params: dict) -> WireReply:
    """GET2B for a return period, optionally one part (``file_num``) of a large statement."""
    portal.check_gsp(headers)
    gstin = (headers.get("gstin") or params.get("gstin") or "").upper()
    action = str(params.get("action") or "")
    entry = portal._record_request("GET", action, gstin)
    session = portal.session_for(headers, gstin)
    _fault_before(portal, action, entry)
    if action != "GET2B":
        raise SandboxError(400, "GEN5001", f"unknown action {action!r}")
    if gstin != (params.get("gstin") or "").upper() or not params.get("rtnprd"):
        raise SandboxError(400, "GEN5001", "gstin or rtnprd parameter missing")
    return _sealed_reply(session, portal.gstr2b(gstin, params["rtnprd"], params.get("file_num")))


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
    elif op == "file_3b":
        portal.file_3b(command["gstin"], command["period"])
    elif op == "not_generated":
        portal.not_generated = set(command.get("periods") or [])
    elif op != "state":
        raise SandboxError(400, "GEN5001", f"unknown admin op {op!r}")
    held = {
        gstin: {"|".join(k): v for k, v in portal.held_actions(gstin).items()} for gstin in portal.records
    }
    return {"ok": True, "held": held, "requests": len(portal.log)}


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
