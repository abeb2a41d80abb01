"""GSTIN anatomy: check character, PAN, state code (reference: docs/reference/ims-rules.md §9).

Own implementation on purpose: python-stdnum is stricter than the portal (it rejects state 38, a 14th
character other than Z, and PANs with unusual holder letters), so its extra checks may only warn.
"""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SHAPE = re.compile(r"^[0-9]{2}[A-Z0-9]{10}[0-9A-Z]{3}$")
_REGULAR = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z][A-Z0-9][0-9A-Z]$")

STATES = {
    "01": "Jammu & Kashmir",
    "02": "Himachal Pradesh",
    "03": "Punjab",
    "04": "Chandigarh",
    "05": "Uttarakhand",
    "06": "Haryana",
    "07": "Delhi",
    "08": "Rajasthan",
    "09": "Uttar Pradesh",
    "10": "Bihar",
    "11": "Sikkim",
    "12": "Arunachal Pradesh",
    "13": "Nagaland",
    "14": "Manipur",
    "15": "Mizoram",
    "16": "Tripura",
    "17": "Meghalaya",
    "18": "Assam",
    "19": "West Bengal",
    "20": "Jharkhand",
    "21": "Odisha",
    "22": "Chhattisgarh",
    "23": "Madhya Pradesh",
    "24": "Gujarat",
    "25": "Daman & Diu",
    "26": "Dadra & Nagar Haveli and Daman & Diu",
    "27": "Maharashtra",
    "28": "Andhra Pradesh (old)",
    "29": "Karnataka",
    "30": "Goa",
    "31": "Lakshadweep",
    "32": "Kerala",
    "33": "Tamil Nadu",
    "34": "Puducherry",
    "35": "Andaman & Nicobar Islands",
    "36": "Telangana",
    "37": "Andhra Pradesh",
    "38": "Ladakh",
    "96": "Other Country",
    "97": "Other Territory",
}


def check_char(body14: str) -> str:
    """The 15th character for the first 14 (mod-36 Luhn variant)."""
    total = 0
    for i, ch in enumerate(body14):
        product = ALPHABET.index(ch) * (1 if i % 2 == 0 else 2)
        total += product // 36 + product % 36
    return ALPHABET[(36 - total % 36) % 36]


def clean(gstin: object) -> str:
    """Upper-case and strip spaces; never raises."""
    return re.sub(r"\s+", "", str(gstin or "")).upper()


def problem(gstin: str) -> str | None:
    """Why this GSTIN cannot be right, or None when it passes the portal's checks."""
    g = clean(gstin)
    if not g:
        return "GSTIN is blank"
    if len(g) != 15:
        return f"GSTIN '{g}' has {len(g)} characters, not 15"
    if not _SHAPE.match(g):
        return f"GSTIN '{g}' has characters in the wrong places"
    if g[:2] not in STATES and g[:2] != "99":
        return f"GSTIN '{g}' starts with {g[:2]}, which is not a state code"
    if check_char(g[:14]) != g[14]:
        return (
            f"GSTIN '{g}' fails the check character (expected {check_char(g[:14])} at the end): likely a typo"
        )
    return None


def caution(gstin: str) -> str | None:
    """A warning for a valid GSTIN of an unusual shape (special registrations), else None."""
    g = clean(gstin)
    if problem(g) is None and not _REGULAR.match(g):
        return f"GSTIN '{g}' is not of the regular shape (special registration?)"
    return None


def is_valid(gstin: str) -> bool:
    return problem(gstin) is None


def pan(gstin: str) -> str | None:
    g = clean(gstin)
    return g[2:12] if len(g) >= 12 else None


def state_code(gstin: str) -> str | None:
    g = clean(gstin)
    return g[:2] if len(g) >= 2 and g[:2].isdigit() else None


def state_name(code: str | None) -> str | None:
    return STATES.get(code or "")


_STATE_BY_NAME = {
    re.sub(r"[^a-z]", "", name.lower().replace("&", "and")): code for code, name in STATES.items()
}
_STATE_BY_NAME.update({"orissa": "21", "pondicherry": "34", "jammuandkashmir": "01", "andhrapradesh": "37"})
# Two-letter state abbreviations, as Zoho Books and many ERPs write the place of supply ("MH").
_STATE_BY_NAME.update(
    {
        "jk": "01",
        "hp": "02",
        "pb": "03",
        "ch": "04",
        "uk": "05",
        "ut": "05",
        "hr": "06",
        "dl": "07",
        "rj": "08",
        "up": "09",
        "br": "10",
        "sk": "11",
        "ar": "12",
        "nl": "13",
        "mn": "14",
        "mz": "15",
        "tr": "16",
        "ml": "17",
        "as": "18",
        "wb": "19",
        "jh": "20",
        "od": "21",
        "or": "21",
        "cg": "22",
        "ct": "22",
        "mp": "23",
        "gj": "24",
        "dd": "25",
        "dn": "26",
        "mh": "27",
        "ka": "29",
        "ga": "30",
        "ld": "31",
        "kl": "32",
        "tn": "33",
        "py": "34",
        "an": "35",
        "ts": "36",
        "tg": "36",
        "ap": "37",
        "la": "38",
    }
)


def state_code_from_name(text: object) -> str | None:
    """'Maharashtra', '27-Maharashtra', '27', 'Orissa' -> state code; None when unknown."""
    s = str(text or "").strip()
    m = re.match(r"^(\d{1,2})\b", s)
    if m:
        code = m.group(1).zfill(2)
        return code if code in STATES else None
    key = re.sub(r"[^a-z]", "", s.lower().replace("&", "and"))
    return _STATE_BY_NAME.get(key)
