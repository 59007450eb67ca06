"""The time the campaign rules read: one function tests can set, so opening and closing are tested without sleeps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_fixed: datetime | None = None


def now() -> datetime:
    """The current time in UTC, or the time a test set."""
    return _fixed if _fixed is not None else datetime.now(UTC)


def set_now(moment: datetime | None) -> None:
    """Stop the clock at `moment` (aware), or let it run again with None."""
    if moment is not None and moment.tzinfo is None:
        raise ValueError("set_now takes an aware datetime")
    global _fixed
    _fixed = moment


def advance(**delta: float) -> datetime:
    """Move a stopped clock forward, e.g. advance(seconds=1)."""
    from datetime import timedelta

    set_now(now() + timedelta(**delta))
    return now()


Clock = Callable[[], datetime]
