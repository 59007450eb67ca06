"""Following an idea: anyone logged in can, and followers hear about its status changes and responses."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from ideaboard.models import Follow, Idea, User


async def is_following(user: User | None, idea: Idea) -> bool:
    return bool(user) and await Follow.filter(idea_id=idea.id, user_id=user.id).exists()


async def set_following(user: User, idea: Idea, follow: bool) -> bool:
    """Follow or unfollow; repeating either (or a double click) changes nothing."""
    if not follow:
        await Follow.filter(idea_id=idea.id, user_id=user.id).delete()
        return False
    try:
        await Follow.get_or_create(idea_id=idea.id, user_id=user.id)
    except IntegrityError:
        pass  # the same person's other request inserted it first
    return True


async def follower_count(idea: Idea) -> int:
    return await Follow.filter(idea_id=idea.id).count()
