"""In-app notifications: who is told what (followers, mentioned people, new owners), by their preferences.

An idea's audience is its followers (ideaboard/follows.py: the author, voters and commenters follow it unless they
unfollowed). Each kind obeys the person's preference (ideaboard/notification_prefs.py): "off" creates nothing, and
"instant"/"digest" is kept on the row so the email jobs (ideaboard/notification_mail.py) know which email carries it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from tortoise.expressions import Q

from ideaboard import follows, live, notice_text, notification_prefs
from ideaboard.models import (
    Comment,
    Delivery,
    EventKind,
    Idea,
    IdeaEvent,
    Notification,
    NotificationKind,
    Role,
    Space,
    Status,
    User,
)
from ideaboard.urls import urls

log = logging.getLogger(__name__)


def event_params(event: IdeaEvent, idea: Idea) -> dict[str, str]:
    """What the one line a person reads in the bell list and as the email subject is made of (notice_text.py)."""
    title = notice_text.short(idea.title)
    if event.kind == EventKind.RESPONSE:
        return {"text": "response", "title": title}
    if event.kind == EventKind.MERGED:
        return {"text": "merged", "title": title}
    return {"text": "status", "title": title, "status": Status(event.to_status).value}


def comments_params(idea: Idea, commenter: User) -> dict[str, str]:
    """One comment names its author; a batch says how many arrived since the person last read their bell."""
    return {"text": "comments", "name": commenter.name, "title": notice_text.short(idea.title)}


async def audience(idea_id: int) -> set[int]:
    """Everyone who follows the idea (authors, voters and commenters do, unless they unfollowed)."""
    return await follows.follower_ids(idea_id)


async def _recipients(idea: Idea, user_ids: Iterable[int], kind: NotificationKind) -> dict[int, Delivery]:
    """Active people who may still see the idea and have not switched this kind off, with how they want it."""
    ids = set(user_ids)
    if not ids:
        return {}
    people = User.filter(id__in=list(ids), is_active=True)
    if idea.hidden:
        people = people.filter(role__in=[Role.STAFF, Role.ADMIN])
    elif idea.space == Space.INTERNAL:
        people = people.exclude(role=Role.CUSTOMER)
    allowed: list[int] = await people.values_list("id", flat=True)  # type: ignore[assignment]
    wanted = await notification_prefs.deliveries(allowed, kind)
    return {uid: how for uid, how in wanted.items() if how is not Delivery.OFF}


async def notify_about(event: IdeaEvent) -> int:
    """One notification per follower (never the actor) of a status change, response or merge; reruns add nothing."""
    idea = await Idea.get(id=event.idea_id)
    already = set(await Notification.filter(event_id=event.id).values_list("user_id", flat=True))
    told = await _recipients(idea, await audience(idea.id) - {event.actor_id} - already, NotificationKind.UPDATES)
    if not told:
        return 0
    params = event_params(event, idea)
    message = notice_text.english(params)
    await Notification.bulk_create(
        [Notification(user_id=uid, idea_id=idea.id, event_id=event.id, kind=NotificationKind.UPDATES,
                      delivery=how, message=message, params=params) for uid, how in sorted(told.items())],
        ignore_conflicts=True,
    )
    live.tell_users(told)
    return len(told)


def comment_batch(idea_id: int) -> str:
    """The key that makes one unread comments notification per idea per person."""
    return f"comments:{idea_id}"


async def notify_comment(comment: Comment, idea: Idea, author: User, mentioned: Iterable[User] = ()) -> int:
    """Tell followers (batched per idea until read) and mentioned people (one each) about a new comment.

    Runs inside add_comment's transaction, after the idea row was updated: that row lock serialises two comments on
    one idea, so a batch's count never loses one. The commenter is never told; a mentioned follower gets the mention.
    """
    mentioned_ids = {u.id for u in mentioned} - {author.id}
    told = await _mention(comment, idea, author, mentioned_ids)
    followers = await _recipients(idea, await audience(idea.id) - {author.id} - mentioned_ids,
                                  NotificationKind.COMMENTS)
    return told + await _add_to_batches(comment, idea, author, followers)


async def _mention(comment: Comment, idea: Idea, author: User, user_ids: set[int]) -> int:
    told = await _recipients(idea, user_ids, NotificationKind.MENTIONS)
    params = {"text": "mention", "name": author.name, "title": notice_text.short(idea.title)}
    message = notice_text.english(params)
    await Notification.bulk_create([
        Notification(user_id=uid, idea_id=idea.id, comment_id=comment.id, kind=NotificationKind.MENTIONS,
                     delivery=how, message=message, params=params) for uid, how in sorted(told.items())])
    live.tell_users(told)
    return len(told)


async def _add_to_batches(comment: Comment, idea: Idea, author: User, told: dict[int, Delivery]) -> int:
    """Count the comment into each person's unread batch for this idea, or start one."""
    if not told:
        return 0
    batch = comment_batch(idea.id)
    open_rows = await Notification.filter(batch=batch, user_id__in=list(told)).values_list("id", "user_id", "count")
    by_count: dict[int, list[int]] = defaultdict(list)
    for note_id, _, count in open_rows:
        by_count[count + 1].append(note_id)
    now = datetime.now(UTC)
    params = comments_params(idea, author)  # the count is the row's own, read with it
    for count, ids in by_count.items():  # a few distinct counts, so a few UPDATEs whatever the audience size
        await Notification.filter(id__in=ids).update(
            count=count, message=notice_text.english(params, count), params=params, comment_id=comment.id,
            emailed_at=None, updated_at=now)  # emailed already: the next email carries the new count
    fresh = sorted(set(told) - {uid for _, uid, _ in open_rows})
    await Notification.bulk_create([
        Notification(user_id=uid, idea_id=idea.id, comment_id=comment.id, kind=NotificationKind.COMMENTS,
                     delivery=told[uid], batch=batch, message=notice_text.english(params), params=params)
        for uid in fresh])
    live.tell_users(told)
    return len(told)


async def notify_assignment(idea: Idea, actor: User, owner: User | None, previous_owner_id: int | None) -> int:
    """The new owner hears they own the idea, unless they took it themselves (or nothing changed)."""
    if owner is None or owner.id in (actor.id, previous_owner_id):
        return 0
    told = await _recipients(idea, {owner.id}, NotificationKind.ASSIGNMENTS)
    if not told:
        return 0
    params = {"text": "assigned", "name": actor.name, "title": notice_text.short(idea.title)}
    await Notification.create(user_id=owner.id, idea_id=idea.id, kind=NotificationKind.ASSIGNMENTS,
                              delivery=told[owner.id], message=notice_text.english(params), params=params)
    live.tell_users([owner.id])
    return 1


def visible_to(user: User) -> Q:
    """Notifications about ideas this person may still open: a demoted employee keeps no internal titles, and
    a hidden idea's title is gone for everyone but staff (the rules of ideas.may_open, applied at read time)."""
    role = Role(user.role)
    rule = Q(user_id=user.id)
    about_no_idea = Q(idea_id__isnull=True)  # a campaign's news (campaign_notices.py)
    if not role.is_staff:
        rule &= about_no_idea | Q(idea__hidden=False)
    if not role.is_employee:
        rule &= about_no_idea | Q(idea__space=Space.PUBLIC)
    return rule


def readable_by_recipient() -> Q:
    """visible_to for every recipient at once, by their role now: what is still waiting to be emailed."""
    staff = [r for r in Role if r.is_staff]
    employees = [r for r in Role if r.is_employee]
    return ((Q(idea_id__isnull=True) | Q(idea__hidden=False) | Q(user__role__in=staff))
            & (Q(idea_id__isnull=True) | Q(idea__space=Space.PUBLIC) | Q(user__role__in=employees)))


async def unread_count(user: User) -> int:
    """The number on the bell: one indexed COUNT."""
    return await Notification.filter(visible_to(user), read_at=None).count()


async def list_notifications(user: User, limit: int = 50) -> list[Notification]:
    """Latest activity first, with the idea for the link."""
    return await (Notification.filter(visible_to(user)).order_by("-updated_at", "-id").limit(limit)
                  .select_related("idea"))


async def mark_all_read(user: User) -> int:
    """Reading closes every batch: the next comment starts a new notification."""
    return await Notification.filter(user_id=user.id, read_at=None).update(read_at=datetime.now(UTC), batch=None)


def link(note: Notification) -> str:
    """Where a notification points: the event on the timeline, the comment, or the idea."""
    anchor = f"#event-{note.event_id}" if note.event_id else f"#comment-{note.comment_id}" if note.comment_id else ""
    return urls.idea(note.idea_id) + anchor if note.idea_id else urls.notifications()
