"""One error type for bad input, in words a consultant understands.

Every reader, the CLI and the app catch :class:`InputError` and show ``str(err)``: which file, sheet, row
and column, what is wrong, and what to do. A bad file never reaches the user as a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Where:
    """A place in an input file. Rows are as the spreadsheet shows them (1-based)."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)


class InputError(Exception):
    """Bad input: the message names the place, the problem and (when known) the fix."""

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.where = Where(file, sheet, row, column)
        self.problem = problem
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = str(self.where)
        text = f"{where}: {self.problem}" if where else self.problem
        if not self.hint:
            return text
        # The hint is its own sentence: close the problem first when its author did not.
        stop = "" if text.rstrip().endswith((".", "!", "?", ":")) else "."
        return f"{text}{stop} {self.hint}"


@dataclass(frozen=True)
class Issue:
    """A warning attached to a read or a document: the file was read, but look at this."""

    message: str
    where: Where = Where()

    def __str__(self) -> str:
        where = str(self.where)
        return f"{where}: {self.message}" if where else self.message
