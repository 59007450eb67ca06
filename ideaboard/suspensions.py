"""Suspending a member: they keep reading, but cannot post, vote, comment, follow or report until it ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from tortoise.expressions import Q

from ideaboard import audit
from ideaboard.auth import end_sessions
from ideaboard.errors import NotAllowed
from ideaboard.forms import FormErrors
from ideaboard.i18n import gettext as _
from ideaboard.models import Role, Suspension, User

REASON_MIN, REASON_MAX = 3, 500


class Suspended(NotAllowed):
    """A suspended member tried to write; the message says until when and why (views answer 403)."""


def parse_until(raw: str | None, now: datetime) -> datetime | None:
    """An optional last day (YYYY-MM-DD, UTC): the suspension ends at the end of that day; empty means until lifted."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise FormErrors({"until": _('Give the last day as a date, like 2027-01-31, or leave it empty.')},
                         {"until": text[:20]}) from None
    ends = datetime.combine(day, time.max, tzinfo=UTC)
    if ends <= now:
        raise FormErrors({"until": _('The last day must be today or later.')}, {"until": text})
    return ends


def _reason(raw: str | None) -> str:
    reason = " ".join((raw or "").split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise FormErrors({"reason": _('Tell the member why, in %(REASON_MIN)s to %(REASON_MAX)s characters (they '
                                      'see it).',
                                      REASON_MIN=REASON_MIN, REASON_MAX=REASON_MAX)},
                         {"reason": (raw or "")[:REASON_MAX]})
    return reason


def _current(now: datetime) -> Q:
    return Q(lifted_at__isnull=True) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))


async def current(user_id: int, now: datetime | None = None) -> Suspension | None:
    """The suspension in force for this member now (an ended one lapses by itself), or None."""
    now = now or datetime.now(UTC)
    return await Suspension.filter(_current(now), user_id=user_id).order_by("-created_at").first()


async def current_for(user_ids: list[int]) -> dict[int, Suspension]:
    """The suspensions in force for these people, for the admin's people page."""
    rows = await Suspension.filter(_current(datetime.now(UTC)), user_id__in=user_ids).order_by("created_at")
    return {row.user_id: row for row in rows}


def message(suspension: Suspension) -> str:
    until = suspension.ends_at.strftime("%-d %B %Y") if suspension.ends_at else "further notice"
    return f"Your account is suspended until {until}: {suspension.reason}"


async def ensure_may_write(user: User, now: datetime | None = None) -> None:
    """Raise Suspended when this member is suspended now (every write path calls it, HTML and API alike)."""
    if (suspension := await current(user.id, now)) is not None:
        raise Suspended(message(suspension))


async def suspend(actor: User, person: User, raw_reason: str, raw_until: str = "", *,
                  now: datetime | None = None) -> Suspension:
    """Suspend someone (not staff, not oneself): their sessions end now; audited."""
    now = now or datetime.now(UTC)
    if person.id == actor.id:
        raise NotAllowed(_('You cannot suspend yourself.'))
    if Role(person.role).is_staff:
        raise NotAllowed(_('Team members cannot be suspended; change their role first.'))
    reason, ends_at = _reason(raw_reason), parse_until(raw_until, now)
    await Suspension.filter(_current(now), user_id=person.id).update(lifted_at=now)  # the new one replaces it
    suspension = await Suspension.create(user_id=person.id, reason=reason, ends_at=ends_at, created_by=actor)
    ended = await end_sessions(person.id)
    await audit.record(actor, "user.suspend", "user", person.id, reason=reason,
                       until=ends_at.isoformat() if ends_at else None, sessions_ended=ended)
    return suspension


async def lift(actor: User, person: User) -> bool:
    """End someone's suspension now; False when there was none in force."""
    now = datetime.now(UTC)
    lifted = await Suspension.filter(_current(now), user_id=person.id).update(lifted_at=now)
    if lifted:
        await audit.record(actor, "user.unsuspend", "user", person.id)
    return bool(lifted)
