"""Readers: each turns one file into canonical documents (recon.model) or raises InputError.

``read()`` sniffs what a file is (books register, IMS JSON, GSTR-2B JSON/Excel, GSTR-2A JSON) and
dispatches; pass ``kind`` to skip the sniffing.
"""

from pathlib import Path

from recon.readers.result import ReadResult

__all__ = ["ReadResult", "read"]


def read(path_or_bytes, name: str | None = None, *, kind: str | None = None, **options) -> ReadResult:
    """Read one file into canonical documents.

    ``path_or_bytes``: a path, or the file's bytes (uploads) with ``name`` giving the file name.
    ``kind``: books | ims | gstr2b | gstr2a, or None to recognise it from the content.
    ``options``: passed to the reader (books: ``mapping``, ``sheet``, ``recipient_gstin``).
    """
    from recon.readers.dispatch import read as _read
    from recon.readers.limits import zip_judged
    from recon.readers.memory import refuse_past_budget

    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data, name = bytes(path_or_bytes), name or "uploaded file"
    else:
        data, name = Path(path_or_bytes).read_bytes(), name or Path(path_or_bytes).name
    with zip_judged(data, name):  # before any reader unpacks a byte
        refuse_past_budget(data, name)  # nor holds more than one read may
        return _read(data, name, kind=kind, **options)
