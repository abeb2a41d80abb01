"""A store seen for a moment: the same read asked again within a second is answered without the database.

One run of a page asks for the same few rows many times: the period's imports, the client, its settings and
links are read by each figure that depends on them (``Workspace._inputs`` alone is called several times a
run). With ten consultants on one server those repeated round trips, each a little Python under the GIL,
were most of a Reconcile run and kept the other pages waiting. Each signed-in session's workspace view reads
through one ``ReadMemo`` (``Workspace.signed_in``).

What may be answered again is a short list of plain reads (``READS``); decisions, results and versions are
always read afresh (``FRESH_READS``). Any other call - a write above all - forgets everything first and again
after, so a session always reads what it has just written. What another session writes is seen at most ``FRESH_FOR``
seconds later, as if this run had started that much earlier.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

READS = frozenset({"client", "clients", "periods", "period_settings", "imports", "links", "uploads"})
# Reads that are always asked afresh and change nothing: they need not make the memo forget.
FRESH_READS = frozenset(
    {
        "decisions_version",
        "decision_versions",
        "decisions",
        "results",
        "results_inputs",
        "import_documents",
        "audit_trail",
        "operation",
        "open_operations",
        "client_by_gstin",
        "user_client_ids",
        "may_open",
    }
)
FRESH_FOR = 1.0  # seconds: about one run of a page, never a consultant's next click


class ReadMemo:
    """Wraps a store (``recon.store.Store`` or ``recon.auth.ScopedStore``); every attribute passes through."""

    def __init__(self, store, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._clock = clock
        self._answers: dict[tuple, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def __getattr__(self, name: str):
        attribute = getattr(self._store, name)
        if not callable(attribute):
            return attribute
        if name in READS:
            return lambda *args, **kwargs: self._read(name, attribute, args, kwargs)
        if name in FRESH_READS:
            return attribute
        return lambda *args, **kwargs: self._other(attribute, args, kwargs)

    def forget(self) -> None:
        with self._lock:
            self._answers.clear()

    def _read(self, name: str, method, args: tuple, kwargs: dict):
        try:
            key = (name, args, tuple(sorted(kwargs.items())))
            hash(key)
        except TypeError:
            return method(*args, **kwargs)  # an argument that cannot be a key: not remembered
        now = self._clock()
        with self._lock:
            kept = self._answers.get(key)
        if kept is not None and now - kept[0] < FRESH_FOR:
            return _copy(kept[1])
        answer = method(*args, **kwargs)
        with self._lock:
            self._answers[key] = (now, answer)
        return _copy(answer)

    def _other(self, method, args: tuple, kwargs: dict):
        self.forget()
        try:
            return method(*args, **kwargs)
        finally:
            self.forget()  # what the call changed is read afresh, even if it failed half-way


def _copy(answer):
    """A list or dict handed out is the caller's own: changing it does not change what is remembered."""
    if isinstance(answer, list):
        return list(answer)
    if isinstance(answer, dict):
        return dict(answer)
    return answer
