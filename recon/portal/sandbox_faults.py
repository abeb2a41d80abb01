"""The sandbox's switchable faults, its log of requests, and the error replies it raises.

Tests switch a fault on (a slow reply, HTTP 500, a dropped connection, a garbled body) and read the log
to see what the portal received and applied; :class:`SandboxError` is an error reply as the portal gives
it (docs/reference/portal-api.md §4).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


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


class SandboxError(Exception):
    """An error reply: HTTP status, error code and message as the portal gives them."""

    def __init__(self, http_status: int, code: str, message: str) -> None:
        self.http_status = http_status
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class DropConnection(Exception):
    """Close the socket without a reply."""


class FaultsAndLog:
    """The part of :class:`recon.portal.sandbox.SandboxPortal` that holds faults and the request log."""

    faults: list[Fault]
    log: list[LoggedRequest]
    _lock: threading.RLock

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
