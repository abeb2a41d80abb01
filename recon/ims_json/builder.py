"""Building an upload: the change set from the wanted actions, each record checked, both profiles written."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from recon import gstin as gstin_check
from recon.actions import DECL_COLUMNS, Decision, decisions_frame, guard_check, texts
from recon.errors import InputError
from recon.ims_json.records import action_record, api_record, describe, offline_record
from recon.ims_json.refused import read_record
from recon.ims_json.rules import validate, validate_fields
from recon.ims_json.upload import LEFT_OUT_SCHEMA, Upload
from recon.jsonio import loads_exact

PROFILES = ("offline", "api")


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
    quarterly: bool = False,
) -> Upload:
    """SAVE / RESET payloads taking the portal from what it holds (``ims_action``) to what is wanted.

    ``wanted``: the frame of :func:`recon.actions.effective_actions` (or any frame with portal_doc_id,
    wanted_action and optionally remarks, itc_red_req, decl_*, action_source, guard_problems), or
    Decisions. Rows whose ``action_source`` is not "user" keep the portal's action unless
    ``suggestions=True``. Decisions on documents the supplier changed since (content_hash differs) are
    listed in ``Upload.skipped``; a record the portal would refuse (guards, identity, required fields)
    is left out and listed in ``Upload.left_out`` — never an error for the whole file.
    ``period``: MMYYYY for file names (default: the latest supplier period among the changed records).
    ``quarterly``: the recipient files quarterly (QRMP): Decisions given here are guarded with a quarter's
    Pending limit (a frame of effective_actions carries its own ``guard_problems``).
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, not {profile!r}")
    if profile == "api" and include_prev_status is False:
        raise ValueError("the API refuses records without prev_status")
    if profile == "api" and keep_download_flags:
        raise ValueError("the API schema allows no download-only flags")
    with_prev = True if profile == "api" else bool(include_prev_status)
    rtin = _checked_rtin(rtin)
    changes, skipped = _change_set(portal, wanted, today, suggestions=suggestions, quarterly=quarterly)
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
            offline_record(record, with_prev, keep_download_flags)
        )
        api[reqtyp].setdefault(row["section"], []).append(api_record(record, row["section"]))
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
    downloaded, problem = read_record(row["section"], row["raw"], loads_exact)
    if problem:
        return None, problem
    return action_record(row, downloaded), None


def _left_out_row(row: dict, reason: str) -> dict:
    return {
        "portal_doc_id": row["portal_doc_id"],
        "section": row["section"],
        "supplier_gstin": row["supplier_gstin"],
        "doc_no": row["doc_no"],
        "action": row["wanted_action"],
        "reason": reason,
    }


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
    portal: pl.DataFrame, wanted, today: date | None, *, suggestions: bool, quarterly: bool = False
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
        quarterly=quarterly,
    )
    return changed.with_columns(checked.get_column("guard_problems")), skipped


def _describe_id(portal: pl.DataFrame, doc_id: str) -> str:
    match = portal.filter(pl.col("doc_id") == doc_id)
    return describe(match.row(0, named=True)) if match.height else f"document {doc_id}"


def _latest_period(changes: pl.DataFrame) -> str | None:
    periods = [
        p for p in changes.get_column("supplier_period").to_list() if p and len(p) == 6 and p.isdigit()
    ]
    return max(periods, key=lambda p: (p[2:], p[:2])) if periods else None


def _envelope(rtin: str, reqtyp: str, by_section: dict[str, list]) -> dict | None:
    if not by_section:
        return None
    return {"rtin": rtin, "reqtyp": reqtyp, "invdata": {s: by_section[s] for s in sorted(by_section)}}
