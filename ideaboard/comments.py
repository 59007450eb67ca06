"""Comments: markdown rendered once to safe HTML; counts denormalized on the idea."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from ideaboard import follows, mentions, notifications, reads, sql, suspensions, webhooks
from ideaboard.accounts import require_verified
from ideaboard.errors import NotAllowed
from ideaboard.i18n import gettext as _
from ideaboard.markdown import render_markdown
from ideaboard.models import Comment, Idea, Review, Role, Status, User
from ideaboard.paging import decode_cursor, encode_cursor
from ideaboard.urls import urls


async def add_comment(idea: Idea, author: User, body: str, *, hold: str = "") -> Comment:
    """A new comment; staff comments are marked so the community sees the company speaking.

    Its `@name`s link to the members they name and tell them; the commenter now follows the idea (unless they
    unfollowed it) and its other followers are told. With `hold` (why) it waits, hidden and uncounted, in the staff
    review queue, and nobody is told until it is approved (review.approve calls published_comment).
    """
    if idea.status == Status.DUPLICATE:  # merged: the conversation continues on the idea it was merged into
        raise NotAllowed(_('This idea was merged into another one: comment there, so the conversation stays in one '
                           'place.'))
    require_verified(author)
    await suspensions.ensure_may_write(author)
    mentioned = await mentions.resolve(body)
    links = {handle: urls.profile(member.id) for handle, member in mentioned.items()}
    async with in_transaction():
        comment = await Comment.create(
            idea=idea, author=author, body=body, body_html=render_markdown(body, links),
            is_official=Role(author.role).is_staff, hidden=bool(hold),
        )
        await follows.follow_implicitly(author.id, idea.id)
        if hold:
            await Review.create(comment=comment, author=author, why=hold)
        else:
            await published_comment(comment, idea, author, mentioned.values())
    return comment


async def published_comment(comment: Comment, idea: Idea, author: User, mentioned: Iterable[User] = ()) -> None:
    """A comment becomes part of the conversation: counted, its followers and @mentions told, webhooks sent."""
    await Idea.filter(id=idea.id).update(comment_count=F("comment_count") + 1)  # also locks the idea row
    await notifications.notify_comment(comment, idea, author, mentioned)
    await webhooks.comment_created(comment, idea)

async def preview(body: str) -> str:
    """The comment as it would show, through the same renderer and sanitizer (its @names linked)."""
    mentioned = await mentions.resolve(body)
    return render_markdown(body, {handle: urls.profile(member.id) for handle, member in mentioned.items()})


EDIT_WINDOW = timedelta(minutes=15)  # long enough to fix a typo, short enough that replies still make sense


def editable(comment: Comment, user: User | None, now: datetime | None = None) -> bool:
    """The author may reword a visible comment for EDIT_WINDOW after posting it."""
    now = now or datetime.now(UTC)
    return bool(user and comment.author_id == user.id and not comment.hidden
                and comment.created_at is not None and now - comment.created_at <= EDIT_WINDOW)


async def edit_comment(comment_id: int, user: User, body: str, now: datetime | None = None) -> Comment:
    """The author's new wording, within the edit window; marked edited. Mentions link again (nobody is told twice)."""
    comment = await Comment.get_or_none(id=comment_id)
    if comment is None or comment.author_id != user.id:
        raise NotAllowed(_('You can only edit your own comments.'))
    if not editable(comment, user, now):
        raise NotAllowed(_('Comments can be edited for %(seconds)s minutes after posting; this one can no longer be '
                           'changed.', seconds=EDIT_WINDOW.seconds // 60))
    comment.body, comment.body_html = body, await preview(body)
    comment.edited_at = now or datetime.now(UTC)
    await comment.save(update_fields=["body", "body_html", "edited_at"])
    return comment


async def delete_comment(comment_id: int, user: User) -> Comment:
    """Authors may delete their own comment."""
    comment = await Comment.get_or_none(id=comment_id)
    if comment is None or comment.author_id != user.id:
        raise NotAllowed(_('You can only delete your own comments.'))
    async with in_transaction():
        await comment.delete()
        await Idea.filter(id=comment.idea_id).update(comment_count=F("comment_count") - 1)
    return comment


COMMENTS_PER_PAGE = 50


@dataclass(frozen=True)
class CommentPage:
    """A stretch of an idea's conversation, oldest first; `earlier` is the cursor of the comments before it."""

    items: list[Comment]
    earlier: str | None


async def list_comments(idea: Idea, *, before: str | None = None) -> CommentPage:
    """The latest visible comments (or those before a cursor), oldest first, as conversations read.

    A popular idea has thousands, so a page holds COMMENTS_PER_PAGE; the cursor is the (created_at, id) keyset.
    """
    return comment_page(await sql.fetch(comments_query(idea.id, before=before)))


def comments_query(idea_id: int, *, before: str | None = None) -> sql.Query:
    """One more than a page, newest first, before the cursor if there is one."""
    return reads.comments(idea_id, decode_cursor(before, datetime), COMMENTS_PER_PAGE + 1)


def images_query(idea_id: int, *, before: str | None = None) -> sql.Query:
    """The pictures of comments_query's comments."""
    return reads.comments_images(idea_id, decode_cursor(before, datetime), COMMENTS_PER_PAGE + 1)


def comment_page(rows) -> CommentPage:
    """comments_query's rows as a page, oldest first, with the cursor of what comes before."""
    load_comment = sql.loader_of(Comment, reads.columns_of(Comment))
    load_author = sql.row_loader(User, reads.AUTHOR_COLUMNS)
    items = [sql.attach(load_comment(row), "author", load_author(row)) for row in rows[:COMMENTS_PER_PAGE]][::-1]
    earlier = encode_cursor(items[0].created_at, items[0].id) if len(rows) > COMMENTS_PER_PAGE else None
    return CommentPage(items, earlier)

