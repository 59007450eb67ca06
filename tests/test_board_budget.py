"""Vote budgets per board: Ada gives the public board 10 votes per member (at most M on one idea); Bob spreads them,
is refused the 11th, gets them back when an idea launches, and demotes are off or free as she chose."""

from __future__ import annotations

import re

import httpx

from ideaboard import api_keys, board_budget, status_store
from ideaboard.models import (
    AuditEntry,
    BoardBudget,
    BoardVoteBudget,
    Idea,
    Notification,
    NotificationKind,
    Space,
    Status,
    Vote,
    WorkflowRevision,
)
from ideaboard.urls import urls
from ideaboard.votes import cast_vote
from ideaboard.workflow import transition


async def set_budget(console, space: str = "public", vote_budget: str = "10", max_votes_per_idea: str = "1",
                     demotes: str = "off"):
    return await console.post(urls.admin_vote_budgets(), {"space": space, "vote_budget": vote_budget,
                                                          "max_votes_per_idea": max_votes_per_idea,
                                                          "demotes": demotes})


def left(page: str) -> list[str]:
    return re.findall(r'budget-tally-board-public" data-mine="(-?\d+)">(\d+ of \d+ votes left)', page)


async def test_bob_spreads_ten_votes_over_the_board_and_is_refused_the_eleventh(browser_for, ada, bob, alice,
                                                                                make_idea):
    ideas = [await make_idea(alice, f"Oat milk option number {n}") for n in range(11)]
    console = await browser_for(ada)
    saved = await set_budget(console, vote_budget="10", max_votes_per_idea="2")
    assert saved.status_code == 303
    client = await browser_for(bob)
    board = await client.get(urls.board())
    assert left(board.text)[0] == ("0", "10 of 10 votes left")
    assert "10 of 10 votes left" in (await client.get(urls.idea(ideas[0].id))).text

    widget = await client.post(urls.idea_vote(ideas[0].id), {"value": "up"}, htmx=True)
    assert 'data-mine="1">9 of 10 votes left' in widget.text
    widget = await client.post(urls.idea_vote(ideas[0].id), {"value": "up"}, htmx=True)
    assert 'data-mine="2">8 of 10 votes left' in widget.text
    capped = await client.post(urls.idea_vote(ideas[0].id), {"value": "up"}, htmx=True)
    assert "You can put at most 2 votes on one idea." in capped.text
    for idea in ideas[1:9]:
        await client.post(urls.idea_vote(idea.id), {"value": "up"}, htmx=True)
    eleventh = await client.post(urls.idea_vote(ideas[10].id), {"value": "up"}, htmx=True)
    assert "You have spent all 10 votes on this board. Take a vote back from another idea to vote here." \
        in eleventh.text
    assert await Vote.filter(idea_id=ideas[10].id).count() == 0
    assert (await Idea.get(id=ideas[0].id)).score == 2 and (await Idea.get(id=ideas[0].id)).upvotes == 2
    assert left((await client.get(urls.board())).text)[0][1] == "0 of 10 votes left"
    assert left((await client.get(urls.search("oat milk"))).text)[0][1] == "0 of 10 votes left"  # search too

    back = await client.post(urls.idea_vote(ideas[1].id), {"value": "down"}, htmx=True)  # takes one back
    assert 'data-mine="0">1 of 10 votes left' in back.text and (await Idea.get(id=ideas[1].id)).score == 0
    plain = await client.post(urls.idea_vote(ideas[10].id), {"value": "up"})  # without JS: a redirect back
    assert plain.status_code == 303
    assert (await BoardVoteBudget.get(space=Space.PUBLIC, user_id=bob.id)).spent == 10


async def test_bobs_votes_come_back_when_an_idea_launches_and_he_is_told(browser_for, ada, bob, alice, sam,
                                                                          make_idea):
    cups = await make_idea(alice, "Cups made of oat husks")
    await set_budget(await browser_for(ada), vote_budget="3", max_votes_per_idea="3")
    client = await browser_for(bob)
    for _n in range(3):
        await client.post(urls.idea_vote(cups.id), {"value": "up"}, htmx=True)
    assert (await BoardVoteBudget.get(user_id=bob.id)).spent == 3
    for step in (Status.UNDER_REVIEW, Status.PLANNED, Status.IN_PROGRESS, Status.LAUNCHED):
        await transition(cups, sam, step)
    assert (await BoardVoteBudget.get(user_id=bob.id)).spent == 0
    told = await Notification.get(user_id=bob.id, kind=NotificationKind.CAMPAIGNS)
    assert told.message == "“Cups made of oat husks” is launched: your 3 votes went back to your budget on the board"
    assert (await Idea.get(id=cups.id)).score == 3  # the idea keeps its count
    other = await make_idea(alice, "Free refills on Mondays")
    assert 'data-mine="0">3 of 3 votes left' in (await client.get(urls.idea(other.id))).text



async def test_a_merge_and_its_undoing_keep_bobs_spending_exact(browser_for, ada, bob, alice, sam, make_idea):
    """Bob put 2 votes on each of two near-duplicates; merged, he keeps A's 2 (B's come back); unmerged, B's 2 are
    back on B and spent again, so he can't spend them twice."""
    from ideaboard.merge import merge_ideas, unmerge

    a = await make_idea(alice, "Oat milk in every store")
    b = await make_idea(alice, "Please add oat milk")
    await set_budget(await browser_for(ada), vote_budget="5", max_votes_per_idea="2")
    client = await browser_for(bob)
    for idea in (a, b, a, b):
        await client.post(urls.idea_vote(idea.id), {"value": "up"}, htmx=True)
    assert (await BoardVoteBudget.get(user_id=bob.id)).spent == 4
    await merge_ideas(await Idea.get(id=b.id), await Idea.get(id=a.id), sam)
    assert (await BoardVoteBudget.get(user_id=bob.id)).spent == 2
    assert (await Idea.get(id=a.id)).score == 2
    await unmerge(await Idea.get(id=b.id), sam)
    assert (await BoardVoteBudget.get(user_id=bob.id)).spent == 4
    assert [(await Idea.get(id=i.id)).score for i in (a, b)] == [2, 2]
    assert 'data-mine="2">1 of 5 votes left' in (await client.get(urls.idea(b.id))).text

async def test_demotes_are_off_or_free_as_ada_chose(browser_for, ada, bob, alice, make_idea):
    idea = await make_idea(alice, "Loud music in the morning")
    console = await browser_for(ada)
    await set_budget(console, vote_budget="5", demotes="off")
    client = await browser_for(bob)
    refused = await client.post(urls.idea_vote(idea.id), {"value": "down"}, htmx=True)
    assert "Demotes are off on this board" in refused.text
    assert await Vote.filter(idea_id=idea.id).count() == 0

    await set_budget(console, vote_budget="5", demotes="free")
    demoted = await client.post(urls.idea_vote(idea.id), {"value": "down"}, htmx=True)
    assert 'data-mine="-1">5 of 5 votes left' in demoted.text  # costs nothing
    fresh = await Idea.get(id=idea.id)
    assert (fresh.score, fresh.upvotes, fresh.downvotes) == (-1, 0, 1)
    promoted = await client.post(urls.idea_vote(idea.id), {"value": "up"}, htmx=True)  # changed his mind
    assert 'data-mine="1">4 of 5 votes left' in promoted.text
    fresh = await Idea.get(id=idea.id)
    assert (fresh.score, fresh.upvotes, fresh.downvotes) == (1, 1, 0)


async def test_only_admins_set_budgets_with_clear_messages_and_every_save_is_audited(browser_for, ada, sam, alice):
    for persona in (sam, alice):
        other = await browser_for(persona)
        assert (await other.get(urls.admin_vote_budgets())).status_code == 403
        token = await other.csrf()
        tried = await other.http.post(urls.admin_vote_budgets(), data={
            "csrf_token": token, "space": "public", "vote_budget": "5"})
        assert tried.status_code == 403
    assert await BoardBudget.all().count() == 0

    console = await browser_for(ada)
    page = await console.get(urls.admin_vote_budgets())
    assert page.status_code == 200 and "Public board" in page.text and "Internal board" in page.text
    for values, message in [
            ({"vote_budget": "0"}, "A budget is 1 to 1000 votes, or empty for promote/demote."),
            ({"vote_budget": "ten"}, "A budget is 1 to 1000 votes, or empty for promote/demote."),
            ({"vote_budget": "3", "max_votes_per_idea": "4"}, "At most the budget itself (3), and at least 1."),
            ({"vote_budget": "3", "max_votes_per_idea": "0"}, "Give a whole number of votes, at least 1."),
            ({"vote_budget": "3", "demotes": "sometimes"}, "Choose whether demotes are off or free."),
            ({"vote_budget": "3", "space": "moon"}, "Choose the public or the internal board.")]:
        refused = await console.post(urls.admin_vote_budgets(), {"space": "public", **values})
        assert refused.status_code == 422 and message in refused.text, values
    assert await BoardBudget.all().count() == 0

    done = await set_budget(console, "internal", "7", "2", "free")
    assert done.status_code == 303
    assert "The internal board now gives each member 7 votes, at most 2 on one idea." in \
        (await console.get(urls.admin_vote_budgets())).text
    entry = await AuditEntry.get(action="board.vote_budget")
    assert (entry.actor_id, entry.detail["space"], entry.detail["vote_budget"], entry.detail["demotes"]) == \
        (ada.id, "internal", 7, "free")
    assert board_budget.rule("internal") == board_budget.Rule("internal", 7, 2, True)
    assert board_budget.rule("public") is None


async def test_another_process_sees_adas_save_within_a_second(app, ada):
    await BoardBudget.create(space=Space.PUBLIC, vote_budget=4, max_votes_per_idea=1)  # as another process saves
    await WorkflowRevision.filter(id=1).update(revision=999)
    assert board_budget.rule("public") is None  # not yet: this process checks at most once a second
    status_store._checked_at = 0.0
    await status_store.refresh()
    assert board_budget.rule("public") == board_budget.Rule("public", 4, 1, False)


async def test_turning_a_budget_on_counts_bobs_earlier_promotes_and_off_keeps_his_votes(browser_for, ada, bob, alice,
                                                                                         make_idea):
    ideas = [await make_idea(alice, f"Seasonal syrup number {n}") for n in range(4)]
    for idea in ideas[:3]:
        await cast_vote(idea.id, bob, 1)
    await cast_vote(ideas[3].id, bob, -1)  # a demote from before: kept, costs nothing
    console = await browser_for(ada)
    await set_budget(console, vote_budget="2", max_votes_per_idea="2")
    client = await browser_for(bob)
    assert ("1", "0 of 2 votes left") in left((await client.get(urls.board())).text)  # 3 promotes against 2
    refused = await client.post(urls.idea_vote(ideas[0].id), {"value": "up"}, htmx=True)
    assert "You have spent all 2 votes on this board" in refused.text
    await client.post(urls.idea_vote(ideas[1].id), {"value": "none"}, htmx=True)
    still = await client.post(urls.idea_vote(ideas[2].id), {"value": "none"}, htmx=True)
    assert "1 of 2 votes left" in still.text
    second = await client.post(urls.idea_vote(ideas[0].id), {"value": "up"}, htmx=True)
    assert 'data-mine="2">0 of 2 votes left' in second.text
    assert (await Vote.get(idea_id=ideas[3].id, user_id=bob.id)).value == -1

    await set_budget(console, vote_budget="")  # back to promote/demote: Bob's two votes count as one promote
    assert board_budget.rule("public") is None and await BoardVoteBudget.all().count() == 0
    assert (await Vote.get(idea_id=ideas[0].id, user_id=bob.id)).value == 1
    fresh = await Idea.get(id=ideas[0].id)
    assert (fresh.score, fresh.upvotes) == (1, 1)
    widget = await client.post(urls.idea_vote(ideas[0].id), {"value": "down"}, htmx=True)  # plain demote again
    assert "votes left" not in widget.text and (await Idea.get(id=ideas[0].id)).score == -1


async def test_an_integration_voting_for_bob_follows_the_board_budget(app, ada, bob, alice, make_idea):
    ideas = [await make_idea(alice, f"Loyalty stamp idea {n}") for n in range(2)]
    await board_budget.save(ada, Space.PUBLIC, board_budget.parse({"vote_budget": "1"}))
    token = (await api_keys.create_key(ada, bob, "Bob's integration", ("read", "write"))).token
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                 headers={"Authorization": f"Bearer {token}"}) as api:
        first = await api.put(f"{urls.api_idea(ideas[0].id)}/vote", json={"value": 1})
        assert first.status_code == 200 and first.json()["my_vote"] == 1
        second = await api.put(f"{urls.api_idea(ideas[1].id)}/vote", json={"value": 1})
        assert second.status_code == 403
        assert second.headers["content-type"].startswith("application/problem+json")
        assert "You have spent all 1 votes on this board" in second.json()["detail"]
        demote = await api.put(f"{urls.api_idea(ideas[1].id)}/vote", json={"value": -1})
        assert demote.status_code == 403 and "Demotes are off" in demote.json()["detail"]
        withdrawn = await api.delete(f"{urls.api_idea(ideas[0].id)}/vote")
        assert withdrawn.status_code == 200 and withdrawn.json()["my_vote"] == 0
        assert (await api.put(f"{urls.api_idea(ideas[1].id)}/vote", json={"value": 1})).status_code == 200
    assert (await BoardVoteBudget.get(user_id=bob.id)).spent == 1


async def test_an_idea_moved_into_a_budget_campaign_spends_the_campaigns_budget_instead(browser_for, ada, bob,
                                                                                         alice, sam, make_idea,
                                                                                         request):
    """Sam moves the oat-husk cups, which Bob gave 2 board votes, into a budget campaign: Bob gets them back on the
    board and they count in the campaign; moved out again, they count on the board."""
    from ideaboard import campaigns, clock
    from ideaboard.models import VoteBudget
    from tests.test_campaigns import OPENS, make_campaign

    cups = await make_idea(alice, "Cups made of oat husks")
    await set_budget(await browser_for(ada), vote_budget="5", max_votes_per_idea="2")
    client = await browser_for(bob)
    for _n in range(2):
        await client.post(urls.idea_vote(cups.id), {"value": "up"}, htmx=True)
    campaign = await make_campaign(sam, vote_budget="3", max_votes_per_idea="2")
    clock.set_now(OPENS)
    request.addfinalizer(lambda: clock.set_now(None))
    await campaigns.move_idea(await Idea.get(id=cups.id), campaign, sam)
    assert (await BoardVoteBudget.get(user_id=bob.id)).spent == 0
    refills = await make_idea(alice, "Free refills on Mondays")
    await campaigns.move_idea(refills, campaign, sam)
    widget = await client.post(urls.idea_vote(refills.id), {"value": "up"}, htmx=True)
    assert 'data-mine="1">0 of 3 votes left' in widget.text  # the cups' 2 count in the campaign's budget
    await client.post(urls.idea_vote(refills.id), {"value": "none"}, htmx=True)
    assert (await VoteBudget.get(campaign=campaign, user_id=bob.id)).spent == 2
    await campaigns.move_idea(await Idea.get(id=cups.id), None, sam)
    assert (await BoardVoteBudget.get(user_id=bob.id)).spent == 2
    assert (await VoteBudget.get(campaign=campaign, user_id=bob.id)).spent == 0
