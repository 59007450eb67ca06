"""Merging duplicates: B folds into A with its comments, votes and followers; each person counts once, exactly."""

from __future__ import annotations

import re
import string

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from ideaboard import audit, notifications, vote_budget
from ideaboard.errors import NotAllowed
from ideaboard.ideas import hot_score, may_open
from ideaboard.markdown import render_markdown
from ideaboard.models import Comment, EventKind, Follow, Idea, IdeaEvent, Status, User, Vote
from ideaboard.urls import urls
from ideaboard.workflow import TRANSITIONS

MERGE_LINK = re.compile(r'href="/ideas/([0-9]{1,10})"')


async def readable_story(events: list[IdeaEvent], viewer: User | None) -> list[IdeaEvent]:
    """A timeline whose merge events name only ideas this viewer may open: the other idea's title was written into
    the event when it was merged, and that idea may be hidden, or hidden since (the title must not leak)."""
    linked = {int(m) for e in events if e.kind == EventKind.MERGED for m in MERGE_LINK.findall(e.message_html)}
    if not linked:
        return events
    others = {i.id: i for i in await Idea.filter(id__in=list(linked))}
    for event in events:
        ids = [int(m) for m in MERGE_LINK.findall(event.message_html)] if event.kind == EventKind.MERGED else []
        if any(i not in others or not may_open(others[i], viewer) for i in ids):
            into = event.to_status == Status.DUPLICATE
            event.message = "Merged into another idea" if into else "Another idea was merged into this idea"
            event.message_html = f"<p>{event.message}.</p>"
    return events


def _md_text(text: str) -> str:
    """Backslash-escape ASCII punctuation so a title is shown literally inside markdown."""
    return "".join("\\" + ch if ch in string.punctuation else ch for ch in text)


def _check(source: Idea, target: Idea) -> None:
    """Refuse merges that would lose or leak something, with a reason a team member understands."""
    if source.id == target.id:
        raise NotAllowed("An idea cannot be merged into itself.")
    if source.status == Status.DUPLICATE:
        raise NotAllowed("This idea is already merged into another idea.")
    if target.status == Status.DUPLICATE:
        raise NotAllowed("That idea is itself a duplicate; merge into the idea it points to instead.")
    if Status.DUPLICATE not in TRANSITIONS[Status(source.status)]:
        raise NotAllowed(f"An idea that is {Status(source.status).label} cannot be merged; "
                         "only new and under-review ideas can.")
    if source.space != target.space:
        raise NotAllowed("Ideas from the public and the internal space cannot be merged into each other.")


async def _lock(*ids: int) -> dict[int, Idea]:
    """Lock both rows in id order (no deadlock with a merge the other way round) and read them fresh."""
    locked = {}
    for idea_id in sorted(ids):
        locked[idea_id] = await Idea.filter(id=idea_id).select_for_update().get()
    return locked


async def _move_rows(model, source_id: int, target_id: int) -> None:
    """Move per-person rows (votes, follows) to A; a person who has one on both keeps only A's."""
    on_target = await model.filter(idea_id=target_id).values_list("user_id", flat=True)
    await model.filter(idea_id=source_id, user_id__in=list(on_target)).delete()
    await model.filter(idea_id=source_id).update(idea_id=target_id)


async def recount(idea: Idea) -> None:
    """Counters recomputed from the rows themselves, not adjusted by deltas."""
    up = await Vote.filter(idea_id=idea.id, value=1).count()
    down = await Vote.filter(idea_id=idea.id, value=-1).count()
    idea.upvotes, idea.downvotes, idea.score = up, down, up - down
    idea.hot = hot_score(idea.score, idea.created_at)
    idea.comment_count = await Comment.filter(idea_id=idea.id, hidden=False).count()
    await idea.save(update_fields=["upvotes", "downvotes", "score", "hot", "comment_count"])


async def merge_ideas(source: Idea, target: Idea, actor: User) -> None:
    """Merge B (source) into A (target) in one transaction; B becomes a duplicate pointing at A."""
    async with in_transaction():
        locked = await _lock(source.id, target.id)
        b, a = locked[source.id], locked[target.id]
        _check(b, a)
        b_event = await IdeaEvent.create(
            idea_id=b.id, actor=actor, kind=EventKind.MERGED, from_status=b.status, to_status=Status.DUPLICATE,
            message=f"Merged into “{a.title}”", message_html=render_markdown(
                f"Merged into [{_md_text(a.title)}]({urls.idea(a.id)})"))
        await notifications.notify_about(b_event)  # B's people, before they move to A
        await IdeaEvent.create(
            idea_id=a.id, actor=actor, kind=EventKind.MERGED, from_status=a.status, to_status=a.status,
            message=f"“{b.title}” was merged into this idea", message_html=render_markdown(
                f"[{_md_text(b.title)}]({urls.idea(b.id)}) was merged into this idea"))
        await Idea.filter(id=b.id).update(status=Status.DUPLICATE, merged_into_id=a.id, version=F("version") + 1)
        await Comment.filter(idea_id=b.id).update(idea_id=a.id)
        await _move_rows(Vote, b.id, a.id)
        await _move_rows(Follow, b.id, a.id)
        await recount(a)
        await recount(b)
        await vote_budget.after_merge(b, a)  # budget votes weigh more than one; B's come back to budgets
        await audit.record(actor, "idea.merge", "idea", b.id, into=a.id, from_status=b.status.value)
    source.status, source.merged_into_id, source.version = Status.DUPLICATE, target.id, b.version + 1
    for field in ("upvotes", "downvotes", "score", "hot", "comment_count"):
        setattr(source, field, getattr(b, field))
        setattr(target, field, getattr(a, field))
