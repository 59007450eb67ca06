"""A person's own data: the export they can download, and the erasure when they delete their account (GDPR)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from tortoise.transactions import in_transaction

from ideaboard.models import Comment, Follow, Idea, Notification, NotificationPreference, Role, Session, User, Vote

FORMER_MEMBER = "Former member"


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def export_data(user: User) -> dict[str, Any]:
    """Everything stored about this person, as plain JSON: profile, ideas, comments, votes, follows, notifications."""
    rows = {name: [_plain(row) for row in await query.order_by("id").values(*columns)]
            for name, query, columns in (
                ("ideas", Idea.filter(author_id=user.id),
                 ("id", "title", "body", "status", "space", "created_at", "updated_at")),
                ("comments", Comment.filter(author_id=user.id), ("id", "idea_id", "body", "created_at")),
                ("votes", Vote.filter(user_id=user.id), ("idea_id", "value", "created_at")),
                ("follows", Follow.filter(user_id=user.id), ("idea_id", "created_at", "unfollowed_at")),
                ("notifications", Notification.filter(user_id=user.id),
                 ("message", "idea_id", "created_at", "read_at")),
                ("notification_preferences", NotificationPreference.filter(user_id=user.id), ("kind", "delivery")),
            )}
    profile = {"id": user.id, "email": user.email, "name": user.name, "role": str(user.role),
               "email_verified_at": _when(user.email_verified_at), "theme": user.theme, "locale": user.locale,
               "last_locale": user.last_locale, "created_at": _when(user.created_at)}
    return {"profile": profile, **rows}


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready values: timestamps as ISO 8601, enums as their value."""
    return {k: _when(v) if isinstance(v, datetime) else (str(v) if isinstance(v, Enum) else v) for k, v in row.items()}


async def erase_account(user: User) -> None:
    """Delete the person, keep the conversation: their ideas and comments stay under "Former member", their votes
    stay counted but belong to nobody, and everything personal (email, name, password, follows, notifications,
    sessions) is gone."""
    async with in_transaction():
        await Vote.filter(user_id=user.id).update(user_id=None)
        await Follow.filter(user_id=user.id).delete()
        await Notification.filter(user_id=user.id).delete()
        await NotificationPreference.filter(user_id=user.id).delete()
        await Session.filter(user_id=user.id).delete()
        await User.filter(id=user.id).update(
            email=f"deleted-{user.id}@deleted.invalid", name=FORMER_MEMBER, password_hash="!", role=Role.CUSTOMER,
            is_active=False, email_verified_at=None)
