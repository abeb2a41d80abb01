"""The purchase register (the client's books) → canonical documents.

Reads Tally, Busy, Zoho Books, SAP, Marg and home-made registers in .xlsx/.xlsm/.xls or CSV: finds the
sheet and the header row (titles above it are skipped), maps columns to canonical fields by their headers
(``recon.readers.synonyms``; a ``mapping`` overrides the guess), and turns rows into one row per document.
All work after loading is vectorised polars; per-row Python only builds messages for failing rows.

Rows that are not documents
    Blank rows, total / sub-total / grand-total rows (a "Total" label and no supplier number or GSTIN) and
    rows with no supplier, number or date at all (report footers, "Prepared by ...") are skipped and
    counted in ``rows_skipped``; skipped rows that carry amounts are named in a warning.

Document kind (matching-practice §7)
    From the voucher / document type words. Registers word notes the buyer's way: Tally books a supplier's
    credit note as a **Debit Note** voucher, Zoho as a **Vendor Credit**, others as a **Purchase Return** —
    all are ``credit_note`` (reduces ITC). A bare "Credit Note" in a purchase register is ambiguous; the
    default here is also the supplier's credit note, with a warning; ``kind_map`` overrides any word
    (``{"credit note": "debit_note"}``). Without a type column every row is an invoice, unless the number's
    header says otherwise (Zoho's "Vendor Credit Number"). A purchase document whose amounts net to
    negative is a credit note booked as a negative purchase: it becomes ``credit_note`` with positive
    amounts and a warning (sign convention in recon.model). When *every* document of one voucher type is
    negative, that is the export's sign convention (SAP vendor items), not a return: amounts are made
    positive and the kind kept, with one warning.

Grouping rule (matching-practice §8, §9)
    Rows with the same supplier GSTIN, the same supplier document number (upper-cased, trimmed), the same
    document date, the same kind and — when the register has a voucher-number column — the same voucher
    number are the rate-wise (or item-wise) lines of ONE document: amounts are summed and every row
    number is kept in ``origin_rows``. The invoice value is taken once when every line repeats the same
    figure and that figure is closer to the summed taxable value + tax than the summed values are (Tally's
    GSTR-2 export and 2B-style layouts repeat it per rate line).
    The same supplier number under two different voucher numbers is a double booking: two documents.
    Without a voucher column, a row repeated identically in every mapped column is a double booking too
    (rate-wise lines differ in rate or amounts); the n-th identical copy joins the n-th document.
    Documents with the same (supplier GSTIN, kind, number, FY) get ``doc_id`` occurrences 0, 1, ... in file
    order (docs/architecture.md §1); every occurrence after the first carries a warning, and the engine
    reports it as a duplicate.

Amounts
    Indian notation (1,23,456.50, ₹, Rs., brackets or a trailing minus for negatives, Dr/Cr). A blank cell
    in a taxable or tax column is 0 (ERPs print nothing for zero); a blank invoice value stays null. A
    cell that is not an amount stops the read with an error naming the row and column.

Sheets
    The sheet with the best-scoring header is read. When other sheets are laid out as registers too (one
    sheet per month) and neither a sheet nor a mapping is given, every such sheet is read in workbook
    order and the documents are counted together for double bookings.

Dates
    The supplier's document date; where it is blank the voucher date is used, with a warning. A date that
    is not a real date (31-02-2025) stops the read with an error naming the row: guessing would move a
    document into another month or year.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from recon import gstin as gstin_rules
from recon import model
from recon.errors import InputError, Issue, Where
from recon.normalise import fy_expr, parse_amount_expr, parse_date_expr, with_doc_no_key
from recon.readers import synonyms
from recon.readers.result import ReadResult
from recon.readers.tabular import (
    MAX_HEADER_SCAN,
    Workbook,
    combined_headers,
    header_candidates,
    header_texts,
    open_workbook,
    unique_headers,
)

MIN_HEADER_FIELDS = 3  # fewer recognised columns than this is a title or data row, not a header
MAX_LISTED_ROWS = 10  # rows named one by one in a warning before "... and N more"

# Voucher / document type words -> kind. Keys are lower-case with single spaces; matched whole, then by
# the longest word group contained in the text ("GST Purchase - Local" contains "purchase").
DEFAULT_KIND_WORDS: dict[str, str] = {
    "purchase": "invoice", "purchases": "invoice", "purchase invoice": "invoice", "purchase bill": "invoice",
    "bill": "invoice", "bills": "invoice", "invoice": "invoice", "tax invoice": "invoice", "inv": "invoice",
    "journal": "invoice", "expense": "invoice", "expenses": "invoice", "regular": "invoice",
    "kr": "invoice", "re": "invoice", "vendor invoice": "invoice", "b2b": "invoice",
    # The buyer's debit note is raised on receiving the supplier's credit note (Tally, ERPNext).
    "debit note": "credit_note", "dn": "credit_note", "purchase return": "credit_note",
    "purchase returns": "credit_note", "return": "credit_note", "vendor credit": "credit_note",
    "vendor credits": "credit_note", "kg": "credit_note", "credit memo": "credit_note",
    "supplier credit note": "credit_note", "credit note received": "credit_note",
    "credit note": "credit_note", "cn": "credit_note", "c": "credit_note", "cdnr": "credit_note",
    "supplier debit note": "debit_note", "debit note received": "debit_note", "vendor debit": "debit_note",
    "d": "debit_note", "subsequent debit": "debit_note", "subsequent credit": "credit_note",
    "bill of entry": "bill_of_entry", "import": "bill_of_entry", "import of goods": "bill_of_entry",
    "boe": "bill_of_entry", "isd": "isd", "isd invoice": "isd",
}  # fmt: skip
AMBIGUOUS_KIND_WORDS = {"credit note", "cn", "c"}

_TOTAL_LABEL = (
    r"(?i)^\s*(grand\s*total|sub\s*-?\s*total|total|totals|net\s+total|page\s+total|closing\s+balance|"
    r"opening\s+balance|carried\s+(over|forward)|brought\s+forward|c/f|b/f)\b"
)
_SUPPLY_TYPES = {
    "r": "R", "regular": "R", "regular b2b": "R", "b2b": "R", "de": "DE", "deemed export": "DE",
    "deemed exports": "DE", "deemed exp": "DE", "sewp": "SEWP", "sez supplies with payment": "SEWP",
    "sez with payment": "SEWP", "sez supplies with payment of tax": "SEWP", "sewop": "SEWOP",
    "sez supplies without payment": "SEWOP", "sez without payment": "SEWOP",
    "sez supplies without payment of tax": "SEWOP", "cbw": "CBW", "custom bonded warehouse": "CBW",
}  # fmt: skip
_NO_GSTIN = (
    r"^\s*(urd|unregistered|un-registered|unregistered dealer|not registered|na|n/a|nil|none|-+|0)\s*$"
)
_YES = {"y", "yes", "true", "1", "rcm", "applicable"}
_NO = {"n", "no", "false", "0", "not applicable", "na", "n/a"}

REQUIRED_HELP = {
    "supplier_gstin": "supplier GSTIN",
    "doc_no": "supplier invoice / note number",
    "date": "document date (or voucher date)",
    "amount": "taxable value or a tax column (IGST / CGST / SGST / cess)",
}


# ---------------------------------------------------------------------------------------------------
# Layout: sheet, header row, column mapping
# ---------------------------------------------------------------------------------------------------


@dataclass
class Layout:
    """How a register is laid out, as guessed (the app's editable mapping screen starts from this)."""

    file: str
    file_format: str
    sheet_names: list[str]
    sheet: str | None  # None for CSV
    header_row: int | None  # as the spreadsheet shows it (1-based); None when no header was found
    headers: list[str]  # unique column names, in sheet order (duplicates get " (2)")
    mapping: dict[str, str]  # canonical field -> header
    candidates: dict[str, list[str]]  # canonical field -> every header that could be it, best first
    sheet_scores: dict[str, int] = field(default_factory=dict)  # recognised fields per sheet
    duplicate_headers: list[str] = field(default_factory=list)
    other_registers: list[str] = field(default_factory=list)  # other sheets with every required column
    unreadable_sheets: list[str] = field(default_factory=list)  # damaged / chart sheets, skipped

    @property
    def missing(self) -> list[str]:
        """Required fields (REQUIRED_HELP keys) the mapping lacks."""
        return missing_required(self.mapping)


def missing_required(mapping: dict[str, str]) -> list[str]:
    missing = [f for f in ("supplier_gstin", "doc_no") if f not in mapping]
    if "doc_date" not in mapping and "voucher_date" not in mapping:
        missing.append("date")
    if not any(f in mapping for f in ("taxable_value", *synonyms.TAX_FIELDS)):
        missing.append("amount")
    return missing


def _score(mapping: dict[str, str]) -> int:
    """Recognised fields, plus a bonus for each required one: a header row names what matters."""
    return len(mapping) + 2 * (len(REQUIRED_HELP) - len(missing_required(mapping)))


def _best_header(cells: pl.DataFrame, rows: list[int]) -> tuple[int, list[str], int]:
    """(row index, header names, score) of the best-scoring candidate row; (-1, [], 0) if none."""
    best = (-1, [], 0)

    def best_rank(text: str) -> int | None:
        ranks = [rank for _field, rank in synonyms.fields_for(text)]
        return min(ranks) if ranks else None

    for r in rows:
        for names in (header_texts(cells, r), combined_headers(cells, r, best_rank) if r > 0 else None):
            if names is None:
                continue
            unique, _ = unique_headers(names)
            score = _score(synonyms.guess_mapping(unique))
            if score > best[2]:
                best = (r, names, score)
    return best


def _layout_of(wb: Workbook, sheet: str | None, header_row: int | None) -> Layout:
    if sheet is not None and wb.file_format != "csv" and sheet not in wb.sheet_names:
        raise InputError(
            f"there is no sheet named '{sheet}'.",
            file=wb.file,
            hint=f"Sheets in this workbook: {', '.join(wb.sheet_names)}.",
        )
    sheets = [sheet] if sheet is not None and wb.file_format != "csv" else wb.sheet_names
    scores: dict[str, int] = {}
    best_sheet, best = None, (-1, [], 0)
    grids, unreadable = _readable_grids(wb, sheets)
    sheets = list(grids)
    heights = {name: cells.height for name, cells in grids.items()}
    if header_row is not None and all(header_row < 1 or header_row > h for h in heights.values()):
        raise InputError(
            f"header row {header_row} is outside the sheet, which has {max(heights.values())} rows.",
            file=wb.file,
            sheet=wb.grid(sheets[0]).sheet if len(sheets) == 1 else None,
        )
    complete: list[str] = []
    for name in sheets:
        cells = grids[name]
        if header_row is not None:
            # A short sheet (notes, a cover page) simply has no header at that row.
            found = _best_header(cells, [header_row - 1]) if header_row <= cells.height else (-1, [], 0)
        else:
            found = _best_header(cells, header_candidates(cells))
        scores[name] = found[2]
        if found[1] and not missing_required(synonyms.guess_mapping(unique_headers(found[1])[0])):
            complete.append(name)
        if found[2] > best[2]:  # ties keep the earlier sheet
            best_sheet, best = name, found
    row, names, _score_value = best
    if best_sheet is None:
        # Nothing looks like a header: show the first filled row, so the error can say what was seen.
        best_sheet = sheets[0]
        filled = header_candidates(wb.grid(best_sheet).cells) if header_row is None else [header_row - 1]
        if filled:
            row, names = filled[0], header_texts(wb.grid(best_sheet).cells, filled[0])
    unique, dupes = unique_headers(names)
    grid = wb.grid(best_sheet)
    return Layout(
        file=wb.file,
        file_format=wb.file_format,
        sheet_names=[] if wb.file_format == "csv" else list(wb.sheet_names),
        sheet=grid.sheet,
        header_row=row + 1 if row >= 0 else None,
        headers=unique,
        mapping=synonyms.guess_mapping(unique),
        candidates=synonyms.candidates_per_field(unique),
        sheet_scores={k: v for k, v in scores.items()} if wb.file_format != "csv" else {},
        duplicate_headers=dupes,
        other_registers=[n for n in complete if n != best_sheet],
        unreadable_sheets=unreadable,
    )


def _readable_grids(wb: Workbook, sheets: list[str]) -> tuple[dict[str, pl.DataFrame], list[str]]:
    """The sheets that load, and the names of those that do not (a chart sheet, a damaged one).

    One bad sheet must not stop the read of a good register beside it; if none loads, its error stands.
    """
    grids, unreadable, first_error = {}, [], None
    for name in sheets:
        try:
            grids[name] = wb.grid(name).cells
        except InputError as err:
            unreadable.append(name)
            first_error = first_error or err
    if not grids and first_error is not None:
        raise first_error
    return grids, unreadable


def guess_layout(
    data: bytes, name: str, *, sheet: str | None = None, header_row: int | None = None
) -> Layout:
    """Sheet names, the chosen sheet and header row, headers, the guessed mapping and per-field candidates."""
    return _layout_of(open_workbook(data, name), sheet, header_row)


def _apply_mapping(layout: Layout, mapping: dict[str, str] | None) -> dict[str, str]:
    """The guess overridden by the user's mapping (field -> header; '' or None removes a field)."""
    result = dict(layout.mapping)
    by_key = {synonyms.header_key(h): h for h in reversed(layout.headers)}
    by_lower = {h.lower(): h for h in layout.headers}
    for fld, header in (mapping or {}).items():
        if fld not in synonyms.FIELDS:
            raise InputError(
                f"'{fld}' is not a field of a purchase register.",
                file=layout.file,
                hint=f"Fields: {', '.join(synonyms.FIELDS)}.",
            )
        if not header:
            result.pop(fld, None)
            continue
        parts = [p for p in synonyms.split_columns(header)] if fld in synonyms.AMOUNT_FIELDS else [header]
        found_parts = []
        for part in parts:
            found = by_lower.get(str(part).strip().lower()) or by_key.get(synonyms.header_key(part))
            if found is None:
                raise InputError(
                    f"the mapping names column '{part}' for {fld}, but the header row has no such column.",
                    file=layout.file,
                    sheet=layout.sheet,
                    row=layout.header_row,
                    hint=f"Columns seen: {_list(layout.headers)}.",
                )
            found_parts.append(found)
        found = synonyms.JOIN.join(found_parts)
        # The user's choice wins; a field the guess had put on the same column loses it.
        for other in [
            f for f, h in result.items() if set(synonyms.split_columns(h)) & set(found_parts) and f != fld
        ]:
            result.pop(other)
        result[fld] = found
    return {f: result[f] for f in synonyms.FIELDS if f in result}


def _list(items: list[str], limit: int = 40) -> str:
    shown = ", ".join(f"'{i}'" for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _check_header(layout: Layout, mapping: dict[str, str], user_mapped: bool) -> None:
    if layout.header_row is None or (len(layout.mapping) < MIN_HEADER_FIELDS and not user_mapped):
        raise InputError(
            f"no header row of a purchase register was found in the first {MAX_HEADER_SCAN} rows"
            + (f" of any sheet ({', '.join(layout.sheet_names)})" if layout.sheet_names else "")
            + f". Recognised only: {_describe_mapping(layout.mapping) or 'nothing'}"
            + f"; missing: {'; '.join(REQUIRED_HELP[m] for m in missing_required(layout.mapping)) or 'none'}."
            + (
                f" Best row seen (row {layout.header_row}): {_list(layout.headers, 20)}."
                if layout.headers
                else ""
            ),
            file=layout.file,
            hint="Check that this is the purchase register, or give the header row and columns "
            '(--header-row N --map doc_no="Bill No" ...).',
        )
    missing = missing_required(mapping)
    if missing:
        needed = "; ".join(REQUIRED_HELP[m] for m in missing)
        hint = f'Columns seen: {_list(layout.headers)}. Map them with --map field="Header" (or on the import screen).'
        if "doc_no" in missing and "voucher_no" in mapping:
            hint += f' If your voucher numbers are the supplier\'s numbers: --map doc_no="{mapping["voucher_no"]}".'
        raise InputError(
            f"the register has no column for: {needed}. Found: {_describe_mapping(mapping) or 'nothing'}.",
            file=layout.file,
            sheet=layout.sheet,
            row=layout.header_row,
            hint=hint,
        )


def _describe_mapping(mapping: dict[str, str]) -> str:
    return ", ".join(f"{f} <- '{h}'" for f, h in mapping.items())


# ---------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------


@dataclass
class _Context:
    """What every step needs to name a place in the file and collect warnings."""

    file: str
    sheet: str | None
    file_format: str
    mapping: dict[str, str]
    warnings: list[Issue] = field(default_factory=list)

    def where(self, row: int | None = None, fld: str | None = None) -> dict:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": row,
            "column": self.mapping.get(fld) if fld else None,
        }

    def warn(self, message: str, row: int | None = None, fld: str | None = None) -> None:
        self.warnings.append(Issue(message, Where(**self.where(row, fld))))

    def warn_rows(self, message: str, rows: list[int], fld: str | None = None) -> None:
        """One warning per row when few, else one naming the first rows and how many more."""
        if len(rows) <= MAX_LISTED_ROWS:
            for r in rows:
                self.warn(message, r, fld)
        else:
            listed = ", ".join(str(r) for r in rows[:MAX_LISTED_ROWS])
            self.warn(f"{message} (rows {listed} and {len(rows) - MAX_LISTED_ROWS} more)", None, fld)


def read_books(
    data: bytes,
    name: str,
    *,
    mapping: dict[str, str] | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    recipient_gstin: str | None = None,
    kind_map: dict[str, str] | None = None,
) -> ReadResult:
    """Read a purchase register into canonical documents (see the module docstring for the rules)."""
    wb = open_workbook(data, name)
    layout = _layout_of(wb, sheet, header_row)
    if sheet is not None or mapping or not layout.other_registers:
        return _read_sheet(wb, layout, mapping, recipient_gstin, kind_map, sheet_chosen=sheet is not None)
    # One sheet per month (or per branch): every sheet laid out as a register is read, in workbook order.
    names = [n for n in wb.sheet_names if n == layout.sheet or n in layout.other_registers]
    results = [
        _read_sheet(
            wb,
            layout if n == layout.sheet else _layout_of(wb, n, header_row),
            None,
            recipient_gstin,
            kind_map,
        )
        for n in names
    ]
    return _combine_sheets(results)


def _read_sheet(
    wb: Workbook,
    layout: Layout,
    mapping: dict[str, str] | None,
    recipient_gstin: str | None,
    kind_map: dict[str, str] | None,
    *,
    sheet_chosen: bool = True,
) -> ReadResult:
    """Read the one sheet ``layout`` describes."""
    name = wb.file
    field_map = _apply_mapping(layout, mapping)
    _check_header(layout, field_map, bool(mapping))
    ctx = _Context(name, layout.sheet, wb.file_format, field_map)
    if layout.duplicate_headers:
        ctx.warn(
            f"the header row repeats column names {_list(layout.duplicate_headers)}; later copies were "
            "renamed with (2), (3) ... — check the mapping uses the right one.",
            layout.header_row,
        )
    if "doc_date" not in field_map:
        ctx.warn(
            "no supplier invoice date column: voucher dates are used as document dates.", layout.header_row
        )
    if layout.other_registers and not sheet_chosen:
        ctx.warn(
            f"sheets {_list(layout.other_registers, 12)} also look like purchase registers, but only "
            f"'{layout.sheet}' was read (a column mapping is for one sheet): load each sheet with its mapping."
        )
    if layout.unreadable_sheets:
        ctx.warn(f"sheets {_list(layout.unreadable_sheets)} could not be read and were skipped.")

    grid = wb.grid(layout.sheet if wb.file_format != "csv" else wb.sheet_names[0])
    rows = _mapped_rows(grid.cells, layout, field_map)
    rows_total = rows.height
    rows, skipped = _drop_non_documents(rows, ctx)
    if rows.is_empty():
        raise InputError(
            "the register has a header but no document rows below it.",
            **ctx.where(layout.header_row),
            hint="Export the register again with its entries (check the period selected in the ERP).",
        )
    rows = _parse_values(rows, ctx, wb)
    rows = _row_kinds(rows, ctx, field_map, kind_map)
    docs = _group_documents(rows, field_map)
    docs = _settle_signs(docs, ctx)
    docs = _sanity_checks(docs, ctx)
    docs = _identify(docs, ctx, recipient_gstin)
    docs = _describe_codes(docs, ctx)
    docs = _check_large_numbers(docs, ctx, wb, field_map)
    docs = _doc_warnings(docs)
    recipients = [g for g in docs.get_column("recipient_gstin").unique().sort().to_list() if g]
    if "recipient_gstin" in field_map and len(recipients) > 1:
        ctx.warn(
            f"the register holds purchases of {len(recipients)} recipient GSTINs: {', '.join(recipients)}."
        )
    if (
        recipient_gstin
        and "recipient_gstin" in field_map
        and set(recipients) - {gstin_rules.clean(recipient_gstin)}
    ):
        ctx.warn(
            f"recipient GSTIN {gstin_rules.clean(recipient_gstin)} was given, but the register's own column "
            "names others; each document keeps the register's value."
        )
    docs = model.with_content_hash(model.conform(docs.select([c for c in docs.columns if c in model.SCHEMA])))
    return ReadResult(
        docs=docs,
        source="books",
        file=name,
        file_format=wb.file_format,
        sheet=layout.sheet,
        header_row=layout.header_row,
        mapping=field_map,
        rows_read=rows_total - skipped,
        rows_skipped=skipped,
        # File-level notes first, then row by row as the user scrolls the sheet.
        warnings=sorted(ctx.warnings, key=lambda w: -1 if w.where.row is None else w.where.row),
        recipient_gstin=recipients[0] if "recipient_gstin" in field_map and len(recipients) == 1 else None,
    )


def _combine_sheets(results: list[ReadResult]) -> ReadResult:
    """One result from the registers of several sheets; a number booked in two sheets is a double booking."""
    docs = pl.concat([r.docs for r in results], how="vertical")
    identity = [
        pl.col("supplier_gstin"),
        pl.col("doc_kind"),
        pl.col("doc_no").str.strip_chars().str.to_uppercase(),
        pl.col("fy"),
    ]
    docs = docs.with_columns(
        pl.int_range(pl.len()).over(identity).alias("_occurrence"),
        pl.col("origin_sheet").first().over(identity).alias("_first_sheet"),
        pl.col("origin_rows").list.first().first().over(identity).alias("_first_row"),
    )
    ids = [
        model.make_doc_id("books", g, k, n, fy, occurrence=o)
        for g, k, n, fy, o in zip(
            *(
                docs.get_column(c).to_list()
                for c in ("supplier_gstin", "doc_kind", "doc_no", "fy", "_occurrence")
            ),
            strict=True,
        )
    ]
    across = (pl.col("_occurrence") > 0) & (pl.col("_first_sheet") != pl.col("origin_sheet"))
    note = pl.format(
        "booked again: same supplier, number and year as sheet '{}' row {}", "_first_sheet", "_first_row"
    )
    docs = docs.with_columns(
        pl.Series("doc_id", ids, dtype=pl.String),
        pl.when(across)
        .then(pl.col("warnings").list.concat(pl.concat_list(note)))
        .otherwise(pl.col("warnings"))
        .alias("warnings"),
    )
    warnings = [
        Issue(
            f"read {len(results)} sheets laid out as purchase registers: {_list([r.sheet for r in results], 24)} "
            "(choose one with --sheet NAME)",
            Where(file=results[0].file),
        )
    ]
    for result in results:
        warnings.extend(result.warnings)
    for doc_no, sheet, rows, first_sheet, first_row in (
        docs.filter(across)
        .select("doc_no", "origin_sheet", "origin_rows", "_first_sheet", "_first_row")
        .iter_rows()
    ):
        warnings.append(
            Issue(
                f"'{doc_no}' of this supplier is booked again (first in sheet '{first_sheet}', row {first_row}): "
                "a double booking?",
                Where(file=results[0].file, sheet=sheet, row=rows[0]),
            )
        )
    header_rows = {r.header_row for r in results}
    recipients = {r.recipient_gstin for r in results}
    return ReadResult(
        docs=docs.drop("_occurrence", "_first_sheet", "_first_row"),
        source="books",
        file=results[0].file,
        file_format=results[0].file_format,
        sheet=", ".join(r.sheet or "" for r in results),
        header_row=header_rows.pop() if len(header_rows) == 1 else None,
        mapping=results[0].mapping,
        rows_read=sum(r.rows_read for r in results),
        rows_skipped=sum(r.rows_skipped for r in results),
        warnings=warnings,
        recipient_gstin=recipients.pop() if len(recipients) == 1 else None,
    )


def _mapped_rows(cells: pl.DataFrame, layout: Layout, mapping: dict[str, str]) -> pl.DataFrame:
    """Data rows below the header: ``_row`` (spreadsheet row), ``_first`` (first cell) and one String
    column per mapped field, trimmed, blanks as null."""
    start = layout.header_row  # header_row is 1-based, so this is the first data row's 0-based index
    body = cells.slice(start)
    position = {h: i for i, h in enumerate(layout.headers)}
    exprs = [
        pl.int_range(start + 1, start + 1 + pl.len(), dtype=pl.Int64).alias("_row"),
        _clean_text(pl.col(body.columns[0])).alias("_first")
        if body.width
        else pl.lit(None, pl.String).alias("_first"),
    ]
    for fld, mapped in mapping.items():
        parts = synonyms.split_columns(mapped) if fld in synonyms.AMOUNT_FIELDS else [mapped]
        for i, header in enumerate(parts):
            column = f"c{position[header]}"
            name = fld if len(parts) == 1 else _part_name(fld, i)
            text = _clean_text(pl.col(column)) if column in body.columns else pl.lit(None, pl.String)
            if fld in _CODE_FIELDS:
                # "'00123": the apostrophe Excel users type to keep a number as text, exported into CSV.
                text = text.str.strip_prefix("'").str.strip_chars()
            exprs.append(text.alias(name))
    return body.select(exprs)


_CODE_FIELDS = ("doc_no", "original_doc_no", "voucher_no", "supplier_gstin", "recipient_gstin")


def _part_name(fld: str, i: int) -> str:
    """Column of the i-th ledger column feeding an amount field (synonyms.JOIN)."""
    return f"_part_{fld}_{i}"


def _field_columns(rows: pl.DataFrame, fld: str) -> list[str]:
    """The columns holding a field: itself, or its ledger parts before they are summed."""
    if fld in rows.columns:
        return [fld]
    return [c for c in rows.columns if c.startswith(f"_part_{fld}_")]


def _clean_text(expr: pl.Expr) -> pl.Expr:
    text = expr.cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _drop_non_documents(rows: pl.DataFrame, ctx: _Context) -> tuple[pl.DataFrame, int]:
    """Remove blank, total and footer rows; return the rest and how many were skipped."""
    fields = [f for f in synonyms.FIELDS if _field_columns(rows, f)]
    amount_fields = [f for f in synonyms.AMOUNT_FIELDS if f in fields]
    has = {
        f: pl.any_horizontal([pl.col(c).is_not_null() for c in _field_columns(rows, f)])
        if f in fields
        else pl.lit(False)
        for f in synonyms.FIELDS
    }
    labels = [
        pl.col(c)
        for c in ("_first", "supplier_name", "doc_no", "supplier_gstin", "voucher_type", "voucher_no")
        if c in rows.columns
    ]
    total_label = pl.any_horizontal([c.str.contains(_TOTAL_LABEL).fill_null(False) for c in labels])
    identity = has["doc_no"] | has["supplier_gstin"] | has["doc_date"] | has["voucher_date"]
    any_amount = pl.any_horizontal([has[f] for f in amount_fields]) if amount_fields else pl.lit(False)
    blank = ~pl.any_horizontal([has[f] for f in fields])
    # A total row never carries a supplier's invoice number ("Total Tools Pvt Ltd" with one is a supplier).
    total = total_label & ~has["doc_no"]
    flagged = rows.with_columns(
        _skip=blank | total | ~identity,
        _skip_amounts=~blank & ~total & ~identity & any_amount,
    )
    stray = flagged.filter(pl.col("_skip_amounts")).get_column("_row").to_list()
    if stray:
        ctx.warn_rows("skipped a row with amounts but no supplier GSTIN, number or date", stray)
    kept = flagged.filter(~pl.col("_skip")).drop("_skip", "_skip_amounts")
    return kept, rows.height - kept.height


def _bad_value_error(
    rows: pl.DataFrame, fld: str, ctx: _Context, what: str, hint: str, column: str | None = None
) -> InputError:
    bad = rows.filter(pl.col("_bad"))
    first = bad.row(0, named=True)
    others = bad.get_column("_row").to_list()[1:]
    also = ""
    if others:
        also = f" (also rows {', '.join(str(r) for r in others[:MAX_LISTED_ROWS])}"
        also += f" and {len(others) - MAX_LISTED_ROWS} more)" if len(others) > MAX_LISTED_ROWS else ")"
    where = ctx.where(first["_row"], fld)
    if column is not None:
        where["column"] = column
    return InputError(f"'{first[fld]}' is not {what}{also}.", **where, hint=hint)


def _parse_values(rows: pl.DataFrame, ctx: _Context, wb: Workbook) -> pl.DataFrame:
    """Amounts and dates from text, with an error naming the first row that does not parse."""
    for fld in synonyms.AMOUNT_FIELDS:
        columns = _field_columns(rows, fld)
        headers = synonyms.split_columns(ctx.mapping[fld]) if fld in ctx.mapping else []
        for column, header in zip(columns, headers, strict=False):
            parsed = rows.with_columns(_amounts(rows.get_column(column)).alias("_value"))
            parsed = parsed.with_columns(_bad=pl.col(column).is_not_null() & pl.col("_value").is_null())
            if parsed.get_column("_bad").any():
                raise _bad_value_error(
                    parsed, column, ctx, "an amount",
                    "Amounts may use Indian commas, ₹/Rs., brackets or a minus for negatives; fix the cell and load again.",
                    column=header,
                )  # fmt: skip
            rows = parsed.drop(column, "_bad").rename({"_value": column})
        if len(columns) > 1:
            # Ledger columns of one field add up; all of them blank stays blank.
            rows = rows.with_columns(
                pl.when(pl.all_horizontal([pl.col(c).is_null() for c in columns]))
                .then(None)
                .otherwise(pl.sum_horizontal([pl.col(c).fill_null(0.0) for c in columns]))
                .alias(fld)
            ).drop(columns)
    for fld in ("doc_date", "voucher_date", "original_doc_date"):
        if fld not in rows.columns:
            continue
        # A register has a few hundred distinct dates over 100,000 rows: parse each text once.
        distinct = rows.select(pl.col(fld).unique()).with_columns(parse_date_expr(fld).alias("_value"))
        parsed = rows.join(distinct, on=fld, how="left", nulls_equal=True, maintain_order="left")
        parsed = parsed.with_columns(_bad=pl.col(fld).is_not_null() & pl.col("_value").is_null())
        if parsed.get_column("_bad").any():
            raise _bad_value_error(
                parsed, fld, ctx, "a real date",
                "Dates are read day first (07-11-2025, 07/11/25, 07-Nov-2025); correct the cell and load again.",
            )  # fmt: skip
        rows = parsed.drop(fld, "_bad").rename({"_value": fld})
    amount_fields = [f for f in synonyms.AMOUNT_FIELDS if f in rows.columns]
    if rows.select(pl.all_horizontal([pl.col(f).is_null() for f in amount_fields]).all()).item():
        formulas = _formulas_without_values(wb, ctx.sheet)
        problem = (
            f"every amount column ({', '.join(ctx.mapping[f] for f in amount_fields)}) is blank in every row."
        )
        if formulas:
            problem = (
                f"the amount cells hold formulas without saved results ({formulas}), so they read as blank."
            )
            raise InputError(
                problem, **ctx.where(), hint="Open the file in Excel, save it, and load it again."
            )
        raise InputError(
            problem, **ctx.where(), hint="Check the mapping of amount columns, or export the register again."
        )
    return _dates_and_blanks(rows, ctx, wb, amount_fields)


def _amounts(text: pl.Series) -> pl.Series:
    """Amounts of a text column: numeric cells straight through, anything else via parse_amount_expr.

    Excel amount cells arrive as plain decimals ("30000.5"); only a column with Indian commas, ₹,
    brackets and the like needs the slower text rules.
    """
    direct = text.cast(pl.Float64, strict=False)
    plain = direct.null_count() == text.null_count() and not (direct.is_nan() | direct.is_infinite()).any()
    if plain:
        return direct.round(2)
    return text.to_frame("_text").select(parse_amount_expr("_text")).to_series()


def _dates_and_blanks(
    rows: pl.DataFrame, ctx: _Context, wb: Workbook, amount_fields: list[str]
) -> pl.DataFrame:
    if "doc_date" not in rows.columns:
        rows = rows.with_columns(pl.col("voucher_date").alias("doc_date"))
    elif "voucher_date" in rows.columns:
        fallback = rows.filter(pl.col("doc_date").is_null() & pl.col("voucher_date").is_not_null())
        if fallback.height:
            ctx.warn_rows(
                "no supplier invoice date: the voucher date was used",
                fallback.get_column("_row").to_list(),
                "doc_date",
            )
            rows = rows.with_columns(
                (pl.col("doc_date").is_null() & pl.col("voucher_date").is_not_null()).alias(
                    "_flag_date_fallback"
                ),
                pl.col("doc_date").fill_null(pl.col("voucher_date")),
            )
    undated = rows.filter(pl.col("doc_date").is_null()).get_column("_row").to_list()
    if undated:
        ctx.warn_rows(
            "no document date: the document has no financial year and may not pair", undated, "doc_date"
        )
    empty_columns = [f for f in amount_fields if rows.get_column(f).null_count() == rows.height]
    formulas = _formulas_without_values(wb, ctx.sheet) if empty_columns else None
    if formulas:
        # A tax column that reads blank because its formulas were never calculated is not zero tax.
        for fld in empty_columns:
            ctx.warn(
                f"column is blank in every row and the sheet has formulas without saved results ({formulas}): "
                "open and save the file in Excel, then load it again",
                None,
                fld,
            )
    no_amount = rows.filter(pl.all_horizontal([pl.col(f).is_null() for f in amount_fields]))
    if no_amount.height:
        formulas = formulas or _formulas_without_values(wb, ctx.sheet)
        message = "no amounts on this row"
        if formulas:
            message += f"; the sheet has formulas without saved results ({formulas}): open and save the file in Excel"
        ctx.warn_rows(message, no_amount.get_column("_row").to_list())
    unnumbered = rows.filter(pl.col("doc_no").is_null()).get_column("_row").to_list()
    if unnumbered:
        ctx.warn_rows(
            "no supplier invoice number: the document cannot pair with the portal", unnumbered, "doc_no"
        )
    return rows.with_columns(
        pl.col("doc_date").is_null().alias("_flag_no_date"),
        pl.col("doc_no").is_null().alias("_flag_no_number"),
        pl.all_horizontal([pl.col(f).is_null() for f in amount_fields]).alias("_flag_no_amount"),
    )


_FORMULA_SCAN_BYTES = 4_000_000


def _formulas_without_values(wb: Workbook, sheet: str | None) -> str | None:
    """'12 cells, e.g. F4, F5, F6' when the sheet has formula cells with no cached result, else None.

    A workbook written by a script (openpyxl, some ERP exporters) stores formulas but not their results
    until Excel recalculates and saves it; calamine can only read saved results. Only .xlsx/.xlsm are
    inspected, and only on this slow path (when amounts are missing).
    """
    if wb.file_format not in ("xlsx", "xlsm") or sheet is None:
        return None
    try:
        with (
            zipfile.ZipFile(io.BytesIO(wb.data)) as archive,
            archive.open(_sheet_part(archive, sheet)) as part,
        ):
            # Formulas fill whole columns, so the first rows tell; a bounded read keeps this cheap.
            xml = part.read(_FORMULA_SCAN_BYTES).decode("utf-8", errors="replace")
    except (KeyError, zipfile.BadZipFile, OSError, ValueError):
        return None
    if "<f" not in xml:
        return None
    refs = []
    for match in re.finditer(r"<c r=\"([A-Z]+[0-9]+)\"[^>]*>(.*?)</c>", xml, flags=re.S):
        inner = match.group(2)
        if "<f" in inner and not re.search(r"<v>[^<]+</v>", inner):
            refs.append(match.group(1))
    if not refs:
        return None
    return f"cells such as {', '.join(refs[:5])}"


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str:
    workbook = archive.read("xl/workbook.xml").decode("utf-8", errors="replace")
    rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", errors="replace")
    for tag in re.findall(r"<sheet\b[^>]*>", workbook):
        name = re.search(r'name="([^"]*)"', tag)
        rid = re.search(r'r:id="([^"]*)"', tag) or re.search(r'\bid="([^"]*)"', tag)
        if name and rid and _xml_unescape(name.group(1)) == sheet:
            for rel in re.findall(r"<Relationship\b[^>]*>", rels):
                if f'Id="{rid.group(1)}"' in rel:
                    target = re.search(r'Target="([^"]*)"', rel).group(1)
                    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise KeyError(sheet)


def _xml_unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


# ---------------------------------------------------------------------------------------------------
# Kinds, grouping, signs
# ---------------------------------------------------------------------------------------------------


def _kind_of_words(text: str, kind_words: dict[str, str]) -> str | None:
    key = re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()
    if key in kind_words:
        return kind_words[key]
    padded = f" {key} "
    for words in sorted(kind_words, key=len, reverse=True):
        if len(words) > 2 and f" {words} " in padded:
            return kind_words[words]
    return None


def _row_kinds(
    rows: pl.DataFrame, ctx: _Context, mapping: dict[str, str], kind_map: dict[str, str] | None
) -> pl.DataFrame:
    """``doc_kind`` per row from the voucher type (or the number column's header)."""
    kind_words = dict(DEFAULT_KIND_WORDS)
    user_words = {re.sub(r"[^a-z0-9]+", " ", k.lower()).strip(): v for k, v in (kind_map or {}).items()}
    for kind in user_words.values():
        if kind not in model.KINDS:
            raise InputError(
                f"kind_map: '{kind}' is not a document kind ({', '.join(model.KINDS)}).", file=ctx.file
            )
    kind_words.update(user_words)
    if "voucher_type" not in rows.columns:
        implied = synonyms.HEADER_KIND.get(synonyms.header_key(mapping["doc_no"]), "invoice")
        return rows.with_columns(pl.lit(implied).alias("doc_kind"))
    types = [t for t in rows.get_column("voucher_type").unique().to_list() if t is not None]
    table = {t: _kind_of_words(t, kind_words) for t in types}
    unknown = sorted(t for t, k in table.items() if k is None)
    if unknown:
        ctx.warn(
            f"voucher types not recognised, taken as invoices: {_list(unknown, 10)} (set kind_map to change)."
        )
    ambiguous = sorted(
        t
        for t in types
        if re.sub(r"[^a-z0-9]+", " ", t.lower()).strip() in AMBIGUOUS_KIND_WORDS - set(user_words)
    )
    if ambiguous:
        ctx.warn(
            f"voucher type {_list(ambiguous, 5)} taken as the supplier's credit note (reduces ITC); if these "
            "vouchers record supplier debit notes, set kind_map."
        )
    lookup = pl.DataFrame(
        {"voucher_type": list(table), "doc_kind": [k or "invoice" for k in table.values()]},
        schema={"voucher_type": pl.String, "doc_kind": pl.String},
    )
    return rows.join(lookup, on="voucher_type", how="left", maintain_order="left").with_columns(
        pl.col("doc_kind").fill_null("invoice")
    )


def _group_documents(rows: pl.DataFrame, mapping: dict[str, str]) -> pl.DataFrame:
    """Rate-wise lines → one row per document (rule in the module docstring)."""
    rows = rows.with_columns(
        # "URD", "Unregistered", "NA": a purchase from an unregistered supplier has no GSTIN at all.
        pl.when(pl.col("supplier_gstin").str.to_lowercase().str.contains(_NO_GSTIN))
        .then(None)
        .otherwise(pl.col("supplier_gstin").str.replace_all(r"\s+", "").str.to_uppercase())
        .alias("supplier_gstin"),
        pl.col("doc_no").str.strip_chars().str.to_uppercase().alias("_no_upper"),
    )
    keys = ["supplier_gstin", "_no_upper", "doc_date", "doc_kind"]
    if "voucher_no" in rows.columns:
        keys.append("voucher_no")
    else:
        # The n-th identical copy of a row belongs to the n-th booking of the document.
        content = [c for c in rows.columns if not c.startswith("_")]
        rows = rows.with_columns(pl.int_range(pl.len()).over(content).alias("_copy"))
        keys.append("_copy")
    amounts = [f for f in synonyms.AMOUNT_FIELDS if f in rows.columns and f != "doc_value"]
    flags = [c for c in rows.columns if c.startswith("_flag_")]
    firsts = [
        c
        for c in rows.columns
        if c not in keys and c not in amounts and not c.startswith("_") and c != "doc_value"
    ]
    aggregations = [
        pl.col("_row").alias("origin_rows"),
        pl.col("_row").min().alias("_first_row"),
        pl.len().alias("_lines"),
        # A blank cell in a taxable or tax column is zero: Tally and most ERPs print nothing for 0.
        # A column the register does not have at all stays null ("not given").
        *[pl.col(f).sum().alias(f) for f in amounts],
        *[pl.col(f).drop_nulls().first().alias(f) for f in firsts],
        *[pl.col(f).any().alias(f) for f in flags],
    ]
    if "doc_value" in rows.columns:
        aggregations += [
            pl.col("doc_value").sum().alias("_value_sum"),
            pl.col("doc_value").drop_nulls().first().alias("_value_first"),
            pl.col("doc_value").drop_nulls().n_unique().alias("_value_distinct"),
            pl.col("doc_value").is_null().all().alias("_value_blank"),
        ]
    docs = rows.group_by(keys, maintain_order=True).agg(aggregations).sort("_first_row")
    if "doc_value" in rows.columns:
        docs = docs.with_columns(_document_value(amounts).alias("doc_value"))
    return docs


def _document_value(amounts: list[str]) -> pl.Expr:
    """Invoice value of a group: once when every line repeats it, else the sum of the lines."""
    parts = pl.sum_horizontal([pl.col(f).fill_null(0.0) for f in amounts])
    repeated = (pl.col("_lines") > 1) & (pl.col("_value_distinct") == 1)
    closer = (pl.col("_value_first") - parts).abs() < (pl.col("_value_sum") - parts).abs()
    value = pl.when(repeated & closer).then(pl.col("_value_first")).otherwise(pl.col("_value_sum"))
    return pl.when(pl.col("_value_blank")).then(None).otherwise(value)


def _settle_signs(docs: pl.DataFrame, ctx: _Context) -> pl.DataFrame:
    """Positive amounts; negative purchases become credit notes (module docstring, 'Document kind')."""
    amounts = [f for f in synonyms.AMOUNT_FIELDS if f in docs.columns]
    parts = pl.sum_horizontal([pl.col(f).fill_null(0.0) for f in amounts if f != "doc_value"])
    net = pl.coalesce(pl.col("doc_value"), parts) if "doc_value" in docs.columns else parts
    docs = docs.with_columns((net < 0).alias("_negative"))
    docs = docs.with_columns(_convention=pl.lit(False))
    if "voucher_type" in docs.columns:
        per_type = docs.group_by("voucher_type").agg(
            (pl.col("_negative").all() & (pl.len() >= 2) & pl.col("voucher_type").is_not_null().all()).alias(
                "_all_negative"
            )
        )
        docs = docs.join(per_type, on="voucher_type", how="left", nulls_equal=True, maintain_order="left")
        docs = docs.with_columns(pl.col("_all_negative").fill_null(False).alias("_convention")).drop(
            "_all_negative"
        )
        conventional = (
            docs.filter(pl.col("_convention")).get_column("voucher_type").unique(maintain_order=True)
        )
        for vtype in conventional.to_list():
            ctx.warn(
                f"every '{vtype}' document carries negative amounts: taken as the export's sign convention "
                "(amounts made positive, kind kept)."
            )
    flip = pl.col("_negative") & (pl.col("doc_kind") == "invoice") & ~pl.col("_convention")
    flipped = docs.filter(flip).get_column("_first_row").to_list()
    if flipped:
        ctx.warn_rows(
            "negative amounts on a purchase: taken as a credit note, amounts stored positive", flipped
        )
    return docs.with_columns(
        flip.alias("_flag_flip"),
        pl.when(flip).then(pl.lit("credit_note")).otherwise(pl.col("doc_kind")).alias("doc_kind"),
        *[pl.col(f).abs().alias(f) for f in amounts],
    )


GST_START = date(2017, 7, 1)


def _sanity_checks(docs: pl.DataFrame, ctx: _Context) -> pl.DataFrame:
    """Entries a consultant would query: CGST ≠ SGST, IGST beside CGST/SGST, a date before GST.

    They are read as booked; the warnings point at likely typing errors in the register.
    """
    zero = pl.lit(0.0)
    cgst = pl.col("cgst").fill_null(zero) if "cgst" in docs.columns else zero
    sgst = pl.col("sgst").fill_null(zero) if "sgst" in docs.columns else zero
    igst = pl.col("igst").fill_null(zero) if "igst" in docs.columns else zero
    docs = docs.with_columns(
        ((cgst - sgst).abs() > 0.5).alias("_flag_cgst_sgst"),
        ((igst > 0.5) & ((cgst > 0.5) | (sgst > 0.5))).alias("_flag_both_taxes"),
        (pl.col("doc_date") < GST_START).fill_null(False).alias("_flag_pre_gst"),
    )
    checks = (
        ("_flag_cgst_sgst", "CGST and SGST differ (they are equal halves of the tax)", "cgst"),
        ("_flag_both_taxes", "both IGST and CGST/SGST are charged on one document", "igst"),
        ("_flag_pre_gst", "the document date is before GST began (1-Jul-2017): a typing error?", "doc_date"),
    )
    for flag, message, fld in checks:
        rows = docs.filter(pl.col(flag)).get_column("_first_row").to_list()
        if rows:
            ctx.warn_rows(message, rows, fld)
    return docs


def _identify(docs: pl.DataFrame, ctx: _Context, recipient_gstin: str | None) -> pl.DataFrame:
    """fy, doc_no_key, doc_id (with occurrences for double bookings), GSTIN checks, origin."""
    docs = docs.with_columns(
        fy_expr("doc_date").alias("fy"),
        pl.lit("books").alias("source"),
        _recipient(docs, recipient_gstin).alias("recipient_gstin"),
        pl.lit(False).alias("is_amendment"),
        pl.lit(ctx.file).alias("origin_file"),
        pl.lit(ctx.sheet, dtype=pl.String).alias("origin_sheet"),
        pl.col("supplier_gstin").str.slice(2, 10).alias("supplier_pan"),
    )
    identity = ["supplier_gstin", "doc_kind", "_no_upper", "fy"]
    docs = docs.with_columns(
        pl.int_range(pl.len()).over(identity).alias("_occurrence"),
        pl.col("_first_row").first().over(identity).alias("_original_row"),
    )
    docs = docs.with_columns(
        pl.Series(
            "doc_id",
            [
                model.make_doc_id("books", g, k, n, fy, occurrence=o)
                for g, k, n, fy, o in zip(
                    *(docs.get_column(c).to_list() for c in ("supplier_gstin", "doc_kind", "doc_no", "fy")),
                    docs.get_column("_occurrence").to_list(),
                    strict=True,
                )
            ],
            dtype=pl.String,
        )
    )
    docs = with_doc_no_key(docs)
    copies = docs.filter(pl.col("_occurrence") > 0).select("_first_row", "_original_row", "doc_no")
    for first_row, original_row, doc_no in copies.iter_rows():
        ctx.warn(
            f"'{doc_no}' of this supplier is booked again (first at row {original_row}): a double booking?",
            first_row,
            "doc_no",
        )
    return _check_gstins(docs, ctx)


def _recipient(docs: pl.DataFrame, option: str | None) -> pl.Expr:
    """The register's own recipient GSTIN column where it has one, else the option."""
    given = pl.lit(gstin_rules.clean(option) or None, dtype=pl.String)
    if "recipient_gstin" not in docs.columns:
        return given
    own = pl.col("recipient_gstin").str.replace_all(r"\s+", "").str.to_uppercase()
    return pl.coalesce(pl.when(own != "").then(own), given)


def _check_gstins(docs: pl.DataFrame, ctx: _Context) -> pl.DataFrame:
    """gstin_valid / gstin_note from recon.gstin, computed once per distinct GSTIN (ims-rules §9)."""
    values = docs.get_column("supplier_gstin").unique().to_list()
    problems = {g: gstin_rules.problem(g) if g else _BLANK_GSTIN for g in values}
    notes = {g: problems[g] or gstin_rules.caution(g or "") for g in values}
    lookup = pl.DataFrame(
        {
            "supplier_gstin": values,
            "gstin_valid": [problems[g] is None for g in values],
            "gstin_note": [notes[g] for g in values],
        },
        schema={"supplier_gstin": pl.String, "gstin_valid": pl.Boolean, "gstin_note": pl.String},
    )
    docs = docs.join(lookup, on="supplier_gstin", how="left", nulls_equal=True, maintain_order="left")
    invalid = (
        docs.filter(~pl.col("gstin_valid"))
        .group_by("supplier_gstin", maintain_order=True)
        .agg(pl.col("_first_row").sort(), pl.col("gstin_note").first())
    )
    for gstin, first_rows, note in invalid.iter_rows():
        message = note if gstin is None else f"{note}; kept, but it will not pair with the portal"
        ctx.warn_rows(message, first_rows, "supplier_gstin")
    return docs


_BLANK_GSTIN = "no supplier GSTIN (unregistered supplier?): such purchases never appear in IMS or GSTR-2B"

# Per-document notes (the ``warnings`` column), from flags set along the way.
_DOC_NOTES = (
    ("_flag_date_fallback", pl.lit("no supplier invoice date: the voucher date was used")),
    ("_flag_no_date", pl.lit("no document date")),
    ("_flag_no_number", pl.lit("no supplier invoice number")),
    ("_flag_no_amount", pl.lit("no amounts")),
    ("_flag_flip", pl.lit("negative amounts: taken as a credit note, amounts stored positive")),
    ("_flag_cgst_sgst", pl.lit("CGST and SGST differ")),
    ("_flag_both_taxes", pl.lit("both IGST and CGST/SGST charged")),
    ("_flag_pre_gst", pl.lit("dated before GST began (1-Jul-2017)")),
)


def _doc_warnings(docs: pl.DataFrame) -> pl.DataFrame:
    """The ``warnings`` column: notes built only for the few documents that need any."""
    flags = [flag for flag, _ in _DOC_NOTES if flag in docs.columns]
    needs_note = pl.any_horizontal(
        [pl.col(f) for f in flags] + [pl.col("_occurrence") > 0, ~pl.col("gstin_valid")]
    )
    docs = docs.with_row_index("_position")
    odd = docs.filter(needs_note)
    notes = [pl.when(pl.col(flag)).then(text) for flag, text in _DOC_NOTES if flag in docs.columns]
    notes.append(
        pl.when(pl.col("_occurrence") > 0).then(
            pl.format("booked again: same supplier, number and year as row {}", pl.col("_original_row"))
        )
    )
    notes.append(pl.when(~pl.col("gstin_valid")).then(pl.col("gstin_note")))
    odd = odd.select("_position", pl.concat_list(notes).list.drop_nulls().alias("warnings"))
    docs = docs.join(odd, on="_position", how="left", maintain_order="left")
    return docs.with_columns(pl.col("warnings").fill_null(pl.lit([], dtype=pl.List(pl.String)))).drop(
        "_position"
    )


def _describe_codes(docs: pl.DataFrame, ctx: _Context) -> pl.DataFrame:
    """Place of supply, reverse charge and supply type words → the portal's codes."""
    if "pos" in docs.columns:
        docs = _map_words(docs, ctx, "pos", gstin_rules.state_code_from_name, pl.String, "place of supply")
    if "reverse_charge" in docs.columns:

        def yes_no(text: str) -> bool | None:
            key = text.strip().lower()
            return True if key in _YES else False if key in _NO else None

        docs = _map_words(docs, ctx, "reverse_charge", yes_no, pl.Boolean, "reverse charge (Yes/No)")
    if "supply_type" in docs.columns:

        def supply(text: str) -> str | None:
            return _SUPPLY_TYPES.get(re.sub(r"[^a-z0-9]+", " ", text.lower()).strip())

        docs = _map_words(docs, ctx, "supply_type", supply, pl.String, "supply type")
    return docs


def _map_words(docs: pl.DataFrame, ctx: _Context, fld: str, convert, dtype, what: str) -> pl.DataFrame:
    values = [v for v in docs.get_column(fld).unique().to_list() if v is not None]
    table = {v: convert(v) for v in values}
    unknown = sorted(v for v, c in table.items() if c is None)
    if unknown:
        ctx.warn(f"not a recognised {what}, left blank: {_list(unknown, 10)}", None, fld)
    lookup = pl.DataFrame(
        {fld: list(table), "_code": list(table.values())}, schema={fld: pl.String, "_code": dtype}
    )
    return docs.join(lookup, on=fld, how="left", maintain_order="left").drop(fld).rename({"_code": fld})


def _check_large_numbers(
    docs: pl.DataFrame, ctx: _Context, wb: Workbook, mapping: dict[str, str]
) -> pl.DataFrame:
    """Document numbers Excel may have damaged: 16+ digit numbers and scientific notation.

    Excel keeps 15 significant digits of a number, so a 16-digit invoice number typed into a cell
    formatted General loses its last digit; CSV written by Excel may show it as 1.23457E+15.
    """
    suspicious = docs.filter(
        pl.col("doc_no").str.contains(r"^[0-9]{16,}$")
        | pl.col("doc_no").str.contains(r"^[0-9.]+[eE]\+[0-9]+$")
    )
    if suspicious.is_empty():
        return docs
    numeric_rows = _numeric_cells(wb, ctx.sheet, suspicious) if wb.file_format != "csv" else set()
    for doc_no, rows in suspicious.select("doc_no", "origin_rows").iter_rows():
        if "E+" in doc_no.upper():
            ctx.warn(
                f"invoice number '{doc_no}' is in scientific notation: Excel turned a long number into a "
                "float and its digits are lost; format the column as Text in the ERP export and re-export.",
                rows[0],
                "doc_no",
            )
        elif rows[0] in numeric_rows or (wb.file_format != "csv" and numeric_rows is None):
            ctx.warn(
                f"invoice number {doc_no} is stored as a number: Excel keeps only 15 significant digits, "
                "so it may not be the real number; format the column as Text and re-export.",
                rows[0],
                "doc_no",
            )
    return docs


def _numeric_cells(wb: Workbook, sheet: str | None, suspicious: pl.DataFrame) -> set[int] | None:
    """Rows (1-based) among the suspicious ones whose number cell is a numeric cell, not text."""
    try:
        import python_calamine

        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(wb.data))
        values = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception:
        return None
    found = set()
    for doc_no, rows in suspicious.select("doc_no", "origin_rows").iter_rows():
        row = rows[0]
        if row - 1 < len(values):
            cells = values[row - 1]
            if any(isinstance(c, float) and not isinstance(c, bool) and c == float(doc_no) for c in cells):
                found.add(row)
    return found
