"""Read a file with the reader its kind asks for: the kind given, or the one its content shows (sniff.py).

Zip files (a split 2B comes zipped, an IMS fetched section by section too) are opened and their files read
as one download.
"""

from __future__ import annotations

from recon.errors import InputError
from recon.readers.portal_files import combine
from recon.readers.portal_json import load_json
from recon.readers.portal_kind import KIND_WORDS, json_kind, wrong_kind_error
from recon.readers.result import ReadResult
from recon.readers.sniff import (
    ZIP_MAGIC,
    check_zip,
    is_office_zip,
    is_spreadsheet,
    looks_like_json,
    sniff,
    workbook_kind,
    zip_members,
)

KINDS = ("books", "ims", "gstr2b", "gstr2a")
_PORTAL_OPTIONS = ("recipient_gstin",)


def read(data: bytes, name: str, *, kind: str | None = None, **options) -> ReadResult:
    """Read one file's bytes into canonical documents with the reader its kind asks for; see recon.readers.read."""
    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown file kind '{kind}' (expected one of {', '.join(KINDS)})", file=name)
    if not data:
        raise InputError("the file is empty", file=name, hint="Upload the file again.")
    if data[:4] == ZIP_MAGIC:
        check_zip(data, name)
        if not is_office_zip(data):
            return _read_zip(data, name, kind, options)
    return _read_one(data, name, kind, options)


def _read_one(data: bytes, name: str, kind: str | None, options: dict) -> ReadResult:
    portal_options = {k: v for k, v in options.items() if k in _PORTAL_OPTIONS}
    if is_spreadsheet(data):
        by_sheets = workbook_kind(data, name) if kind != "books" else "books"
        if kind == "gstr2b" or (kind is None and by_sheets == "gstr2b"):
            from recon.readers.gstr2b_excel import read_gstr2b_excel

            return read_gstr2b_excel(data, name, **portal_options)
        if kind == "gstr2a" or (kind is None and by_sheets == "gstr2a"):
            from recon.readers.gstr2b_excel import read_gstr2a_excel

            return read_gstr2a_excel(data, name, **portal_options)
        if by_sheets == "ims" and kind in (None, "ims"):
            from recon.readers.ims_workbook import read_ims_workbook

            return read_ims_workbook(data, name, **portal_options)
        if kind == "ims":
            raise InputError(
                f"this is a spreadsheet; {KIND_WORDS[kind]} is read from the portal's JSON",
                file=name,
                hint="Download the JSON from the portal, or choose 'books' for a purchase register.",
            )
        return _read_books(data, name, options)
    if looks_like_json(data) and kind != "books":
        return _read_json(load_json(data, name), name, kind, portal_options)
    if kind in (None, "books"):
        return _read_books(data, name, options)
    raise InputError(
        f"this is neither JSON nor a spreadsheet, so it cannot be {KIND_WORDS[kind]}",
        file=name,
        hint="Upload the file exactly as downloaded from the portal.",
    )


def _read_json(obj, name: str, kind: str | None, portal_options: dict) -> ReadResult:
    found = json_kind(obj)
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
    raise wrong_kind_error(found, "ims", name)


def _read_books(data: bytes, name: str, options: dict) -> ReadResult:
    from recon.readers.books import read_books

    return read_books(data, name, **options)


def _read_zip(data: bytes, name: str, kind: str | None, options: dict) -> ReadResult:
    """Read the files inside a zip: one file → that file; several 2B parts or IMS files → one result."""
    members = zip_members(data, name)
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
        return combine(results, name, "IMS download")
    listing = ", ".join(n for _, n in members)
    raise InputError(
        f"the zip holds {len(members)} files that are not parts of one GSTR-2B or one IMS download ({listing})",
        file=name,
        hint="Unzip it and upload the files one at a time.",
    )
