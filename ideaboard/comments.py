"""Comments: markdown rendered once to safe HTML; counts denormalized on the idea."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from tortoise import connections
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from ideaboard.ideas import AUTHOR_COLUMNS, NotAllowed, decode_cursor, encode_cursor, row_loader, sql_placeholders
from ideaboard.markdown import render_markdown
from ideaboard.models import Comment, Idea, Role, User


async def add_comment(idea: Idea, author: User, body: str) -> Comment:
    """A new comment; staff comments are marked so the community sees the company speaking."""
    async with in_transaction():
        comment = await Comment.create(
            idea=idea, author=author, body=body, body_html=render_markdown(body),
            is_official=Role(author.role).is_staff,
        )
        await Idea.filter(id=idea.id).update(comment_count=F("comment_count") + 1)
    return comment


async def delete_comment(comment_id: int, user: User) -> Comment:
    """Authors may delete their own comment."""
    comment = await Comment.get_or_none(id=comment_id)
    if comment is None or comment.author_id != user.id:
        raise NotAllowed("You can only delete your own comments.")
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
    conn = connections.get("default")
    cursor = decode_cursor(before, datetime)
    _, rows = await conn.execute_query(_comments_sql(conn.capabilities.dialect, bool(cursor)),
                                       [idea.id, False, *(cursor or ()), COMMENTS_PER_PAGE + 1])
    items = [_comment_from_row(row) for row in rows[:COMMENTS_PER_PAGE]][::-1]
    earlier = encode_cursor(items[0].created_at, items[0].id) if len(rows) > COMMENTS_PER_PAGE else None
    return CommentPage(items, earlier)


@functools.lru_cache(maxsize=None)
def _comments_sql(dialect: str, before: bool) -> str:
    """Newest first from the (idea_id, created_at, id) index, with each author's id, name and role."""
    columns = ", ".join(f"cm.{column}" for column in Comment._meta.fields_db_projection.values())
    return sql_placeholders(dialect, (
        f"SELECT {columns}, u.name AS author_name, u.role AS author_role FROM {Comment._meta.db_table} cm "
        f"JOIN {User._meta.db_table} u ON u.id = cm.author_id WHERE cm.idea_id = ? AND cm.hidden = ? "
        f"{'AND (cm.created_at, cm.id) < (?, ?) ' if before else ''}ORDER BY cm.created_at DESC, cm.id DESC LIMIT ?"))


def _comment_from_row(row) -> Comment:
    comment = _comment_loader()(row)
    object.__setattr__(comment, "_author", row_loader(User, AUTHOR_COLUMNS)(row))
    return comment


@functools.lru_cache(maxsize=None)
def _comment_loader():
    return row_loader(Comment, tuple((column, column) for column in Comment._meta.fields_db_projection.values()))
