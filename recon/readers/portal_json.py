"""Loading a portal JSON download: its text, its number literals kept, its damage named.

Amounts stay the literals the portal wrote (59000.00 stays 59000.00; ``jsonio.loads_exact``) because the
action file must echo them digit for digit (docs/reference/formats.md §2 rule 3).

A download is loaded as its envelope with each list of records left as :class:`Records`: where each
record starts in the file's bytes. Parsed whole, a download's tree of dicts and strings takes four times
the file; the readers parse its records a batch at a time instead, each batch freed once its columns are
made (docs/architecture.md, the readers).
"""

from __future__ import annotations

import gc
import json
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from json.decoder import scanstring

from recon import jsonio
from recon.errors import InputError


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
    if not text or text.isspace():
        raise InputError("the file is empty", file=name, hint="Download it again from the portal.")
    try:
        with collector_paused():  # a large download is a million new objects and no cycles
            return _envelope(text, *_utf8_of(data, text))
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


def _utf8_of(data: bytes, text: str) -> tuple[bytes, int]:
    """The text as UTF-8 bytes (the file's own unless it is UTF-16), and how many bytes precede it (a BOM)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return text.encode("utf-8"), 0
    return data, 3 if data[:3] == b"\xef\xbb\xbf" else 0


def _envelope(text: str, utf8: bytes, skipped: int):
    """The JSON with its lists of records as :class:`Records`; damage raises as ``json.loads`` names it.

    The walk below only finds where records start; on anything it does not expect, the whole text is
    parsed by ``jsonio.loads_exact``, whose error (line, column, what was expected) is the one the user
    reads, and which would return the same value were the walk mistaken. The records are later parsed
    from ``utf8``, the text's bytes, so that the text itself is freed once the walk is done.
    """
    try:
        return _Envelope(text, _ByteOffsets(text, skipped), utf8).document()
    except (json.JSONDecodeError, jsonio.NonFiniteNumber, _Unexpected):
        return jsonio.loads_exact(text)


class _Unexpected(Exception):
    """The envelope walk met something other than what well-formed JSON holds there."""


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = jsonio.exact_decoder()
# Envelopes nest a few objects deep (data.data.docdata.b2b); anything deeper is parsed whole.
_ENVELOPE_DEPTH = 8
# Records parsed per batch, by the length of their text: about 6,000 IMS records.
_BATCH_BYTES = 2_000_000


class _ByteOffsets:
    """Where in the UTF-8 bytes each character position of the text falls, asked in increasing order."""

    def __init__(self, text: str, skipped: int):
        self.text, self.ascii = text, text.isascii()
        self.char, self.byte = 0, skipped

    def __call__(self, char: int) -> int:
        if self.ascii:
            return char + self.byte
        between = self.text[self.char : char]
        self.byte += len(between) if between.isascii() else len(between.encode("utf-8"))
        self.char = char
        return self.byte


class _Envelope:
    """A walk over the JSON text that parses every value except lists of objects, which become Records."""

    def __init__(self, text: str, byte_of: _ByteOffsets, utf8: bytes):
        self.text, self.byte_of, self.utf8 = text, byte_of, utf8

    def document(self):
        value, at = self._value(0, 0)
        if self._skip(at) != len(self.text):
            raise _Unexpected  # text after the document
        return value

    def _skip(self, at: int) -> int:
        return _WHITESPACE.match(self.text, at).end()

    def _value(self, at: int, depth: int):
        at = self._skip(at)
        opening = self.text[at : at + 1]
        if opening == "{" and depth < _ENVELOPE_DEPTH:
            return self._object(at + 1, depth)
        if opening == "[":
            inside = self._skip(at + 1)
            if self.text[inside : inside + 1] == "{":
                return self._records(inside)
        return _DECODER.raw_decode(self.text, at)

    def _object(self, at: int, depth: int) -> tuple[dict, int]:
        node: dict = {}
        at = self._skip(at)
        closed = self.text[at : at + 1] == "}"
        at += closed
        while not closed:
            if self.text[at : at + 1] != '"':
                raise _Unexpected
            key, at = scanstring(self.text, at + 1)
            at = self._skip(at)
            if self.text[at : at + 1] != ":":
                raise _Unexpected
            node[key], at = self._value(at + 1, depth + 1)
            at, closed = self._after_item(at, "}")
            at = self._skip(at)
        return node, at

    def _records(self, at: int) -> tuple[Records, int]:
        starts, first, closed = array("q"), None, False
        while not closed:
            starts.append(self.byte_of(at))
            record, at = _DECODER.raw_decode(self.text, at)  # parsed only to find where it ends
            first = record if first is None else first
            stop = at
            at, closed = self._after_item(at, "]")
            at = self._skip(at)
        return Records(self.utf8, starts, self.byte_of(stop), first), at

    def _after_item(self, at: int, closing: str) -> tuple[int, bool]:
        """After an item: the position past its comma, or past ``closing`` and True."""
        at = self._skip(at)
        found = self.text[at : at + 1]
        if found not in (",", closing):
            raise _Unexpected
        return at + 1, found == closing


class Records:
    """A list of records in a JSON file, parsed when read: a batch at a time, or one by one.

    Stands where the parsed download would hold a list whose first item is an object (a section's records
    or suppliers). Holds the file's UTF-8 bytes and where each item starts; its items are parsed as
    ``jsonio.loads_exact`` parses them, and may be any JSON value.
    """

    def __init__(self, utf8: bytes, starts: array, stop: int, first):
        self._utf8, self._starts, self._stop = utf8, starts, stop
        self.first = first  # the first item, kept parsed: what the file is, is judged by it

    def __len__(self) -> int:
        return len(self._starts)

    def __iter__(self) -> Iterator:
        for _, items in self.batches():
            yield from items

    def __repr__(self) -> str:
        return f"Records({len(self)} items)"

    def batches(self) -> Iterator[tuple[int, list]]:
        """(position of the batch's first item, its items), about _BATCH_BYTES of the file per batch."""
        starts, count, first = self._starts, len(self._starts), 0
        while first < count:
            end = max(first + 1, bisect_left(starts, starts[first] + _BATCH_BYTES))
            yield first, self._items(starts[first], starts[end] if end < count else self._stop, end - first)
            first = end

    def _items(self, start: int, stop: int, count: int) -> list:
        """The ``count`` items in the file's bytes start:stop, separated by commas and whitespace."""
        text = str(memoryview(self._utf8)[start:stop], "utf-8")
        items, at = [], 0
        for _ in range(count):
            item, at = _DECODER.raw_decode(text, at)
            items.append(item)
            at = _WHITESPACE.match(text, _WHITESPACE.match(text, at).end() + 1).end()  # past the comma
        return items


# Records of a parsed list are taken this many at a time, as a Records' text batch would give them.
_BATCH_RECORDS = 5000


def is_list(value) -> bool:
    """A JSON list, parsed (list) or left in its text (Records)."""
    return isinstance(value, (list, Records))


def batches(records: list | Records) -> Iterator[tuple[int, list]]:
    """(position of the first, the records) a batch at a time: the readers make columns batch by batch."""
    if isinstance(records, Records):
        return records.batches()
    return (
        (first, records[first : first + _BATCH_RECORDS]) for first in range(0, len(records), _BATCH_RECORDS)
    )


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
