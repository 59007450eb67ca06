"""Auto-archive: with IDEABOARD_AUTO_ARCHIVE_MONTHS=6 the daily job archives Bob's idea that stayed new for seven
months, with a message on its timeline, and leaves alone the young one, the one the team took up, and everything when
the setting is off. The clock is the job's `now` argument: no sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ideaboard.archive import archive_stale, months_before
from ideaboard.models import AuditEntry, EventKind, Idea, IdeaEvent, Notification, Status
from ideaboard.settings import _replace
from ideaboard.votes import cast_vote
from ideaboard.workflow import transition
from workers.tasks import auto_archive

NOW = datetime(2027, 8, 31, 3, 30, tzinfo=UTC)


async def _aged(idea: Idea, when: datetime) -> Idea:
    await Idea.filter(id=idea.id).update(created_at=when)
    return await Idea.get(id=idea.id)


async def test_ideas_new_for_six_months_are_archived_with_a_timeline_message(alice, bob, sam, make_idea):
    stale = await _aged(await make_idea(bob, "Loyalty stamps on paper"), NOW - timedelta(days=7 * 31))
    young = await _aged(await make_idea(bob, "Seasonal pumpkin latte"), NOW - timedelta(days=5 * 30))
    taken_up = await _aged(await make_idea(alice, "Oat milk in every store"), NOW - timedelta(days=300))
    await transition(taken_up, sam, Status.UNDER_REVIEW)
    await cast_vote(stale.id, alice, 1)  # Alice follows it by voting: she is told

    assert await archive_stale(0, NOW) == []  # off by default
    assert await archive_stale(6, NOW) == [stale.id]
    assert await archive_stale(6, NOW) == []  # a second run finds nothing more
    assert [(await Idea.get(id=i.id)).status for i in (stale, young, taken_up)] == [
        Status.ARCHIVED, Status.NEW, Status.UNDER_REVIEW]
    event = await IdeaEvent.get(idea_id=stale.id)
    assert (event.kind, event.actor_id, event.to_status) == (EventKind.STATUS, None, Status.ARCHIVED)
    assert "Archived automatically" in event.message and "6 months" in event.message
    assert await Notification.filter(user_id=alice.id, idea_id=stale.id).exists()
    entry = await AuditEntry.get(action="status.change", target_id=stale.id)
    assert entry.actor_id is None and entry.detail["to_status"] == "archived"


async def test_the_boundary_is_calendar_months():
    assert months_before(NOW, 6) == datetime(2027, 2, 28, 3, 30, tzinfo=UTC)  # 31 August: the end of February
    assert months_before(datetime(2027, 1, 15, tzinfo=UTC), 13) == datetime(2025, 12, 15, tzinfo=UTC)


async def test_the_worker_job_reads_the_setting(worker_ctx, bob, make_idea):
    old = await _aged(await make_idea(bob, "Loyalty stamps on paper"), datetime.now(UTC) - timedelta(days=400))
    assert await auto_archive(worker_ctx) == 0  # off
    assert (await Idea.get(id=old.id)).status == Status.NEW
    on = {**worker_ctx, "settings": _replace(worker_ctx["settings"], auto_archive_months=12)}
    assert await auto_archive(on) == 1
    assert (await Idea.get(id=old.id)).status == Status.ARCHIVED
