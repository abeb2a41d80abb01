"""What is this file? Recognise it by content and hand it to the right reader.

Consultants rename downloads, so the file name and extension decide nothing: a JSON is IMS, 2B or 2A by
its keys (portal_common.json_kind), a workbook is a GSTR-2B, GSTR-2A or the IMS Offline Tool's by its sheets, and
everything else tabular is a books register. Zip files (a split 2B comes zipped) are opened and their JSON read.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

from recon.errors import InputError
from recon.readers import portal_common as pc
from recon.readers.result import ReadResult

KINDS = ("books", "ims", "gstr2b", "gstr2a")
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls
_PORTAL_OPTIONS = ("recipient_gstin",)
_MAX_ZIP_MEMBERS = 50


def read(path_or_bytes, name: str | None = None, *, kind: str | None = None, **options) -> ReadResult:
    """Read one file (a path, or bytes with ``name``) into canonical documents; see recon.readers.read."""
    data, name = _bytes_and_name(path_or_bytes, name)
    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown file kind '{kind}' (expected one of {', '.join(KINDS)})", file=name)
    if not data:
        raise InputError("the file is empty", file=name, hint="Upload the file again.")
    if data[:4] == _ZIP:
        _check_zip(data, name)
        if not _is_office_zip(data):
            return _read_zip(data, name, kind, options)
    return _read_one(data, name, kind, options)


def _check_zip(data: bytes, name: str) -> None:
    """.xlsx files and zipped downloads are both zips; a damaged one gets one clear message."""
    try:
        zipfile.ZipFile(io.BytesIO(data)).close()
    except zipfile.BadZipFile as err:
        raise InputError(
            f"the file is a damaged zip or Excel workbook ({err})",
            file=name,
            hint="Download it again; if it came by e-mail, save the attachment again.",
        ) from None


def sniff(data: bytes, name: str = "file") -> str:
    """The kind of a file's content: books | ims | gstr2b | gstr2a | zip (InputError when a JSON fits none)."""
    if data[:4] == _ZIP and not _is_office_zip(data):
        return "zip"
    if _is_spreadsheet(data):
        return _workbook_kind(data, name)
    if _looks_like_json(data):
        kind = pc.json_kind(pc.load_json(data, name))
        if kind not in ("ims", "gstr2b", "gstr2a"):
            raise pc.wrong_kind_error(kind, "ims", name)
        return kind
    return "books"


def family(data: bytes, name: str = "file") -> str:
    """'portal' or 'books': which uploader a file belongs on, without parsing a JSON download.

    The same rule ``read`` follows when no kind is given: JSON and the portal's workbooks are portal
    files; every other table is a register. A zip is judged by its files.
    """
    if data[:4] == _ZIP and not _is_office_zip(data):
        members = _zip_members(data, name)
        return "portal" if any(family(d, n) == "portal" for d, n in members) else "books"
    if _is_spreadsheet(data):
        return "books" if _workbook_kind(data, name) == "books" else "portal"
    return "portal" if _looks_like_json(data) else "books"


# Where each kind of file goes on the Import page, in the words the refusal uses.
_BOOKS_PLACE = "the purchase books uploader (Purchase books, on the left)"
_PORTAL_PLACE = "the portal uploader (IMS download or GSTR-2B / 2A, on the right)"


def misplaced(data: bytes, name: str, uploader: str) -> InputError | None:
    """The error for a file dropped on the wrong uploader ('books' or 'portal'), else None.

    A register on the portal uploader would skip the layout check; a download on the books uploader would
    be read as a table of nonsense. Either is said in words, with where the file goes.
    """
    found = family(data, name)
    if found == uploader:
        return None
    if found == "books":
        return InputError(
            "this is a purchase register (a table of bookings), not an IMS download, GSTR-2B or GSTR-2A",
            file=name,
            hint=f"Use {_BOOKS_PLACE}: it shows the sheet, header row and columns it recognised first.",
        )
    return InputError(
        f"this is {_portal_words(data, name)}, not a purchase register",
        file=name,
        hint=f"Use {_PORTAL_PLACE}; here goes the client's ITC register exported from Tally, Busy, Zoho ...",
    )


def _portal_words(data: bytes, name: str) -> str:
    """'an IMS download (JSON)' and the like: what the portal file is, for a message."""
    try:
        kind = sniff(data, name)
    except InputError:
        return "a portal JSON file"
    if kind == "zip":
        return "a zip of portal downloads"
    form = "Excel workbook" if _is_spreadsheet(data) else "JSON"
    return f"{pc.KIND_WORDS.get(kind, 'a portal file')} ({form})"


def _bytes_and_name(path_or_bytes, name: str | None) -> tuple[bytes, str]:
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return bytes(path_or_bytes), name or "uploaded file"
    path = Path(path_or_bytes)
    return path.read_bytes(), name or path.name


def _read_one(data: bytes, name: str, kind: str | None, options: dict) -> ReadResult:
    portal_options = {k: v for k, v in options.items() if k in _PORTAL_OPTIONS}
    if _is_spreadsheet(data):
        workbook_kind = _workbook_kind(data, name) if kind != "books" else "books"
        if kind == "gstr2b" or (kind is None and workbook_kind == "gstr2b"):
            from recon.readers.gstr2b_excel import read_gstr2b_excel

            return read_gstr2b_excel(data, name, **portal_options)
        if kind == "gstr2a" or (kind is None and workbook_kind == "gstr2a"):
            from recon.readers.gstr2b_excel import read_gstr2a_excel

            return read_gstr2a_excel(data, name, **portal_options)
        if workbook_kind == "ims" and kind in (None, "ims"):
            from recon.readers.ims_workbook import read_ims_workbook

            return read_ims_workbook(data, name, **portal_options)
        if kind == "ims":
            raise InputError(
                f"this is a spreadsheet; {pc.KIND_WORDS[kind]} is read from the portal's JSON",
                file=name,
                hint="Download the JSON from the portal, or choose 'books' for a purchase register.",
            )
        return _read_books(data, name, options)
    if _looks_like_json(data) and kind != "books":
        return _read_json(pc.load_json(data, name), name, kind, portal_options)
    if kind in (None, "books"):
        return _read_books(data, name, options)
    raise InputError(
        f"this is neither JSON nor a spreadsheet, so it cannot be {pc.KIND_WORDS[kind]}",
        file=name,
        hint="Upload the file exactly as downloaded from the portal.",
    )


def _read_json(obj, name: str, kind: str | None, portal_options: dict) -> ReadResult:
    found = pc.json_kind(obj)
    wanted = kind or found
    if wanted == "ims":
        from recon.readers.ims import read_ims_parsed

        return read_ims_parsed(obj, name, **portal_options)
    if wanted == "gstr2b":
        from recon.readers.gstr2b import read_gstr2b_parsed

        return read_gstr2b_parsed(obj, name, **portal_options)
    if wanted == "gstr2a":
        from recon.readers.gstr2a import read_gstr2a_parsed

        return read_gstr2a_parsed(obj, name, **portal_options)
    raise pc.wrong_kind_error(found, "ims", name)


def _read_books(data: bytes, name: str, options: dict) -> ReadResult:
    from recon.readers.books import read_books

    return read_books(data, name, **options)


# ---------------------------------------------------------------------------------------------------
# Content tests
# ---------------------------------------------------------------------------------------------------


def _looks_like_json(data: bytes) -> bool:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        head = data[:128].decode("utf-16", errors="ignore").lstrip("\ufeff \t\r\n").encode()
    return head[:1] in (b"{", b"[")


def _is_office_zip(data: bytes) -> bool:
    """An .xlsx/.xlsm/.ods is a zip too; it is a workbook, not an archive of downloads."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return True  # let the workbook reader report the damage
    return "[Content_Types].xml" in names or "xl/workbook.xml" in names or "mimetype" in names


def _is_spreadsheet(data: bytes) -> bool:
    return data[:8] == _OLE or (data[:4] == _ZIP and _is_office_zip(data))


def _workbook_kind(data: bytes, name: str) -> str:
    """gstr2b / gstr2a (the portal's Excel), ims (the IMS Offline Tool workbook) or books, by sheet names."""
    from recon.readers.gstr2b_excel import looks_like_gstr2a, looks_like_gstr2b, open_workbook
    from recon.readers.ims_workbook import looks_like_ims_workbook

    sheet_names = open_workbook(data, name).sheet_names
    if looks_like_gstr2a(sheet_names):
        return "gstr2a"
    if looks_like_gstr2b(sheet_names):
        return "gstr2b"
    if looks_like_ims_workbook(sheet_names):
        return "ims"
    return "books"


# ---------------------------------------------------------------------------------------------------
# Zip archives
# ---------------------------------------------------------------------------------------------------


def _read_zip(data: bytes, name: str, kind: str | None, options: dict) -> ReadResult:
    """Read the files inside a zip: one file → that file; several 2B parts or IMS files → one result."""
    members = _zip_members(data, name)
    if len(members) == 1:
        inner_data, inner_name = members[0]
        return _read_one(inner_data, f"{name}/{inner_name}", kind, options)
    kinds = {sniff(d, f"{name}/{n}") for d, n in members}
    if kinds == {"gstr2b"} and kind in (None, "gstr2b"):
        from recon.readers.gstr2b import read_gstr2b_parts

        parts = [(d, f"{name}/{n}") for d, n in members]
        return read_gstr2b_parts(parts, name, recipient_gstin=options.get("recipient_gstin"))
    if kinds == {"ims"} and kind in (None, "ims"):
        # IMS fetched section by section (GETINV per section) and zipped together.
        results = [_read_one(d, f"{name}/{n}", "ims", options) for d, n in members]
        return pc.combine(results, name, "IMS download")
    listing = ", ".join(n for _, n in members)
    raise InputError(
        f"the zip holds {len(members)} files that are not parts of one GSTR-2B or one IMS download ({listing})",
        file=name,
        hint="Unzip it and upload the files one at a time.",
    )


def _zip_members(data: bytes, name: str) -> list[tuple[bytes, str]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise InputError(f"the zip file is damaged ({err})", file=name, hint="Download it again.") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir() and not _is_junk(i.filename)]
        if not infos:
            raise InputError("the zip file holds no files", file=name)
        if len(infos) > _MAX_ZIP_MEMBERS:
            raise InputError(
                f"the zip holds {len(infos)} files; expected the parts of one download", file=name
            )
        try:
            return [
                (archive.read(i), PurePosixPath(i.filename).name)
                for i in sorted(infos, key=lambda i: i.filename)
            ]
        except RuntimeError as err:  # encrypted members
            raise InputError(
                f"the zip cannot be read ({err})", file=name, hint="Unzip it and upload the files."
            ) from None


def _is_junk(filename: str) -> bool:
    path = PurePosixPath(filename)
    return path.parts[0] == "__MACOSX" or path.name.startswith(".")
