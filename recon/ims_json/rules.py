"""The rules a finished SAVE / RESET payload keeps (docs/reference/formats.md §2): checked before any file is
returned, and by :func:`validate` for payloads built elsewhere."""

from __future__ import annotations

from decimal import Decimal

from recon import gstin as gstin_check
from recon.actions import REMARKS_MAX, texts
from recon.errors import InputError
from recon.ims_json.records import ACTION_KEYS, DECL_KEYS
from recon.readers.sections import (
    AMENDMENT_SECTIONS,
    API_FIELDS,
    CREDIT_NOTE_SECTIONS,
    IMPORT_SECTIONS,
    NUMBER_KEY,
    REQUIRED_FIELDS,
    UPLOAD_AMOUNTS,
)


def validate(payload: dict, *, profile: str | None = None) -> None:
    """Raise InputError naming the first document that breaks a rule of docs/reference/formats.md §2; else None.

    ``profile="api"`` adds the strict allow-list and required ``prev_status``.
    """
    if not isinstance(payload, dict) or set(payload) != {"rtin", "reqtyp", "invdata"}:
        raise InputError("an IMS upload is an object with exactly rtin, reqtyp and invdata")
    problem = gstin_check.problem(str(payload["rtin"]))
    if problem:
        raise InputError(f"rtin: {problem}")
    reqtyp = payload["reqtyp"]
    if reqtyp not in ("SAVE", "RESET"):
        raise InputError(f"reqtyp must be SAVE or RESET, not {reqtyp!r}")
    invdata = payload["invdata"]
    if not isinstance(invdata, dict) or not invdata:
        raise InputError("invdata must hold at least one section with records")
    for section, records in invdata.items():
        if section not in API_FIELDS:
            raise InputError(f"'{section}' is not an IMS section (keys are lower case: b2b, b2bcn ...)")
        if not isinstance(records, list) or not records:
            raise InputError(f"section '{section}' must be a non-empty list of records")
        for record in records:
            problem = _record_problem(section, record, reqtyp, profile)
            if problem:
                raise InputError(f"{_describe_record(section, record)}: {problem}")


def _describe_record(section: str, record: dict) -> str:
    number = record.get(NUMBER_KEY.get(section, "inum"))
    return f"{section} document '{number}' of supplier {record.get('stin', '?')}"


def _record_problem(section: str, record: dict, reqtyp: str, profile: str | None) -> str | None:
    checks = (_action_problem, identity_problem, _remarks_problem, _reduction_problem)
    for check in checks:
        problem = check(section, record, reqtyp)
        if problem:
            return problem
    if profile == "api":
        return _api_problem(section, record)
    return None


def _flag_is_yes(record: dict, *keys: str) -> bool:
    return any(str(record.get(k, "")).strip().upper() in ("Y", "TRUE") for k in keys)


def _action_problem(section: str, record: dict, reqtyp: str) -> str | None:
    action = record.get("action")
    if reqtyp == "RESET":
        if "action" in record:
            return "a RESET record carries no action"
    elif action == "N":
        return "No Action cannot be sent in a SAVE file: it goes back through a RESET file"
    elif action not in ("A", "R", "P"):
        return f"action must be A, R or P, not {action!r}"
    prev = record.get("prev_status")
    if prev is not None and prev not in ("A", "R", "P", "N"):
        return f"prev_status must be A, R, P or N, not {prev!r}"
    if action == "P" and _flag_is_yes(record, "ispendactblocked", "ispendactnallwd"):
        return texts.PENDING_BLOCKED
    if action == "R" and section in IMPORT_SECTIONS:
        return texts.IMPORT_NEVER_REJECTED
    return None


def identity_problem(section: str, record: dict, reqtyp: str) -> str | None:
    key = NUMBER_KEY[section]
    number = record.get(key)
    if section in IMPORT_SECTIONS and isinstance(number, int):
        number = str(number)  # bill-of-entry numbers are digits; echoed as the download wrote them
    if not isinstance(number, str):
        # A number that went through a float or Excel loses digits (docs/reference/formats.md §2 rule 5).
        return f"the document number ({key}) must be a string as downloaded, not {type(number).__name__}"
    if not 1 <= len(number) <= 16:
        return f"the document number has {len(number)} characters; the portal allows 1 to 16"
    for amount_key in UPLOAD_AMOUNTS:
        value = record.get(amount_key)
        if value is not None and (
            isinstance(value, (bool, str)) or not isinstance(value, (int, float, Decimal))
        ):
            return f"{amount_key} must be a number as downloaded, not {value!r}"
    return None


def _remarks_problem(section: str, record: dict, reqtyp: str) -> str | None:
    if "remarks" not in record:
        return None
    remarks = record["remarks"]
    if record.get("action") not in ("R", "P"):
        return "remarks go only with Reject or Pending"
    if not isinstance(remarks, str) or not remarks.strip():
        return "remarks must be non-empty text"
    if len(remarks) > REMARKS_MAX:
        return texts.remarks_too_long(REMARKS_MAX)
    if _flag_is_yes(record, "isRemarksBlocked", "remarksBlocked"):
        return texts.REMARKS_BLOCKED
    return None


def _reduction_problem(section: str, record: dict, reqtyp: str) -> str | None:
    answer = record.get("itcRedReq")
    declared = {k: record[k] for k in DECL_KEYS.values() if k in record}
    if answer is None:
        if declared:
            return "declared ITC reduction without itcRedReq"
        if (
            record.get("action") == "A"
            and section in CREDIT_NOTE_SECTIONS
            and not _flag_is_yes(record, "itcRedReqBlocked", "isItcRedReqBlocked")
        ):
            return texts.CREDIT_NOTE_NEEDS_ANSWER
        return None
    if record.get("action") != "A":
        return "itcRedReq goes only with Accept"
    if section not in CREDIT_NOTE_SECTIONS + AMENDMENT_SECTIONS:
        return "itcRedReq applies only to credit notes and amendments"
    if answer not in ("Y", "N"):
        return f"itcRedReq must be Y or N, not {answer!r}"
    if _flag_is_yes(record, "itcRedReqBlocked", "isItcRedReqBlocked"):
        return "the portal blocks the ITC-reduction answer for this document"
    if answer == "N":
        return "declared amounts go only with itcRedReq Y" if declared else None
    return _declaration_problem(record, declared)


def _declaration_problem(record: dict, declared: dict) -> str | None:
    heads = {"declIgst": "iamt", "declCgst": "camt", "declSgst": "samt", "declCess": "cess"}
    for key, amount_key in heads.items():
        value = Decimal(str(declared.get(key, 0)))
        if value < 0:
            return f"{key} cannot be negative"
        if amount_key in record and value > Decimal(str(record[amount_key])):
            return f"{key} ({value}) is more than the document's {amount_key} ({record[amount_key]})"
    if Decimal(str(declared.get("declCgst", 0))) != Decimal(str(declared.get("declSgst", 0))):
        return "declCgst and declSgst must be equal"
    return None


def validate_fields(payload: dict) -> None:
    """API profile: every record holds only allowed keys and every required one (docs/reference/formats.md §2)."""
    for section, records in payload["invdata"].items():
        for record in records:
            problem = _api_problem(section, record)
            if problem:
                raise InputError(f"{_describe_record(section, record)}: {problem}")


def _api_problem(section: str, record: dict) -> str | None:
    extra = sorted(set(record) - set(API_FIELDS[section]) - set(ACTION_KEYS))
    if extra:
        return f"fields not allowed by the API schema: {', '.join(extra)}"
    missing = [k for k in REQUIRED_FIELDS[section] if k not in record]
    if "prev_status" not in record:
        missing.append("prev_status")
    if missing:
        return f"missing required fields: {', '.join(missing)}"
    return None
