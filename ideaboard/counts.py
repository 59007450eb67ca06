"""How many ideas a list matches: exact on small boards, capped and reused per process on big ones.

Counting is the one list query that grows with the board, so it stops at COUNT_LIMIT and big totals are reused: as
they are for COUNT_FRESH_SECONDS, then shown while one query per process refreshes them, up to COUNT_STALE_SECONDS.
Concurrent misses share a query.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from typing import Any

from ideaboard import sql

log = logging.getLogger(__name__)

COUNT_LIMIT = 10_000
COUNT_CACHE_MIN, COUNT_FRESH_SECONDS, COUNT_STALE_SECONDS = 1_000, 30.0, 300.0
COUNT_WAIT_SECONDS = 0.05  # what a filtered page on a big board waits for its first count before showing "Page N"
_counts: dict[tuple, tuple[float, int]] = {}
_counting: dict[tuple, asyncio.Future] = {}

Shape = tuple[bool, ...]  # which of status, category, tag (and campaign) the list filters on


async def total(conn: Any, count_sql: Any, shape: Shape, filters: list, key: tuple) -> tuple[int | None, Any]:
    """(matching ideas up to COUNT_LIMIT + 1, or None when counting would hold a big board's page up; or a count
    query to read with the page, when the total must be exact).

    `count_sql(shape)` is the counting statement of a filter shape. Small boards (the board itself under COUNT_LIMIT)
    are counted exactly on every request, in the page's round trip. On a big board a status or category count is
    awaited at most COUNT_WAIT_SECONDS, and a tag is not counted at all: joining the tag's ideas to the visible ones
    grows with the board.
    """
    dialect = conn.capabilities.dialect
    unfiltered = (False,) * len(shape)
    board = await cached_count(conn, _statement(dialect, count_sql(unfiltered)), filters[:2], key[:1],
                               keep_from=COUNT_CACHE_MIN)
    if not any(shape):
        return board, None
    if board is not None and board <= COUNT_LIMIT:
        return None, sql.Query(count_sql(shape), ("n",), filters)
    if shape[2]:
        return None, None
    return await cached_count(conn, _statement(dialect, count_sql(shape)), filters, key, keep_from=0,
                              wait=COUNT_WAIT_SECONDS), None


@functools.cache
def _statement(dialect: str, text: str) -> str:
    return sql.placeholders(dialect, text)


async def cached_count(conn: Any, statement: str, params: list, key: tuple, *, keep_from: int,
                       wait: float | None = None) -> int | None:
    """A total from the cache (refreshed in the background once stale), else counted; None if `wait` ran out."""
    key = (id(conn), *key)
    hit = _counts.get(key)
    age = time.monotonic() - hit[0] if hit else math.inf
    if hit and age < COUNT_FRESH_SECONDS:
        return hit[1]
    running = _counting.get(key)
    if running is None:
        running = _counting[key] = asyncio.ensure_future(_count_into_cache(conn, statement, params, key, keep_from))
        running.add_done_callback(_log_failure)
    if hit and age < COUNT_STALE_SECONDS:
        return hit[1]
    try:
        return await asyncio.wait_for(asyncio.shield(running), wait)
    except TimeoutError:
        return None  # the count carries on and is cached for the next page


async def _count_into_cache(conn: Any, statement: str, params: list, key: tuple, keep_from: int) -> int:
    """Count and keep totals from `keep_from` up (small boards' totals stay exact by never being kept)."""
    try:
        _, rows = await conn.execute_query(statement, params)
        counted = int(rows[0]["n"])
        if counted >= keep_from:
            if len(_counts) > 1_000:  # odd filters cannot grow this without bound
                _counts.clear()
            _counts[key] = (time.monotonic(), counted)
        else:
            _counts.pop(key, None)
        return counted
    finally:
        _counting.pop(key, None)


def _log_failure(future: asyncio.Future) -> None:
    """A background refresh that failed is logged (a waiting request gets the error itself)."""
    if not future.cancelled() and future.exception() is not None:
        log.warning("counting ideas failed: %r", future.exception())
