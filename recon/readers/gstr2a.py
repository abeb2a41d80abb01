"""GSTR-2A JSON → canonical documents (docs/reference/formats.md §5).

2A is the live view of what suppliers reported; it changes as they file, so it serves as evidence beside
2B and IMS. Its names differ from 2B (``rchrg``/``rev``, ``iamt``/``igst``, ``csamt``/``cess``), amounts
sit in rate lines ``itms[].itm_det`` and dates may be written ``18-Nov-19``.
"""

from __future__ import annotations

import polars as pl

from recon.errors import InputError, Issue, Where
from recon.readers.portal_columns import READ_ALONE, Columns, map_distinct
from recon.readers.portal_files import check_recipient, recipient_in_file
from recon.readers.portal_frame import canonical_frame_of_columns
from recon.readers.portal_json import collector_paused, is_list, load_json
from recon.readers.portal_kind import json_kind, unwrap, wrong_kind_error
from recon.readers.portal_record import Record
from recon.readers.portal_values import literal_text, period_mmyyyy
from recon.readers.result import ReadResult
from recon.readers.section_columns import (
    SectionColumns,
    amounts_total,
    join_columns,
    rate_line_sums,
    upper_or_none,
)
from recon.readers.sections import GSTR2A, ISD_CREDIT_NOTE_WARNING, Section

_ENVELOPE = {"gstin", "fp", "status", "status_cd", "code", "message", "chksum"}


def read_gstr2a(data: bytes, name: str, *, recipient_gstin: str | None = None) -> ReadResult:
    """Read a GSTR-2A download: JSON, or the portal's Excel (read like 2B's, docs/reference/formats.md §5)."""
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        from recon.readers.gstr2b_excel import read_gstr2a_excel

        return read_gstr2a_excel(data, name, recipient_gstin=recipient_gstin)
    return read_gstr2a_parsed(load_json(data, name), name, recipient_gstin=recipient_gstin)


def read_gstr2a_parsed(obj, name: str, *, recipient_gstin: str | None = None) -> ReadResult:
    """:func:`read_gstr2a` for JSON already parsed with ``jsonio.loads_exact``."""
    kind = json_kind(obj)
    if kind != "gstr2a":
        raise wrong_kind_error(kind, "gstr2a", name)
    statement = unwrap(obj)
    recipient = check_recipient(literal_text(statement.get("gstin")), recipient_gstin, "2A", name)
    with collector_paused():
        return _read_statement(statement, name, recipient)


def _read_statement(statement: dict, name: str, recipient: str | None) -> ReadResult:
    parts: list[dict] = []
    warnings: list[Issue] = []
    for key, groups in statement.items():
        section = str(key).lower()
        if section in GSTR2A:
            parts.extend(_SectionReader(GSTR2A[section], section, name, recipient).columns(groups))
        elif key not in _ENVELOPE and is_list(groups):
            warnings.append(
                Issue(f"section '{key}' is not read by this app ({len(groups)} entries)", Where(file=name))
            )
    columns, count = join_columns(parts)
    docs, issues = canonical_frame_of_columns(columns, count, "gstr2a", name)
    warnings.extend(issues)
    if not count:
        warnings.append(Issue("this 2A holds no documents", Where(file=name)))
    return ReadResult(
        docs=docs,
        source="gstr2a",
        file=name,
        file_format="json",
        rows_read=count,
        warnings=warnings,
        recipient_gstin=recipient_in_file(literal_text(statement.get("gstin"))),
        period=literal_text(statement.get("fp")),
    )


class _SectionReader(SectionColumns):
    source = "gstr2a"
    # SEZ imports name their supplier sgstin / tdname (docs/reference/formats.md §5 lists 2A's own spellings).
    supplier_keys = ("ctin", "sgstin")
    name_keys = ("trdnm", "tradenm", "tdname")
    reverse_charge_keys = ("rchrg", "rev")

    def __init__(self, spec: Section, section: str, file: str, recipient):
        self.spec, self.section, self.file, self.recipient = spec, section, file, recipient
        self.origin_sheet = section

    def _amount_columns(self, fields: Columns) -> dict[str, pl.Series]:
        return _amount_columns(fields, self.spec.amounts)

    def _warnings(self, fields: Columns, columns: dict) -> list[list[str]]:
        return _document_warnings(fields, columns["doc_kind"], isd=self.spec.doc_kind == "isd")

    def _own_columns(self, fields: Columns) -> dict[str, list]:
        """2A's own fields of every document (docs/reference/formats.md §5)."""
        status = fields.text("cfs")
        return {
            "supplier_period": map_distinct(fields.text("flprdr1"), _period),
            "supplier_filing_status": status,
            "supplier_filed": map_distinct(status, _filed),
            "itc_available": map_distinct(fields.text("itc_elg", "itcelg"), upper_or_none),
        }

    def _own_fields(self, record: Record, row: dict) -> None:
        """2A's own fields of one document: amounts from its rate lines, the supplier's filing."""
        _amounts(record, row, self.spec.amounts)
        row["supplier_period"] = period_mmyyyy(record.text("flprdr1"))  # "Nov-25" → 112025
        # cfs: has the supplier filed the GSTR-1 that carries this document (Y/N).
        status = record.text("cfs")
        row["supplier_filing_status"] = status
        row["supplier_filed"] = None if status is None else status.strip().upper() == "Y"
        row["itc_available"] = (record.text("itc_elg", "itcelg") or "").upper() or None

    def _record_warnings(self, record: Record) -> list[str]:
        cancelled = record.text("dtcancel")
        return [f"the supplier's registration was cancelled from {cancelled}"] if cancelled else []


def _period(text):
    return text if text is READ_ALONE else period_mmyyyy(text)


def _filed(status):
    return status.strip().upper() == "Y" if type(status) is str else None


def _document_warnings(fields: Columns, kinds: list, *, isd: bool) -> list[list[str]]:
    """row()'s warnings per document: ISD credit notes, suppliers whose registration was cancelled."""
    warnings = [[] for _ in kinds]
    if isd:
        for position, kind in enumerate(kinds):
            if kind == "credit_note":
                warnings[position].append(ISD_CREDIT_NOTE_WARNING)
    for position, cancelled in enumerate(fields.text("dtcancel")):
        if type(cancelled) is str:
            warnings[position].append(f"the supplier's registration was cancelled from {cancelled}")
    return warnings


def _amount_columns(fields: Columns, keys_of: dict[str, tuple[str, ...]]) -> dict[str, pl.Series]:
    """_amounts for every document: the sums of its rate lines, or its own amounts when it has none."""
    columns = {"doc_value": fields.amount("val")}
    amounts = {column: fields.amount(*keys) for column, keys in keys_of.items()}
    items = fields.get("itms", "items")
    positions = [p for p, lines in enumerate(items) if isinstance(lines, list) and lines]
    if positions:
        sums = rate_line_sums(fields, [items[p] for p in positions], positions, keys_of, _rate_line)
        amounts = {column: amounts[column].scatter(positions, sums[column]) for column in amounts}
    return columns | amounts


def _rate_line(item):
    """The record of a rate line (``itm_det``, or the item itself); None when it is not one."""
    return item.get("itm_det", item) if isinstance(item, dict) else None


def _amounts(record: Record, row: dict, keys_of: dict[str, tuple[str, ...]]) -> None:
    """The sum of the rate lines ``itms[].itm_det``; document-level amounts when there are no lines."""
    row["doc_value"] = record.amount("val")
    items = record.get("itms", "items")
    if not isinstance(items, list) or not items:
        for column, keys in keys_of.items():
            row[column] = record.amount(*keys)
        return
    lines = []
    for i, item in enumerate(items, start=1):
        detail = item.get("itm_det", item) if isinstance(item, dict) else None
        if not isinstance(detail, dict):
            raise InputError(f"{record.place}, rate line {i} is not a record", file=record.file)
        lines.append(Record(detail, record.file, f"{record.place}, rate line {i}"))
    for column, keys in keys_of.items():
        row[column] = amounts_total([line.amount(*keys) for line in lines])
