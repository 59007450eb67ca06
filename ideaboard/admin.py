"""Admin rules: categories (create, rename, reorder, delete) and people's roles — every change audited."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from ideaboard import audit
from ideaboard.auth import end_sessions
from ideaboard.errors import NotAllowed
from ideaboard.forms import FormErrors
from ideaboard.i18n import gettext as _
from ideaboard.models import Category, Comment, Idea, Role, User

NAME_MIN, NAME_MAX = 2, 60


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]


async def _valid_name(raw: str | None, *, exclude_id: int | None = None) -> tuple[str, str]:
    name = " ".join((raw or "").split())
    slug = slugify(name)
    errors = {}
    if not NAME_MIN <= len(name) <= NAME_MAX or not slug:
        errors["name"] = _('A category name has %(NAME_MIN)s to %(NAME_MAX)s characters, with letters or digits.',
                           NAME_MIN=NAME_MIN, NAME_MAX=NAME_MAX)
    elif await Category.filter(slug=slug).exclude(id=exclude_id or 0).exists() or \
            await Category.filter(name=name).exclude(id=exclude_id or 0).exists():
        errors["name"] = _('There is already a category called %(name)s.', name=name)
    if errors:
        raise FormErrors(errors, {"name": raw or ""})
    return name, slug


async def create_category(actor: User, raw_name: str) -> Category:
    """A new category at the end of the list."""
    name, slug = await _valid_name(raw_name)
    last = await Category.all().order_by("-position").first()
    category = await Category.create(name=name, slug=slug, position=(last.position + 1) if last else 0)
    await audit.record(actor, "category.create", "category", category.id, name=name)
    return category


async def rename_category(actor: User, category: Category, raw_name: str) -> Category:
    """Rename (the slug follows, so filter links use the new name)."""
    old = category.name
    category.name, category.slug = await _valid_name(raw_name, exclude_id=category.id)
    await category.save(update_fields=["name", "slug"])
    await audit.record(actor, "category.rename", "category", category.id, from_name=old, to_name=category.name)
    return category


async def move_category(actor: User, category: Category, direction: str) -> None:
    """Swap places with the neighbour above or below; positions are renumbered 0..n so they stay tidy."""
    ordered = await Category.all().order_by("position", "name")
    index = next(i for i, c in enumerate(ordered) if c.id == category.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    async with in_transaction():
        for position, c in enumerate(ordered):
            if c.position != position:
                await Category.filter(id=c.id).update(position=position)
    await audit.record(actor, "category.move", "category", category.id, direction=direction)


async def delete_category(actor: User, category: Category) -> None:
    """Ideas in it keep existing, without a category."""
    await category.delete()
    await audit.record(actor, "category.delete", "category", category.id, name=category.name)


async def change_role(actor: User, person: User, raw_role: str) -> None:
    """Promote or demote someone; admins cannot change their own role (no locking the last admin out)."""
    try:
        role = Role(raw_role)
    except ValueError:
        raise NotAllowed(_('Choose a role from the list.')) from None
    if person.id == actor.id:
        raise NotAllowed(_('You cannot change your own role; ask another admin.'))
    if role == person.role:
        return
    old = person.role
    await User.filter(id=person.id).update(role=role)
    await audit.record(actor, "user.role", "user", person.id, from_role=old, to_role=role.value)


USER_RESULTS = 50
REASON_MAX = 500


async def find_users(query: str = "", *, limit: int = USER_RESULTS) -> list[User]:
    """People whose name or email contains `query` (everyone when it is empty), by name, at most `limit`."""
    people = User.all()
    if text := " ".join(query.split())[:100]:
        people = people.filter(Q(name__icontains=text) | Q(email__icontains=text))
    return await people.order_by("name", "id").limit(limit)


async def list_users() -> list[User]:
    return await find_users()


async def deactivate(actor: User, person: User, reason: str, *, ban: bool = False, hide_content: bool = False) -> int:
    """Deactivate (or ban) someone: they are logged out on their next request and cannot log in; what they wrote
    stays up unless `hide_content`. Returns how many ideas and comments were hidden."""
    reason = " ".join((reason or "").split())
    if person.id == actor.id:
        raise NotAllowed(_('You cannot deactivate your own account here; ask another admin.'))
    if not reason:
        raise FormErrors({"reason": _('Say why, for the audit log (the person does not see it).')}, {"reason": reason})
    if len(reason) > REASON_MAX:
        raise FormErrors({"reason": _('Keep the reason under %(REASON_MAX)s characters.',
                                      REASON_MAX=REASON_MAX)}, {"reason": reason})
    hidden = 0
    async with in_transaction():
        await User.filter(id=person.id).update(is_active=False, banned=ban, deactivated_at=datetime.now(UTC),
                                               deactivation_reason=reason)
        if hide_content:
            hidden = await _hide_everything_by(person.id)
    await end_sessions(person.id)
    await audit.record(actor, "user.ban" if ban else "user.deactivate", "user", person.id, reason=reason,
                       hid_content=hide_content, hidden=hidden)
    return hidden


async def _hide_everything_by(user_id: int) -> int:
    """Hide a person's ideas and comments, keeping each idea's visible-comment count right."""
    per_idea = Counter(await Comment.filter(author_id=user_id, hidden=False).values_list("idea_id", flat=True))
    hidden = await Comment.filter(author_id=user_id, hidden=False).update(hidden=True)
    for idea_id, count in per_idea.items():
        await Idea.filter(id=idea_id).update(comment_count=F("comment_count") - count)
    return hidden + await Idea.filter(author_id=user_id, hidden=False).update(hidden=True)


async def reactivate(actor: User, person: User) -> None:
    """Let someone back in (anything hidden with a ban stays hidden until restored one by one in moderation)."""
    if person.is_active:
        return
    await User.filter(id=person.id).update(is_active=True, banned=False, deactivated_at=None, deactivation_reason="")
    await audit.record(actor, "user.reactivate", "user", person.id, was_banned=person.banned,
                       reason=person.deactivation_reason)
