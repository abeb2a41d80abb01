"""Helpers shared by the portal readers (IMS, GSTR-2B, GSTR-2A).

Loading portal JSON with its number literals intact, recognising what a JSON file is, reading one record's
fields under the name variants the portal and GSPs use (Record), or those of all records of a section at
once (Columns, the fast path for large downloads), and turning finished rows into the canonical document
table (recon.model). Reference: formats.md §1–§5.
"""

from __future__ import annotations

import gc
import json
import re
from collections import Counter
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from itertools import chain, repeat
from operator import itemgetter

import polars as pl

from recon import gstin as gstin_rules
from recon import jsonio, model, normalise
from recon.errors import InputError, Issue, Where
from recon.readers import limits

# ---------------------------------------------------------------------------------------------------
# Loading JSON
# ---------------------------------------------------------------------------------------------------


def decode_text(data: bytes, name: str) -> str:
    """Bytes of a JSON download as text (UTF-8, with or without BOM; UTF-16 when it says so)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"the file is not text (byte {err.start} cannot be read as UTF-8)",
            file=name,
            hint="Upload the JSON exactly as downloaded from the portal.",
        ) from None


def load_json(data: bytes, name: str):
    """Parse portal JSON keeping number literals (59000.00 stays 59000.00; jsonio.loads_exact).

    A damaged or cut-off file names the line and column where parsing stopped, as json reports it.
    """
    text = decode_text(data, name)
    if not text.strip():
        raise InputError("the file is empty", file=name, hint="Download it again from the portal.")
    try:
        with collector_paused():  # a large download is a million new objects and no cycles
            return jsonio.loads_exact(text)
    except jsonio.NonFiniteNumber as err:
        raise non_finite_error(text, err.constant, name) from None
    except RecursionError:
        raise InputError(
            "the JSON is nested too deeply to be a portal download (lists or objects inside each other "
            "hundreds of levels deep)",
            file=name,
            hint="Upload the JSON exactly as downloaded from the portal.",
        ) from None
    except json.JSONDecodeError as err:
        at_end = err.pos >= len(text.rstrip())
        problem = (
            f"the JSON ends early at line {err.lineno}, column {err.colno} ({err.msg}): the file is cut off"
            if at_end
            else f"the JSON is damaged at line {err.lineno}, column {err.colno} ({err.msg})"
        )
        raise InputError(
            problem, file=name, hint="Download the file again; if it was edited by hand, undo the edit."
        ) from None
    except ValueError as err:  # an integer literal of thousands of digits (int's conversion limit)
        raise InputError(
            f"the JSON holds a number too long to read ({str(err).split(';')[0]})",
            file=name,
            hint="Download the file again; if it was edited by hand, undo the edit.",
        ) from None


# A JSON string (skipped whole, so that "NaN" inside text is no match) or a bare NaN / Infinity.
_STRING_OR_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')
_KEY_BEFORE = re.compile(r'"((?:[^"\\]|\\.){1,80})"\s*:\s*$')


def non_finite_error(text: str, constant: str, name: str) -> InputError:
    """The error for a bare NaN / Infinity in a JSON file: where it stands and under which field."""
    found = next((m for m in _STRING_OR_CONSTANT.finditer(text) if m.group(1)), None)
    place = ""
    if found is not None:
        start = found.start(1)
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        key = _KEY_BEFORE.search(text, max(0, start - 200), start)
        field_name = f", field '{key.group(1)}'" if key else ""
        place = f" at line {line}, column {column}{field_name}"
        constant = found.group(1)
    return InputError(
        f"the JSON holds a bare {constant}{place}: no value the portal writes (its amounts are plain numbers "
        "like 1180.00)",
        file=name,
        hint="Download the file again from the portal; if a program wrote it, have it write real numbers.",
    )


@contextmanager
def collector_paused():
    """Run a block with Python's cyclic garbage collector paused.

    Reading a large download builds lists of tens of thousands of values; each automatic collection
    walks every young list in full, and a 48,000-record read triggers hundreds of them (a fifth of its
    time). The reading makes no reference cycles worth collecting meanwhile. Nested or concurrent uses
    are safe: only the use that paused the collector starts it again.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def unwrap(node, keys: tuple[str, ...] = ("data",), depth: int = 4):
    """Descend through single wrapper keys (``data``, ``data.data`` ...) while the node is only an envelope."""
    for _ in range(depth):
        if not isinstance(node, dict):
            return node
        inner = next((node[k] for k in keys if isinstance(node.get(k), dict)), None)
        if inner is None:
            return node
        node = inner
    return node


# ---------------------------------------------------------------------------------------------------
# What is this JSON?
# ---------------------------------------------------------------------------------------------------

IMS_SECTIONS = (
    "b2b", "b2ba", "b2bdn", "b2bdna", "b2bcn", "b2bcna", "ecom", "ecoma",
    "impg", "impga", "impgsez", "impgseza", "isd", "isda", "isdcn", "isdcna",
)  # fmt: skip
IMS_WRAPPERS = ("imsDetails", "imsDetailsErr", "invdata", "data")
# GSTR-1 (outward supplies) keys that never occur in 2A: totals, B2C, HSN summary, document series, nil.
GSTR1_MARKERS = ("gt", "cur_gt", "hsn", "doc_issue", "nil", "b2cs", "b2cl", "exp", "cdnur", "at", "txpd")
GSTR1_HINT = "Download IMS from IMS Dashboard → Offline → Download JSON."


def _lower_keys(node: dict) -> dict:
    return {str(k).lower(): v for k, v in node.items()} if isinstance(node, dict) else {}


def _first_record(value):
    if isinstance(value, list):
        return next((r for r in value if isinstance(r, dict)), None)
    return None


def _has_count_shape(node, depth: int = 5) -> bool:
    """GETCNT answers carry per-section counts, not records (formats.md §1 'Counts')."""
    if depth == 0:
        return False
    if isinstance(node, dict):
        keys = _lower_keys(node)
        if "ttl_cnt" in keys or ("noaction" in keys and "accept" in keys):
            return True
        return any(_has_count_shape(v, depth - 1) for v in node.values())
    if isinstance(node, list):
        return any(_has_count_shape(v, depth - 1) for v in node[:20])
    return False


def json_kind(obj) -> str:
    """Classify a parsed JSON: ims | gstr2b | gstr2a | gstr1 | ims_count | ims_status | unknown.

    Decided by keys, never by file name: a consultant renames downloads freely.
    """
    if not isinstance(obj, dict):
        return "unknown"
    node = obj
    for _ in range(5):
        keys = _lower_keys(node)
        if "imsdetailserr" in keys or "imsdetails" in keys:
            return "ims"
        if "invdata" in keys and ("rtin" in keys or "reqtyp" in keys):
            return "ims"  # our own SAVE/RESET file read back
        if "error_report" in keys or ("status_cd" in keys and {"proc_cnt", "err_cnt"} & keys.keys()):
            return "ims_status"  # the answer to an upload (portal-api.md §4), not documents
        if {"docdata", "itcsumm", "docrejdata"} & keys.keys():
            return "gstr2b"
        if "fp" in keys and (set(GSTR1_MARKERS) & keys.keys() or _offline_tool_version(keys)):
            return "gstr1"
        kind = _kind_from_sections(keys)
        if kind:
            return kind
        inner = keys.get("data")
        if isinstance(inner, dict):
            node = inner
            continue
        if "rtnprd" in keys and "gstin" in keys and "fp" not in keys:
            return "gstr2b"  # a 2B statement without documents (only its header keys)
        break
    if _has_count_shape(obj):
        return "ims_count"
    return "unknown"


def _offline_tool_version(keys: dict) -> bool:
    """GSTR-1 files from GSTN's offline tool say "version": "GST3.x" (2B says "1.0")."""
    version = keys.get("version")
    return isinstance(version, str) and version.upper().startswith("GST")


def _kind_from_sections(keys: dict) -> str | None:
    """IMS records are flat with ``stin``; 2A groups documents under a supplier ``ctin``."""
    section_keys = [k for k in keys if k in IMS_SECTIONS or k in ("cdn", "cdna")]
    for key in section_keys:
        record = _first_record(keys[key])
        if record is None:
            continue
        rec_keys = _lower_keys(record)
        if "stin" in rec_keys:
            return "ims"
        if "ctin" in rec_keys and ({"inv", "nt", "doclist"} & rec_keys.keys()):
            return "gstr2a"
    if section_keys and all(isinstance(keys[k], list) and not keys[k] for k in section_keys):
        if "fp" in keys:
            return "gstr2a"
        return "ims"  # an empty IMS download: sections with no records
    return None


KIND_WORDS = {
    "ims": "an IMS download",
    "gstr2b": "a GSTR-2B",
    "gstr2a": "a GSTR-2A",
    "gstr1": "a GSTR-1 (outward supplies) file",
    "ims_count": "an IMS count (GETCNT) response",
    "ims_status": "an upload status response",
}


def wrong_kind_error(found: str, wanted: str, name: str) -> InputError:
    """The error for a JSON that is not what the reader (or the user) expected."""
    if found == "gstr1":
        return InputError(
            f"this is a GSTR-1 (outward supplies) file, not {KIND_WORDS[wanted]}", file=name, hint=GSTR1_HINT
        )
    if found == "ims_count":
        return InputError(
            "this is an IMS count (GETCNT) response: it holds how many records there are, not the records",
            file=name,
            hint="Download the records themselves (IMS Dashboard → Offline → Download JSON).",
        )
    if found == "ims_status":
        return InputError(
            "this is the portal's answer to an upload (request status with its error report), not documents",
            file=name,
            hint="Download IMS again to see what the portal now holds, and read that file instead.",
        )
    if found in KIND_WORDS:
        return InputError(
            f"this is {KIND_WORDS[found]}, not {KIND_WORDS[wanted]}",
            file=name,
            hint="Choose the matching file type, or let the app recognise the file.",
        )
    return InputError(
        "this JSON is not an IMS download, a GSTR-2B or a GSTR-2A (none of their sections or keys found)",
        file=name,
        hint="Download IMS from IMS Dashboard → Offline → Download JSON, or GSTR-2B / 2A from Returns Dashboard.",
    )


# ---------------------------------------------------------------------------------------------------
# Codes and scalar values
# ---------------------------------------------------------------------------------------------------

_TRUE = {"y", "yes", "true", "1", "t"}
_FALSE = {"n", "no", "false", "0", "f"}
# 2B-derived data spells SEZ supply types SEZWP/SEZWOP (formats.md §1.3 variants).
SUPPLY_TYPE_ALIASES = {"SEZWP": "SEWP", "SEZWOP": "SEWOP", "REGULAR": "R"}


def supply_type_code(value) -> str | None:
    text = str(value).strip().upper() if value is not None else ""
    if not text:
        return None
    return SUPPLY_TYPE_ALIASES.get(text, text)


def pos_code(value) -> str | None:
    """Place of supply as the 2-digit code string ('7' and 7 become '07')."""
    if value is None:
        return None
    text = format(value, "f") if isinstance(value, Decimal) else str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{1,2}", text):
        return text.zfill(2)
    return gstin_rules.state_code_from_name(text) or text


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}  # fmt: skip


def period_mmyyyy(value) -> str | None:
    """Return periods as MMYYYY: '112025' stays; "Nov'25", 'Nov-2025', 'November 2025', '11/2025' convert.

    Anything else is returned as received (the portal's own string is never lost).
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{6}", text):
        return text
    m = re.fullmatch(r"([A-Za-z]{3})[a-z]*[\s'’\-/,.]*(\d{2}|\d{4})", text)
    if m and m.group(1).lower() in _MONTHS:
        year = m.group(2) if len(m.group(2)) == 4 else f"20{m.group(2)}"
        return f"{_MONTHS[m.group(1).lower()]:02d}{year}"
    m = re.fullmatch(r"(\d{1,2})[\-/ ](\d{4})", text)
    if m and 1 <= int(m.group(1)) <= 12:
        return f"{int(m.group(1)):02d}{m.group(2)}"
    return text


def literal_text(value) -> str | None:
    """A scalar as text; Decimals keep their digits, ints stay whole (16-digit numbers never via float)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    text = str(value).strip()
    return text or None


_DMY = re.compile(r"(\d{2})-(\d{2})-(\d{4})")


# ---------------------------------------------------------------------------------------------------
# One record and its place, for reading fields with errors that say where
# ---------------------------------------------------------------------------------------------------


_SPELLINGS: dict[tuple, dict] = {}


@dataclass
class Record:
    """One portal record plus where it sits, so every field error names file, section, index and field."""

    data: dict
    file: str
    place: str  # "section 'b2b', record 3" or "section 'b2b', supplier 2, document 1"
    _lower: dict | None = field(default=None, repr=False)

    def get(self, *keys: str):
        """First non-blank value under any of ``keys`` (exact name, then any letter case)."""
        for key in keys:
            value = self.data.get(key)
            if value is not None and value != "":
                return value
        if self._lower is None:
            # Only keys that are not all lower case need a second spelling; most records have none.
            # Records of a download share a handful of key layouts: the spellings are worked out once
            # per layout (lower-case name -> key as written), not once per record.
            layout = tuple(self.data)
            spellings = _SPELLINGS.get(layout)
            if spellings is None:
                spellings = {str(k).lower(): k for k in layout if str(k) != str(k).lower()}
                if len(_SPELLINGS) > 1000:
                    _SPELLINGS.clear()
                _SPELLINGS[layout] = spellings
            self._lower = spellings
        for key in keys:
            lowered = key.lower()
            value = self.data.get(lowered)
            if (value is None or value == "") and lowered in self._lower:
                value = self.data.get(self._lower[lowered])
            if value is not None and value != "":
                return value
        return None

    def error(self, key: str, problem: str, hint: str | None = None) -> InputError:
        return InputError(f"{self.place}, field '{key}': {problem}", file=self.file, hint=hint)

    def text(self, *keys: str, required: bool = False) -> str | None:
        value = self.get(*keys)
        if value is None and required:
            raise self.error(
                keys[0], "missing", "The record is incomplete; download the file again from the portal."
            )
        if isinstance(value, (dict, list)):
            raise self.error(keys[0], "holds a list or object where a value was expected")
        return literal_text(value)

    def date(self, *keys: str, required: bool = False) -> date | None:
        text = self.text(*keys, required=required)
        if text is None:
            return None
        try:
            return date_of_text(text)
        except ValueError:
            raise self.error(
                keys[0],
                f"'{text}' is not a real date (the portal writes DD-MM-YYYY)",
                "Download the file again; a hand-edited date may have been mistyped.",
            ) from None

    def amount(self, *keys: str) -> float | None:
        value = self.get(*keys)
        if value is None:
            return None
        try:
            if isinstance(value, Decimal):
                return normalise.checked_amount(float(value), value)
            return normalise.parse_amount(value)
        except ValueError as err:
            raise self.error(keys[0], str(err)) from None

    def flag(self, *keys: str) -> bool | None:
        value = self.get(*keys)
        if value is None:
            return None
        try:
            return flag_of(value)
        except ValueError:
            raise self.error(keys[0], f"'{value}' is not Y/N or true/false") from None


def date_of_text(text: str) -> date:
    """A record's date text as a date; ValueError when it is not a real date."""
    m = _DMY.fullmatch(text)
    if m:  # the portal's own DD-MM-YYYY, by far the common case
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return normalise.parse_date(text)


def flag_of(value) -> bool:
    """A present flag value (Y/N, yes/no, true/false, 1/0) as a bool; ValueError for anything else."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(value)


# ---------------------------------------------------------------------------------------------------
# All records of a section at once: the fast path of the JSON readers
# ---------------------------------------------------------------------------------------------------


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
        return _JsonTexts(pl.Series([_string(v) for v in values], dtype=pl.String))
    literals = numbers()
    if literals is not None and not literals.missing:
        return _JsonTexts(literals.texts)
    texts = _record_lists_texts(values)
    if texts is None:
        texts = [_exact(v) for v in values]
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
        name = _string(key) if type(key) is str else _string(str(key))
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


def section_documents(groups, list_key: str | None) -> tuple[list[dict], list[int] | None, list[int]] | None:
    """A 2B/2A section's documents for :class:`Columns`: records, their suppliers' and their own numbers.

    ``list_key`` None is a flat list of documents without supplier (impg bills of entry). None when the
    section holds something that is not a record.
    """
    if not isinstance(groups, list):
        return None
    if list_key is None:
        if not all(map(isinstance, groups, repeat(dict))):
            return None
        return groups, None, list(range(1, len(groups) + 1))
    return supplier_documents(groups, list_key)


class SectionColumns:
    """What the 2B and 2A section readers share: a section's documents read a field at a time (Columns).

    A reader sets ``spec``, ``section``, ``file``, ``recipient``, ``source`` and ``origin_sheet`` and gives
    ``rows`` (the section record by record), ``_row_alone`` (one document record by record),
    ``_field_columns``, ``_amount_columns`` and ``_warnings`` (per document, from the columns).
    """

    def columns(self, groups) -> dict:
        """The section's rows as columns, all documents a field at a time.

        Documents the column reader leaves alone are read with ``_row_alone``, in file order, so the
        first bad document raises its own error; a section that is not all records is read by ``rows``,
        which raises where its shape breaks.
        """
        found = section_documents(groups, self.spec.list_key)
        if found is None:
            return columns_of_rows(self.rows(groups))
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
        alone = {p: self._row_alone(records, suppliers, numbers, p) for p in sorted(fields.alone)}
        put_rows(columns, alone)
        for position, row in alone.items():
            warnings[position] = row["warnings"]
        columns["warnings"] = warnings
        columns["origin_rows"] = origin_indexes(count)
        columns["raw"] = fields.raw()
        return columns


def supplier_documents(groups: list, list_key: str) -> tuple[list[dict], list[int], list[int]] | None:
    """The documents of a 2B/2A section whose documents sit under their supplier, one record each.

    Each record is the supplier's scalar keys followed by the document's own (as the readers' raw), with
    the supplier's and the document's number (from 1). None when the section holds something that is
    not a record: reading it one record by one then raises where the shape breaks.
    """
    records: list[dict] = []
    suppliers: list[int] = []
    numbers: list[int] = []
    for s_index, supplier in enumerate(groups, start=1):
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
    """The columns of several sections, one after the other; returns them and the row count.

    A column may be a list in one part and a Series in another (or missing: null there).
    """
    counts = [len(part["doc_kind"]) for part in parts]
    names = dict.fromkeys(name for part in parts for name in part)
    columns: dict[str, list | pl.Series] = {}
    for name in names:
        pieces = [part.get(name, [None] * n) for part, n in zip(parts, counts, strict=True)]
        if any(isinstance(piece, pl.Series) for piece in pieces):
            dtype = model.SCHEMA[name]
            columns[name] = pl.concat(
                [p if isinstance(p, pl.Series) else pl.Series(name, p, dtype=dtype) for p in pieces]
            )
        else:
            columns[name] = list(chain.from_iterable(pieces))
    return columns, sum(counts)


def origin_indexes(count: int) -> pl.Series:
    """origin_rows of records 1..count, one index each (as the list column the rows would give)."""
    return pl.int_range(1, count + 1, eager=True, dtype=pl.Int64).reshape((count, 1)).cast(pl.List(pl.Int64))


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


ISD_CREDIT_NOTE_WARNING = "ISD credit note: it reduces the ITC distributed earlier"


def isd_kind(doc_type) -> str:
    """The kind of an ISD document from its type: ``credit_note`` for an ISD credit note, else ``isd``.

    2B writes ISDC (ISDCN in some GSP copies), 2A ``isd_docty`` ISDCN, the portal's workbooks "ISD Credit
    Note" (formats.md §3, §5). A credit note reduces the ITC distributed earlier, so it takes the kind
    every total subtracts (model.itc_direction); an ISD invoice and a credit note sharing a number then
    stay two documents.
    """
    if type(doc_type) is not str:
        return "isd"
    letters = re.sub(r"[^A-Z]", "", doc_type.upper())
    return "credit_note" if letters in _ISD_CREDIT_CODES or "CREDIT" in letters else "isd"


_ISD_CREDIT_CODES = {"ISDC", "ISDCN", "ISDCR", "C", "CN", "CR"}


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


def amounts_total(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present), 2) if present else None


def raw_json(record: dict) -> str:
    """The record as exact JSON text (numbers as received), for the action JSON to echo.

    The same text as ``jsonio.dumps_exact`` (compact separators), written directly: about three times
    faster, which matters for downloads of tens of thousands of records.
    """
    # Portal records are flat: one loop with the common types first avoids a generator and a recursive
    # call per value (a 48k-record IMS download spends most of its read time here).
    parts = []
    for key, value in record.items():
        kind = type(value)
        if kind is str:
            text = _string(value)
        elif kind is Decimal:
            text = format(value, "f")
        elif kind is int:
            text = str(value)
        else:
            text = _exact(value)
        parts.append(f"{_string(key) if type(key) is str else _string(str(key))}:{text}")
    return "{" + ",".join(parts) + "}"


def _exact(value) -> str:
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{_string(str(k))}:{_exact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_exact(v) for v in value) + "]"
    return _plain_json(value)


def _string(text: str) -> str:
    # Plain printable ASCII needs no escaping (nearly every portal value); the rest goes through json.
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return _plain_json(text)


_plain_json = json.JSONEncoder(separators=(",", ":")).encode


# ---------------------------------------------------------------------------------------------------
# Finishing rows into the canonical table
# ---------------------------------------------------------------------------------------------------


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

    supplier_gstin, doc_kind, doc_no, doc_date, section and warnings must be lists; the others may be
    Series. A field without a column is null.
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
    """The frame of the canonical columns, built column by column.

    from_dicts builds one Series per row for each list column (origin_rows, warnings): about 0.5 s per
    50,000 rows. Lists are flattened here and gathered back per row in one group_by instead.
    """
    series = {}
    for name, dtype in model.SCHEMA.items():
        values = columns.get(name)
        if isinstance(values, pl.Series):
            series[name] = values.alias(name).cast(dtype)
        elif values is None:
            series[name] = pl.Series(name, [None] * count, dtype=dtype)
        elif isinstance(dtype, pl.List) and all(isinstance(v, list) for v in values):
            series[name] = (
                _list_column(name, values, dtype) if any(values) else _empty_lists(name, count, dtype)
            )
        else:
            series[name] = pl.Series(name, values, dtype=dtype)
    return pl.DataFrame(series)


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
            )  # fmt: skip
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
