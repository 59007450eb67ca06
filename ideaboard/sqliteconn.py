"""The SQLite backend: WAL, a busy timeout, and transactions that take the write lock when they begin.

The web processes and the worker each hold their own connection to one file. Tortoise begins transactions with a
plain (deferred) BEGIN: a vote reads the idea, then writes, and if the worker committed in between, SQLite cannot
upgrade the stale read to a write and fails at once with "database is locked" (no busy wait helps; issue 12 item 5).
BEGIN IMMEDIATE takes the write lock up front and waits for it (busy_timeout), so writers queue instead of failing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from tortoise.backends.base.client import TransactionalDBClient, TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    translate_exceptions,
)
from tortoise.connection import get_connections
from tortoise.exceptions import IntegrityError, OperationalError

T = TypeVar("T")
BUSY_TIMEOUT_MS = 15_000  # how long a writer waits for another process's write to commit before giving up
PRAGMAS = {"journal_mode": "WAL", "busy_timeout": BUSY_TIMEOUT_MS, "synchronous": "NORMAL"}


class ImmediateClient(SqliteClient):
    """Tortoise's SQLite client whose transactions are BEGIN IMMEDIATE (pragmas from the URL still win)."""

    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **{**PRAGMAS, **kwargs})

    def _in_transaction(self) -> TransactionContext:
        return ImmediateTransactionContext(ImmediateTransaction(self), self._lock)

    @translate_exceptions
    async def execute_many(self, query: str, values: list[list]) -> None:
        async with self.acquire_connection() as connection:
            await connection.execute("BEGIN IMMEDIATE")
            try:
                await connection.executemany(query, values)
            except Exception:
                await connection.rollback()
                raise
            await connection.commit()


class ImmediateTransactionContext(SqliteTransactionContext):
    """Tortoise's context, except that a BEGIN that fails (still locked after busy_timeout) gives the connection back.

    Tortoise's own keeps its lock when begin() raises, and every later query of the process then waits forever.
    """

    async def __aenter__(self) -> TransactionalDBClient:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection


class ImmediateTransaction(SqliteTransactionWrapper):
    """A transaction that holds the write lock from its first statement on."""

    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # still locked after busy_timeout: a transient error
            raise OperationalError(exc) from exc


client_class = ImmediateClient  # Tortoise loads a backend module's client_class (settings names this module)


async def write_in_one_hop(client: Any, work: Callable[..., T], *args: Any) -> T:
    """`work(sqlite3_connection, *args)` inside BEGIN IMMEDIATE ... COMMIT, run whole on the connection's thread.

    Each statement through aiosqlite is a hop to its thread and back while the process's one connection is held
    (Tortoise's lock), so a vote's dozen statements were a dozen hops, and on a busy machine each hop waits for the
    scheduler: the process's writes queued behind them. One hop holds the connection for the work alone.
    """
    async with client.acquire_connection() as connection:
        try:
            return await connection._execute(_immediately, connection._conn, work, args)  # aiosqlite's own thread
        except sqlite3.OperationalError as exc:
            raise OperationalError(exc) from exc
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(exc) from exc


def _immediately(conn: sqlite3.Connection, work: Callable[..., T], args: tuple) -> T:
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:  # still locked after busy_timeout: a transient error
        raise OperationalError(exc) from exc
    try:
        result = work(conn, *args)
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return result
