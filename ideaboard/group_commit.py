"""Group commit: the writes that arrive while one group is on its way to the database go together in the next.

The first write finds nothing on its way and is sent at once, so an idle site waits for nothing; under load one
statement and one commit carry every write that arrived meanwhile (votes, README "Profiler notes"). Two writes with
the same key never share a group: the later waits for the next one, so each still sees the other's result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Alone(Exception):
    """The group's write failed as a whole: each of its writes runs again by itself, to hear its own outcome."""


class Group(Generic[T, R]):
    """Items handed to `submit` while a group is in flight are sent together by `send`, at most `most` at a time.

    `send(items)` gives one outcome per item, in order: its result, or the exception that item raises. When `send`
    itself raises, a group of one raises it and a larger group's items each run through `alone` instead."""

    def __init__(self, send: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]],
                 alone: Callable[[T], Awaitable[R]], key: Callable[[T], Hashable], most: int = 200) -> None:
        self.send = send
        self.alone = alone
        self.key = key
        self.most = most
        self.waiting: list[tuple[T, asyncio.Future]] = []
        self.groups = 0  # how many groups were sent (tests, profiling)
        self._sending: asyncio.Task | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self.waiting.append((item, future))
        if self._sending is None:
            self._sending = asyncio.create_task(self._send_all(), name="group-commit")
        try:
            return await future
        except Alone:
            return await self.alone(item)

    async def _send_all(self) -> None:
        try:
            while self.waiting:
                group: list[tuple[T, asyncio.Future]] = []
                later: list[tuple[T, asyncio.Future]] = []
                keys: set[Hashable] = set()
                for item, future in self.waiting:
                    if future.done():  # its request was cancelled before it was sent
                        continue
                    key = self.key(item)
                    if key in keys or len(group) >= self.most:
                        later.append((item, future))
                    else:
                        keys.add(key)
                        group.append((item, future))
                self.waiting = later
                if group:
                    await self._send_one(group)
        finally:
            self._sending = None

    async def _send_one(self, group: list[tuple[T, asyncio.Future]]) -> None:
        self.groups += 1
        try:
            outcomes = await self.send([item for item, _future in group])
        except Exception as exc:
            for _item, future in group:
                if not future.done():
                    future.set_exception(exc if len(group) == 1 else Alone())
            return
        except BaseException:
            for _item, future in group:
                future.cancel()
            raise
        for (_item, future), outcome in zip(group, outcomes, strict=True):
            if future.done():  # a request whose client left has no one to hear
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
