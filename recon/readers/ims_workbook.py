"""The IMS Offline Tool workbook (.xlsm) → canonical IMS documents (docs/reference/formats.md §6).

Some consultants work in GSTN's offline tool and bring its workbook rather than the JSON. Its layout is
known only from two open-source readings (unconfirmed), so sheets are found by name and columns by header
text. One row is one document (IMS has no rate lines). The portal's action is "Previous status"; "Status"
is what the tool's user chose — a difference is shown on the document, not taken as the portal's state.

``raw`` is rebuilt from the cells in the download's key names (amounts with two decimals), because the
workbook does not keep the portal's literals; the read warns that the JSON download is the safer source
for an action file.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from recon import normalise
from recon.errors import InputError, Issue, Where
from recon.readers import gstr2b_excel as excel
from recon.readers.portal_frame import canonical_frame, new_row
from recon.readers.portal_values import period_mmyyyy, pos_code, raw_json
from recon.readers.result import ReadResult
from recon.readers.sections import IMS

# Offline-tool sheet → IMS section key.
SHEETS = {sheet: section.key for section in IMS.values() for sheet in section.sheets}
# The credit and debit note sheets: the 2B workbook has none of these names, so they tell the tool's apart.
_NOTE_SHEETS = {
    sheet for s in IMS.values() if s.doc_kind in ("credit_note", "debit_note") for sheet in s.sheets
}
ACTION_WORDS = {
    "accept": "A",
    "accepted": "A",
    "reject": "R",
    "rejected": "R",
    "pending": "P",
    "noaction": "N",
    "a": "A",
    "r": "R",
    "p": "P",
    "n": "N",
}
SOURCE_FORMS = {"gstr1": "R1", "gstr1a": "R1A", "iff": "IFF", "r1": "R1", "r1a": "R1A"}
# The amounts in the order the download writes them (val first); their keys come from the section.
_AMOUNTS = ("doc_value", "taxable_value", "igst", "cgst", "sgst", "cess")


def looks_like_ims_workbook(sheet_names: list[str]) -> bool:
    """The offline tool's 'Home' sheet beside its IMS section sheets (B2B-CN, B2B-DN ...)."""
    names = {excel.norm(s) for s in sheet_names}
    return "home" in names and bool(names & _NOTE_SHEETS)


def field_of(label: str) -> str | None:
    """Canonical field (or a workbook-only field) named by a normalised offline-tool header."""
    rules = (
        (lambda s: "gstin" in s, "supplier_gstin"),
        (lambda s: "name" in s, "supplier_name"),
        (lambda s: "declared" in s or "reduction" in s or "itcred" in s, None),  # the CN sheet's ITC block
        (lambda s: "validation" in s or "error" in s, "errors"),
        (lambda s: "previousstatus" in s, "held_action"),
        (lambda s: s == "status" or s == "action", "wanted_action"),
        (lambda s: "pending" in s and "block" in s, "pending_blocked"),
        (lambda s: "remark" in s and "block" in s, "remarks_blocked"),
        (lambda s: s.startswith("remark"), "remarks"),
        (lambda s: "filingstatus" in s, "filing_status"),
        (lambda s: "period" in s, "supplier_period"),
        (lambda s: s in ("source", "sourceform", "sourcereturn"), "source_form"),
        (lambda s: "placeofsupply" in s, "pos"),
        (lambda s: "taxablevalue" in s, "taxable_value"),
        (lambda s: "integrated" in s or s == "igst", "igst"),
        (lambda s: "central" in s or s == "cgst", "cgst"),
        (lambda s: "stateut" in s or "statetax" in s or s in ("sgst", "sgstutgst"), "sgst"),
        (lambda s: s.startswith("cess"), "cess"),
        (lambda s: "supplytype" in s or s == "invoicetype", "supply_type"),
        (lambda s: s.endswith("type"), None),  # a CN/DN sheet's note type: the sheet already says it
        (lambda s: "number" in s or s.endswith("no"), "doc_no"),
        (lambda s: "date" in s, "doc_date"),
        (lambda s: "value" in s, "doc_value"),
    )
    for test, name in rules:
        if test(label):
            return name
    return None


def read_ims_workbook(data: bytes, name: str, *, recipient_gstin: str | None = None) -> ReadResult:
    workbook = excel.open_workbook(data, name)
    if not looks_like_ims_workbook(workbook.sheet_names):
        raise InputError("this workbook is not the IMS Offline Tool's (no Home / B2B-CN sheets)", file=name)
    rows: list[dict] = []
    warnings = [
        Issue(
            "read from the IMS Offline Tool workbook: the portal's exact figures are not kept there, so build"
            " the action file from the IMS JSON download where you can",
            Where(file=name),
        )
    ]
    for sheet_name in workbook.sheet_names:
        section = SHEETS.get(excel.norm(sheet_name))
        if section is None:
            continue
        sheet = workbook.get_sheet_by_name(sheet_name)
        grid = sheet.to_python(skip_empty_area=False)
        layout = excel.find_layout(grid, sheet.merged_cell_ranges or [], IMS[section].is_amendment, field_of)
        if layout is None:
            if len(grid) > 7:
                warnings.append(
                    Issue("no header row found; sheet not read", Where(file=name, sheet=sheet_name))
                )
            continue
        reader = _SheetRows(grid, layout, section, sheet_name, name, recipient_gstin)
        rows.extend(reader.rows())
    docs, issues = canonical_frame(rows, "ims", name)
    warnings.extend(issues)
    if not rows:
        warnings.append(Issue("the workbook holds no IMS records", Where(file=name)))
    return ReadResult(
        docs=docs,
        source="ims",
        file=name,
        file_format="xlsm",
        rows_read=len(rows),
        warnings=warnings,
        recipient_gstin=None,  # the Offline Tool's workbook does not name the recipient
    )


class _SheetRows:
    def __init__(self, grid, layout, section: str, sheet_name: str, file: str, recipient):
        self.grid, self.layout, self.section = grid, layout, section
        self.sheet_name, self.file, self.recipient = sheet_name, file, recipient
        self.spec = IMS[section]

    def rows(self) -> list[dict]:
        out = []
        for r in range(self.layout.header_row, len(self.grid)):
            cells = self.grid[r]
            values = {
                f: (cells[c.index] if c.index < len(cells) else "") for f, c in self.layout.fields.items()
            }
            if all(excel.blank(v) for v in values.values()):
                continue
            out.append(self.row(values, r + 1, len(out) + 1))
        return out

    def _error(self, row: int, field: str, problem: str) -> InputError:
        column = self.layout.fields.get(field)
        return InputError(
            problem,
            file=self.file,
            sheet=self.sheet_name,
            row=row,
            column=column.label if column else field,
            hint="Correct the cell in the offline tool, or use the IMS JSON download.",
        )

    def row(self, values: dict, row_no: int, index: int) -> dict:
        row = new_row("ims", self.file, self.section, index)
        row["origin_sheet"] = self.sheet_name
        row["origin_rows"] = [row_no]
        row["recipient_gstin"] = self.recipient
        row["doc_kind"] = self.spec.doc_kind
        row["is_amendment"] = self.spec.is_amendment
        for field in ("supplier_gstin", "doc_no"):
            row[field] = excel.cell_text(values.get(field))
            if row[field] is None:
                raise self._error(row_no, field, f"{field.replace('_', ' ')} is blank")
        row["supplier_name"] = excel.cell_text(values.get("supplier_name"))
        row["doc_date"] = self._date(values.get("doc_date"), row_no, "doc_date", required=True)
        row["original_doc_no"] = excel.cell_text(values.get("original_doc_no"))
        row["original_doc_date"] = self._date(values.get("original_doc_date"), row_no, "original_doc_date")
        row["supply_type"] = excel.invoice_type_code(values.get("supply_type"))
        row["pos"] = pos_code(values.get("pos")) if not excel.blank(values.get("pos")) else None
        # reverse-charge supplies never enter IMS (docs/reference/ims-rules.md §1)
        row["reverse_charge"] = False
        for field in _AMOUNTS:
            row[field] = self._amount(values.get(field), row_no, field)
        row["supplier_period"] = period_mmyyyy(excel.cell_text(values.get("supplier_period")))
        status = excel.cell_text(values.get("filing_status"))
        row["supplier_filing_status"] = status
        row["supplier_filed"] = status is not None and excel.norm(status) == "filed"
        held = self._action(values.get("held_action"), row_no, "held_action")
        wanted = self._action(values.get("wanted_action"), row_no, "wanted_action")
        row["ims_action"] = held or wanted
        if held and wanted and held != wanted:
            row["warnings"].append(f"the offline tool's Status asks for {wanted}; the portal holds {held}")
        row["pending_blocked"] = excel.yes_no(values.get("pending_blocked"))
        row["remarks_blocked"] = excel.yes_no(values.get("remarks_blocked"))
        errors = excel.cell_text(values.get("errors"))
        if errors:
            row["warnings"].append(f"validation error in the offline tool: {errors}")
        row["raw"] = raw_json(self._record(row, values))
        return row

    def _date(self, value, row_no: int, field: str, required: bool = False) -> date | None:
        if excel.blank(value):
            if required:
                raise self._error(row_no, field, "the date is blank")
            return None
        try:
            return normalise.parse_date(value)
        except ValueError as err:
            raise self._error(row_no, field, str(err)) from None

    def _amount(self, value, row_no: int, field: str) -> float | None:
        if excel.blank(value):
            return None
        try:
            return normalise.parse_amount(value)
        except ValueError as err:
            raise self._error(row_no, field, str(err)) from None

    def _action(self, value, row_no: int, field: str) -> str | None:
        if excel.blank(value):
            return None
        code = ACTION_WORDS.get(excel.norm(value))
        if code is None:
            raise self._error(
                row_no, field, f"'{value}' is not an IMS action (Accept, Reject, Pending, No Action)"
            )
        return code

    def _record(self, row: dict, values: dict) -> dict:
        """The record in the download's key names (docs/reference/formats.md §1.3), as far as the cells give it."""
        number_key, date_key = self.spec.number[0], self.spec.date[0]
        record = {
            "stin": row["supplier_gstin"],
            number_key: row["doc_no"],
            date_key: normalise.portal_date(row["doc_date"]),
        }
        if self.spec.is_amendment and row["original_doc_no"]:
            record[self.spec.original_number[0]] = row["original_doc_no"]
            record[self.spec.original_date[0]] = normalise.portal_date(row["original_doc_date"])
        # ECO documents carry no invoice type: the section's upload fields have none.
        if row["supply_type"] and "inv_typ" in self.spec.api_fields:
            record["inv_typ"] = row["supply_type"]
        if row["pos"]:
            record["pos"] = row["pos"]
        for field in _AMOUNTS:
            if row[field] is not None:
                record[self.spec.amounts[field][0]] = Decimal(f"{row[field]:.2f}")
        source = excel.cell_text(values.get("source_form"))
        extras = {
            "rtnprd": row["supplier_period"],
            "srcform": SOURCE_FORMS.get(excel.norm(source), source) if source else None,
            "srcfilstatus": row["supplier_filing_status"],
            "action": row["ims_action"],
            "ispendactblocked": _yn(row["pending_blocked"]),
            "isRemarksBlocked": _yn(row["remarks_blocked"]),
            "tradenm": row["supplier_name"],
        }
        record.update({k: v for k, v in extras.items() if v is not None})
        return record


def _yn(flag: bool | None) -> str | None:
    return None if flag is None else ("Y" if flag else "N")
