"""The sandbox without a socket: a ``requests`` adapter that hands each request to ``sandbox.answer``.

The connector keeps its real ``requests.Session`` and only the transport changes (httpx's
``MockTransport`` idea), so the protocol, the encryption and the error handling are exercised as in
production, with no server thread and no port. Faults keep their meaning: a dropped connection raises
``requests.ConnectionError``; a slow reply raises ``requests.ReadTimeout`` when the delay, measured on the
portal's clock, exceeds the caller's timeout, after the portal has done the work, as over a socket.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from recon.portal.sandbox import (
    DEMO_USERNAME,
    DropConnection,
    SandboxHandle,
    SandboxPortal,
    answer,
    seeded_portal,
)

IN_PROCESS_URL = "http://sandbox.in-process"  # never resolved: only the adapter mounted on it answers


class SandboxTransport(BaseAdapter):
    """Answers every request sent to the portal's base URL by calling the portal directly."""

    def __init__(self, portal: SandboxPortal) -> None:
        super().__init__()
        self.portal = portal

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        parts = urlsplit(request.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        started = self.portal.clock.monotonic()
        try:
            reply = answer(self.portal, request.method, target, request.headers, body)
        except DropConnection:
            raise requests.ConnectionError(
                "Connection aborted: the sandbox closed the connection without a reply", request=request
            ) from None
        waited = self.portal.clock.monotonic() - started
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        if read_timeout is not None and waited > read_timeout:
            raise requests.ReadTimeout(f"no reply within {read_timeout:g} s", request=request)
        return _response(request, reply)

    def close(self) -> None:
        pass


def _response(request, reply) -> requests.Response:
    response = requests.Response()
    response.status_code = reply.status
    response.reason = "OK" if reply.status < 400 else "Error"
    response.headers = CaseInsensitiveDict(
        {"Content-Type": reply.content_type, "Content-Length": str(len(reply.body))}
    )
    response._content = reply.body
    response.encoding = "utf-8"
    response.url = request.url
    response.request = request
    return response


def start_in_process(
    seed_docs=None, gstin: str | None = None, *, username: str = DEMO_USERNAME, **portal_options
) -> SandboxHandle:
    """A sandbox like ``start_background``'s, answered in-process: pass its handle to ``demo_connector``.

    Give it ``clock=ManualClock()`` and the connector the same clock, and waits cost no real time.
    """
    portal = seeded_portal(seed_docs, gstin, username=username, **portal_options)
    portal.base_url = IN_PROCESS_URL
    transport = SandboxTransport(portal)
    return SandboxHandle(portal.base_url, portal.public_key_pem, portal.otp, portal, transport=transport)
