"""Themes on the public board: staff publish a theme, and the board filters by it at /?theme=<slug>.

A theme is a row of one clustering run; its slug is what lasts (the worker gives a theme that continues an old one
the old slug and published flag, workers/themes.carry_over). Only published themes of the current run are shown,
and their counts are of the viewer's space only, so an internal idea never shows in a public theme's count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tortoise import connections

from ideaboard import audit, reads, sql
from ideaboard.errors import NotFound
from ideaboard.models import Space, Theme, User

# the board asks on every request; a publish in this process clears it at once, a new run shows within this time
CHIPS_CACHE_SECONDS = 30.0
_chips: dict[str, tuple[object, float, list[ThemeChip]]] = {}  # by space


@dataclass(frozen=True)
class ThemeChip:
    """A published theme as the board's theme filter lists it: slug, short name and the space's idea count."""

    slug: str
    name: str
    count: int


def short_name(theme: Theme) -> str:
    """The theme's name without its distinguishing phrases: the representative idea's title."""
    terms = f" ({', '.join(theme.terms.split(' · '))})" if theme.terms else ""
    return theme.name[: -len(terms)] if terms and theme.name.endswith(terms) else theme.name


async def _current_run_id() -> int | None:
    rows = await sql.fetch(reads.current_run_id())
    return rows[0]["id"] if rows else None


SLUG_MAX = 80  # Theme.slug's column: a longer one names no theme (and the ORM refuses to compare it)


async def published_theme(slug: str) -> Theme:
    """The current run's published theme with this slug; raises NotFound for an unknown or unpublished one."""
    if len(slug) > SLUG_MAX:
        raise NotFound("theme")
    run_id = await _current_run_id()
    theme = await Theme.get_or_none(run_id=run_id, slug=slug, published=True) if run_id else None
    if theme is None:
        raise NotFound("theme")
    return theme


async def board_chips(space: Space) -> list[ThemeChip]:
    """The published themes that have ideas in this space, most ideas first (cached per process briefly, the current
    run's lookup with them: a board request then costs no database round trip for its theme filter)."""
    client = connections.get("default")
    hit = _chips.get(space.value)
    if hit and hit[0] is client and time.monotonic() - hit[1] < CHIPS_CACHE_SECONDS:
        return hit[2]
    run_id = await _current_run_id()
    chips = await _chips_of(run_id, space) if run_id is not None else []
    _chips[space.value] = (client, time.monotonic(), chips)
    return chips


async def _chips_of(run_id: int, space: Space) -> list[ThemeChip]:
    counts = {row["id"]: int(row["n"]) for row in await sql.fetch(reads.theme_counts(run_id, space.value))}
    themes = await Theme.filter(id__in=list(counts)) if counts else []
    return sorted((ThemeChip(t.slug, short_name(t), counts[t.id]) for t in themes), key=lambda c: (-c.count, c.slug))


async def set_published(slug: str, published: bool, actor: User) -> Theme:
    """Publish (or withdraw) the current run's theme with this slug, audited; NotFound if the run has no such theme."""
    run_id = await _current_run_id()
    theme = await Theme.get_or_none(run_id=run_id, slug=slug) if run_id and len(slug) <= SLUG_MAX else None
    if theme is None:
        raise NotFound("theme")
    if theme.published != published:
        theme.published = published
        await theme.save(update_fields=["published"])
        await audit.record(actor, "theme.publish" if published else "theme.unpublish", "theme", theme.id,
                           slug=theme.slug, name=theme.name)
    _chips.clear()
    return theme
