"""Jobs that fail on a transient database or Redis error are retried by arq with backoff (jobs are idempotent)."""

from __future__ import annotations

import functools
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import asyncpg
from arq import Retry
from redis import exceptions as redis_errors
from tortoise import exceptions as orm_errors

log = logging.getLogger(__name__)

MAX_TRIES = 8  # with the backoff below: about four minutes of outage before a job gives up
MAX_DEFER = 120.0  # seconds
TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    redis_errors.ConnectionError, redis_errors.TimeoutError, redis_errors.BusyLoadingError,
    ConnectionError, TimeoutError,  # reset, refused, broken pipe; a deadline
    asyncpg.PostgresConnectionError, asyncpg.InterfaceError,  # connection lost, "another operation is in progress"
    asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError, asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError, asyncpg.DeadlockDetectedError, orm_errors.DBConnectionError,
)
TRANSIENT_WORDS = ("database is locked", "database is busy", "database table is locked")


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_transient(exc: BaseException) -> bool:
    """A failure that waiting fixes: SQLite busy, a lost Postgres or Redis connection, a timeout."""
    for cause in _chain(exc):
        if isinstance(cause, TRANSIENT_TYPES):
            return True
        if isinstance(cause, sqlite3.OperationalError | orm_errors.OperationalError) and any(
                word in str(cause).lower() for word in TRANSIENT_WORDS):
            return True
    return False


def backoff(job_try: int) -> float:
    """1, 2, 4, ... seconds (capped), with jitter so retries after an outage do not arrive all at once."""
    return min(MAX_DEFER, 2.0 ** max(0, job_try - 1)) * random.uniform(0.8, 1.2)


Job = Callable[..., Awaitable[Any]]


def retried(job: Job) -> Job:
    """The job, raising arq's Retry(defer=backoff) instead of failing on a transient error."""

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await job(ctx, *args, **kwargs)
        except Retry:
            raise
        except Exception as exc:
            if not is_transient(exc):
                raise
            delay = backoff(ctx.get("job_try", 1))
            log.warning("%s failed on a transient error (%s: %s); retrying in %.1f s",
                        job.__name__, type(exc).__name__, exc, delay)
            raise Retry(defer=delay) from exc

    return run
