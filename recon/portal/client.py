"""The GSTN taxpayer-API conversation for IMS and GSTR-2B (docs/reference/portal-api.md §2-§4), over a
``requests.Session`` from outside.

The client knows the protocol and nothing about decisions: log in with an OTP, keep the session alive,
download sections (following queued downloads) and GSTR-2B statements (following their parts), send
SAVE / RESETIMS bodies and poll their status.
What to do when a SAVE may or may not have reached the portal is decided by ``recon.portal.service``;
this module only makes the ambiguity explicit (:class:`MaybeReceived`) instead of repeating the request.

The base URL, the session and the clock are injected, so the same code talks to a GSP, to the local sandbox
over 127.0.0.1 or to the sandbox in-process (``recon.portal.transport``), and tests wait on a ManualClock.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import tarfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import requests

from recon.portal import crypto
from recon.portal.clock import SYSTEM_CLOCK, Clock
from recon.portal.config import POLL_SCHEDULE, RETRY_SCHEDULE, PortalSettings, redact

log = logging.getLogger("recon.portal.client")

SESSION_ERRORS = (
    "AUTH4033",
    "AUTH4038",
)  # invalid / expired session: refresh, else new OTP (docs/reference/portal-api.md §4)
FINAL_STATUSES = ("P", "PE", "ER")


# ---------------------------------------------------------------------------------------------------
# Errors the caller handles
# ---------------------------------------------------------------------------------------------------


class PortalError(Exception):
    """The portal (or GSP) answered with an error: ``code`` and ``message`` as it gave them."""

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None) -> None:
        self.code = code
        self.message = message
        self.http_status = http_status
        super().__init__(f"{code}: {message}" if code else message)


class OtpRequired(PortalError):
    """No usable session for this GSTIN: ask the user for the OTP the portal sent (or send one first)."""

    def __init__(self, gstin: str, message: str, *, otp_sent: bool = False, code: str | None = None) -> None:
        self.gstin = gstin
        self.otp_sent = otp_sent
        super().__init__(message, code=code)


class PortalUnavailable(PortalError):
    """Timeouts, dropped connections or 5xx on a call that is safe to repeat, after all retries."""


class MaybeReceived(PortalError):
    """A SAVE/RESETIMS may have reached the portal (timeout, dropped connection, 5xx after sending).

    Never send it again blindly: check what the portal holds first (``recon.portal.service``).
    """


# ---------------------------------------------------------------------------------------------------
# Session state
# ---------------------------------------------------------------------------------------------------


@dataclass
class _Login:
    username: str
    app_key: bytes
    session_key: bytes | None = None
    auth_token: str | None = None
    expires_at: float | None = None  # clock.monotonic() value after which the token is stale

    def active(self) -> bool:
        return self.auth_token is not None


@dataclass(frozen=True)
class QueuedDownload:
    token: str
    est: float


class PortalClient:
    """One firm's connection to its GSP; sessions are kept per GSTIN (one OTP per GSTIN)."""

    def __init__(
        self,
        base_url: str,
        credentials: PortalSettings,
        session: requests.Session | None = None,
        *,
        poll_schedule: Iterable[float] = POLL_SCHEDULE,
        retry_schedule: Iterable[float] = RETRY_SCHEDULE,
        est_unit_seconds: float = 60.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.settings = credentials
        self.http = session or requests.Session()
        self.poll_schedule = tuple(poll_schedule)
        self.retry_schedule = tuple(retry_schedule)
        self.est_unit_seconds = est_unit_seconds  # GETINV `est` unit (minutes on the portal)
        self.clock = clock  # every wait and expiry goes through it: tests pass a ManualClock
        self._public_key = crypto.load_public_key(credentials.public_key_pem)
        self._logins: dict[str, _Login] = {}
        self._lock = threading.Lock()
        self._refresh_lock = threading.RLock()

    def __repr__(self) -> str:
        return f"PortalClient(base_url={self.base_url!r}, gstins={sorted(self._logins)})"

    # -----------------------------------------------------------------------------------------------
    # Authentication
    # -----------------------------------------------------------------------------------------------

    def has_session(self, gstin: str) -> bool:
        login = self._logins.get(gstin.upper())
        return bool(login and login.active())

    def open_session(self, gstin: str, otp: str | None = None) -> None:
        """Open a session with ``otp`` when given; without one, a session must be open already."""
        if otp:
            self.authenticate(gstin, otp)
        elif not self.has_session(gstin):
            raise OtpRequired(gstin, f"no portal session for {gstin.upper()}: request an OTP and enter it")

    def request_otp(self, gstin: str) -> None:
        """OTPREQUEST: the portal sends an OTP to the taxpayer's authorised signatory."""
        gstin = gstin.upper()
        login = _Login(username=self.settings.username_for(gstin), app_key=crypto.new_key())
        redact(crypto.b64(login.app_key))
        body = {"action": "OTPREQUEST", "app_key": self._rsa_app_key(login), "username": login.username}
        self._auth_post(gstin, body)
        with self._lock:
            self._logins[gstin] = login
        log.info("OTP requested for %s", gstin)

    def authenticate(self, gstin: str, otp: str) -> None:
        """AUTHTOKEN: exchange the OTP for an auth token and the session key."""
        gstin = gstin.upper()
        redact(otp)
        login = self._logins.get(gstin)
        if login is None or login.active():
            login = _Login(username=self.settings.username_for(gstin), app_key=crypto.new_key())
            redact(crypto.b64(login.app_key))
        body = {
            "action": "AUTHTOKEN",
            "app_key": self._rsa_app_key(login),
            "username": login.username,
            "otp": crypto.aes_encrypt(otp.strip().encode(), login.app_key),
        }
        reply = self._auth_post(gstin, body)
        self._take_token(login, reply)
        with self._lock:
            self._logins[gstin] = login
        log.info("session opened for %s", gstin)

    def refresh(self, gstin: str, stale_token: str | None = None) -> None:
        """REFRESHTOKEN: extend the session without an OTP (within the taxpayer's API-access window).

        ``stale_token``: the token a caller saw refused; when another thread has replaced it meanwhile,
        there is nothing to do (refreshing twice would invalidate the other thread's fresh token).
        """
        gstin = gstin.upper()
        with self._refresh_lock:
            login = self._logins.get(gstin)
            if login is None or not login.active():
                raise OtpRequired(gstin, f"no session for {gstin}: an OTP is needed")
            if stale_token is not None and login.auth_token != stale_token:
                return
            self._refresh(gstin, login)

    def _refresh(self, gstin: str, login: _Login) -> None:
        body = {
            "action": "REFRESHTOKEN",
            "app_key": crypto.aes_encrypt(login.app_key, login.session_key),
            "username": login.username,
            "auth_token": login.auth_token,
        }
        try:
            reply = self._auth_post(gstin, body, auth_token=login.auth_token)
        except PortalUnavailable:
            raise  # the network failed, not the session: keep it and let the caller try again
        except PortalError as err:
            self.forget(gstin)
            raise OtpRequired(
                gstin, f"the portal session for {gstin} has ended ({err}): enter a new OTP", code=err.code
            ) from err
        self._take_token(login, reply)
        log.info("session refreshed for %s", gstin)

    def forget(self, gstin: str) -> None:
        with self._lock:
            self._logins.pop(gstin.upper(), None)

    def _rsa_app_key(self, login: _Login) -> str:
        return crypto.rsa_encrypt(login.app_key, self._public_key)

    def _take_token(self, login: _Login, reply: dict) -> None:
        token = reply.get("auth_token")
        sek = reply.get("sek")
        if not token or not sek:
            raise PortalError("the portal's token reply has no auth_token/sek")
        login.session_key = crypto.aes_decrypt(sek, login.app_key)
        login.auth_token = token
        redact(token)
        redact(sek)
        redact(crypto.b64(login.session_key))
        minutes = float(reply.get("expiry") or 360)
        login.expires_at = self.clock.monotonic() + minutes * 60

    def _auth_post(self, gstin: str, body: dict, auth_token: str | None = None) -> dict:
        headers = self._headers(gstin, body.get("username"), auth_token)
        url = self.base_url + self.settings.auth_path
        log.debug("POST %s action=%s gstin=%s", self.settings.auth_path, body["action"], gstin)
        try:
            response = self.http.post(url, json=body, headers=headers, timeout=self.settings.timeout)
        except requests.RequestException as err:
            raise PortalUnavailable(
                f"could not reach the portal for {body['action']}: {type(err).__name__}"
            ) from err
        if response.status_code >= 500:
            raise PortalUnavailable(f"the portal answered {body['action']} with HTTP {response.status_code}")
        reply = _json_of(response)
        _raise_for_error(reply, response.status_code)
        return reply

    def _headers(self, gstin: str, username: str | None, auth_token: str | None) -> dict[str, str]:
        headers = self.settings.headers()
        headers.update(
            {
                "state-cd": gstin[:2],
                "ip-usr": self.settings.ip_usr,
                "txn": uuid.uuid4().hex,
                "gstin": gstin,
                "Content-Type": "application/json",
            }
        )
        if username:
            headers["username"] = username
        if auth_token:
            headers["auth-token"] = auth_token
        return headers

    # -----------------------------------------------------------------------------------------------
    # IMS calls
    # -----------------------------------------------------------------------------------------------

    def get_counts(self, gstin: str, goods_typ: str = "ALL_OTH") -> dict:
        """GETCNT: counts per section x action, for the completeness check after a download."""
        params = {"action": "GETCNT", "gstin": gstin.upper(), "goods_typ": goods_typ}
        return self._get(gstin, self.settings.ims_count_path, params)

    def get_section(self, gstin: str, section_key: str, *, status: str | None = None) -> list[dict]:
        """GETINV for one section (``b2b``, ``b2bcn`` ...): its records, following a queued download."""
        code = self.settings.getinv_sections()[section_key]
        params = {"action": "GETINV", "gstin": gstin.upper(), "section": code}
        if status:
            params["status"] = status
        payload = self._get(gstin, self.settings.ims_path, params)
        if isinstance(payload, dict) and payload.get("token"):
            queued = QueuedDownload(str(payload["token"]), float(payload.get("est") or 0))
            payload = self.download_queued(gstin, queued)
        return list((payload or {}).get(section_key) or [])

    def download_queued(self, gstin: str, queued: QueuedDownload) -> dict:
        """Large sets: wait ``est``, FILEDET until ready, download each file, verify, unpack, decrypt."""
        log.info("download queued for %s (est %s)", gstin, queued.est)
        self.clock.sleep(queued.est * self.est_unit_seconds)
        details = self._file_details(gstin, queued.token)
        file_key = crypto.unb64(details["ek"])
        merged: dict[str, list] = {}
        for entry in details.get("urls") or []:
            content = self._fetch_file(entry["ul"])
            if entry.get("hash") and crypto.sha256_hex(content).lower() != str(entry["hash"]).lower():
                raise PortalError("a downloaded IMS file does not match its SHA-256 hash: download again")
            for part in _unpack(content):
                for section, records in (
                    crypto.open_sealed(part.decode("ascii"), None, file_key, require_hmac=False) or {}
                ).items():
                    if isinstance(records, list):
                        merged.setdefault(section, []).extend(records)
        return merged

    def _file_details(self, gstin: str, token: str) -> dict:
        params = {"action": "FILEDET", "gstin": gstin.upper(), "token": token}
        waits = (0.0, *self.poll_schedule)
        for attempt, wait in enumerate(waits):
            self.clock.sleep(wait)
            try:
                details = self._get(gstin, self.settings.ims_path, params)
            except PortalError as err:
                # The file may still be generating; the portal says so with an error until it is ready.
                if attempt == len(waits) - 1 or isinstance(err, OtpRequired):
                    raise
                log.debug("FILEDET not ready (%s); waiting", err.code)
                continue
            if details.get("urls"):
                return details
        raise PortalError("the queued download did not become ready; try the download again later")

    def _fetch_file(self, url: str) -> bytes:
        # File URLs point at GSTN's file store: no auth headers go there.
        for attempt, wait in enumerate((0.0, *self.retry_schedule)):
            self.clock.sleep(wait)
            try:
                response = self.http.get(url, timeout=self.settings.timeout)
            except (requests.Timeout, requests.ConnectionError):
                if attempt == len(self.retry_schedule):
                    raise PortalUnavailable("could not download a queued IMS file") from None
                continue
            if response.status_code >= 500 and attempt < len(self.retry_schedule):
                continue
            if response.status_code != 200:
                raise PortalError(f"queued IMS file download failed with HTTP {response.status_code}")
            return response.content
        raise PortalUnavailable("could not download a queued IMS file")

    def submit(self, gstin: str, body: dict) -> str:
        """PUT a SAVE or RESETIMS body ``{"action", "data": {"rtin", "reqtyp", "invdata"}}``; returns the reference id.

        Raises :class:`MaybeReceived` when the request may have reached the portal; never repeats it.
        A session error is safe to repeat after refreshing: the portal refused the call before reading it.
        """
        action = body["action"]
        refreshed = False
        unsent_tries = 0
        while True:
            login = self._login(gstin)
            data, signature = crypto.seal(body["data"], login.session_key)
            envelope = {"action": action, "data": data, "hmac": signature}
            try:
                reply = self._send("PUT", gstin, self.settings.ims_path, login, json_body=envelope)
            except _SessionError:
                self._renew_session(gstin, login, already_refreshed=refreshed)
                refreshed = True
                continue
            except _Transient as err:
                if err.sent:
                    raise MaybeReceived(
                        f"{action} may have reached the portal ({err}); checking before sending anything again",
                        http_status=err.http_status,
                    ) from err
                # The connection was never made, so nothing reached the portal: trying again is safe.
                if unsent_tries >= len(self.retry_schedule):
                    raise PortalUnavailable(
                        f"could not connect to the portal to send {action} ({err})"
                    ) from err
                self.clock.sleep(self.retry_schedule[unsent_tries])
                unsent_tries += 1
                continue
            except PortalError as err:
                if err.http_status is not None and 200 <= err.http_status < 300:
                    # A success reply we cannot read: the portal has the request.
                    raise MaybeReceived(
                        f"{action} reached the portal but its reply was unreadable ({err})"
                    ) from err
                raise
            reference = (reply or {}).get("reference_id") or (reply or {}).get("ref_id")
            if not reference:
                raise MaybeReceived(
                    f"the portal took {action} but gave no reference id; checking what it holds"
                )
            log.info("%s for %s accepted: reference %s", action, gstin, reference)
            return str(reference)

    def request_status(self, gstin: str, reference_id: str) -> dict:
        """REQSTS once: ``status_cd`` IP / P / PE / ER with counts and ``error_report``."""
        params = {"action": "REQSTS", "gstin": gstin.upper(), "int_tran_id": reference_id}
        return self._get(gstin, self.settings.ims_path, params)

    def wait_for_status(
        self, gstin: str, reference_id: str, on_poll: Callable[[dict, int], None] | None = None
    ) -> dict:
        """Poll REQSTS with the back-off schedule until P / PE / ER; returns the last reply (maybe still IP)."""
        status: dict = {}
        for attempt, wait in enumerate((0.0, *self.poll_schedule)):
            self.clock.sleep(wait)
            status = self.request_status(gstin, reference_id)
            if on_poll:
                on_poll(status, attempt)
            if str(status.get("status_cd")) in FINAL_STATUSES:
                return status
        return status

    # -----------------------------------------------------------------------------------------------
    # GSTR-2B
    # -----------------------------------------------------------------------------------------------

    def get_gstr2b(self, gstin: str, period: str) -> list[dict]:
        """GET2B for a return period (MMYYYY): the statement, or each of its parts when the portal splits it.

        A large 2B answers the plain call with its count of parts ``fc``; each part is then asked for by
        ``file_num`` (docs/reference/portal-api.md §3). The same session, retries and errors as the IMS calls.
        """
        params = {"action": "GET2B", "gstin": gstin.upper(), "rtnprd": period}
        first = self._get(gstin, self.settings.gstr2b_path, params)
        count = _parts_count(first)
        if count <= 1:
            return [first]
        log.info("GSTR-2B %s for %s comes in %d parts", period, gstin, count)
        parts = [first] if _holds_documents(first) else []
        for number in range(len(parts) + 1, count + 1):
            parts.append(self._get(gstin, self.settings.gstr2b_path, {**params, "file_num": str(number)}))
        return parts

    # -----------------------------------------------------------------------------------------------
    # Transport
    # -----------------------------------------------------------------------------------------------

    def _login(self, gstin: str) -> _Login:
        gstin = gstin.upper()
        login = self._logins.get(gstin)
        if login is None or not login.active():
            raise OtpRequired(gstin, f"no portal session for {gstin}: request an OTP and enter it")
        if login.expires_at is not None and self.clock.monotonic() >= login.expires_at:
            self.refresh(gstin, stale_token=login.auth_token)
        # A consistent copy of token and keys: another thread may refresh while this call is under way.
        with self._refresh_lock:
            return dataclasses.replace(login)

    def _get(self, gstin: str, path: str, params: dict) -> dict:
        """An idempotent GET: retried after timeouts and 5xx; a stale session is refreshed once."""
        refreshed = False
        waits = (0.0, *self.retry_schedule)
        attempt = 0
        while True:
            login = self._login(gstin)
            try:
                return self._send("GET", gstin, path, login, params=params)
            except _SessionError:
                self._renew_session(gstin, login, already_refreshed=refreshed)
                refreshed = True
            except _Transient as err:
                attempt += 1
                if attempt >= len(waits):
                    raise PortalUnavailable(
                        f"the portal did not answer {params.get('action')} after {attempt} tries ({err})"
                    ) from err
                log.debug("retrying %s after %s", params.get("action"), err)
                self.clock.sleep(waits[attempt])

    def _renew_session(self, gstin: str, login, *, already_refreshed: bool) -> None:
        """An expired session is refreshed once without an OTP; refused again, the user must give a new OTP."""
        if already_refreshed:
            self.forget(gstin)
            raise OtpRequired(gstin, f"the portal refused the session for {gstin}: enter a new OTP")
        self.refresh(gstin, stale_token=login.auth_token)

    def _send(self, method: str, gstin: str, path: str, login: _Login, *, params=None, json_body=None):
        headers = self._headers(gstin.upper(), login.username, login.auth_token)
        url = self.base_url + path
        action = (params or json_body or {}).get("action")
        started = time.perf_counter()
        try:
            response = self.http.request(
                method, url, params=params, json=json_body, headers=headers, timeout=self.settings.timeout
            )
        except requests.Timeout as err:
            raise _Transient(f"timeout after {self.settings.timeout:g} s", sent=_was_sent(err)) from err
        except requests.ConnectionError as err:
            raise _Transient("connection dropped", sent=_was_sent(err)) from err
        log.debug(
            "%s %s action=%s -> HTTP %s in %.2f s",
            method,
            path,
            action,
            response.status_code,
            time.perf_counter() - started,
        )
        if response.status_code >= 500:
            raise _Transient(f"HTTP {response.status_code}", http_status=response.status_code)
        if response.status_code == 429:
            # Rate limited: refused before processing, so even a SAVE may be tried again after a pause.
            raise _Transient("HTTP 429 (too many requests)", sent=False, http_status=429)
        reply = _json_of(response)
        error = _error_of(reply)
        if error and error[0] in SESSION_ERRORS:
            raise _SessionError(error[1], code=error[0])
        _raise_for_error(reply, response.status_code)
        if "rek" in reply and "data" in reply:
            try:
                return crypto.open_reply(reply, login.session_key)
            except crypto.CryptoError as err:
                raise PortalError(
                    f"could not decrypt the portal's reply to {action}: {err}",
                    http_status=response.status_code,
                ) from err
        return reply.get("data", reply)


class _Transient(Exception):
    def __init__(self, message: str, *, sent: bool = True, http_status: int | None = None) -> None:
        self.sent = sent
        self.http_status = http_status
        super().__init__(message)


class _SessionError(PortalError):
    pass


def _was_sent(err: requests.RequestException) -> bool:
    """False only when the connection was never made, so the request cannot have reached the portal."""
    return not isinstance(err, requests.ConnectTimeout) and "NewConnectionError" not in repr(err)


def _json_of(response: requests.Response) -> dict:
    try:
        value = response.json()
    except ValueError:
        raise PortalError(
            f"the portal answered HTTP {response.status_code} with something that is not JSON",
            http_status=response.status_code,
        ) from None
    return value if isinstance(value, dict) else {"data": value}


def _error_of(reply: dict) -> tuple[str, str] | None:
    """The (code, message) of an error reply: ``{"status_cd": "0", "error": {"error_cd", "message"}}``."""
    error = reply.get("error")
    if str(reply.get("status_cd", "1")) == "0" or isinstance(error, dict):
        error = error if isinstance(error, dict) else {}
        code = error.get("error_cd") or error.get("err_cd") or reply.get("error_cd") or "UNKNOWN"
        message = (
            error.get("message")
            or error.get("err_msg")
            or reply.get("message")
            or "the portal refused the call"
        )
        return str(code), str(message)
    return None


def _raise_for_error(reply: dict, http_status: int) -> None:
    error = _error_of(reply)
    if error:
        raise PortalError(error[1], code=error[0], http_status=http_status)
    if http_status >= 400:
        raise PortalError(f"the portal answered HTTP {http_status}", http_status=http_status)


def _unpack(content: bytes) -> list[bytes]:
    """The members of a queued file: tar.gz (GSTN) or zip (some GSPs), else the content itself."""
    if content[:2] == b"\x1f\x8b":
        with tarfile.open(fileobj=io.BytesIO(content), mode="r:gz") as archive:
            return [archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()]
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return [archive.read(name) for name in archive.namelist() if not name.endswith("/")]
    return [content]


def _statement_of(reply) -> dict:
    """The 2B's ``data`` object, under however many ``data`` wrappers the GSP adds."""
    node = reply if isinstance(reply, dict) else {}
    while isinstance(node.get("data"), dict) and "rtnprd" not in node:
        node = node["data"]
    return node


def _parts_count(reply) -> int:
    """``fc``: how many parts a 2B comes in (1 when the reply does not say)."""
    try:
        return int(_statement_of(reply).get("fc") or 1)
    except (TypeError, ValueError):
        return 1


def _holds_documents(reply) -> bool:
    statement = _statement_of(reply)
    return any(key in statement for key in ("docdata", "docRejdata", "docrejdata"))
