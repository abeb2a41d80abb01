"""Finishing a portal reader's rows into the canonical document table (recon.model).

Derived fields are filled here once for every reader: the financial year, the supplier's PAN and GSTIN
checks, ``doc_id`` (a document repeated in a file is kept as its next occurrence), ``doc_no_key`` and
``content_hash``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from operator import itemgetter

import polars as pl

from recon import gstin as gstin_rules
from recon import model, normalise
from recon.errors import Issue, Where
from recon.readers import limits
from recon.readers.portal_columns import map_distinct

# The columns canonical_frame_of_columns reads as Python lists; a reader may give the others as Series.
LIST_COLUMNS = frozenset(("supplier_gstin", "doc_kind", "doc_no", "doc_date", "section", "warnings"))


def new_row(source: str, file: str, section: str | None, index: int) -> dict:
    return {
        "source": source,
        "section": section,
        "origin_file": file,
        "origin_sheet": section,
        "origin_rows": [index],
        "warnings": [],
        "is_amendment": False,
    }


def canonical_frame(rows: list[dict], source: str, file: str) -> tuple[pl.DataFrame, list[Issue]]:
    """Fill derived fields (fy, PAN, GSTIN checks, doc_id, doc_no_key, content_hash) and build the frame.

    Returns the frame and read-level warnings (GSTINs failing the check, documents appearing twice).
    """
    columns = {name: [row.get(name) for row in rows] for name in model.SCHEMA} if rows else {}
    return canonical_frame_of_columns(columns, len(rows), source, file)


def canonical_frame_of_columns(
    columns: dict[str, list | pl.Series], count: int, source: str, file: str
) -> tuple[pl.DataFrame, list[Issue]]:
    """:func:`canonical_frame` for rows given as columns (one list, or Series, per canonical field).

    The LIST_COLUMNS must be lists; the others may be Series. A field without a column is null.
    """
    if not count:
        return model.conform(model.with_content_hash(normalise.with_doc_no_key(model.empty()))), []
    issues: list[Issue] = []
    invalid = _fill_suppliers(columns)
    if invalid:
        shown = ", ".join(invalid[:5]) + (" ..." if len(invalid) > 5 else "")
        issues.append(
            Issue(
                f"{len(invalid)} supplier GSTIN(s) fail the portal's checks and were kept with a note: {shown}",
                Where(file=file),
            )
        )
    columns["fy"] = map_distinct(columns["doc_date"], normalise.fy_of, kinds=(date,))
    repeats = _fill_doc_ids(columns, count, source)
    if repeats:
        issues.append(Issue(f"{repeats} document(s) appear more than once in the file", Where(file=file)))
    frame = normalise.with_doc_no_key(_frame_of_columns(columns, count))
    limits.refuse_unusable_amounts(frame, file)
    frame = model.with_content_hash(frame)
    return model.conform(frame), issues


def _fill_suppliers(columns: dict) -> list[str]:
    """Clean each supplier GSTIN and note its checks; returns the GSTINs that fail them, sorted.

    Worked out once per distinct supplier: a download has a few hundred suppliers for thousands of rows.
    """
    checks: dict[str, tuple[str | None, str | None]] = {}

    def facts(supplier):
        if supplier is None:
            return None
        cleaned = gstin_rules.clean(supplier)
        if cleaned not in checks:
            checks[cleaned] = (gstin_rules.problem(cleaned), gstin_rules.caution(cleaned))
        prob, caution = checks[cleaned]
        return cleaned, prob is None, prob or caution, gstin_rules.pan(cleaned)

    found = map_distinct(columns["supplier_gstin"], facts)
    if None in found:
        pans = columns.get("supplier_pan")
        pans = [None] * len(found) if pans is None else list(pans)
        found = [
            _no_supplier(kind, pan) if f is None else f
            for f, kind, pan in zip(found, columns["doc_kind"], pans, strict=True)
        ]
    names = ("supplier_gstin", "gstin_valid", "gstin_note", "supplier_pan")
    columns.update({name: list(map(itemgetter(i), found)) for i, name in enumerate(names)})
    return sorted(g for g, (prob, _) in checks.items() if prob)


def _no_supplier(kind: str, pan) -> tuple:
    # Imports from abroad (ICEGATE bills of entry) have no supplier GSTIN at all.
    return None, None, "no supplier GSTIN (import of goods)" if kind == "bill_of_entry" else None, pan


def _fill_doc_ids(columns: dict, count: int, source: str) -> int:
    """doc_id of each row; a document repeated in the file gets the next occurrence and a warning.

    Returns how many rows repeat an earlier one.
    """
    sections, kinds, numbers, fys = columns["section"], columns["doc_kind"], columns["doc_no"], columns["fy"]
    suppliers = columns["supplier_gstin"]
    keys = list(
        zip(
            sections,
            map_distinct(suppliers, lambda g: (g or "").upper()),
            kinds,
            [(n or "").strip().upper() for n in numbers],
            fys,
            strict=True,
        )
    )
    occurrences = [0] * count
    repeats = count - len(set(keys))
    if repeats:
        seen: Counter = Counter()
        for i, key in enumerate(keys):
            occurrences[i] = seen[key]
            seen[key] += 1
            if occurrences[i]:
                columns["warnings"][i].append(
                    f"another document in the file has the same supplier, kind, number and year"
                    f" (copy {occurrences[i] + 1}, kept separately)"
                )
    columns["doc_id"] = [
        model.make_doc_id(source, g, k, n, f, section=s, occurrence=o)
        for s, g, k, n, f, o in zip(sections, suppliers, kinds, numbers, fys, occurrences, strict=True)
    ]
    return repeats


def _frame_of_columns(columns: dict, count: int) -> pl.DataFrame:
    """The frame of the canonical columns, built column by column (``columns`` is emptied).

    from_dicts builds one Series per row for each list column (origin_rows, warnings): about 0.5 s per
    50,000 rows. Lists are flattened here and gathered back per row in one group_by instead.
    """
    # Each column's Python values are freed once its Series holds them.
    return pl.DataFrame([canonical_series(name, columns.pop(name, None), count) for name in model.SCHEMA])


def canonical_series(name: str, values: list | pl.Series | None, count: int) -> pl.Series:
    """One canonical column as a Series of its type; None is ``count`` nulls."""
    dtype = model.SCHEMA[name]
    if isinstance(values, pl.Series):
        return values.alias(name).cast(dtype)
    if values is None:
        return pl.Series(name, [None] * count, dtype=dtype)
    if isinstance(dtype, pl.List) and all(isinstance(v, list) for v in values):
        return _list_column(name, values, dtype) if any(values) else _empty_lists(name, len(values), dtype)
    return pl.Series(name, values, dtype=dtype)


def _empty_lists(name: str, count: int, dtype: pl.List) -> pl.Series:
    return pl.Series(name, [[]], dtype=dtype).new_from_index(0, count)


def _list_column(name: str, values: list[list], dtype: pl.List) -> pl.Series:
    owner = [i for i, items in enumerate(values) for _ in items]
    flat = pl.DataFrame(
        {
            "row": pl.Series(owner, dtype=pl.Int64),
            name: pl.Series([v for items in values for v in items], dtype=dtype.inner),
        }
    )
    grouped = flat.group_by("row").agg(pl.col(name))
    every = pl.DataFrame({"row": pl.int_range(len(values), eager=True, dtype=pl.Int64)})
    joined = every.join(grouped, on="row", how="left", maintain_order="left")
    # Rows without items come back null from the join; they held an empty list.
    return joined.get_column(name).fill_null(pl.lit([], dtype=dtype)).cast(dtype)
