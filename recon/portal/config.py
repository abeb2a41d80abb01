"""Where the connector finds its GSP, credentials and protocol paths: environment, then secrets.toml.

Nothing here is ever hard-coded for a real GSP, written to the workspace database or logged: secret values
live in :class:`Secret` objects whose ``repr``/``str`` are masked, and every secret is registered with
:func:`redact` so the logging filter in ``recon.portal`` can blank it out of any log line.

Settings (environment variable / ``.streamlit/secrets.toml`` key under ``[portal]``):

=============================  ==========================  =================================================
env var                        secrets.toml ``[portal]``   meaning
=============================  ==========================  =================================================
IMS_PORTAL_BASE_URL            base_url                    the GSP's API root, e.g. https://gsp.example/gus
IMS_PORTAL_CLIENT_ID           client_id                   ``clientid`` header issued by the GSP
IMS_PORTAL_CLIENT_SECRET       client_secret               ``client-secret`` header issued by the GSP
IMS_PORTAL_PUBLIC_KEY_PATH     public_key_path             GSTN public certificate/key file (PEM or DER)
IMS_PORTAL_USERNAME            username                    default taxpayer portal username
IMS_PORTAL_USERNAMES           [portal.usernames]          per-GSTIN usernames (env: JSON object)
IMS_PORTAL_GSP_HEADERS         [portal.headers]            extra GSP headers (env: JSON object); secret
IMS_PORTAL_AUTH_PATH           auth_path                   default /taxpayerapi/v1.0/authenticate
IMS_PORTAL_IMS_PATH            ims_path                    default /taxpayerapi/v1.2/returns/ims
IMS_PORTAL_IMS_COUNT_PATH      ims_count_path              default /taxpayerapi/v1.0/returns/ims (GETCNT)
IMS_PORTAL_GSTR2B_PATH         gstr2b_path                 default /taxpayerapi/v1.0/returns/gstr2b (GET2B)
IMS_PORTAL_IP_USR              ip_usr                      ``ip-usr`` header: the user's public IP
IMS_PORTAL_TIMEOUT             timeout                     seconds per HTTP call (default 60)
IMS_PORTAL_ECO_SECTIONS        eco_sections                GETINV names for ecom/ecoma, e.g. "ECO,ECOA"
=============================  ==========================  =================================================
"""

from __future__ import annotations

import json
import os
import threading
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from recon.errors import InputError
from recon.portal.crypto import CryptoError, load_public_key

# Protocol paths (docs/reference/portal-api.md §3: versions are unconfirmed and differ between GSPs, so all configurable).
DEFAULT_AUTH_PATH = "/taxpayerapi/v1.0/authenticate"
DEFAULT_IMS_PATH = "/taxpayerapi/v1.2/returns/ims"
DEFAULT_IMS_COUNT_PATH = "/taxpayerapi/v1.0/returns/ims"
DEFAULT_GSTR2B_PATH = "/taxpayerapi/v1.0/returns/gstr2b"

# REQSTS polling while IP: 2 s, 3 s, 15 s, 30 s, 1, 2, 5, 10, 12 min, then the user re-checks (docs/reference/portal-api.md §4).
POLL_SCHEDULE = (2.0, 3.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 720.0)
# Idempotent GETs are retried after timeouts and 5xx with this back-off.
RETRY_SCHEDULE = (1.0, 3.0, 10.0)

# Section keys as downloaded -> GETINV `section` parameter (docs/reference/formats.md §1.2; ECO names unconfirmed).
GETINV_SECTIONS = {
    "b2b": "B2B",
    "b2ba": "B2BA",
    "b2bcn": "CN",
    "b2bcna": "CNA",
    "b2bdn": "DN",
    "b2bdna": "DNA",
}
DEFAULT_ECO_SECTIONS = ("ECO", "ECOA")

ENV_PREFIX = "IMS_PORTAL_"

# ---------------------------------------------------------------------------------------------------
# Secrets and redaction
# ---------------------------------------------------------------------------------------------------

_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
MASK = "***"


def redact(value: str | None) -> None:
    """Register a value that must never appear in a log line (keys, tokens, OTPs, client secrets)."""
    if value and len(value) >= 4:
        with _SECRETS_LOCK:
            _SECRETS.add(value)


def scrub(text: str) -> str:
    """``text`` with every registered secret replaced by ***."""
    with _SECRETS_LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class Secret:
    """A secret string: usable via :meth:`reveal`, masked in repr/str/format, registered for redaction."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        redact(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)


# ---------------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortalSettings:
    """Everything the connector needs to reach a GSP (or the sandbox)."""

    base_url: str
    client_id: str
    client_secret: Secret = field(repr=False)
    public_key_pem: str = field(repr=False)  # GSTN's certificate/key as PEM text; public, but long
    username: str | None = None
    usernames: Mapping[str, str] = field(default_factory=dict)
    gsp_headers: Mapping[str, Secret] = field(default_factory=dict, repr=False)
    auth_path: str = DEFAULT_AUTH_PATH
    ims_path: str = DEFAULT_IMS_PATH
    ims_count_path: str = DEFAULT_IMS_COUNT_PATH
    gstr2b_path: str = DEFAULT_GSTR2B_PATH
    ip_usr: str = "127.0.0.1"
    timeout: float = 60.0
    eco_sections: tuple[str, str] = DEFAULT_ECO_SECTIONS

    def __repr__(self) -> str:
        headers = ", ".join(sorted(self.gsp_headers))
        return (
            f"PortalSettings(base_url={self.base_url!r}, client_id={self.client_id!r}, client_secret=***, "
            f"username={self.username!r}, gsp_headers=[{headers}] (values ***), auth_path={self.auth_path!r}, "
            f"ims_path={self.ims_path!r}, ims_count_path={self.ims_count_path!r}, gstr2b_path={self.gstr2b_path!r})"
        )

    def username_for(self, gstin: str) -> str:
        name = self.usernames.get(gstin.upper()) or self.username
        if not name:
            raise InputError(
                f"no portal username configured for GSTIN {gstin}",
                hint="Set [portal] username (or [portal.usernames] for this GSTIN) in .streamlit/secrets.toml.",
            )
        return name

    def getinv_sections(self) -> dict[str, str]:
        sections = dict(GETINV_SECTIONS)
        sections["ecom"], sections["ecoma"] = self.eco_sections
        return sections

    def headers(self) -> dict[str, str]:
        """GSP headers sent on every call (values revealed only here, at the network edge)."""
        base = {"clientid": self.client_id, "client-secret": self.client_secret.reveal()}
        base.update({k: v.reveal() for k, v in self.gsp_headers.items()})
        return base


def _from_env(environ: Mapping[str, str]) -> dict:
    values = {}
    for key, val in environ.items():
        if key.startswith(ENV_PREFIX) and val != "":
            values[key[len(ENV_PREFIX) :].lower()] = val
    for json_key in ("usernames", "gsp_headers"):
        if json_key in values:
            try:
                values[json_key] = json.loads(values[json_key])
            except json.JSONDecodeError as err:
                raise InputError(
                    f"environment variable {ENV_PREFIX}{json_key.upper()} is not a JSON object",
                    hint='Write it like {"27AAAAA0000A1Z5": "user1"}.',
                ) from err
    return values


def _from_secrets_file(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"not valid TOML: {err}", file=str(path)) from err
    section = dict(data.get("portal") or {})
    if "headers" in section:
        section["gsp_headers"] = section.pop("headers")
    return section


def load_settings(
    environ: Mapping[str, str] | None = None, secrets_path: str | Path = ".streamlit/secrets.toml"
) -> PortalSettings:
    """Settings from the environment (wins) and ``[portal]`` of secrets.toml; InputError says what is missing."""
    values = _from_secrets_file(Path(secrets_path))
    values.update(_from_env(os.environ if environ is None else environ))
    return settings_from_mapping(values, origin=str(secrets_path))


def settings_from_mapping(values: Mapping, *, origin: str = "settings") -> PortalSettings:
    missing = [k for k in ("base_url", "client_id", "client_secret") if not values.get(k)]
    if not (values.get("public_key_path") or values.get("public_key_pem")):
        missing.append("public_key_path")
    if missing:
        raise InputError(
            f"portal connection is not configured: missing {', '.join(missing)}",
            file=origin,
            hint=f"Set them under [portal] in .streamlit/secrets.toml or as {ENV_PREFIX}<NAME> environment variables.",
        )
    pem = values.get("public_key_pem") or _read_public_key(values["public_key_path"])
    eco = values.get("eco_sections") or DEFAULT_ECO_SECTIONS
    if isinstance(eco, str):
        eco = tuple(part.strip() for part in eco.split(","))
    return PortalSettings(
        base_url=str(values["base_url"]).rstrip("/"),
        client_id=str(values["client_id"]),
        client_secret=Secret(str(values["client_secret"])),
        public_key_pem=pem,
        username=values.get("username"),
        usernames={str(k).upper(): str(v) for k, v in dict(values.get("usernames") or {}).items()},
        gsp_headers={str(k): Secret(str(v)) for k, v in dict(values.get("gsp_headers") or {}).items()},
        auth_path=values.get("auth_path") or DEFAULT_AUTH_PATH,
        ims_path=values.get("ims_path") or DEFAULT_IMS_PATH,
        ims_count_path=values.get("ims_count_path") or DEFAULT_IMS_COUNT_PATH,
        gstr2b_path=values.get("gstr2b_path") or DEFAULT_GSTR2B_PATH,
        ip_usr=values.get("ip_usr") or "127.0.0.1",
        timeout=float(values.get("timeout") or 60.0),
        eco_sections=(eco[0], eco[1]),
    )


def _read_public_key(path: str) -> str:
    file = Path(path)
    if not file.is_file():
        raise InputError(
            "GSTN public key file not found",
            file=str(file),
            hint="Point public_key_path at the certificate your GSP gave you (PEM or DER).",
        )
    data = file.read_bytes()
    try:
        key = load_public_key(data)
    except CryptoError as err:
        raise InputError(
            str(err), file=str(file), hint="Use the certificate file your GSP gave you."
        ) from err
    # Kept as PEM text whether the file was PEM or DER, so one form travels through the code.
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")
