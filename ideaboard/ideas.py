"""Customer-side rules for ideas: submit, edit, list, rank, search. No Request objects here."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Generic, Sequence, TypeVar

from tortoise.expressions import Q
from tortoise.signals import post_delete, post_save
from tortoise.transactions import in_transaction

from ideaboard import search
from ideaboard.forms import IdeaForm
from ideaboard.markdown import render_markdown
from ideaboard.models import Category, Idea, IdeaTag, Role, Space, Status, Tag, User

T = TypeVar("T")

# Hot ranking (README "Ranking"): log10 of the net score plus age, so 10x the votes is worth 12.5 hours.
HOT_EPOCH = 1_700_000_000
HOT_SECONDS_PER_DECADE = 45_000
SORTS = ("hot", "top", "new")
HIDDEN_FROM_LISTS = (Status.DUPLICATE, Status.ARCHIVED)


class NotAllowed(Exception):
    """The user may not do this to this idea; the message says why."""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def hot_score(score: int, created_at: datetime) -> float:
    """Net score with time decay: sign(s)*log10(max(|s|,1)) + (created - epoch)/45000."""
    order = math.log10(max(abs(score), 1))
    sign = (score > 0) - (score < 0)
    return round(sign * order + (created_at.timestamp() - HOT_EPOCH) / HOT_SECONDS_PER_DECADE, 7)


def can_see_internal(viewer: User | None) -> bool:
    """Employees, staff and admins can read and post in the internal space."""
    return bool(viewer and Role(viewer.role).is_employee)


def visible_filter(viewer: User | None, space: Space = Space.PUBLIC) -> Q:
    """What a viewer may see in a list: never hidden ideas, and the internal space only for employees."""
    if space is Space.INTERNAL and not can_see_internal(viewer):
        raise NotAllowed("The internal space is for employees only.")
    return Q(space=space, hidden=False)


async def submit_idea(author: User, form: IdeaForm, space: Space = Space.PUBLIC) -> Idea:
    """A new idea, rendered once to safe HTML and ranked as a fresh zero-score idea."""
    if space is Space.INTERNAL and not can_see_internal(author):
        raise NotAllowed("Only employees can post in the internal space.")
    now = datetime.now(timezone.utc)
    async with in_transaction():
        idea = await Idea.create(
            title=form.title, body=form.body, body_html=render_markdown(form.body), author=author,
            category_id=form.category_id, space=space, hot=hot_score(0, now), created_at=now,
        )
        await set_tags(idea, form.tags)
    return idea


async def edit_idea(idea: Idea, editor: User, form: IdeaForm) -> Idea:
    """Authors may reword their idea while nobody has started reviewing it."""
    if idea.author_id != editor.id:
        raise NotAllowed("Only the author can edit this idea.")
    if idea.status is not Status.NEW:
        raise NotAllowed("This idea is already being reviewed, so it can no longer be edited.")
    idea.title, idea.body, idea.body_html = form.title, form.body, render_markdown(form.body)
    idea.category_id = form.category_id
    async with in_transaction():
        await idea.save(update_fields=["title", "body", "body_html", "category_id", "updated_at"])
        await set_tags(idea, form.tags)
    return idea


async def set_tags(idea: Idea, names: Sequence[str]) -> None:
    """Replace an idea's free tags, creating tags on first use."""
    await IdeaTag.filter(idea=idea).delete()
    for name in names:
        tag, _ = await Tag.get_or_create(name=name)
        await IdeaTag.create(idea=idea, tag=tag)


async def tags_of(ideas: Sequence[Idea]) -> dict[int, list[str]]:
    """Tag names per idea id, in one plain query (no N+1; the ORM's join building cost 10% of a list page)."""
    from tortoise import connections

    ids = ",".join(str(int(i.id)) for i in ideas)  # ints from the database: nothing to escape
    if not ids:
        return {}
    _, rows = await connections.get("default").execute_query(
        f"SELECT it.idea_id, t.name FROM {IdeaTag._meta.db_table} it JOIN {Tag._meta.db_table} t ON t.id = it.tag_id "
        f"WHERE it.idea_id IN ({ids}) ORDER BY it.id")
    result: dict[int, list[str]] = {}
    for row in rows:
        result.setdefault(row["idea_id"], []).append(row["name"])
    return result


async def list_ideas(
    viewer: User | None, *, sort: str = "hot", space: Space = Space.PUBLIC, category: str | None = None,
    tag: str | None = None, status: str | None = None, page: int = 1, size: int = 20,
) -> Page[Idea]:
    """One page of ideas in the chosen order; duplicates and archived ideas only when asked for by status."""
    query = Idea.filter(visible_filter(viewer, space))
    if status and status in Status.__members__.values():
        query = query.filter(status=status)
    else:
        query = query.exclude(status__in=HIDDEN_FROM_LISTS)
    if category:
        query = query.filter(category__slug=category)
    if tag:
        query = query.filter(idea_tags__tag__name=tag.lower())
    order = {"top": ("-score", "-id"), "new": ("-created_at", "-id")}.get(sort, ("-hot", "-id"))
    total = await _cached_count(query, (space, status, category, tag))
    items = await query.order_by(*order).offset((page - 1) * size).limit(size).select_related("author", "category")
    return Page(items=items, number=page, size=size, total=total)


# Counting every matching idea is the one list query that grows with the board; big totals are reused briefly.
COUNT_CACHE_MIN, COUNT_CACHE_SECONDS = 1_000, 10.0
_counts: dict[tuple, tuple[float, int]] = {}


async def _cached_count(query, key: tuple) -> int:
    """Exact below COUNT_CACHE_MIN; above it a total up to COUNT_CACHE_SECONDS old (nobody sees 10,482 vs 10,483)."""
    from tortoise import connections

    key = (id(connections.get("default")), *key)
    hit = _counts.get(key)
    if hit and time.monotonic() - hit[0] < COUNT_CACHE_SECONDS:
        return hit[1]
    total = await query.count()
    if total >= COUNT_CACHE_MIN:  # only big totals are kept, so odd filters cannot grow this without bound
        if len(_counts) > 1_000:
            _counts.clear()
        _counts[key] = (time.monotonic(), total)
    return total


async def get_idea(idea_id: int, viewer: User | None) -> Idea | None:
    """The idea if this viewer may open it: hidden ideas only for staff, internal ones only for employees."""
    idea = await Idea.get_or_none(id=idea_id).select_related("author", "category")
    if idea is None:
        return None
    if idea.hidden and not (viewer and Role(viewer.role).is_staff):
        return None
    if idea.space is Space.INTERNAL and not can_see_internal(viewer):
        return None
    if idea.merged_into_id:  # rare: joining a second full idea into every lookup cost a tenth of a detail page
        await idea.fetch_related("merged_into")
    return idea


async def search_ideas(viewer: User | None, text: str, *, page: int = 1, size: int = 20) -> Page[Idea]:
    """Full-text matches the viewer may see, best first."""
    spaces = "('public', 'internal')" if can_see_internal(viewer) else "('public')"
    visible = f"ideas.hidden = {'false' if _is_postgres() else '0'} AND ideas.space IN {spaces}"
    ids, total = await search.search_idea_ids(text, visible_sql=visible, limit=size, offset=(page - 1) * size)
    by_id = {i.id: i for i in await Idea.filter(id__in=ids).select_related("author", "category")}
    return Page(items=[by_id[i] for i in ids if i in by_id], number=page, size=size, total=total)


def _is_postgres() -> bool:
    from tortoise import connections

    return connections.get("default").capabilities.dialect == "postgres"


async def list_categories() -> list[Category]:
    return await Category.all()


# The public board shows the category filter on every request; categories change a few times a year.
CATEGORY_CACHE_SECONDS = 5.0
_categories: tuple[object, float, list[Category]] | None = None


async def cached_categories() -> list[Category]:
    """Categories for read-only pages: up to CATEGORY_CACHE_SECONDS old in other processes, fresh in this one."""
    global _categories
    from tortoise import connections

    client = connections.get("default")
    if _categories and _categories[0] is client and time.monotonic() - _categories[1] < CATEGORY_CACHE_SECONDS:
        return _categories[2]
    categories = await Category.all()
    _categories = (client, time.monotonic(), categories)
    return categories


@post_save(Category)
@post_delete(Category)
async def _forget_categories(*_: object) -> None:
    """A saved or deleted category shows at once in this process."""
    global _categories
    _categories = None
