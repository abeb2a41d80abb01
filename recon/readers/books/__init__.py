"""The purchase register (the client's books) → canonical documents.

Reads Tally, Busy, Zoho Books, SAP, Marg and home-made registers in .xlsx/.xlsm/.xls, CSV, or the HTML
table web ERPs save as ".xls": finds the
sheet and the header row (titles above it are skipped), maps columns to canonical fields by their headers
(``recon.readers.synonyms``; a ``mapping`` overrides the guess), and turns rows into one row per document.
All work after loading is vectorised polars; per-row Python only builds messages for failing rows.

The read, step by step: ``tabular`` opens the file as text cells; ``layout`` finds the sheet, the header
row and the column mapping; ``rows`` turns cells into typed rows (skipping totals and footers, parsing
amounts and dates); ``documents`` turns rows into documents (kinds, rate-wise lines, signs, identity,
checks). ``context`` carries the place in the file and the warnings.

Rows that are not documents
    Blank rows, total / sub-total / grand-total rows (a "Total" label and no supplier invoice number),
    rows with no supplier, number or date at all (report footers, "Prepared by ...") and entries whose
    status column says void / cancelled / draft are skipped and counted in ``rows_skipped``; skipped rows
    that carry amounts, and skipped void entries, are named in a warning.

Document kind (docs/reference/matching-practice.md §7)
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

Grouping rule (docs/reference/matching-practice.md §8, §9)
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

import polars as pl

from recon import gstin as gstin_rules
from recon import model
from recon.errors import InputError, Issue, Where
from recon.readers import limits, memory
from recon.readers.books.context import Context, listing
from recon.readers.books.documents import (
    DEFAULT_KIND_WORDS,
    check_large_numbers,
    describe_codes,
    doc_warnings,
    group_documents,
    identify,
    row_kinds,
    sanity_checks,
    settle_signs,
)
from recon.readers.books.layout import (
    REQUIRED_HELP,
    Layout,
    apply_mapping,
    check_header,
    layout_of,
    missing_required,
)
from recon.readers.books.rows import drop_non_documents, mapped_rows, parse_values
from recon.readers.result import ReadResult
from recon.readers.tabular import Workbook, open_workbook

__all__ = ["DEFAULT_KIND_WORDS", "REQUIRED_HELP", "Layout", "guess_layout", "missing_required", "read_books"]


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
    layout = layout_of(wb, sheet, header_row)
    if sheet is not None or mapping or not layout.other_registers:
        return _read_sheet(wb, layout, mapping, recipient_gstin, kind_map, sheet_chosen=sheet is not None)
    # One sheet per month (or per branch): every sheet laid out as a register is read, in workbook order.
    names = [n for n in wb.sheet_names if n == layout.sheet or n in layout.other_registers]
    results = [
        _read_sheet(
            wb,
            layout if n == layout.sheet else layout_of(wb, n, header_row),
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
    field_map = apply_mapping(layout, mapping)
    check_header(layout, field_map, bool(mapping))
    ctx = Context(name, layout.sheet, wb.file_format, field_map)
    _layout_warnings(layout, field_map, ctx, sheet_chosen)
    sheet = layout.sheet if wb.file_format != "csv" else wb.sheet_names[0]
    rows = mapped_rows(wb.grid(sheet).cells, layout, field_map)
    wb.release(sheet)  # the typed rows below need only the mapped columns, not the whole sheet
    rows_total = rows.height
    rows, skipped = drop_non_documents(rows, ctx)
    if rows.is_empty():
        raise InputError(
            "the register has a header but no document rows below it.",
            **ctx.where(layout.header_row),
            hint="Export the register again with its entries (check the period selected in the ERP).",
        )
    rows = parse_values(rows, ctx, wb)
    rows = row_kinds(rows, ctx, field_map, kind_map)
    docs = group_documents(rows, field_map)
    del rows  # one row per line is no longer needed: its memory goes before the documents' checks
    docs = settle_signs(docs, ctx)
    docs = sanity_checks(docs, ctx)
    docs = identify(docs, ctx, recipient_gstin)
    docs = describe_codes(docs, ctx)
    docs = check_large_numbers(docs, ctx, wb, field_map)
    docs = doc_warnings(docs)
    recipients = _recipient_warnings(docs, field_map, recipient_gstin, ctx)
    docs = model.conform(docs.select([c for c in docs.columns if c in model.SCHEMA]))
    limits.refuse_unusable_amounts(docs, name)
    docs = model.with_content_hash(docs)
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


def _layout_warnings(layout: Layout, field_map: dict[str, str], ctx: Context, sheet_chosen: bool) -> None:
    """What the layout itself tells the user: repeated headers, no invoice date, other sheets."""
    if layout.duplicate_headers:
        ctx.warn(
            f"the header row repeats column names {listing(layout.duplicate_headers)}; later copies were "
            "renamed with (2), (3) ... — check the mapping uses the right one.",
            layout.header_row,
        )
    if "doc_date" not in field_map:
        ctx.warn(
            "no supplier invoice date column: voucher dates are used as document dates.", layout.header_row
        )
    if layout.other_registers and not sheet_chosen:
        ctx.warn(
            f"sheets {listing(layout.other_registers, 12)} also look like purchase registers, but only "
            f"'{layout.sheet}' was read (a column mapping is for one sheet): load each sheet with its mapping."
        )
    if layout.unreadable_sheets:
        ctx.warn(f"sheets {listing(layout.unreadable_sheets)} could not be read and were skipped.")


def _recipient_warnings(
    docs: pl.DataFrame, field_map: dict[str, str], recipient_gstin: str | None, ctx: Context
) -> list[str]:
    """The recipient GSTINs the register's own column names (several branches), with warnings."""
    recipients = [g for g in docs.get_column("recipient_gstin").unique().sort().to_list() if g]
    if "recipient_gstin" not in field_map:
        return recipients
    if len(recipients) > 1:
        ctx.warn(
            f"the register holds purchases of {len(recipients)} recipient GSTINs: {', '.join(recipients)}."
        )
    if recipient_gstin and set(recipients) - {gstin_rules.clean(recipient_gstin)}:
        ctx.warn(
            f"recipient GSTIN {gstin_rules.clean(recipient_gstin)} was given, but the register's own column "
            "names others; each document keeps the register's value."
        )
    return recipients


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
            f"read {len(results)} sheets laid out as purchase registers: {listing([r.sheet for r in results], 24)} "
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


def guess_layout(
    data: bytes, name: str, *, sheet: str | None = None, header_row: int | None = None
) -> Layout:
    """Sheet names, the chosen sheet and header row, headers, the guessed mapping and per-field candidates."""
    # The layout is guessed from the whole sheet: a register too large to read is refused here already.
    with limits.zip_judged(data, name):
        memory.refuse_past_budget(data, name)
        return layout_of(open_workbook(data, name), sheet, header_row)
