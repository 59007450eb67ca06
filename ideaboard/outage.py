"""Failures that waiting fixes: a lost database or Redis connection, SQLite still locked, a timeout.

The worker retries jobs that meet one (workers/retry.py); the site answers 503 "try again" instead of 500.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from redis import exceptions as redis_errors
from tortoise import exceptions as orm_errors

from ideaboard.pgconn import TRANSIENT as POSTGRES_TRANSIENT

OUTAGE_TYPES: tuple[type[BaseException], ...] = (
    *POSTGRES_TRANSIENT, orm_errors.DBConnectionError,
    redis_errors.ConnectionError, redis_errors.TimeoutError, redis_errors.BusyLoadingError,
    ConnectionError, TimeoutError,
)
LOCKED_WORDS = ("database is locked", "database is busy", "database table is locked")


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_outage(exc: BaseException) -> bool:
    """True for a transient failure of a service we depend on, anywhere in the exception's chain."""
    for cause in _chain(exc):
        if isinstance(cause, OUTAGE_TYPES):
            return True
        if isinstance(cause, sqlite3.OperationalError | orm_errors.OperationalError) and any(
                word in str(cause).lower() for word in LOCKED_WORDS):
            return True
    return False
