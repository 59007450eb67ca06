"""Categories, and the short per-process cache the public board reads them from on every request."""

from __future__ import annotations

import time

from tortoise import connections
from tortoise.signals import post_delete, post_save

from ideaboard.models import Category
from ideaboard.shared_reads import SharedReads

# Categories change a few times a year; the board shows the category filter on every request.
CATEGORY_CACHE_SECONDS = 5.0
_categories: tuple[object, float, list[Category]] | None = None
_reads = SharedReads()


async def list_categories() -> list[Category]:
    return await Category.all()


async def cached_categories() -> list[Category]:
    """Categories for read-only pages: up to CATEGORY_CACHE_SECONDS old in other processes, fresh in this one."""
    global _categories
    client = connections.get("default")
    if _categories and _categories[0] is client and time.monotonic() - _categories[1] < CATEGORY_CACHE_SECONDS:
        return _categories[2]
    return await _reads.read(id(client), lambda: _read(client))


async def _read(client: object) -> list[Category]:
    global _categories
    generation = _reads.generation
    categories = await Category.all()
    if generation == _reads.generation:
        _categories = (client, time.monotonic(), categories)
    return categories


@post_save(Category)
@post_delete(Category)
async def _forget_categories(*_: object) -> None:
    """A saved or deleted category shows at once in this process."""
    global _categories
    _categories = None
    _reads.forget()
