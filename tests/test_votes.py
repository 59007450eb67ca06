"""Voting: promote, demote, change, withdraw; one vote per person; exact counts under concurrency."""

import asyncio
import time

import pytest
from bs4 import BeautifulSoup
from tortoise.exceptions import IntegrityError

from ideaboard.accounts import create_user
from ideaboard.auth import token_hash
from ideaboard.models import Idea, Role, Session, Space, Status, User, Vote
from ideaboard.votes import SessionChanged, cast_vote


async def counts(idea_id: int) -> tuple[int, int, int]:
    idea = await Idea.get(id=idea_id)
    return idea.upvotes, idea.downvotes, idea.score


async def test_promote_change_and_withdraw(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(bob)
    await client.post(f"/ideas/{idea.id}/vote", {"value": "up"})
    assert await counts(idea.id) == (1, 0, 1)
    await client.post(f"/ideas/{idea.id}/vote", {"value": "up"})  # a repeated vote changes nothing
    assert await counts(idea.id) == (1, 0, 1)
    await client.post(f"/ideas/{idea.id}/vote", {"value": "down"})
    assert await counts(idea.id) == (0, 1, -1)
    await client.post(f"/ideas/{idea.id}/vote", {"value": "none"})
    assert await counts(idea.id) == (0, 0, 0)
    assert not await Vote.filter(idea_id=idea.id).exists()


async def test_htmx_vote_swaps_only_the_widget_showing_the_new_score(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(bob)
    response = await client.post(f"/ideas/{idea.id}/vote", {"value": "up"}, htmx=True)
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.html is None
    widget = soup.select_one(f"#vote-widget-{idea.id}")
    assert widget.select_one(".score").text == "1"
    assert widget.select_one(".vote-up")["aria-pressed"] == "true"
    assert widget.select_one(".vote-up")["value"] == "none"  # clicking again withdraws
    assert widget.select_one(".vote-down")["aria-label"] == "Demote: Dark mode for the mobile app"


async def test_without_javascript_the_vote_form_redirects_back(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(bob)
    response = await client.post(f"/ideas/{idea.id}/vote", {"value": "up"}, headers={"referer": "/?sort=top"})
    assert response.status_code == 303 and response.headers["location"] == "/?sort=top"
    page = BeautifulSoup((await client.get(f"/ideas/{idea.id}")).text, "html.parser")
    assert page.select_one(".score").text == "1"


async def test_visitors_must_log_in_to_vote(visitor, alice, make_idea):
    idea = await make_idea(alice)
    response = await visitor.post(f"/ideas/{idea.id}/vote", {"value": "up"})
    assert response.status_code == 303 and response.headers["location"] == f"/login?next=/ideas/{idea.id}"
    response = await visitor.post(f"/ideas/{idea.id}/vote", {"value": "up"}, htmx=True)  # from the card's buttons
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/login?next=/ideas/{idea.id}"
    assert "<form" not in response.text, "the login page is not swapped into the card"
    assert await counts(idea.id) == (0, 0, 0)


async def test_a_garbled_vote_changes_nothing_and_says_so(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(bob)
    await client.post(f"/ideas/{idea.id}/vote", {"value": "up"})
    response = await client.post(f"/ideas/{idea.id}/vote", {"value": "sideways"}, htmx=True)
    widget = BeautifulSoup(response.text, "html.parser").select_one(f"#vote-widget-{idea.id}")
    assert widget.select_one(".vote-error").text == "That vote was not understood."
    assert widget.select_one(".score").text == "1" and widget.select_one(".vote-up")["aria-pressed"] == "true"
    assert await counts(idea.id) == (1, 0, 1)


async def test_ideas_you_may_not_see_answer_a_vote_with_404_and_count_nothing(browser_for, alice, bob, erin, sam,
                                                                              make_idea):
    hidden = await make_idea(alice, "Espresso spam idea")
    await Idea.filter(id=hidden.id).update(hidden=True)
    internal = await make_idea(erin, "Oat milk for the staff room", space=Space.INTERNAL)
    bob_client = await browser_for(bob)
    for idea in (hidden, internal):
        assert (await bob_client.post(f"/ideas/{idea.id}/vote", {"value": "up"})).status_code == 404
        assert (await bob_client.post(f"/ideas/{idea.id}/vote", {"value": "up"}, htmx=True)).status_code == 404
        assert (await bob_client.post(f"/ideas/{idea.id}/vote", {"value": "sideways"})).status_code == 404
    assert (await bob_client.post("/ideas/999999/vote", {"value": "up"})).status_code == 404
    assert not await Vote.filter(user_id=bob.id).exists()
    # staff see hidden ideas and employees the internal space, so their votes count
    assert (await (await browser_for(sam)).post(f"/ideas/{hidden.id}/vote", {"value": "up"})).status_code == 303
    assert (await (await browser_for(erin)).post(f"/ideas/{internal.id}/vote", {"value": "down"})).status_code == 303
    assert await counts(hidden.id) == (1, 0, 1) and await counts(internal.id) == (0, 1, -1)


async def test_a_demoted_staff_member_loses_hidden_ideas_on_the_very_next_vote(browser_for, alice, sam, make_idea):
    hidden = await make_idea(alice, "Espresso spam idea")
    await Idea.filter(id=hidden.id).update(hidden=True)
    client = await browser_for(sam)
    assert (await client.post(f"/ideas/{hidden.id}/vote", {"value": "up"}, htmx=True)).status_code == 200
    await User.filter(id=sam.id).update(role=Role.CUSTOMER)
    assert (await client.post(f"/ideas/{hidden.id}/vote", {"value": "none"}, htmx=True)).status_code == 404
    assert await counts(hidden.id) == (1, 0, 1)


async def test_a_deactivated_member_can_no_longer_vote(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(bob)
    await User.filter(id=bob.id).update(is_active=False)
    response = await client.post(f"/ideas/{idea.id}/vote", {"value": "up"})  # now a visitor: log in first
    assert response.status_code == 303 and response.headers["location"] == f"/login?next=/ideas/{idea.id}"
    response = await client.post(f"/ideas/{idea.id}/vote", {"value": "up"}, htmx=True)  # the card's buttons
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/login?next=/ideas/{idea.id}"
    assert response.text == "", "htmx goes to the login page instead of swapping it into the card"
    assert await counts(idea.id) == (0, 0, 0)


async def test_closed_ideas_refuse_votes_with_a_reason(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    await Idea.filter(id=idea.id).update(status=Status.DECLINED)
    client = await browser_for(bob)
    response = await client.post(f"/ideas/{idea.id}/vote", {"value": "up"}, htmx=True)
    assert "Voting is closed" in response.text
    assert await counts(idea.id) == (0, 0, 0)


async def test_the_database_refuses_a_second_vote_row_for_the_same_person(alice, bob, make_idea):
    idea = await make_idea(alice)
    await Vote.create(idea=idea, user=bob, value=1)
    with pytest.raises(IntegrityError):
        await Vote.create(idea=idea, user=bob, value=1)


async def test_many_simultaneous_voters_are_all_counted_exactly_once(alice, make_idea):
    """The lost-update proof: 40 people vote at the same moment (on Postgres, over a real connection pool)."""
    idea = await make_idea(alice)
    voters = [await create_user(f"fan{n}@example.com", f"Fan {n}", "x" * 12, Role.CUSTOMER) for n in range(40)]
    values = [1 if n % 4 else -1 for n in range(40)]
    await asyncio.gather(*(cast_vote(idea.id, v, value) for v, value in zip(voters, values, strict=True)))
    # and the same people hammer again concurrently, half changing their mind, half repeating themselves
    again = [(-value if n % 2 else value) for n, value in enumerate(values)]
    await asyncio.gather(*(cast_vote(idea.id, v, value) for v, value in zip(voters, again, strict=True)))
    up, down, score = await counts(idea.id)
    assert up == again.count(1) == await Vote.filter(idea_id=idea.id, value=1).count()
    assert down == again.count(-1) == await Vote.filter(idea_id=idea.id, value=-1).count()
    assert score == up - down


async def test_one_person_double_clicking_concurrently_votes_once(alice, bob, make_idea):
    idea = await make_idea(alice)
    await asyncio.gather(*(cast_vote(idea.id, bob, 1) for _ in range(8)))
    assert await counts(idea.id) == (1, 0, 1)
    assert await Vote.filter(idea_id=idea.id).count() == 1


def _groups_sent() -> int:
    from ideaboard import votes

    return sum(g.groups for d in (votes._pg_groups, votes._sqlite_groups) for g in list(d.values()))


async def test_votes_arriving_together_share_a_write_and_count_as_if_one_at_a_time(alice, bob, sam, make_idea):
    """Group commit: each vote of a shared statement (or SQLite hop) keeps its own outcome and its own counts."""
    ideas = [await make_idea(alice, f"Idea number {n}") for n in range(3)]
    hidden = await make_idea(alice, "Espresso spam idea")
    closed = await make_idea(alice, "An old idea")
    await Idea.filter(id=hidden.id).update(hidden=True)
    await Idea.filter(id=closed.id).update(status=Status.DECLINED)
    voters = [await create_user(f"crowd{n}@example.com", f"Crowd {n}", "x" * 12, Role.CUSTOMER) for n in range(12)]
    before = _groups_sent()
    asks = [(ideas[n % 3].id, voter, 1 if n % 4 else -1) for n, voter in enumerate(voters)]
    asks += [(hidden.id, bob, 1), (closed.id, bob, 1), (999999, bob, 1), (hidden.id, sam, 1)]
    outcomes = await asyncio.gather(*(cast_vote(i, v, value) for i, v, value in asks), return_exceptions=True)
    assert _groups_sent() - before < len(asks), "the votes that waited went together"
    *crowd, on_hidden, on_closed, missing, staff_on_hidden = outcomes
    assert type(on_hidden).__name__ == "NotFound" and type(missing).__name__ == "NotFound"
    assert "Voting is closed" in str(on_closed)
    assert staff_on_hidden.score == 1 and staff_on_hidden.previous_score == 0
    for idea in ideas:
        tallies = [t for t, (i, _v, _value) in zip(crowd, asks, strict=False) if i == idea.id]
        up, down, score = await counts(idea.id)
        assert (up, down) == (sum(t.mine == 1 for t in tallies), sum(t.mine == -1 for t in tallies))
        assert await Vote.filter(idea_id=idea.id).count() == len(tallies)
        chain = [0] + [t.score for t in tallies]  # sent in this order, so counted in this order
        assert [t.previous_score for t in tallies] == chain[:-1] and chain[-1] == score
        assert all(t.score == t.upvotes - t.downvotes for t in tallies)
    assert await counts(hidden.id) == (1, 0, 1) and not await Vote.filter(user_id=bob.id).exists()


async def test_one_persons_votes_on_one_idea_never_share_a_write(alice, bob, make_idea):
    """The later of two votes of the same person on the same idea waits for the next write: applied in order."""
    idea, other = await make_idea(alice), await make_idea(alice, "Oat milk everywhere")
    first, second, elsewhere, third = await asyncio.gather(
        cast_vote(idea.id, bob, 1), cast_vote(idea.id, bob, -1), cast_vote(other.id, bob, 1),
        cast_vote(idea.id, bob, 0))
    assert (first.score, second.previous_score, second.score, third.previous_score, third.score) == (1, 1, -1, -1, 0)
    assert elsewhere.score == 1
    assert await counts(idea.id) == (0, 0, 0) and await counts(other.id) == (1, 0, 1)
    assert not await Vote.filter(idea_id=idea.id).exists()


async def test_votes_sent_together_each_check_their_own_session(alice, make_idea):
    """In one shared write, a vote whose recalled session ended or is another's writes nothing; the rest count."""
    idea = await make_idea(alice)
    voters = [await create_user(f"signed{n}@example.com", f"Signed {n}", "x" * 12, Role.CUSTOMER) for n in range(6)]
    digests = []
    for n, voter in enumerate(voters):
        digests.append(token_hash(f"token-{n}"))
        await Session.create(id=digests[-1], user_id=voter.id, expires=int(time.time()) + 3600, user_agent="test")
    await Session.filter(id=digests[1]).delete()  # logged out elsewhere
    await Session.filter(id=digests[3]).update(expires=int(time.time()) - 1)  # expired
    sessions = [*digests[:4], digests[5], digests[5]]  # the fifth voter brings the sixth's session
    before = _groups_sent()
    outcomes = await asyncio.gather(*(cast_vote(idea.id, voter, 1, session)
                                      for voter, session in zip(voters, sessions, strict=True)),
                                    return_exceptions=True)
    assert _groups_sent() - before < len(voters), "the votes that waited went together"
    refused = [n for n, outcome in enumerate(outcomes) if isinstance(outcome, SessionChanged)]
    assert refused == [1, 3, 4]
    counted = [outcomes[n] for n in (0, 2, 5)]
    assert sorted(t.score for t in counted) == [1, 2, 3]
    assert await counts(idea.id) == (3, 0, 3)
    assert sorted(v.user_id for v in await Vote.filter(idea_id=idea.id)) == [voters[n].id for n in (0, 2, 5)]
