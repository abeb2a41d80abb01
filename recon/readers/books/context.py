"""Where a books read is in the file, and the warnings it collects on the way."""

from __future__ import annotations

from dataclasses import dataclass, field

from recon.errors import Issue, Where

MAX_LISTED_ROWS = 10  # rows named one by one in a warning before "... and N more"


@dataclass
class Context:
    """What every step needs to name a place in the file and collect warnings."""

    file: str
    sheet: str | None
    file_format: str
    mapping: dict[str, str]
    warnings: list[Issue] = field(default_factory=list)

    def where(self, row: int | None = None, fld: str | None = None) -> dict:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": row,
            "column": self.mapping.get(fld) if fld else None,
        }

    def warn(self, message: str, row: int | None = None, fld: str | None = None) -> None:
        self.warnings.append(Issue(message, Where(**self.where(row, fld))))

    def warn_rows(self, message: str, rows: list[int], fld: str | None = None) -> None:
        """One warning per row when few, else one naming the first rows and how many more."""
        if len(rows) <= MAX_LISTED_ROWS:
            for r in rows:
                self.warn(message, r, fld)
        else:
            listed = ", ".join(str(r) for r in rows[:MAX_LISTED_ROWS])
            self.warn(f"{message} (rows {listed} and {len(rows) - MAX_LISTED_ROWS} more)", None, fld)


def listing(items: list[str], limit: int = 40) -> str:
    shown = ", ".join(f"'{i}'" for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
