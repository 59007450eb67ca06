"""A page of a list, and keyset cursors: how a list page says where the next and previous pages start."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from ideaboard import inputs

T = TypeVar("T")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int
    size: int
    total: int | None  # None: not counted (a tag filter on a big board); the pager then shows "Page N"
    more: bool | None = None  # keyset lists know whether a next page exists; others derive it from total
    after: str | None = None  # keyset cursor of the next page (this page's last item)
    before: str | None = None  # keyset cursor of the previous page (this page's first item)
    capped: bool = False  # counting stopped at `total`: there are more ("10000+ ideas")
    tags: dict[int, list[str]] | None = None  # tag names per idea, when the list read them with the ideas
    my_votes: dict[int, int] | None = None  # the viewer's vote per idea, likewise

    @property
    def pages(self) -> int:
        if self.total is None:
            return self.number + bool(self.more)
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages if self.more is None else self.more

    @property
    def has_previous(self) -> bool:
        return self.number > 1


# A cursor is the sort value and id of the row a page starts after (or before), so a deep page is an index range
# scan like the first one, where OFFSET walks every row before it.
def encode_cursor(value: float | int | datetime, row_id: int) -> str:
    """`<value>:<id>` for the query string; datetimes as integer microseconds (exact, no timezone text)."""
    if isinstance(value, datetime):
        value = (value.replace(tzinfo=value.tzinfo or UTC) - _EPOCH) // timedelta(microseconds=1)
    return f"{value!r}:{row_id}"


def decode_cursor(raw: str | None, kind: type) -> tuple[Any, int] | None:
    """(value, id) from `encode_cursor` text, the value as `kind` (float, int or datetime); None if malformed."""
    text, _, row_id = (raw or "").rpartition(":")
    if not text.isascii() or (cursor_id := inputs.id_or_none(row_id)) is None:
        return None
    try:
        if kind is datetime:
            value: Any = _EPOCH + timedelta(microseconds=inputs.to_int(text, "cursor", low=-(2**62), high=2**62))
        elif kind is int:
            value = inputs.to_int(text, "cursor", low=-inputs.INT_MAX, high=inputs.INT_MAX)
        else:
            value = float(text)
            if not math.isfinite(value):
                return None
        return value, cursor_id
    except (ValueError, OverflowError):  # inputs.Invalid is a ValueError
        return None
