"""The review-to-launch workflow: one transition table, optimistic moves, official responses, the public timeline."""

from __future__ import annotations

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from ideaboard import audit, live, notifications, reads, sql, statuses, vote_budget, webhooks
from ideaboard.errors import Conflict, IllegalTransition
from ideaboard.i18n import gettext as _
from ideaboard.markdown import render_markdown
from ideaboard.models import EventKind, Idea, IdeaEvent, Status, StatusDefinition, User

S = Status
# What may follow what is the board's own table (statuses.current(), edited in the admin console). Duplicate is
# listed where a merge may happen, but only merge.py gets there.
MAX_MESSAGE = 5000


def next_statuses(status: str) -> list[Status]:
    """Every status the table lets follow this one, in board order, duplicate included where merging may happen."""
    return [Status(k) for k in statuses.current().next_of(status)]


def allowed_next(status: str) -> list[Status]:
    """The statuses transition() accepts from here, in workflow order (duplicate is reached by merging)."""
    return [s for s in next_statuses(status) if s != S.DUPLICATE]


def _labels(statuses: list[Status]) -> str:
    names = [s.label for s in statuses]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _illegal(current: Status, to_status: Status) -> IllegalTransition:
    """A message a team member can act on."""
    if to_status == S.DUPLICATE:
        return IllegalTransition(_('To mark an idea as a duplicate, merge it into the original idea.'))
    options = next_statuses(current)
    if not options:
        return IllegalTransition(_('An idea that is %(label)s cannot change status any more.', label=current.label))
    return IllegalTransition(_('An idea that is %(label)s can move to %(_labels)s, not %(label2)s.',
                               label=current.label, _labels=_labels(options), label2=to_status.label))


def _conflict(now: str) -> Conflict:
    return Conflict(_('Someone changed this idea a moment ago (it is now %(Status)s). Reload to see the change.',
                      Status=Status(now).label))


def _clean(message: str) -> str:
    return (message or "").strip()[:MAX_MESSAGE]


async def transition(idea: Idea, actor: User | None, to_status: str, message: str = "", *,
                     expected_version: int | None = None) -> IdeaEvent:
    """Move an idea one step through the table, record it publicly, tell the people who care, audit it."""
    to_status = Status(to_status)
    message = _clean(message)
    async with in_transaction() as conn:
        await sql.hold_workflow(conn)  # workflow first, idea second: the order an admin's delete-and-move locks in
        if to_status not in statuses.BUILT_IN and not await StatusDefinition.filter(key=to_status).exists():
            raise IllegalTransition(_('The status “%(key)s” was just deleted by an admin: reload the page and choose '
                                      'another.', key=to_status))  # (built-in ones cannot be deleted)
        fresh = await Idea.filter(id=idea.id).select_for_update().get()
        version = fresh.version if expected_version is None else expected_version
        if fresh.version != version:
            raise _conflict(fresh.status)
        current = Status(fresh.status)
        if to_status not in allowed_next(current):
            raise _illegal(current, to_status)
        moved = await Idea.filter(id=idea.id, version=version).update(status=to_status, version=F("version") + 1)
        if not moved:
            raise _conflict((await Idea.get(id=idea.id)).status)
        event = await IdeaEvent.create(idea_id=idea.id, actor=actor, kind=EventKind.STATUS, from_status=current,
                                       to_status=to_status, message=message, message_html=render_markdown(message))
        await notifications.notify_about(event)
        fresh.status = to_status
        await vote_budget.settle(fresh, current, to_status)  # budget votes come back when an idea closes
        await audit.record(actor, "status.change", "idea", idea.id, from_status=current.value,
                           to_status=to_status.value)
        fresh.status = to_status
        await webhooks.idea_event(fresh, event)
    idea.status, idea.version = to_status, version + 1
    live.tell(live.QUEUE, "queue")
    return event


async def respond(idea: Idea, actor: User, message: str, *, expected_version: int | None = None) -> IdeaEvent:
    """The team's official answer on an idea, highlighted on its timeline; the status stays as it is."""
    message = _clean(message)
    if not message:
        raise ValueError("Write a response before publishing it.")
    async with in_transaction():
        fresh = await Idea.filter(id=idea.id).select_for_update().get()
        if expected_version is not None and fresh.version != expected_version:
            raise _conflict(fresh.status)
        event = await IdeaEvent.create(idea_id=idea.id, actor=actor, kind=EventKind.RESPONSE,
                                       from_status=fresh.status, to_status=fresh.status,
                                       message=message, message_html=render_markdown(message))
        await notifications.notify_about(event)
        await audit.record(actor, "idea.respond", "idea", idea.id, event_id=event.id)
        await webhooks.idea_event(fresh, event)
    return event


async def timeline(idea: Idea) -> list[IdeaEvent]:
    """An idea's public history, oldest first, with who did each step (one prepared query: every idea page asks)."""
    return events_from_rows(await sql.fetch(reads.timeline(idea.id)))


def events_from_rows(rows) -> list[IdeaEvent]:
    load_event = sql.loader_of(IdeaEvent, reads.columns_of(IdeaEvent))
    load_actor = sql.row_loader(User, reads.ACTOR_COLUMNS)
    return [sql.attach(load_event(row), "actor", load_actor(row) if row["actor_id"] is not None else None)
            for row in rows]


