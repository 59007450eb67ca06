"""Per-person, per-kind notification preferences: instantly, in a daily digest, or off.

"Off" means the person is not told at all: no email and no line in the bell (the bell follows the same choice, so
someone who switched comments off is not shown fifty comment lines either). No stored row means INSTANT.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tortoise.exceptions import IntegrityError

from ideaboard.i18n import gettext as _
from ideaboard.models import Delivery, NotificationKind, NotificationPreference, User

DEFAULT = Delivery.INSTANT
KINDS = tuple(NotificationKind)


class BadPreference(ValueError):
    """A submitted choice that is not one of the offered ones."""


async def preferences(user: User) -> dict[NotificationKind, Delivery]:
    """This person's choice for every kind, defaults filled in."""
    stored = await NotificationPreference.filter(user_id=user.id).values_list("kind", "delivery")
    chosen = {NotificationKind(kind): Delivery(delivery) for kind, delivery in stored}
    return {kind: chosen.get(kind, DEFAULT) for kind in KINDS}


async def deliveries(user_ids: Iterable[int], kind: NotificationKind) -> dict[int, Delivery]:
    """How each of these people wants this kind (one query for a whole audience)."""
    ids = set(user_ids)
    if not ids:
        return {}
    stored = dict(await NotificationPreference.filter(user_id__in=list(ids), kind=kind)
                  .values_list("user_id", "delivery"))
    return {uid: Delivery(stored.get(uid, DEFAULT)) for uid in ids}


async def set_preference(user_id: int, kind: NotificationKind, delivery: Delivery) -> None:
    """Store one choice; repeating it (or two tabs at once) changes nothing."""
    updated = await NotificationPreference.filter(user_id=user_id, kind=kind).update(delivery=delivery)
    if updated:
        return
    try:
        await NotificationPreference.create(user_id=user_id, kind=kind, delivery=delivery)
    except IntegrityError:  # the other request created it first: apply ours over it
        await NotificationPreference.filter(user_id=user_id, kind=kind).update(delivery=delivery)


async def set_preferences(user: User, choices: Mapping[NotificationKind, Delivery]) -> None:
    for kind, delivery in choices.items():
        await set_preference(user.id, kind, delivery)


def parse_preferences(form: Mapping[str, str]) -> dict[NotificationKind, Delivery]:
    """The settings form: one `<kind>` field per kind, each instant/digest/off; a missing field keeps nothing."""
    choices: dict[NotificationKind, Delivery] = {}
    for kind in KINDS:
        raw = form.get(kind.value)
        if raw is None:
            continue
        try:
            choices[kind] = Delivery(raw)
        except ValueError:
            raise BadPreference(_('Choose instantly, daily digest or off for “%(label)s”.', label=kind.label)) from None
    return choices
