"""What the sandbox portal checks in a SAVE / RESET, and how it identifies the records it holds.

The rules are those of the reference (docs/reference/formats.md §1.2 sections, §2 required fields and validity rules;
docs/reference/ims-rules.md §2 and §4; docs/reference/portal-api.md §4 error codes). Codes the reference does not give start with SBX.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal

# GETINV section parameter -> section key (docs/reference/formats.md §1.2)
SECTION_KEYS = {
    "B2B": "b2b",
    "B2BA": "b2ba",
    "CN": "b2bcn",
    "CNA": "b2bcna",
    "DN": "b2bdn",
    "DNA": "b2bdna",
    "ECO": "ecom",
    "ECOA": "ecoma",
}
SHORT_REPORT_KEYS = {"b2bcn": "cn", "b2bdn": "dn", "b2bcna": "cna", "b2bdna": "dna"}
NOTE_SECTIONS = ("b2bcn", "b2bcna", "b2bdn", "b2bdna")
AMOUNT_FIELDS = ("val", "txval", "iamt", "camt", "samt", "cess")
# Fields an uploaded record must echo exactly as held (docs/reference/formats.md §2 rule 3).
ECHO_FIELDS = (
    "idt",
    "nt_dt",
    "oinum",
    "oidt",
    "ont_num",
    "ont_dt",
    "inv_typ",
    "pos",
    "srcform",
    *AMOUNT_FIELDS,
)
# docs/reference/formats.md §2 (2025)
SAVE_EXTRAS = ("remarks", "itcRedReq", "declIgst", "declCgst", "declSgst", "declCess")


def number_field(section: str) -> str:
    return "nt_num" if section in NOTE_SECTIONS else "inum"


def date_field(section: str) -> str:
    return "nt_dt" if section in NOTE_SECTIONS else "idt"


def required_fields(section: str, reqtyp: str) -> tuple[str, ...]:
    """Mandatory keys of a SAVE/RESET record per section (docs/reference/formats.md §2 table)."""
    base = ["stin", "rtnprd", "srcform", number_field(section), date_field(section), "pos", *AMOUNT_FIELDS]
    base.append("prev_status")
    if reqtyp == "SAVE":
        base.append("action")
    if section not in ("ecom", "ecoma"):
        base.append("inv_typ")
    if section in ("b2ba", "ecoma"):
        base += ["oinum", "oidt"]
    if section in ("b2bcna", "b2bdna"):
        base += ["ont_num", "ont_dt"]
    return tuple(base)


def record_key(section: str, record: Mapping) -> tuple[str, str, str, str]:
    """Identity of a held record: section, supplier GSTIN, number, supplier period."""
    number = record.get(number_field(section)) or record.get("inum") or record.get("nt_num") or ""
    return (section, str(record.get("stin", "")).upper(), str(number), str(record.get("rtnprd", "")))


def record_hash(record: Mapping) -> str:
    """The portal's checksum of a record's identity and amounts (changes when the supplier edits it)."""
    keys = sorted(k for k in record if k not in ("action", "hash", "ispendactblocked", "srcfilstatus"))
    text = "|".join(f"{k}={record[k]}" for k in keys)
    return hashlib.sha256(text.encode()).hexdigest()


def record_problem(held: dict | None, section: str, sent: Mapping, reqtyp: str) -> tuple[str, str] | None:
    """Why the portal refuses this record (docs/reference/formats.md §2 rules 2, 6; docs/reference/ims-rules.md §4), or None."""
    if held is None:
        return "IMSSAV0010", "Record not found: it may have been modified or deleted by the supplier"
    for key in ECHO_FIELDS:
        if key in sent and key in held and not same_value(sent[key], held[key]):
            return (
                "IMSSAV0010",
                f"Record details do not match the portal ({key}): the supplier may have edited it",
            )
    if sent["prev_status"] != held["action"]:
        return "IMSSAV0010", "Previous action is incorrect: download the record again"
    if reqtyp != "SAVE":
        return None
    if sent["action"] == "P" and str(held.get("ispendactblocked", "N")).upper() == "Y":
        return "SBX-PENDBLK", "Pending is not allowed for this record"
    if sent["action"] == "A" and section in ("b2bcn", "b2bcna") and sent.get("itcRedReq") not in ("Y", "N"):
        return "IMSSAV0054", "Value required for itcRedReq"
    if sent.get("itcRedReq") == "Y":
        return declaration_problem(held, sent)
    return None


def declaration_problem(held: Mapping, sent: Mapping) -> tuple[str, str] | None:
    """The declared ITC reduction: each head at most the document's tax, CGST = SGST (docs/reference/formats.md §2)."""
    heads = (("declIgst", "iamt"), ("declCgst", "camt"), ("declSgst", "samt"), ("declCess", "cess"))
    declared = {}
    for decl, tax in heads:
        value = sent.get(decl)
        if value is None or isinstance(value, str):
            return "SBX-DECL", f"{decl} is required as a number when itcRedReq is Y"
        declared[decl] = Decimal(str(value))
        if declared[decl] < 0 or declared[decl] > Decimal(str(held.get(tax) or 0)):
            return "SBX-DECL", f"{decl} must be between 0 and the document's {tax}"
    if declared["declCgst"] != declared["declSgst"]:
        return "SBX-DECL", "declCgst and declSgst must be equal"
    return None


def same_value(sent, held) -> bool:
    if isinstance(held, Decimal) or isinstance(sent, (Decimal, float, int)):
        try:
            return Decimal(str(sent)) == Decimal(str(held))
        except ArithmeticError:
            return False
    return str(sent) == str(held)


def sent_records(payload) -> list[tuple]:
    sent = []
    if not isinstance(payload, Mapping) or not isinstance(payload.get("invdata"), Mapping):
        return sent
    for section, records in payload["invdata"].items():
        for rec in records if isinstance(records, list) else []:
            if isinstance(rec, Mapping):
                sent.append((*record_key(section, rec), rec.get("action")))
    return sent


def schema_problem(gstin: str, action: str, payload) -> str | None:
    """Envelope and record checks of the published SAVE/RESET schemas (docs/reference/formats.md §2)."""
    if not isinstance(payload, Mapping):
        return "the body is not a JSON object"
    for key in ("rtin", "reqtyp", "invdata"):
        if key not in payload:
            return f"'{key}' is required"
    wanted = "SAVE" if action == "SAVE" else "RESET"
    if payload["reqtyp"] != wanted:
        return f"reqtyp must be {wanted} for {action}"
    if str(payload["rtin"]).upper() != gstin:
        return "rtin does not match the GSTIN of the session"
    invdata = payload["invdata"]
    if not isinstance(invdata, Mapping) or not invdata:
        return "invdata must hold at least one section"
    allowed_actions = ("A", "R", "P")
    for section, records in invdata.items():
        if section not in SECTION_KEYS.values():
            return f"unknown section '{section}'"
        if not isinstance(records, list) or not records:
            return f"section '{section}' must be a non-empty list"
        for index, rec in enumerate(records):
            missing = [k for k in required_fields(section, wanted) if k not in rec]
            if missing:
                return f"{section}[{index}]: missing {', '.join(missing)}"
            # The published schemas set additionalProperties: false (docs/reference/formats.md §2).
            allowed = set(required_fields(section, wanted)) | (
                set(SAVE_EXTRAS) if wanted == "SAVE" else set()
            )
            extra = sorted(set(rec) - allowed)
            if extra:
                return f"{section}[{index}]: field(s) not allowed: {', '.join(extra)}"
            if wanted == "SAVE" and rec["action"] not in allowed_actions:
                return f"{section}[{index}]: action must be A, R or P (N goes through RESET)"
            if wanted == "RESET" and "action" in rec:
                return f"{section}[{index}]: a RESET record carries no action"
            if rec["prev_status"] not in ("A", "R", "P", "N"):
                return f"{section}[{index}]: prev_status must be A, R, P or N"
            number = rec[number_field(section)]
            if not isinstance(number, str) or not 1 <= len(number) <= 16:
                return f"{section}[{index}]: the document number must be a string of 1-16 characters"
            for amount in AMOUNT_FIELDS:
                if isinstance(rec[amount], str) or rec[amount] is None:
                    return f"{section}[{index}]: {amount} must be a number"
    return None
