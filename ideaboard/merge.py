"""Merging duplicates: B folds into A with its comments, votes and followers; each person counts once, exactly."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from ideaboard import audit, notifications, statuses, vote_budget, webhooks
from ideaboard.errors import NotAllowed
from ideaboard.i18n import gettext as _
from ideaboard.ideas import hot_score, may_open
from ideaboard.markdown import render_markdown
from ideaboard.models import Comment, EventKind, Follow, Idea, IdeaEvent, MergeRecord, Status, User, Vote
from ideaboard.urls import urls
from ideaboard.workflow import next_statuses

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
        raise NotAllowed(_('An idea cannot be merged into itself.'))
    if source.status == Status.DUPLICATE:
        raise NotAllowed(_('This idea is already merged into another idea.'))
    if target.status == Status.DUPLICATE:
        raise NotAllowed(_('That idea is itself a duplicate; merge into the idea it points to instead.'))
    if Status.DUPLICATE not in next_statuses(source.status):
        raise NotAllowed(_('An idea that is %(Status)s cannot be merged; only new and under-review ideas can.',
                           Status=Status(source.status).label))
    if source.space != target.space:
        raise NotAllowed(_('Ideas from the public and the internal space cannot be merged into each other.'))


async def _lock(*ids: int) -> dict[int, Idea]:
    """Lock both rows in id order (no deadlock with a merge the other way round) and read them fresh."""
    locked = {}
    for idea_id in sorted(ids):
        locked[idea_id] = await Idea.filter(id=idea_id).select_for_update().get()
    return locked


async def _move_rows(model, source_id: int, target_id: int, kept: tuple[str, ...]) -> dict[str, list]:
    """Move per-person rows (votes, follows) to A; a person who has one on both keeps only A's.

    Returns what an unmerge needs: the ids of the rows moved, and the `kept` fields of the rows dropped."""
    on_target = [u for u in await model.filter(idea_id=target_id).values_list("user_id", flat=True) if u is not None]
    doubles = model.filter(idea_id=source_id, user_id__in=on_target)
    dropped = [{k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
               for row in await doubles.values("user_id", *kept)]
    await doubles.delete()
    moved = list(await model.filter(idea_id=source_id).values_list("id", flat=True))
    await model.filter(idea_id=source_id).update(idea_id=target_id)
    return {"moved": moved, "dropped": dropped}


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
        comment_ids = list(await Comment.filter(idea_id=b.id).values_list("id", flat=True))
        await Comment.filter(idea_id=b.id).update(idea_id=a.id)
        votes = await _move_rows(Vote, b.id, a.id, ("value", "created_at"))
        followers = await _move_rows(Follow, b.id, a.id, ("created_at", "unfollowed_at"))
        await recount(a)
        await recount(b)
        await vote_budget.after_merge(b, a)  # budget votes weigh more than one; B's come back to budgets
        record = await MergeRecord.create(source_id=b.id, target_id=a.id, from_status=str(b.status), moved={
            "comments": comment_ids, "votes": votes, "follows": followers})
        await audit.record(actor, "idea.merge", "idea", b.id, into=a.id, from_status=str(b.status),
                           merge_record=record.id)
        b.status = Status.DUPLICATE
        await webhooks.idea_merged(b, a)
    source.status, source.merged_into_id, source.version = Status.DUPLICATE, target.id, b.version + 1
    for field in ("upvotes", "downvotes", "score", "hot", "comment_count"):
        setattr(source, field, getattr(b, field))
        setattr(target, field, getattr(a, field))


async def undoable_merge(idea: Idea) -> MergeRecord | None:
    """The merge that made this idea a duplicate, if it can still be undone."""
    if idea.status != Status.DUPLICATE or idea.merged_into_id is None:
        return None
    return await (MergeRecord.filter(source_id=idea.id, target_id=idea.merged_into_id, undone_at__isnull=True)
                  .order_by("-created_at", "-id").first())


async def unrecorded_merge(idea: Idea) -> IdeaEvent | None:
    """A merge made before merges were recorded: only its timeline entry says what the idea's status was."""
    if idea.status != Status.DUPLICATE or idea.merged_into_id is None:
        return None
    if await MergeRecord.filter(source_id=idea.id, target_id=idea.merged_into_id).exists():
        return None
    return await (IdeaEvent.filter(idea_id=idea.id, kind=EventKind.MERGED, to_status=Status.DUPLICATE)
                  .order_by("-created_at", "-id").first())


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def _restore_rows(model, moved: dict[str, list], source_id: int, target_id: int, **rebuild) -> None:
    """Rows that moved go back; rows dropped because the person also had one on A are made again on B."""
    await model.filter(id__in=moved["moved"], idea_id=target_id).update(idea_id=source_id)
    dropped = moved["dropped"]
    await model.filter(idea_id=source_id, user_id__in=[row["user_id"] for row in dropped]).delete()
    await model.bulk_create([model(idea_id=source_id, **{k: rebuild.get(k, lambda v: v)(v) for k, v in row.items()})
                             for row in dropped])


async def unmerge(source: Idea, actor: User) -> Idea:
    """Undo the merge of B (source) into A: B's comments, votes and followers go back, B gets its old status back;
    people who had voted on both keep one vote on each, and both ideas' counts are recomputed from the rows."""
    async with in_transaction():
        record = await undoable_merge(source)
        unrecorded = None if record is not None else await unrecorded_merge(source)
        if record is None and unrecorded is None:
            raise NotAllowed(_('This idea is not merged into another one, or the merge was already undone.'))
        target_id = record.target_id if record is not None else source.merged_into_id
        assert target_id is not None
        locked = await _lock(source.id, target_id)
        b, a = locked[source.id], locked[target_id]
        if record is not None:
            moved = record.moved
            await Comment.filter(id__in=moved["comments"], idea_id=a.id).update(idea_id=b.id)
            await _restore_rows(Vote, moved["votes"], b.id, a.id, created_at=_when)
            await _restore_rows(Follow, moved["follows"], b.id, a.id, created_at=_when, unfollowed_at=_when)
        before = record.from_status if record is not None else unrecorded.from_status if unrecorded else None
        back = _status_before(before)
        await Idea.filter(id=b.id).update(status=back, merged_into_id=None, version=F("version") + 1)
        await recount(a)
        await recount(b)
        await vote_budget.recount_moved(b, a)  # B's budget votes are spent again, weighing what they weigh
        await IdeaEvent.create(
            idea_id=b.id, actor=actor, kind=EventKind.MERGED, from_status=Status.DUPLICATE, to_status=back,
            message=f"No longer merged into “{a.title}”", message_html=render_markdown(
                f"No longer merged into [{_md_text(a.title)}]({urls.idea(a.id)})"))
        await IdeaEvent.create(
            idea_id=a.id, actor=actor, kind=EventKind.MERGED, from_status=a.status, to_status=a.status,
            message=f"“{b.title}” was separated from this idea again", message_html=render_markdown(
                f"[{_md_text(b.title)}]({urls.idea(b.id)}) was separated from this idea again"))
        if record is not None:
            await MergeRecord.filter(id=record.id).update(undone_at=datetime.now(UTC))
        await audit.record(actor, "idea.unmerge", "idea", b.id, from_idea=a.id, to_status=str(back),
                           merge_record=record.id if record is not None else None)
    return await Idea.get(id=b.id)


def _status_before(key: str | None) -> Status:
    """The status the idea had before its merge, or New if the admins have since removed that status."""
    if key and key != Status.DUPLICATE and statuses.current().has(key):
        return Status(key)
    return Status.NEW
