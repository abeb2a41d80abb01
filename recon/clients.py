"""A client's registration: the fields a consultant types for a client, checked in words, and the one rule
across clients (one GSTIN, one client)."""

from __future__ import annotations

import re
from datetime import date

from recon import gstin as gstin_rules
from recon.errors import InputError
from recon.store import Client

_PERIOD = re.compile(r"^(0[1-9]|1[0-2])(20[0-9]{2})$")


def check_period(period: str, *, what: str = "Return period") -> str:
    """MMYYYY, e.g. 112025 for November 2025; raises InputError in words otherwise."""
    text = str(period or "").strip()
    if not _PERIOD.match(text):
        raise InputError(
            f"{what} '{text}' is not a month in the form MMYYYY.",
            column=what,
            hint="Type the month and year as six digits, e.g. 112025 for November 2025.",
        )
    return text


def check_client_fields(name: str, gstin: str, period: str) -> tuple[str, str, str]:
    """Cleaned (name, GSTIN, period) or an InputError naming the field and the fix."""
    name = (name or "").strip()
    if not name:
        raise InputError(
            "Client name is blank.", column="Name", hint="Type the client's legal or trade name."
        )
    cleaned = gstin_rules.clean(gstin)
    problem = gstin_rules.problem(cleaned)
    if problem:
        raise InputError(
            f"{problem}.",
            column="GSTIN",
            hint="Copy the GSTIN from the client's registration certificate or the portal's profile page.",
        )
    return name, cleaned, check_period(period)


FREQUENCIES = ("monthly", "quarterly")


def check_frequency(frequency: str) -> str:
    """'monthly' or 'quarterly' (QRMP), or an InputError saying which are allowed."""
    cleaned = (frequency or "").strip().lower()
    if cleaned not in FREQUENCIES:
        raise InputError(
            f"Return filing frequency '{frequency}' is not monthly or quarterly.",
            column="Return filing",
            hint="Choose quarterly for a QRMP client (one GSTR-2B per quarter), else monthly.",
        )
    return cleaned


def default_period(today: date | None = None) -> str:
    """The month whose IMS a consultant works on: the previous calendar month."""
    today = today or date.today()
    month, year = (today.month - 1, today.year) if today.month > 1 else (12, today.year - 1)
    return f"{month:02d}{year}"


def create_client(
    store, name: str, gstin: str, period: str, *, is_demo: bool = False, frequency: str = "monthly"
) -> Client:
    """A new client, once its fields are right and its GSTIN is not another client's already."""
    name, cleaned, period = check_client_fields(name, gstin, period)
    frequency = check_frequency(frequency)
    existing = store.client_by_gstin(cleaned)
    if existing:
        raise InputError(
            f"A client with GSTIN {cleaned} already exists ('{existing.name}').",
            column="GSTIN",
            hint="Select that client in the sidebar instead of creating it again.",
        )
    return store.add_client(
        name, cleaned, gstin_rules.state_code(cleaned), period, is_demo=is_demo, return_frequency=frequency
    )


def edit_client(
    store, client_id: int, name: str, gstin: str, period: str, *, frequency: str | None = None
) -> Client:
    """The client's name, GSTIN and working period changed, checked as for a new client; ``frequency``
    None keeps the client's return filing frequency as it is."""
    name, cleaned, period = check_client_fields(name, gstin, period)
    extra = {} if frequency is None else {"return_frequency": check_frequency(frequency)}
    other = store.client_by_gstin(cleaned)
    if other and other.id != client_id:
        raise InputError(
            f"GSTIN {cleaned} belongs to another client ('{other.name}').",
            column="GSTIN",
            hint="Check the GSTIN; each client has one registration here.",
        )
    return store.update_client(
        client_id,
        name=name,
        gstin=cleaned,
        state_code=gstin_rules.state_code(cleaned),
        return_period=period,
        **extra,
    )
