"""The idea board's list: a small query object that turns a viewer's filters into one page read in one round trip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ideaboard import counts, ideas, reads, sql, statuses
from ideaboard.models import Idea, Space, User
from ideaboard.paging import Page, decode_cursor, encode_cursor

SORTS = ("hot", "top", "new")
SORT_COLUMNS = {"hot": "hot", "top": "score", "new": "created_at"}
CURSOR_KINDS = {"hot": float, "top": int, "new": datetime}  # hot and top cursors hold the value, new microseconds


@dataclass(frozen=True)
class IdeaListing:
    """Which ideas a list shows: a space, an order and up to three filters. Closed ideas (not listed by default)
    only when asked for by status, as on Fider and Canny; launched ideas also have their own page (/launched)."""

    space: Space = Space.PUBLIC
    sort: str = "hot"
    status: str | None = None
    category: str | None = None
    tag: str | None = None
    size: int = 20
    campaign: int | None = None  # a campaign's id: its ideas only
    theme: int | None = None  # a published theme's row id (theme_board.published_theme): its ideas only

    @classmethod
    def of(cls, viewer: User | None, *, space: Space = Space.PUBLIC, sort: str = "hot", status: str | None = None,
           category: str | None = None, tag: str | None = None, size: int = 20,
           campaign: int | None = None, theme: int | None = None) -> IdeaListing:
        """The listing asked for, with unknown values dropped; raises NotAllowed for another's space."""
        ideas.visible_filter(viewer, space)
        return cls(space=space, sort=sort if sort in SORT_COLUMNS else "hot",
                   status=status if statuses.parse(status) else None,
                   category=category, tag=tag.lower() if tag else None, size=size, campaign=campaign,
                   theme=theme)

    @property
    def shape(self) -> counts.Shape:
        return bool(self.status), bool(self.category), bool(self.tag), self.campaign is not None, self.theme is not None

    @property
    def filters(self) -> list:
        """The WHERE clause's parameters, in reads.page_ids' order."""
        chosen = (self.status, self.category, self.tag, self.campaign, self.theme)
        return [self.space.value, False, *(v for v in chosen if v is not None and v != "")]

    async def page(self, viewer: User | None, *, page: int = 1, after: str | None = None,
                   before: str | None = None, cards: bool = False) -> Page:
        """One page: after/before are a neighbouring page's cursors; without one, `page` is an offset. With `cards`
        its items are Cards (what the board's cards show), else Ideas with their author and category."""
        kind = CURSOR_KINDS[self.sort]
        mode, cursor = ("offset" if page > 1 else "first"), None  # the first page needs no OFFSET: one plan for all
        if cursor := decode_cursor(after, kind):
            mode = "after"
        elif cursor := decode_cursor(before, kind):
            mode = "before"
        total, count = await counts.total(sql.connection(), _count_text, self.shape, self.filters,
                                          (self.space, self.status, self.category, self.tag, self.campaign,
                                           self.theme))
        ids = self._ids(mode, cursor, page)
        if sql.is_postgres():
            return await self._flat_page(viewer, ids, mode, page, total, count, cards)
        queries = [reads.page_cards(SORT_COLUMNS[self.sort], mode).bind(), reads.PAGE_TAGS.bind()]
        if viewer is not None:
            queries.append(reads.PAGE_VOTES.bind(viewer.id))
        if count is not None:
            queries.append(count)
        rows, tag_rows, *rest = await sql.fetch_together(*queries, shared=("page_ids", ids))
        my_votes = {row["idea_id"]: row["value"] for row in rest.pop(0)} if viewer is not None else {}
        if count is not None:
            total = int(rest[0][0]["n"])
        found = [ideas.idea_from_row(row) for row in rows[:self.size]]
        items = [Card.of(idea) for idea in found] if cards else found
        return self._result(items, len(rows) > self.size, mode, page, total, ideas.tags_by_idea(tag_rows), my_votes)

    async def _flat_page(self, viewer: User | None, ids: sql.Query, mode: str, page: int, total: int | None,
                         count: sql.Query | None, cards: bool) -> Page:
        """Postgres: the page in one statement of flat rows (reads.board_page)."""
        statement = reads.board_page(ids.text, mode, cards=cards, member=viewer is not None,
                                     count=count.text if count is not None else None)
        rows = await sql.fetch(statement.bind(*([viewer.id] if viewer is not None else ()),
                                              *(count.params if count is not None else ()), *ids.params))
        if count is not None:
            total = int(rows[0]["n"] if rows else (await sql.fetch(count))[0]["n"])
        load = card_of_row if cards else ideas.idea_from_row
        items = [load(row) for row in rows[:self.size]]
        tags = {row["id"]: row["tag_names"] for row in rows if row["tag_names"]}
        my_votes = {row["id"]: row["my_vote"] for row in rows if row["my_vote"] is not None} if viewer else {}
        return self._result(items, len(rows) > self.size, mode, page, total, tags, my_votes)

    def _ids(self, mode: str, cursor: tuple | None, page: int) -> sql.Query:
        """The page's ids (and one more), the statement the page's other reads select from."""
        past_new = self.status if self.status is not None and self.status != statuses.NEW else None
        statement = reads.page_ids(SORT_COLUMNS[self.sort], self.shape, mode, self.size + 1, status=past_new)
        filters = self.filters
        if past_new is not None:
            del filters[2]  # written into the statement
        return statement.bind(*filters, *(cursor or ()), *([(page - 1) * self.size] if mode == "offset" else []))

    def _result(self, items: list, more_rows: bool, mode: str, page: int, total: int | None, tags: dict,
                my_votes: dict) -> Page:
        size, column = self.size, SORT_COLUMNS[self.sort]
        if mode == "before":  # fetched backwards: nearest first
            items.reverse()
            number, more = (max(page, 2) if more_rows else 1), True
        else:
            number, more = (max(page, 2) if mode == "after" else page), more_rows
        limit = counts.COUNT_LIMIT
        return Page(items=items, number=number, size=size, total=None if total is None else min(total, limit),
                    more=more, capped=bool(total and total > limit),
                    after=encode_cursor(getattr(items[-1], column), items[-1].id) if more and items else None,
                    before=encode_cursor(getattr(items[0], column), items[0].id) if number > 1 and items else None,
                    tags=tags, my_votes=my_votes)


async def list_ideas(
    viewer: User | None, *, sort: str = "hot", space: Space = Space.PUBLIC, category: str | None = None,
    tag: str | None = None, status: str | None = None, page: int = 1, size: int = 20,
    after: str | None = None, before: str | None = None, campaign: int | None = None, theme: int | None = None,
    cards: bool = False,
) -> Page:
    """One page of the board (IdeaListing.of, then .page); `cards`: Cards instead of Ideas, for the board's cards."""
    listing = IdeaListing.of(viewer, space=space, sort=sort, status=status, category=category, tag=tag, size=size,
                             campaign=campaign, theme=theme)
    return await listing.page(viewer, page=page, after=after, before=before, cards=cards)


def _count_text(shape: counts.Shape) -> str:
    return reads.board_count(shape, counts.COUNT_LIMIT + 1).text


class CardAuthor:
    """What a card shows of its author."""

    __slots__ = ("id", "name", "role")

    def __init__(self, id: int, name: str, role: str) -> None:
        self.id, self.name, self.role = id, name, role


class CardCategory:
    """What a card shows of its category."""

    __slots__ = ("id", "name", "slug")

    def __init__(self, id: int, name: str, slug: str) -> None:
        self.id, self.name, self.slug = id, name, slug


class Card:
    """An idea as the board's cards (and their vote widgets and vote budgets) read it: a model instance per row, with
    its author's and category's, cost more CPU than the page's database read (README, "Profiler notes")."""

    __slots__ = (*reads.CARD_COLUMNS, "author", "category", "campaign_title", "campaign_slug")
    id: int
    title: str
    author_id: int
    category_id: int | None
    status: str
    space: Space
    campaign_id: int | None
    upvotes: int
    downvotes: int
    score: int
    hot: float
    comment_count: int
    created_at: datetime
    author: CardAuthor
    category: CardCategory | None
    campaign_title: str | None
    campaign_slug: str | None

    @classmethod
    def of(cls, idea: Idea) -> Card:
        """The card of an idea read with its author and category (ideas.idea_from_row)."""
        card = cls()
        for name in reads.CARD_COLUMNS:
            setattr(card, name, getattr(idea, name))
        author, category = idea.author, idea.category
        card.author = CardAuthor(author.id, author.name, author.role)
        card.category = CardCategory(category.id, category.name, category.slug) if category is not None else None
        card.campaign_title, card.campaign_slug = idea.__dict__["campaign_title"], idea.__dict__["campaign_slug"]
        return card


_SPACES = {space.value: space for space in Space}


def card_of_row(row: Any) -> Card:
    """A Card from a row of reads.board_page's card columns (Postgres: asyncpg's values need no conversion but the
    space's enum; created_at comes in UTC, as the ORM gives it)."""
    card = Card()
    (card.id, card.title, card.author_id, card.category_id, card.status, space, card.campaign_id, card.upvotes,
     card.downvotes, card.score, card.hot, card.comment_count, card.created_at, author_name, author_role,
     category_name, category_slug, card.campaign_title, card.campaign_slug) = row[:_CARD_WIDTH]
    card.space = _SPACES[space]
    card.author = CardAuthor(card.author_id, author_name, author_role)
    card.category = CardCategory(card.category_id, category_name, category_slug) if card.category_id else None
    return card


_CARD_WIDTH = len(reads.CARD_COLUMNS) + 6
