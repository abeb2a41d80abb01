"""Open a spreadsheet or CSV as a grid of text cells, and find its header row.

Everything is read as text: a document number must never pass through a float (``123`` stays "123",
``00123`` stays "00123"). Excel files go through calamine (via fastexcel, Rust, straight to Arrow) — openpyxl
is several times slower on a 100,000-row register. CSV is decoded here (UTF-8 with or without BOM, UTF-16
with BOM, cp1252) and split by polars (the ``csv`` module when quoting is odd) so that every record keeps
the row number a spreadsheet would show. An HTML table saved as ".xls" (what many web ERPs call "Export to Excel") is read
with the standard library's HTML parser, one ``<tr>`` per row, each ``<table>`` a sheet.

A :class:`Grid` row ``i`` (0-based) is spreadsheet row ``i + 1``. Columns are ``c0, c1, ...`` in sheet order
(fastexcel drops leading empty columns; nothing here depends on column letters).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import polars as pl

from recon.errors import InputError
from recon.readers.limits import refuse_zip_bomb

MAX_HEADER_SCAN = 30  # report titles above the header: company, "Purchase Register", period ...

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
)
_RESAVE = "Open it in Excel and save it as .xlsx (or export the register again), then load that file."


@dataclass
class Grid:
    """One sheet as text cells: ``cells`` has String columns c0..cN, row i = spreadsheet row i+1."""

    sheet: str | None
    cells: pl.DataFrame


@dataclass
class Workbook:
    """An opened file: its format, its sheet names and a loader per sheet (loaded once, cached)."""

    file: str
    file_format: str  # xlsx, xlsm, xls, xlsb, csv
    sheet_names: list[str]
    _load: Callable[[str], pl.DataFrame]
    _cache: dict[str, Grid] = field(default_factory=dict)
    data: bytes = b""

    def grid(self, sheet: str) -> Grid:
        if sheet not in self._cache:
            self._cache[sheet] = Grid(sheet if self.file_format != "csv" else None, self._load(sheet))
        return self._cache[sheet]

    def release(self, sheet: str) -> None:
        """Forget a sheet's cells once its rows are taken: a large register's grid is not held twice."""
        self._cache.pop(sheet, None)


# ---------------------------------------------------------------------------------------------------
# What kind of file is this?
# ---------------------------------------------------------------------------------------------------


def file_format(data: bytes, name: str) -> str:
    """xlsx / xlsm / xlsb / xls / csv, or an InputError that says what the file really is."""
    if not data or not data.strip(b"\x00 \t\r\n"):
        raise InputError("the file is empty.", file=name, hint="Export the purchase register again.")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _zip_format(data, name)
    if data.startswith(_CFB_MAGIC):
        return _cfb_format(data, name)
    for magic, what in _OTHER_MAGIC:
        if data.startswith(magic):
            raise InputError(
                f"this is {what}, not a spreadsheet (only the file name says otherwise).",
                file=name,
                hint="Export the purchase register from your accounting software as Excel or CSV.",
            )
    text_start = _text_start(data)
    if text_start.startswith(("{", "[")):
        raise InputError(
            f"this is {describe_json(data)}, not a purchase register.",
            file=name,
            hint="Load portal JSON as IMS / GSTR-2B / GSTR-2A (python -m recon read FILE --kind ims); "
            "purchase books must be Excel or CSV.",
        )
    lowered = text_start[:400].lower()
    if lowered.startswith(("<html", "<!doctype html", "<table")) or "<html" in lowered:
        # Web ERPs and some desktop ones "export to Excel" as an HTML table named .xls; Excel opens it.
        if b"<table" not in data.lower():
            raise InputError(
                "this is a web page (HTML) saved under a spreadsheet name, and it holds no table.",
                file=name,
                hint=_RESAVE,
            )
        return "html"
    if lowered.startswith("<?xml"):
        raise InputError(
            "this is an XML file (Excel 2003 XML or similar), not a workbook.", file=name, hint=_RESAVE
        )
    if b"\x00" in data[:4096] and not data.startswith(_UNICODE_BOMS) and not utf16_without_bom(data):
        raise InputError(
            "this is a binary file of an unknown kind, not a spreadsheet or CSV.",
            file=name,
            hint="Export the purchase register as Excel (.xlsx) or CSV.",
        )
    return "csv"


def _zip_format(data: bytes, name: str) -> str:
    refuse_zip_bomb(data, name)
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise InputError(
            "the workbook is corrupt or truncated (its ZIP structure cannot be read).",
            file=name,
            hint="Download or export it again; if Excel can open it, save it again as .xlsx.",
        ) from None
    if "xl/workbook.xml" in names:
        macro = "xl/vbaProject.bin" in names or name.lower().endswith(".xlsm")
        return "xlsm" if macro else "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if any(n.startswith("word/") for n in names):
        what = "a Word document"
    elif any(n.startswith("ppt/") for n in names):
        what = "a PowerPoint file"
    elif "content.xml" in names:
        what = "an OpenDocument file"
    else:
        what = "a ZIP archive"
    raise InputError(
        f"this is {what}, not an Excel workbook.",
        file=name,
        hint="Unzip it or export the purchase register as Excel (.xlsx) or CSV.",
    )


def _cfb_format(data: bytes, name: str) -> str:
    # An encrypted .xlsx is an OLE compound file holding "EncryptionInfo" and "EncryptedPackage"
    # streams (MS-OFFCRYPTO); directory entry names are UTF-16LE.
    if "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data:
        raise InputError(
            "the workbook is password-protected (encrypted), so it cannot be read.",
            file=name,
            hint="Open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with "
            "Password, clear it), save, and load it again.",
        )
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "xls"
    raise InputError(
        "this is an old-style Office file (Word or other) that holds no workbook.",
        file=name,
        hint="Export the purchase register as Excel (.xlsx) or CSV.",
    )


def _text_start(data: bytes) -> str:
    head = data[:2048]
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(enc, errors="ignore").lstrip()
    return head.decode("latin-1").lstrip()


def describe_json(data: bytes) -> str:
    """What a JSON file looks like: an IMS download, a GSTR-2B, a GSTR-1 ... (for error messages)."""
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "a JSON-like text file"
    if isinstance(obj, dict):
        inner = obj.get("data") if isinstance(obj.get("data"), dict) else obj
        if isinstance(inner.get("data"), dict):
            inner = inner["data"]
        keys = set(inner)
        if "docdata" in keys or "itcsumm" in keys:
            return "a GSTR-2B JSON"
        if "imsDetails" in obj or keys & {"b2bcn", "b2bdn", "b2bcna", "b2bdna"} and "fp" not in keys:
            return "an IMS download (JSON)"
        if "fp" in keys and keys & {"b2cs", "b2cl", "hsn", "doc_issue", "nil", "exp", "b2csa"}:
            return "a GSTR-1 return (JSON)"
        if "fp" in keys and keys & {"b2b", "cdn", "isd", "impg"}:
            return "a GSTR-2A JSON (or a GSTR-1 JSON)"
        if keys & {"b2b", "b2ba"}:
            return "an IMS download (JSON)"
    return "a JSON file"


# ---------------------------------------------------------------------------------------------------
# Opening
# ---------------------------------------------------------------------------------------------------


def open_workbook(data: bytes, name: str) -> Workbook:
    fmt = file_format(data, name)
    if fmt == "csv":
        workbook = Workbook(name, "csv", [name], lambda _sheet: csv_cells(data, name), data=data)
        workbook.grid(name)  # split now: a CSV that cannot be split is refused as it is opened
        return workbook
    if fmt == "html":
        tables = html_tables(data, name)
        return Workbook(name, "html", list(tables), tables.__getitem__, data=data)
    return _open_excel(data, name, fmt)


def _open_excel(data: bytes, name: str, fmt: str) -> Workbook:
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
        sheet_names = list(reader.sheet_names)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:  # calamine's errors, and a Rust panic (BaseException) on a damaged file
        raise InputError(
            f"the workbook cannot be opened ({_short(err)}); it may be corrupt, truncated or password-protected.",
            file=name,
            hint="Download or export it again; if Excel can open it, save it again as .xlsx.",
        ) from None

    def load(sheet: str) -> pl.DataFrame:
        try:
            # skip_rows=0 keeps leading blank rows, so frame row i is spreadsheet row i+1.
            loaded = reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string")
            frame = pl.DataFrame(loaded)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as err:  # as above: a damaged sheet can make calamine panic
            raise InputError(
                f"the sheet cannot be read ({_short(err)}).",
                file=name,
                sheet=sheet,
                hint="Open the file in Excel, save it again as .xlsx and load that.",
            ) from None
        return frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})

    return Workbook(name, fmt, sheet_names, load, data=data)


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:160]


# ---------------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------------

DELIMITERS = (",", ";", "\t", "|")


_UNICODE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' for text saved as UTF-16 without its mark (every other byte zero), else None.

    Some export tools write "Unicode text" that way; read as bytes it looks binary.
    """
    sample = data[:4096]
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding): BOMs first, then strict UTF-8, then cp1252 (Excel's 'CSV' on Indian Windows)."""
    encoding = text_encoding(data, name)
    return data.decode(encoding), encoding


def text_encoding(data: bytes, name: str) -> str:
    """The encoding :func:`decode_text` reads ``data`` in, judged piece by piece (no copy of the text)."""
    for bom, enc in (
        # UTF-32's marks start like UTF-16's: they are tried first.
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            if _decodes(data, enc):
                return enc
            raise InputError(
                f"the text file starts like {enc.upper()} but cannot be decoded as such.",
                file=name,
                hint="Save it again as 'CSV UTF-8' from Excel.",
            )
    wide = utf16_without_bom(data)
    if wide and _decodes(data, wide):
        return wide
    for enc in ("utf-8", "cp1252"):
        if _decodes(data, enc):
            return enc
    return "latin-1"


_PIECE = 1 << 22  # text is judged and converted 4 MB at a time, so no step holds a second copy of a file


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether the whole of ``data`` decodes strictly as ``encoding`` (each piece decoded, then dropped)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    view = memoryview(data)
    try:
        for offset in range(0, len(data), _PIECE):
            decoder.decode(view[offset : offset + _PIECE])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the most sample lines into the same, largest number of fields.

    Title lines above the header have one field whatever the delimiter, so they do not vote.
    """
    best, best_score = ",", (0, 0)
    for delim in DELIMITERS:
        counts: dict[int, int] = {}
        for row in csv.reader(lines, delimiter=delim):
            if len(row) > 1:
                counts[len(row)] = counts.get(len(row), 0) + 1
        if not counts:
            continue
        width, lines_with_width = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        score = (lines_with_width, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def csv_cells(data: bytes, name: str) -> pl.DataFrame:
    """The CSV's cells as String columns c0..cN, row i = spreadsheet row i+1, blank cells null.

    polars splits the bytes themselves: a UTF-8 file (the usual export) is read as it is, and other
    encodings and old Mac line ends are first converted piece by piece, so that no full copy of the text
    as one Python string is ever held (a register of several hundred MB must fit the server's memory).
    """
    body = _utf8_body(data, name)
    sample = _head_text(body).split("\n")[:200]
    # Excel's "sep=;" first line names the delimiter; it is kept as a blank row so rows keep their numbers.
    sep_line = bool(sample) and sample[0].lower().startswith("sep=") and len(sample[0].strip()) == 5
    delim = sample[0].strip()[4] if sep_line else sniff_delimiter(sample)
    if _blank(body, _after_first_line(body) if sep_line else 0):
        raise InputError("the file is empty.", file=name)
    try:
        return _polars_cells(body, delim, sep_line)
    except pl.exceptions.PolarsError:  # odd quoting: the standard library is more forgiving
        return pl.DataFrame(
            _tidied(_python_cells(_normalised_text(body, sep_line), delim, name).get_columns())
        )


def _utf8_body(data: bytes, name: str) -> bytes:
    """The file as UTF-8 with \\n or \\r\\n line ends: ``data`` itself when it is so already (a UTF-8
    mark is left for polars to skip), else converted piece by piece (old Mac \\r line ends become \\n)."""
    encoding = text_encoding(data, name)
    if encoding in ("utf-8", "utf-8-sig") and data.count(b"\r") == data.count(b"\r\n"):
        return data
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    view, parts, held = memoryview(data), [], ""
    for offset in range(0, len(data) + 1, _PIECE):
        final = offset + _PIECE >= len(data)
        piece = held + decoder.decode(view[offset : offset + _PIECE], final=final)
        # A \\r at the end of a piece may be the first half of a \\r\\n: it waits for the next piece.
        held = "\r" if piece.endswith("\r") and not final else ""
        piece = piece[:-1] if held else piece
        parts.append(piece.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8"))
        if final:
            break
    return b"".join(parts)


def _head_text(body: bytes) -> str:
    """The first 65,536 characters of the text, line ends as \\n (what the delimiter is sniffed from)."""
    head = codecs.getincrementaldecoder("utf-8-sig")("replace").decode(body[: 1 << 19])
    return head.replace("\r\n", "\n").replace("\r", "\n")[:65536]


def _after_first_line(body: bytes) -> int:
    end = body.find(b"\n")
    return len(body) if end < 0 else end + 1


def _blank(body: bytes, start: int) -> bool:
    """Whether the text from byte ``start`` on is only whitespace (decoded a piece at a time)."""
    # Only the file's first bytes can be its UTF-8 mark; elsewhere U+FEFF is text.
    decoder = codecs.getincrementaldecoder("utf-8" if start else "utf-8-sig")("replace")
    view = memoryview(body)
    for offset in range(start, len(body), _PIECE):
        if decoder.decode(view[offset : offset + _PIECE]).strip():
            return False
    return not decoder.decode(b"", final=True).strip()


def _widest_line(body: bytes, delim: str, start: int) -> int:
    """The most delimiters on one line (inside quotes too) from byte ``start`` on, a piece at a time."""
    mark, widest = delim.encode("utf-8"), 0
    while start < len(body):
        end = body.find(b"\n", start + _PIECE)
        end = len(body) if end < 0 else end
        widest = max(widest, max(line.count(mark) for line in body[start:end].split(b"\n")))
        start = end + 1
    return widest


def _polars_cells(body: bytes, delim: str, sep_line: bool) -> pl.DataFrame:
    """Split with polars (fast), straight from the bytes. The widest line fixes the width so that title
    lines, blank lines and short lines become rows padded with nulls: row i stays spreadsheet row i+1."""
    # An upper bound (delimiters inside quotes count too): extra columns are empty, never lost data.
    width = _widest_line(body, delim, _after_first_line(body) if sep_line else 0) + 1
    scan = pl.scan_csv(
        body,
        has_header=False,
        separator=delim,
        schema={f"c{i}": pl.String for i in range(width)},
        missing_columns="insert",
        extra_columns="ignore",
        truncate_ragged_lines=True,
        raise_if_empty=False,
        skip_lines=1 if sep_line else 0,
    )
    columns: list[pl.Series] = []
    for names in _column_groups(width):
        columns.extend(_split_columns(scan, names, sep_line, crlf=b"\r" in body))
    return pl.DataFrame(columns)


_SPLIT_PASSES = 4


def _column_groups(width: int) -> list[list[str]]:
    """The columns c0..c<width-1> in a few groups, split one group per pass over the text.

    polars splits a file in parallel pieces, and joining a column's pieces into one leaves the pieces'
    memory to the allocator for a moment: split all at once, that is nearly a second copy of the cells.
    A pass over the text costs far less than the cells it yields.
    """
    size = -(-width // _SPLIT_PASSES)
    return [[f"c{i}" for i in range(start, min(width, start + size))] for start in range(0, width, size)]


def _split_columns(scan: pl.LazyFrame, names: list[str], sep_line: bool, *, crlf: bool) -> list[pl.Series]:
    """The columns ``names`` of the CSV, tidied (see :func:`_tidied`)."""
    cells = scan.select(names).collect()
    if sep_line:
        cells = pl.concat([cells.clear(1), cells], rechunk=False)
    columns = cells.get_columns()
    del cells  # the list holds the only copy: each column tidied below replaces its old self
    return _tidied(columns, crlf=crlf)


def _tidied(columns: list[pl.Series], *, crlf: bool = False) -> list[pl.Series]:
    """Each column in one chunk, a quoted cell's \\r\\n as \\n, blank cells ("" quoted) as null, as calamine
    gives them for Excel files; a column at a time, in place, so that the frame is never held twice.

    polars splits a large file in parallel pieces, each column in as many chunks; every later step that
    puts a column of its own beside them (row numbers, a join's result) would copy the whole frame.
    """
    for i, column in enumerate(columns):
        if column.n_chunks() > 1:
            columns[i] = column = column.rechunk()
        if crlf and column.str.contains("\r", literal=True).any():
            columns[i] = column = column.str.replace_all("\r\n", "\n", literal=True)
        if (column == "").any():
            blank = pl.when(pl.first() == "").then(None).otherwise(pl.first())
            columns[i] = column = column.to_frame().select(blank.alias(column.name)).to_series()
    return columns


def _normalised_text(body: bytes, sep_line: bool) -> str:
    """The whole text with \\n line ends and the "sep=" line blank, for the standard library's reader."""
    text = body.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    if sep_line:
        text = text[text.index("\n") :] if "\n" in text else ""
    return text


def _python_cells(text: str, delim: str, name: str) -> pl.DataFrame:
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    except csv.Error as err:
        raise InputError(f"the CSV cannot be split into columns ({err}).", file=name) from None
    width = max((len(r) for r in rows), default=0)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for row in rows:
        for i in range(width):
            columns[i].append(row[i] if i < len(row) else None)
    return pl.DataFrame(
        {f"c{i}": col for i, col in enumerate(columns)}, schema={f"c{i}": pl.String for i in range(width)}
    )


# ---------------------------------------------------------------------------------------------------
# HTML tables saved as .xls
# ---------------------------------------------------------------------------------------------------


class _TableParser(HTMLParser):
    """Collects the cell texts of every <table>, row by row; colspan repeats nothing but keeps columns."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._open: list[int] = []  # indexes of the tables being read (nested tables are tables too)
        self._cell: list[str] | None = None
        self._span = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
            self._open.append(len(self.tables) - 1)
        elif tag == "tr" and self._open:
            self.tables[self._open[-1]].append([])
        elif tag in ("td", "th") and self._open:
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = int(span) if span.isdigit() and 0 < int(span) < 1000 else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self._close_cell()
        elif tag == "table" and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def _close_cell(self) -> None:
        rows = self.tables[self._open[-1]]
        if not rows:
            rows.append([])
        text = " ".join("".join(self._cell or []).split())
        rows[-1].extend([text] + [""] * (self._span - 1))
        self._cell, self._span = None, 1


def html_tables(data: bytes, name: str) -> dict[str, pl.DataFrame]:
    """Every table of an HTML 'spreadsheet' as a grid, named 'Table 1', 'Table 2' ... (one <tr> = one row)."""
    text, _encoding = decode_text(data, name)
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    grids = {}
    for i, rows in enumerate(parser.tables, start=1):
        width = max((len(r) for r in rows), default=0)
        if width == 0:
            continue
        columns = {
            f"c{c}": [(r[c] if c < len(r) and r[c] != "" else None) for r in rows] for c in range(width)
        }
        grids[f"Table {i}"] = pl.DataFrame(columns, schema={c: pl.String for c in columns})
    if not grids:
        raise InputError("this web page (HTML) has no table rows.", file=name, hint=_RESAVE)
    return grids


# ---------------------------------------------------------------------------------------------------
# Header rows
# ---------------------------------------------------------------------------------------------------


def header_texts(cells: pl.DataFrame, row: int) -> list[str]:
    """The cell texts of one grid row ('' for blanks)."""
    if row < 0 or row >= cells.height:
        return [""] * cells.width
    return [("" if v is None else str(v).strip()) for v in cells.row(row)]


def combined_headers(cells: pl.DataFrame, row: int, rank: Callable[[str], int | None]) -> list[str]:
    """Header names of ``row`` using the group row above it (two-row headers).

    A merged group cell ("Supplier Invoice" over "No. | Date") is carried right across the blank cells
    of its merge. A column whose own header is blank takes the group's; a column takes "group + own"
    when that is a better-ranked header than its own text ("Supplier Invoice" + "Date" beats a bare
    "Date", which would be the voucher date). ``rank`` gives a header's best synonym rank, or None.
    """
    own = header_texts(cells, row)
    group = header_texts(cells, row - 1)
    carried, last = [], ""
    for g in group:
        last = g or last
        carried.append(last)
    names = []
    for o, g, gc in zip(own, group, carried, strict=True):
        if not o:
            names.append(g)
            continue
        combined_rank = rank(f"{gc} {o}") if gc else None
        own_rank = rank(o)
        better = combined_rank is not None and (own_rank is None or combined_rank < own_rank)
        names.append(f"{gc} {o}" if better else o)
    return names


def unique_headers(names: list[str]) -> tuple[list[str], list[str]]:
    """(unique names, duplicated names): blanks become 'Column N'; repeats get ' (2)', ' (3)' ..."""
    seen: dict[str, int] = {}
    out, dupes = [], []
    for i, raw in enumerate(names):
        base = raw.strip() or f"Column {i + 1}"
        count = seen.get(base.lower(), 0) + 1
        seen[base.lower()] = count
        if count > 1:
            if raw.strip():
                dupes.append(base)
            out.append(f"{base} ({count})")
        else:
            out.append(base)
    return out, sorted(set(dupes))


def header_candidates(cells: pl.DataFrame) -> list[int]:
    """Rows worth scoring as a header: non-blank rows among the first MAX_HEADER_SCAN."""
    top = cells.head(MAX_HEADER_SCAN)
    if top.width == 0:
        return []
    filled = top.select(pl.sum_horizontal([pl.col(c).is_not_null() for c in top.columns]).alias("n"))
    return [i for i, n in enumerate(filled.get_column("n").to_list()) if n >= 2]
