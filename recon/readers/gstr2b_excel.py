"""GSTR-2B portal Excel (and GSTR-2A Excel, same build) → canonical documents (docs/reference/formats.md §4, §5).

The workbook has one sheet per section, two or three header rows and **one row per tax rate**: the rows of
one document are grouped into one canonical document whose ``origin_rows`` lists the spreadsheet rows.
Layouts drift between years, so sheets are found by name and columns by their header text, never by
position. Cells carry words ("Regular", state names, Yes/No); they are turned into the JSON codes so
that a 2B read from Excel and from JSON give the same documents and the same ``doc_id``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from python_calamine import CalamineError, CalamineWorkbook

from recon import gstin as gstin_rules
from recon import jsonio, normalise
from recon.errors import InputError, Issue, Where
from recon.readers.portal_files import check_recipient, recipient_in_file
from recon.readers.portal_frame import canonical_frame, new_row
from recon.readers.portal_values import period_mmyyyy, pos_code, supply_type_code
from recon.readers.result import ReadResult
from recon.readers.sections import GSTR2A, GSTR2B, GSTR2B_SHEET_ONLY, ISD_CREDIT_NOTE_WARNING, isd_kind


def norm(text: object) -> str:
    """Header / sheet-name key: lower case, no ₹, spaces or punctuation ('Taxable Value (₹)' → 'taxablevalue')."""
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())


# Data sheets → (docdata section, rejected in IMS). Section keys follow the JSON so ids agree across formats.
_BASE_SHEETS = {sheet: section.key for section in GSTR2B.values() for sheet in section.sheets}
DATA_SHEETS = {name: (section, False) for name, section in _BASE_SHEETS.items()}
DATA_SHEETS.update({f"{name}rejected": (section, True) for name, section in _BASE_SHEETS.items()})
DATA_SHEETS.update({sheet: (s.key, False) for s in GSTR2B_SHEET_ONLY.values() for sheet in s.sheets})
# ITC-reversal sheets repeat documents of earlier statements; summaries hold totals, not documents.
REVERSAL_SHEETS = {"b2bitcreversal", "b2baitcreversal"}
SUMMARY_SHEETS = {"readme", "itcavailable", "itcnotavailable", "itcrejected", "itcreversal", "itcreclaimed"}

_HEADER_SCAN_ROWS = 15

# GSTR-2A Excel (docs/reference/formats.md §5): the same kind of sheets under 2A's own names; notes are 'CDNR' there.
DATA_SHEETS_2A = {sheet: (section.key, False) for section in GSTR2A.values() for sheet in section.sheets}
# TDS / TCS credits are not supplier documents to reconcile.
SKIPPED_SHEETS_2A = {"tds", "tdsa", "tcs", "tcsa"}


@dataclass(frozen=True)
class Statement:
    """Which portal workbook: its source name, data sheets and section specs (doc kind, amendment)."""

    source: str
    label: str
    data_sheets: dict
    sections: dict
    hint: str


GSTR2B_WORKBOOK = Statement(
    "gstr2b",
    "2B",
    DATA_SHEETS,
    {**GSTR2B, **GSTR2B_SHEET_ONLY},
    "Download GSTR-2B as Excel from the portal (Returns Dashboard → GSTR-2B → Download Excel).",
)
GSTR2A_WORKBOOK = Statement(
    "gstr2a", "2A", DATA_SHEETS_2A, GSTR2A, "Download GSTR-2A from the portal (Returns Dashboard → GSTR-2A)."
)


def looks_like_gstr2a(sheet_names: list[str]) -> bool:
    """2A's workbook: a B2B sheet beside 'CDNR' (2B says 'B2B-CDNR') or the TDS / TCS sheets."""
    names = {norm(s) for s in sheet_names}
    return "b2b" in names and bool(names & ({"cdnr"} | SKIPPED_SHEETS_2A))


def looks_like_gstr2b(sheet_names: list[str]) -> bool:
    """A workbook with the 2B's B2B sheet plus its Read me / CDNR / summary sheets."""
    names = {norm(s) for s in sheet_names}
    is_2b = "b2b" in names and bool(names & ({"readme", "b2bcdnr", "itcavailable"} | REVERSAL_SHEETS))
    return is_2b and not looks_like_gstr2a(sheet_names)


def read_gstr2b_excel(data: bytes, name: str, *, recipient_gstin: str | None = None) -> ReadResult:
    return read_statement_workbook(data, name, GSTR2B_WORKBOOK, looks_like_gstr2b, recipient_gstin)


def read_gstr2a_excel(data: bytes, name: str, *, recipient_gstin: str | None = None) -> ReadResult:
    return read_statement_workbook(data, name, GSTR2A_WORKBOOK, looks_like_gstr2a, recipient_gstin)


def read_statement_workbook(
    data: bytes, name: str, statement: Statement, recognise, recipient_gstin
) -> ReadResult:
    """A GSTR-2B or GSTR-2A workbook: every data sheet read by header, rate rows grouped into documents."""
    workbook = open_workbook(data, name)
    if not recognise(workbook.sheet_names):
        raise InputError(
            f"this workbook has no GSTR-{statement.label} sheets (found: {', '.join(workbook.sheet_names)})",
            file=name,
            hint=statement.hint,
        )
    about = read_me(workbook)
    recipient = check_recipient(about.get("gstin"), recipient_gstin, statement.label, name)
    rows: list[dict] = []
    warnings: list[Issue] = []
    lines_read = skipped = 0
    shown: SheetReader | None = None  # the first sheet with documents: its header is what the summary shows
    for sheet_name in workbook.sheet_names:
        key = norm(sheet_name)
        if key in SUMMARY_SHEETS:
            continue
        if key not in statement.data_sheets:
            if key in REVERSAL_SHEETS or _has_data_rows(workbook, sheet_name):
                warnings.append(Issue(_not_read_reason(key), Where(file=name, sheet=sheet_name)))
            continue
        section, rejected = statement.data_sheets[key]
        sheet = SheetReader(workbook, sheet_name, section, rejected, name, recipient, statement)
        rows.extend(sheet.documents())
        lines_read += sheet.lines_read
        skipped += sheet.rows_skipped
        warnings.extend(sheet.issues)
        shown = shown or (sheet if sheet.layout and sheet.lines_read else None)
    docs, issues = canonical_frame(rows, statement.source, name)
    warnings.extend(issues)
    if not rows:
        warnings.append(Issue(f"this {statement.label} holds no documents", Where(file=name)))
    return ReadResult(
        docs=docs,
        source=statement.source,
        file=name,
        file_format=_format_of(data),
        rows_read=lines_read,
        rows_skipped=skipped,
        warnings=warnings,
        recipient_gstin=recipient_in_file(about.get("gstin")),
        period=about.get("period"),
        sheet=shown.sheet_name if shown else None,
        header_row=shown.layout.header_row if shown else None,
        mapping={f: c.label for f, c in shown.layout.fields.items()} if shown else {},
    )


def open_workbook(data: bytes, name: str) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError) as err:
        raise InputError(
            f"the workbook cannot be opened ({err})",
            file=name,
            hint="Save it again from Excel as .xlsx, or download it again from the portal.",
        ) from None


def _format_of(data: bytes) -> str:
    return "xls" if data[:4] == b"\xd0\xcf\x11\xe0" else "xlsx"


def _not_read_reason(key: str) -> str:
    if key in SKIPPED_SHEETS_2A:
        return "TDS / TCS sheet not read: these are credits, not supplier documents"
    if key in REVERSAL_SHEETS:
        return "ITC-reversal sheet not read: it repeats documents of earlier statements"
    return "sheet not read: not a GSTR-2B document sheet this app knows"


def _has_data_rows(workbook: CalamineWorkbook, sheet_name: str) -> bool:
    return workbook.get_sheet_by_name(sheet_name).height > _HEADER_SCAN_ROWS


# ---------------------------------------------------------------------------------------------------
# Read me: recipient GSTIN and period
# ---------------------------------------------------------------------------------------------------

_GSTIN_SHAPE = re.compile(r"\b\d{2}[A-Z0-9]{10}[A-Z0-9]{3}\b")
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def read_me(workbook: CalamineWorkbook) -> dict:
    """GSTIN and period (MMYYYY) from the 'Read me' sheet, as far as it says them."""
    sheet = next((s for s in workbook.sheet_names if norm(s) == "readme"), None)
    if sheet is None:
        return {}
    found: dict = {}
    month = fy = None
    for row in workbook.get_sheet_by_name(sheet).to_python(nrows=40):
        cells = [str(c).strip() for c in row if str(c).strip()]
        for label, value in zip(cells, cells[1:], strict=False):
            key = norm(label)
            if "gstin" in key and "gstin" not in found and _GSTIN_SHAPE.fullmatch(value.upper()):
                found["gstin"] = value.upper()
            elif "financialyear" in key:
                fy = value
            elif "taxperiod" in key or "returnperiod" in key:
                month = value
    found["period"] = _period_from(month, fy)
    return found


def _period_from(month: str | None, fy: str | None) -> str | None:
    if not month:
        return None
    direct = period_mmyyyy(month)
    if direct and re.fullmatch(r"\d{6}", direct):
        return direct
    name = month.strip().lower()
    number = next((i for i, m in enumerate(_MONTH_NAMES, 1) if name.startswith(m[:3])), None)
    start = re.match(r"(\d{4})", fy or "")
    if number is None or not start:
        return None
    # A financial year runs April to March: January–March belong to its second calendar year.
    year = int(start.group(1)) + (1 if number <= 3 else 0)
    return f"{number:02d}{year}"


# ---------------------------------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------------------------------

_AMOUNT_FIELDS = ("taxable_value", "igst", "cgst", "sgst", "cess")
_DMY = re.compile(r"(\d{2})[/-](\d{2})[/-](\d{4})")


def field_of(label: str) -> str | None:
    """The canonical field a normalised 2B header names, or None (IRN, filing date ...: kept in raw)."""
    rules = (
        (lambda s: "gstin" in s, "supplier_gstin"),
        (lambda s: "name" in s, "supplier_name"),
        (lambda s: "filingstatus" in s and "3b" not in s, "filing_status"),  # 2A: GSTR-1/5 filed? Y/N
        (lambda s: "applicable" in s or "irn" in s or "filing" in s, None),
        (lambda s: "cancel" in s or "amendmentmade" in s or "inwhichamended" in s, None),  # 2A extras
        (lambda s: s in ("rate", "ratepercent", "taxrate"), "rate"),
        (lambda s: "reversecharge" in s, "reverse_charge"),
        (lambda s: "placeofsupply" in s, "pos"),
        (lambda s: "taxablevalue" in s, "taxable_value"),
        (lambda s: "integratedtax" in s or s == "igst", "igst"),
        (lambda s: "centraltax" in s or s == "cgst", "cgst"),
        (lambda s: "stateuttax" in s or "statetax" in s or s in ("sgst", "utgst"), "sgst"),
        (lambda s: s.startswith("cess"), "cess"),
        (lambda s: "itcavailab" in s or "eligib" in s, "itc_available"),
        (lambda s: s.startswith("reason"), "reason"),
        (lambda s: "period" in s, "supplier_period"),
        (lambda s: "supplytype" in s or s == "invoicetype", "supply_type"),
        (lambda s: s.endswith("type"), "doc_type"),
        (lambda s: "reference" in s or "receiv" in s or "portcode" in s, None),
        (lambda s: "number" in s or s.endswith("no"), "doc_no"),
        (lambda s: "date" in s, "doc_date"),
        (lambda s: "value" in s, "doc_value"),
    )
    for test, name in rules:
        if test(label):
            return name
    return None


_ORIGINAL_CAPABLE = {"doc_no", "doc_date", "doc_type"}


@dataclass
class Column:
    index: int  # 0-based
    label: str  # header text as printed
    field: str | None


@dataclass
class Layout:
    header_row: int  # 1-based, as Excel shows it
    columns: list[Column] = field(default_factory=list)

    @cached_property
    def fields(self) -> dict[str, Column]:
        """Column per canonical field (the first, when a field repeats)."""
        found: dict[str, Column] = {}
        for c in self.columns:
            if c.field and c.field not in found:
                found[c.field] = c
        return found

    @cached_property
    def labelled(self) -> list[tuple[str, int]]:
        """(header text, column index) of every column with a header, for the lines kept in raw."""
        return [(c.label, c.index) for c in self.columns if c.label]


def find_layout(grid: list[list], merged: list, is_amendment: bool, field_of=field_of) -> Layout | None:
    """Locate the column-name row by its text (row 6 or 7 in today's files, but layouts drift).

    ``field_of`` names the canonical field of a normalised header (the IMS offline workbook has its own).
    """
    filled = _fill_merged(grid[:_HEADER_SCAN_ROWS], merged)
    best: Layout | None = None
    best_score = 0
    for r in range(len(filled)):
        labels = [_label_at(filled, r, c) for c in range(len(filled[r]))]
        fields = [field_of(norm(label)) if label else None for label in labels]
        score = len({f for f in fields if f})
        if score > best_score and "doc_no" in fields and ("supplier_gstin" in fields or "igst" in fields):
            best_score = score
            best = Layout(
                header_row=r + 1, columns=[Column(c, labels[c], fields[c]) for c in range(len(labels))]
            )
    if best is None or best_score < 4:
        return None
    _mark_originals(best, filled, is_amendment)
    return best


def _fill_merged(rows: list[list], merged) -> list[list]:
    """Copy a merged cell's value into every cell it covers (calamine leaves them blank)."""
    filled = [list(r) for r in rows]
    for (r1, c1), (r2, c2) in merged or []:
        if r1 >= len(filled):
            continue
        value = filled[r1][c1] if c1 < len(filled[r1]) else ""
        for r in range(r1, min(r2, len(filled) - 1) + 1):
            for c in range(c1, min(c2, len(filled[r]) - 1) + 1):
                filled[r][c] = value
    return filled


def _label_at(rows: list[list], r: int, c: int) -> str:
    """Header text of a column; a blank cell takes the text above (unmerged two-row headers)."""
    text = str(rows[r][c]).strip() if c < len(rows[r]) else ""
    if text:
        # 'Number' under a 'Bill of Entry Details' group says more with its group's words.
        if norm(text) in ("number", "date", "value", "type") and r > 0:
            group = str(rows[r - 1][c]).strip()
            return f"{group} {text}".strip()
        return text
    for above in (r - 1, r - 2):
        if above >= 0 and c < len(rows[above]) and str(rows[above][c]).strip():
            return str(rows[above][c]).strip()
    return ""


def _mark_originals(layout: Layout, rows: list[list], is_amendment: bool) -> None:
    """Amendment sheets repeat number/date under 'Original details': those columns are the original's."""
    seen: set[str] = set()
    for column in layout.columns:
        if column.field not in _ORIGINAL_CAPABLE:
            continue
        above = " ".join(
            str(rows[r][column.index]) for r in range(max(0, layout.header_row - 3), layout.header_row - 1)
        )
        says_original = "original" in column.label.lower() or "original" in above.lower()
        says_revised = "revised" in above.lower()
        first_of_pair = is_amendment and column.field not in seen and not says_revised
        if says_original or (first_of_pair and _repeats(layout, column)):
            column.field = f"original_{column.field}"
        else:
            seen.add(column.field)


def _repeats(layout: Layout, column: Column) -> bool:
    return any(c.field == column.field and c.index > column.index for c in layout.columns)


# ---------------------------------------------------------------------------------------------------
# One sheet
# ---------------------------------------------------------------------------------------------------

_INVOICE_TYPES = (
    (("sez", "without"), "SEWOP"),
    (("sez",), "SEWP"),
    (("deemed",), "DE"),
    (("bonded",), "CBW"),
    (("regular",), "R"),
)


class SheetReader:
    """Reads one data sheet: header by text, rows by tax rate, grouped into documents."""

    def __init__(
        self,
        workbook,
        sheet_name: str,
        section: str,
        rejected: bool,
        file: str,
        recipient,
        statement: Statement = GSTR2B_WORKBOOK,
    ):
        self.sheet_name, self.section, self.rejected = sheet_name, section, rejected
        self.file, self.recipient, self.statement = file, recipient, statement
        sheet = workbook.get_sheet_by_name(sheet_name)
        self.grid = sheet.to_python(skip_empty_area=False)
        self.merged = sheet.merged_cell_ranges or []
        spec = statement.sections[section]
        self.doc_kind = spec.doc_kind
        self.is_amendment = spec.is_amendment
        self.layout: Layout | None = None
        self.lines_read = 0
        self.rows_skipped = 0  # blank and total rows between the header and the last row
        self.issues: list[Issue] = []

    def documents(self) -> list[dict]:
        layout = self.layout = find_layout(self.grid, self.merged, self.is_amendment)
        if layout is None:
            if len(self.grid) > 2:
                self.issues.append(
                    Issue("no header row found (GSTIN / number / tax columns); sheet not read", self._where())
                )
            return []
        groups: dict[tuple, dict] = {}
        for r in range(layout.header_row, len(self.grid)):
            line = self._line(layout, r)
            if line is None:
                self.rows_skipped += 1
                continue
            self.lines_read += 1
            key = (
                line["supplier_gstin"],
                (line["doc_no"] or "").upper(),
                line["doc_date"],
                line["doc_kind"],
                (line.get("original_doc_no") or "").upper(),
            )
            if key in groups:
                _add_line(groups[key], line, self._where(r + 1))
            else:
                groups[key] = self._start_document(line, r + 1, len(groups) + 1)
        return [self._finish(doc) for doc in groups.values()]

    def _where(self, row: int | None = None, column: str | None = None) -> Where:
        return Where(file=self.file, sheet=self.sheet_name, row=row, column=column)

    def _error(self, row: int, column: Column, problem: str) -> InputError:
        return InputError(
            problem,
            file=self.file,
            sheet=self.sheet_name,
            row=row,
            column=column.label,
            hint="Download the 2B Excel again; hand edits may have broken this cell.",
        )

    def _line(self, layout: Layout, r: int) -> dict | None:
        """One spreadsheet row as field values; None for blank and total rows."""
        cells = self.grid[r]
        width = len(cells)
        columns = layout.fields
        values = {f: (cells[c.index] if c.index < width else "") for f, c in columns.items()}
        if all(blank(v) for v in values.values()):
            return None
        row_no = r + 1
        line = {
            "supplier_gstin": cell_text(values.get("supplier_gstin")),
            "doc_no": cell_text(values.get("doc_no")),
        }
        if line["doc_no"] is None or (line["supplier_gstin"] is None and self.doc_kind != "bill_of_entry"):
            if any(isinstance(v, str) and v.strip().lower().startswith("total") for v in cells):
                return None  # a totals row has no supplier or number of its own
            raise self._missing(
                row_no, columns, "doc_no" if line["doc_no"] is None else "supplier_gstin", layout
            )
        number_cell = values.get("doc_no")
        if isinstance(number_cell, float) and abs(number_cell) >= 1e15:
            # Excel keeps 15 significant digits: a 16-digit number typed as a number has lost its last
            # digit (docs/reference/formats.md §2 rule 5), so matching on it may miss.
            line["_warning"] = (
                f"number {line['doc_no']} was stored as a number in Excel and may have lost digits"
            )
        line["_cells"] = {
            label: _jsonable(cells[i]) for label, i in layout.labelled if i < width and not blank(cells[i])
        }
        line["doc_date"] = self._date(values.get("doc_date"), row_no, columns.get("doc_date"))
        if line["doc_date"] is None:
            raise self._missing(row_no, columns, "doc_date", layout)
        line["doc_kind"] = self._kind(values.get("doc_type"), row_no, columns.get("doc_type"))
        line["original_doc_no"] = cell_text(values.get("original_doc_no"))
        line["original_doc_date"] = self._date(
            values.get("original_doc_date"), row_no, columns.get("original_doc_date")
        )
        for name in (*_AMOUNT_FIELDS, "doc_value"):
            line[name] = self._amount(values.get(name), row_no, columns.get(name))
        for name in (
            "supplier_name",
            "pos",
            "supply_type",
            "reverse_charge",
            "supplier_period",
            "itc_available",
            "reason",
            "doc_type",
            "filing_status",
        ):
            line[name] = values.get(name)
        return line

    def _missing(self, row: int, columns: dict, name: str, layout: Layout) -> InputError:
        column = columns.get(name)
        if column is None:
            return InputError(
                f"no column for {name.replace('_', ' ')} in the header row {layout.header_row}",
                file=self.file,
                sheet=self.sheet_name,
                hint="The sheet's layout is not the portal's; download the 2B Excel again.",
            )
        return self._error(row, column, f"{name.replace('_', ' ')} is blank")

    def _date(self, value, row: int, column: Column | None) -> date | None:
        if blank(value):
            return None
        if isinstance(value, str) and (m := _DMY.fullmatch(value.strip())):
            try:  # the portal's DD/MM/YYYY, by far the common case
                return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            except ValueError:
                pass  # not a real date: parse_date below words the error
        try:
            return normalise.parse_date(value)
        except ValueError as err:
            raise self._error(row, column, str(err)) from None

    def _amount(self, value, row: int, column: Column | None) -> float | None:
        if blank(value):
            return None
        try:
            return normalise.parse_amount(value)
        except ValueError as err:
            raise self._error(row, column, str(err)) from None

    def _kind(self, value, row: int, column: Column | None) -> str:
        if self.doc_kind == "isd":
            return isd_kind(cell_text(value))
        if self.doc_kind:
            return self.doc_kind
        text = norm(value)
        if text in ("c", "cr", "r") or "credit" in text or "refund" in text:
            return "credit_note"
        if text in ("d", "dr") or "debit" in text:
            return "debit_note"
        if column is None:
            return "invoice"
        raise self._error(row, column, f"'{value}' is neither a credit note nor a debit note")

    def _start_document(self, line: dict, row: int, index: int) -> dict:
        doc = new_row(self.statement.source, self.file, self.section, index)
        doc["origin_sheet"] = self.sheet_name
        doc["origin_rows"] = [row]
        doc["recipient_gstin"] = self.recipient
        doc["is_amendment"] = self.is_amendment
        for name in (
            "supplier_gstin",
            "doc_no",
            "doc_date",
            "doc_kind",
            "original_doc_no",
            "original_doc_date",
            *_AMOUNT_FIELDS,
            "doc_value",
        ):
            doc[name] = line[name]
        doc["supplier_name"] = cell_text(line["supplier_name"])
        doc["pos"] = self._pos(line["pos"], row, doc)
        doc["supply_type"] = invoice_type_code(line["supply_type"])
        doc["reverse_charge"] = yes_no(line["reverse_charge"])
        doc["supplier_period"] = period_mmyyyy(cell_text(line["supplier_period"]))
        if self.statement.source == "gstr2a":  # 2A shows documents whether or not the return is filed
            doc["supplier_filing_status"] = cell_text(line["filing_status"])
            doc["supplier_filed"] = yes_no(line["filing_status"])
        else:
            # only filed returns reach 2B (docs/reference/ims-rules.md §1)
            doc["supplier_filing_status"] = "Filed"
            doc["supplier_filed"] = True
        doc["ims_action"] = "R" if self.rejected else None
        doc["itc_available"] = itc_code(line["itc_available"])
        doc["itc_unavailable_reason"] = reason_code(line["reason"])
        doc["_lines"] = [line["_cells"]]
        if line.get("_warning"):
            doc["warnings"].append(line["_warning"])
        if self.doc_kind == "isd" and doc["doc_kind"] == "credit_note":
            doc["warnings"].append(ISD_CREDIT_NOTE_WARNING)
        return doc

    def _pos(self, value, row: int, doc: dict) -> str | None:
        if blank(value):
            return None
        code = pos_code(value)
        if code not in gstin_rules.STATES:
            doc["warnings"].append(f"place of supply '{value}' (row {row}) is not a known state name")
        return code

    def _finish(self, doc: dict) -> dict:
        doc["raw"] = jsonio.dumps_exact({"sheet": self.sheet_name, "lines": doc.pop("_lines")})
        return doc


def _add_line(doc: dict, line: dict, where: Where) -> None:
    """Another tax-rate row of the same document: add its amounts, remember its row."""
    doc["origin_rows"].append(where.row)
    doc["_lines"].append(line["_cells"])
    for name in _AMOUNT_FIELDS:
        if line[name] is not None:
            doc[name] = round((doc[name] or 0.0) + line[name], 2)
    if (
        line["doc_value"] is not None
        and doc["doc_value"] is not None
        and line["doc_value"] != doc["doc_value"]
    ):
        doc["warnings"].append(
            f"rows {doc['origin_rows'][0]} and {where.row} give different document values "
            f"({doc['doc_value']} and {line['doc_value']}); the first is kept"
        )


# ---------------------------------------------------------------------------------------------------
# Cell words → codes
# ---------------------------------------------------------------------------------------------------


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value) -> str | None:
    """Cell as text; whole numbers without '.0' (a numeric invoice number must not become '1045.0')."""
    if blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _jsonable(value):
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    return value


def invoice_type_code(value) -> str | None:
    """'Regular' → R, 'SEZ supplies with payment' → SEWP, 'without payment' → SEWOP, 'Deemed Exp' → DE."""
    if blank(value):
        return None
    words = str(value).strip().lower()
    for needles, code in _INVOICE_TYPES:
        if all(n in words for n in needles):
            return code
    return supply_type_code(value)


def yes_no(value) -> bool | None:
    text = norm(value)
    if text in ("yes", "y"):
        return True
    if text in ("no", "n"):
        return False
    return None


def itc_code(value) -> str | None:
    """ITC Availability: Yes → Y, No → N, Temporary → T (docs/reference/formats.md §3 itcavl)."""
    text = norm(value)
    if not text:
        return None
    if text.startswith("temp") or text == "t":
        return "T"
    if text in ("yes", "y"):
        return "Y"
    if text in ("no", "n"):
        return "N"
    return str(value).strip()


def reason_code(value) -> str | None:
    """Reason: the s.16(4) cut-off → C, the POS rule → P (docs/reference/formats.md §3 rsn); other words kept."""
    if blank(value):
        return None
    text = str(value).strip()
    lowered = norm(text)
    if "164" in lowered or "cutoff" in lowered or "timelimit" in lowered or lowered == "c":
        return "C"
    if "pos" in lowered or "placeofsupply" in lowered or lowered == "p":
        return "P"
    return text
