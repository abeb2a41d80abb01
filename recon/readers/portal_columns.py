"""All records of a section at once, a field at a time: the fast path of the JSON readers.

Every method gives, per record, what the :class:`~recon.readers.portal_record.Record` method of the same
name gives, or READ_ALONE where it does not decide; the readers read those records one by one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from itertools import chain, repeat
from operator import itemgetter

import polars as pl

from recon import normalise
from recon.readers.portal_record import Record
from recon.readers.portal_values import date_of_text, exact_json, flag_of, json_string, literal_text
from recon.readers.sections import isd_kind


class _ReadAlone:
    def __repr__(self) -> str:
        return "READ_ALONE"


# What Columns gives where it does not decide a value: that record is read on its own with Record.
READ_ALONE = _ReadAlone()

# Digits, point and minus only: str() of such a number is its literal (no exponent, NaN or Infinity).
_PLAIN_NUMBERS = re.compile(r"[0-9.,\-]*")
_MORE_THAN_TWO_DECIMALS = re.compile(r"\.[0-9]{3}")


@dataclass
class _Numbers:
    """A key whose values are JSON numbers: their literals (null where a record has none), and
    whether any literal has 3 or more decimals."""

    texts: pl.Series
    long_decimals: bool
    missing: bool  # some record lacks the key or holds null there


@dataclass
class _JsonTexts:
    """A key's values as raw_json writes them: ``texts``, between quotes when ``quoted``."""

    texts: pl.Series
    quoted: bool = False


class Columns:
    """The records of one section, read a field at a time for all of them, as Record reads one record.

    A 48,000-record download asks for some twenty fields per record; field by field over lists, with the
    key spelling worked out once per section and conversions once per distinct value, is what makes
    reading it fast. Every method gives, per record, what the Record method of the same name gives, or
    READ_ALONE where it does not decide: a value Record refuses (its error must name the record and be
    the first in file order) or a rare shape. Those positions collect in ``alone``; the reader reads
    those records with Record.
    """

    def __init__(self, records: list[dict]):
        self.records = records
        self.alone: set[int] = set()
        self._layouts = list(map(tuple, records))
        # Records of one section from one download nearly always share one key layout; then every
        # key's values come from one pass over the records.
        self._one_layout = bool(records) and self._layouts.count(self._layouts[0]) == len(records)
        self._present = set(self._layouts[0]) if self._one_layout else set().union(*set(self._layouts))
        self._columns: dict[str, Sequence] = (
            _transposed(records, self._layouts[0]) if self._one_layout else {}
        )
        self._numbers: dict[str, _Numbers | None] = {}

    # --- values as written -------------------------------------------------------------------------

    def values(self, key: str) -> Sequence:
        """The value under exactly ``key`` in each record (None where the record lacks it); read only."""
        if key not in self._columns:
            self._columns[key] = list(map(dict.get, self.records, repeat(key)))
        return self._columns[key]

    def get(self, *keys: str) -> Sequence:
        """Record.get for each record (read only); a blank string may stand where Record.get gives None."""
        tried = self._tried(keys)
        if tried is None:
            return [Record(r, "", "").get(*keys) for r in self.records]
        if not tried:
            return [None] * len(self.records)
        if len(tried) == 1:
            return self.values(tried[0])
        return [_first_present(r, tried) for r in self.records]

    def _tried(self, keys: tuple[str, ...]) -> list[str] | None:
        """The keys Record.get tries, in its order, that occur in the section.

        None when a record writes one of them in other letter case ("STIN"): Record.get finds that
        spelling record by record, so the section is read that way for this field.
        """
        tried = list(dict.fromkeys([*keys, *(k.lower() for k in keys)]))
        lowered = {k.lower() for k in keys}
        if any(k not in tried and str(k).lower() in lowered for k in self._present):
            return None
        return [k for k in tried if k in self._present]

    # --- fields, as Record gives them --------------------------------------------------------------

    def text(self, *keys: str, required: bool = False) -> list:
        values = self.get(*keys)
        try:
            texts = [None if v is None else v.strip() or None for v in values]
        except AttributeError:  # a number or an object among the strings
            texts = self.note_alone([_text_value(v) for v in values])
        if required and None in texts:
            texts = self.note_alone([READ_ALONE if t is None else t for t in texts])
        return texts

    def date(self, *keys: str, required: bool = False) -> list:
        convert = _required_date_value if required else _date_value
        return self.note_alone(map_distinct(self.get(*keys), convert))

    def flag(self, *keys: str) -> list:
        return self.note_alone(map_distinct(self.get(*keys), _flag_value))

    def code(self, convert, *keys: str) -> list:
        """``convert`` (supply_type_code, pos_code: they refuse nothing) of each record's value."""
        return map_distinct(self.get(*keys), lambda v: convert(None if v == "" else v))

    def amount(self, *keys: str) -> pl.Series:
        """Record.amount of each record as a Float64 Series (null where the record is read alone)."""
        tried = self._tried(keys)
        numbers = self._numbers_of(tried[0]) if tried is not None and len(tried) == 1 else None
        if numbers is not None and not numbers.long_decimals:  # null where the record has no value
            # Record.amount rounds float(Decimal), which is float() of the literal; polars parses
            # decimal text correctly rounded, as float() does, and rounding to 2 places changes
            # nothing for a literal of at most 2 decimals.
            amounts = numbers.texts.cast(pl.Float64)
            if (
                amounts.to_frame("a")
                .select(normalise.amount_usable_expr(pl.col("a")).fill_null(True).all())
                .item()
            ):
                return amounts
        amounts = self.note_alone([_amount_value(v) for v in self.get(*keys)])
        return pl.Series([None if a is READ_ALONE else a for a in amounts], dtype=pl.Float64)

    def note_alone(self, values: list) -> list:
        """Note the records whose value is READ_ALONE; returns ``values``."""
        if READ_ALONE in values:
            self.alone.update(i for i, v in enumerate(values) if v is READ_ALONE)
        return values

    def _numbers_of(self, key: str) -> _Numbers | None:
        if key not in self._numbers:
            self._numbers[key] = _numbers(self.values(key))
        return self._numbers[key]

    # --- raw ---------------------------------------------------------------------------------------

    def raw(self) -> pl.Series:
        """raw_json of each record, written per key layout from each key's values as JSON text."""
        if not self.records:
            return pl.Series("raw", [], dtype=pl.String)
        if self._one_layout:
            layout = self._layouts[0]
            texts = [_json_texts(self.values(key), partial(self._numbers_of, key)) for key in layout]
            return _raw_of_layout(layout, texts, len(self.records))
        blocks: dict[tuple, list[int]] = {}
        for position, layout in enumerate(self._layouts):
            blocks.setdefault(layout, []).append(position)
        parts, order = [], []
        for layout, positions in blocks.items():
            columns = _transposed([self.records[p] for p in positions], layout)
            texts = [self._block_texts(key, columns[key], positions) for key in layout]
            parts.append(_raw_of_layout(layout, texts, len(positions)))
            order.extend(positions)
        # parts hold the records in ``order``; arg_sort of order puts each back at its position.
        return pl.concat(parts).gather(pl.Series(order).arg_sort())

    def _block_texts(self, key: str, values: list, positions: list[int]) -> _JsonTexts:
        """_json_texts of the values of one layout's records; literals an amount read are reused."""
        numbers = self._numbers.get(key)
        if numbers is not None:
            texts = numbers.texts.gather(positions)
            if not texts.null_count():
                return _JsonTexts(texts)
        return _json_texts(values, partial(_numbers, values))


def _transposed(records: list[dict], layout: tuple) -> dict[str, tuple]:
    """The values of records that all have ``layout``, key by key, from one pass over the records.

    Tuples, not lists: they are only read, and copying 48,000 references per key costs as much again.
    """
    if not layout:
        return {}
    if len(layout) == 1:
        return {layout[0]: tuple(r[layout[0]] for r in records)}
    return dict(zip(layout, zip(*map(itemgetter(*layout), records), strict=True), strict=True))


def _json_texts(values: list, numbers) -> _JsonTexts:
    """A key's values as raw_json writes them (``numbers`` gives their _Numbers, or None).

    Plain strings (printable ASCII, no quote or backslash: nearly every portal value) are written as
    they are between quotes, numbers as their literals, anything else value by value.
    """
    try:
        joined = "".join(values)
    except TypeError:  # not all strings
        pass
    else:
        if joined.isascii() and joined.isprintable() and '"' not in joined and "\\" not in joined:
            return _JsonTexts(pl.Series(values, dtype=pl.String), quoted=True)
        return _JsonTexts(pl.Series([json_string(v) for v in values], dtype=pl.String))
    literals = numbers()
    if literals is not None and not literals.missing:
        return _JsonTexts(literals.texts)
    texts = _record_lists_texts(values)
    if texts is None:
        texts = [exact_json(v) for v in values]
    return _JsonTexts(pl.Series(texts, dtype=pl.String))


def _record_lists_texts(values: list) -> list[str] | None:
    """JSON of values that are all lists of records (2B rate lines), the records read as Columns."""
    if not all(map(isinstance, values, repeat(list))):
        return None
    records = list(chain.from_iterable(values))
    if not all(map(isinstance, records, repeat(dict))):
        return None
    texts = Columns(records).raw().to_list()
    lists, start = [], 0
    for value in values:
        lists.append("[" + ",".join(texts[start : start + len(value)]) + "]")
        start += len(value)
    return lists


def _raw_of_layout(layout: tuple, texts: list[_JsonTexts], count: int) -> pl.Series:
    if not layout:
        return pl.Series(["{}"] * count, dtype=pl.String)
    parts = []
    for i, (key, value) in enumerate(zip(layout, texts, strict=True)):
        name = json_string(key) if type(key) is str else json_string(str(key))
        quote = '"' if value.quoted else ""
        parts += [pl.lit(("{" if i == 0 else ",") + name + ":" + quote), pl.col(f"v{i}"), pl.lit(quote)]
    parts.append(pl.lit("}"))
    frame = pl.DataFrame({f"v{i}": value.texts for i, value in enumerate(texts)})
    return frame.select(pl.concat_str(parts)).to_series().alias("raw")


def _numbers(values: list) -> _Numbers | None:
    """The literals of values that are all JSON numbers (int or Decimal) or None, else None."""
    kinds = set(map(type, values))
    if not kinds <= {int, Decimal, type(None)}:
        return None
    texts = list(map(str, values))  # "None" for None, made null below
    joined = ",".join(texts)
    missing = type(None) in kinds
    # str() is format(value, "f") unless it wrote an exponent: then value by value, as raw_json does.
    if not _PLAIN_NUMBERS.fullmatch(joined.replace("None", "") if missing else joined):
        return None
    literals = pl.Series(texts, dtype=pl.String)
    if missing:
        literals = literals.replace("None", None)
    return _Numbers(literals, _MORE_THAN_TWO_DECIMALS.search(joined) is not None, missing)


def _first_present(record: dict, keys: list[str]):
    for key in keys:
        value = record.get(key)
        if value is not None and value != "":
            return value
    return None


def note_kinds(fields: Columns, keys: tuple[str, ...], kinds: dict[str, str]) -> list:
    """Each document's kind from its note-type code (the first of ``keys`` present), by ``kinds``.

    A code that is not a note type is left to the reader's own row(), which says what is wrong with it.
    """

    def kind_of(text):
        if text is READ_ALONE:
            return text
        return kinds.get((text or "").upper(), READ_ALONE)

    return fields.note_alone(map_distinct(fields.text(*keys, required=True), kind_of))


def isd_kinds(fields: Columns, *keys: str) -> list:
    """:func:`isd_kind` of each document of an ISD section, from the first of ``keys`` present."""
    return map_distinct(fields.text(*keys), lambda t: t if t is READ_ALONE else isd_kind(t))


def map_distinct(values: list, convert, kinds: tuple[type, ...] = (str,)) -> list:
    """convert(value) for each value, worked out once per distinct value.

    A download repeats a few dates, codes, flags and suppliers thousands of times. Only values of
    ``kinds`` (and None) are looked up: 1, 1.0, True and Decimal("1.00") are equal as keys but not as
    text, so other values are converted one by one.
    """
    try:
        distinct = set(values)
    except TypeError:  # an object or a list among the values
        return [convert(v) for v in values]
    if any(v is not None and type(v) not in kinds for v in distinct):
        return [convert(v) for v in values]
    converted = {v: convert(v) for v in distinct}
    return list(map(converted.__getitem__, values))


def _text_value(value):
    if isinstance(value, (dict, list)):
        return READ_ALONE
    return literal_text(value)


def _date_value(value, required: bool = False):
    if isinstance(value, (dict, list)):
        return READ_ALONE
    text = literal_text(value)
    if text is None:
        return READ_ALONE if required else None
    try:
        return date_of_text(text)
    except ValueError:
        return READ_ALONE


def _required_date_value(value):
    return _date_value(value, required=True)


def _flag_value(value):
    if value is None or value == "":
        return None
    try:
        return flag_of(value)
    except ValueError:
        return READ_ALONE


def _amount_value(value):
    try:
        if value is None:
            return None
        if isinstance(value, Decimal):
            return normalise.checked_amount(float(value), value)
        return normalise.parse_amount(value)
    except ValueError:
        return READ_ALONE
