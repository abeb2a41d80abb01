"""GSTR-2B (JSON or the portal's Excel) → canonical documents.

JSON layout: docs/reference/formats.md §3. Documents sit under ``data.docdata`` grouped per supplier; records rejected in
IMS sit under ``data.docRejdata`` in the same shapes. Amounts are on the document or in rate ``items``: the
document's own amounts win, else the items are summed (the lines stay in ``raw``). The Excel download is
read by :mod:`recon.readers.gstr2b_excel`; :func:`read_gstr2b` decides by content which one a file is.
"""

from __future__ import annotations

import polars as pl

from recon.errors import InputError, Issue, Where
from recon.readers.portal_columns import Columns, isd_kinds, map_distinct
from recon.readers.portal_files import check_recipient, combine, recipient_in_file
from recon.readers.portal_frame import canonical_frame_of_columns
from recon.readers.portal_json import collector_paused, is_list, load_json
from recon.readers.portal_kind import json_kind, unwrap, wrong_kind_error
from recon.readers.portal_record import Record
from recon.readers.portal_values import literal_text
from recon.readers.result import ReadResult
from recon.readers.section_columns import (
    SectionColumns,
    amounts_total,
    join_columns,
    rate_line_sums,
    upper_or_none,
)
from recon.readers.sections import GSTR2B, GSTR2B_SKIPPED, ISD_CREDIT_NOTE_WARNING, Section


def read_gstr2b(data: bytes, name: str, *, recipient_gstin: str | None = None) -> ReadResult:
    """Read a GSTR-2B download, JSON or Excel, recognised by content."""
    if _is_workbook(data):
        from recon.readers.gstr2b_excel import read_gstr2b_excel

        return read_gstr2b_excel(data, name, recipient_gstin=recipient_gstin)
    return read_gstr2b_json(data, name, recipient_gstin=recipient_gstin)


def _is_workbook(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_gstr2b_json(data: bytes, name: str, *, recipient_gstin: str | None = None) -> ReadResult:
    return read_gstr2b_parsed(load_json(data, name), name, recipient_gstin=recipient_gstin)


def read_gstr2b_parsed(obj, name: str, *, recipient_gstin: str | None = None) -> ReadResult:
    """The 2B JSON already parsed with ``jsonio.loads_exact``."""
    statement = find_statement(obj, name)
    recipient = check_recipient(literal_text(statement.get("gstin")), recipient_gstin, "2B", name)
    period = literal_text(statement.get("rtnprd"))
    with collector_paused():
        return _read_statement(statement, name, recipient, period)


def _read_statement(statement: dict, name: str, recipient: str | None, period: str | None) -> ReadResult:
    parts: list[dict] = []
    warnings: list[Issue] = []
    for block, rejected in (("docdata", False), ("docRejdata", True)):
        sections = statement.get(block) or statement.get(block.lower()) or {}
        if not isinstance(sections, dict):
            raise InputError(f"'{block}' is not an object of sections", file=name)
        for key, groups in sections.items():
            section = key.lower()
            if section not in GSTR2B:
                warnings.append(_skipped(block, key, groups, name))
                continue
            reader = _SectionReader(GSTR2B[section], section, block, rejected, name, recipient)
            parts.extend(reader.columns(groups))
    columns, count = join_columns(parts)
    docs, issues = canonical_frame_of_columns(columns, count, "gstr2b", name)
    warnings.extend(issues)
    if not count:
        warnings.append(Issue("this 2B holds no documents", Where(file=name)))
    return ReadResult(
        docs=docs,
        source="gstr2b",
        file=name,
        file_format="json",
        rows_read=count,
        warnings=warnings,
        recipient_gstin=recipient_in_file(literal_text(statement.get("gstin"))),
        period=period,
    )


def find_statement(obj, name: str) -> dict:
    """The 2B ``data`` object (portal download and API alike), under any number of ``data`` wrappers."""
    kind = json_kind(obj)
    if kind != "gstr2b":
        raise wrong_kind_error(kind, "gstr2b", name)
    node = obj
    for _ in range(5):
        keys = {str(k).lower() for k in node}
        if {"docdata", "itcsumm", "docrejdata", "gstin"} & keys or not isinstance(node.get("data"), dict):
            return node
        node = node["data"]
    return node


def parts_total(obj) -> int | None:
    """``fc``: how many files a split 2B came in (docs/reference/formats.md §3), when the statement says."""
    node = unwrap(obj)
    value = node.get("fc") if isinstance(node, dict) else None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class _SectionReader(SectionColumns):
    """Turns one docdata/docRejdata section (supplier groups of documents) into canonical rows."""

    source = "gstr2b"

    def __init__(self, spec: Section, section: str, block: str, rejected: bool, file: str, recipient):
        self.spec, self.section, self.block, self.rejected = spec, section, block, rejected
        self.file, self.recipient = file, recipient
        self.origin_sheet = f"{block}/{section}" if rejected else section

    def _amount_columns(self, fields: Columns) -> dict[str, pl.Series]:
        return _amount_columns(fields, self.spec.amounts)

    def _warnings(self, fields: Columns, columns: dict) -> list[list[str]]:
        return (
            _isd_warnings(fields, self.spec) if self.spec.doc_kind == "isd" else [[] for _ in fields.records]
        )

    def _where(self) -> str:
        return f"{self.block} section '{self.section}'"

    def _own_columns(self, fields: Columns) -> dict[str, list]:
        """2B's own fields of every document (docs/reference/formats.md §3)."""
        count = len(fields.records)
        return {
            "supplier_period": fields.text("supprd"),
            "supplier_filing_status": map_distinct(fields.text("supfildt"), _filing_status),
            "supplier_filed": [True] * count,
            "ims_action": ["R"] * count if self.rejected else _ims_statuses(fields),
            "itc_available": map_distinct(fields.text("itcavl", "itcelg"), upper_or_none),
            "itc_unavailable_reason": fields.text("rsn"),
        }

    def _own_fields(self, record: Record, row: dict) -> None:
        """2B's own fields of one document: its amounts, filing, IMS status and eligibility."""
        _amounts(record, row, self.spec.amounts)
        row["supplier_period"] = record.text("supprd")
        # Only documents of filed returns reach GSTR-2B (docs/reference/ims-rules.md §1).
        filed_on = record.text("supfildt")
        row["supplier_filing_status"] = f"Filed on {filed_on}" if filed_on else "Filed"
        row["supplier_filed"] = True
        row["ims_action"] = "R" if self.rejected else _ims_status(record)
        row["itc_available"] = (record.text("itcavl", "itcelg") or "").upper() or None
        row["itc_unavailable_reason"] = record.text("rsn")


def _filing_status(filed_on) -> str:
    return f"Filed on {filed_on}" if filed_on else "Filed"


def _ims_statuses(fields: Columns) -> list:
    return map_distinct(fields.text("imsStatus", "imsstatus"), _status_code)


def _status_code(status):
    return status.strip().upper() if type(status) is str and status else None


def _isd_warnings(fields: Columns, spec: Section) -> list[list[str]]:
    """row()'s warning for ISD credit notes, per document."""
    return [
        [ISD_CREDIT_NOTE_WARNING] if kind == "credit_note" else []
        for kind in isd_kinds(fields, *spec.kind_keys)
    ]


def _amount_columns(fields: Columns, keys_of: dict[str, tuple[str, ...]]) -> dict[str, pl.Series]:
    """_amounts for every document: the document's own amounts, else the sums of its rate lines."""
    columns = {"doc_value": fields.amount("val")}
    own = {column: fields.amount(*keys) for column, keys in keys_of.items()}
    has_own = pl.DataFrame(own).select(pl.any_horizontal(pl.all().is_not_null())).to_series()
    items = fields.get("items", "itms")
    positions = [p for p in has_own.not_().arg_true().to_list() if isinstance(items[p], list)]
    if positions:
        sums = rate_line_sums(fields, [items[p] for p in positions], positions, keys_of)
        own = {column: own[column].scatter(positions, sums[column]) for column in own}
    return columns | own


def _ims_status(record: Record) -> str | None:
    status = record.text("imsStatus", "imsstatus")
    return status.strip().upper() if status else None


def _amounts(record: Record, row: dict, keys_of: dict[str, tuple[str, ...]]) -> None:
    """Document-level amounts when the document has them, else the sum of its rate lines."""
    row["doc_value"] = record.amount("val")
    own = {column: record.amount(*keys) for column, keys in keys_of.items()}
    items = record.get("items", "itms")
    if any(v is not None for v in own.values()) or not isinstance(items, list):
        row.update(own)
        return
    lines = [Record(item, record.file, f"{record.place}, item {i}") for i, item in enumerate(items, 1)]
    for column, keys in keys_of.items():
        row[column] = amounts_total([line.amount(*keys) for line in lines])


def _skipped(block: str, key: str, groups, name: str) -> Issue:
    what = GSTR2B_SKIPPED.get(key.lower(), "a section this app does not know")
    count = len(groups) if is_list(groups) else 1
    return Issue(
        f"{block} '{key}' ({what}, {count} entr{'y' if count == 1 else 'ies'}) was not read", Where(file=name)
    )


def read_gstr2b_parts(
    parts: list[tuple[bytes, str]], name: str, *, recipient_gstin: str | None = None
) -> ReadResult:
    """One statement from the files of a split 2B (``fc`` > 1; the portal zips them together).

    Every part must be for the same GSTIN and period; a missing part is a warning, because the user may
    have only the parts the portal produced so far.
    """
    results = [read_gstr2b(data, part_name, recipient_gstin=recipient_gstin) for data, part_name in parts]
    first = results[0]
    for other in results[1:]:
        if (other.recipient_gstin, other.period) != (first.recipient_gstin, first.period):
            raise InputError(
                f"the parts are of different statements: {first.file} is {first.recipient_gstin} "
                f"{first.period}, {other.file} is {other.recipient_gstin} {other.period}",
                file=name,
                hint="Put only the parts of one GSTR-2B together.",
            )
    for result in results:
        result.warnings = [w for w in result.warnings if "holds no documents" not in w.message]
    combined = combine(results, name, "GSTR-2B")
    if combined.docs.is_empty():
        combined.warnings.append(Issue("this 2B holds no documents", Where(file=name)))
    totals = [parts_total(load_json(d, n)) or 0 for d, n in parts if not _is_workbook(d)]
    expected = max(totals, default=0)
    if expected and expected != len(parts):
        combined.warnings.append(
            Issue(f"the 2B says it comes in {expected} parts; {len(parts)} were read", Where(file=name))
        )
    return combined
