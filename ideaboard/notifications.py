"""In-app notifications for the people who touched an idea, and their email copies (through ideaboard.mail)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from tortoise.expressions import Q

from ideaboard import mail
from ideaboard.models import (
    Comment,
    EventKind,
    Follow,
    Idea,
    IdeaEvent,
    Notification,
    Role,
    Space,
    Status,
    User,
    Vote,
)
from ideaboard.settings import Settings
from ideaboard.urls import urls

log = logging.getLogger(__name__)
EMAIL_BATCH = 200


def _short(title: str, size: int = 120) -> str:
    return title if len(title) <= size else title[: size - 1] + "…"


def describe(event: IdeaEvent, idea: Idea) -> str:
    """The one line a person reads in the bell list and as the email subject."""
    title = f"“{_short(idea.title)}”"
    if event.kind == EventKind.RESPONSE:
        return f"The team responded to {title}"
    if event.kind == EventKind.MERGED:
        return f"{title} was merged into a similar idea; the conversation continues there"
    return f"{title} is now {Status(event.to_status).label}"


async def audience(idea_id: int) -> set[int]:
    """Everyone who voted on, commented on or follows the idea."""
    ids: set[int] = set()
    for model, column in ((Vote, "user_id"), (Comment, "author_id"), (Follow, "user_id")):
        ids.update(await model.filter(idea_id=idea_id).values_list(column, flat=True))
    ids.discard(None)  # type: ignore[arg-type]  # votes of deleted accounts belong to nobody
    return ids


async def notify_about(event: IdeaEvent) -> int:
    """One notification per interested person (never the actor); running it again adds nothing."""
    idea = await Idea.get(id=event.idea_id)
    wanted = await audience(idea.id) - {event.actor_id}
    already = set(await Notification.filter(event_id=event.id).values_list("user_id", flat=True))
    active = set(await User.filter(id__in=wanted - already, is_active=True).values_list("id", flat=True))
    if not active:
        return 0
    message = describe(event, idea)
    await Notification.bulk_create(
        [Notification(user_id=uid, idea_id=idea.id, event_id=event.id, message=message) for uid in sorted(active)],
        ignore_conflicts=True,
    )
    return len(active)


def visible_to(user: User) -> Q:
    """Notifications about ideas this person may still open: a demoted employee keeps no internal titles, and
    a hidden idea's title is gone for everyone but staff (the rules of ideas.may_open, applied at read time)."""
    role = Role(user.role)
    rule = Q(user_id=user.id)
    if not role.is_staff:
        rule &= Q(idea__hidden=False)
    if not role.is_employee:
        rule &= Q(idea__space=Space.PUBLIC)
    return rule


def readable_by_recipient() -> Q:
    """visible_to for every recipient at once, by their role now: what is still waiting to be emailed."""
    staff = [r for r in Role if r.is_staff]
    employees = [r for r in Role if r.is_employee]
    return ((Q(idea__hidden=False) | Q(user__role__in=staff))
            & (Q(idea__space=Space.PUBLIC) | Q(user__role__in=employees)))


async def unread_count(user: User) -> int:
    """The number on the bell: one indexed COUNT."""
    return await Notification.filter(visible_to(user), read_at=None).count()


async def list_notifications(user: User, limit: int = 50) -> list[Notification]:
    """Newest first, with the idea for the link."""
    return await (Notification.filter(visible_to(user)).order_by("-created_at", "-id").limit(limit)
                  .select_related("idea"))


async def mark_all_read(user: User) -> int:
    return await Notification.filter(user_id=user.id, read_at=None).update(read_at=datetime.now(UTC))


def _email(settings: Settings, note: Notification) -> mail.Email:
    link = settings.base_url.rstrip("/") + urls.idea(note.idea_id)
    return mail.compose(settings, note.user.email, note.message, "notification",
                        {"name": note.user.name, "message": note.message, "link": link})


async def email_pending_notifications(settings: Settings) -> int:
    """Email every notification not yet emailed; only what was accepted (or refused for good) is marked."""
    pending = await Notification.filter(readable_by_recipient(), emailed_at=None, user__is_active=True) \
        .order_by("id").limit(EMAIL_BATCH).select_related("user")
    if not pending:
        return 0
    sent, refused = await asyncio.to_thread(mail.send_all, settings, [(n.id, _email(settings, n)) for n in pending])
    if sent or refused:
        await Notification.filter(id__in=sent + refused).update(emailed_at=datetime.now(UTC))
    return len(sent)
