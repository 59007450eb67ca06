"""Concurrent misses of a per-process cache share one read: when a busy board's cache runs out, every request in
flight would otherwise send the same ORM query at once (README, "Profiler notes")."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any


class SharedReads:
    """One read in flight per key; `forget` makes later callers read afresh (a write in this process shows at once),
    and `generation` tells a read that finishes after a forget not to keep what it read."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future] = {}
        self.generation = 0

    async def read(self, key: Hashable, make: Callable[[], Awaitable[Any]]) -> Any:
        slot = (asyncio.get_running_loop(), key)  # a read left behind by a closed loop is never awaited on another
        running = self._running.get(slot)
        if running is None:
            running = self._running[slot] = asyncio.ensure_future(make())
            running.add_done_callback(lambda done: self._done(slot, done))
        return await asyncio.shield(running)

    def _done(self, key: Hashable, done: asyncio.Future) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled():
            done.exception()  # retrieved here too, in case every caller was cancelled meanwhile

    def forget(self) -> None:
        self._running.clear()
        self.generation += 1
