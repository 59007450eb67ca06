"""Customer-side rules for ideas: who may see, submit and edit them, how they rank, and reading one as a card.

The board's list is listing.py, its counts counts.py, pages and cursors paging.py, categories categories.py.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from ideaboard import campaigns, follows, live, reads, search, sql, suspensions, webhooks
from ideaboard.accounts import require_verified
from ideaboard.errors import NotAllowed
from ideaboard.forms import IdeaForm
from ideaboard.i18n import gettext as _
from ideaboard.markdown import render_markdown
from ideaboard.models import Category, Idea, IdeaTag, Review, Role, Space, Status, Tag, User
from ideaboard.paging import Page

# Hot ranking (README "Ranking"): log10 of the net score plus age, so 10x the votes is worth 12.5 hours.
HOT_EPOCH = 1_700_000_000
HOT_SECONDS_PER_DECADE = 45_000


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
        raise NotAllowed(_('The internal space is for employees only.'))
    return Q(space=space, hidden=False)


async def submit_idea(author: User, form: IdeaForm, space: Space = Space.PUBLIC, campaign_id: int | None = None, *,
                      hold: str = "") -> Idea:
    """A new idea, rendered once to safe HTML and ranked as a fresh zero-score idea (in a campaign, if it is open).

    With `hold` (why: review.hold_reason), or in a campaign whose ideas need approval, it waits, hidden, in the staff
    review queue; nobody is told until approved."""
    if space is Space.INTERNAL and not can_see_internal(author):
        raise NotAllowed(_('Only employees can post in the internal space.'))
    require_verified(author)
    await suspensions.ensure_may_write(author)
    campaign = await campaigns.admit_idea(campaign_id, author, space, form.category_id)
    hold = hold or campaigns.approval_hold(campaign, author)
    now = datetime.now(UTC)
    async with in_transaction():
        idea = await Idea.create(
            title=form.title, body=form.body, body_html=render_markdown(form.body), author=author,
            category_id=form.category_id, space=space, hot=hot_score(0, now), created_at=now,
            campaign_id=campaign_id, hidden=bool(hold),
        )
        await set_tags(idea, form.tags)
        await follows.follow_implicitly(author.id, idea.id)  # the author hears what happens to their idea
        if campaign is not None:
            await campaigns.follow(campaign, author)
        if hold:
            await Review.create(idea=idea, author=author, why=hold)
        else:
            await webhooks.idea_created(idea)
    live.tell(live.QUEUE, "queue")  # the review queue shows it live
    return idea


async def edit_idea(idea: Idea, editor: User, form: IdeaForm) -> Idea:
    """Authors may reword their idea while nobody has started reviewing it."""
    if idea.author_id != editor.id:
        raise NotAllowed(_('Only the author can edit this idea.'))
    if idea.status != Status.NEW:
        raise NotAllowed(_('This idea is already being reviewed, so it can no longer be edited.'))
    await suspensions.ensure_may_write(editor)
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
        tag, _unused = await Tag.get_or_create(name=name)
        await IdeaTag.create(idea=idea, tag=tag)


async def tags_of(ideas: Sequence[Idea]) -> dict[int, list[str]]:
    """Tag names per idea id, in one prepared query (no N+1)."""
    return tags_by_idea(await sql.fetch(reads.tags([i.id for i in ideas]))) if ideas else {}


def tags_by_idea(rows: Sequence) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    for row in rows:
        result.setdefault(row["idea_id"], []).append(row["name"])
    return result


def idea_from_row(row: Any, *, body: bool = False) -> Idea:
    """An Idea with its author and category attached, as select_related would, without pypika (see row_loader)."""
    load_idea, load_author, load_category = _card_loaders(body)
    idea = load_idea(row)
    sql.attach(idea, "author", load_author(row))
    category = load_category(row) if idea.category_id else None
    idea.__dict__.update(campaign_title=row["campaign_title"], campaign_slug=row["campaign_slug"])  # its badge
    return sql.attach(idea, "category", category)


@functools.cache
def _card_loaders(body: bool) -> tuple:
    """The row loaders of an idea, its author and its category, looked up once (a page loads twenty rows)."""
    return (sql.loader_of(Idea, reads.idea_columns(body=body)), sql.row_loader(User, reads.AUTHOR_COLUMNS),
            sql.row_loader(Category, reads.CATEGORY_COLUMNS))


async def get_idea(idea_id: int, viewer: User | None) -> Idea | None:
    """The idea if this viewer may open it: hidden ideas only for staff, internal ones only for employees."""
    return await opened_idea(await sql.fetch(reads.idea(idea_id)), viewer)


async def opened_idea(rows: Sequence, viewer: User | None) -> Idea | None:
    """The idea of reads.idea's rows, if this viewer may open it."""
    if not rows:
        return None
    idea = idea_from_row(rows[0], body=True)
    idea.awaiting_review = False  # the author's own idea, held for review: only they (and staff) may open it
    if not may_open(idea, viewer):
        if not (viewer is not None and idea.hidden and idea.author_id == viewer.id
                and await Review.filter(idea_id=idea.id, decided_at__isnull=True).exists()):
            return None
        idea.awaiting_review = True
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


def searchable_sql(viewer: User | None) -> str:
    """The SQL condition on `ideas` of what this viewer may find: never hidden ideas, internal ones for employees."""
    spaces = "('public', 'internal')" if can_see_internal(viewer) else "('public')"
    return f"ideas.hidden = {'false' if sql.is_postgres() else '0'} AND ideas.space IN {spaces}"


async def search_ideas(viewer: User | None, text: str, *, page: int = 1, size: int = 20,
                       typing: bool = False) -> Page[Idea]:
    """Full-text matches the viewer may see, best first; `typing` takes the last word as the start of longer ones."""
    ids, total = await search.search_idea_ids(text, visible_sql=searchable_sql(viewer), limit=size,
                                              offset=(page - 1) * size, typing=typing)
    by_id = {i.id: i for i in await Idea.filter(id__in=ids).select_related("author", "category")}
    return Page(items=[by_id[i] for i in ids if i in by_id], number=page, size=size,
                total=min(total, search.CANDIDATES), capped=total > search.CANDIDATES)
