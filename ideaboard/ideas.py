"""Customer-side rules for ideas: submit, edit, list, rank, search. No Request objects here."""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.signals import post_delete, post_save
from tortoise.transactions import in_transaction

from ideaboard import inputs, search, sql
from ideaboard.errors import NotAllowed
from ideaboard.forms import IdeaForm
from ideaboard.markdown import render_markdown
from ideaboard.models import Category, Idea, IdeaTag, Role, Space, Status, Tag, User, Vote

T = TypeVar("T")
log = logging.getLogger(__name__)

# Hot ranking (README "Ranking"): log10 of the net score plus age, so 10x the votes is worth 12.5 hours.
HOT_EPOCH = 1_700_000_000
HOT_SECONDS_PER_DECADE = 45_000
SORTS = ("hot", "top", "new")
# "Open ideas", the board's default: closed ones (launched, declined, merged, archived) only when asked for by status,
# as on Fider and Canny; launched ideas also have their own page (/launched).


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
    now = datetime.now(UTC)
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
    """Tag names per idea id, in one prepared query (no N+1)."""
    return tags_by_idea(await sql.fetch(tags_query([i.id for i in ideas]))) if ideas else {}


def tags_query(idea_ids: Sequence[int]) -> sql.Query:
    """Ids as one array on Postgres, so every list page reuses one prepared statement (inlined ids made a new one)."""
    dialect = sql.dialect()
    return sql.Query(_tags_sql(dialect, len(idea_ids)), ("idea_id", "name"), sql.any_of_params(dialect, idea_ids))


def tags_by_idea(rows: Sequence) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    for row in rows:
        result.setdefault(row["idea_id"], []).append(row["name"])
    return result


@functools.cache
def _tags_sql(dialect: str, count: int) -> str:
    return (f"SELECT it.idea_id, t.name FROM {IdeaTag._meta.db_table} it JOIN {Tag._meta.db_table} t "
            f"ON t.id = it.tag_id WHERE {sql.any_of(dialect, 'it.idea_id', count)} ORDER BY it.id")


# Keyset pagination: a cursor is the sort value and id of the idea a page starts after (or before), so a deep page
# is an index range scan like the first one, where OFFSET walks every idea before it. Hot and top cursors hold the
# value (repr of the float, the int), new holds microseconds since the epoch.
SORT_COLUMNS = {"hot": "hot", "top": "score", "new": "created_at"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


async def list_ideas(
    viewer: User | None, *, sort: str = "hot", space: Space = Space.PUBLIC, category: str | None = None,
    tag: str | None = None, status: str | None = None, page: int = 1, size: int = 20,
    after: str | None = None, before: str | None = None,
) -> Page[Idea]:
    """One page of ideas in the chosen order; closed ideas (not Status.listed_by_default) only when asked for by status.

    `after`/`before` are the Page.after/Page.before cursors of a neighbouring page; without one, `page` is an offset.
    """
    visible_filter(viewer, space)  # raises NotAllowed for the internal space
    sort = sort if sort in SORT_COLUMNS else "hot"
    status = status if status and status in Status.__members__.values() else None
    tag = tag.lower() if tag else None
    kind = {"hot": float, "top": int, "new": datetime}[sort]
    mode, cursor = ("offset" if page > 1 else "first"), None  # the first page needs no OFFSET: one plan for all
    if cursor := decode_cursor(after, kind):
        mode = "after"
    elif cursor := decode_cursor(before, kind):
        mode = "before"
    conn = sql.connection()
    shape = (bool(status), bool(category), bool(tag))
    filters = [space.value, False, *(v for v in (status, category, tag) if v)]
    fixed = not any(shape)  # see _ids_sql
    limit = ([] if fixed else [size + 1]) + ([(page - 1) * size] if mode == "offset" else [])
    params = [*filters, *(cursor or ()), *limit]
    total, count = await _total(conn, shape, filters, (space, status, category, tag))
    queries = [sql.Query(_list_sql(sort, mode), _idea_columns(body=False) + _EXTRA_COLUMNS),
               sql.Query(_LIST_TAGS_SQL, ("idea_id", "name"))]
    if viewer is not None:
        queries.append(sql.Query(_LIST_VOTES_SQL, ("idea_id", "value"), [viewer.id]))
    if count is not None:
        queries.append(count)
    page_ids = sql.Query(_ids_sql(sort, shape, mode, size + 1 if fixed else None), ("id",), params)
    rows, tag_rows, *rest = await sql.fetch_together(*queries, shared=("page_ids", page_ids))
    my_votes = {row["idea_id"]: row["value"] for row in rest.pop(0)} if viewer is not None else {}
    if count is not None:
        total = int(rest[0][0]["n"])
    items = [_idea_from_row(row) for row in rows[:size]]
    if mode == "before":  # fetched backwards: nearest first
        items.reverse()
        number, more = (max(page, 2) if len(rows) > size else 1), True
    else:
        number, more = (max(page, 2) if mode == "after" else page), len(rows) > size
    column = SORT_COLUMNS[sort]
    return Page(items=items, number=number, size=size, total=None if total is None else min(total, COUNT_LIMIT),
                more=more, capped=bool(total and total > COUNT_LIMIT),
                after=encode_cursor(getattr(items[-1], column), items[-1].id) if more and items else None,
                before=encode_cursor(getattr(items[0], column), items[0].id) if number > 1 and items else None,
                tags=tags_by_idea(tag_rows), my_votes=my_votes)


# Author and category come in the same query, and only the columns a card shows (no password hash, no body).
_LIST_EXTRA = ("u.name AS author_name, u.role AS author_role, c.name AS category_name, c.slug AS category_slug, "
               "c.position AS category_position")
_EXTRA_COLUMNS = ("author_name", "author_role", "category_name", "category_slug", "category_position")


@functools.cache
def _ids_sql(sort: str, shape: tuple[bool, bool, bool], mode: str, limit: int | None = None) -> str:
    """The ids of one page (and one more), from an index-only scan; each filter shape built once.

    The unfiltered board writes its LIMIT into the statement: with `LIMIT $n` Postgres costs a cached generic plan
    as if it read a large share of the table, so it would plan every page anew.
    Filtered shapes keep the parameter on purpose: their best plan depends on the status, category or tag asked for.
    """
    column, where = SORT_COLUMNS[sort], _where_sql(*shape)
    if mode in ("after", "before"):
        where += f" AND (x.{column}, x.id) {'<' if mode == 'after' else '>'} (?, ?)"
    order = "ASC" if mode == "before" else "DESC"
    return (f"SELECT x.id FROM {Idea._meta.db_table} x WHERE {where} ORDER BY x.{column} {order}, x.id {order} "
            f"LIMIT {int(limit) if limit else '?'}{' OFFSET ?' if mode == 'offset' else ''}")


@functools.cache
def _list_sql(sort: str, mode: str) -> str:
    """The page's rows: those ids joined to author and category, in page order."""
    column, order = SORT_COLUMNS[sort], "ASC" if mode == "before" else "DESC"
    columns = ", ".join(f"i.{name}" for name in _idea_columns(body=False))
    return (f"SELECT {columns}, {_LIST_EXTRA} FROM {Idea._meta.db_table} i "
            f"JOIN {User._meta.db_table} u ON u.id = i.author_id "
            f"LEFT JOIN {Category._meta.db_table} c ON c.id = i.category_id "
            f"WHERE i.id IN (SELECT id FROM page_ids) ORDER BY i.{column} {order}, i.id {order}")


# The tags and a member's votes of the same page: read in the same round trip, from the same ids.
_LIST_TAGS_SQL = (f"SELECT it.idea_id, t.name FROM {IdeaTag._meta.db_table} it JOIN {Tag._meta.db_table} t "
                  f"ON t.id = it.tag_id WHERE it.idea_id IN (SELECT id FROM page_ids) ORDER BY it.id")
_LIST_VOTES_SQL = (f"SELECT idea_id, value FROM {Vote._meta.db_table} "
                   f"WHERE user_id = ? AND idea_id IN (SELECT id FROM page_ids)")


@functools.cache
def _count_text(shape: tuple[bool, bool, bool], limit: int) -> str:
    """Counts up to COUNT_LIMIT + 1 matches: past that "10000+ ideas" says enough, and the cost stops growing.

    The limit is written in, not a parameter: with `LIMIT $n` Postgres planned the count anew on every page.
    """
    return (f"SELECT count(*) AS n FROM (SELECT 1 FROM {Idea._meta.db_table} x "
            f"WHERE {_where_sql(*shape)} LIMIT {int(limit)}) matches")


def _count_sql(dialect: str, shape: tuple[bool, bool, bool]) -> str:
    return _count_statement(dialect, shape, COUNT_LIMIT + 1)


@functools.cache
def _count_statement(dialect: str, shape: tuple[bool, bool, bool], limit: int) -> str:
    return sql.placeholders(dialect, _count_text(shape, limit))


def _where_sql(status: bool, category: bool, tag: bool) -> str:
    """Space, hidden, then status (or the statuses listed by default), category slug and tag name, as `?`s."""
    unlisted = ", ".join(f"'{s.value}'" for s in Status if not s.listed_by_default)
    parts = ["x.space = ?", "x.hidden = ?", "x.status = ?" if status else f"x.status NOT IN ({unlisted})"]
    if category:
        parts.append(f"x.category_id = (SELECT id FROM {Category._meta.db_table} WHERE slug = ?)")
    if tag:
        parts.append(f"x.id IN (SELECT idea_id FROM {IdeaTag._meta.db_table} "
                     f"WHERE tag_id = (SELECT id FROM {Tag._meta.db_table} WHERE name = ?))")
    return " AND ".join(parts)


@functools.cache
def _idea_columns(*, body: bool) -> tuple[str, ...]:
    """Every Idea column, or all but the two bodies (a card shows neither)."""
    return tuple(column for name, column in Idea._meta.fields_db_projection.items()
                 if body or name not in ("body", "body_html"))



def _idea_from_row(row: Any, *, body: bool = False) -> Idea:
    """An Idea with its author and category attached, as select_related would, without pypika (see row_loader)."""
    idea = _idea_loader(body)(row)
    sql.attach(idea, "author", sql.row_loader(User, AUTHOR_COLUMNS)(row))
    return sql.attach(idea, "category", sql.row_loader(Category, _CATEGORY_COLUMNS)(row) if idea.category_id else None)


@functools.cache
def _idea_loader(body: bool):
    return sql.row_loader(Idea, tuple((column, column) for column in _idea_columns(body=body)))


# (field column, column in the row): an author is the id, name and role pages show (never the password hash).
AUTHOR_COLUMNS = (("id", "author_id"), ("name", "author_name"), ("role", "author_role"))
_CATEGORY_COLUMNS = (("id", "category_id"), ("name", "category_name"), ("slug", "category_slug"),
                     ("position", "category_position"))


# Counting matching ideas is the one list query that grows with the board, so it stops at COUNT_LIMIT (an exact
# count of 1M ideas is an index-only scan of ~0.4 s) and big totals are reused: as they are for COUNT_FRESH_SECONDS,
# then shown while one query per process refreshes them, up to COUNT_STALE_SECONDS. Concurrent misses share a query.
COUNT_LIMIT = 10_000
COUNT_CACHE_MIN, COUNT_FRESH_SECONDS, COUNT_STALE_SECONDS = 1_000, 30.0, 300.0
COUNT_WAIT_SECONDS = 0.05  # what a filtered page on a big board waits for its first count before showing "Page N"
_counts: dict[tuple, tuple[float, int]] = {}
_counting: dict[tuple, asyncio.Future] = {}


async def _total(conn, shape: tuple[bool, bool, bool], filters: list, key: tuple) -> tuple[int | None, Any]:
    """(matching ideas up to COUNT_LIMIT + 1, or None when counting would hold a big board's page up; or a count
    query to read with the page, when the total must be exact).

    Small boards (the board itself under COUNT_LIMIT) are counted exactly on every request, in the page's round
    trip. On a big board a status or category count is awaited at most COUNT_WAIT_SECONDS, and a tag is not
    counted at all: joining the tag's ideas to the visible ones grows with the board.
    """
    dialect = conn.capabilities.dialect
    board = await _cached_count(conn, _count_sql(dialect, (False, False, False)), filters[:2], key[:1],
                                keep_from=COUNT_CACHE_MIN)
    if not any(shape):
        return board, None
    if board <= COUNT_LIMIT:
        return None, sql.Query(_count_text(shape, COUNT_LIMIT + 1), ("n",), filters)
    if shape[2]:
        return None, None
    return await _cached_count(conn, _count_sql(dialect, shape), filters, key, keep_from=0,
                               wait=COUNT_WAIT_SECONDS), None


async def _cached_count(conn, sql: str, params: list, key: tuple, *, keep_from: int,
                        wait: float | None = None) -> int | None:
    """A total from the cache (refreshed in the background once stale), else counted; None if `wait` ran out."""
    key = (id(conn), *key)
    hit = _counts.get(key)
    age = time.monotonic() - hit[0] if hit else math.inf
    if age < COUNT_FRESH_SECONDS:
        return hit[1]
    running = _counting.get(key)
    if running is None:
        running = _counting[key] = asyncio.ensure_future(_count_into_cache(conn, sql, params, key, keep_from))
        running.add_done_callback(_log_failure)
    if age < COUNT_STALE_SECONDS:
        return hit[1]
    try:
        return await asyncio.wait_for(asyncio.shield(running), wait)
    except TimeoutError:
        return None  # the count carries on and is cached for the next page


async def _count_into_cache(conn, sql: str, params: list, key: tuple, keep_from: int) -> int:
    """Count and keep totals from `keep_from` up (small boards' totals stay exact by never being kept)."""
    try:
        total = await _count(conn, sql, params)
        if total >= keep_from:
            if len(_counts) > 1_000:  # odd filters cannot grow this without bound
                _counts.clear()
            _counts[key] = (time.monotonic(), total)
        else:
            _counts.pop(key, None)
        return total
    finally:
        _counting.pop(key, None)


async def _count(conn, sql: str, params: list) -> int:
    _, rows = await conn.execute_query(sql, params)
    return int(rows[0]["n"])


def _log_failure(future: asyncio.Future) -> None:
    """A background refresh that failed is logged (a waiting request gets the error itself)."""
    if not future.cancelled() and future.exception() is not None:
        log.warning("counting ideas failed: %r", future.exception())


async def get_idea(idea_id: int, viewer: User | None) -> Idea | None:
    """The idea if this viewer may open it: hidden ideas only for staff, internal ones only for employees."""
    return await opened_idea(await sql.fetch(idea_query(idea_id)), viewer)


def idea_query(idea_id: int) -> sql.Query:
    """One idea with its author and category, the query select_related would make (a sixth of an idea page to build)."""
    return sql.Query(_idea_sql(), _idea_columns(body=True) + _EXTRA_COLUMNS, (idea_id,))


async def opened_idea(rows: Sequence, viewer: User | None) -> Idea | None:
    """The idea of idea_query's rows, if this viewer may open it."""
    if not rows:
        return None
    idea = _idea_from_row(rows[0], body=True)
    if not may_open(idea, viewer):
        return None
    idea.merge_target = None  # the idea it was merged into, if this viewer may open that one too
    if idea.merged_into_id:  # rare, so read only when there is one
        await idea.fetch_related("merged_into")
        target = idea.merged_into
        idea.merge_target = target if target is not None and may_open(target, viewer) else None
    return idea


def may_open(idea: Idea, viewer: User | None) -> bool:
    """Hidden ideas only for staff, internal ones only for employees."""
    if idea.hidden and not (viewer and Role(viewer.role).is_staff):
        return False
    return idea.space is not Space.INTERNAL or can_see_internal(viewer)


@functools.cache
def _idea_sql() -> str:
    columns = ", ".join(f"i.{name}" for name in _idea_columns(body=True))
    return (f"SELECT {columns}, {_LIST_EXTRA} FROM {Idea._meta.db_table} i "
            f"JOIN {User._meta.db_table} u ON u.id = i.author_id "
            f"LEFT JOIN {Category._meta.db_table} c ON c.id = i.category_id WHERE i.id = ?")


async def search_ideas(viewer: User | None, text: str, *, page: int = 1, size: int = 20) -> Page[Idea]:
    """Full-text matches the viewer may see, best first."""
    spaces = "('public', 'internal')" if can_see_internal(viewer) else "('public')"
    visible = f"ideas.hidden = {'false' if sql.is_postgres() else '0'} AND ideas.space IN {spaces}"
    ids, total = await search.search_idea_ids(text, visible_sql=visible, limit=size, offset=(page - 1) * size)
    by_id = {i.id: i for i in await Idea.filter(id__in=ids).select_related("author", "category")}
    return Page(items=[by_id[i] for i in ids if i in by_id], number=page, size=size,
                total=min(total, search.CANDIDATES), capped=total > search.CANDIDATES)


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
