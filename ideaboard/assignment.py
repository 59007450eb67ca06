"""Who owns an idea: claim or assign, with an optimistic version check so two teammates never silently collide."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.expressions import F

from ideaboard import audit, notifications
from ideaboard.errors import Conflict, NotAllowed
from ideaboard.i18n import gettext as _
from ideaboard.models import Idea, Role, User


def is_team(user: User | None) -> bool:
    return bool(user and Role(user.role).is_staff)


async def bump_version(idea: Idea, expected_version: int, **changes) -> None:
    """UPDATE ... WHERE version = expected: the second of two simultaneous writers updates no row and is told so."""
    updated = await Idea.filter(id=idea.id, version=expected_version).update(
        version=F("version") + 1, updated_at=datetime.now(UTC), **changes)
    if not updated:
        raise Conflict(
            _('Someone else changed this idea while you were looking at it. Your change was not saved; the page now '
              'shows the current state, try again if it still makes sense.'))
    await idea.refresh_from_db()


async def assign(idea: Idea, actor: User, owner: User | None, expected_version: int) -> Idea:
    """Give the idea to a teammate (or to nobody); only staff and admins can own ideas. The new owner is told."""
    if not is_team(actor):
        raise NotAllowed(_('Only the product team can assign ideas.'))
    if owner is not None and not is_team(owner):
        raise NotAllowed(_('%(name)s is not on the product team, so they cannot own ideas.', name=owner.name))
    previous = idea.owner_id
    await bump_version(idea, expected_version, owner_id=owner.id if owner else None)
    await audit.record(actor, "idea.assign", "idea", idea.id, from_owner=previous,
                       to_owner=owner.id if owner else None, owner_name=owner.name if owner else "nobody")
    await notifications.notify_assignment(idea, actor, owner, previous)
    return idea


async def claim(idea: Idea, actor: User, expected_version: int) -> Idea:
    """Take the idea yourself."""
    return await assign(idea, actor, actor, expected_version)


async def team_members() -> list[User]:
    """Everyone who may own an idea, for the owner select."""
    return await User.filter(role__in=[Role.STAFF, Role.ADMIN], is_active=True).order_by("name")
