"""IMS action files: SAVE and RESET payloads, in the offline-upload and the API profile, validated.

Which profile to pick
---------------------
* **offline** (default) — for consultants without a GSP: download the JSON from *IMS Dashboard → Offline →
  Download JSON*, reconcile here, then upload the files this writes at *IMS Dashboard → Offline → Upload
  JSON* (GSTN advisory 658). Each changed record is the downloaded record echoed back with ``action`` set,
  minus ``tradenm`` and ``hash``; the download-only flags (``srcfilstatus``, ``ispendactblocked``,
  ``isRemarksBlocked``, ``itcRedReqBlocked``) are dropped unless ``keep_download_flags=True``, and
  ``prev_status`` is left out unless ``include_prev_status=True`` — the two offline-tool readings
  (docs/reference/formats.md §2.1) write neither. GSTN has not published the offline schema: make the first upload a
  small one (one invoice, one credit note) and look at the portal's result before uploading the rest.
* **api** — for the GSP connector (``recon.portal``), which PUTs the bodies from :func:`api_payloads`.
  Records are built from the published schema's allow-list per section (docs/reference/formats.md §2 table plus the
  2025 fields); ``prev_status`` is always written, because the API refuses a record without it.

Both profiles follow docs/reference/formats.md §2: one envelope ``{"rtin", "reqtyp", "invdata"}`` per file with
lower-case section keys; only documents whose wanted action differs from the downloaded ``action``; SAVE
carries ``A``/``R``/``P``; a return to No Action is a RESET record (no ``action`` key, never ``N``);
identity and amounts are echoed from the downloaded record (``raw``) with their literals untouched
(``59000.00`` stays ``59000.00``, document numbers stay strings, ``rtnprd`` as received); ``remarks``
only with Reject/Pending and not where the portal blocks them; ``itcRedReq`` and ``declIgst`` /
``declCgst`` / ``declSgst`` / ``declCess`` on accepted credit notes (and on accepted amendments when the
user gave the answer). Every record is validated before the upload is returned. One record the portal would
refuse never stops the file: it is left out and listed in ``Upload.left_out`` with its reason (section,
supplier GSTIN, number, why), and everything else is written. :func:`unsendable` finds the records of a
download that no action could be sent for, so they can be flagged at import.

Only what a person decided is written: a wanted frame from :func:`recon.actions.effective_actions`
carries ``action_source``, and rows still on a suggestion keep the portal's action unless
``suggestions=True`` (the CLI's ``--suggested all``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl

from recon import gstin as gstin_check
from recon.actions import DECL_COLUMNS, REMARKS_MAX, Decision, decisions_frame, guard_check, texts
from recon.errors import InputError, Issue, Where
from recon.jsonio import dumps_exact, loads_exact
from recon.readers.sections import (
    AMENDMENT_SECTIONS,
    API_FIELDS,
    CREDIT_NOTE_SECTIONS,
    IMPORT_SECTIONS,
    NUMBER_KEY,
    REQUIRED_FIELDS,
    UPLOAD_AMOUNTS,
)

PROFILES = ("offline", "api")
# one GSP caps RESET bodies at 4 MB (docs/reference/portal-api.md §4): split above it
MAX_BODY_BYTES = 4 * 1024 * 1024

_AMOUNTS = UPLOAD_AMOUNTS  # echoed as downloaded in every record; the per-section facts: sections.py

ACTION_KEYS = (
    "action",
    "prev_status",
    "remarks",
    "itcRedReq",
    "declIgst",
    "declCgst",
    "declSgst",
    "declCess",
)
DECL_KEYS = {
    "decl_igst": "declIgst",
    "decl_cgst": "declCgst",
    "decl_sgst": "declSgst",
    "decl_cess": "declCess",
}
DOWNLOAD_FLAGS = (
    "srcfilstatus",
    "ispendactblocked",
    "ispendactnallwd",
    "isRemarksBlocked",
    "remarksBlocked",
    "itcRedReqBlocked",
    "isItcRedReqBlocked",
)
# Never echoed in any profile: the name and checksum (docs/reference/formats.md §2.1), error-file fields, and whatever
# action keys the download already carried (ours replace them; snake_case variants included).
_ALWAYS_DROPPED = (
    "tradenm",
    "hash",
    "error_msg",
    "error_cd",
    "errMsg",
    "errCd",
    "itc_red_req",
    "decl_igst",
    "decl_cgst",
    "decl_sgst",
    "decl_cess",
    *ACTION_KEYS,
)


# ---------------------------------------------------------------------------------------------------
# The upload
# ---------------------------------------------------------------------------------------------------


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
        return [f"{_describe(row)}: {row['reason']}" for row in self.left_out.iter_rows(named=True)]

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


# ---------------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------------


def build(
    portal: pl.DataFrame,
    wanted: pl.DataFrame | Iterable[Decision],
    rtin: str,
    *,
    profile: str = "offline",
    include_prev_status: bool | None = None,
    keep_download_flags: bool = False,
    period: str | None = None,
    today: date | None = None,
    suggestions: bool = False,
) -> Upload:
    """SAVE / RESET payloads taking the portal from what it holds (``ims_action``) to what is wanted.

    ``wanted``: the frame of :func:`recon.actions.effective_actions` (or any frame with portal_doc_id,
    wanted_action and optionally remarks, itc_red_req, decl_*, action_source, guard_problems), or
    Decisions. Rows whose ``action_source`` is not "user" keep the portal's action unless
    ``suggestions=True``. Decisions on documents the supplier changed since (content_hash differs) are
    listed in ``Upload.skipped``; a record the portal would refuse (guards, identity, required fields)
    is left out and listed in ``Upload.left_out`` — never an error for the whole file.
    ``period``: MMYYYY for file names (default: the latest supplier period among the changed records).
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, not {profile!r}")
    if profile == "api" and include_prev_status is False:
        raise ValueError("the API refuses records without prev_status")
    if profile == "api" and keep_download_flags:
        raise ValueError("the API schema allows no download-only flags")
    with_prev = True if profile == "api" else bool(include_prev_status)
    rtin = _checked_rtin(rtin)
    changes, skipped = _change_set(portal, wanted, today, suggestions=suggestions)
    offline: dict[str, dict[str, list]] = {"SAVE": {}, "RESET": {}}
    api: dict[str, dict[str, list]] = {"SAVE": {}, "RESET": {}}
    kept: list[int] = []
    left_out: list[dict] = []
    for position, row in enumerate(changes.iter_rows(named=True)):
        reqtyp = "RESET" if row["wanted_action"] == "N" else "SAVE"
        record, reason = _checked_record(row)
        if reason is not None:
            left_out.append(_left_out_row(row, reason))
            continue
        kept.append(position)
        offline[reqtyp].setdefault(row["section"], []).append(
            _offline_record(record, with_prev, keep_download_flags)
        )
        api[reqtyp].setdefault(row["section"], []).append(_api_record(record, row["section"]))
    written = api if profile == "api" else offline
    envelopes = {reqtyp: _envelope(rtin, reqtyp, written[reqtyp]) for reqtyp in ("SAVE", "RESET")}
    api_envelopes = {reqtyp: _envelope(rtin, reqtyp, api[reqtyp]) for reqtyp in ("SAVE", "RESET")}
    for reqtyp in ("SAVE", "RESET"):
        # Every record passed its own checks above; this is the last look at the files as written.
        if envelopes[reqtyp] is not None:
            validate(envelopes[reqtyp])
            validate_fields(api_envelopes[reqtyp])
    changes = changes.with_row_index("_at").filter(pl.col("_at").is_in(kept)).drop("_at")
    records = changes.select(
        "portal_doc_id",
        "section",
        pl.when(pl.col("wanted_action") == "N")
        .then(pl.lit("RESET"))
        .otherwise(pl.lit("SAVE"))
        .alias("reqtyp"),
        pl.col("wanted_action").alias("action"),
        pl.col("current_action").alias("prev_status"),
        "supplier_gstin",
        "doc_no",
    )
    return Upload(
        rtin=rtin,
        profile=profile,
        save=envelopes["SAVE"],
        reset=envelopes["RESET"],
        records=records,
        period=period or _latest_period(changes),
        skipped=skipped,
        left_out=pl.DataFrame(left_out, schema=LEFT_OUT_SCHEMA),
        api_save=api_envelopes["SAVE"],
        api_reset=api_envelopes["RESET"],
    )


def _checked_record(row: dict) -> tuple[dict | None, str | None]:
    """(the record with its action keys, None) or (None, why the portal would refuse it).

    The action was judged once, by the guards of ``recon.actions`` (``guard_problems``); what is left to
    check here is the downloaded record itself.
    """
    if row["guard_problems"]:
        return None, "; ".join(row["guard_problems"])
    if row["source"] != "ims":
        return None, f"comes from {row['source']}, not from an IMS download: only IMS records take actions"
    downloaded, problem = _read_record(row["section"], row["raw"], loads_exact)
    if problem:
        return None, problem
    return _record(row, downloaded), None


def _left_out_row(row: dict, reason: str) -> dict:
    return {
        "portal_doc_id": row["portal_doc_id"],
        "section": row["section"],
        "supplier_gstin": row["supplier_gstin"],
        "doc_no": row["doc_no"],
        "action": row["wanted_action"],
        "reason": reason,
    }


def record_problem(section: str | None, raw: str | None) -> str | None:
    """Why the portal would refuse any action on this downloaded record, or None.

    The record-level rules of docs/reference/formats.md §1.3 and §2: a section that takes actions, the
    downloaded record present, every field the schema requires, the document number a string of 1 to 16
    characters, amounts as numbers.
    """
    # The checks read types and lengths only, never amounts' digits: the C parser will do.
    return _read_record(section, raw, json.loads)[1]


def _read_record(section: str | None, raw: str | None, parse) -> tuple[dict | None, str | None]:
    """(the downloaded record, None) or (None, why the portal would refuse any action on it)."""
    if section not in API_FIELDS:
        return None, f"section '{section}' does not take IMS actions"
    if not raw:
        return None, "the downloaded record is missing: import the IMS download again"
    try:
        record = parse(raw)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        return None, "the downloaded record cannot be read: import the IMS download again"
    problem = _downloaded_problem(section, record)
    return (None, problem) if problem else (record, None)


def _downloaded_problem(section: str, record: dict) -> str | None:
    missing = [k for k in REQUIRED_FIELDS[section] if record.get(k) in (None, "")]
    if NUMBER_KEY[section] in missing:
        return f"the downloaded record has no document number ({NUMBER_KEY[section]})"
    problem = _identity_problem(section, record, "SAVE")
    if problem:
        return problem
    if missing:
        return f"the downloaded record has no {', '.join(missing)} (the portal requires them)"
    return None


def unsendable(portal: pl.DataFrame) -> pl.DataFrame:
    """The IMS records of a download the portal would refuse any action for: doc_id, reason.

    Flagged at import and on the grid, and left out of every upload (see :func:`build`).
    """
    ims = portal.filter(pl.col("source") == "ims") if "source" in portal.columns else portal
    suspects = _suspects(ims.select("doc_id", "section", "raw"))
    rows = [
        {"doc_id": doc_id, "reason": problem}
        for doc_id, section, raw in suspects.iter_rows()
        if (problem := record_problem(section, raw))
    ]
    return pl.DataFrame(rows, schema={"doc_id": pl.String, "reason": pl.String})


def _suspects(records: pl.DataFrame) -> pl.DataFrame:
    """The records :func:`record_problem` could refuse, found without reading each one in Python.

    Reading every record back in Python would run at every import, on every record. Decoded in bulk,
    only records with a field missing or empty, a number of the wrong length or not a string,
    or an amount that is not a number are read again and judged by record_problem — a superset of what
    it refuses. Anything the bulk decoder cannot read goes to record_problem as it is.
    """
    odd = records.filter(
        pl.col("raw").is_null() | (pl.col("raw") == "") | ~pl.col("section").is_in(list(API_FIELDS))
    )
    parts = [odd]
    for (section,), group in records.filter(pl.col("section").is_in(list(API_FIELDS))).group_by("section"):
        parts.append(group.filter(_suspect_in(section, group.get_column("raw"))))
    return pl.concat(parts, how="vertical")


def _suspect_in(section: str, raw: pl.Series) -> pl.Series:
    """Per record of one section: could record_problem refuse it? (True when unsure.)"""
    required = REQUIRED_FIELDS[section]
    number = NUMBER_KEY[section]
    try:
        fields = raw.str.json_decode(pl.Struct({key: pl.String for key in required})).struct.unnest()
    except pl.exceptions.PolarsError:
        return pl.Series([True] * raw.len())
    missing = pl.any_horizontal([pl.col(k).is_null() | (pl.col(k) == "") for k in required])
    length = pl.col(number).str.len_chars()
    amounts = "|".join(_AMOUNTS)
    suspect = fields.select(
        (missing | (length > 16)).fill_null(True)
        | pl.lit(raw.str.contains(rf'"{number}"\s*:\s*[^"\s]').fill_null(True))
        | pl.lit(raw.str.contains(rf'"({amounts})"\s*:\s*[^-0-9\s]').fill_null(True))
    )
    return suspect.to_series()


def unsendable_issues(portal: pl.DataFrame, file: str | None = None, *, limit: int = 20) -> list[Issue]:
    """Import warnings naming the records no action can be sent for (they are left out of uploads)."""
    refused = unsendable(portal)
    if refused.is_empty():
        return []
    named = refused.join(
        portal.select("doc_id", "section", "supplier_gstin", "doc_no"), on="doc_id", how="left"
    )
    where = Where(file=file)
    issues = [
        Issue(
            f"{_describe(row)}: the portal would refuse any action on it ({row['reason']}); it will be "
            "left out of the upload",
            where,
        )
        for row in named.head(limit).iter_rows(named=True)
    ]
    if refused.height > limit:
        issues.append(
            Issue(
                f"... and {refused.height - limit} more record(s) the portal would refuse (see the grid)",
                where,
            )
        )
    return issues


def _checked_rtin(rtin: str) -> str:
    clean = gstin_check.clean(rtin)
    problem = gstin_check.problem(clean)
    if problem:
        raise InputError(
            f"recipient GSTIN for the upload: {problem}", hint="Give the GSTIN the IMS download belongs to."
        )
    return clean


def _wanted_frame(portal: pl.DataFrame, wanted, suggestions: bool) -> tuple[pl.DataFrame, list[str]]:
    """Normalise ``wanted`` to portal_doc_id, wanted_action, remarks, itc_red_req, decl_* (and
    guard_problems when given); drop stale decisions and, unless ``suggestions``, whatever no person chose."""
    skipped: list[str] = []
    if isinstance(wanted, pl.DataFrame):
        frame = wanted
        if "wanted_action" not in frame.columns and "action" in frame.columns:
            frame = frame.rename({"action": "wanted_action"})
        if "stale" in frame.columns:
            # effective_actions already keeps the portal's action for stale rows; never export them.
            stale = frame.filter(pl.col("stale").fill_null(False))
            skipped += [
                f"{_describe_id(portal, doc_id)}: {texts.STALE}"
                for doc_id in stale.get_column("portal_doc_id").to_list()
            ]
            frame = frame.filter(~pl.col("stale").fill_null(False))
        if "action_source" in frame.columns and not suggestions:
            frame = frame.filter(pl.col("action_source") == "user")
    else:
        decided = decisions_frame(wanted)
        hashes = portal.select(pl.col("doc_id").alias("portal_doc_id"), pl.col("content_hash").alias("_now"))
        decided = decided.join(hashes, on="portal_doc_id", how="left", maintain_order="left")
        stale = (
            pl.col("content_hash").is_not_null()
            & pl.col("_now").is_not_null()
            & (pl.col("content_hash") != pl.col("_now"))
        )
        for doc_id in decided.filter(stale).get_column("portal_doc_id").to_list():
            skipped.append(f"{_describe_id(portal, doc_id)}: {texts.STALE}")
        frame = decided.filter(~stale).rename({"action": "wanted_action"})
    for column, dtype in (("remarks", pl.String), ("itc_red_req", pl.String)) + tuple(
        (c, pl.Float64) for c in DECL_COLUMNS
    ):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype).alias(column))
    guards = ["guard_problems"] if "guard_problems" in frame.columns else []
    frame = frame.select(
        pl.col("portal_doc_id").cast(pl.String),
        pl.col("wanted_action").cast(pl.String).str.strip_chars().str.to_uppercase(),
        pl.col("remarks").cast(pl.String).str.strip_chars(),
        pl.col("itc_red_req").cast(pl.String).str.strip_chars().str.to_uppercase(),
        *[pl.col(c).cast(pl.Float64) for c in DECL_COLUMNS],
        *guards,
    ).filter(pl.col("wanted_action").is_not_null())
    return frame, skipped


def _change_set(
    portal: pl.DataFrame, wanted, today: date | None, *, suggestions: bool
) -> tuple[pl.DataFrame, list[str]]:
    """The wanted rows whose action differs from the portal's, with the portal columns needed to write them
    and ``guard_problems`` (taken from ``wanted`` when it has them: the guards run once on the way)."""
    frame, skipped = _wanted_frame(portal, wanted, suggestions)
    documents = portal.select(
        pl.col("doc_id").alias("portal_doc_id"),
        "source",
        "section",
        "doc_kind",
        "supplier_gstin",
        "doc_no",
        "supplier_period",
        "remarks_blocked",
        "itc_red_blocked",
        "raw",
        pl.col("ims_action").fill_null("N").alias("current_action"),
    ).unique("portal_doc_id", keep="first", maintain_order=True)
    joined = frame.join(documents, on="portal_doc_id", how="left", maintain_order="left")
    unknown = joined.filter(pl.col("source").is_null())
    if unknown.height:
        # A stored decision on a document that has left IMS (3B filed) or is not in this download.
        skipped.append(
            f"{unknown.height} decision(s) on documents not in this IMS download (they left IMS, or the "
            "download is older): not exported"
        )
    changed = joined.filter(
        pl.col("source").is_not_null() & (pl.col("wanted_action") != pl.col("current_action"))
    )
    order = documents.select("portal_doc_id").with_row_index("_order")
    changed = changed.join(order, on="portal_doc_id", how="left").sort("_order").drop("_order")
    if "guard_problems" in changed.columns:
        return changed.with_columns(
            pl.col("guard_problems").fill_null(pl.lit([], pl.List(pl.String)))
        ), skipped
    checked = guard_check(
        portal,
        changed.select("portal_doc_id", "wanted_action", "remarks", "itc_red_req", *DECL_COLUMNS),
        today,
    )
    return changed.with_columns(checked.get_column("guard_problems")), skipped


def _describe(row: dict) -> str:
    return f"{row.get('section') or '?'} document '{row.get('doc_no') or '?'}' of supplier {row.get('supplier_gstin') or '?'}"


def _describe_id(portal: pl.DataFrame, doc_id: str) -> str:
    match = portal.filter(pl.col("doc_id") == doc_id)
    return _describe(match.row(0, named=True)) if match.height else f"document {doc_id}"


def _latest_period(changes: pl.DataFrame) -> str | None:
    periods = [
        p for p in changes.get_column("supplier_period").to_list() if p and len(p) == 6 and p.isdigit()
    ]
    return max(periods, key=lambda p: (p[2:], p[:2])) if periods else None


def _envelope(rtin: str, reqtyp: str, by_section: dict[str, list]) -> dict | None:
    if not by_section:
        return None
    return {"rtin": rtin, "reqtyp": reqtyp, "invdata": {s: by_section[s] for s in sorted(by_section)}}


# ---------------------------------------------------------------------------------------------------
# One record
# ---------------------------------------------------------------------------------------------------


def _record(row: dict, downloaded: dict) -> dict:
    """The downloaded record with the action keys of this change and prev_status (download flags still in,
    for the checks); each profile then trims it."""
    record = {k: v for k, v in downloaded.items() if k not in _ALWAYS_DROPPED}
    action = row["wanted_action"]
    if action != "N":
        record["action"] = action
    record["prev_status"] = row["current_action"]
    if action in ("R", "P") and row["remarks"] and not row["remarks_blocked"]:
        record["remarks"] = row["remarks"]
    record.update(_reduction_keys(row))
    return record


def _offline_record(record: dict, with_prev: bool, keep_flags: bool) -> dict:
    """The offline echo: the download minus name and hash, flags and prev_status only when asked for."""
    dropped = (() if keep_flags else DOWNLOAD_FLAGS) + (() if with_prev else ("prev_status",))
    return {k: v for k, v in record.items() if k not in dropped}


def _api_record(record: dict, section: str) -> dict:
    """The API profile: the schema's allow-list for the section, in download order."""
    keep = {*API_FIELDS[section], *ACTION_KEYS}
    return {k: v for k, v in record.items() if k in keep}


def _reduction_keys(row: dict) -> dict:
    """itcRedReq / decl* on an Accept that the portal asks the ITC-reduction question for."""
    if row["wanted_action"] != "A" or row["itc_red_blocked"]:
        return {}
    section, answer = row["section"], row["itc_red_req"]
    if section not in CREDIT_NOTE_SECTIONS and not (section in AMENDMENT_SECTIONS and answer):
        return {}
    if answer not in ("Y", "N"):
        return {}  # a credit note without an answer was refused by the guards already
    keys: dict = {"itcRedReq": answer}
    if answer == "Y":
        for column, key in DECL_KEYS.items():
            keys[key] = Decimal(f"{row[column] or 0:.2f}")
    return keys


# ---------------------------------------------------------------------------------------------------
# Splitting and the API bodies
# ---------------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------------
# Validation of a finished payload (docs/reference/formats.md §2 rules)
# ---------------------------------------------------------------------------------------------------


def validate(payload: dict, *, profile: str | None = None) -> None:
    """Raise InputError naming the first document that breaks a rule of docs/reference/formats.md §2; else None.

    ``profile="api"`` adds the strict allow-list and required ``prev_status``.
    """
    if not isinstance(payload, dict) or set(payload) != {"rtin", "reqtyp", "invdata"}:
        raise InputError("an IMS upload is an object with exactly rtin, reqtyp and invdata")
    problem = gstin_check.problem(str(payload["rtin"]))
    if problem:
        raise InputError(f"rtin: {problem}")
    reqtyp = payload["reqtyp"]
    if reqtyp not in ("SAVE", "RESET"):
        raise InputError(f"reqtyp must be SAVE or RESET, not {reqtyp!r}")
    invdata = payload["invdata"]
    if not isinstance(invdata, dict) or not invdata:
        raise InputError("invdata must hold at least one section with records")
    for section, records in invdata.items():
        if section not in API_FIELDS:
            raise InputError(f"'{section}' is not an IMS section (keys are lower case: b2b, b2bcn ...)")
        if not isinstance(records, list) or not records:
            raise InputError(f"section '{section}' must be a non-empty list of records")
        for record in records:
            problem = _record_problem(section, record, reqtyp, profile)
            if problem:
                raise InputError(f"{_describe_record(section, record)}: {problem}")


def _describe_record(section: str, record: dict) -> str:
    number = record.get(NUMBER_KEY.get(section, "inum"))
    return f"{section} document '{number}' of supplier {record.get('stin', '?')}"


def _record_problem(section: str, record: dict, reqtyp: str, profile: str | None) -> str | None:
    checks = (_action_problem, _identity_problem, _remarks_problem, _reduction_problem)
    for check in checks:
        problem = check(section, record, reqtyp)
        if problem:
            return problem
    if profile == "api":
        return _api_problem(section, record)
    return None


def _flag_is_yes(record: dict, *keys: str) -> bool:
    return any(str(record.get(k, "")).strip().upper() in ("Y", "TRUE") for k in keys)


def _action_problem(section: str, record: dict, reqtyp: str) -> str | None:
    action = record.get("action")
    if reqtyp == "RESET":
        if "action" in record:
            return "a RESET record carries no action"
    elif action == "N":
        return "No Action cannot be sent in a SAVE file: it goes back through a RESET file"
    elif action not in ("A", "R", "P"):
        return f"action must be A, R or P, not {action!r}"
    prev = record.get("prev_status")
    if prev is not None and prev not in ("A", "R", "P", "N"):
        return f"prev_status must be A, R, P or N, not {prev!r}"
    if action == "P" and _flag_is_yes(record, "ispendactblocked", "ispendactnallwd"):
        return texts.PENDING_BLOCKED
    if action == "R" and section in IMPORT_SECTIONS:
        return texts.IMPORT_NEVER_REJECTED
    return None


def _identity_problem(section: str, record: dict, reqtyp: str) -> str | None:
    key = NUMBER_KEY[section]
    number = record.get(key)
    if section in IMPORT_SECTIONS and isinstance(number, int):
        number = str(number)  # bill-of-entry numbers are digits; echoed as the download wrote them
    if not isinstance(number, str):
        # A number that went through a float or Excel loses digits (docs/reference/formats.md §2 rule 5).
        return f"the document number ({key}) must be a string as downloaded, not {type(number).__name__}"
    if not 1 <= len(number) <= 16:
        return f"the document number has {len(number)} characters; the portal allows 1 to 16"
    for amount_key in _AMOUNTS:
        value = record.get(amount_key)
        if value is not None and (
            isinstance(value, (bool, str)) or not isinstance(value, (int, float, Decimal))
        ):
            return f"{amount_key} must be a number as downloaded, not {value!r}"
    return None


def _remarks_problem(section: str, record: dict, reqtyp: str) -> str | None:
    if "remarks" not in record:
        return None
    remarks = record["remarks"]
    if record.get("action") not in ("R", "P"):
        return "remarks go only with Reject or Pending"
    if not isinstance(remarks, str) or not remarks.strip():
        return "remarks must be non-empty text"
    if len(remarks) > REMARKS_MAX:
        return texts.remarks_too_long(REMARKS_MAX)
    if _flag_is_yes(record, "isRemarksBlocked", "remarksBlocked"):
        return texts.REMARKS_BLOCKED
    return None


def _reduction_problem(section: str, record: dict, reqtyp: str) -> str | None:
    answer = record.get("itcRedReq")
    declared = {k: record[k] for k in DECL_KEYS.values() if k in record}
    if answer is None:
        if declared:
            return "declared ITC reduction without itcRedReq"
        if (
            record.get("action") == "A"
            and section in CREDIT_NOTE_SECTIONS
            and not _flag_is_yes(record, "itcRedReqBlocked", "isItcRedReqBlocked")
        ):
            return texts.CREDIT_NOTE_NEEDS_ANSWER
        return None
    if record.get("action") != "A":
        return "itcRedReq goes only with Accept"
    if section not in CREDIT_NOTE_SECTIONS + AMENDMENT_SECTIONS:
        return "itcRedReq applies only to credit notes and amendments"
    if answer not in ("Y", "N"):
        return f"itcRedReq must be Y or N, not {answer!r}"
    if _flag_is_yes(record, "itcRedReqBlocked", "isItcRedReqBlocked"):
        return "the portal blocks the ITC-reduction answer for this document"
    if answer == "N":
        return "declared amounts go only with itcRedReq Y" if declared else None
    return _declaration_problem(record, declared)


def _declaration_problem(record: dict, declared: dict) -> str | None:
    heads = {"declIgst": "iamt", "declCgst": "camt", "declSgst": "samt", "declCess": "cess"}
    for key, amount_key in heads.items():
        value = Decimal(str(declared.get(key, 0)))
        if value < 0:
            return f"{key} cannot be negative"
        if amount_key in record and value > Decimal(str(record[amount_key])):
            return f"{key} ({value}) is more than the document's {amount_key} ({record[amount_key]})"
    if Decimal(str(declared.get("declCgst", 0))) != Decimal(str(declared.get("declSgst", 0))):
        return "declCgst and declSgst must be equal"
    return None


def validate_fields(payload: dict) -> None:
    """API profile: every record holds only allowed keys and every required one (docs/reference/formats.md §2)."""
    for section, records in payload["invdata"].items():
        for record in records:
            problem = _api_problem(section, record)
            if problem:
                raise InputError(f"{_describe_record(section, record)}: {problem}")


def _api_problem(section: str, record: dict) -> str | None:
    extra = sorted(set(record) - set(API_FIELDS[section]) - set(ACTION_KEYS))
    if extra:
        return f"fields not allowed by the API schema: {', '.join(extra)}"
    missing = [k for k in REQUIRED_FIELDS[section] if k not in record]
    if "prev_status" not in record:
        missing.append("prev_status")
    if missing:
        return f"missing required fields: {', '.join(missing)}"
    return None
