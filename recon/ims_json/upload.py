"""The upload a person hands the portal: its files (named with GSTIN and period, split under the size cap),
its counts in words, the left-out CSV, and the same records as the API bodies the connector sends."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from recon.errors import InputError
from recon.ims_json.records import describe
from recon.jsonio import dumps_exact

# one GSP caps RESET bodies at 4 MB (docs/reference/portal-api.md §4): split above it
MAX_BODY_BYTES = 4 * 1024 * 1024


LEFT_OUT_SCHEMA: dict[str, pl.DataType] = {
    "portal_doc_id": pl.String,
    "section": pl.String,
    "supplier_gstin": pl.String,
    "doc_no": pl.String,
    "action": pl.String,  # what was wanted (A/R/P, N = back to No Action)
    "reason": pl.String,  # why the portal would refuse it, in words
}


def _no_left_out() -> pl.DataFrame:
    return pl.DataFrame(schema=LEFT_OUT_SCHEMA)


@dataclass
class Upload:
    """SAVE and RESET payloads for one recipient GSTIN; either is None when it has no records.

    ``records`` is exactly what the files hold, one row per record; ``api_save`` / ``api_reset`` are the
    same records in the API profile, so the connector sends what the screen counted whatever the file
    profile. ``left_out``: records wanted but not written because the portal would refuse them.
    """

    rtin: str
    profile: str
    save: dict | None
    reset: dict | None
    records: pl.DataFrame  # portal_doc_id, section, reqtyp, action, prev_status, supplier_gstin, doc_no
    period: str | None = None  # MMYYYY used in file names
    skipped: list[str] = field(default_factory=list)  # decisions not exported (stale, not in download)
    left_out: pl.DataFrame = field(default_factory=_no_left_out)  # LEFT_OUT_SCHEMA
    api_save: dict | None = None
    api_reset: dict | None = None

    @property
    def is_empty(self) -> bool:
        return self.save is None and self.reset is None

    def left_out_lines(self) -> list[str]:
        return [f"{describe(row)}: {row['reason']}" for row in self.left_out.iter_rows(named=True)]

    def left_out_csv(self) -> bytes:
        """The left-out records as CSV, for the consultant's follow-up (Excel opens it as it is)."""
        table = self.left_out.select(
            pl.col("supplier_gstin").alias("Supplier GSTIN"),
            pl.col("section").alias("Section"),
            pl.col("doc_no").alias("Document number"),
            pl.col("action").alias("Wanted action"),
            pl.col("reason").alias("Why it is left out"),
        )
        return table.write_csv().encode("utf-8-sig")

    def summary(self) -> dict:
        """Counts per action and per section: {"total", "by_action", "by_section", "skipped", "left_out"}."""
        by_action = self.records.group_by("action").len().sort("action")
        by_section = self.records.group_by("section").len().sort("section")
        return {
            "total": self.records.height,
            "by_action": dict(zip(by_action["action"].to_list(), by_action["len"].to_list(), strict=True)),
            "by_section": dict(
                zip(by_section["section"].to_list(), by_section["len"].to_list(), strict=True)
            ),
            "skipped": len(self.skipped) + self.left_out.height,
            "left_out": self.left_out.height,
        }

    def summary_lines(self) -> list[str]:
        if self.is_empty and self.left_out.height:
            lines = ["Nothing to write: every decided change is one the portal would refuse (listed below)."]
        elif self.is_empty:
            lines = [
                "No changes: every document already holds the wanted action on the portal; no file to upload."
            ]
        else:
            labels = {"A": "Accept", "R": "Reject", "P": "Pending", "N": "back to No Action (RESET)"}
            counts = self.summary()
            lines = [f"{counts['total']} document(s) to change for {self.rtin} ({self.profile} profile):"]
            lines += [f"  {labels.get(a, a)}: {n}" for a, n in counts["by_action"].items()]
            lines.append("  by section: " + ", ".join(f"{s} {n}" for s, n in counts["by_section"].items()))
        if self.left_out.height:
            lines.append(f"Left out, the portal would refuse them ({self.left_out.height}):")
            lines += [f"  - {s}" for s in self.left_out_lines()]
        if self.skipped:
            lines.append(f"Not exported ({len(self.skipped)}):")
            lines += [f"  - {s}" for s in self.skipped]
        return lines

    def file_name(self, reqtyp: str, part: int | None = None) -> str:
        period = self.period or "000000"
        suffix = f"_part{part}" if part else ""
        return f"IMS_{reqtyp}_{self.rtin}_{period}{suffix}.json"

    def to_files(self, folder: str | Path | None = None, *, limit: int = MAX_BODY_BYTES) -> dict[str, bytes]:
        """{file name: JSON bytes}; also written into ``folder`` when given. Empty upload → no files.

        A payload over 4 MB is written as several files (``_part1``, ``_part2`` ...), split by section,
        then by halves; the portal applies uploads incrementally, so the parts can go one after another.
        """
        files: dict[str, bytes] = {}
        for reqtyp, payload in (("SAVE", self.save), ("RESET", self.reset)):
            if payload is None:
                continue
            parts = split_payload(payload, limit)
            for index, part in enumerate(parts, start=1):
                files[self.file_name(reqtyp, index if len(parts) > 1 else None)] = dumps_exact(part).encode()
        if folder is not None:
            target = Path(folder)
            target.mkdir(parents=True, exist_ok=True)
            for name, content in files.items():
                (target / name).write_bytes(content)
        return files


def split_payload(payload: dict, limit: int = MAX_BODY_BYTES) -> list[dict]:
    """The payload as one or more envelopes each under ``limit`` bytes: by section, then by halves."""
    if len(dumps_exact(payload).encode()) <= limit:
        return [payload]
    sections = payload["invdata"]
    if len(sections) > 1:
        parts: list[dict] = []
        for name, records in sections.items():
            parts.extend(split_payload({**payload, "invdata": {name: records}}, limit))
        return parts
    ((name, records),) = sections.items()
    if len(records) <= 1:
        return [payload]  # one record cannot be split further
    half = len(records) // 2
    return split_payload({**payload, "invdata": {name: records[:half]}}, limit) + split_payload(
        {**payload, "invdata": {name: records[half:]}}, limit
    )


def api_payloads(upload: Upload, limit: int = MAX_BODY_BYTES) -> list[dict]:
    """The bodies the connector PUTs: {"action": "SAVE" | "RESETIMS", "data": envelope}, SAVE first.

    Whatever profile the upload's files were written in, these are the same records in the API profile.

    Amounts are ``Decimal`` literals from the download: serialise with ``recon.jsonio.dumps_exact``.
    """
    save, reset = (
        (upload.save, upload.reset) if upload.profile == "api" else (upload.api_save, upload.api_reset)
    )
    if (save, reset) == (None, None) and not upload.is_empty:
        raise InputError(
            "this upload was built for the offline profile only",
            hint="Build it with recon.ims_json.build, which writes the API profile of the same records too.",
        )
    bodies = []
    for verb, payload in (("SAVE", save), ("RESETIMS", reset)):
        if payload is not None:
            bodies.extend({"action": verb, "data": part} for part in split_payload(payload, limit))
    return bodies
