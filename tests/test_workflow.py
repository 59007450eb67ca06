"""The review-to-launch workflow: every pair of statuses, clear refusals, optimistic conflicts, official responses."""

import asyncio
import itertools
from datetime import UTC, datetime

import pytest

from ideaboard import statuses
from ideaboard.errors import Conflict, IllegalTransition
from ideaboard.models import AuditEntry, EventKind, Idea, IdeaEvent, Role, Status, User
from ideaboard.workflow import allowed_next, respond, transition

N, R, P, IP, L, D, X, A = (Status.NEW, Status.UNDER_REVIEW, Status.PLANNED, Status.IN_PROGRESS, Status.LAUNCHED,
                          Status.DECLINED, Status.DUPLICATE, Status.ARCHIVED)
# Written out by hand, not derived from the table migration 0022 seeds, so a wrong table fails here. Duplicate is
# reached by merging.
LEGAL = {
    (N, R), (N, D), (N, A),
    (R, P), (R, D), (R, A),
    (P, IP), (P, D), (P, A),
    (IP, L), (IP, P),
    (L, A),
    (D, R), (D, A),
    (A, R),
}
MERGEABLE = {N, R}  # only merge.py moves these to duplicate; transition() refuses
BUILT_IN = [Status(k) for k in statuses.BUILT_IN]
PAIRS = list(itertools.product(BUILT_IN, BUILT_IN))


async def test_the_seeded_table_is_the_one_in_the_issue(app):
    """What migration 0022 stored is what the board had before statuses became editable."""
    table = statuses.current()
    assert {(a, b) for a, b in table.transitions if b != X} == LEGAL
    assert {a for a, b in table.transitions if b == X} == MERGEABLE
    assert allowed_next(Status.NEW) == [Status.UNDER_REVIEW, Status.DECLINED, Status.ARCHIVED]
    assert allowed_next(Status.IN_PROGRESS) == [Status.PLANNED, Status.LAUNCHED]
    assert allowed_next(Status.DUPLICATE) == []
    assert table.all_keys() == list(statuses.BUILT_IN) and table == statuses.DEFAULT


@pytest.fixture
async def cheap_cast(app) -> tuple[User, User]:
    """A customer and a staff member (verified) without password hashing, so the 64 pairs stay fast."""
    now = datetime.now(UTC)
    return (await User.create(email="c@example.com", name="Cleo", password_hash="-", role=Role.CUSTOMER,
                              email_verified_at=now),
            await User.create(email="s@brewline.example", name="Sol", password_hash="-", role=Role.STAFF,
                              email_verified_at=now))


@pytest.mark.parametrize("start,end", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
async def test_every_pair_of_statuses(start, end, cheap_cast, make_idea):
    alice, sam = cheap_cast
    idea = await make_idea(alice)
    await Idea.filter(id=idea.id).update(status=start)
    idea = await Idea.get(id=idea.id)
    if (start, end) in LEGAL:
        event = await transition(idea, sam, end, "Thanks, **noted**.", expected_version=0)
        stored = await Idea.get(id=idea.id)
        assert (stored.status, stored.version) == (end, 1) and (idea.status, idea.version) == (end, 1)
        assert (event.kind, event.from_status, event.to_status) == (EventKind.STATUS, start, end)
        assert event.actor_id == sam.id
        assert "<strong>noted</strong>" in event.message_html
        entry = await AuditEntry.get(action="status.change")
        assert entry.detail == {"from_status": start.value, "to_status": end.value} and entry.target_id == idea.id
    else:
        with pytest.raises(IllegalTransition):
            await transition(idea, sam, end, "Nope", expected_version=0)
        stored = await Idea.get(id=idea.id)
        assert (stored.status, stored.version) == (start, 0)
        assert not await IdeaEvent.exists() and not await AuditEntry.exists()


async def test_jumping_from_new_to_launched_is_refused_with_the_options(alice, sam, make_idea):
    idea = await make_idea(alice)
    with pytest.raises(IllegalTransition) as refused:
        await transition(idea, sam, Status.LAUNCHED)
    assert str(refused.value) == ("An idea that is New can move to Under review, Declined, Duplicate or Archived, "
                                  "not Launched.")


async def test_duplicate_is_reached_by_merging_not_by_a_status_change(alice, sam, make_idea):
    idea = await make_idea(alice)
    with pytest.raises(IllegalTransition, match="merge it"):
        await transition(idea, sam, Status.DUPLICATE)


async def test_two_team_members_moving_the_same_idea_at_once(alice, sam, ada, make_idea):
    """Sam and Ada both loaded version 0; Ada's move lands first, Sam sees a clear conflict and nothing is written."""
    idea = await make_idea(alice)
    sams_copy, adas_copy = await Idea.get(id=idea.id), await Idea.get(id=idea.id)
    await transition(adas_copy, ada, Status.UNDER_REVIEW, expected_version=0)
    with pytest.raises(Conflict) as conflict:
        await transition(sams_copy, sam, Status.DECLINED, "Not for us", expected_version=0)
    assert "it is now Under review" in str(conflict.value)
    assert await IdeaEvent.filter(idea_id=idea.id).count() == 1
    stored = await Idea.get(id=idea.id)
    assert (stored.status, stored.version) == (Status.UNDER_REVIEW, 1)


async def test_simultaneous_moves_from_the_same_page_let_exactly_one_win(alice, sam, ada, make_idea):
    idea = await make_idea(alice)
    copies = [await Idea.get(id=idea.id) for _ in range(4)]
    people = [sam, ada, sam, ada]
    targets = [Status.UNDER_REVIEW, Status.DECLINED, Status.ARCHIVED, Status.UNDER_REVIEW]
    moves = (transition(c, p, t, expected_version=0) for c, p, t in zip(copies, people, targets, strict=True))
    results = await asyncio.gather(*moves, return_exceptions=True)
    assert sum(isinstance(r, Conflict) for r in results) == 3
    assert await IdeaEvent.filter(idea_id=idea.id).count() == 1
    assert (await Idea.get(id=idea.id)).version == 1


async def test_the_whole_road_to_launch_bumps_the_version_each_step(alice, sam, make_idea):
    idea = await make_idea(alice)
    road = [Status.UNDER_REVIEW, Status.PLANNED, Status.IN_PROGRESS, Status.LAUNCHED]
    for version, status in enumerate(road):
        await transition(idea, sam, status, f"Step {version}", expected_version=version)
    assert (await Idea.get(id=idea.id)).version == 4
    events = await IdeaEvent.filter(idea_id=idea.id).order_by("id")
    assert [e.to_status for e in events] == road and [e.message for e in events][-1] == "Step 3"


async def test_without_an_expected_version_the_current_one_is_used(alice, sam, make_idea):
    idea = await make_idea(alice)
    stale = await Idea.get(id=idea.id)
    await transition(idea, sam, Status.UNDER_REVIEW)
    await transition(stale, sam, Status.PLANNED)  # re-read inside the transaction: still a legal step
    assert (await Idea.get(id=idea.id)).status == Status.PLANNED


async def test_an_official_response_goes_on_the_timeline_without_changing_the_status(alice, sam, make_idea):
    idea = await make_idea(alice)
    event = await respond(idea, sam, "We love this. Looking into it.")
    assert (event.kind, event.to_status) == (EventKind.RESPONSE, Status.NEW)
    stored = await Idea.get(id=idea.id)
    assert (stored.status, stored.version) == (Status.NEW, 0)
    assert await AuditEntry.filter(action="idea.respond", target_id=idea.id).exists()


async def test_an_empty_response_is_refused(alice, sam, make_idea):
    idea = await make_idea(alice)
    with pytest.raises(ValueError, match="Write a response"):
        await respond(idea, sam, "   ")
    assert not await IdeaEvent.exists()


async def test_a_response_to_a_stale_page_is_a_conflict(alice, sam, make_idea):
    idea = await make_idea(alice)
    await transition(idea, sam, Status.UNDER_REVIEW)
    with pytest.raises(Conflict):
        await respond(idea, sam, "Answering what I saw", expected_version=0)
    assert await IdeaEvent.filter(kind=EventKind.RESPONSE).count() == 0


def test_what_each_status_means_for_votes_lists_clusters_queue_and_roadmap():
    # status: (accepts votes and listed by default, clusterable, in the review queue, on the roadmap, a decision)
    rules = {
        N: (True, True, True, False, False),
        R: (True, True, True, False, False),
        P: (True, True, False, True, True),
        IP: (True, True, False, True, False),
        L: (False, True, False, True, False),
        D: (False, True, False, False, True),
        X: (False, False, False, False, False),
        A: (False, False, False, False, False),
    }
    for status, (open_, clusterable, queued, roadmap, decision) in rules.items():
        assert (status.accepts_votes, status.listed_by_default, status.is_closed) == (open_, open_, not open_), status
        assert (status.clusterable, status.in_review_queue, status.on_roadmap, status.is_decision) == (
            clusterable, queued, roadmap, decision), status
