"""The workflow's home in the database: load it into statuses.py, reload when another process saved, admin edits.

Every admin change reads the table fresh under a lock on the revision row, applies one edit, has status_rules check
the whole result, writes it, bumps the revision (so every web process and worker reloads within CHECK_SECONDS) and
audits it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import replace

from tortoise.exceptions import BaseORMException, IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from ideaboard import audit, board_budget, status_rules, statuses, vote_budget
from ideaboard.forms import FormErrors
from ideaboard.i18n import gettext as _
from ideaboard.i18n import ngettext
from ideaboard.models import Idea, StatusDefinition, StatusTransition, User, WorkflowRevision
from ideaboard.statuses import BUILT_IN, DUPLICATE, Phase, StatusDef, Table

log = logging.getLogger(__name__)
CHECK_SECONDS = 1.0  # how stale another process's edit may be here: one tiny query a second at most
_checked_at = 0.0


class WorkflowRefused(Exception):
    """The edit would break the workflow: every reason, for the admin to read."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


async def _read(conn=None) -> Table:
    rows = await StatusDefinition.all().using_db(conn).order_by("position", "key")
    moves = await StatusTransition.all().using_db(conn).values_list("from_key", "to_key")
    row = await WorkflowRevision.get_or_none(id=1, using_db=conn)
    return Table(tuple(StatusDef(r.key, r.name, r.colour, r.description, Phase(r.phase), r.position) for r in rows),
                 frozenset((str(a), str(b)) for a, b in moves), row.revision if row else 0)


async def load() -> Table:
    """Read the board's workflow and make it this process's (startup, and when the revision moved on)."""
    global _checked_at
    table = await _read()
    if not table.statuses:  # a database migrated before 0025 was seeded: today's eight, as before
        table = statuses.DEFAULT
    statuses.install(table)
    await board_budget.load()  # the boards' vote budgets are rules saved with the same revision
    _checked_at = time.monotonic()
    return table


async def seed(table: Table = statuses.DEFAULT) -> None:
    """Write a whole table into empty workflow tables, as migration 0025 seeds today's (tests that empty every table
    put it back with this), then load it."""
    await StatusDefinition.bulk_create([StatusDefinition(key=s.key, name=s.name, colour=s.colour,
                                                         description=s.description, phase=s.phase, position=i)
                                        for i, s in enumerate(table.statuses)])
    await StatusTransition.bulk_create([StatusTransition(from_key=a, to_key=b) for a, b in sorted(table.transitions)])
    await WorkflowRevision.create(id=1, revision=table.revision)
    await load()


async def refresh() -> None:
    """At most once per CHECK_SECONDS: reload if an admin saved in another process (a lost database keeps ours)."""
    global _checked_at
    if time.monotonic() - _checked_at < CHECK_SECONDS:
        return
    _checked_at = time.monotonic()
    try:
        row = await WorkflowRevision.get_or_none(id=1)
        if row is not None and row.revision != statuses.current().revision:
            await load()
    except (BaseORMException, OSError) as exc:
        log.warning("could not check the workflow's revision: %s", exc)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:statuses.KEY_MAX].strip("_")


async def _save(actor: User, action: str, edit: Callable[[Table], Table], values: dict[str, str],
                before_write: Callable | None = None, **detail: object) -> Table:
    """Apply `edit` to the stored table under the revision lock; refuse with every problem, or write and audit."""
    async with in_transaction() as conn:
        await WorkflowRevision.filter(id=1).using_db(conn).select_for_update().first()  # one admin save at a time
        old = await _read(conn)
        new = edit(old)
        problems = status_rules.table_errors(new)
        if problems:
            raise WorkflowRefused(problems)
        if before_write is not None:
            await before_write(old, new, conn)
        try:
            await _write(old, new, conn)
        except IntegrityError:  # a process whose table lock was lost (no revision row): the database's keys hold
            raise WorkflowRefused([_("Another admin saved a status with the same key or name at the same moment: "
                                     "reload the page and try again.")]) from None
        await WorkflowRevision.filter(id=1).using_db(conn).update(revision=F("revision") + 1)
        await audit.record(actor, action, "workflow", old.revision + 1, **detail)
    statuses.install(statuses.with_revision(new, old.revision + 1))
    log.info("workflow %s by %s: revision %s", action, actor.id, old.revision + 1)
    return statuses.current()


async def _write(old: Table, new: Table, conn) -> None:
    kept = set(new.all_keys())
    await StatusDefinition.filter(key__in=[k for k in old.all_keys() if k not in kept]).using_db(conn).delete()
    # Names are unique: park the changing ones first, so swapping two names never collides half-way (forms strip
    # control characters, so no real name starts with one).
    for s in new.statuses:
        if old.has(s.key) and old.get(s.key).name != s.name:
            await StatusDefinition.filter(key=s.key).using_db(conn).update(name=f"\x01{s.key}")
    for position, s in enumerate(new.statuses):
        fields = {"name": s.name, "colour": s.colour, "description": s.description, "phase": s.phase,
                  "position": position}
        if old.has(s.key):
            await StatusDefinition.filter(key=s.key).using_db(conn).update(**fields)
        else:
            await StatusDefinition.create(key=s.key, using_db=conn, **fields)
    if new.transitions != old.transitions:
        await StatusTransition.all().using_db(conn).delete()
        await StatusTransition.bulk_create([StatusTransition(from_key=a, to_key=b)
                                            for a, b in sorted(new.transitions)], using_db=conn)


def _status_from(data: dict[str, str], key: str, position: int) -> StatusDef:
    """A definition from a form's fields, checked on its own (the table's checks come after)."""
    phase = data.get("phase", "")
    status = StatusDef(key=key, name=" ".join((data.get("name") or "").split()),
                       colour=(data.get("colour") or "").strip().lower(),
                       description=" ".join((data.get("description") or "").split()),
                       phase=Phase(phase) if phase in Phase._value2member_map_ else Phase.OPEN, position=position)
    errors = status_rules.definition_errors(status)
    if phase not in Phase._value2member_map_:
        errors["phase"] = _("Choose the phase this status belongs to.")
    if errors:
        raise FormErrors(errors, data)
    return status


async def add_status(actor: User, data: dict[str, str], came_from: list[str], leads_to: list[str]) -> Table:
    """A new status after `data["after"]`, with the moves into and out of it (without them nothing reaches it)."""
    table = statuses.current()
    key = (data.get("key") or "").strip().lower() or slug(data.get("name") or "")
    status = _status_from(data, key, len(table.statuses))
    if table.has(key):
        raise FormErrors({"key": _("There is already a status with the key “%(key)s”.", key=key)}, data)
    if any(s.name.casefold() == status.name.casefold() for s in table.statuses):
        raise FormErrors({"name": _("There is already a status called %(name)s.", name=status.name)}, data)

    def edit(old: Table) -> Table:
        if old.has(key):  # another admin added it since this one's page loaded (checked again under the lock)
            raise FormErrors({"key": _("There is already a status with the key “%(key)s”.", key=key)}, data)
        if any(s.name.casefold() == status.name.casefold() for s in old.statuses):
            raise FormErrors({"name": _("There is already a status called %(name)s.", name=status.name)}, data)
        order = list(old.statuses)
        after = data.get("after", "")
        at = next((i + 1 for i, s in enumerate(order) if s.key == after), len(order))
        order.insert(at, status)
        moves = {(a, key) for a in came_from if old.has(a)} | {(key, b) for b in leads_to if old.has(b)}
        return Table(tuple(order), old.transitions | moves)

    return await _save(actor, "workflow.status_add", edit, data, key=key, name=status.name, phase=status.phase,
                       came_from=",".join(came_from), leads_to=",".join(leads_to))


async def edit_status(actor: User, key: str, data: dict[str, str]) -> Table:
    """Rename, recolour, describe or re-phase one status; ideas it holds settle their budget votes if it (re)closes."""
    table = statuses.current()
    before = table.get(key)
    status = _status_from(data, key, before.position)
    if any(s.name.casefold() == status.name.casefold() and s.key != key for s in table.statuses):
        raise FormErrors({"name": _("There is already a status called %(name)s.", name=status.name)}, data)

    def edit(old: Table) -> Table:
        return Table(tuple(status if s.key == key else s for s in old.statuses), old.transitions)

    async def settle(old: Table, new: Table, conn) -> None:
        if old.get(key).is_closed != new.get(key).is_closed:
            for idea in await _budget_ideas(key, conn):
                await vote_budget.settle_closing(idea, new.get(key).is_closed, new.get(key), conn)

    changed = {f: getattr(status, f) for f in ("name", "colour", "description", "phase")
               if getattr(status, f) != getattr(before, f)}
    return await _save(actor, "workflow.status_edit", edit, data, settle, key=key, **changed)


async def move_status(actor: User, key: str, direction: str) -> Table:
    """One place up or down the board's order (filters, the console's menus and the roadmap follow it)."""
    def edit(old: Table) -> Table:
        order = list(old.statuses)
        i = next((n for n, s in enumerate(order) if s.key == key), None)
        j = None if i is None else i + (-1 if direction == "up" else 1)
        if i is not None and j is not None and 0 <= j < len(order):
            order[i], order[j] = order[j], order[i]
        return Table(tuple(order), old.transitions)

    return await _save(actor, "workflow.status_move", edit, {}, key=key, direction=direction)


async def _budget_ideas(key: str, conn) -> list[Idea]:
    """The ideas of a status whose votes may spend a budget (a campaign's or their board's)."""
    where = Q(campaign_id__not_isnull=True)
    if board_budget.spaces():
        where |= Q(space__in=board_budget.spaces())
    return await Idea.filter(where, status=key).using_db(conn)


async def held_by(key: str) -> int:
    return await Idea.filter(status=key).count()


async def delete_status(actor: User, key: str, move_to: str = "") -> int:
    """Remove a status; ideas it holds move to `move_to` first (refused without one). Returns the ideas moved."""
    table = statuses.current()
    if key in BUILT_IN:
        raise WorkflowRefused([_("%(name)s is built in (the board relies on it): it cannot be deleted.",
                                 name=table.get(key).name)])
    held = await held_by(key)
    if held and (not table.has(move_to) or move_to in (key, DUPLICATE)):
        raise FormErrors({"move_to": ngettext("%(num)s idea is %(name)s: choose the status to move them to first.",
                                              "%(num)s ideas are %(name)s: choose the status to move them to first.",
                                              held, name=table.get(key).name)}, {"move_to": move_to})
    moved = 0

    def edit(old: Table) -> Table:
        if not old.has(key):
            raise WorkflowRefused([_("Another admin deleted this status a moment ago.")])
        return Table(tuple(s for s in old.statuses if s.key != key),
                     frozenset((a, b) for a, b in old.transitions if key not in (a, b)))

    async def move_ideas(old: Table, new: Table, conn) -> None:
        nonlocal moved
        ideas = await Idea.filter(status=key).using_db(conn).select_for_update()  # counted again under the lock
        if ideas and (not old.has(move_to) or move_to in (key, DUPLICATE)):  # one entered it a moment ago
            raise FormErrors({"move_to": ngettext(
                "%(num)s idea is %(name)s: choose the status to move them to first.",
                "%(num)s ideas are %(name)s: choose the status to move them to first.",
                len(ideas), name=old.get(key).name)}, {"move_to": move_to})
        for idea in ideas:
            if old.get(key).is_closed != old.get(move_to).is_closed and (
                    idea.campaign_id or board_budget.rule(str(idea.space))):
                await vote_budget.settle_closing(idea, old.get(move_to).is_closed, old.get(move_to), conn)
        moved = await Idea.filter(status=key).using_db(conn).update(status=move_to, version=F("version") + 1)

    await _save(actor, "workflow.status_delete", edit, {}, move_ideas, key=key,
                name=table.get(key).name, moved_to=move_to if held else "", ideas_moved=held)
    # (the audit's count is the one the admin saw; an idea that entered the status since is moved too)
    return moved


async def save_transitions(actor: User, pairs: set[tuple[str, str]]) -> Table:
    """The whole grid at once: what may follow what."""
    table = statuses.current()
    wanted = frozenset((a, b) for a, b in pairs if table.has(a) and table.has(b))
    added, removed = sorted(wanted - table.transitions), sorted(table.transitions - wanted)

    def edit(old: Table) -> Table:
        return replace(old, transitions=wanted, _by_key={})

    return await _save(actor, "workflow.transitions", edit, {},
                       added=" ".join(f"{a}>{b}" for a, b in added), removed=" ".join(f"{a}>{b}" for a, b in removed))

