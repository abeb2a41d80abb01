"""Decisions and effective actions: what the upload should make the portal hold, per portal document.

:func:`effective_actions` combines the suggestions and the saved :class:`recon.model.Decision` rows: a
decision wins, a decision on a document the supplier changed since is stale and not exported, and the
guards run on every row whose action changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from recon.actions import texts
from recon.actions.declarations import suggested_declaration
from recon.actions.facts import DECL_COLUMNS, HEADS, PORTAL_FACTS, REMARKS_MAX, current_action, prefixed
from recon.actions.guards import guard_problems
from recon.model import DECISION_SCHEMA, Decision


def decisions_frame(decisions: Iterable[Decision] | pl.DataFrame) -> pl.DataFrame:
    """Decisions as a frame, one row per portal document: a later decision replaces an earlier one."""
    if isinstance(decisions, pl.DataFrame):
        # Already columns (a bulk action built as a frame): no per-decision objects at all.
        frame = decisions.select([pl.col(c).cast(t) for c, t in DECISION_SCHEMA.items()])
    else:
        # Columns straight from the attributes: asdict would deep-copy each decision.
        items = list(decisions)
        frame = pl.DataFrame(
            {c: [getattr(d, c) for d in items] for c in DECISION_SCHEMA}, schema=DECISION_SCHEMA
        )
    return frame.with_columns(
        pl.col("action").str.strip_chars().str.to_uppercase(),
        pl.col("itc_red_req").str.strip_chars().str.to_uppercase(),
    ).unique("portal_doc_id", keep="last", maintain_order=True)


EFFECTIVE_SCHEMA: dict[str, pl.DataType] = {
    "portal_doc_id": pl.String,
    "section": pl.String,
    "supplier_gstin": pl.String,
    "doc_no": pl.String,
    "category": pl.String,
    "ims_action": pl.String,  # what the portal holds now (N when not said)
    "suggested_action": pl.String,
    "decision_action": pl.String,  # what the user chose, even when stale
    "wanted_action": pl.String,  # what the upload should make the portal hold
    "action_source": pl.String,  # user | suggested
    "remarks": pl.String,
    "itc_red_req": pl.String,
    "decl_igst": pl.Float64,
    "decl_cgst": pl.Float64,
    "decl_sgst": pl.Float64,
    "decl_cess": pl.Float64,
    "stale": pl.Boolean,
    "stale_reason": pl.String,
    "changed": pl.Boolean,  # wanted_action differs from ims_action: goes into the upload
    "guard_problems": pl.List(pl.String),  # why the portal would refuse it; empty = fine
}


def effective_actions(
    results: pl.DataFrame,
    portal: pl.DataFrame,
    decisions: Iterable[Decision] = (),
    *,
    books: pl.DataFrame | None = None,
    today: date | None = None,
    quarterly: bool = False,
) -> pl.DataFrame:
    """Per portal document, the action the upload should carry (EFFECTIVE_SCHEMA).

    ``quarterly``: the client files quarterly (QRMP): the guards judge a Pending by the quarter.

    A decision wins over the suggestion. A decision taken on an older version of the document (its
    content_hash differs from the document's now) is **stale**: it is shown with ``stale_reason`` and not
    exported — the wanted action stays what the portal holds — until the user confirms it again.
    Suggested Accepts of credit notes carry the ITC-reduction declaration at the books' amounts (capped
    at the note, CGST = SGST; the note's own amounts when ``books`` is not given); suggested Reject /
    Pending carry a short remark for the supplier.
    """
    today = today or date.today()
    frame = prefixed(portal, "p_", PORTAL_FACTS, "portal_doc_id")
    suggested = results.filter(pl.col("portal_doc_id").is_not_null()).select(
        "portal_doc_id",
        "category",
        "books_doc_id",
        "suggested_action",
        "differences_text",
    )
    frame = frame.join(
        suggested.unique("portal_doc_id", keep="first", maintain_order=True),
        on="portal_doc_id",
        how="left",
        maintain_order="left",
    )
    if books is not None:
        frame = frame.join(
            prefixed(books, "b_", HEADS, "books_doc_id"),
            on="books_doc_id",
            how="left",
            maintain_order="left",
        )
    else:
        frame = frame.with_columns([pl.lit(None, pl.Float64).alias(f"b_{h}") for h in HEADS])
    chosen = decisions_frame(decisions).rename(lambda c: c if c == "portal_doc_id" else f"d_{c}")
    frame = frame.join(chosen, on="portal_doc_id", how="left", maintain_order="left")
    frame = _choose(frame)
    changed = pl.col("_action") != current_action()
    frame = frame.with_columns(
        guard_problems(frame, today, where=changed, quarterly=quarterly).alias("guard_problems")
    )
    return frame.select(
        "portal_doc_id",
        pl.col("p_section").alias("section"),
        pl.col("p_supplier_gstin").alias("supplier_gstin"),
        pl.col("p_doc_no").alias("doc_no"),
        "category",
        current_action().alias("ims_action"),
        "suggested_action",
        pl.col("d_action").alias("decision_action"),
        pl.col("_action").alias("wanted_action"),
        "action_source",
        "remarks",
        "itc_red_req",
        *DECL_COLUMNS,
        "stale",
        pl.when(pl.col("stale")).then(pl.lit(texts.STALE)).alias("stale_reason"),
        (pl.col("_action") != current_action()).alias("changed"),
        "guard_problems",
    )


def _choose(frame: pl.DataFrame) -> pl.DataFrame:
    """Pick decision or suggestion per row, with its remarks and ITC-reduction answer."""
    decided = pl.col("d_action").is_not_null()
    stale = (
        decided
        & pl.col("d_content_hash").is_not_null()
        & pl.col("p_content_hash").is_not_null()
        & (pl.col("d_content_hash") != pl.col("p_content_hash"))
    )
    current = current_action()
    frame = frame.with_columns(
        stale.alias("stale"),
        pl.when(decided & ~stale)
        .then(pl.col("d_action"))
        .when(decided)
        .then(current)
        .otherwise(pl.coalesce(pl.col("suggested_action"), current))
        .alias("_action"),
        pl.when(decided).then(pl.lit("user")).otherwise(pl.lit("suggested")).alias("action_source"),
    )
    use_decision = pl.col("action_source") == "user"
    suggested_itc = suggested_declaration()
    return frame.with_columns(
        pl.when(use_decision).then(pl.col("d_remarks")).otherwise(_suggested_remarks()).alias("remarks"),
        pl.when(use_decision)
        .then(pl.col("d_itc_red_req"))
        .otherwise(suggested_itc["itc_red_req"])
        .alias("itc_red_req"),
        *[
            pl.when(use_decision).then(pl.col(f"d_{c}")).otherwise(suggested_itc[c]).alias(c)
            for c in DECL_COLUMNS
        ],
    )


def _suggested_remarks() -> pl.Expr:
    """A short remark for the supplier on suggested Reject / Pending (visible to them and in 2B)."""
    action, category = pl.col("_action"), pl.col("category")
    diff = pl.col("differences_text").fill_null("details").str.strip_chars_end(". ")
    text = (
        pl.when((action == "P") & (category == "ims_only"))
        .then(pl.lit("Not found in our purchase records; under verification."))
        .when((action == "P") & (category == "matched"))
        .then(pl.lit("Awaiting your filing of this document."))
        .when((action == "P") & (category == "mismatched"))
        .then(pl.lit("Differs from our records: ") + diff + pl.lit(". Please amend."))
        .when((action == "R") & (category == "mismatched"))
        .then(
            pl.lit("Rejected, differs from our records: ")
            + diff
            + pl.lit(". Please issue a corrected document.")
        )
    )
    return pl.when(~pl.col("p_remarks_blocked").fill_null(False)).then(text.str.slice(0, REMARKS_MAX))


def suggested_remark(
    action: str, category: str | None, differences_text: str | None, *, remarks_blocked: bool = False
) -> str | None:
    """The remark :func:`effective_actions` gives a suggested Reject / Pending, for one document.

    For the CLI, which takes suggestions from the reconcile CSV (``--suggested all``): the file carries
    no remark, and a Reject goes to the supplier with one.
    """
    row = pl.DataFrame(
        {
            "_action": [action],
            "category": [category],
            "differences_text": [differences_text or None],
            "p_remarks_blocked": [bool(remarks_blocked)],
        },
        schema={
            "_action": pl.String,
            "category": pl.String,
            "differences_text": pl.String,
            "p_remarks_blocked": pl.Boolean,
        },
    )
    return row.select(_suggested_remarks()).item()
