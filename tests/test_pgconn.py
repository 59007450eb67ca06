"""The Postgres pool serves requests in the order they asked: no request waits while later ones get connections."""

import asyncio
import os

import asyncpg
import pytest

from ideaboard.pgconn import FairPool, NoResetConnection

pytestmark = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                reason="the Postgres pool only exists on Postgres")


async def served_order(pool, raw) -> list[str]:
    """Three requests queue for the pool's only connection; a fourth asks the moment it is handed back."""
    order: list[str] = []
    first = await pool.acquire()

    async def request(name: str) -> None:
        connection = await pool.acquire()
        order.append(name)
        await connection.fetchval("SELECT 1")
        await pool.release(connection)

    async def late_request() -> None:
        while not raw._queue.qsize():  # the connection is back, and the request woken for it has not run yet
            await asyncio.sleep(0)
        await request("late")

    waiting = [asyncio.create_task(request(name)) for name in ("b", "c", "d")]
    await asyncio.sleep(0.05)  # b, c and d are queued
    late = asyncio.create_task(late_request())
    await asyncio.sleep(0)
    await pool.release(first)
    await asyncio.gather(*waiting, late)
    return order


async def test_a_request_that_arrives_late_waits_its_turn(database_url):
    import asyncpg

    dsn = database_url.replace("postgres://", "postgresql://", 1)
    raw = await asyncpg.create_pool(dsn, min_size=1, max_size=1, connection_class=NoResetConnection)
    try:
        assert await served_order(FairPool(raw, 1), raw) == ["b", "c", "d", "late"]
    finally:
        await raw.close()


async def test_a_statement_that_went_well_hands_its_connection_on_and_a_spoiled_one_is_reset(app):
    """The next statement reuses a connection kept at hand; one left inside a transaction is rolled back by asyncpg's
    release first, and one that broke is replaced, so no request inherits another's state."""
    from tortoise import connections

    client = connections.get("default")
    async with client.acquire_connection() as connection:
        first = await connection.fetchval("SELECT pg_backend_pid()")
    async with client.acquire_connection() as connection:
        assert await connection.fetchval("SELECT pg_backend_pid()") == first  # the same connection serves the next one
        await connection.execute("BEGIN; CREATE TEMPORARY TABLE spoiled (x int)")
    async with client.acquire_connection() as connection:
        assert not connection.is_in_transaction()
        assert await connection.fetchval("SELECT to_regclass('pg_temp.spoiled') IS NULL")
    with pytest.raises(asyncpg.PostgresError):
        async with client.acquire_connection() as connection:
            await connection.fetchval("SELECT pg_terminate_backend(pg_backend_pid())")
    async with client.acquire_connection() as connection:
        assert await connection.fetchval("SELECT 1") == 1  # a fresh connection in the broken one's place
