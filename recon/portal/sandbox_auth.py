"""The sandbox's logins: the GSP's client credentials, OTP and token, refresh, expiry.

docs/reference/portal-api.md §2.1 (the keys and their encryption) and §4 (AUTH4033 invalid, AUTH4038 expired,
AUTH158 refused, TEC4002 bad key, RET13506 wrong OTP).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from recon.portal import crypto
from recon.portal.sandbox_faults import SandboxError

log = logging.getLogger("recon.portal.sandbox")


@dataclass
class _Session:
    username: str
    gstin: str
    app_key: bytes
    session_key: bytes
    expires_at: float
    refreshable: bool = True


class SandboxAuth:
    """The part of :class:`recon.portal.sandbox.SandboxPortal` that opens, refreshes and checks sessions."""

    def expire_sessions(self, *, refreshable: bool = True) -> None:
        """Every open session expires now; with ``refreshable=False`` a new OTP is the only way back."""
        with self._lock:
            for session in self._sessions.values():
                session.expires_at = self.clock.monotonic() - 1
                session.refreshable = session.refreshable and refreshable

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
