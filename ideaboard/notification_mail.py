"""Notification emails through ideaboard.mail: one email per instant notification, one daily digest per person.

Every email says why the person got it and carries a one-click unsubscribe for its kinds (RFC 8058 headers and a
footer link that works logged out). A notification is marked emailed only once the server accepted the email (or
refused the address for good), so a failed run loses nothing and a second run sends nothing twice. A comments batch
that grew after it was emailed is pending again, and its next email says the new count.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from ideaboard import i18n, mail, notice_text, notifications, unsubscribe
from ideaboard.i18n import gettext as _
from ideaboard.i18n import ngettext
from ideaboard.models import Delivery, Notification, NotificationKind, User
from ideaboard.settings import Settings
from ideaboard.urls import urls

EMAIL_BATCH = 200
DIGEST_PEOPLE = 100  # people per digest batch; the job loops until nobody is left
DIGEST_ITEMS = 50  # shown in one digest; the rest are counted and linked to the bell


def _absolute(settings: Settings, path: str) -> str:
    return f"{settings.base_url.rstrip('/')}{path}"


def _kinds(notes: Sequence[Notification]) -> tuple[NotificationKind, ...]:
    return tuple(sorted({NotificationKind(n.kind) for n in notes}))


def _item(settings: Settings, note: Notification) -> dict[str, str]:
    return {"message": notice_text.text(note), "link": _absolute(settings, notifications.link(note)),
            "reason": NotificationKind(note.kind).reason}


def _footer(settings: Settings, user: User, kinds: tuple[NotificationKind, ...], reasons: str) -> dict:
    """Why this email came, and one unsubscribe link per kind in it (the List-Unsubscribe header covers them all)."""
    return {"reasons": reasons, "settings_link": _absolute(settings, urls.notification_settings()),
            "unsubscribe": [{"label": k.label, "link": unsubscribe.url(settings, user.id, (k,))} for k in kinds]}


def instant_email(settings: Settings, note: Notification) -> mail.Email:
    """One notification, as it happened."""
    with i18n.speaking(i18n.of_person(note.user)):  # the whole email in the reader's language
        kinds = _kinds([note])
        reason = NotificationKind(note.kind).reason
        context = {"name": note.user.name, **_item(settings, note), **_footer(settings, note.user, kinds, reason)}
        return mail.compose(settings, note.user.email, notice_text.text(note), "notification", context,
                            headers=unsubscribe.headers(unsubscribe.url(settings, note.user.id, kinds)))


def digest_email(settings: Settings, user: User, notes: Sequence[Notification]) -> mail.Email:
    """Everything a person chose to hear about daily, in one email."""
    with i18n.speaking(i18n.of_person(user)):  # the whole email in the reader's language
        kinds = _kinds(notes)
        subject = ngettext("Your daily %(site)s digest: %(num)s update", "Your daily %(site)s digest: %(num)s updates",
                           len(notes), site=settings.site_name)
        reasons = _("you chose a daily digest for: %(kinds)s", kinds="; ".join(k.label.lower() for k in kinds))
        context = {"name": user.name, "items": [_item(settings, n) for n in notes[:DIGEST_ITEMS]],
                   "more": max(0, len(notes) - DIGEST_ITEMS), "all_link": _absolute(settings, urls.notifications()),
                   **_footer(settings, user, kinds, reasons)}
        return mail.compose(settings, user.email, subject, "digest", context,
                            headers=unsubscribe.headers(unsubscribe.url(settings, user.id, kinds)))


async def _mark_emailed(notes: Sequence[Notification]) -> None:
    """Marked as they were sent: a batch whose count grew meanwhile stays pending, to go out with the new count."""
    by_count: dict[int, list[int]] = defaultdict(list)
    for note in notes:
        by_count[note.count].append(note.id)
    now = datetime.now(UTC)
    for count, ids in by_count.items():
        await Notification.filter(id__in=ids, count=count, emailed_at=None).update(emailed_at=now)


async def email_instant(settings: Settings) -> int:
    """Email every instant notification not yet emailed (the worker runs this every minute)."""
    pending = await Notification.filter(notifications.readable_by_recipient(), emailed_at=None,
                                        delivery=Delivery.INSTANT, user__is_active=True) \
        .order_by("id").limit(EMAIL_BATCH).select_related("user")
    if not pending:
        return 0
    by_id = {n.id: n for n in pending}
    sent, refused = await asyncio.to_thread(mail.send_all, settings, [(n.id, instant_email(settings, n))
                                                                      for n in pending])
    await _mark_emailed([by_id[i] for i in sent + refused])
    return len(sent)


async def send_digests(settings: Settings) -> int:
    """One email per person with their pending digest items; running it twice sends nothing twice."""
    total, skip = 0, set[int]()
    while people := await _digest_people(skip):
        pending = await Notification.filter(notifications.readable_by_recipient(), emailed_at=None,
                                            delivery=Delivery.DIGEST, user_id__in=people) \
            .order_by("user_id", "id").select_related("user")
        by_user: dict[int, list[Notification]] = defaultdict(list)
        for note in pending:
            by_user[note.user_id].append(note)
        mails = [(uid, digest_email(settings, notes[0].user, notes)) for uid, notes in by_user.items()]
        sent, refused = await asyncio.to_thread(mail.send_all, settings, mails)
        await _mark_emailed([n for uid in sent + refused for n in by_user[uid]])
        total += len(sent)
        skip |= set(people)  # once per person per run; whoever the server failed waits for the next run
    return total


async def _digest_people(skip: set[int]) -> list[int]:
    query = Notification.filter(notifications.readable_by_recipient(), emailed_at=None, delivery=Delivery.DIGEST,
                                user__is_active=True)
    if skip:
        query = query.exclude(user_id__in=list(skip))
    ids: list[int] = await query.distinct().order_by("user_id").limit(DIGEST_PEOPLE) \
        .values_list("user_id", flat=True)  # type: ignore[assignment]
    return ids
