"""The connector's and the sandbox's sense of time, passed in from outside.

Polling, back-off, queued-file waits and session expiry all read one :class:`Clock`. The app uses
:data:`SYSTEM_CLOCK`; tests give the connector and the sandbox one shared :class:`ManualClock`, so a
five-minute back-off or an expired session costs no real time and every wait is still exercised.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time: ``time.monotonic`` and ``time.sleep``."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


class ManualClock:
    """Time that moves only when someone sleeps on it or advances it; ``slept`` lists every wait asked for."""

    def __init__(self, start: float = 1_000.0) -> None:
        self._now = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self._now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        """Time passes without anyone waiting on it (a session runs out while the user reads)."""
        with self._lock:
            self._now += seconds
