"""The Postgres backend: pooled connections without a reset query on release, taken from the pool in arrival order,
and connections that broke (a terminated backend, a restart) thrown away instead of handed to the next request."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from asyncpg.exceptions._base import InternalClientError
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import PoolConnectionWrapper, TransactionalDBClient, TransactionContextPooled
from tortoise.connection import get_connections

log = logging.getLogger(__name__)
# Raised by asyncpg before anything went on the wire: the connection was already closed, or its protocol is still
# busy with the server's goodbye ("another operation is in progress"). Safe to run again on another connection.
NOT_SENT: tuple[type[BaseException], ...] = (asyncpg.InterfaceError, InternalClientError)
# The connection itself is gone: never give it back to the pool.
BROKEN: tuple[type[BaseException], ...] = (*NOT_SENT, asyncpg.PostgresConnectionError, asyncpg.AdminShutdownError,
                                           asyncpg.CannotConnectNowError, ConnectionError, TimeoutError)
# Failures that waiting fixes (ideaboard/outage.py): the above, plus a full server and lost races.
TRANSIENT: tuple[type[BaseException], ...] = (*BROKEN, asyncpg.TooManyConnectionsError, asyncpg.SerializationError,
                                              asyncpg.DeadlockDetectedError)


def _discard(connection: asyncpg.Connection | None, exc: BaseException | None) -> None:
    """Close a connection that failed with a connection error, so the pool opens a fresh one in its place."""
    if connection is None or not isinstance(exc, BROKEN):
        return
    try:
        if not connection.is_closed():
            connection.terminate()
    except asyncpg.InterfaceError:  # asyncpg already closed it and took it back when the server hung up
        pass


class NoResetConnection(asyncpg.Connection):
    """asyncpg sends `RESET ALL; UNLISTEN *; ...` each time a pooled connection is released.

    We never SET session state, LISTEN, hold advisory locks or open cursors, so that round trip buys nothing.
    An open transaction is still rolled back on release (asyncpg does that before asking for this query).
    """

    def get_reset_query(self) -> str:
        return ""


class FairPool:
    """asyncpg's pool, taken in arrival order, with the connections of single statements kept at hand.

    Its queue hands a just-released connection to whichever request asks next, even one that arrived after others
    were woken for it; the woken one then queues again at the back. With more requests in flight than connections
    (one process, 40 keep-alive clients, 5 connections) a few waited ten times the median. A FIFO semaphore with
    one turn per connection makes the pool's own queue never contended.

    A statement that went well gives its connection back to `idle` (release_clean) rather than to asyncpg, whose
    release (a task for its shield, a reset, its queue) and acquire cost ~20 us of CPU per statement; the next turn
    takes it from there. Anything else (a transaction's end, an error, a closed connection) goes back through
    asyncpg's release, which resets or replaces it.
    """

    def __init__(self, pool: asyncpg.Pool, size: int) -> None:
        self._pool = pool
        self._turns = asyncio.Semaphore(size)  # FIFO: newcomers queue behind waiters (Python 3.11.1+)
        self._idle: list[Any] = []  # connections held from asyncpg's pool, ready for the next turn

    async def acquire(self, *args, **kwargs) -> asyncpg.Connection:
        await self._turns.acquire()
        try:
            while self._idle:
                connection = self._idle.pop()
                held = getattr(connection, "_con", None)  # None: its backend went while it waited, asyncpg took it back
                if held is not None and not held.is_closed():
                    return connection
                if held is not None:
                    await self._pool.release(connection)  # asyncpg puts a fresh one in its place
            return await self._pool.acquire(*args, **kwargs)
        except BaseException:
            self._turns.release()
            raise

    async def release(self, connection: asyncpg.Connection, *args, **kwargs) -> None:
        try:
            await self._pool.release(connection, *args, **kwargs)
        finally:
            self._turns.release()

    def release_clean(self, connection: Any) -> None:
        """A connection whose statement completed outside any transaction: straight to the next turn."""
        self._idle.append(connection)
        self._turns.release()

    def discard_idle(self) -> None:
        """After a connection broke the others kept here may be gone too (a restart, a terminated backend whose
        goodbye is not read yet): close them all, and asyncpg connects afresh for the next turns."""
        while self._idle:
            connection = self._idle.pop()
            if getattr(connection, "_con", None) is not None:
                with contextlib.suppress(asyncpg.InterfaceError):
                    connection.terminate()

    async def close(self) -> None:
        while self._idle:
            connection = self._idle.pop()
            if getattr(connection, "_con", None) is not None:
                await self._pool.release(connection)
        await self._pool.close()

    def __getattr__(self, name: str):
        return getattr(self._pool, name)


class DiscardingConnection(PoolConnectionWrapper):
    """A pooled connection for one statement; discarded instead of released when it broke."""

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        connection, pool = self.connection, self.client._pool
        if exc_val is None and connection is not None and isinstance(pool, FairPool) and not connection.is_closed() \
                and not connection.is_in_transaction():
            pool.release_clean(connection)
            return
        if isinstance(exc_val, BROKEN) and isinstance(pool, FairPool):
            pool.discard_idle()
        try:
            _discard(connection, exc_val)
        finally:
            await super().__aexit__(exc_type, exc_val, exc_tb)


class SafeTransaction(TransactionContextPooled):
    """Tortoise's pooled transaction, except that a broken connection is discarded, a BEGIN that was never sent is
    tried once more on a fresh connection, and a failed BEGIN gives its connection back (Tortoise's leaks it)."""

    async def __aenter__(self) -> TransactionalDBClient:
        await self.ensure_connection()
        pool = self.client._parent._pool
        for attempt in (1, 2):
            self.client._connection = await pool.acquire()
            try:
                await self.client.begin()
                break
            except BaseException as exc:
                _discard(self.client._connection, exc)
                await pool.release(self.client._connection)
                if attempt == 2 or not isinstance(exc, NOT_SENT):
                    raise
                log.warning("database connection lost before BEGIN was sent (%s); retrying once", exc)
        self.token = get_connections().set(self.connection_name, self.client)
        return self.client

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        if isinstance(exc_val, BROKEN):  # nothing to roll back on a dead connection: the server already did
            self.client._finalized = True
            try:
                _discard(self.client._connection, exc_val)
            finally:
                await super().__aexit__(exc_type, exc_val, exc_tb)
            return
        await super().__aexit__(exc_type, exc_val, exc_tb)


def _read_only(args: tuple) -> bool:
    return bool(args) and isinstance(args[0], str) and args[0].lstrip()[:6].upper() == "SELECT"


class FairPoolClient(AsyncpgDBClient):
    """Tortoise's asyncpg client over a FairPool, retrying a statement once when its connection was lost first."""

    async def create_pool(self, **kwargs) -> FairPool:
        return FairPool(await asyncpg.create_pool(None, **kwargs), kwargs["max_size"])

    def acquire_connection(self) -> DiscardingConnection:
        return DiscardingConnection(self, self._pool_init_lock)

    def _in_transaction(self) -> SafeTransaction:
        return SafeTransaction(TransactionWrapper(self), self._pool_init_lock)

    async def _translate_exceptions(self, func, *args, **kwargs) -> Any:
        """Outside transactions only: a statement that was never sent (or a read, which is safe to repeat) whose
        connection broke runs once more on a fresh connection."""
        try:
            return await super()._translate_exceptions(func, *args, **kwargs)
        except BROKEN as exc:
            if not (isinstance(exc, NOT_SENT) or _read_only(args)):
                raise
            log.warning("database connection lost (%s: %s); running the statement again", type(exc).__name__, exc)
            return await super()._translate_exceptions(func, *args, **kwargs)


client_class = FairPoolClient  # Tortoise loads a backend module's client_class (settings names this module)
