"""One IMS action record: the downloaded record echoed back with this change's action keys, per profile.

The offline profile echoes the download minus name and hash; the API profile keeps the schema's allow-list
per section (docs/reference/formats.md §2).
"""

from __future__ import annotations

from decimal import Decimal

from recon.readers.sections import AMENDMENT_SECTIONS, API_FIELDS, CREDIT_NOTE_SECTIONS

ACTION_KEYS = (
    "action",
    "prev_status",
    "remarks",
    "itcRedReq",
    "declIgst",
    "declCgst",
    "declSgst",
    "declCess",
)
DECL_KEYS = {
    "decl_igst": "declIgst",
    "decl_cgst": "declCgst",
    "decl_sgst": "declSgst",
    "decl_cess": "declCess",
}
DOWNLOAD_FLAGS = (
    "srcfilstatus",
    "ispendactblocked",
    "ispendactnallwd",
    "isRemarksBlocked",
    "remarksBlocked",
    "itcRedReqBlocked",
    "isItcRedReqBlocked",
)
# Never echoed in any profile: the name and checksum (docs/reference/formats.md §2.1), error-file fields, and whatever
# action keys the download already carried (ours replace them; snake_case variants included).
_ALWAYS_DROPPED = (
    "tradenm",
    "hash",
    "error_msg",
    "error_cd",
    "errMsg",
    "errCd",
    "itc_red_req",
    "decl_igst",
    "decl_cgst",
    "decl_sgst",
    "decl_cess",
    *ACTION_KEYS,
)


def describe(row: dict) -> str:
    """How a message names one document: section, number and supplier."""
    return f"{row.get('section') or '?'} document '{row.get('doc_no') or '?'}' of supplier {row.get('supplier_gstin') or '?'}"


def action_record(row: dict, downloaded: dict) -> dict:
    """The downloaded record with the action keys of this change and prev_status (download flags still in,
    for the checks); each profile then trims it."""
    record = {k: v for k, v in downloaded.items() if k not in _ALWAYS_DROPPED}
    action = row["wanted_action"]
    if action != "N":
        record["action"] = action
    record["prev_status"] = row["current_action"]
    if action in ("R", "P") and row["remarks"] and not row["remarks_blocked"]:
        record["remarks"] = row["remarks"]
    record.update(_reduction_keys(row))
    return record


def offline_record(record: dict, with_prev: bool, keep_flags: bool) -> dict:
    """The offline echo: the download minus name and hash, flags and prev_status only when asked for."""
    dropped = (() if keep_flags else DOWNLOAD_FLAGS) + (() if with_prev else ("prev_status",))
    return {k: v for k, v in record.items() if k not in dropped}


def api_record(record: dict, section: str) -> dict:
    """The API profile: the schema's allow-list for the section, in download order."""
    keep = {*API_FIELDS[section], *ACTION_KEYS}
    return {k: v for k, v in record.items() if k in keep}


def _reduction_keys(row: dict) -> dict:
    """itcRedReq / decl* on an Accept that the portal asks the ITC-reduction question for."""
    if row["wanted_action"] != "A" or row["itc_red_blocked"]:
        return {}
    section, answer = row["section"], row["itc_red_req"]
    if section not in CREDIT_NOTE_SECTIONS and not (section in AMENDMENT_SECTIONS and answer):
        return {}
    if answer not in ("Y", "N"):
        return {}  # a credit note without an answer was refused by the guards already
    keys: dict = {"itcRedReq": answer}
    if answer == "Y":
        for column, key in DECL_KEYS.items():
            keys[key] = Decimal(f"{row[column] or 0:.2f}")
    return keys
