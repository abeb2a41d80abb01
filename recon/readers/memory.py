"""How much memory reading a file would take, judged before it is read; too much is refused in words.

A server shared by a firm reads uploads for several consultants at once: one huge register must not take
the memory the others need. A reader holds the whole sheet, or a download's documents as they are made,
while it reads, so the peak follows the size of what is read: the text's bytes (CSV, HTML, JSON) or, for a
workbook, its sheets' unpacked XML and the cells their ``<dimension>`` declares. The factors below are measured peaks
(benchmarks/bench_read_memory.py) with some room; a file whose estimate passes the budget is refused
before a byte of it is parsed, saying what it holds and what to do.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
import zlib

from recon.errors import InputError

# One read may use this much memory (the setting IMS_WORKBENCH_READ_MB). 1.5 GB reads a register of about
# ten lakh rows from .xlsx and a CSV of about 300 MB (some twenty lakh rate-wise lines); a firm's server
# with more memory may raise it.
READ_BUDGET = int(os.environ.get("IMS_WORKBENCH_READ_MB") or 1536) * 1024**2
# Peak working memory per byte of a CSV register (measured 2.6-3.1x from 300 down to 50 MB, 5.3x at 13 MB
# where fixed costs weigh; more when polars' allocator keeps what it frees: recon/__init__.py), of other text
# such as HTML tables saved as .xls (up to 19x), and of portal JSON (a 30 MB IMS download or GSTR-2B: the
# read 4.7-5.5x, the whole import 6.4-6.6x, its records parsed a batch at a time: readers/portal_json.py).
# A CSV's factor keeps more than half again the measured peak as room: a narrower register than the
# benchmark's holds more rows per byte; so does JSON's over the import's: a download written without
# spaces, or with fewer fields per record, holds more documents per byte.
CSV_FACTOR = 5
TEXT_FACTOR = 20
JSON_FACTOR = 10
# A workbook: per byte of unpacked sheet XML (measured 1.2-3x) and per declared cell (up to ~115 bytes).
SHEET_XML_FACTOR = 4
CELL_BYTES = 150
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"')
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def refuse_past_budget(data: bytes, name: str, budget: int | None = None) -> None:
    """InputError when reading ``data`` would take more memory than one read may use."""
    budget = READ_BUDGET if budget is None else budget
    needed, what = estimate(data)
    if needed <= budget:
        return
    raise InputError(
        f"refused before reading: {what}; reading it would take about {_size(needed)} of the server's "
        f"memory, more than the {_size(budget)} one file may use",
        file=name,
        hint="Export a shorter period (a quarter or a month per file) or only the purchase columns, and "
        "import the parts with 'Add'; a server with more memory may raise IMS_WORKBENCH_READ_MB.",
    )


def estimate(data: bytes) -> tuple[int, str]:
    """(bytes a read would hold at its peak, what the file holds in words)."""
    if data[:4] == _ZIP_MAGIC:
        judged = _workbook_estimate(data)
        if judged is not None:
            return judged
    if data[:4] == _OLE_MAGIC:  # a legacy .xls: cells packed about as densely as text
        return len(data) * TEXT_FACTOR, f"the workbook is {_size(len(data))}"
    if data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return len(data) * JSON_FACTOR, f"the JSON file is {_size(len(data))}"
    head = data[:4096].lower()
    if b"<table" in head or b"<html" in head:  # a web page's table, read into Python lists
        return len(data) * TEXT_FACTOR, f"the file is {_size(len(data))} of text"
    return len(data) * CSV_FACTOR, f"the file is {_size(len(data))} of text"


def _workbook_estimate(data: bytes) -> tuple[int, str] | None:
    """From the zip's directory and each sheet's declared dimension; None when it is no workbook."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            sheets = [m for m in members if _is_sheet(m.filename)]
            if not sheets:
                return None
            strings = sum(m.file_size for m in members if m.filename.lower().endswith("sharedstrings.xml"))
            xml = sum(m.file_size for m in sheets) + strings
            cells, largest = 0, (0, 0, "")
            for member in sheets:
                rows, columns = _declared_dimension(archive, member)
                cells += rows * columns
                largest = max(largest, (rows, columns, member.filename))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError):
        return None  # damaged or encrypted: the reader that opens it says what is wrong
    needed = max(xml * SHEET_XML_FACTOR, cells * CELL_BYTES)
    if cells * CELL_BYTES >= xml * SHEET_XML_FACTOR and largest[0]:
        rows, columns, part = largest
        return (
            needed,
            f"its worksheet '{part.rsplit('/', 1)[-1]}' declares {rows:,} rows × {columns:,} columns",
        )
    return needed, f"its sheets unpack to {_size(xml)}"


def _is_sheet(filename: str) -> bool:
    lowered = filename.lower()
    return lowered.startswith("xl/worksheets/") and lowered.endswith((".xml", ".bin"))


def _declared_dimension(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> tuple[int, int]:
    """(rows, columns) the sheet's ``<dimension ref="A1:M100002">`` declares, from its first bytes; (0, 0)."""
    try:
        with archive.open(member) as part:
            head = part.read(4096)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError):
        return 0, 0
    found = _DIMENSION.search(head)
    if not found:
        return 0, 0
    first_col, first_row, last_col, last_row = found.groups()
    if last_col is None:
        return 1, 1
    rows = int(last_row) - int(first_row) + 1
    columns = _column_number(last_col) - _column_number(first_col) + 1
    return max(rows, 0), max(columns, 0)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - ord("A") + 1)
    return number


def _size(count: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"
