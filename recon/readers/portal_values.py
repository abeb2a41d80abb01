"""One value of a portal record: codes (supply type, place of supply, period), text, dates, flags, and the
record's exact JSON text for the action file to echo (docs/reference/formats.md §1.3, §2 rule 3).
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

from recon import gstin as gstin_rules
from recon import normalise

_TRUE = {"y", "yes", "true", "1", "t"}
_FALSE = {"n", "no", "false", "0", "f"}
# 2B-derived data spells SEZ supply types SEZWP/SEZWOP (docs/reference/formats.md §1.3 variants).
SUPPLY_TYPE_ALIASES = {"SEZWP": "SEWP", "SEZWOP": "SEWOP", "REGULAR": "R"}


def supply_type_code(value) -> str | None:
    text = str(value).strip().upper() if value is not None else ""
    if not text:
        return None
    return SUPPLY_TYPE_ALIASES.get(text, text)


def pos_code(value) -> str | None:
    """Place of supply as the 2-digit code string ('7' and 7 become '07')."""
    if value is None:
        return None
    text = format(value, "f") if isinstance(value, Decimal) else str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{1,2}", text):
        return text.zfill(2)
    return gstin_rules.state_code_from_name(text) or text


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}


def period_mmyyyy(value) -> str | None:
    """Return periods as MMYYYY: '112025' stays; "Nov'25", 'Nov-2025', 'November 2025', '11/2025' convert.

    Anything else is returned as received (the portal's own string is never lost).
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{6}", text):
        return text
    m = re.fullmatch(r"([A-Za-z]{3})[a-z]*[\s'’\-/,.]*(\d{2}|\d{4})", text)
    if m and m.group(1).lower() in _MONTHS:
        year = m.group(2) if len(m.group(2)) == 4 else f"20{m.group(2)}"
        return f"{_MONTHS[m.group(1).lower()]:02d}{year}"
    m = re.fullmatch(r"(\d{1,2})[\-/ ](\d{4})", text)
    if m and 1 <= int(m.group(1)) <= 12:
        return f"{int(m.group(1)):02d}{m.group(2)}"
    return text


def literal_text(value) -> str | None:
    """A scalar as text; Decimals keep their digits, ints stay whole (16-digit numbers never via float)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    text = str(value).strip()
    return text or None


_DMY = re.compile(r"(\d{2})-(\d{2})-(\d{4})")


def date_of_text(text: str) -> date:
    """A record's date text as a date; ValueError when it is not a real date."""
    m = _DMY.fullmatch(text)
    if m:  # the portal's own DD-MM-YYYY, by far the common case
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return normalise.parse_date(text)


def flag_of(value) -> bool:
    """A present flag value (Y/N, yes/no, true/false, 1/0) as a bool; ValueError for anything else."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(value)


def raw_json(record: dict) -> str:
    """The record as exact JSON text (numbers as received), for the action JSON to echo.

    The same text as ``jsonio.dumps_exact`` (compact separators), written directly: about three times
    faster, which matters for downloads of tens of thousands of records.
    """
    # Portal records are flat: one loop with the common types first avoids a generator and a recursive
    # call per value (a 48k-record IMS download spends most of its read time here).
    parts = []
    for key, value in record.items():
        kind = type(value)
        if kind is str:
            text = json_string(value)
        elif kind is Decimal:
            text = format(value, "f")
        elif kind is int:
            text = str(value)
        else:
            text = exact_json(value)
        parts.append(f"{json_string(key) if type(key) is str else json_string(str(key))}:{text}")
    return "{" + ",".join(parts) + "}"


def exact_json(value) -> str:
    if isinstance(value, str):
        return json_string(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json_string(str(k))}:{exact_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(exact_json(v) for v in value) + "]"
    return _plain_json(value)


def json_string(text: str) -> str:
    # Plain printable ASCII needs no escaping (nearly every portal value); the rest goes through json.
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return _plain_json(text)


_plain_json = json.JSONEncoder(separators=(",", ":")).encode
