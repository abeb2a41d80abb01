"""A 2B / 2A section read a field at a time, and the columns of several sections joined.

The documents of a 2B or 2A section sit under their supplier (or in a flat list for imports); here they
become one record each for :class:`~recon.readers.portal_columns.Columns`, their rate lines are summed,
and the rows the readers read one by one are put back in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import repeat

import polars as pl

from recon import model
from recon.errors import InputError
from recon.readers.portal_columns import Columns, isd_kinds, note_kinds
from recon.readers.portal_frame import LIST_COLUMNS, canonical_series, new_row
from recon.readers.portal_json import batches, is_list
from recon.readers.portal_record import Record
from recon.readers.portal_values import pos_code, raw_json, supply_type_code
from recon.readers.sections import ISD_CREDIT_NOTE_WARNING, Section, isd_kind


def put_rows(columns: dict[str, list | pl.Series], rows: dict[int, dict]) -> None:
    """Put rows read one by one (position -> row) into the columns, in place of what stood there."""
    if not rows:
        return
    positions = list(rows)
    for name, values in columns.items():
        found = [rows[p].get(name) for p in positions]
        if isinstance(values, pl.Series):
            columns[name] = values.scatter(positions, found)
        else:
            for position, value in zip(positions, found, strict=True):
                values[position] = value


def section_documents(
    groups: list, list_key: str | None, first: int = 0
) -> tuple[list[dict], list[int] | None, list[int]] | None:
    """A 2B/2A section's documents for :class:`Columns`: records, their suppliers' and their own numbers.

    ``groups`` are the section's suppliers (or, with ``list_key`` None, its documents without supplier:
    impg bills of entry) from number ``first`` + 1 on. None when they hold something that is not a record.
    """
    if list_key is None:
        if not all(map(isinstance, groups, repeat(dict))):
            return None
        return groups, None, list(range(first + 1, first + len(groups) + 1))
    return supplier_documents(groups, list_key, first)


class SectionColumns:
    """What the 2B and 2A section readers share: a section's documents read a field at a time (Columns),
    and record by record (:meth:`row`) where the column reader leaves one alone or the shape breaks.

    A reader sets ``spec``, ``section``, ``file``, ``recipient``, ``source``, ``origin_sheet`` and the keys
    its return spells the supplier and reverse charge with; it gives what differs between the returns:
    ``_own_columns`` / ``_own_fields`` (amounts, filing, eligibility: for every document / for one),
    ``_amount_columns`` and ``_warnings`` (per document, from the columns).
    """

    supplier_keys: tuple[str, ...] = ("ctin",)
    name_keys: tuple[str, ...] = ("trdnm", "tradenm")
    reverse_charge_keys: tuple[str, ...] = ("rev",)

    def columns(self, groups) -> Iterator[dict]:
        """The section's rows as columns (:func:`as_series`), a batch of its suppliers at a time."""
        if not is_list(groups):
            raise InputError(f"{self._where()} is not a list", file=self.file)
        before = 0  # documents of the section in the batches before
        for first, batch in batches(groups):
            columns = self._batch_columns(batch, first, before)
            before += len(columns["doc_kind"])
            yield as_series(columns)

    def _batch_columns(self, groups: list, first: int, before: int) -> dict:
        """Columns of the documents of ``groups`` (suppliers ``first`` + 1 on), all a field at a time.

        Documents the column reader leaves alone are read with ``_row_alone``, in file order, so the
        first bad document raises its own error; suppliers that are not all records are read by
        ``rows``, which raises where their shape breaks.
        """
        found = section_documents(groups, self.spec.list_key, first)
        if found is None:
            return columns_of_rows(self.rows(groups, first, before))
        records, suppliers, numbers = found
        fields = Columns(records)
        count = len(records)
        columns = {
            "source": [self.source] * count,
            "section": [self.section] * count,
            "origin_file": [self.file] * count,
            "origin_sheet": [self.origin_sheet] * count,
            "recipient_gstin": [self.recipient] * count,
            **self._field_columns(fields),
            **self._amount_columns(fields),
        }
        warnings = self._warnings(fields, columns)
        alone = {p: self._row_alone(records, suppliers, numbers, p, before) for p in sorted(fields.alone)}
        put_rows(columns, alone)
        for position, row in alone.items():
            warnings[position] = row["warnings"]
        columns["warnings"] = warnings
        columns["origin_rows"] = origin_indexes(count, before + 1)
        columns["raw"] = fields.raw()
        return columns

    def _where(self) -> str:
        return f"section '{self.section}'"

    def _field_columns(self, fields: Columns) -> dict[str, list]:
        """The document fields :meth:`row` reads, for every document."""
        spec, count = self.spec, len(fields.records)
        if spec.doc_kind == "isd":
            doc_kinds = isd_kinds(fields, *spec.kind_keys)
        elif spec.doc_kind:
            doc_kinds = [spec.doc_kind] * count
        else:
            doc_kinds = note_kinds(fields, spec.kind_keys, spec.note_kinds)
        return {
            "doc_kind": doc_kinds,
            "is_amendment": [spec.is_amendment] * count,
            "supplier_gstin": fields.text(*self.supplier_keys, required=spec.needs_supplier),
            "supplier_name": fields.text(*self.name_keys),
            "doc_no": fields.text(*spec.number, required=True),
            "doc_date": fields.date(*spec.date, required=True),
            "original_doc_no": fields.text(*spec.original_number) if spec.original_number else [None] * count,
            "original_doc_date": fields.date(*spec.original_date) if spec.original_date else [None] * count,
            "supply_type": fields.code(supply_type_code, *spec.supply_type_keys),
            "pos": fields.code(pos_code, "pos"),
            "reverse_charge": fields.flag(*self.reverse_charge_keys),
            **self._own_columns(fields),
        }

    def rows(self, groups: list, first: int, before: int) -> list[dict]:
        """The documents of ``groups`` (as in :meth:`_batch_columns`) one by one; raises where their shape breaks."""
        out = []
        if self.spec.list_key is None:  # impg: flat list of bills of entry, no supplier
            for index, document in enumerate(groups, start=first + 1):
                out.append(self.row({}, document, f"{self._where()}, record {index}", before + len(out) + 1))
            return out
        for s_index, supplier in enumerate(groups, start=first + 1):
            if not isinstance(supplier, dict):
                raise InputError(f"{self._where()}, supplier {s_index} is not a record", file=self.file)
            documents = supplier.get(self.spec.list_key) or []
            if not isinstance(documents, list):
                raise InputError(
                    f"{self._where()}, supplier {s_index}: '{self.spec.list_key}' is not a list of documents",
                    file=self.file,
                )
            for d_index, document in enumerate(documents, start=1):
                where = f"{self._where()}, supplier {s_index}, document {d_index}"
                out.append(self.row(supplier, document, where, before + len(out) + 1))
        return out

    def _row_alone(
        self, records: list, suppliers: list | None, numbers: list, position: int, before: int
    ) -> dict:
        """:meth:`row` of one document, placed as :meth:`rows` would place it."""
        if suppliers is None:
            where = f"{self._where()}, record {numbers[position]}"
        else:
            where = f"{self._where()}, supplier {suppliers[position]}, document {numbers[position]}"
        # The record already carries its supplier's keys, so it stands for supplier and document.
        return self.row({}, records[position], where, before + position + 1)

    def row(self, supplier: dict, document, where: str, index: int) -> dict:
        """One document as a canonical row; ``index`` is its number in the section (origin_rows)."""
        if not isinstance(document, dict):
            raise InputError(f"{where} is not a record", file=self.file)
        # The supplier's keys travel with each document so that raw is a self-contained record.
        data = {k: v for k, v in supplier.items() if not isinstance(v, (list, dict))} | document
        record = Record(data, self.file, where)
        spec = self.spec
        row = new_row(self.source, self.file, self.section, index)
        row["origin_sheet"] = self.origin_sheet
        row["recipient_gstin"] = self.recipient
        if spec.doc_kind == "isd":
            row["doc_kind"] = isd_kind(record.text(*spec.kind_keys))
        else:
            row["doc_kind"] = spec.doc_kind or note_kind(record, spec)
        row["is_amendment"] = spec.is_amendment
        row["supplier_gstin"] = record.text(*self.supplier_keys, required=spec.needs_supplier)
        row["supplier_name"] = record.text(*self.name_keys)
        row["doc_no"] = record.text(*spec.number, required=True)
        row["doc_date"] = record.date(*spec.date, required=True)
        row["original_doc_no"] = record.text(*spec.original_number) if spec.original_number else None
        row["original_doc_date"] = record.date(*spec.original_date) if spec.original_date else None
        row["supply_type"] = supply_type_code(record.get(*spec.supply_type_keys))
        row["pos"] = pos_code(record.get("pos"))
        row["reverse_charge"] = record.flag(*self.reverse_charge_keys)
        self._own_fields(record, row)
        row["raw"] = raw_json(data)
        if spec.doc_kind == "isd" and row["doc_kind"] == "credit_note":
            row["warnings"].append(ISD_CREDIT_NOTE_WARNING)
        row["warnings"].extend(self._record_warnings(record))
        return row

    def _record_warnings(self, record: Record) -> list[str]:
        """Warnings of one document beyond the ISD credit note's (none unless a reader says)."""
        return []


def note_kind(record: Record, spec: Section) -> str:
    code = (record.text(*spec.kind_keys, required=True) or "").upper()
    if code not in spec.note_kinds:
        raise record.error(spec.kind_keys[0], f"'{code}' is not a note type (C credit note, D debit note)")
    return spec.note_kinds[code]


def upper_or_none(text):
    """An eligibility flag in upper case; a blank is None, a value the column reader left alone stays."""
    return (text or "").upper() or None if type(text) is str or text is None else text


def supplier_documents(
    groups: list, list_key: str, first: int = 0
) -> tuple[list[dict], list[int], list[int]] | None:
    """The documents of a 2B/2A section whose documents sit under their supplier, one record each.

    Each record is the supplier's scalar keys followed by the document's own (as the readers' raw), with
    the supplier's and the document's number (from 1). None when the section holds something that is
    not a record: reading it one record by one then raises where the shape breaks.
    """
    records: list[dict] = []
    suppliers: list[int] = []
    numbers: list[int] = []
    for s_index, supplier in enumerate(groups, start=first + 1):
        if not isinstance(supplier, dict):
            return None
        documents = supplier.get(list_key) or []
        if not isinstance(documents, list) or not all(map(isinstance, documents, repeat(dict))):
            return None
        scalars = {k: v for k, v in supplier.items() if not isinstance(v, (list, dict))}
        records.extend(scalars | document for document in documents)
        suppliers.extend(repeat(s_index, len(documents)))
        numbers.extend(range(1, len(documents) + 1))
    return records, suppliers, numbers


def rate_line_sums(
    fields: Columns, items_of: list[list], positions: list[int], keys_of: dict[str, tuple], line_of=None
) -> dict[str, list]:
    """amounts_total of the rate lines of the documents at ``positions``, per amount column.

    ``items_of`` holds each document's list of lines; ``line_of`` picks the line's record out of an item
    (2A nests it under itm_det). A document with a line that is no record, or an amount Record refuses,
    is left to the reader's row(), which raises for it.
    """
    lines, spans, owners = [], [], []
    for position, items in zip(positions, items_of, strict=True):
        records = items if line_of is None else [line_of(item) for item in items]
        if not all(map(isinstance, records, repeat(dict))):
            fields.alone.add(position)
            records = []
        spans.append((len(lines), len(lines) + len(records)))
        lines.extend(records)
        owners.extend(repeat(position, len(records)))
    line_fields = Columns(lines)
    sums = {}
    for column, keys in keys_of.items():
        amounts = line_fields.amount(*keys).to_list()
        sums[column] = [amounts_total(amounts[start:end]) for start, end in spans]
    fields.alone.update(owners[i] for i in line_fields.alone)
    return sums


def columns_of_rows(rows: list[dict]) -> dict[str, list]:
    """Rows (dicts of canonical fields) as columns, for canonical_frame_of_columns and join_columns."""
    return {name: [row.get(name) for row in rows] for name in model.SCHEMA}


def join_columns(parts: list[dict]) -> tuple[dict, int]:
    """The columns of several sections or batches, one after the other; returns them and the row count.

    A column may be a list in one part and a Series in another (or missing: null there); it comes out a
    Series, or a list for the LIST_COLUMNS canonical_frame_of_columns reads so. The parts are emptied as
    their columns are joined, so that no column is held twice.
    """
    counts = [len(part["doc_kind"]) for part in parts]
    names = dict.fromkeys(name for part in parts for name in part)
    columns: dict[str, list | pl.Series] = {}
    for name in names:
        joined = pl.concat(
            [canonical_series(name, part.pop(name, None), n) for part, n in zip(parts, counts, strict=True)]
        )
        columns[name] = joined.to_list() if name in LIST_COLUMNS else joined
    return columns, sum(counts)


def origin_indexes(count: int, start: int = 1) -> pl.Series:
    """origin_rows of records start..start + count - 1, one index each (as the list column the rows would give)."""
    indexes = pl.int_range(start, start + count, eager=True, dtype=pl.Int64)
    return indexes.reshape((count, 1)).cast(pl.List(pl.Int64))


def as_series(columns: dict[str, list | pl.Series]) -> dict[str, pl.Series]:
    """A batch's columns as Series of their canonical types.

    A download is read a batch of records at a time; its Python values (an object per value, a list per
    row) are freed with the batch, and the columns wait for the frame as Arrow memory, a fraction the size.
    """
    return {name: canonical_series(name, values, 0) for name, values in columns.items()}


def amounts_total(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present), 2) if present else None
