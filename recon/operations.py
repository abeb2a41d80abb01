"""Long operations noted before they run, and what a killed process left unfinished, said in words.

An import, a reconciliation, a bulk decision or an upload is noted in the store first; the transaction that
saves its result closes it. One that fails is closed with the reason, so only a killed process leaves an
operation open; ``interrupted`` finds those and says what became of each.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime

from recon.errors import InputError
from recon.store import owner_alive


@dataclass
class Interruption:
    """An operation a process started and never finished (killed, crashed), said in words."""

    operation_id: int
    kind: str
    client_id: int | None
    period: str | None
    started_at: datetime
    message: str
    resumable: bool = False  # an upload whose portal answer can still be fetched (needs a session)
    headline: str = ""  # the message without what to do (where the page offers the step itself)


@contextlib.contextmanager
def noted(store, who: str, kind: str, client_id: int | None, period: str | None, detail: dict):
    """Note a long operation before it runs; its result's transaction closes it. One that fails is
    closed here with the reason, so only a killed process leaves it open (see ``interrupted``)."""
    operation = store.start_operation(kind, client_id, period, detail, who=who)
    try:
        yield operation
    except BaseException as err:
        reason = str(err) if isinstance(err, InputError) else type(err).__name__
        with contextlib.suppress(Exception):  # the original error matters more than this note
            store.finish_operation(operation, f"not saved: {reason}"[:1000])
        raise


def interrupted(store) -> list[Interruption]:
    """Operations whose process is gone before they finished, in words. Imports, reconciliations and
    bulk decisions are all-or-nothing: they are closed here ("nothing of it was saved"). An upload
    that has reference ids stays open until it is resumed and the portal's answer recorded."""
    found = []
    for operation in store.open_operations():
        if owner_alive(operation["owner"], operation["started_at"]):
            continue
        found.append(_interruption(store, operation))
    return found


def still_open(store, interruption: Interruption) -> bool:
    """Whether an interruption reported earlier is still to be dealt with (an upload not yet resumed)."""
    operation = store.operation(interruption.operation_id)
    return interruption.resumable and operation is not None and operation["finished_at"] is None


def pending_uploads(store, client_id: int, period: str) -> list[Interruption]:
    """Interrupted uploads of this client's period whose portal answer is still to be fetched."""
    return [i for i in interrupted(store) if i.resumable and i.client_id == client_id and i.period == period]


def local_time(stamp: datetime) -> datetime:
    """A stored UTC time as the server's local time (what the consultant's clock says)."""
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone()


def _interruption(store, operation: dict) -> Interruption:
    detail = operation["detail"]
    when = f"{local_time(operation['started_at']):%d-%m-%Y %H:%M}"
    where = _where(store, operation)
    kind = operation["kind"]
    resumable = False
    headline = ""
    if kind == "import":
        message = (
            f"An import of {detail.get('file')}{where} was interrupted at {when}: nothing of it was saved."
        )
    elif kind == "reconcile":
        message = (
            f"A reconciliation{where} was interrupted at {when}: the previous results are kept; it runs "
            "again when the period is opened."
        )
    elif kind == "bulk":
        message = (
            f"A decision on {detail.get('documents', 0):,} document(s){where} was interrupted at {when}: "
            "nothing of it was saved; the decisions are as they were before it."
        )
    elif detail.get("references"):
        resumable = True
        what = "was still being processed by the portal" if operation["owner"] == "" else "was interrupted"
        headline = (
            f"An upload of {detail.get('documents', 0):,} action(s) to the portal{where} {what} at {when}. "
            "The portal had received it"
        )
        message = (
            f"{headline}: open the Upload page to fetch the portal's answer (needs the OTP) and record "
            "what it holds."
        )
    else:
        message = (
            f"An upload of {detail.get('documents', 0):,} action(s) to the portal{where} was interrupted "
            f"at {when} before the portal answered. Fetch IMS from the portal again to see what it "
            "holds before uploading again."
        )
    if not resumable:
        store.finish_operation(operation["id"], message, interrupted=True)
    return Interruption(
        operation["id"],
        kind,
        operation["client_id"],
        operation["period"],
        operation["started_at"],
        message,
        resumable,
        headline or message,
    )


def _where(store, operation: dict) -> str:
    from recon.present import period_label

    client = store.client(operation["client_id"]) if operation["client_id"] else None
    if client is None:
        return ""
    period = f", {period_label(operation['period'])}" if operation["period"] else ""
    return f" ({client.name}{period})"
