"""What feed readers and crawlers get: the newest public ideas, the launched ones, and where every public idea is."""

from __future__ import annotations

from datetime import datetime

from ideaboard.models import Idea, Space, Status

FEED_SIZE = 30
SITEMAP_CHUNK = 50_000  # the sitemap protocol's limit of addresses per file


def _public():
    return Idea.filter(space=Space.PUBLIC, hidden=False)


async def newest_ideas(limit: int = FEED_SIZE) -> list[Idea]:
    """The board's newest public ideas (merged duplicates left out: they live on in the idea they joined)."""
    return await (_public().exclude(status=Status.DUPLICATE).order_by("-created_at", "-id").limit(limit)
                  .select_related("author"))


async def sitemap_chunks() -> int:
    """How many sitemap files the public ideas need: chunk n holds ids from n * SITEMAP_CHUNK (ranges stay cheap at
    a million ideas, where an OFFSET would not)."""
    newest = await _public().order_by("-id").first().values_list("id", flat=True)
    return int(newest) // SITEMAP_CHUNK + 1 if newest else 1


async def sitemap_entries(chunk: int) -> list[tuple[int, datetime]]:
    """(idea id, last change) of the public ideas in one chunk, by id."""
    start = chunk * SITEMAP_CHUNK
    rows = await (_public().exclude(status=Status.DUPLICATE).filter(id__gte=start, id__lt=start + SITEMAP_CHUNK)
                  .order_by("id").values_list("id", "updated_at"))
    return [(int(idea_id), updated) for idea_id, updated in rows]
