"""Which downloaded IMS records the portal would refuse any action on: flagged at import, left out of uploads."""

from __future__ import annotations

import json

import polars as pl

from recon.errors import Issue, Where
from recon.ims_json.records import describe
from recon.ims_json.rules import identity_problem
from recon.readers.sections import API_FIELDS, NUMBER_KEY, REQUIRED_FIELDS, UPLOAD_AMOUNTS


def record_problem(section: str | None, raw: str | None) -> str | None:
    """Why the portal would refuse any action on this downloaded record, or None.

    The record-level rules of docs/reference/formats.md §1.3 and §2: a section that takes actions, the
    downloaded record present, every field the schema requires, the document number a string of 1 to 16
    characters, amounts as numbers.
    """
    # The checks read types and lengths only, never amounts' digits: the C parser will do.
    return read_record(section, raw, json.loads)[1]


def read_record(section: str | None, raw: str | None, parse) -> tuple[dict | None, str | None]:
    """(the downloaded record, None) or (None, why the portal would refuse any action on it)."""
    if section not in API_FIELDS:
        return None, f"section '{section}' does not take IMS actions"
    if not raw:
        return None, "the downloaded record is missing: import the IMS download again"
    try:
        record = parse(raw)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        return None, "the downloaded record cannot be read: import the IMS download again"
    problem = _downloaded_problem(section, record)
    return (None, problem) if problem else (record, None)


def _downloaded_problem(section: str, record: dict) -> str | None:
    missing = [k for k in REQUIRED_FIELDS[section] if record.get(k) in (None, "")]
    if NUMBER_KEY[section] in missing:
        return f"the downloaded record has no document number ({NUMBER_KEY[section]})"
    problem = identity_problem(section, record, "SAVE")
    if problem:
        return problem
    if missing:
        return f"the downloaded record has no {', '.join(missing)} (the portal requires them)"
    return None


def unsendable(portal: pl.DataFrame) -> pl.DataFrame:
    """The IMS records of a download the portal would refuse any action for: doc_id, reason.

    Flagged at import and on the grid, and left out of every upload (see :func:`build`).
    """
    ims = portal.filter(pl.col("source") == "ims") if "source" in portal.columns else portal
    suspects = _suspects(ims.select("doc_id", "section", "raw"))
    rows = [
        {"doc_id": doc_id, "reason": problem}
        for doc_id, section, raw in suspects.iter_rows()
        if (problem := record_problem(section, raw))
    ]
    return pl.DataFrame(rows, schema={"doc_id": pl.String, "reason": pl.String})


def _suspects(records: pl.DataFrame) -> pl.DataFrame:
    """The records :func:`record_problem` could refuse, found without reading each one in Python.

    Reading every record back in Python would run at every import, on every record. Decoded in bulk,
    only records with a field missing or empty, a number of the wrong length or not a string,
    or an amount that is not a number are read again and judged by record_problem — a superset of what
    it refuses. Anything the bulk decoder cannot read goes to record_problem as it is.
    """
    odd = records.filter(
        pl.col("raw").is_null() | (pl.col("raw") == "") | ~pl.col("section").is_in(list(API_FIELDS))
    )
    parts = [odd]
    for (section,), group in records.filter(pl.col("section").is_in(list(API_FIELDS))).group_by("section"):
        # A slice at a time: polars' JSON decoding of a whole lakh of records takes several times their size.
        for offset in range(0, group.height, _DECODED_AT_ONCE):
            piece = group.slice(offset, _DECODED_AT_ONCE)
            parts.append(piece.filter(_suspect_in(section, piece.get_column("raw"))))
    return pl.concat(parts, how="vertical")


_DECODED_AT_ONCE = 10_000


def _suspect_in(section: str, raw: pl.Series) -> pl.Series:
    """Per record of one section: could record_problem refuse it? (True when unsure.)"""
    required = REQUIRED_FIELDS[section]
    number = NUMBER_KEY[section]
    try:
        fields = raw.str.json_decode(pl.Struct({key: pl.String for key in required})).struct.unnest()
    except pl.exceptions.PolarsError:
        return pl.Series([True] * raw.len())
    missing = pl.any_horizontal([pl.col(k).is_null() | (pl.col(k) == "") for k in required])
    length = pl.col(number).str.len_chars()
    amounts = "|".join(UPLOAD_AMOUNTS)
    suspect = fields.select(
        (missing | (length > 16)).fill_null(True)
        | pl.lit(raw.str.contains(rf'"{number}"\s*:\s*[^"\s]').fill_null(True))
        | pl.lit(raw.str.contains(rf'"({amounts})"\s*:\s*[^-0-9\s]').fill_null(True))
    )
    return suspect.to_series()


def unsendable_issues(portal: pl.DataFrame, file: str | None = None, *, limit: int = 20) -> list[Issue]:
    """Import warnings naming the records no action can be sent for (they are left out of uploads)."""
    refused = unsendable(portal)
    if refused.is_empty():
        return []
    named = refused.join(
        portal.select("doc_id", "section", "supplier_gstin", "doc_no"), on="doc_id", how="left"
    )
    where = Where(file=file)
    issues = [
        Issue(
            f"{describe(row)}: the portal would refuse any action on it ({row['reason']}); it will be "
            "left out of the upload",
            where,
        )
        for row in named.head(limit).iter_rows(named=True)
    ]
    if refused.height > limit:
        issues.append(
            Issue(
                f"... and {refused.height - limit} more record(s) the portal would refuse (see the grid)",
                where,
            )
        )
    return issues
