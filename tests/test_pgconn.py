"""The Postgres pool serves requests in the order they asked: no request waits while later ones get connections."""

import asyncio
import os

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
