"""The idea board's list: a small query object that turns a viewer's filters into one page read in one round trip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
                   before: str | None = None) -> Page[Idea]:
        """One page: after/before are a neighbouring page's cursors; without one, `page` is an offset."""
        kind = CURSOR_KINDS[self.sort]
        mode, cursor = ("offset" if page > 1 else "first"), None  # the first page needs no OFFSET: one plan for all
        if cursor := decode_cursor(after, kind):
            mode = "after"
        elif cursor := decode_cursor(before, kind):
            mode = "before"
        total, count = await counts.total(sql.connection(), _count_text, self.shape, self.filters,
                                          (self.space, self.status, self.category, self.tag, self.campaign,
                                           self.theme))
        queries = [reads.page_cards(SORT_COLUMNS[self.sort], mode).bind(), reads.PAGE_TAGS.bind()]
        if viewer is not None:
            queries.append(reads.PAGE_VOTES.bind(viewer.id))
        if count is not None:
            queries.append(count)
        rows, tag_rows, *rest = await sql.fetch_together(*queries, shared=("page_ids", self._ids(mode, cursor, page)))
        my_votes = {row["idea_id"]: row["value"] for row in rest.pop(0)} if viewer is not None else {}
        if count is not None:
            total = int(rest[0][0]["n"])
        return self._result(rows, mode, page, total, ideas.tags_by_idea(tag_rows), my_votes)

    def _ids(self, mode: str, cursor: tuple | None, page: int) -> sql.Query:
        """The page's ids (and one more), the statement the page's other reads select from."""
        statement = reads.page_ids(SORT_COLUMNS[self.sort], self.shape, mode, self.size + 1,
                                   past_new=self.status is not None and self.status != statuses.NEW)
        return statement.bind(*self.filters, *(cursor or ()), *([(page - 1) * self.size] if mode == "offset" else []))

    def _result(self, rows: list, mode: str, page: int, total: int | None, tags: dict, my_votes: dict) -> Page[Idea]:
        size, column = self.size, SORT_COLUMNS[self.sort]
        items = [ideas.idea_from_row(row) for row in rows[:size]]
        if mode == "before":  # fetched backwards: nearest first
            items.reverse()
            number, more = (max(page, 2) if len(rows) > size else 1), True
        else:
            number, more = (max(page, 2) if mode == "after" else page), len(rows) > size
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
) -> Page[Idea]:
    """One page of the board (IdeaListing.of, then .page)."""
    listing = IdeaListing.of(viewer, space=space, sort=sort, status=status, category=category, tag=tag, size=size,
                             campaign=campaign, theme=theme)
    return await listing.page(viewer, page=page, after=after, before=before)


def _count_text(shape: counts.Shape) -> str:
    return reads.board_count(shape, counts.COUNT_LIMIT + 1).text
