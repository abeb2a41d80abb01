"""The file and the client: the recipient GSTIN a file states, and one result from several files of a kind."""

from __future__ import annotations

import polars as pl

from recon import gstin as gstin_rules
from recon.errors import InputError, Issue, Where


def check_recipient(found: str | None, wanted: str | None, what: str, name: str) -> str | None:
    """The file's own recipient GSTIN must be the client's; returns the GSTIN to record."""
    found_clean = gstin_rules.clean(found) if found else None
    wanted_clean = gstin_rules.clean(wanted) if wanted else None
    if found_clean and wanted_clean and found_clean != wanted_clean:
        raise InputError(
            f"this {what} is for GSTIN {found_clean}, the client is {wanted_clean}",
            file=name,
            hint="Pick the download of this client, or the client this file belongs to.",
        )
    return found_clean or wanted_clean


def recipient_in_file(found: str | None) -> str | None:
    """The recipient GSTIN the file itself states, for ReadResult: the client's GSTIN only checks it, so a
    file without one is never said to name it (the documents still record the client's, for the upload)."""
    return gstin_rules.clean(found) if found else None


def combine(results: list, name: str, what: str):
    """One ReadResult from several files of the same kind (a zip of 2B parts or of IMS sections).

    All must be for the same recipient; a document found in two files is kept once (the first file's
    copy), with a warning, so that doc_id stays unique.
    """
    from recon.readers.result import ReadResult

    first = results[0]
    for other in results[1:]:
        if first.recipient_gstin and other.recipient_gstin and other.recipient_gstin != first.recipient_gstin:
            raise InputError(
                f"the files are for different GSTINs: {first.file} is {first.recipient_gstin}, "
                f"{other.file} is {other.recipient_gstin}",
                file=name,
                hint=f"Put only the files of one {what} together.",
            )
    docs = pl.concat([r.docs for r in results], how="vertical")
    warnings = [w for r in results for w in r.warnings]
    repeated = docs.filter(docs.get_column("doc_id").is_duplicated())
    if repeated.height:
        docs = docs.unique(subset="doc_id", keep="first", maintain_order=True)
        warnings.append(
            Issue(
                f"{repeated.get_column('doc_id').n_unique()} document(s) appear in more than one file;"
                " the first copy was kept",
                Where(file=name),
            )
        )
    return ReadResult(
        docs=docs,
        source=first.source,
        file=name,
        file_format=f"zip ({len(results)} files)",
        rows_read=sum(r.rows_read for r in results),
        rows_skipped=sum(r.rows_skipped for r in results),
        warnings=warnings,
        recipient_gstin=next((r.recipient_gstin for r in results if r.recipient_gstin), None),
        period=first.period,
    )
