"""Following an idea: the one list of who hears about it.

The author follows their idea from the start; voting or commenting follows it too, unless the person unfollowed it
before (an unfollow is kept as a row with `unfollowed_at`, so it is respected however often they vote later).
Pressing "Follow" again always follows.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ideaboard import reads, sql, suspensions
from ideaboard.models import Follow, Idea, User


async def is_following(user: User | None, idea: Idea) -> bool:
    return user is not None and bool(await sql.fetch(reads.following(user.id, idea.id)))


async def set_following(user: User, idea: Idea, follow: bool) -> bool:
    """Follow or unfollow on purpose; repeating either (or a double click) changes nothing."""
    await suspensions.ensure_may_write(user)
    if not follow:
        await follow_implicitly(user.id, idea.id)
        await Follow.filter(idea_id=idea.id, user_id=user.id, unfollowed_at=None).update(
            unfollowed_at=datetime.now(UTC))
        return False
    await follow_implicitly(user.id, idea.id)
    await Follow.filter(idea_id=idea.id, user_id=user.id).exclude(unfollowed_at=None).update(unfollowed_at=None)
    return True


FOLLOW_UNLESS_UNFOLLOWED = (f"INSERT INTO {Follow._meta.db_table} (idea_id, user_id, created_at) VALUES (?, ?, ?) "
                            "ON CONFLICT (idea_id, user_id) DO NOTHING")


async def follow_implicitly(user_id: int, idea_id: int, conn=None) -> None:
    """Authoring, voting or commenting follows the idea, unless the person unfollowed it (one statement, no race)."""
    conn = conn or sql.connection()
    await conn.execute_query(sql.placeholders(conn.capabilities.dialect, FOLLOW_UNLESS_UNFOLLOWED),
                             [idea_id, user_id, datetime.now(UTC)])


async def follower_ids(idea_id: int) -> set[int]:
    """Everyone who follows the idea now."""
    rows: list[int] = await Follow.filter(idea_id=idea_id, unfollowed_at=None).values_list(  # type: ignore[assignment]
        "user_id", flat=True)
    return set(rows)


async def follower_count(idea: Idea) -> int:
    return await Follow.filter(idea_id=idea.id, unfollowed_at=None).count()
