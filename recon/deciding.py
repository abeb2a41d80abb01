"""Saving the consultant's decisions: one action on chosen documents, "accept matched", "apply these
suggestions" — each through the guards of ``recon.actions`` and the store's write-conflict check.

``recon.workspace`` hands in the frames (the period's portal documents, the effective actions, results);
the selections here are frames in, frames out, and ``DecisionWriter`` is the one path to the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from recon import model
from recon.actions import DECL_COLUMNS, needs_pair_confirmation
from recon.operations import noted
from recon.store import DecisionConflict

# A decision written for this many documents or more is noted as an operation in progress first.
BULK_OPERATION_ROWS = 500


@dataclass
class ActionOutcome:
    """What a set-action request did: how many were saved, which were refused and why."""

    saved: int = 0
    unchanged: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (portal_doc_id, reason)


@dataclass
class DecisionWriter:
    """Writes requested decisions of one client's period for one person. ``labels``: doc ids -> what a person
    calls each document, for the message of a write conflict (computed only when one happens)."""

    store: object
    who: str
    client_id: int
    period: str
    labels: Callable[[list[str]], dict[str, str]]
    quarterly: bool = False  # a QRMP client: the one-period Pending limit is a quarter

    def save(
        self,
        docs: pl.DataFrame,
        requested: pl.DataFrame,
        *,
        source: str,
        confirmed: bool,
        expected: dict[str, str | None] | None = None,
        keep_others: bool = False,
    ) -> ActionOutcome:
        """Save ``requested`` (one decision per row of ``docs``, same order) through the guards.

        ``expected``: {doc id: decision version when the writer read it}; a document changed by someone
        else since raises DecisionConflict and nothing is saved. ``keep_others``: a document decided by
        someone else meanwhile keeps that decision and is listed as refused, instead of refusing the whole
        write. Guards that refuse (Pending blocked, Reject on imports) refuse; guards that warn (unfiled
        supplier, the cost of a Reject) need ``confirmed=True``.
        """
        from recon.actions import Decision, decision_cautions, guard_check

        # One vectorised pass of the guards (check_decision's rules) for the whole selection: a bulk
        # Accept of a lakh of rows must not cost a lakh of single-row checks.
        checked = guard_check(docs, requested.rename({"action": "wanted_action"}), quarterly=self.quarterly)
        outcome = ActionOutcome()
        rows = []
        for doc, request, problems in zip(
            docs.iter_rows(named=True),
            requested.iter_rows(named=True),
            checked.get_column("guard_problems").to_list(),
            strict=True,
        ):
            if problems:
                outcome.refused.append((doc["doc_id"], "; ".join(problems)))
                continue
            decision = Decision(**{k: v for k, v in request.items() if k in Decision.__dataclass_fields__})
            cautions = decision_cautions(doc, decision)
            if cautions and not confirmed:
                outcome.refused.append((doc["doc_id"], "needs confirmation: " + "; ".join(cautions)))
                continue
            rows.append(_decision_row(decision))
        while True:
            try:
                outcome.saved = self._write(rows, source, expected)
                break
            except DecisionConflict as conflict:
                if not keep_others:
                    conflict.labels = self.labels(conflict.doc_ids)
                    raise
                taken = set(conflict.doc_ids)
                rows = [r for r in rows if r["portal_doc_id"] not in taken]
                outcome.refused += [(c.portal_doc_id, _decided_meanwhile(c)) for c in conflict.changes]
        outcome.unchanged = len(rows) - outcome.saved
        return outcome

    def _write(self, rows, source, expected) -> int:
        """One transaction; a large one is noted as an operation first, closed by that transaction."""
        client_id, period = self.client_id, self.period
        if len(rows) < BULK_OPERATION_ROWS:
            return self.store.save_decisions(
                client_id, period, rows, source=source, who=self.who, expected=expected
            )
        actions = sorted({r["action"] for r in rows})
        detail = {"documents": len(rows), "actions": actions}
        with noted(self.store, self.who, "bulk", client_id, period, detail) as op:
            return self.store.save_decisions(
                client_id, period, rows, source=source, who=self.who, expected=expected, operation_id=op
            )


def set_action(
    writer: DecisionWriter,
    portal: pl.DataFrame,
    portal_doc_ids: list[str],
    action: str,
    *,
    remarks: str | None,
    itc_reduction: dict,
    source: str,
    confirmed: bool,
    expected: dict[str, str | None] | None,
) -> ActionOutcome:
    """One action on the listed portal documents (see ``Workspace.set_action``)."""
    if action not in model.IMS_ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    wanted_ids = list(dict.fromkeys(portal_doc_ids))
    docs = portal.filter(pl.col("doc_id").is_in(wanted_ids))
    requested = requested_decisions(docs, action, remarks, itc_reduction)
    outcome = writer.save(docs, requested, source=source, confirmed=confirmed, expected=expected)
    missing = set(wanted_ids) - set(docs["doc_id"].to_list())
    outcome.refused += [(m, "not a portal document of this period") for m in sorted(missing)]
    return outcome


def matched_to_accept(
    wanted: pl.DataFrame, results: pl.DataFrame, portal: pl.DataFrame, *, filed_only: bool
) -> pl.DataFrame:
    """Matched documents an "accept matched" click would accept: no decision yet, not Accepted on the
    portal already, not a pair still to confirm; with ``filed_only`` only where the supplier filed.

    Columns: portal_doc_id, supplier_filed, doc_kind.
    """
    pairs = results.filter(pl.col("category") == "matched")
    to_confirm = pairs.filter(needs_pair_confirmation()).get_column("portal_doc_id")
    facts = portal.select(
        pl.col("doc_id").alias("portal_doc_id"), "doc_kind", pl.col("supplier_filed").fill_null(True)
    ).unique("portal_doc_id", keep="first", maintain_order=True)
    rows = wanted.filter(
        (pl.col("category") == "matched")
        & pl.col("decision_action").is_null()
        & (pl.col("ims_action") != "A")
        & ~pl.col("portal_doc_id").is_in(to_confirm.drop_nulls().implode())
    ).join(facts, on="portal_doc_id", how="left", maintain_order="left")
    if filed_only:
        rows = rows.filter(pl.col("supplier_filed"))
    return rows.select("portal_doc_id", "supplier_filed", "doc_kind")


def accept_matched(
    writer: DecisionWriter,
    rows: pl.DataFrame,
    portal: pl.DataFrame,
    books: pl.DataFrame,
    results: pl.DataFrame,
    *,
    filed_only: bool,
) -> ActionOutcome:
    """Accept ``rows`` (``matched_to_accept``) in one click, saved as the consultant's own decisions.

    ``filed_only`` (the first button): only where the supplier has filed. Without it the unfiled ones
    are accepted too — the button says how many, so the click is the confirmation. Credit notes carry
    the ITC reduction at the books' amounts (capped at the note).
    Only undecided documents are accepted: one decided by someone meanwhile keeps that decision.
    """
    if rows.is_empty():
        return ActionOutcome()
    ids = rows.get_column("portal_doc_id").to_list()
    notes = rows.filter(pl.col("doc_kind") == "credit_note").get_column("portal_doc_id").to_list()
    docs = portal.filter(pl.col("doc_id").is_in(ids))
    requested = requested_decisions(docs, "A", None, books_reductions(portal, books, results, notes))
    return writer.save(
        docs,
        requested,
        source="user",
        confirmed=not filed_only,
        expected=dict.fromkeys(ids),
        keep_others=True,
    )


def books_reductions(
    portal: pl.DataFrame, books: pl.DataFrame, results: pl.DataFrame, note_ids: list[str]
) -> dict[str, dict]:
    """{credit note id: its ITC-reduction answer from the paired books entry} (recon.actions rule)."""
    from recon.actions import HEADS, books_declaration

    if not note_ids:
        return {}
    pairs = results.filter(pl.col("portal_doc_id").is_in(note_ids))
    books_by_id = {
        r["doc_id"]: r
        for r in books.filter(pl.col("doc_id").is_in(pairs["books_doc_id"].drop_nulls().implode())).iter_rows(
            named=True
        )
    }
    notes_by_id = {
        r["doc_id"]: r for r in portal.filter(pl.col("doc_id").is_in(note_ids)).iter_rows(named=True)
    }
    out = {}
    for pair in pairs.iter_rows(named=True):
        note = notes_by_id.get(pair["portal_doc_id"])
        entry = books_by_id.get(pair["books_doc_id"], {})
        if note is not None:
            out[note["doc_id"]] = books_declaration(note, {h: entry.get(h) for h in HEADS})
    return out


def suggestions_to_apply(
    wanted: pl.DataFrame, joined: pl.DataFrame, unsendable: pl.DataFrame, actions: tuple[str, ...]
) -> pl.DataFrame:
    """Suggestions an "apply these suggestions" step would save: one row per portal document whose
    suggested action differs from the portal's and that nobody has decided.

    Columns: portal_doc_id, supplier, supplier_gstin, doc_no, category, suggested_action, why,
    suggested_remark, portal_would_refuse (why the upload will leave it out, else null).
    """
    rows = wanted.filter(
        (pl.col("action_source") == "suggested")
        & pl.col("suggested_action").is_in(list(actions))
        & (pl.col("suggested_action") != pl.col("ims_action"))
    )
    names = (
        joined.select("portal_doc_id", "supplier_name", pl.col("action_reason").alias("why"))
        .filter(pl.col("portal_doc_id").is_not_null())
        .unique("portal_doc_id", keep="first", maintain_order=True)
    )
    refused = unsendable.rename({"doc_id": "portal_doc_id", "reason": "refusal"})
    rows = rows.join(names, on="portal_doc_id", how="left", maintain_order="left").join(
        refused, on="portal_doc_id", how="left", maintain_order="left"
    )
    return rows.select(
        "portal_doc_id",
        pl.coalesce("supplier_name", "supplier_gstin").alias("supplier"),
        "supplier_gstin",
        "doc_no",
        "category",
        "suggested_action",
        "why",
        pl.col("remarks").alias("suggested_remark"),
        pl.col("refusal").alias("portal_would_refuse"),
    )


def apply_suggestions(
    writer: DecisionWriter,
    wanted: pl.DataFrame,
    portal: pl.DataFrame,
    portal_doc_ids: list[str],
    *,
    confirmed: bool,
) -> ActionOutcome:
    """Save each listed document's suggested action (and its suggested remark and ITC reduction) as a
    decision of the consultant, through the same guards as set_action.

    Documents decided since the list was shown keep their decision (refused: "already decided").
    Rejects, and Accepts of unfiled suppliers' documents, need ``confirmed=True`` — the page shows
    the list before the button.
    """
    ids = list(dict.fromkeys(portal_doc_ids))
    docs = portal.filter(pl.col("doc_id").is_in(ids)).unique("doc_id", keep="first", maintain_order=True)
    chosen = docs.select(pl.col("doc_id").alias("portal_doc_id")).join(
        wanted, on="portal_doc_id", how="left", maintain_order="left"
    )
    open_ = (chosen.get_column("action_source") == "suggested") & chosen.get_column(
        "suggested_action"
    ).is_not_null()
    outcome = ActionOutcome()
    outcome.refused += [
        (doc_id, "already decided, or nothing suggested: left as it is")
        for doc_id in chosen.filter(~open_).get_column("portal_doc_id").to_list()
    ]
    docs, chosen = docs.filter(open_), chosen.filter(open_)
    requested = chosen.select(
        "portal_doc_id",
        pl.col("suggested_action").alias("action"),
        "remarks",
        "itc_red_req",
        *DECL_COLUMNS,
    ).with_columns(docs.get_column("content_hash").alias("content_hash"))
    undecided = dict.fromkeys(chosen.get_column("portal_doc_id").to_list())
    saved = writer.save(
        docs, requested, source="user", confirmed=confirmed, expected=undecided, keep_others=True
    )
    saved.refused = outcome.refused + saved.refused
    missing = set(ids) - set(portal.get_column("doc_id").to_list())
    saved.refused += [(m, "not a portal document of this period") for m in sorted(missing)]
    return saved


def document_labels(portal: pl.DataFrame, joined: pl.DataFrame | None, doc_ids: list[str]) -> dict[str, str]:
    """What a person calls each portal document: the supplier's name (as the grid shows it, else the
    GSTIN) and the document number. ``joined``: the period's joined view where a run exists, else None."""
    rows = portal.filter(pl.col("doc_id").is_in(doc_ids)).select(
        "doc_id", "supplier_gstin", pl.col("doc_no").cast(pl.String)
    )
    named = {}
    if joined is not None:
        view = joined.filter(pl.col("portal_doc_id").is_in(doc_ids))
        named = dict(zip(view["portal_doc_id"].to_list(), view["supplier_name"].to_list(), strict=True))
    return {
        r["doc_id"]: f"{named.get(r['doc_id']) or r['supplier_gstin']} {r['doc_no']}"
        for r in rows.iter_rows(named=True)
    }


def requested_decisions(docs: pl.DataFrame, action: str, remarks, itc_reduction: dict) -> pl.DataFrame:
    """One requested decision per portal document, in the documents' order (DECISION fields)."""
    reductions = [itc_reduction.get(doc_id, {}) for doc_id in docs["doc_id"].to_list()]
    return pl.DataFrame(
        {
            "portal_doc_id": docs["doc_id"],
            "action": [action] * docs.height,
            "remarks": [remarks or None] * docs.height,
            "itc_red_req": [r.get("itc_red_req") for r in reductions],
            **{c: [_amount(r.get(c)) for r in reductions] for c in DECL_COLUMNS},
            "content_hash": docs["content_hash"],
        },
        schema={k: v for k, v in model.DECISION_SCHEMA.items() if k not in ("decided_by", "decided_at")},
    )


def _decided_meanwhile(change) -> str:
    who = change.decided_by or "someone"
    what = model.ACTION_LABELS.get(change.action, change.action) if change.action else "no decision"
    return f"decided meanwhile by {who} ({what}): left as it is"


def _amount(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _decision_row(decision) -> dict:
    return {
        "portal_doc_id": decision.portal_doc_id,
        "action": decision.action,
        "remarks": getattr(decision, "remarks", None),
        "itc_red_req": getattr(decision, "itc_red_req", None),
        "decl_igst": getattr(decision, "decl_igst", None),
        "decl_cgst": getattr(decision, "decl_cgst", None),
        "decl_sgst": getattr(decision, "decl_sgst", None),
        "decl_cess": getattr(decision, "decl_cess", None),
        "content_hash": getattr(decision, "content_hash", None),
    }
