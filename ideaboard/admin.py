"""Admin rules: categories (create, rename, reorder, delete) and people's roles — every change audited."""

from __future__ import annotations

import re

from tortoise.transactions import in_transaction

from ideaboard import audit
from ideaboard.errors import NotAllowed
from ideaboard.forms import FormErrors
from ideaboard.models import Category, Role, User

NAME_MIN, NAME_MAX = 2, 60


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]


async def _valid_name(raw: str | None, *, exclude_id: int | None = None) -> tuple[str, str]:
    name = " ".join((raw or "").split())
    slug = slugify(name)
    errors = {}
    if not NAME_MIN <= len(name) <= NAME_MAX or not slug:
        errors["name"] = f"A category name has {NAME_MIN} to {NAME_MAX} characters, with letters or digits."
    elif await Category.filter(slug=slug).exclude(id=exclude_id or 0).exists() or \
            await Category.filter(name=name).exclude(id=exclude_id or 0).exists():
        errors["name"] = f"There is already a category called {name}."
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
        raise NotAllowed("Choose a role from the list.") from None
    if person.id == actor.id:
        raise NotAllowed("You cannot change your own role; ask another admin.")
    if role == person.role:
        return
    old = person.role
    await User.filter(id=person.id).update(role=role)
    await audit.record(actor, "user.role", "user", person.id, from_role=old, to_role=role.value)


async def list_users() -> list[User]:
    return await User.all().order_by("name", "id")
