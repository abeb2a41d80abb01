"""Reading the working paper back as a person reads it."""

from __future__ import annotations


def summary_table(sheet, title: str) -> dict[str, tuple]:
    """The small table under ``title`` on the Summary sheet: first cell -> the rest of the row."""
    table, inside = {}, False
    for row in sheet.iter_rows(values_only=True):
        if row[0] == title:
            inside = True
            continue
        if inside:
            if row[0] is None:
                break
            table[row[0]] = row[1:]
    return table
