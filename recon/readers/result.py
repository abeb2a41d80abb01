"""What a reader hands back: the canonical documents plus what it recognised on the way."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from recon.errors import Issue


@dataclass
class ReadResult:
    """Canonical documents read from one file, and the evidence of how they were read.

    ``summary_lines()`` is the text both ``python -m recon read FILE`` and the app's import page show.
    """

    docs: pl.DataFrame  # canonical table (recon.model.SCHEMA)
    source: str  # books | ims | gstr2b | gstr2a
    file: str
    file_format: str  # xlsx, xls, csv, json ...
    sheet: str | None = None
    header_row: int | None = None  # as the spreadsheet shows it (1-based)
    mapping: dict[str, str] = field(default_factory=dict)  # canonical field -> column header used
    rows_read: int = 0  # data rows (books) or records (portal) seen, before grouping
    rows_skipped: int = 0  # totals, subtotals, blank rows
    warnings: list[Issue] = field(default_factory=list)
    recipient_gstin: str | None = None  # from the file when it says (2B 'gstin', IMS 'rtin')
    period: str | None = None  # MMYYYY when the file says

    def counts(self) -> dict[str, int]:
        """Documents per kind, e.g. {'invoice': 120, 'credit_note': 4}."""
        if self.docs.is_empty():
            return {}
        grouped = self.docs.group_by("doc_kind").len().sort("doc_kind")
        return dict(zip(grouped["doc_kind"].to_list(), grouped["len"].to_list(), strict=True))

    def summary_lines(self) -> list[str]:
        lines = [f"File: {self.file} ({self.file_format})", f"Recognised as: {self.source}"]
        if self.sheet:
            lines.append(f"Sheet: {self.sheet}")
        if self.header_row:
            lines.append(f"Header row: {self.header_row}")
        if self.recipient_gstin:
            lines.append(f"Recipient GSTIN in file: {self.recipient_gstin}")
        if self.period:
            lines.append(f"Period in file: {self.period}")
        if self.mapping:
            lines.append("Columns:")
            lines.extend(f"  {fld:<18} <- {col}" for fld, col in self.mapping.items())
        lines.append(f"Rows read: {self.rows_read}, skipped (totals/blank): {self.rows_skipped}")
        counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in self.counts().items()) or "none"
        lines.append(f"Documents: {self.docs.height} ({counts})")
        if self.warnings:
            lines.append(f"Warnings ({len(self.warnings)}):")
            lines.extend(f"  - {w}" for w in self.warnings[:50])
            if len(self.warnings) > 50:
                lines.append(f"  ... and {len(self.warnings) - 50} more")
        return lines
