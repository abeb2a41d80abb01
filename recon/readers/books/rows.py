"""From sheet cells to typed rows: mapped columns, skipped totals and footers, amounts and dates.

Vectorised polars over the whole sheet; per-row Python only builds the messages for rows that fail.
"""

from __future__ import annotations

import io
import re
import zipfile

import polars as pl

from recon.errors import InputError
from recon.normalise import amount_usable_expr, parse_amount, parse_amount_expr, parse_date_expr, shortened
from recon.readers import synonyms
from recon.readers.books.context import MAX_LISTED_ROWS, Context
from recon.readers.books.layout import Layout
from recon.readers.tabular import Workbook

_TOTAL_LABEL = (
    r"(?i)^\s*(grand\s*total|sub\s*-?\s*total|total|totals|net\s+total|page\s+total|closing\s+balance|"
    r"opening\s+balance|carried\s+(over|forward)|brought\s+forward|c/f|b/f)\b"
)


def mapped_rows(cells: pl.DataFrame, layout: Layout, mapping: dict[str, str]) -> pl.DataFrame:
    """Data rows below the header: ``_row`` (spreadsheet row), ``_first`` (first cell) and one String
    column per mapped field, trimmed, blanks as null."""
    start = layout.header_row  # header_row is 1-based, so this is the first data row's 0-based index
    body = cells.slice(start)
    position = {h: i for i, h in enumerate(layout.headers)}
    # Each sheet column is cleaned once, and shared with the sheet when it needs no cleaning: a register
    # of a few hundred MB is not copied column by column (see _cleaned).
    cleaned: dict[tuple[str, bool], pl.Series] = {}

    def text_of(column: str, code: bool) -> pl.Series:
        if column not in body.columns:
            return pl.repeat(None, body.height, dtype=pl.String, eager=True)
        if (column, code) not in cleaned:
            cleaned[(column, code)] = _cleaned(body.get_column(column), code)
        return cleaned[(column, code)]

    columns = [
        pl.int_range(start + 1, start + 1 + body.height, dtype=pl.Int64, eager=True).alias("_row"),
        text_of(body.columns[0], False).alias("_first")
        if body.width
        else pl.repeat(None, body.height, dtype=pl.String, eager=True).alias("_first"),
    ]
    for fld, mapped in mapping.items():
        parts = synonyms.split_columns(mapped) if fld in synonyms.AMOUNT_FIELDS else [mapped]
        for i, header in enumerate(parts):
            name = fld if len(parts) == 1 else _part_name(fld, i)
            columns.append(text_of(f"c{position[header]}", fld in _CODE_FIELDS).alias(name))
    return pl.DataFrame(columns)


def _cleaned(column: pl.Series, code: bool) -> pl.Series:
    """A sheet column trimmed, blanks as null; a code ("'00123": the apostrophe Excel users type to keep
    a number as text, exported into CSV) without its apostrophe. Each step only where a cell needs it."""
    text = column.cast(pl.String)
    if text.str.contains(r"^\s|\s$").any():
        text = text.str.strip_chars()
    if (text == "").any():
        text = text.to_frame().select(_blank_as_null(pl.first())).to_series()
    if code and text.str.starts_with("'").any():
        text = text.str.strip_prefix("'").str.strip_chars()
    return text


def _blank_as_null(text: pl.Expr) -> pl.Expr:
    return pl.when(text == "").then(None).otherwise(text)


_CODE_FIELDS = ("doc_no", "original_doc_no", "voucher_no", "supplier_gstin", "recipient_gstin")


def _part_name(fld: str, i: int) -> str:
    """Column of the i-th ledger column feeding an amount field (synonyms.JOIN)."""
    return f"_part_{fld}_{i}"


def _field_columns(rows: pl.DataFrame, fld: str) -> list[str]:
    """The columns holding a field: itself, or its ledger parts before they are summed."""
    if fld in rows.columns:
        return [fld]
    return [c for c in rows.columns if c.startswith(f"_part_{fld}_")]


_VOID_STATUS = r"(?i)^\s*(void|voided|cancel+ed|deleted|draft|reversed)\b"


def drop_non_documents(rows: pl.DataFrame, ctx: Context) -> tuple[pl.DataFrame, int]:
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
    # A page title or footer that happens to sit in a mapped column: one text cell and nothing else.
    lonely = (pl.sum_horizontal([has[f] for f in fields]) == 1) & ~any_amount
    void = (
        pl.col("status").str.contains(_VOID_STATUS).fill_null(False)
        if "status" in rows.columns
        else pl.lit(False)
    )
    flagged = rows.with_columns(
        _skip=blank | total | ~identity | void | lonely | _repeated_header(rows, ctx),
        _skip_amounts=~blank & ~total & ~identity & any_amount,
        _void=void & ~blank,
    )
    stray = flagged.filter(pl.col("_skip_amounts")).get_column("_row").to_list()
    if stray:
        ctx.warn_rows("skipped a row with amounts but no supplier GSTIN, number or date", stray)
    voided = flagged.filter(pl.col("_void")).get_column("_row").to_list()
    if voided:
        ctx.warn_rows("skipped a void / cancelled / draft entry", voided, "status")
    # Only the kept rows' own columns are filtered (each filtered column is a copy): not the flags, nor
    # the first cell, which served the total labels above.
    skip = flagged.get_column("_skip")
    kept = rows.drop("_first")
    if skip.any():
        kept = kept.filter(~skip)
    return kept, rows.height - kept.height


def _repeated_header(rows: pl.DataFrame, ctx: Context) -> pl.Expr:
    """Print-style exports (Busy, Marg) repeat the header row on every page: such a row is no entry."""
    same = [
        (pl.col(fld).str.to_lowercase() == header.strip().lower()).fill_null(False)
        for fld, header in ctx.mapping.items()
        if fld in rows.columns and synonyms.JOIN not in header
    ]
    if len(same) < 2:
        return pl.lit(False)
    return pl.sum_horizontal(same) >= 2


def _bad_value_error(
    rows: pl.DataFrame, fld: str, ctx: Context, what: str, hint: str, column: str | None = None
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
    problem = f"is not {what}"
    if what == "an amount":
        problem = _amount_refusal(first[fld]) or problem
    return InputError(f"'{shortened(first[fld])}' {problem}{also}.", **where, hint=hint)


def _amount_refusal(text: str) -> str | None:
    """Why a cell that reads as a number is still refused as an amount (1e400, 1e20), or None."""
    try:
        parse_amount(text)
    except (ValueError, OverflowError) as err:
        refused = str(err).rsplit("' ", 1)[-1]  # the words after the quoted value
        return None if refused == "is not an amount" else refused
    return None


def parse_values(rows: pl.DataFrame, ctx: Context, wb: Workbook) -> pl.DataFrame:
    """Amounts and dates from text, with an error naming the first row that does not parse.

    ``rows`` is taken over: each text column leaves the frame as soon as its values replace it, so that a
    large register's texts are not all held until the last column is parsed.
    """
    for fld in synonyms.AMOUNT_FIELDS:
        columns = _field_columns(rows, fld)
        headers = synonyms.split_columns(ctx.mapping[fld]) if fld in ctx.mapping else []
        for column, header in zip(columns, headers, strict=False):
            value = _amounts(rows.get_column(column))
            bad = rows.get_column(column).is_not_null() & value.is_null()
            if bad.any():
                raise _bad_value_error(
                    rows.with_columns(bad.alias("_bad")),
                    column,
                    ctx,
                    "an amount",
                    "Amounts may use Indian commas, ₹/Rs., brackets or a minus for negatives; fix the cell and load again.",
                    column=header,
                )
            _replace(rows, value.alias(column))
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
        # Only the date column goes through the join: joining the whole frame would copy every column.
        value = rows.select(fld).join(distinct, on=fld, how="left", nulls_equal=True, maintain_order="left")
        parsed = value.get_column("_value")
        del value
        bad = rows.get_column(fld).is_not_null() & parsed.is_null()
        if bad.any():
            raise _bad_value_error(
                rows.with_columns(bad.alias("_bad")),
                fld,
                ctx,
                "a real date",
                "Dates are read day first (07-11-2025, 07/11/25, 07-Nov-2025); correct the cell and load again.",
            )
        _replace(rows, parsed.alias(fld))
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


def _replace(rows: pl.DataFrame, column: pl.Series) -> None:
    """Put ``column`` last in ``rows`` in place of the column of its name (the frame itself changes)."""
    rows.drop_in_place(column.name)
    rows.insert_column(rows.width, column)


def _amounts(text: pl.Series) -> pl.Series:
    """Amounts of a text column: numeric cells straight through, anything else via parse_amount_expr.

    Excel amount cells arrive as plain decimals ("30000.5"); only a column with Indian commas, ₹,
    brackets and the like needs the slower text rules.
    """
    direct = text.cast(pl.Float64, strict=False)
    usable = direct.to_frame("_v").select(amount_usable_expr(pl.col("_v")).fill_null(True).all()).item()
    plain = direct.null_count() == text.null_count() and usable
    if plain:
        return direct.round(2)
    return pl.concat(
        [
            text.slice(offset, _PARSE_BATCH).to_frame("_text").select(parse_amount_expr("_text")).to_series()
            for offset in range(0, max(text.len(), 1), _PARSE_BATCH)
        ]
    ).rechunk()


# The text rules make a dozen working copies of a column: a batch of rows at a time, they stay small.
_PARSE_BATCH = 1 << 16


def _dates_and_blanks(
    rows: pl.DataFrame, ctx: Context, wb: Workbook, amount_fields: list[str]
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
