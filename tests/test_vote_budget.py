"""Vote budgets hold under concurrency: members racing to spend their last vote never overspend (both databases;
on Postgres over a real connection pool, where the conditional UPDATE on the budget row is what holds)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from ideaboard import clock
from ideaboard.campaign_forms import parse_campaign
from ideaboard.campaigns import create_campaign
from ideaboard.errors import NotAllowed
from ideaboard.models import Idea, Role, User, Vote, VoteBudget
from ideaboard.votes import cast_vote
from tests.conftest import POSTGRES

OPENS = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
MEMBERS = 200 if POSTGRES else 60  # SQLite serialises writers anyway; keep its run short


@pytest.fixture(autouse=True)
def stopped_clock():
    clock.set_now(OPENS + timedelta(hours=1))
    yield
    clock.set_now(None)


async def race_for_the_last_vote(ideas: list[Idea]) -> list[bool]:
    """MEMBERS fans, each with two of three votes spent (their budget rows made by racing first votes), then each
    fires at three ideas at once (and twice at one of them) with one vote left: who won each shot."""
    now = datetime.now(UTC)
    await User.bulk_create([User(email=f"fan{n}@example.com", name=f"Fan {n}", password_hash="x",
                                 role=Role.CUSTOMER, email_verified_at=now) for n in range(MEMBERS)])
    members = await User.filter(email__startswith="fan").order_by("id")
    for first in ideas[:2]:
        await asyncio.gather(*(cast_vote(first.id, m, 1) for m in members))

    async def try_vote(member: User, idea: Idea) -> bool:
        try:
            await cast_vote(idea.id, member, 1)
            return True
        except NotAllowed:
            return False

    return await asyncio.gather(*(try_vote(m, idea) for m in members for idea in (*ideas[2:], ideas[2])))


async def test_members_racing_to_spend_the_last_vote_of_their_budget_never_overspend(alice, sam, make_idea):
    data = {"title": "Greener coffee cups", "space": "public", "opens_at": "2026-12-07T09:00",
            "closes_at": "2026-12-14T17:00", "vote_budget": "3", "max_votes_per_idea": "1"}
    campaign = await create_campaign(sam, parse_campaign(data, [], set()))
    ideas = [await make_idea(alice, f"Cup idea number {n}") for n in range(5)]
    await Idea.filter(id__in=[i.id for i in ideas]).update(campaign_id=campaign.id)
    won = await race_for_the_last_vote(ideas)
    assert sum(won) == MEMBERS

    spent = dict(await VoteBudget.filter(campaign_id=campaign.id).values_list("user_id", "spent"))
    assert set(spent.values()) == {3}
    per_member: dict[int, int] = {}
    for user_id, value in await Vote.filter(idea__campaign_id=campaign.id).values_list("user_id", "value"):
        per_member[user_id] = per_member.get(user_id, 0) + value
    assert per_member == spent
    scores = await Idea.filter(campaign_id=campaign.id).values_list("score", "upvotes")
    assert sum(s for s, _ in scores) == 3 * MEMBERS == sum(u for _, u in scores)
    for idea in ideas:
        assert (await Idea.get(id=idea.id)).score == await Vote.filter(idea_id=idea.id).count()


async def test_members_racing_to_spend_the_last_vote_of_their_board_budget_never_overspend(alice, ada, make_idea):
    from ideaboard import board_budget
    from ideaboard.models import BoardVoteBudget, Space

    await board_budget.save(ada, Space.PUBLIC, board_budget.parse({"vote_budget": "3", "max_votes_per_idea": "1"}))
    ideas = [await make_idea(alice, f"Board idea number {n}") for n in range(5)]
    won = await race_for_the_last_vote(ideas)
    assert sum(won) == MEMBERS

    spent = dict(await BoardVoteBudget.filter(space=Space.PUBLIC).values_list("user_id", "spent"))
    assert set(spent.values()) == {3} and len(spent) == MEMBERS
    per_member: dict[int, int] = {}
    for user_id, value in await Vote.filter(idea__space=Space.PUBLIC).values_list("user_id", "value"):
        per_member[user_id] = per_member.get(user_id, 0) + value
    assert per_member == spent
    for idea in ideas:
        fresh = await Idea.get(id=idea.id)
        assert fresh.score == fresh.upvotes == await Vote.filter(idea_id=idea.id).count()
    assert sum([(await Idea.get(id=i.id)).score for i in ideas]) == 3 * MEMBERS
