"""Decisions and their audit trail: written at once, every change one audit row, and a write refused with
:class:`DecisionConflict` when someone else changed a decision after the writer read it.

So a refresh, a second tab or a restart shows exactly the same decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import polars as pl
import sqlalchemy as sa

from recon import model
from recon.model import DECISION_SCHEMA
from recon.store import operation
from recon.store.engine import chunks, locked_write, now, retrying, utc
from recon.store.schema import audit, decisions

if TYPE_CHECKING:
    from recon.store import Store

DECISION_FIELDS = (
    "action",
    "remarks",
    "itc_red_req",
    "decl_igst",
    "decl_cgst",
    "decl_sgst",
    "decl_cess",
    "content_hash",
)

# The decision fields of recon.actions plus where and how each was recorded; stored times are UTC.
DECISION_FRAME_SCHEMA = {
    "portal_doc_id": pl.String,
    "period": pl.String,
    **{k: v for k, v in DECISION_SCHEMA.items() if k not in ("portal_doc_id", "decided_by", "decided_at")},
    "source": pl.String,
    "decided_at": pl.Datetime(time_zone="UTC"),
    "decided_by": pl.String,
}

AUDIT_FRAME_SCHEMA = {
    "at": pl.Datetime(time_zone="UTC"),
    "who": pl.String,
    "period": pl.String,
    "portal_doc_id": pl.String,
    "old_action": pl.String,
    "new_action": pl.String,
    "remarks": pl.String,
    "source": pl.String,
    "note": pl.String,
}


@dataclass(frozen=True)
class ChangedDecision:
    """A decision someone else saved after the writer read it: who, when, and what it says now."""

    portal_doc_id: str
    action: str | None  # None: the decision was removed
    remarks: str | None
    decided_by: str | None
    decided_at: datetime | None
    source: str | None
    wanted: str  # the action the refused writer asked for


class DecisionConflict(Exception):
    """Decisions changed by someone else since they were read: nothing of the write was saved.

    ``changes`` names each document, who changed it, when and to what; the writer decides again (apply
    theirs over it, or keep the other's change). ``labels`` maps doc ids to what a person calls the
    document (filled by the workspace, which knows the documents).
    """

    def __init__(self, changes: list[ChangedDecision]) -> None:
        self.changes = changes
        self.labels: dict[str, str] = {}
        super().__init__(self.message())

    def __str__(self) -> str:  # labels may be filled after the error was raised
        return self.message()

    @property
    def doc_ids(self) -> list[str]:
        return [c.portal_doc_id for c in self.changes]

    def lines(self) -> list[str]:
        out = []
        for change in self.changes:
            label = self.labels.get(change.portal_doc_id, change.portal_doc_id)
            who = change.decided_by or "someone"
            when = f" at {change.decided_at:%d-%m-%Y %H:%M} UTC" if change.decided_at else ""
            now_ = model.ACTION_LABELS.get(change.action, change.action) if change.action else "no decision"
            remark = f" (remark: '{change.remarks}')" if change.remarks else ""
            wanted = model.ACTION_LABELS.get(change.wanted, change.wanted)
            out.append(f"{label}: {who} set {now_}{when}{remark}; you chose {wanted}.")
        return out

    def message(self) -> str:
        count = len(self.changes)
        return (
            f"{count:,} document(s) were changed by someone else after you opened them, so nothing of "
            "your change was saved: " + " ".join(self.lines()[:5]) + (" ..." if count > 5 else "")
        )


def version_of(stamp) -> str | None:
    """A decision's version as text: its decided_at in UTC to the microsecond (SQLite returns it naive)."""
    if stamp is None:
        return None
    return utc(stamp).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def save_decisions(
    store: Store,
    client_id: int,
    period: str,
    rows: list[dict],
    *,
    source: str,
    who: str | None = None,
    expected: dict[str, str | None] | None = None,
    operation_id: int | None = None,
) -> int:
    """Write decisions at once (insert or update) and append an audit row for each change.

    ``rows``: dicts with ``portal_doc_id`` and DECISION_FIELDS. Returns how many changed. The whole
    list is one transaction: a kill at any moment leaves all of it or none of it.
    ``expected``: {doc id: the version (``version_of(decided_at)``, None = undecided) the writer saw};
    a listed document whose decision changed since, to something else than asked, refuses the whole
    write with :class:`DecisionConflict`. ``operation_id`` is closed in the same transaction.
    """
    if not rows:
        if operation_id is not None:
            store.finish_operation(operation_id, "nothing to change")
        return 0
    by_id = {r["portal_doc_id"]: r for r in rows}

    def write() -> int:
        stamp = now()
        with locked_write(store.engine, client_id) as conn:
            current = _current_decisions(conn, client_id, list(by_id))
            _refuse_changed(by_id, current, expected)
            changed = _write_decisions(conn, client_id, period, by_id, current, source, who, stamp)
            if operation_id is not None:
                operation.close(conn, operation_id, f"{changed:,} decision(s) saved")
            return changed

    return retrying(write, f"the decision on {len(by_id):,} document(s)")


def _current_decisions(conn, client_id: int, doc_ids: list[str]) -> dict[str, dict]:
    current = {}
    for chunk in chunks(doc_ids):
        found = conn.execute(
            sa.select(decisions).where(
                decisions.c.client_id == client_id, decisions.c.portal_doc_id.in_(chunk)
            )
        ).mappings()
        current.update({r["portal_doc_id"]: dict(r) for r in found})
    return current


def _write_decisions(conn, client_id, period, by_id, current, source, who, stamp) -> int:
    inserts, updates, trail = [], [], []
    for doc_id, row in by_id.items():
        values = {f: row.get(f) for f in DECISION_FIELDS}
        old = current.get(doc_id)
        if old and _same_decision(old, values):
            continue
        stamped = dict(values, period=period, source=source, decided_at=stamp, decided_by=who)
        if old:
            updates.append(dict(stamped, b_doc=doc_id))
        else:
            inserts.append(dict(stamped, client_id=client_id, portal_doc_id=doc_id))
        trail.append(
            dict(
                client_id=client_id,
                period=period,
                portal_doc_id=doc_id,
                at=stamp,
                who=who,
                old_action=old["action"] if old else None,
                new_action=values["action"],
                remarks=values["remarks"],
                source=source,
                note=row.get("note"),
            )
        )
    if inserts:
        conn.execute(decisions.insert(), inserts)
    if updates:
        statement = (
            decisions.update()
            .where(decisions.c.client_id == client_id, decisions.c.portal_doc_id == sa.bindparam("b_doc"))
            .values(
                {
                    k: sa.bindparam(k)
                    for k in (*DECISION_FIELDS, "period", "source", "decided_at", "decided_by")
                }
            )
        )
        conn.execute(statement, updates)
    if trail:
        conn.execute(audit.insert(), trail)
    return len(trail)


def _same_decision(old: dict, values: dict) -> bool:
    return all(old[f] == values[f] for f in DECISION_FIELDS)


def _refuse_changed(by_id: dict, current: dict, expected: dict | None) -> None:
    """DecisionConflict for documents whose decision changed since the writer's read, unless it already
    says what the writer asks (then nothing would be overwritten)."""
    if not expected:
        return
    changes = []
    for doc_id, seen in expected.items():
        if doc_id not in by_id:
            continue
        old = current.get(doc_id)
        if version_of(old["decided_at"] if old else None) == seen:
            continue
        wanted = {f: by_id[doc_id].get(f) for f in DECISION_FIELDS}
        if old and _same_decision(old, wanted):
            continue
        changes.append(
            ChangedDecision(
                portal_doc_id=doc_id,
                action=old["action"] if old else None,
                remarks=old["remarks"] if old else None,
                decided_by=old["decided_by"] if old else None,
                decided_at=utc(old["decided_at"]) if old else None,
                source=old["source"] if old else None,
                wanted=wanted["action"],
            )
        )
    if changes:
        raise DecisionConflict(changes)


def decision_versions(store: Store, client_id: int, doc_ids: list[str] | None = None) -> dict[str, str]:
    """{doc id: version} of the client's decisions (all, or of ``doc_ids``): what a writer saw."""
    query = sa.select(decisions.c.portal_doc_id, decisions.c.decided_at).where(
        decisions.c.client_id == client_id
    )
    with store.engine.connect() as conn:
        if doc_ids is None:
            rows = conn.execute(query).all()
        else:
            rows = [
                r
                for chunk in chunks(list(dict.fromkeys(doc_ids)))
                for r in conn.execute(query.where(decisions.c.portal_doc_id.in_(chunk))).all()
            ]
    return {doc_id: version_of(stamp) for doc_id, stamp in rows}


def decision_frame(store: Store, client_id: int) -> pl.DataFrame:
    """Current decisions of a client, one row per portal document."""
    query = sa.select(*[decisions.c[name] for name in DECISION_FRAME_SCHEMA]).where(
        decisions.c.client_id == client_id
    )
    return _frame(store, query, DECISION_FRAME_SCHEMA)


def decisions_version(store: Store, client_id: int) -> tuple:
    """Changes whenever a decision of the client changes: (audit rows, last audit id)."""
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(sa.func.count(audit.c.id), sa.func.max(audit.c.id)).where(
                audit.c.client_id == client_id
            )
        ).first()
    return tuple(row)


def audit_trail(store: Store, client_id: int, period: str | None = None) -> pl.DataFrame:
    query = sa.select(*[audit.c[name] for name in AUDIT_FRAME_SCHEMA]).where(audit.c.client_id == client_id)
    if period:
        query = query.where(audit.c.period == period)
    return _frame(store, query.order_by(audit.c.id), AUDIT_FRAME_SCHEMA)


def _frame(store: Store, query, schema: dict) -> pl.DataFrame:
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
