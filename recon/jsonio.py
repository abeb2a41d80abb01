"""JSON that echoes portal numbers exactly as downloaded.

The portal checks identity and amounts of every actioned record against what it holds (formats.md §2,
rule 3), so a record must go back with ``59000.00`` as written, not ``59000.0``. Numbers are loaded as
``Decimal`` (which keeps the literal's digits) and written back from that literal.
"""

from __future__ import annotations

import json
from decimal import Decimal


class _Literal(float):
    """A float subclass json's encoder writes through ``float.__repr__``; we override it."""

    def __new__(cls, text: str):
        obj = super().__new__(cls, text)
        obj._text = text
        return obj

    def __repr__(self) -> str:
        return self._text


def loads_exact(text: str | bytes):
    """Parse JSON keeping every non-integer number as a Decimal with its original digits."""
    return json.loads(text, parse_float=Decimal)


def _encodable(value):
    if isinstance(value, Decimal):
        return _Literal(format(value, "f"))
    if isinstance(value, dict):
        return {k: _encodable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encodable(v) for v in value]
    return value


def dumps_exact(value, *, indent: int | None = None) -> str:
    """Write JSON with Decimals as their literal text (59000.00 stays 59000.00)."""
    return json.dumps(
        _encodable(value), ensure_ascii=False, indent=indent, separators=None if indent else (",", ":")
    )
