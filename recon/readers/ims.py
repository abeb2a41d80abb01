"""IMS download (JSON) → canonical documents.

Accepts every envelope the portal, GSPs and API vendors wrap the records in (docs/reference/formats.md §1.1, §2.1): bare
sections, ``data``, ``data.data``, ``imsDetails``, the offline error file ``imsDetailsErr`` and our own
SAVE/RESET file (``rtin`` + ``reqtyp`` + ``invdata``). Each record keeps its exact JSON in ``raw`` because
the action JSON must echo identity and amounts digit for digit (docs/reference/formats.md §2 rule 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat

from recon.errors import InputError, Issue, Where
from recon.readers.portal_columns import READ_ALONE, Columns, isd_kinds, map_distinct
from recon.readers.portal_files import check_recipient, recipient_in_file
from recon.readers.portal_frame import canonical_frame_of_columns, new_row
from recon.readers.portal_json import batches, collector_paused, is_list, load_json
from recon.readers.portal_kind import IMS_WRAPPERS, json_kind, wrong_kind_error
from recon.readers.portal_record import Record
from recon.readers.portal_values import pos_code, raw_json, supply_type_code
from recon.readers.result import ReadResult
from recon.readers.section_columns import as_series, join_columns, origin_indexes, put_rows
from recon.readers.sections import IMS, Section, isd_kind

# Keys that may sit beside the sections in an envelope and are not sections themselves.
_ENVELOPE_KEYS = {
    "status",
    "status_cd",
    "code",
    "message",
    "rtin",
    "gstin",
    "reqtyp",
    "rtnprd",
    "chksum",
    "hash",
}


@dataclass
class Envelope:
    """What the wrapper around the sections said."""

    sections: dict
    recipient_gstin: str | None = None
    reqtyp: str | None = None  # SAVE / RESET when this is our own upload file read back
    error_file: bool = False  # imsDetailsErr: records refused by the portal, each with error_msg
    return_period: str | None = None


def read_ims(data: bytes, name: str, *, recipient_gstin: str | None = None) -> ReadResult:
    """Read an IMS JSON download (any envelope) into canonical documents."""
    return read_ims_parsed(load_json(data, name), name, recipient_gstin=recipient_gstin)


def read_ims_parsed(obj, name: str, *, recipient_gstin: str | None = None) -> ReadResult:
    """:func:`read_ims` for JSON already parsed with ``jsonio.loads_exact`` (the sniffer parses once)."""
    with collector_paused():
        return _read_sections(obj, name, recipient_gstin)


def _read_sections(obj, name: str, recipient_gstin: str | None) -> ReadResult:
    envelope = find_sections(obj, name)
    recipient = check_recipient(envelope.recipient_gstin, recipient_gstin, "IMS file", name)
    parts: list[dict] = []
    warnings: list[Issue] = []
    for key, records in envelope.sections.items():
        section = key.lower()
        if section not in IMS:
            warnings.append(_unknown_section(key, records, name))
            continue
        if not is_list(records):
            raise InputError(f"section '{key}' is not a list of records", file=name)
        for first, batch in batches(records):
            parts.append(as_series(_section_columns(key, batch, first, name, envelope, recipient)))
    columns, count = join_columns(parts)
    docs, issues = canonical_frame_of_columns(columns, count, "ims", name)
    warnings.extend(issues)
    warnings.extend(_envelope_warnings(envelope, count, name))
    warnings.extend(_filing_status_warnings(docs, name))
    return ReadResult(
        docs=docs,
        source="ims",
        file=name,
        file_format="json",
        rows_read=count,
        warnings=warnings,
        recipient_gstin=recipient_in_file(envelope.recipient_gstin),
        period=envelope.return_period,
    )


def find_sections(obj, name: str) -> Envelope:
    """Unwrap the envelope down to the dict that holds the sections (docs/reference/formats.md §1.1, §2.1)."""
    kind = json_kind(obj)
    if not isinstance(obj, dict) or kind not in ("ims", "unknown"):
        raise wrong_kind_error(kind, "ims", name)
    envelope = Envelope(sections={})
    node = obj
    for _ in range(6):
        _note_envelope_keys(node, envelope)
        sections = {k: v for k, v in node.items() if str(k).lower() in IMS}
        if sections:
            envelope.sections = sections
            return envelope
        wrapper = next((k for k in IMS_WRAPPERS if k in node), None)
        if wrapper is None:
            break
        inner = node[wrapper]
        if wrapper == "data" and isinstance(inner, str):
            raise InputError(
                "the response is still encrypted ('data' is a string, not records)",
                file=name,
                hint="Decrypt the GETINV response with the session key first, or download the JSON from the portal.",
            )
        if not isinstance(inner, dict):
            break
        envelope.error_file = envelope.error_file or wrapper == "imsDetailsErr"
        node = inner
    if kind == "unknown" and set(map(str, node)) - _ENVELOPE_KEYS:
        raise wrong_kind_error(kind, "ims", name)
    return envelope  # an empty download: envelope with no records


def _note_envelope_keys(node: dict, envelope: Envelope) -> None:
    lower = {str(k).lower(): v for k, v in node.items()}
    for key in ("rtin", "gstin"):
        if isinstance(lower.get(key), str) and not envelope.recipient_gstin:
            envelope.recipient_gstin = lower[key]
    if isinstance(lower.get("reqtyp"), str):
        envelope.reqtyp = lower["reqtyp"].upper()
    if isinstance(lower.get("rtnprd"), str) and not envelope.return_period:
        envelope.return_period = lower["rtnprd"]


def _section_columns(
    key: str, records: list, first: int, name: str, envelope: Envelope, recipient: str | None
) -> dict:
    """Records of one section as columns (``first``: how many records of the section come before them).

    The fields of all records at once, as document_row reads one. Records whose values the column reader
    leaves alone (refused values, rare shapes) are read with document_row, in file order, so that the
    first bad record raises its own error.
    """
    if not all(map(isinstance, records, repeat(dict))):
        raise _first_error(key, records, first, name, envelope, recipient)
    section, count = key.lower(), len(records)
    spec = IMS[section]
    fields = Columns(records)
    columns = {
        "source": ["ims"] * count,
        "section": [section] * count,
        "origin_file": [name] * count,
        "origin_sheet": [section] * count,
        "recipient_gstin": [recipient] * count,
        **_field_columns(fields, spec, envelope),
    }
    refusals = _refusals(fields)
    alone = {
        position: document_row(
            Record(records[position], name, f"section '{key}', record {first + position + 1}"),
            section,
            first + position + 1,
            name,
            envelope,
            recipient,
        )
        for position in sorted(fields.alone)
    }
    put_rows(columns, alone)
    columns["warnings"] = _column_warnings(columns, spec, refusals, alone)
    columns["origin_rows"] = origin_indexes(count, first + 1)
    columns["raw"] = fields.raw()
    return columns


def _field_columns(fields: Columns, spec: Section, envelope: Envelope) -> dict[str, list]:
    """document_row's fields for every record (fields: docs/reference/formats.md §1.3)."""
    count = len(fields.records)
    status = fields.text("srcfilstatus")
    return {
        "doc_kind": isd_kinds(fields, *spec.kind_keys) if spec.doc_kind == "isd" else [spec.doc_kind] * count,
        "is_amendment": [spec.is_amendment] * count,
        "supplier_gstin": fields.text("stin", "ctin", required=spec.needs_supplier),
        "supplier_name": fields.text("tradenm", "trdnm", "trade_name", "lgl_nm"),
        "doc_no": fields.text(*spec.number, required=True),
        "doc_date": fields.date(*spec.date, required=True),
        "original_doc_no": fields.text(*spec.original_number) if spec.is_amendment else [None] * count,
        "original_doc_date": fields.date(*spec.original_date) if spec.is_amendment else [None] * count,
        "supply_type": fields.code(supply_type_code, *spec.supply_type_keys),
        "pos": fields.code(pos_code, "pos"),
        # Reverse-charge supplies never enter IMS (docs/reference/ims-rules.md §1), so an IMS record is forward charge.
        "reverse_charge": [False if rev is None else rev for rev in fields.flag("rev", "rchrg")],
        **{column: fields.amount(*keys) for column, keys in spec.amounts.items()},
        "supplier_period": fields.text("rtnprd", "sRtnPrd"),
        "supplier_filing_status": status,
        "supplier_filed": map_distinct(status, _is_filed),
        "ims_action": _held_actions(fields, envelope),
        "pending_blocked": fields.flag("ispendactblocked", "ispendactnallwd"),
        "remarks_blocked": fields.flag("isRemarksBlocked", "remarksBlocked"),
        "itc_red_blocked": fields.flag("itcRedReqBlocked", "isItcRedReqBlocked"),
        "portal_hash": fields.text("hash"),
    }


def _held_actions(fields: Columns, envelope: Envelope) -> list:
    """_held_action for every record; a value that is not an action is left to document_row."""
    if envelope.reqtyp == "RESET":
        return ["N"] * len(fields.records)
    return fields.note_alone(map_distinct(fields.text("action"), _action_code))


def _action_code(action):
    if action is None or action is READ_ALONE:
        return action
    code = action.strip().upper()
    return code if code in ("A", "R", "P", "N") else READ_ALONE


def _is_filed(status) -> bool:
    return type(status) is str and status.strip().lower() == "filed"


def _refusals(fields: Columns) -> list:
    """The portal's refusal of each record (error files), as _record_warnings words it, else None."""
    messages = fields.text("error_msg", "errMsg")
    if not any(messages):
        return messages
    codes = fields.text("error_cd", "errCd")
    return [
        f"the portal refused this record: {code + ' ' if code else ''}{message}"
        if type(message) is str and code is not READ_ALONE
        else None
        for message, code in zip(messages, codes, strict=True)
    ]


def _column_warnings(columns: dict, spec: Section, refusals: list, rows: dict[int, dict]) -> list[list[str]]:
    """Each record's warnings in _record_warnings' order; records read alone keep their own."""
    warnings = [[] if refusal is None else [refusal] for refusal in refusals]
    for column in spec.amounts:
        amounts = columns[column]
        for position in amounts.lt(0).arg_true().to_list():
            warnings[position].append(
                f"{column} is negative ({amounts[position]}); the portal lists amounts as positive"
            )
    for position, row in rows.items():
        warnings[position] = row["warnings"]
    return warnings


def _first_error(
    key: str, records: list, first: int, name: str, envelope: Envelope, recipient: str | None
) -> InputError:
    """For a section holding something that is not a record: the error reading it in order meets first."""
    for index, record in enumerate(records, start=first + 1):
        where = f"section '{key}', record {index}"
        if not isinstance(record, dict):
            break
        document_row(Record(record, name, where), key.lower(), index, name, envelope, recipient)
    return InputError(f"{where} is not a record (an object was expected)", file=name)


def document_row(
    record: Record, section: str, index: int, name: str, envelope: Envelope, recipient: str | None
) -> dict:
    """One IMS record as a canonical row (fields: docs/reference/formats.md §1.3)."""
    spec = IMS[section]
    row = new_row("ims", name, section, index)
    row["recipient_gstin"] = recipient
    row["doc_kind"] = isd_kind(record.text(*spec.kind_keys)) if spec.doc_kind == "isd" else spec.doc_kind
    row["is_amendment"] = spec.is_amendment
    row["supplier_gstin"] = record.text("stin", "ctin", required=spec.needs_supplier)
    row["supplier_name"] = record.text("tradenm", "trdnm", "trade_name", "lgl_nm")
    row["doc_no"] = record.text(*spec.number, required=True)
    row["doc_date"] = record.date(*spec.date, required=True)
    if spec.is_amendment:
        row["original_doc_no"] = record.text(*spec.original_number)
        row["original_doc_date"] = record.date(*spec.original_date)
    row["supply_type"] = supply_type_code(record.get(*spec.supply_type_keys))
    row["pos"] = pos_code(record.get("pos"))
    # Reverse-charge supplies never enter IMS (docs/reference/ims-rules.md §1), so an IMS record is forward charge.
    rev = record.flag("rev", "rchrg")
    row["reverse_charge"] = False if rev is None else rev
    for column, keys in spec.amounts.items():
        row[column] = record.amount(*keys)
    row["supplier_period"] = record.text("rtnprd", "sRtnPrd")
    status = record.text("srcfilstatus")
    row["supplier_filing_status"] = status
    row["supplier_filed"] = status is not None and status.strip().lower() == "filed"
    row["ims_action"] = _held_action(record, envelope)
    # Either spelling of each flag; Y in either pending key means Pending is blocked (docs/reference/formats.md §1.3).
    row["pending_blocked"] = record.flag("ispendactblocked", "ispendactnallwd")
    row["remarks_blocked"] = record.flag("isRemarksBlocked", "remarksBlocked")
    row["itc_red_blocked"] = record.flag("itcRedReqBlocked", "isItcRedReqBlocked")
    row["portal_hash"] = record.text("hash")
    row["raw"] = raw_json(record.data)
    _record_warnings(record, spec, row)
    return row


def _held_action(record: Record, envelope: Envelope) -> str | None:
    """The action the record holds: ``action`` in a download; a RESET file asks for No Action."""
    if envelope.reqtyp == "RESET":
        return "N"
    action = record.text("action")
    if action is None:
        return None
    code = action.strip().upper()
    if code not in ("A", "R", "P", "N"):
        raise record.error("action", f"'{action}' is not an IMS action (A, R, P or N)")
    return code


def _record_warnings(record: Record, spec: Section, row: dict) -> None:
    message = record.text("error_msg", "errMsg")
    if message:
        code = record.text("error_cd", "errCd")
        row["warnings"].append(f"the portal refused this record: {code + ' ' if code else ''}{message}")
    for column in spec.amounts:
        value = row.get(column)
        if value is not None and value < 0:
            row["warnings"].append(f"{column} is negative ({value}); the portal lists amounts as positive")


def _unknown_section(key: str, records, name: str) -> Issue:
    count = len(records) if is_list(records) else 0
    return Issue(
        f"section '{key}' is not an IMS section known to this app; its {count} record(s) were not read",
        Where(file=name),
    )


def _filing_status_warnings(docs, name: str) -> list[Issue]:
    """A filing status the portal does not write (docs/reference/formats.md §1.3: Filed / Not Filed) is
    read as not filed; say so once per value, since it holds back every suggestion to accept."""
    statuses = docs.get_column("supplier_filing_status").drop_nulls()
    unknown = statuses.filter(~statuses.str.strip_chars().str.to_lowercase().is_in(["filed", "not filed"]))
    return [
        Issue(
            f"'{value}' on {count:,} record(s) is not a filing status the portal writes (Filed or "
            "Not Filed): read as not filed, so a matched one is suggested Pending, not Accept, until the supplier files",
            Where(file=name, column="srcfilstatus"),
        )
        for value, count in unknown.value_counts(sort=True).iter_rows()
    ]


def _envelope_warnings(envelope: Envelope, count: int, name: str) -> list[Issue]:
    where = Where(file=name)
    issues = []
    if count == 0:
        issues.append(Issue("the download holds no IMS records (nothing to act on for this period)", where))
    if envelope.error_file:
        issues.append(
            Issue("this is the portal's error file: every record here was refused on upload", where)
        )
    if envelope.reqtyp:
        issues.append(
            Issue(
                f"this is an upload file ({envelope.reqtyp}) built for the portal, not a download: the actions"
                " shown are the ones it asks for. Download IMS again to see what the portal holds.",
                where,
            )
        )
    return issues
