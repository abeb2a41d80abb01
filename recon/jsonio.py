"""JSON that echoes portal numbers exactly as downloaded.

The portal checks identity and amounts of every actioned record against what it holds (docs/reference/formats.md §2,
rule 3), so a record must go back with ``59000.00`` as written, not ``59000.0``. Numbers are loaded as
``Decimal`` (which keeps the literal's digits) and written back from that literal.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

_MARK = "\u0001dec:"
_MARKED = re.compile(r'"\\u0001dec:([-0-9.Ee+]+)"')


class NonFiniteNumber(ValueError):
    """A bare ``NaN``, ``Infinity`` or ``-Infinity``: Python's json takes them, JSON and the portal do not."""

    def __init__(self, constant: str) -> None:
        self.constant = constant
        super().__init__(f"bare {constant} is not a JSON number")


def _refuse_constant(constant: str):
    raise NonFiniteNumber(constant)


def loads_exact(text: str | bytes):
    """Parse JSON keeping every non-integer number as a Decimal with its original digits.

    ``NaN`` / ``Infinity`` raise :class:`NonFiniteNumber`: an amount that is no number must not slip
    through as one.
    """
    return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)


def exact_decoder() -> json.JSONDecoder:
    """A decoder that parses as :func:`loads_exact` does (its ``raw_decode`` reads one value at a position)."""
    return json.JSONDecoder(parse_float=Decimal, parse_constant=_refuse_constant)


def _encodable(value):
    # json writes floats through float.__repr__ and offers no hook for Decimal, so Decimals travel
    # as marked strings and are put back as bare literals after encoding.
    if isinstance(value, Decimal):
        return _MARK + format(value, "f")
    if isinstance(value, dict):
        return {k: _encodable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encodable(v) for v in value]
    return value


def dumps_exact(value, *, indent: int | None = None) -> str:
    """Write JSON with Decimals as their literal text (59000.00 stays 59000.00)."""
    text = json.dumps(_encodable(value), indent=indent, separators=None if indent else (",", ":"))
    return _MARKED.sub(r"\1", text)
