"""The guards every IMS action passes before it is saved or written.

The rules are those of docs/reference/matching-practice.md §12 and docs/reference/formats.md §2.

:func:`guard_check` is the one check: the app's ``set_action``, the CLI and the upload builder
(``recon.ims_json.build``) call it, or read the ``guard_problems`` that
:func:`recon.actions.effective_actions` got from it. Guards that refuse (Pending blocked, Reject of an
import, a Reject without a remark, an accepted credit note without the ITC-reduction answer ...) are
problems; what only needs the user's confirmation (an unfiled supplier on Accept, what a Reject costs)
is a caution (:func:`decision_cautions`, :func:`preview_action`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from recon.actions import texts
from recon.actions.declarations import declaration_prefill, declaration_rules
from recon.actions.facts import (
    DECL_COLUMNS,
    PORTAL_FACTS,
    REMARKS_MAX,
    is_credit_note,
    is_import,
    listed,
    pending_block_reason,
    prefixed,
)
from recon.model import Decision


def guard_problems(
    frame: pl.DataFrame, today: date, where: pl.Expr | None = None, *, quarterly: bool = False
) -> pl.Series:
    """Per row of ``frame``, every reason the portal would refuse ``_action`` (empty list: none).

    ``frame`` holds the p_* portal facts and _action, remarks, itc_red_req, decl_*; ``where`` limits the
    check to some rows (others get an empty list). ``quarterly``: the client files quarterly (QRMP), so
    the Pending window of a credit note is a quarter. The rules' conditions are cheap booleans; the
    messages are built only for the few rows that break one, since text is what costs on a large download.
    """
    rules = _guard_rules(today, quarterly)
    broken = pl.any_horizontal([cond.fill_null(False) for cond, _ in rules])
    if where is not None:
        broken = broken & where.fill_null(False)
    numbered = frame.with_row_index("_row")
    flagged = numbered.filter(broken)
    messages = flagged.select(
        "_row", listed(*[pl.when(cond.fill_null(False)).then(msg) for cond, msg in rules]).alias("problems")
    )
    merged = numbered.select("_row").join(messages, on="_row", how="left", maintain_order="left")
    return merged.get_column("problems").fill_null(pl.lit([], pl.List(pl.String)))


def _guard_rules(today: date, quarterly: bool = False) -> list[tuple[pl.Expr, pl.Expr]]:
    """(condition, message) per guard, over the columns :func:`guard_problems` describes."""
    action = pl.col("_action")
    remarks = pl.col("remarks")
    answer = pl.col("itc_red_req")
    rules: list[tuple[pl.Expr, pl.Expr]] = [
        (
            action.is_not_null() & ~action.is_in(["A", "R", "P", "N"]),
            pl.lit("'") + action + pl.lit("' is not an IMS action: use A, R, P or N."),
        ),
        (
            # The portal refuses P here (docs/reference/formats.md §2 rule 6,
            # docs/reference/ims-rules.md §4).
            (action == "P") & pending_block_reason(today, quarterly).is_not_null(),
            pl.lit("Pending is not allowed: ") + pending_block_reason(today, quarterly) + pl.lit("."),
        ),
        (
            (action == "R") & is_import(),
            pl.lit(texts.IMPORT_NEVER_REJECTED),
        ),
        (
            remarks.is_not_null() & (remarks.str.len_chars() > REMARKS_MAX),
            pl.lit(f"{texts.remarks_too_long(REMARKS_MAX)}; these have ")
            + remarks.str.len_chars().cast(pl.String)
            + pl.lit("."),
        ),
        (
            # The supplier reads the remark to know what to re-issue; where the portal blocks remarks
            # none can be sent, so the Reject goes without (docs/reference/formats.md §2: remarks).
            (action == "R")
            & (remarks.is_null() | (remarks.str.strip_chars() == ""))
            & ~pl.col("p_remarks_blocked").fill_null(False),
            pl.lit(texts.REJECT_NEEDS_REMARK),
        ),
        (
            remarks.is_not_null() & action.is_in(["R", "P"]) & pl.col("p_remarks_blocked").fill_null(False),
            pl.lit(texts.REMARKS_BLOCKED),
        ),
        (
            # IMSSAV0054: an accepted credit note needs the ITC-reduction answer (guard in docs/reference/matching-practice.md §12.5).
            (action == "A")
            & is_credit_note()
            & answer.is_null()
            & ~pl.col("p_itc_red_blocked").fill_null(False),
            pl.lit(texts.CREDIT_NOTE_NEEDS_ANSWER),
        ),
        (
            answer.is_not_null() & ~answer.is_in(["Y", "N"]),
            pl.lit("The ITC-reduction answer must be Y or N, not '") + answer + pl.lit("'."),
        ),
        *declaration_rules(),
    ]
    return rules


def check_decision(
    doc_row: dict, decision: Decision, today: date | None = None, *, quarterly: bool = False
) -> list[str]:
    """Guard violations, in words, for taking ``decision`` on the canonical portal row ``doc_row``.

    Empty list: the action may be saved. Used by the app before a decision is stored.
    """
    from recon.model import SCHEMA

    today = today or date.today()
    facts = {f"p_{c}": pl.Series([doc_row.get(c)], dtype=SCHEMA[c]) for c in PORTAL_FACTS}
    frame = pl.DataFrame(facts).with_columns(
        pl.lit((decision.action or "").strip().upper() or None, pl.String).alias("_action"),
        pl.lit(decision.remarks, pl.String).alias("remarks"),
        pl.lit((decision.itc_red_req or "").strip().upper() or None, pl.String).alias("itc_red_req"),
        *[pl.lit(getattr(decision, c), pl.Float64).alias(c) for c in DECL_COLUMNS],
    )
    return guard_problems(frame, today, quarterly=quarterly).item().to_list()


def guard_check(
    portal: pl.DataFrame, wanted: pl.DataFrame, today: date | None = None, *, quarterly: bool = False
) -> pl.DataFrame:
    """``wanted`` (portal_doc_id, wanted_action, remarks, itc_red_req, decl_*) plus ``guard_problems``.

    The same guards as :func:`check_decision`, for a whole change set (the JSON writer runs it).
    """
    today = today or date.today()
    for column, dtype in (("remarks", pl.String), ("itc_red_req", pl.String)) + tuple(
        (c, pl.Float64) for c in DECL_COLUMNS
    ):
        if column not in wanted.columns:
            wanted = wanted.with_columns(pl.lit(None, dtype).alias(column))
    facts = prefixed(portal, "p_", PORTAL_FACTS, "portal_doc_id")
    joined = wanted.join(facts, on="portal_doc_id", how="left", maintain_order="left").with_columns(
        pl.col("wanted_action").alias("_action")
    )
    return wanted.with_columns(guard_problems(joined, today, quarterly=quarterly).alias("guard_problems"))


def decision_cautions(doc_row: dict, decision: Decision) -> list[str]:
    """Things to confirm (not errors): an unfiled supplier on Accept, what a Reject costs.

    docs/reference/matching-practice.md §12.2-3.
    """
    action = (decision.action or "").strip().upper()
    cautions = []
    if action == "A" and doc_row.get("supplier_filed") is False:
        cautions.append(texts.UNFILED_ACCEPT)
    if action == "R":
        note = doc_row.get("doc_kind") == "credit_note"
        cautions.append(texts.REJECT_CREDIT_NOTE if note else texts.REJECT_DOCUMENT)
    return cautions


@dataclass
class ActionPreview:
    """What applying one action to some grid rows means, said before the user confirms it."""

    action: str
    rows: int  # portal documents the action applies to
    skipped_books_only: int  # books-only rows selected (nothing to act on in IMS)
    itc: float  # net ITC of those documents (credit notes negative)
    unfiled: int  # documents whose supplier has not filed (Accept: confirm)
    credit_notes: pl.DataFrame  # portal_doc_id + declaration prefilled from books (Accept: ask)
    pending_refused: int  # rows where the portal blocks Pending
    needs_confirmation: bool
    consequences: list[str]


def preview_action(rows: pl.DataFrame, action: str) -> ActionPreview:
    """The cautions for a set of review rows, before anything is saved.

    Reject: the ITC lost and that undoing it after GSTR-3B needs the supplier to report again
    (docs/reference/ims-rules.md §5). Accept of an unfiled supplier's document: the credit is not in a
    filed return yet. Accept of a credit note: the ITC-reduction declaration
    (docs/reference/matching-practice.md §12.5), prefilled from the books.
    """
    actionable = rows.filter(pl.col("portal_doc_id").is_not_null())
    kinds = actionable.get_column("doc_kind")
    notes = actionable.filter(kinds == "credit_note")
    unfiled = actionable.filter(pl.col("filing") == "Not filed").height
    blocked = actionable.filter(pl.col("pending_blocked")).height if action == "P" else 0
    consequences = []
    others = actionable.height - notes.height
    if action == "R" and others:
        consequences.append(texts.REJECT_DOCUMENT)
    if action == "R" and notes.height:
        consequences.append(texts.credit_notes_among(notes.height) if others else texts.REJECT_CREDIT_NOTE)
    if action == "A" and unfiled:
        consequences.append(texts.unfiled_accepts(unfiled))
    if action == "P" and blocked:
        consequences.append(texts.pending_refused(blocked))
    declaration = declaration_prefill(notes) if notes.height else pl.DataFrame()
    return ActionPreview(
        action=action,
        rows=actionable.height,
        skipped_books_only=rows.height - actionable.height,
        itc=float(actionable.get_column("itc").sum() or 0.0),
        unfiled=unfiled,
        credit_notes=declaration if action == "A" else pl.DataFrame(),
        pending_refused=blocked,
        needs_confirmation=action == "R" or (action == "A" and (unfiled > 0 or notes.height > 0)),
        consequences=consequences,
    )
