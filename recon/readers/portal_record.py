"""One portal record and where it sits, read field by field with errors that say where."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from recon import normalise
from recon.errors import InputError
from recon.readers.portal_values import date_of_text, flag_of, literal_text

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
