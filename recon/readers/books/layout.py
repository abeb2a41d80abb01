"""Which sheet, which header row, which column is which field: the layout of a purchase register.

A header row is recognised by how many canonical fields its cells name (``recon.readers.synonyms``), with
a bonus for the required ones; report titles above it are skipped, a group row above it is combined
(two-row headers), and the sheet with the best header wins. ``mapping`` from the user overrides the guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from recon.errors import InputError
from recon.readers import synonyms
from recon.readers.books.context import listing
from recon.readers.tabular import (
    MAX_HEADER_SCAN,
    Workbook,
    combined_headers,
    header_candidates,
    header_texts,
    unique_headers,
)

MIN_HEADER_FIELDS = 3  # fewer recognised columns than this is a title or data row, not a header


REQUIRED_HELP = {
    "supplier_gstin": "supplier GSTIN",
    "doc_no": "supplier invoice / note number",
    "date": "document date (or voucher date)",
    "amount": "taxable value or a tax column (IGST / CGST / SGST / cess)",
}


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


def layout_of(wb: Workbook, sheet: str | None, header_row: int | None) -> Layout:
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


def apply_mapping(layout: Layout, mapping: dict[str, str] | None) -> dict[str, str]:
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
                    hint=f"Columns seen: {listing(layout.headers)}.",
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


def check_header(layout: Layout, mapping: dict[str, str], user_mapped: bool) -> None:
    if layout.header_row is None or (len(layout.mapping) < MIN_HEADER_FIELDS and not user_mapped):
        raise InputError(
            f"no header row of a purchase register was found in the first {MAX_HEADER_SCAN} rows"
            + (f" of any sheet ({', '.join(layout.sheet_names)})" if layout.sheet_names else "")
            + f". Recognised only: {describe_mapping(layout.mapping) or 'nothing'}"
            + f"; missing: {'; '.join(REQUIRED_HELP[m] for m in missing_required(layout.mapping)) or 'none'}."
            + (
                f" Best row seen (row {layout.header_row}): {listing(layout.headers, 20)}."
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
        hint = f'Columns seen: {listing(layout.headers)}. Map them with --map field="Header" (or on the import screen).'
        if "doc_no" in missing and "voucher_no" in mapping:
            hint += f' If your voucher numbers are the supplier\'s numbers: --map doc_no="{mapping["voucher_no"]}".'
        raise InputError(
            f"the register has no column for: {needed}. Found: {describe_mapping(mapping) or 'nothing'}.",
            file=layout.file,
            sheet=layout.sheet,
            row=layout.header_row,
            hint=hint,
        )


def describe_mapping(mapping: dict[str, str]) -> str:
    return ", ".join(f"{f} <- '{h}'" for f, h in mapping.items())
