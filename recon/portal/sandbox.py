"""A local stand-in for the GST portal's IMS and GSTR-2B API: the same conversation, its own keys,
switchable faults.

:class:`SandboxPortal` holds the state (no HTTP); each idea it answers for has its own module:

* :mod:`recon.portal.sandbox_faults`: switchable faults, the request log, error replies;
* :mod:`recon.portal.sandbox_auth`: OTP, token, refresh and session checks;
* :mod:`recon.portal.sandbox_downloads`: GETCNT, GETINV and queued files;
* :mod:`recon.portal.sandbox_actions`: SAVE / RESETIMS processing and REQSTS, with the rules of
  :mod:`recon.portal.sandbox_rules`;
* :mod:`recon.portal.sandbox_gstr2b`: the GSTR-2B statement per period, in parts when large;
* :mod:`recon.portal.sandbox_http`: :func:`answer` (the request-to-reply step, free of sockets) and the
  ``http.server`` handler around it;
* :mod:`recon.portal.sandbox_seed`: what a sandbox holds at the start.

The app's demo mode and the loopback tests use :func:`start_background`; most tests call :func:`answer`
in-process through ``recon.portal.transport``; ``python -m recon.sandbox`` runs it in the foreground.

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
* GET2B per return period (RET2B1023 not generated, RET2B1016 no documents; ``fc`` and ``file_num`` for
  a large statement), and the GSTR-3B filing that fixes a 2B and empties the inbox of what it holds;
* supplier edits (amounts and hash change, the recipient's action resets to N);
* faults: slow replies, HTTP 500, dropped connections (optionally after applying the request), expired
  sessions.

Error codes the reference does not give are the sandbox's own and start with ``SBX``.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from http.server import ThreadingHTTPServer

from recon.jsonio import dumps_exact, loads_exact
from recon.portal import crypto
from recon.portal.clock import SYSTEM_CLOCK, Clock
from recon.portal.sandbox_actions import SandboxActions
from recon.portal.sandbox_auth import SandboxAuth, _Session
from recon.portal.sandbox_downloads import SandboxDownloads, _Queued
from recon.portal.sandbox_faults import DropConnection, Fault, FaultsAndLog, LoggedRequest, SandboxError
from recon.portal.sandbox_gstr2b import SandboxGstr2b
from recon.portal.sandbox_http import WireReply, answer, make_server
from recon.portal.sandbox_rules import record_hash, record_key
from recon.portal.sandbox_seed import demo_sections, seed_sections

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_OTP",
    "DEMO_USERNAME",
    "DropConnection",
    "Fault",
    "LoggedRequest",
    "SandboxError",
    "SandboxHandle",
    "SandboxPortal",
    "WireReply",
    "answer",
    "demo_sections",
    "make_server",
    "seed_sections",
    "seeded_portal",
    "start_background",
]

DEMO_OTP = "575757"
DEMO_CLIENT_ID = "sandbox-client"
DEMO_CLIENT_SECRET = "sandbox-secret"
DEMO_USERNAME = "demo_user"


# ---------------------------------------------------------------------------------------------------
# The portal's state and rules
# ---------------------------------------------------------------------------------------------------


class SandboxPortal(FaultsAndLog, SandboxAuth, SandboxDownloads, SandboxActions, SandboxGstr2b):
    """IMS records and GSTR-2B statements per GSTIN, sessions, requests and their statuses, faults.

    Thread-safe. Each idea lives in its own module (the bases); this class holds the state they share.
    """

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
        gstr2b_docs_per_file: int = 1000,
        not_generated=(),
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
        self.gstr2b_docs_per_file = gstr2b_docs_per_file  # a larger 2B comes in parts (file_num)
        self.not_generated: set[str] = set(not_generated)  # periods whose 2B is not generated yet
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
        self._statements: dict[tuple[str, str], dict] = {}  # (gstin, period) -> a fixed 2B's data
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
