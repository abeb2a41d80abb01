"""Document-number series as suppliers print them, and the ways books re-type them.

Rule 46(b) CGST Rules: a consecutive serial of at most 16 characters (letters, digits, '-' and '/'),
unique per financial year (docs/reference/matching-practice.md §3). Books are not bound by the rule: users drop
separators, change case, rewrite the FY token or the leading zeros. Every rewrite here keeps the
normalised key (recon.normalise.doc_no_key) equal — that is what makes it a *format* difference.
"""

from __future__ import annotations

import random
import re

from recon.normalise import doc_no_key

# Series shapes seen on real documents; {st} is the supplier's state abbreviation, {fy4} "2526",
# {fy5} "25-26".
STYLES = ("state_fy", "inv_pad", "gst_fy", "bill_branch", "plain", "einvoice16", "letter_dash", "inv_fy_tail")


def fy_tokens(fy: str) -> dict[str, str]:
    start = int(fy[:4])
    return {
        "fy4": f"{start % 100:02d}{(start + 1) % 100:02d}",
        "fy5": f"{start % 100:02d}-{(start + 1) % 100:02d}",
    }


def series_number(style: str, serial: int, fy: str, state_abbr: str, branch: int) -> str:
    """The supplier's own number for the ``serial``-th document of the year."""
    t = fy_tokens(fy)
    if style == "state_fy":
        return f"{state_abbr}/{t['fy4']}/{serial:04d}"
    if style == "inv_pad":
        return f"INV-{serial:05d}"
    if style == "gst_fy":
        return f"GST/{t['fy5']}/{serial}"
    if style == "bill_branch":
        return f"BILL-{branch:02d}-{serial:05d}"
    if style == "plain":
        return str(serial)
    if style == "einvoice16":
        # Sixteen digits: breaks if it ever passes through a float or an Excel number cell.
        return f"{int(fy[:4]) % 100:02d}{branch:02d}{serial:012d}"
    if style == "letter_dash":
        return f"A-{serial}"
    if style == "inv_fy_tail":
        return f"INV/{serial:03d}/{t['fy5']}"
    raise ValueError(style)


def note_number(kind: str, serial: int, fy: str) -> str:
    """Credit / debit note series: suppliers keep them apart from invoices."""
    t = fy_tokens(fy)
    prefix = "CN" if kind == "credit_note" else "DN"
    return f"{prefix}/{t['fy5']}/{serial:03d}" if serial % 2 else f"{prefix}-{serial:04d}"


def _variants(number: str, fy: str) -> list[str]:
    t = fy_tokens(fy)
    start = int(fy[:4])
    out = [
        number.lower(),
        re.sub(r"[-/]", "", number),  # INV/017/25-26 -> INV0172526 (the key still drops the FY)
        number.replace("/", "-"),
        number.replace("-", "/"),
        re.sub(r"(?<![0-9])0+(?=[0-9])", "", number),  # INV-00045 -> INV-45
        number.replace(t["fy5"], f"{start}-{(start + 1) % 100:02d}"),  # 25-26 -> 2025-26
        number.replace(t["fy4"], t["fy5"]),  # 2526 -> 25-26
        number.replace("/", " "),  # typed with spaces
        re.sub(r"[-/]?" + re.escape(t["fy5"]) + r"[-/]?", "", number),  # drop the FY token
    ]
    m = re.fullmatch(r"([A-Z]+)-(\d+)", number)
    if m:
        out.append(f"{m.group(1)}-{int(m.group(2)):06d}")  # more leading zeros
    if number.isdigit() and len(number) < 8:
        out.append(f"{int(number):05d}")
    return out


def reformat(rng: random.Random, number: str, fy: str) -> str | None:
    """The same number re-typed the way books do; the key stays equal. None when no rewrite fits."""
    key = doc_no_key(number, fy)
    candidates = [v.strip() for v in _variants(number, fy)]
    fitting = [v for v in candidates if v and v != number and doc_no_key(v, fy) == key and len(v) <= 20]
    return rng.choice(sorted(set(fitting))) if fitting else None


def confusable(rng: random.Random, number: str, fy: str) -> str | None:
    """Another real number of the same series that loose fuzzy matchers take for ``number``.

    1 vs 11, 123 vs 1234, BILL-23-00040 vs BILL-23-00045, A-101 vs A-110 (docs/reference/matching-practice.md §4).
    The keys differ: these are two documents.
    """
    m = re.search(r"(\d+)(?!.*\d)", number)
    if not m:
        return None
    digits = m.group(1)
    width = len(digits)
    value = int(digits)
    options = []
    options.append(str(value) + str(value % 10))  # 1 -> 11, 123 -> 1233
    options.append(str(value) + str((value + 1) % 10))  # 123 -> 1234
    if width >= 2:
        last = value % 10
        options.append(str(value - last + (last + 5) % 10).zfill(width))  # ...40 -> ...45
        if digits[-1] != digits[-2]:
            options.append(digits[:-2] + digits[-1] + digits[-2])  # 101 -> 110
    rng.shuffle(options)
    for new_digits in options:
        if len(new_digits) != width and width >= 4 and digits.startswith("0"):
            continue  # keep zero-padded series at their width
        other = number[: m.start()] + new_digits + number[m.end() :]
        if other != number and doc_no_key(other, fy) != doc_no_key(number, fy) and len(other) <= 16:
            return other
    return None
