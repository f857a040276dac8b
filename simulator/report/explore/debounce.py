"""Coalesce bursts of calls (a slider being dragged) into few runs.

In a Jupyter kernel an asyncio loop is running: the first call after a quiet
spell runs at once; calls that follow within ``delay`` seconds of the end of
the last run are merged into one trailing run, ``delay`` after it. While a
run blocks the kernel, the slider's messages queue up; when it ends they are
read in a burst and cost one more run, not one each. Without a running loop
(a script, a test) every call runs at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["Debouncer"]


class Debouncer:
    """Call ``callback`` on the leading edge of a burst, and once more after it.

    Parameters
    ----------
    callback : callable
        Takes no argument; reads the latest state itself.
    delay : float
        Seconds of quiet, after a run, before a trailing run.

    Attributes
    ----------
    calls, runs : int
        How often :meth:`trigger` was called, and ``callback`` ran.
    """

    def __init__(self, callback: Callable[[], None], delay: float = 0.1) -> None:
        self.callback = callback
        self.delay = float(delay)
        self.calls = 0
        self.runs = 0
        self._pending: asyncio.TimerHandle | None = None
        self._last_end = float("-inf")

    def trigger(self) -> None:
        """Ask for a run with the latest state."""
        self.calls += 1
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._run()
            return
        if self._pending is not None:
            self._pending.cancel()
        wait = self._last_end + self.delay - loop.time()
        if wait <= 0 and self._pending is None:
            self._run(loop)
        else:
            self._pending = loop.call_later(max(wait, 0.0), self._run, loop)

    def _run(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._pending = None
        self.runs += 1
        try:
            self.callback()
        finally:
            if loop is not None:
                self._last_end = loop.time()
