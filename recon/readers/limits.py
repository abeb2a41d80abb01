"""What a file may hold before it is no purchase data at all.

Each reader refuses a bad cell or field where it reads it. These checks come before and after that: a zip
(or .xlsx) that would unpack past any real file is refused before it is opened, and amounts that only go
wrong once a document is put together (rate rows summed past any real amount) before documents are kept.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from contextlib import contextmanager
from contextvars import ContextVar

import polars as pl

from recon import model, normalise
from recon.errors import InputError

_LABELS = {
    "taxable_value": "taxable value",
    "igst": "IGST",
    "cgst": "CGST",
    "sgst": "SGST",
    "cess": "cess",
    "doc_value": "document value",
}


def refuse_unusable_amounts(docs: pl.DataFrame, file: str) -> None:
    """InputError naming the first document whose amount is NaN, infinite or beyond any real amount."""
    present = [c for c in model.AMOUNT_COLUMNS if c in docs.columns]
    if docs.is_empty() or not present:
        return
    unusable = pl.any_horizontal([~normalise.amount_usable_expr(pl.col(c)).fill_null(True) for c in present])
    bad = docs.filter(unusable)
    if bad.is_empty():
        return
    doc = bad.row(0, named=True)
    column = next(c for c in present if normalise.amount_problem(doc[c] if doc[c] is not None else 0.0))
    problem = normalise.amount_problem(doc[column])
    more = f" ({bad.height - 1} more document(s) alike)" if bad.height > 1 else ""
    raise InputError(
        f"{_document_words(doc)}: its {_LABELS[column]} comes to {doc[column]:.2f}, which {problem}{more}",
        file=file,
        sheet=doc.get("origin_sheet") if doc.get("source") == "books" else None,
        hint="Check the amounts of that document's rows in the file; a stray digit or a unit mix-up "
        "(paise for rupees) is the usual cause.",
    )


def _document_words(doc: dict) -> str:
    """'document K-1 of supplier 32AB... (rows 4, 5)' or '(section 'b2b', document 3)'."""
    number = doc.get("doc_no") or "(no number)"
    supplier = f" of supplier {doc['supplier_gstin']}" if doc.get("supplier_gstin") else ""
    rows = doc.get("origin_rows") or []
    if doc.get("source") == "books":
        place = f"row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:10]))}" if rows else ""
    else:
        section = doc.get("origin_sheet") or doc.get("section")
        place = ", ".join(
            p for p in (f"section '{section}'" if section else "", f"document {rows[0]}" if rows else "") if p
        )
    return f"document '{number}'{supplier}" + (f" ({place})" if place else "")


# A zip (an .xlsx is one) is judged by what its directory declares, before anything is unpacked. The
# largest registers we read unpack to a few hundred MB; 2 GiB leaves room and still keeps a server alive.
MAX_UNZIPPED_BYTES = 2 * 1024**3
# Sheet XML packs about 5 to 20 times (a million formatted blank rows: 13 times); a member packed 100
# times or more and larger than 16 MiB unpacked is built to explode, not a spreadsheet.
MAX_PACKING_RATIO = 100
_RATIO_FROM_BYTES = 16 * 1024**2
_ZIP_MAGIC = b"PK\x03\x04"


# The bytes already judged in this read: read() judges a file once, the workbook opener under it skips them.
_JUDGED: ContextVar[int | None] = ContextVar("zip_judged", default=None)


@contextmanager
def zip_judged(data: bytes, name: str):
    """Run a read with ``data`` judged once by :func:`refuse_zip_bomb` (raises before the block when refused)."""
    refuse_zip_bomb(data, name)
    token = _JUDGED.set(id(data))
    try:
        yield
    finally:
        _JUDGED.reset(token)


def refuse_zip_bomb(data: bytes, name: str) -> None:
    """InputError when a zip (or workbook) would unpack to more than the limit or is packed like a bomb.

    Judged from the zip's directory, and from the length of each packed stream (counted, not kept), before
    any reader opens it. A damaged zip passes: the reader that opens it says what is wrong.
    """
    if data[:4] != _ZIP_MAGIC or _JUDGED.get() == id(data):
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED_BYTES:
        raise _bomb_error(
            name,
            f"unpacked, it would take {_size(total)}, more than the {_size(MAX_UNZIPPED_BYTES)} a file may take",
        )
    for member in members:
        packed, unpacked = member.compress_size, member.file_size
        if member.compress_type == zipfile.ZIP_STORED:
            continue
        if unpacked > _RATIO_FROM_BYTES and unpacked > MAX_PACKING_RATIO * max(packed, 1):
            raise _bomb_error(
                name,
                f"its part '{member.filename}' would unpack from {_size(packed)} to {_size(unpacked)}, "
                f"{unpacked // max(packed, 1):,} times its packed size: no spreadsheet packs like that",
            )
        # A part may declare less than it unpacks to, and the workbook library reads on to the real end:
        # the deflate stream itself is measured (as fast as unpacking; nothing is kept).
        if member.compress_type == zipfile.ZIP_DEFLATED and _inflates_past(data, member, unpacked + 1024):
            raise _bomb_error(
                name,
                f"its part '{member.filename}' declares {_size(unpacked)} unpacked but holds more: "
                "the declared sizes are false",
            )


def _inflates_past(data: bytes, member: zipfile.ZipInfo, limit: int) -> bool:
    """Whether the member's deflate stream unpacks to more than ``limit`` bytes (counted, not kept)."""
    name_length, extra_length = struct.unpack_from("<HH", data, member.header_offset + 26)
    start = member.header_offset + 30 + name_length + extra_length
    packed = memoryview(data)[start : start + member.compress_size]
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    try:
        for offset in range(0, len(packed), _CHUNK):
            pending = packed[offset : offset + _CHUNK]
            while pending:
                produced += len(inflater.decompress(pending, _CHUNK))
                if produced > limit:
                    return True
                pending = inflater.unconsumed_tail
    except zlib.error:
        return False  # damaged: the reader that opens it says so
    return False


_CHUNK = 1 << 20


def _bomb_error(name: str, problem: str) -> InputError:
    return InputError(
        f"refused before reading: {problem}",
        file=name,
        hint="If this is a genuine file, export or download it again (a register may also be saved as CSV).",
    )


def _size(count: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"
