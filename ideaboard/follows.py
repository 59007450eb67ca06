"""Following an idea: anyone logged in can, and followers hear about its status changes and responses."""

from __future__ import annotations

import contextlib

from tortoise.exceptions import IntegrityError

from ideaboard import sql
from ideaboard.models import Follow, Idea, User


async def is_following(user: User | None, idea: Idea) -> bool:
    return user is not None and bool(await sql.fetch(following_query(user, idea.id)))


def following_query(user: User, idea_id: int) -> sql.Query:
    """A row if this user follows the idea (prepared once: every member's idea page asks)."""
    return sql.Query(f"SELECT 1 AS one FROM {Follow._meta.db_table} WHERE idea_id = ? AND user_id = ? LIMIT 1",
                     ("one",), (idea_id, user.id))


async def set_following(user: User, idea: Idea, follow: bool) -> bool:
    """Follow or unfollow; repeating either (or a double click) changes nothing."""
    if not follow:
        await Follow.filter(idea_id=idea.id, user_id=user.id).delete()
        return False
    with contextlib.suppress(IntegrityError):  # the same person's other request inserted it first
        await Follow.get_or_create(idea_id=idea.id, user_id=user.id)
    return True


async def follower_count(idea: Idea) -> int:
    return await Follow.filter(idea_id=idea.id).count()
