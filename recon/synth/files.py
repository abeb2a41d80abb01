"""Writing a generated corpus to the files a consultant would have: registers, IMS and 2B downloads.

Bytes are deterministic for a seed (fixed workbook timestamps, fixed JSON key order), so a test can
compare two runs file by file.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import polars as pl
import xlsxwriter

from recon import jsonio
from recon.synth.generate import GSTR2B_FILE, IMS_FILE, Corpus
from recon.synth.gstr2b_excel import GSTR2B_EXCEL_FILE, write_gstr2b_excel
from recon.synth.layouts import LAYOUTS, SHEET_NAMES, Sheet, format_date, render
from recon.synth.register import books_frame

FORMATS = ("xlsx", "csv")
TRUTH_FILE = "truth.csv"
_FIXED_TIME = datetime(2025, 12, 1, 10, 0, 0)


def books_file_name(layout: str, fmt: str) -> str:
    return f"books_{layout}.{fmt}"


def write_files(
    corpus: Corpus,
    folder: Path | str,
    *,
    layouts: tuple[str, ...] = LAYOUTS,
    formats: tuple[str, ...] = FORMATS,
) -> dict[str, Path]:
    """Write the books in each layout and format, ims.json, gstr2b.json, gstr2b.xlsx and truth.csv.

    Returns file name -> path.
    """
    if corpus.ims_payload is None:
        raise ValueError("a fast-mode corpus has no portal records to write; generate it with fast=False")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for layout in layouts:
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}; choose from {', '.join(LAYOUTS)}")
        for fmt in formats:
            name = books_file_name(layout, fmt)
            sheet = render(layout, corpus.register, corpus.client.name, fmt)
            path = folder / name
            if fmt == "xlsx":
                write_xlsx(sheet, path)
            elif fmt == "csv":
                path.write_bytes(csv_bytes(sheet))
            else:
                raise ValueError(f"unknown format {fmt!r}; choose xlsx or csv")
            written[name] = path
    written[IMS_FILE] = _write_text(folder / IMS_FILE, jsonio.dumps_exact(corpus.ims_payload, indent=1))
    written[GSTR2B_FILE] = _write_text(
        folder / GSTR2B_FILE, jsonio.dumps_exact(corpus.gstr2b_payload, indent=1)
    )
    written[GSTR2B_EXCEL_FILE] = write_gstr2b_excel(corpus, folder / GSTR2B_EXCEL_FILE)
    written[TRUTH_FILE] = _write_text(folder / TRUTH_FILE, truth_csv(corpus.truth))
    return written


def books_as_read(corpus: Corpus, layout: str, fmt: str) -> pl.DataFrame:
    """The canonical books a reader must make of ``books_<layout>.<fmt>`` (corpus.books is generic/xlsx)."""
    return books_frame(
        corpus.register,
        corpus.client.gstin,
        layout=layout,
        file_name=books_file_name(layout, fmt),
        sheet=SHEET_NAMES[layout] if fmt == "xlsx" else None,  # a CSV has no sheets
    )


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def _cell_text(value, sheet: Sheet) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return format_date(value, sheet.date_format)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def csv_bytes(sheet: Sheet) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    width = len(sheet.header)
    for row in sheet.title:
        writer.writerow([_cell_text(v, sheet) for v in row] + [""] * (width - len(row)))
    writer.writerow(sheet.header)
    for row in [*sheet.rows, *sheet.footer]:
        writer.writerow([_cell_text(v, sheet) for v in row])
    return ("\ufeff" if sheet.csv_bom else "").encode("utf-8") + out.getvalue().encode("utf-8")


def write_xlsx(sheet: Sheet, path: Path) -> None:
    """One worksheet; document numbers always as text cells (a 16-digit number must never become a float)."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    book.set_properties({"created": _FIXED_TIME, "author": "recon.synth"})
    ws = book.add_worksheet(sheet.name)
    bold = book.add_format({"bold": True})
    date_fmt = book.add_format({"num_format": sheet.excel_date_format})
    money_fmt = book.add_format({"num_format": "#,##0.00"})
    r = 0
    for row in sheet.title:
        ws.write_row(r, 0, row, bold)
        r += 1
    ws.write_row(r, 0, sheet.header, bold)
    r += 1
    for row in [*sheet.rows, *sheet.footer]:
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, date):
                if sheet.dates_as_text:
                    ws.write_string(r, c, format_date(value, sheet.date_format))
                else:
                    ws.write_datetime(r, c, datetime(value.year, value.month, value.day), date_fmt)
            elif isinstance(value, float):
                ws.write_number(r, c, value, money_fmt)
            else:
                ws.write_string(r, c, str(value))
        r += 1
    ws.set_column(0, len(sheet.header) - 1, 16)
    book.close()


def truth_csv(truth: pl.DataFrame) -> str:
    flat = truth.with_columns(pl.col("expected_differences").list.join("|"))
    return flat.write_csv()
