"""The Postgres backend: pooled connections without a reset query on release, taken from the pool in arrival order."""

from __future__ import annotations

import asyncio

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient


class NoResetConnection(asyncpg.Connection):
    """asyncpg sends `RESET ALL; UNLISTEN *; ...` each time a pooled connection is released.

    We never SET session state, LISTEN, hold advisory locks or open cursors, so that round trip buys nothing.
    An open transaction is still rolled back on release (asyncpg does that before asking for this query).
    """

    def get_reset_query(self) -> str:
        return ""


class FairPool:
    """asyncpg's pool, taken in arrival order.

    Its queue hands a just-released connection to whichever request asks next, even one that arrived after others
    were woken for it; the woken one then queues again at the back. With more requests in flight than connections
    (one process, 40 keep-alive clients, 5 connections) a few waited ten times the median. A FIFO semaphore with
    one turn per connection makes the pool's own queue never contended.
    """

    def __init__(self, pool: asyncpg.Pool, size: int) -> None:
        self._pool = pool
        self._turns = asyncio.Semaphore(size)  # FIFO: newcomers queue behind waiters (Python 3.11.1+)

    async def acquire(self, *args, **kwargs) -> asyncpg.Connection:
        await self._turns.acquire()
        try:
            return await self._pool.acquire(*args, **kwargs)
        except BaseException:
            self._turns.release()
            raise

    async def release(self, connection: asyncpg.Connection, *args, **kwargs) -> None:
        try:
            await self._pool.release(connection, *args, **kwargs)
        finally:
            self._turns.release()

    def __getattr__(self, name: str):
        return getattr(self._pool, name)


class FairPoolClient(AsyncpgDBClient):
    """Tortoise's asyncpg client over a FairPool."""

    async def create_pool(self, **kwargs) -> FairPool:
        return FairPool(await asyncpg.create_pool(None, **kwargs), kwargs["max_size"])


client_class = FairPoolClient  # Tortoise loads a backend module's client_class (settings names this module)
