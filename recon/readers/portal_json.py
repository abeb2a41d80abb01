"""Loading a portal JSON download: its text, its number literals kept, its damage named.

Amounts stay the literals the portal wrote (59000.00 stays 59000.00; ``jsonio.loads_exact``) because the
action file must echo them digit for digit (docs/reference/formats.md §2 rule 3).
"""

from __future__ import annotations

import gc
import json
import re
from contextlib import contextmanager

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
