"""The frames one server process keeps for all its sessions, keyed by what they were computed from."""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from contextlib import contextmanager

import polars as pl


class FrameCache:
    """A small LRU of frames keyed by what they were computed from (ids never change meaning).

    One per server process, shared by every session: ten consultants opening the same client and
    decisions version get the same frames. ``get_or_compute`` is single-flight: while one thread computes a
    key, the others asking for it wait and take its result instead of computing it again. Besides the entry
    count, the frames held are bounded in bytes, so superseded versions (an older decisions version, an
    older import) are let go rather than kept until sixteen newer ones push them out.
    """

    def __init__(self, size: int = 16, max_bytes: int | None = None) -> None:
        self._items: OrderedDict = OrderedDict()
        self._size = size
        self._max_bytes = max_bytes
        self._bytes: dict = {}
        self._lock = threading.Lock()
        self._flights: dict = {}  # key -> [lock held while computing it, threads using that lock]

    def get(self, key):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key, value):
        with self._lock:
            self._items[key] = value
            self._bytes[key] = _held_bytes(value)
            self._items.move_to_end(key)
            while len(self._items) > self._size or (len(self._items) > 1 and self._over_budget()):
                old, _ = self._items.popitem(last=False)
                self._bytes.pop(old, None)
        return value

    def get_or_compute(self, key, compute):
        """The value for ``key``; computed by ``compute()`` once however many threads ask at the same time."""
        value = self.get(key)
        if value is not None:
            return value
        with self._flight(key):
            value = self.get(key)  # the thread that held the key may have just computed it
            if value is not None:
                return value
            return self.put(key, compute())

    def clear(self):
        with self._lock:
            self._items.clear()
            self._bytes.clear()

    def _over_budget(self) -> bool:
        return self._max_bytes is not None and sum(self._bytes.values()) > self._max_bytes

    @contextmanager
    def _flight(self, key):
        with self._lock:
            flight = self._flights.setdefault(key, [threading.Lock(), 0])
            flight[1] += 1
        try:
            with flight[0]:
                yield
        finally:
            with self._lock:
                flight[1] -= 1
                if flight[1] == 0:
                    del self._flights[key]


def _held_bytes(value) -> int:
    """What a cached value holds, as far as it is frames (a frame's estimate; 0 for anything else)."""
    if isinstance(value, pl.DataFrame):
        return value.estimated_size()
    if isinstance(value, tuple):
        return sum(_held_bytes(v) for v in value)
    return 0


# The frames one process keeps for all its sessions: a lakh of documents a side comes to a few hundred MB
# for one client's documents, results, joined rows and actions; several clients fit, old versions do not pile up.
CACHE_BYTES = int(os.environ.get("IMS_WORKBENCH_CACHE_MB", "1024")) * 1024**2


def fingerprint(inputs: dict) -> str:
    """What a frame was computed from, as a cache key (and as stored with the results)."""
    return json.dumps(inputs, sort_keys=True, default=str)
