"""What is this file? Recognise it by its content; dispatch.py then hands it to the right reader.

Consultants rename downloads, so the file name and extension decide nothing: a JSON is IMS, 2B or 2A by
its keys (portal_kind.json_kind), a workbook is a GSTR-2B, GSTR-2A or the IMS Offline Tool's by its sheets, and
everything else tabular is a books register. A zip (a split 2B comes zipped) is judged by its files.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from recon.errors import InputError
from recon.readers.portal_json import load_json
from recon.readers.portal_kind import KIND_WORDS, json_kind, wrong_kind_error

ZIP_MAGIC = b"PK\x03\x04"  # a zip archive, and every .xlsx
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls
_MAX_ZIP_MEMBERS = 50


def sniff(data: bytes, name: str = "file") -> str:
    """The kind of a file's content: books | ims | gstr2b | gstr2a | zip (InputError when a JSON fits none)."""
    if data[:4] == ZIP_MAGIC and not is_office_zip(data):
        return "zip"
    if is_spreadsheet(data):
        return workbook_kind(data, name)
    if looks_like_json(data):
        kind = json_kind(load_json(data, name))
        if kind not in ("ims", "gstr2b", "gstr2a"):
            raise wrong_kind_error(kind, "ims", name)
        return kind
    return "books"


def family(data: bytes, name: str = "file") -> str:
    """'portal' or 'books': which uploader a file belongs on, without parsing a JSON download.

    The same rule ``read`` follows when no kind is given: JSON and the portal's workbooks are portal
    files; every other table is a register. A zip is judged by its files.
    """
    if data[:4] == ZIP_MAGIC and not is_office_zip(data):
        members = zip_members(data, name)
        return "portal" if any(family(d, n) == "portal" for d, n in members) else "books"
    if is_spreadsheet(data):
        return "books" if workbook_kind(data, name) == "books" else "portal"
    return "portal" if looks_like_json(data) else "books"


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
    form = "Excel workbook" if is_spreadsheet(data) else "JSON"
    return f"{KIND_WORDS.get(kind, 'a portal file')} ({form})"


# ---------------------------------------------------------------------------------------------------
# Content tests
# ---------------------------------------------------------------------------------------------------


def looks_like_json(data: bytes) -> bool:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        head = data[:128].decode("utf-16", errors="ignore").lstrip("\ufeff \t\r\n").encode()
    return head[:1] in (b"{", b"[")


def is_office_zip(data: bytes) -> bool:
    """An .xlsx/.xlsm/.ods is a zip too; it is a workbook, not an archive of downloads."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return True  # let the workbook reader report the damage
    return "[Content_Types].xml" in names or "xl/workbook.xml" in names or "mimetype" in names


def is_spreadsheet(data: bytes) -> bool:
    return data[:8] == _OLE or (data[:4] == ZIP_MAGIC and is_office_zip(data))


def workbook_kind(data: bytes, name: str) -> str:
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


def check_zip(data: bytes, name: str) -> None:
    """.xlsx files and zipped downloads are both zips; a damaged one gets one clear message."""
    try:
        zipfile.ZipFile(io.BytesIO(data)).close()
    except zipfile.BadZipFile as err:
        raise InputError(
            f"the file is a damaged zip or Excel workbook ({err})",
            file=name,
            hint="Download it again; if it came by e-mail, save the attachment again.",
        ) from None


def zip_members(data: bytes, name: str) -> list[tuple[bytes, str]]:
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
