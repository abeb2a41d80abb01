"""A generated corpus of bad and hostile files for every reader and both uploaders (issue 13, Build 3).

Each :class:`Hostile` is one file: its name, how to build its bytes, which uploader it is dropped on
(``books``: the purchase-register uploader, ``--kind books``; ``portal``: the portal uploader, recognised
by content) and what a consultant must see: ``refused`` (one clear error naming the file, and where it
applies the row / record and field), ``read`` (read, its text kept as text) or ``either`` (a lenient reader
may read it; if it refuses, the error is clear). Files are built in memory, in shapes our generator
never writes: portal JSON typed by hand with spaces after colons, a Tally register with title rows.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache

import openpyxl
from books_files import CLIENT, KERALA, TAMIL, UMBRA, csv_text, tally_grid, tally_row, xlsx_bytes
from portal_fixtures import b2b_row, gstr2b_workbook, ims_tool_workbook

PERIOD = "102025"


@dataclass(frozen=True)
class Hostile:
    id: str
    name: str
    build: Callable[[], bytes]
    uploader: str  # books | portal
    expect: str  # refused | read | either
    words: tuple[str, ...] = ()  # the error must carry each (refused only)
    kept: tuple[str, ...] = ()  # texts that must be stored exactly as written (read only)
    never: tuple[str, ...] = field(default=())  # texts no stored document may contain (read only)


# ---------------------------------------------------------------------------------------------------
# Templates, written as text so that any literal (NaN, 1e400, a 400-digit number) can be put in
# ---------------------------------------------------------------------------------------------------


def ims_json(
    *,
    val="1180.00",
    txval="1000.00",
    iamt="180.00",
    stin=f'"{KERALA}"',
    inum='"KL/118"',
    idt='"01-10-2025"',
    trdnm='"Kerala Agencies"',
    section="b2b",
) -> bytes:
    number_key = "nt_num" if section.endswith(("cn", "dn")) else "inum"
    date_key = "nt_dt" if section.endswith(("cn", "dn")) else "idt"
    return (
        f'{{"{section}": [\n  {{"stin": {stin}, "trdnm": {trdnm}, "{number_key}": {inum}, "{date_key}": {idt},\n'
        f'   "inv_typ": "R", "pos": "27", "val": {val}, "txval": {txval}, "iamt": {iamt}, "camt": 0, "samt": 0,\n'
        '   "cess": 0, "rtnprd": "102025", "srcform": "R1", "action": "N", "ispendactblocked": "N"}\n]}\n'
    ).encode()


def gstr2b_json(
    *, txval="1000", igst="180", ctin=f'"{UMBRA}"', inum='"U-7"', trdnm='"Umbra Traders"'
) -> bytes:
    return (
        f'{{"data": {{"gstin": "{CLIENT}", "rtnprd": "102025", "docdata": {{"b2b": [\n'
        f'  {{"ctin": {ctin}, "trdnm": {trdnm}, "supprd": "102025", "inv": [\n'
        f'    {{"inum": {inum}, "dt": "02-10-2025", "val": 1180, "txval": {txval}, "igst": {igst}, "cgst": 0,'
        ' "sgst": 0, "cess": 0, "pos": "27", "typ": "R", "rev": "N", "itcavl": "Y"}]}]}}}\n'
    ).encode()


def gstr2a_json(*, txval="2000.00", iamt="360.00", ctin=f'"{TAMIL}"', inum='"TN-9"') -> bytes:
    return (
        f'{{"gstin": "{CLIENT}", "fp": "102025", "b2b": [{{"ctin": {ctin}, "cfs": "Y", "inv": [\n'
        f'  {{"inum": {inum}, "idt": "12-Oct-25", "val": 2360.00, "pos": "27", "rchrg": "N", "inv_typ": "R",\n'
        f'   "itms": [{{"num": 1, "itm_det": {{"rt": 18, "txval": {txval}, "iamt": {iamt}, "camt": 0, "samt": 0,'
        ' "csamt": 0}}]}]}]}\n'
    ).encode()


def books_rows(**cells) -> list[list]:
    """A Tally register: title rows, Tally's header, two rate rows of one invoice and a Debit Note voucher.

    ``cells`` put a value into the second rate row (row 7): name, number, gstin, date, taxable, igst.
    """
    rows = [
        tally_row("UM-1", 1000, igst=180.0, cgst=0.0),
        tally_row("UM-1", 500, igst=25.0, cgst=0.0),
        tally_row("CN-4", 100, vtype="Debit Note", voucher="D/1", gstin=KERALA, igst=18.0, cgst=0.0),
    ]
    columns = {"name": 1, "number": 4, "date": 5, "gstin": 6, "taxable": 7, "igst": 8}
    for key, value in cells.items():
        rows[1][columns[key]] = value
        if key == "name":  # the document takes its name from its first rate row
            rows[0][columns[key]] = value
    return tally_grid(rows)


def books_csv(**cells) -> bytes:
    return csv_text(books_rows(**cells)).encode()


def books_xlsx(**cells) -> bytes:
    """The register as a workbook; text cells stay text even when they start with '=' (openpyxl)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Purchase Register"
    for r, row in enumerate(books_rows(**cells), start=1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = sheet.cell(r, c, value)
            if isinstance(value, str):
                cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def gstr2b_xlsx(*, taxable=1000, igst=180, name="Umbra Traders", number="U-7") -> bytes:
    row = b2b_row(
        UMBRA, name, number, "Regular", "02/10/2025", 1180, "Maharashtra", "No", 18, taxable, igst, 0, 0
    )
    return texts_stay_text(gstr2b_workbook([row], gstin=CLIENT))


def ims_tool_xlsx(*, taxable=1000, igst=180, name="Umbra Traders", number="U-7") -> bytes:
    row = [
        UMBRA,
        name,
        number,
        "Regular",
        "02-10-2025",
        1180,
        "No Action",
        "27-Maharashtra",
        taxable,
        igst,
        0,
        0,
        0,
        "",
        "GSTR-1",
        "102025",
        "Filed",
        "",
        "",
        "",
        "",
        "No",
        "No",
    ]
    return texts_stay_text(ims_tool_workbook([row]))


def texts_stay_text(xlsx: bytes) -> bytes:
    """The workbook with every cell openpyxl took for a formula ('=...') written back as text."""
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------
# Zips: bombs, false sizes, odd members
# ---------------------------------------------------------------------------------------------------


def _rezip(
    base: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, (replace or {}).get(info.filename, source.read(info.filename)))
        for name, content in (add or {}).items():
            archive.writestr(name, content)
    return out.getvalue()


@cache
def zeros_zip(name: str, size: int) -> bytes:
    """A one-member zip of ``size`` zero bytes (100 MB pack to about 100 KB), built once per test run."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive, archive.open(name, "w") as member:
        block = bytes(1024 * 1024)
        for _ in range(size // len(block)):
            member.write(block)
    return out.getvalue()


@cache
def bomb_xlsx(size: int = 100 * 1024 * 1024) -> bytes:
    """A real register's workbook whose sheet part is replaced by ``size`` zero bytes (packed ~1000 times)."""
    base = books_xlsx()
    source = zipfile.ZipFile(io.BytesIO(base))
    donor = zipfile.ZipFile(io.BytesIO(zeros_zip("xl/worksheets/sheet1.xml", size)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with (
                    donor.open(item.filename) as src,
                    archive.open(item.filename, "w", force_zip64=True) as dst,
                ):
                    while chunk := src.read(1024 * 1024):
                        dst.write(chunk)
            else:
                archive.writestr(item.filename, source.read(item.filename))
    return out.getvalue()


def with_declared_size(data: bytes, member: str, declared: int) -> bytes:
    """``data`` with the unpacked size of ``member`` written as ``declared`` in both zip headers."""
    raw = bytearray(data)
    info = next(i for i in zipfile.ZipFile(io.BytesIO(data)).infolist() if i.filename == member)
    struct.pack_into("<I", raw, info.header_offset + 22, declared)
    position = 0
    while (position := bytes(raw).find(b"PK\x01\x02", position)) >= 0:
        length = struct.unpack_from("<H", raw, position + 28)[0]
        if bytes(raw[position + 46 : position + 46 + length]) == member.encode():
            struct.pack_into("<I", raw, position + 24, declared)
        position += 4
    return bytes(raw)


def lying_xlsx() -> bytes:
    """A workbook whose sheet says it unpacks to 2 KB but holds 60 MB (a comment of spaces)."""
    base = books_xlsx()
    sheet = zipfile.ZipFile(io.BytesIO(base)).read("xl/worksheets/sheet1.xml")
    padded = sheet.replace(b"</worksheet>", b"<!--" + b" " * (60 * 1024 * 1024) + b"--></worksheet>")
    return with_declared_size(
        _rezip(base, {"xl/worksheets/sheet1.xml": padded}), "xl/worksheets/sheet1.xml", 2048
    )


def zip_of(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------
# XML tricks inside a workbook
# ---------------------------------------------------------------------------------------------------

LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]>\n"
)


def xml_trick_xlsx(part: str, trick: str) -> bytes:
    """A register whose ``part`` opens with a DTD: ``laughs`` (entity expansion) or ``xxe`` (a file)."""
    base = xlsx_bytes({"Purchase Register": books_rows()})
    content = zipfile.ZipFile(io.BytesIO(base)).read(part)
    body = content.split(b"?>", 1)[1] if content.startswith(b"<?xml") else content
    if trick == "laughs":
        prolog = LAUGHS
        body = body.replace(b"Umbra Traders", b"&lol9;", 1)
    elif trick == "xxe":
        prolog = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        body = body.replace(b"Umbra Traders", b"&xxe;", 1)
    else:  # parameter entity fetched from outside
        prolog = (
            b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY % ext SYSTEM "http://127.0.0.1:9/x.dtd"> %ext;]>\n'
        )
    return _rezip(base, {part: prolog + body})


# ---------------------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------------------

# Amount literals no document can carry, written into JSON as they would be typed.
BAD_JSON_AMOUNTS = {
    "nan": ("NaN", ("NaN",)),
    "infinity": ("Infinity", ("Infinity",)),
    "minus-infinity": ("-Infinity", ("-Infinity",)),
    "1e400": ("1e400", ("too large",)),
    "minus-1e400": ("-1E+400", ("too large",)),
    "1e20": ("1e20", ("too large",)),
    "400-digits": ("9" * 400, ("too large",)),
    "5000-digits": ("1" + "0" * 5000, ("too long",)),
    "text-nan": ('"NaN"', ("'NaN' is not an amount",)),
    "text-inf": ('"inf"', ("'inf'",)),
    "text-words": ('"one thousand"', ("'one thousand' is not an amount",)),
    "true": ("true", ("'True'",)),
    "list": ("[1000]", ("1000",)),
    "object": ('{"amount": 1000}', ("amount",)),
}
# Amounts that look odd but are amounts: the file is read.
ODD_JSON_AMOUNTS = {"rupee-text": '"₹ 1,000.00"', "negative": "-1000.00", "text-number": '"1000"'}

BAD_CELLS = {
    "nan": ("NaN", "'NaN' is not an amount"),
    "inf": ("inf", "too large"),
    "minus-infinity": ("-Infinity", "too large"),
    "1e400": ("1e400", "too large"),
    "1e20": ("1e20", "too large"),
    "crore-crore": ("1,00,00,00,00,00,00,000", "too large"),
    "formula": ("=1000*2", "is not an amount"),
    "html": ("<b>1000</b>", "is not an amount"),
    "words": ("one thousand", "is not an amount"),
    "two-numbers": ("1000 1800", "two numbers in one cell"),
}

HOSTILE_TEXTS = {
    "hyperlink-formula": '=HYPERLINK("http://evil.example/x","click")',
    "dde-formula": "+cmd|' /C calc'!A0",
    "minus-formula": "-2+3+cmd|' /C notepad'!A0",
    "at-formula": "@SUM(1+1)*cmd|' /C calc'!A0",
    "script-tag": "<script>alert('x')</script>",
    "img-onerror": '<img src=x onerror="alert(1)">',
    "markdown-link": "[Pay here](http://evil.example)",
    "markdown-image": "![x](http://evil.example/t.png)",
    "control-chars": "Umbra\x07\x1b[31m Traders",
    "right-to-left": "Umbra \u202eSRADART",
}


def corpus() -> list[Hostile]:
    cases: list[Hostile] = []
    cases += _amount_cases()
    cases += _nesting_cases()
    cases += _encoding_cases()
    cases += _zip_cases()
    cases += _xml_cases()
    cases += _oversize_cases()
    cases += _mixed_up_cases()
    cases += _gstin_cases()
    cases += _text_cases()
    cases += _date_cases()
    cases += _not_a_file_cases()
    return cases


def _amount_cases() -> list[Hostile]:
    cases = []
    for key, (literal, words) in BAD_JSON_AMOUNTS.items():
        cases.append(
            Hostile(
                f"ims-val-{key}",
                "ims.json",
                lambda v=literal: ims_json(val=v),
                "portal",
                "refused",
                ("ims.json", *words),
            )
        )
        cases.append(
            Hostile(
                f"2b-igst-{key}",
                "2b.json",
                lambda v=literal: gstr2b_json(igst=v),
                "portal",
                "refused",
                ("2b.json", *words),
            )
        )
        cases.append(
            Hostile(
                f"2a-txval-{key}",
                "2a.json",
                lambda v=literal: gstr2a_json(txval=v),
                "portal",
                "refused",
                ("2a.json", *words),
            )
        )
    for key, literal in ODD_JSON_AMOUNTS.items():
        cases.append(
            Hostile(f"ims-txval-{key}", "ims.json", lambda v=literal: ims_json(txval=v), "portal", "read")
        )
        cases.append(
            Hostile(f"2b-txval-{key}", "2b.json", lambda v=literal: gstr2b_json(txval=v), "portal", "read")
        )
    for key, (cell, word) in BAD_CELLS.items():
        words = ("row 7", "column 'Taxable Value'", word)
        cases.append(
            Hostile(
                f"books-csv-taxable-{key}",
                "register.csv",
                lambda c=cell: books_csv(taxable=c),
                "books",
                "refused",
                ("register.csv", *words),
            )
        )
        cases.append(
            Hostile(
                f"books-xlsx-text-taxable-{key}",
                "register.xlsx",
                lambda c=cell: books_xlsx(taxable=c),
                "books",
                "refused",
                ("register.xlsx", *words),
            )
        )
        cases.append(
            Hostile(
                f"2b-xlsx-igst-{key}",
                "2b.xlsx",
                lambda c=cell: gstr2b_xlsx(igst=c),
                "portal",
                "refused",
                ("2b.xlsx", "row 7"),
            )
        )
        cases.append(
            Hostile(
                f"ims-tool-igst-{key}",
                "ims-tool.xlsx",
                lambda c=cell: ims_tool_xlsx(igst=c),
                "portal",
                "refused",
                ("ims-tool.xlsx", "row 7"),
            )
        )
    for key, number in {"1e20": 1e20, "minus-1e20": -1e20, "1e300": 1e300}.items():
        cases.append(
            Hostile(
                f"books-xlsx-number-{key}",
                "register.xlsx",
                lambda n=number: books_xlsx(igst=n),
                "books",
                "refused",
                ("register.xlsx", "row 7", "column 'Integrated Tax Amount'", "too large"),
            )
        )
        cases.append(
            Hostile(
                f"2b-xlsx-number-{key}",
                "2b.xlsx",
                lambda n=number: gstr2b_xlsx(taxable=n),
                "portal",
                "refused",
                ("2b.xlsx", "too large"),
            )
        )
    cases.append(
        Hostile(
            "books-rate-rows-add-past-any-amount",
            "register.csv",
            lambda: csv_text(
                tally_grid(
                    [tally_row("UM-9", 9e12, igst=1.0, cgst=0.0), tally_row("UM-9", 9e12, igst=2.0, cgst=0.0)]
                )
            ).encode(),
            "books",
            "refused",
            ("register.csv", "document 'UM-9'", "rows 6, 7", "too large"),
        )
    )
    return cases


def _deep(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


def _nesting_cases() -> list[Hostile]:
    cases = []
    for depth in (100_000, 20_000, 5_000):
        cases.append(
            Hostile(
                f"json-array-{depth}-deep",
                "ims.json",
                lambda d=depth: _deep(d).encode(),
                "portal",
                "refused",
                ("ims.json", "nested too deeply"),
            )
        )
        cases.append(
            Hostile(
                f"json-object-{depth}-deep-in-section",
                "ims.json",
                lambda d=depth: ('{"b2b": ' + '{"a": ' * d + "1" + "}" * d + "}").encode(),
                "portal",
                "refused",
                ("ims.json", "nested too deeply"),
            )
        )
        cases.append(
            Hostile(
                f"json-{depth}-deep-as-amount",
                "ims.json",
                lambda d=depth: ims_json(val=_deep(d)),
                "portal",
                "refused",
                ("ims.json", "nested too deeply"),
            )
        )
        cases.append(
            Hostile(
                f"json-{depth}-deep-on-books-uploader",
                "register.json",
                lambda d=depth: _deep(d).encode(),
                "books",
                "refused",
                ("register.json",),
            )
        )
    for depth in (900, 400, 50):
        cases.append(
            Hostile(
                f"json-{depth}-deep-as-amount",
                "ims.json",
                lambda d=depth: ims_json(val=_deep(d)),
                "portal",
                "refused",
                ("ims.json", "field 'val'"),
            )
        )
        cases.append(
            Hostile(
                f"json-{depth}-deep-as-number",
                "ims.json",
                lambda d=depth: ims_json(inum=_deep(d)),
                "portal",
                "refused",
                ("ims.json", "field 'inum'"),
            )
        )
        cases.append(
            Hostile(
                f"json-{depth}-deep-as-2b-section",
                "2b.json",
                lambda d=depth: (
                    '{"data": {"gstin": "'
                    + CLIENT
                    + '", "docdata": {"b2b": '
                    + _deep(d, '{"ctin": "x"}')
                    + "}}}"
                ).encode(),
                "portal",
                "refused",
                ("2b.json",),
            )
        )
    return cases


def _encoding_cases() -> list[Hostile]:
    text = ims_json(trdnm='"Kérala Àgencies ₹"').decode()
    books = csv_text(books_rows(name="Umbra Trädérs")).replace("Umbra Traders", "Umbra Trädérs")
    cases = [
        Hostile(
            "ims-utf16-le-no-bom",
            "ims.json",
            lambda: text.encode("utf-16-le"),
            "portal",
            "refused",
            ("ims.json",),
        ),
        Hostile(
            "ims-utf16-be-bom",
            "ims.json",
            lambda: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
            "portal",
            "read",
        ),
        Hostile("ims-utf32", "ims.json", lambda: text.encode("utf-32"), "portal", "refused", ("ims.json",)),
        Hostile(
            "ims-latin1",
            "ims.json",
            lambda: text.replace("₹", "").encode("latin-1"),
            "portal",
            "refused",
            ("ims.json", "UTF-8"),
        ),
        Hostile(
            "ims-cp1252",
            "ims.json",
            lambda: text.replace("₹", "€").encode("cp1252"),
            "portal",
            "refused",
            ("ims.json", "UTF-8"),
        ),
        Hostile(
            "ims-ebcdic",
            "ims.json",
            lambda: text.replace("₹", "").encode("cp500"),
            "portal",
            "either",
            ("ims.json",),
        ),
        Hostile(
            "ims-shift-jis",
            "ims.json",
            lambda: text.replace("₹", "円").replace("é", "e").replace("À", "A").encode("shift_jis"),
            "portal",
            "either",
            ("ims.json",),
        ),
        Hostile(
            "ims-gzip-named-json",
            "ims.json",
            lambda: gzip.compress(text.encode()),
            "portal",
            "refused",
            ("ims.json",),
        ),
        Hostile(
            "ims-utf8-bom-twice",
            "ims.json",
            lambda: codecs.BOM_UTF8 * 2 + text.encode(),
            "portal",
            "either",
            ("ims.json",),
        ),
        Hostile(
            "ims-invalid-utf8-in-name",
            "ims.json",
            lambda: text.encode().replace(b"\xc3\xa9", b"\xc3\x28"),
            "portal",
            "refused",
            ("ims.json", "UTF-8"),
        ),
        Hostile(
            "ims-nul-bytes",
            "ims.json",
            lambda: text.encode().replace(b'"R"', b'"R\x00\x00"'),
            "portal",
            "either",
            ("ims.json",),
        ),
        Hostile(
            "books-utf16-bom",
            "register.csv",
            lambda: codecs.BOM_UTF16_LE + books.encode("utf-16-le"),
            "books",
            "read",
        ),
        Hostile(
            "books-utf16-no-bom",
            "register.csv",
            lambda: books.encode("utf-16-le"),
            "books",
            "read",
            kept=("Umbra Trädérs",),
        ),
        Hostile(
            "books-latin1",
            "register.csv",
            lambda: books.encode("latin-1"),
            "books",
            "read",
            kept=("Umbra Trädérs",),
        ),
        Hostile(
            "books-cp1252-rupee-words",
            "register.csv",
            lambda: books.replace("Trädérs", "Traders – Rs").encode("cp1252"),
            "books",
            "read",
        ),
        Hostile(
            "books-ebcdic",
            "register.csv",
            lambda: books.encode("cp500"),
            "books",
            "refused",
            ("register.csv",),
        ),
        Hostile(
            "books-utf32",
            "register.csv",
            lambda: books.encode("utf-32"),
            "books",
            "read",
            kept=("Umbra Trädérs",),
        ),
        Hostile(
            "books-nul-in-the-middle",
            "register.csv",
            lambda: books.encode().replace(b"UM-1", b"UM\x00-1", 1),
            "books",
            "either",
            ("register.csv",),
        ),
        Hostile(
            "books-mixed-line-ends",
            "register.csv",
            lambda: books.replace("\r\n", "\r", 3).encode(),
            "books",
            "either",
            ("register.csv",),
        ),
    ]
    return cases


def _zip_cases() -> list[Hostile]:
    bomb_words = ("refused before reading",)
    ims_text = ims_json()
    cases = []
    for uploader, name in (("books", "register.xlsx"), ("portal", "2b.xlsx")):
        cases += [
            Hostile(
                f"{uploader}-zip-bomb-as-xlsx", name, bomb_xlsx, uploader, "refused", (name, *bomb_words)
            ),
            Hostile(
                f"{uploader}-xlsx-declaring-3gb",
                name,
                lambda: with_declared_size(books_xlsx(), "xl/worksheets/sheet1.xml", 3 * 1024**3),
                uploader,
                "refused",
                (name, *bomb_words, "3.0 GB"),
            ),
            Hostile(
                f"{uploader}-xlsx-declaring-less-than-it-holds",
                name,
                lying_xlsx,
                uploader,
                "refused",
                (name, *bomb_words, "declared sizes are false"),
            ),
            Hostile(
                f"{uploader}-xlsx-with-a-nested-bomb",
                name,
                lambda: _rezip(books_xlsx(), add={"xl/media/inner.zip": bomb_xlsx()}),
                uploader,
                "either",
                (name,),
            ),
            Hostile(
                f"{uploader}-xlsx-truncated", name, lambda: books_xlsx()[:3000], uploader, "refused", (name,)
            ),
            Hostile(
                f"{uploader}-xlsx-without-workbook-part",
                name,
                lambda: zip_of({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"<x/>"}),
                uploader,
                "refused",
                (name,),
            ),
            Hostile(
                f"{uploader}-xlsx-garbage-sheet-xml",
                name,
                lambda: _rezip(books_xlsx(), {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row"}),
                uploader,
                "refused",
                (name,),
            ),
            Hostile(
                f"{uploader}-docx-renamed",
                name,
                lambda: zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
                uploader,
                "refused",
                (name, "Word") if uploader == "books" else (name,),
            ),
            Hostile(f"{uploader}-empty-zip", name, lambda: zip_of({}), uploader, "refused", (name,)),
        ]
    cases += [
        Hostile(
            "portal-zip-bomb-of-json",
            "2b-parts.zip",
            lambda: zeros_zip("2b_1.json", 300 * 1024**2),
            "portal",
            "refused",
            ("2b-parts.zip", *bomb_words),
        ),
        Hostile(
            "portal-zip-of-60-json",
            "2b-parts.zip",
            lambda: zip_of({f"part{i}.json": ims_text for i in range(60)}),
            "portal",
            "refused",
            ("2b-parts.zip",),
        ),
        Hostile(
            "portal-zip-path-traversal",
            "2b-parts.zip",
            lambda: zip_of({"../../../tmp/evil.json": ims_text}),
            "portal",
            "either",
            ("2b-parts.zip",),
        ),
        Hostile(
            "portal-zip-of-a-zip",
            "2b-parts.zip",
            lambda: zip_of({"inner.zip": zip_of({"a.json": ims_text})}),
            "portal",
            "refused",
            ("2b-parts.zip",),
        ),
        Hostile(
            "portal-zip-of-text",
            "2b-parts.zip",
            lambda: zip_of({"readme.txt": b"hello"}),
            "portal",
            "refused",
            ("2b-parts.zip",),
        ),
        Hostile(
            "portal-zip-stored-nan-json",
            "2b-parts.zip",
            lambda: zip_of({"ims.json": ims_json(val="NaN")}, zipfile.ZIP_STORED),
            "portal",
            "refused",
            ("NaN",),
        ),
        Hostile(
            "portal-zip-bzip2-member",
            "2b-parts.zip",
            lambda: zip_of({"ims.json": ims_text}, zipfile.ZIP_BZIP2),
            "portal",
            "either",
            ("2b-parts.zip",),
        ),
    ]
    return cases


def _xml_cases() -> list[Hostile]:
    cases = []
    for part in ("xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "xl/workbook.xml"):
        short = part.split("/")[-1].split(".")[0]
        for trick in ("laughs", "xxe", "remote-dtd"):
            for uploader, name in (("books", "register.xlsx"), ("portal", "2b.xlsx")):
                cases.append(
                    Hostile(
                        f"{uploader}-{short}-{trick}",
                        name,
                        lambda p=part, t=trick: xml_trick_xlsx(p, t),
                        uploader,
                        "either",
                        (name,),
                        never=("root:x:0", "lollollol"),
                    )
                )
    return cases


def _oversize_cases() -> list[Hostile]:
    return [
        Hostile(
            "books-csv-20000-columns",
            "register.csv",
            lambda: (
                ",".join(f"Col{i}" for i in range(20_000)) + "\n" + ",".join("1" for _ in range(20_000))
            ).encode(),
            "books",
            "refused",
            ("register.csv",),
        ),
        Hostile(
            "books-csv-5mb-cell",
            "register.csv",
            lambda: books_csv(name="A" * 5_000_000),
            "books",
            "either",
            ("register.csv",),
        ),
        Hostile(
            "ims-5mb-number",
            "ims.json",
            lambda: ims_json(inum='"' + "9" * 5_000_000 + '"'),
            "portal",
            "either",
            ("ims.json",),
        ),
        Hostile(
            "books-csv-200k-blank-lines",
            "register.csv",
            lambda: books_csv() + b",,,,\r\n" * 200_000,
            "books",
            "read",
        ),
        Hostile(
            "ims-100k-empty-sections",
            "ims.json",
            lambda: ("{" + ",".join(f'"x{i}": []' for i in range(100_000)) + "}").encode(),
            "portal",
            "refused",
            ("ims.json",),
        ),
    ]


def _mixed_up_cases() -> list[Hostile]:
    ims_text = ims_json()
    cases = [
        Hostile(
            "ims-json-on-books-uploader",
            "register.csv",
            lambda: ims_text,
            "books",
            "refused",
            ("register.csv",),
        ),
        Hostile(
            "2b-json-on-books-uploader",
            "books.xlsx",
            lambda: gstr2b_json(),
            "books",
            "refused",
            ("books.xlsx",),
        ),
        Hostile(
            "2b-workbook-on-books-uploader",
            "books.xlsx",
            lambda: gstr2b_xlsx(),
            "books",
            "either",
            ("books.xlsx",),
        ),
        Hostile(
            "register-on-portal-uploader", "ims.xlsx", lambda: books_xlsx(), "portal", "either", ("ims.xlsx",)
        ),
        Hostile(
            "gstr1-json",
            "ims.json",
            lambda: json.dumps(
                {
                    "gstin": UMBRA,
                    "fp": PERIOD,
                    "b2b": [{"ctin": CLIENT, "inv": []}],
                    "b2cs": [],
                    "hsn": {"data": []},
                }
            ).encode(),
            "portal",
            "refused",
            ("ims.json", "GSTR-1"),
        ),
        Hostile(
            "gstr3b-json",
            "ims.json",
            lambda: json.dumps(
                {"gstin": CLIENT, "ret_period": PERIOD, "sup_details": {}, "itc_elg": {}}
            ).encode(),
            "portal",
            "refused",
            ("ims.json",),
        ),
        Hostile(
            "ims-notes-under-invoice-keys",
            "ims.json",
            lambda: ims_json(section="b2bcn").replace(b'"nt_num"', b'"inum"'),
            "portal",
            "refused",
            ("ims.json", "section 'b2bcn'", "record 1"),
        ),
        Hostile(
            "ims-invoice-without-number",
            "ims.json",
            lambda: ims_text.replace(b'"inum": "KL/118", ', b""),
            "portal",
            "refused",
            ("ims.json", "section 'b2b', record 1", "field 'inum'", "missing"),
        ),
        Hostile(
            "ims-section-is-an-object",
            "ims.json",
            lambda: b'{"b2b": {"stin": "x"}}',
            "portal",
            "refused",
            ("ims.json",),
        ),
        Hostile(
            "ims-section-is-text",
            "ims.json",
            lambda: b'{"b2b": "none", "b2bcn": []}',
            "portal",
            "refused",
            ("ims.json",),
        ),
        Hostile(
            "ims-record-is-a-list",
            "ims.json",
            lambda: b'{"b2b": [["KL/118", 1180]]}',
            "portal",
            "refused",
            ("ims.json",),
        ),
        Hostile(
            "ims-record-is-text",
            "ims.json",
            lambda: b'{"b2b": ["KL/118"]}',
            "portal",
            "refused",
            ("ims.json",),
        ),
        Hostile(
            "2b-documents-flat-not-under-supplier",
            "2b.json",
            lambda: (
                '{"data": {"gstin": "' + CLIENT + '", "docdata": {"b2b": [{"inum": "U-7", "dt": "02-10-2025",'
                ' "txval": 1000, "igst": 180}]}}}'
            ).encode(),
            "portal",
            "either",
            ("2b.json",),
        ),
        Hostile(
            "2b-notes-without-type",
            "2b.json",
            lambda: (
                '{"data": {"gstin": "' + CLIENT + '", "docdata": {"cdnr": [{"ctin": "' + UMBRA + '", "nt": ['
                '{"ntnum": "C-1", "dt": "02-10-2025", "txval": 100, "igst": 18}]}]}}}'
            ).encode(),
            "portal",
            "refused",
            ("2b.json", "cdnr", "typ"),
        ),
        Hostile(
            "2b-inv-is-an-object",
            "2b.json",
            lambda: (
                '{"data": {"gstin": "' + CLIENT + '", "docdata": {"b2b": [{"ctin": "' + UMBRA + '", "inv": '
                '{"inum": "U-7"}}]}}}'
            ).encode(),
            "portal",
            "refused",
            ("2b.json",),
        ),
        Hostile(
            "2a-items-not-a-list",
            "2a.json",
            lambda: gstr2a_json().replace(b'"itms": [', b'"itms": [[').replace(b"}]}]}]}", b"}]]}]}]}"),
            "portal",
            "either",
            ("2a.json",),
        ),
        Hostile("top-level-list", "ims.json", lambda: b"[1, 2, 3]", "portal", "refused", ("ims.json",)),
        Hostile("top-level-number", "ims.json", lambda: b"1180.00", "portal", "refused", ("ims.json",)),
        Hostile("top-level-null", "ims.json", lambda: b"null", "portal", "refused", ("ims.json",)),
        Hostile("top-level-string", "ims.json", lambda: b'"b2b"', "portal", "refused", ("ims.json",)),
        Hostile("empty-object", "ims.json", lambda: b"{}", "portal", "refused", ("ims.json",)),
        Hostile("data-null", "2b.json", lambda: b'{"data": null}', "portal", "refused", ("2b.json",)),
        Hostile(
            "ims-and-2b-keys-together",
            "ims.json",
            lambda: ims_text[:-3] + b', "docdata": {"b2b": []}}\n',
            "portal",
            "either",
            ("ims.json",),
        ),
        Hostile(
            "ims-duplicate-keys",
            "ims.json",
            lambda: ims_text.replace(b'"val": 1180.00', b'"val": 1180.00, "val": NaN'),
            "portal",
            "refused",
            ("ims.json", "NaN"),
        ),
        Hostile(
            "json-lines",
            "ims.json",
            lambda: ims_text.replace(b"\n", b" ") + b"\n" + ims_text.replace(b"\n", b" "),
            "portal",
            "refused",
            ("ims.json", "line 2"),
        ),
        Hostile(
            "json-with-comments",
            "ims.json",
            lambda: b"// downloaded\n" + ims_text,
            "portal",
            "either",
            ("ims.json",),
        ),
        Hostile(
            "json-single-quotes",
            "ims.json",
            lambda: ims_text.replace(b'"', b"'"),
            "portal",
            "refused",
            ("ims.json",),
        ),
        Hostile(
            "json-trailing-comma",
            "ims.json",
            lambda: ims_text.replace(b'"N"}\n]', b'"N"},\n]'),
            "portal",
            "refused",
            ("ims.json", "line"),
        ),
        Hostile(
            "json-cut-off",
            "ims.json",
            lambda: ims_text[: len(ims_text) // 2],
            "portal",
            "refused",
            ("ims.json", "cut off"),
        ),
        Hostile(
            "books-no-header",
            "register.csv",
            lambda: b"1,2,3\n4,5,6\n",
            "books",
            "refused",
            ("register.csv",),
        ),
        Hostile(
            "books-header-only",
            "register.csv",
            lambda: csv_text(tally_grid([])).encode(),
            "books",
            "refused",
            ("register.csv",),
        ),
        Hostile(
            "books-every-amount-blank",
            "register.csv",
            lambda: books_csv().replace(b"1000.0", b"").replace(b"500.0", b""),
            "books",
            "either",
            ("register.csv",),
        ),
    ]
    return cases


def _gstin_cases() -> list[Hostile]:
    bad = {
        "short": "ABC",
        "bad-check": KERALA[:-1] + ("A" if KERALA[-1] != "A" else "B"),
        "lower-case": KERALA.lower(),
        "sixteen-chars": KERALA + "9",
        "spaces-inside": KERALA[:5] + " " + KERALA[5:],
        "state-99": "99" + KERALA[2:],
        "emoji": "27AAPFU0939F1Z😀",
        "html": "<b>27AAPFU0939F1ZV</b>",
    }
    cases = []
    for key, gstin in bad.items():
        cases.append(
            Hostile(
                f"ims-stin-{key}",
                "ims.json",
                lambda g=gstin: ims_json(stin=json.dumps(g)),
                "portal",
                "read",
                kept=(gstin.strip().upper(),) if key != "spaces-inside" else (),
            )
        )
        cases.append(
            Hostile(
                f"books-gstin-{key}",
                "register.csv",
                lambda g=gstin: books_csv(gstin=g),
                "books",
                "either",
                ("register.csv", "row 7"),
            )
        )
    cases += [
        Hostile(
            "ims-stin-a-number", "ims.json", lambda: ims_json(stin="27"), "portal", "either", ("ims.json",)
        ),
        Hostile(
            "ims-stin-null",
            "ims.json",
            lambda: ims_json(stin="null"),
            "portal",
            "refused",
            ("ims.json", "record 1", "field 'stin'"),
        ),
        Hostile(
            "2b-ctin-missing",
            "2b.json",
            lambda: gstr2b_json().replace(f'"ctin": "{UMBRA}", '.encode(), b""),
            "portal",
            "refused",
            ("2b.json", "field 'ctin'"),
        ),
    ]
    return cases


def _text_cases() -> list[Hostile]:
    cases = []
    for key, text in HOSTILE_TEXTS.items():
        quoted = json.dumps(text)
        cases.append(
            Hostile(
                f"books-csv-name-{key}",
                "register.csv",
                lambda t=text: books_csv(name=t),
                "books",
                "read",
                kept=(text,),
            )
        )
        cases.append(
            Hostile(
                f"ims-trdnm-{key}",
                "ims.json",
                lambda q=quoted: ims_json(trdnm=q),
                "portal",
                "read",
                kept=(text,),
            )
        )
        cases.append(
            Hostile(
                f"ims-number-{key}",
                "ims.json",
                lambda q=quoted: ims_json(inum=q),
                "portal",
                "read",
                kept=(text,),
            )
        )
    for key in ("hyperlink-formula", "script-tag", "markdown-image"):
        text = HOSTILE_TEXTS[key]
        cases.append(
            Hostile(
                f"books-xlsx-name-{key}",
                "register.xlsx",
                lambda t=text: _xlsx_text_name(t),
                "books",
                "read",
                kept=(text,),
            )
        )
        cases.append(
            Hostile(
                f"2b-xlsx-name-{key}",
                "2b.xlsx",
                lambda t=text: gstr2b_xlsx(name=t),
                "portal",
                "read",
                kept=(text,),
            )
        )
    cases.append(
        Hostile(
            "books-xlsx-live-formula-name",
            "register.xlsx",
            _xlsx_live_formula,
            "books",
            "read",
            never=("evil.example",),
        )
    )
    return cases


def _xlsx_text_name(text: str) -> bytes:
    """A register whose supplier-name cell holds ``text`` as a string (xlsxwriter would write '=' as a formula)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Purchase Register"
    for row in books_rows():
        sheet.append(row)
    for row in (6, 7):  # both rate rows of invoice UM-1
        cell = sheet.cell(row, 2)
        cell.value = text
        cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_live_formula() -> bytes:
    """A register whose supplier name is a live HYPERLINK formula with no saved result."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in books_rows():
        sheet.append(row)
    sheet.cell(7, 2).value = '=HYPERLINK("http://evil.example/x","Umbra Traders")'
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _date_cases() -> list[Hostile]:
    dates = {
        "31-feb": "31-02-2025",
        "month-13": "01-13-2025",
        "zeros": "00-00-0000",
        "words": "yesterday",
        "1e400": "1e400",
        "html": "<i>01-10-2025</i>",
    }
    cases = []
    for key, text in dates.items():
        cases.append(
            Hostile(
                f"ims-idt-{key}",
                "ims.json",
                lambda t=text: ims_json(idt=json.dumps(t)),
                "portal",
                "refused",
                ("ims.json", "record 1", "field 'idt'"),
            )
        )
        cases.append(
            Hostile(
                f"books-csv-date-{key}",
                "register.csv",
                lambda t=text: books_csv(date=t),
                "books",
                "refused",
                ("register.csv", "row 7", "column 'Supplier Invoice Date'"),
            )
        )
    cases += [
        Hostile(
            "ims-idt-a-number",
            "ims.json",
            lambda: ims_json(idt="45931"),
            "portal",
            "either",
            ("ims.json", "field 'idt'"),
        ),
        Hostile(
            "ims-idt-nan", "ims.json", lambda: ims_json(idt="NaN"), "portal", "refused", ("ims.json", "NaN")
        ),
        Hostile(
            "books-xlsx-date-far-future",
            "register.xlsx",
            lambda: books_xlsx(date=date(9999, 12, 31)),
            "books",
            "either",
            ("register.xlsx",),
        ),
    ]
    return cases


def _not_a_file_cases() -> list[Hostile]:
    junk = {
        "empty": b"",
        "one-byte": b"{",
        "only-bom": codecs.BOM_UTF8,
        "only-spaces": b"   \r\n\t ",
        "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n",
        "png": b"\x89PNG\r\n\x1a\n" + bytes(64),
        "elf": b"\x7fELF\x02\x01\x01" + bytes(120),
        "gzip": gzip.compress(b"x" * 100),
        "7z": b"7z\xbc\xaf\x27\x1c" + bytes(32),
        "ole-garbage": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
        "random": bytes((i * 7919 + 13) % 256 for i in range(4096)),
    }
    cases = []
    for key, content in junk.items():
        cases.append(
            Hostile(f"portal-{key}", "ims.json", lambda c=content: c, "portal", "refused", ("ims.json",))
        )
        cases.append(
            Hostile(
                f"books-{key}", "register.xlsx", lambda c=content: c, "books", "refused", ("register.xlsx",)
            )
        )
    return cases
