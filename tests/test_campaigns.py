"""Campaigns (Storm Sessions): staff run them, they take ideas and votes exactly on time, internal ones stay inside.

The campaign rules read ideaboard.clock, which these tests stop and move: no sleeps.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from ideaboard import campaign_notices, clock
from ideaboard.models import (
    AuditEntry,
    Campaign,
    CampaignFollow,
    Idea,
    Notification,
    NotificationKind,
    Review,
    Space,
    Status,
)
from ideaboard.urls import urls
from ideaboard.votes import cast_vote
from ideaboard.workflow import transition
from tests.mailbox import outbox
from tests.test_api import api_for  # noqa: F401  (the fixture)

OPENS = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CLOSES = datetime(2026, 12, 14, 17, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def stopped_clock():
    """Every test starts on the Friday before the campaign opens; the clock only moves when a test moves it."""
    clock.set_now(OPENS - timedelta(days=3))
    yield
    clock.set_now(None)


def campaign_form(**changes) -> dict:
    form = {"title": "Greener coffee cups", "brief": "How should we **cut waste**? <script>alert(1)</script>",
            "space": "public", "opens_at": "2026-12-07T09:00", "closes_at": "2026-12-14T17:00",
            "voting_closes_at": "", "vote_budget": "", "max_votes_per_idea": "1"}
    return {**form, **changes}


async def make_campaign(sam, **changes) -> Campaign:
    from ideaboard.campaign_forms import parse_campaign
    from ideaboard.campaigns import create_campaign

    data = campaign_form(**changes)
    return await create_campaign(sam, parse_campaign(data, data.get("categories", []), set()))


async def share(client, campaign: Campaign, title: str = "Cups made of oat husks") -> object:
    return await client.post(urls.new_idea(), {"title": title, "body": "Compostable.", "category": "", "tags": "",
                                               "campaign": str(campaign.id)})


async def test_sam_creates_a_campaign_and_its_page_shows_the_sanitized_brief_and_a_countdown_in_utc(
        browser_for, sam, alice, visitor):
    console = await browser_for(sam)
    created = await console.post(urls.staff_campaigns(), campaign_form())
    assert created.status_code == 303, created.text
    campaign = await Campaign.get(title="Greener coffee cups")
    assert campaign.slug == "greener-coffee-cups" and campaign.opens_at == OPENS and campaign.closes_at == CLOSES
    entry = await AuditEntry.get(action="campaign.create")
    assert entry.actor_id == sam.id and entry.target_id == campaign.id

    page = await visitor.get(urls.campaign(campaign.slug))
    assert page.status_code == 200
    assert "<strong>cut waste</strong>" in page.text and "<script>alert" not in page.text
    assert "Opens in 3 days 0 h (7 Dec 2026, 09:00 UTC)" in page.text
    assert (await visitor.get(urls.campaign(campaign.id))).status_code == 200  # by id too
    assert "Greener coffee cups" in (await visitor.get(urls.campaigns())).text

    clock.set_now(CLOSES - timedelta(hours=2, minutes=5))
    member = await browser_for(alice)  # visitors' pages are kept for a few seconds (pagecache): members' are fresh
    page = await member.get(urls.campaign(campaign.slug))
    assert "Closes in 2 h 5 min (14 Dec 2026, 17:00 UTC)" in page.text
    assert "Share an idea" in page.text
    assert "Greener coffee cups" in (await member.get(urls.board())).text  # featured on the home page while open


async def test_the_form_refuses_voting_that_closes_before_submission_and_keeps_what_sam_typed(browser_for, sam):
    console = await browser_for(sam)
    page = await console.post(urls.staff_campaigns(), campaign_form(voting_closes_at="2026-12-10T09:00",
                                                                    title="Night menu ideas"))
    assert page.status_code == 422
    assert "Voting can only stay open longer than submission" in page.text and "Night menu ideas" in page.text
    page = await console.post(urls.staff_campaigns(), campaign_form(closes_at="2026-12-01T09:00"))
    assert page.status_code == 422 and "The campaign must close after it opens." in page.text
    assert not await Campaign.exists()


async def test_ideas_are_taken_from_the_opening_second_until_the_closing_second_exactly(browser_for, alice, sam):
    campaign = await make_campaign(sam)
    client = await browser_for(alice)

    clock.set_now(OPENS - timedelta(microseconds=1))
    early = await share(client, campaign)
    assert early.status_code == 422 and "opens for ideas on 7 Dec 2026, 09:00 UTC" in early.text
    assert "Cups made of oat husks" in early.text  # the text is kept

    clock.set_now(OPENS)
    assert (await share(client, campaign)).status_code == 303
    clock.set_now(CLOSES - timedelta(microseconds=1))
    assert (await share(client, campaign, "Refill discount for own cups")).status_code == 303

    clock.set_now(CLOSES)
    late = await share(client, campaign, "Paper straws that do not melt")
    assert late.status_code == 422 and "stopped taking ideas on 14 Dec 2026, 17:00 UTC" in late.text
    titles = set(await Idea.filter(campaign_id=campaign.id).values_list("title", flat=True))
    assert titles == {"Cups made of oat husks", "Refill discount for own cups"}
    assert await CampaignFollow.exists(campaign_id=campaign.id, user_id=alice.id)  # posting follows the campaign


async def test_the_api_refuses_a_late_idea_with_a_422_problem(api_for, alice, sam):  # noqa: F811
    campaign = await make_campaign(sam)
    api = await api_for(alice)
    clock.set_now(CLOSES)
    late = await api.post(urls.api_ideas(), {"title": "Paper straws that do not melt", "campaign_id": campaign.id})
    assert late.status_code == 422
    assert late.json()["code"] == "campaign_closed" and "stopped taking ideas" in late.json()["detail"]
    clock.set_now(CLOSES - timedelta(seconds=1))
    made = await api.post(urls.api_ideas(), {"title": "Paper straws that do not melt", "campaign_id": campaign.id})
    assert made.status_code == 201 and made.json()["campaign_id"] == campaign.id
    listed = await api.get(urls.api_campaigns())
    assert [c["phase"] for c in listed.json()["items"]] == ["open"]
    one = await api.get(urls.api_campaign(campaign.id))
    assert one.json()["voting_closes_at"] == one.json()["closes_at"]
    ideas = await api.get(urls.api_ideas(campaign=campaign.id))
    assert [i["title"] for i in ideas.json()["items"]] == ["Paper straws that do not melt"]


async def test_votes_stop_when_voting_closes_which_may_be_later_than_submission(alice, bob, sam, make_idea):
    campaign = await make_campaign(sam, voting_closes_at="2026-12-16T12:00")
    clock.set_now(OPENS)
    idea = await make_idea(alice, "Cups made of oat husks")
    await Idea.filter(id=idea.id).update(campaign_id=campaign.id)
    clock.set_now(CLOSES + timedelta(days=1))  # ideas closed, voting open
    assert (await cast_vote(idea.id, bob, 1)).score == 1
    clock.set_now(datetime(2026, 12, 16, 12, 0, tzinfo=UTC))
    with pytest.raises(Exception, match="Voting in “Greener coffee cups” closed on 16 Dec 2026, 12:00 UTC"):
        await cast_vote(idea.id, alice, 1)


async def test_an_internal_campaign_is_a_404_for_customers_and_visitors_everywhere(browser_for, alice, erin, sam,
                                                                                 visitor, api_for):  # noqa: F811
    campaign = await make_campaign(sam, space="internal", title="Barista rota tools")
    clock.set_now(OPENS)
    customer, employee = await browser_for(alice), await browser_for(erin)
    for path in (urls.campaign(campaign.slug), urls.campaign(campaign.id), urls.board(campaign=campaign.id)):
        assert (await customer.get(path)).status_code == 404, path
        assert (await visitor.get(path)).status_code == 404, path
    clock.set_now(CLOSES + timedelta(days=1))
    assert (await customer.get(urls.campaign_results(campaign.slug))).status_code == 404
    assert "Barista rota tools" not in (await customer.get(urls.campaigns())).text
    assert (await (await api_for(alice)).get(urls.api_campaign(campaign.id))).status_code == 404
    assert (await employee.get(urls.campaign(campaign.slug))).status_code == 200
    assert "Barista rota tools" in (await employee.get(urls.campaigns())).text
    clock.set_now(OPENS)
    public_try = await customer.post(urls.new_idea(), {"title": "Let customers see rotas",
                                                       "campaign": str(campaign.id)})
    assert public_try.status_code == 422 and "There is no such campaign." in public_try.text
    assert not await Idea.exists()


async def test_staff_move_an_idea_into_and_out_of_a_campaign_and_the_badge_and_filter_follow(browser_for, alice,
                                                                                            sam, make_idea, visitor):
    campaign = await make_campaign(sam)
    idea = await make_idea(alice, "Cups made of oat husks")
    other = await make_idea(alice, "Free refills on Mondays")
    console = await browser_for(sam)
    assert (await console.post(urls.staff_idea_campaign(idea.id), {"campaign": str(campaign.id)})).status_code == 303
    assert (await Idea.get(id=idea.id)).campaign_id == campaign.id
    page = await visitor.get(urls.idea(idea.id))
    assert f'href="{urls.campaign(campaign.slug)}"' in page.text and "Campaign: Greener coffee cups" in page.text
    board = await visitor.get(urls.board(campaign=campaign.id))
    assert "Cups made of oat husks" in board.text and "Free refills on Mondays" not in board.text
    assert other.title in (await visitor.get(urls.board())).text

    assert (await console.post(urls.staff_idea_campaign(idea.id), {"campaign": ""})).status_code == 303
    assert (await Idea.get(id=idea.id)).campaign_id is None
    moves = await AuditEntry.filter(action="idea.campaign").order_by("id")
    assert [(m.detail["from_campaign"], m.detail["to_campaign"]) for m in moves] == [(None, campaign.id),
                                                                                     (campaign.id, None)]


async def test_a_budget_campaign_spreads_votes_shows_whats_left_and_gives_them_back_on_close(
        browser_for, alice, bob, sam, make_idea):
    campaign = await make_campaign(sam, vote_budget="3", max_votes_per_idea="2")
    clock.set_now(OPENS)
    cups, refills = await make_idea(alice, "Cups made of oat husks"), await make_idea(alice, "Free refills")
    await Idea.filter(id__in=[cups.id, refills.id]).update(campaign_id=campaign.id)
    client = await browser_for(bob)
    page = await client.get(urls.campaign(campaign.slug))
    assert "3 of 3 votes left" in page.text
    board = await client.get(urls.board())  # the board's cards of budget ideas take budget votes too
    assert f'budget-tally-{campaign.id}" data-mine="0">3 of 3 votes left' in board.text

    widget = await client.post(urls.idea_vote(cups.id), {"value": "up"}, htmx=True)
    assert 'data-mine="1">2 of 3 votes left' in widget.text
    widget = await client.post(urls.idea_vote(cups.id), {"value": "up"}, htmx=True)
    assert 'data-mine="2">1 of 3 votes left' in widget.text
    third = await client.post(urls.idea_vote(cups.id), {"value": "up"}, htmx=True)
    assert "at most 2 votes on one idea" in third.text
    await client.post(urls.idea_vote(refills.id), {"value": "up"}, htmx=True)
    broke = await client.post(urls.idea_vote(refills.id), {"value": "up"}, htmx=True)
    assert "You have spent all 3 votes" in broke.text
    assert (await Idea.get(id=cups.id)).score == 2 and (await Idea.get(id=refills.id)).score == 1
    back = await client.post(urls.idea_vote(refills.id), {"value": "down"}, htmx=True)  # takes one back, no demote
    assert 'data-mine="0">1 of 3 votes left' in back.text and (await Idea.get(id=refills.id)).score == 0

    await transition(cups, sam, Status.DECLINED, "Not this year.")
    assert "3 of 3 votes left" in (await client.get(urls.campaign(campaign.slug))).text
    told = await Notification.get(user_id=bob.id, kind=NotificationKind.CAMPAIGNS)
    assert told.message == "“Cups made of oat husks” is declined: your 2 votes went back to your budget in " \
                           "“Greener coffee cups”"
    assert (await Idea.get(id=cups.id)).score == 2  # the idea keeps its count


async def test_followers_hear_once_when_it_opens_a_day_before_it_closes_and_when_results_are_out(
        browser_for, alice, bob, sam, make_idea, settings):
    campaign = await make_campaign(sam)
    await CampaignFollow.create(campaign=campaign, user=bob)
    assert await campaign_notices.send_due() == 0  # not open yet
    clock.set_now(OPENS)
    assert await campaign_notices.send_due() == 1
    assert await campaign_notices.send_due() == 0  # once only
    clock.set_now(CLOSES - timedelta(hours=23))
    assert await campaign_notices.send_due() == 1
    clock.set_now(CLOSES)
    assert await campaign_notices.send_due() == 1
    assert await campaign_notices.send_due() == 0
    messages = await Notification.filter(user_id=bob.id).order_by("id").values_list("message", flat=True)
    assert messages == ["“Greener coffee cups” is open for ideas until 14 Dec 2026, 17:00 UTC",
                        "“Greener coffee cups” closes for ideas in a day (14 Dec 2026, 17:00 UTC)",
                        "“Greener coffee cups” is over: see its results"]
    bell = await (await browser_for(bob)).get(urls.notifications())
    assert "is over: see its results" in bell.text
    from ideaboard.notification_mail import email_instant

    assert await email_instant(settings) == 3  # and emailed, each once (no SMTP here: the outbox)
    assert await email_instant(settings) == 0


async def test_the_results_page_counts_ideas_voters_comments_and_employees_vs_customers(
        browser_for, alice, bob, erin, sam, make_idea, visitor):
    from ideaboard.comments import add_comment

    campaign = await make_campaign(sam)
    clock.set_now(OPENS)
    cups, refills = await make_idea(alice, "Cups made of oat husks"), await make_idea(erin, "Refill discount")
    await Idea.filter(id__in=[cups.id, refills.id]).update(campaign_id=campaign.id)
    await cast_vote(cups.id, bob, 1)
    await cast_vote(cups.id, erin, 1)
    await cast_vote(refills.id, bob, -1)
    await add_comment(cups, sam, "We love this.")
    early = await visitor.get(urls.campaign_results(campaign.slug))
    assert early.status_code == 303  # not before voting closes
    clock.set_now(CLOSES)
    page = await visitor.get(urls.campaign_results(campaign.slug))
    assert page.status_code == 200
    numbers = dict((label, int(n)) for n, label in re.findall(
        r'stat-value">(\d+)</span><span class="stat-label">([^<]+)<', page.text))
    assert numbers == {"ideas": 2, "voters": 2, "comments": 1, "employees took part": 2, "customers took part": 2}
    assert page.text.index("Cups made of oat husks") < page.text.index("Refill discount")
    assert campaign.space == Space.PUBLIC


async def test_merging_in_a_budget_campaign_keeps_scores_and_budgets_exact(browser_for, alice, bob, sam, make_idea):
    from ideaboard.merge import merge_ideas
    from ideaboard.models import VoteBudget

    campaign = await make_campaign(sam, vote_budget="5", max_votes_per_idea="2")
    clock.set_now(OPENS)
    original, copy = await make_idea(alice, "Cups made of oat husks"), await make_idea(alice, "Oat husk cups")
    await Idea.filter(id__in=[original.id, copy.id]).update(campaign_id=campaign.id)
    for _ in range(2):
        await cast_vote(original.id, bob, 1)
        await cast_vote(copy.id, bob, 1)
    await cast_vote(copy.id, alice, 1)
    assert (await VoteBudget.get(user_id=bob.id)).spent == 4
    await merge_ideas(await Idea.get(id=copy.id), await Idea.get(id=original.id), sam)
    merged = await Idea.get(id=original.id)
    assert (merged.upvotes, merged.downvotes, merged.score) == (3, 0, 3)  # Bob keeps his 2 there, Alice's 1 moved
    assert (await VoteBudget.get(user_id=bob.id)).spent == 2
    assert (await VoteBudget.get(user_id=alice.id)).spent == 1


async def test_sam_edits_a_campaign_and_the_change_is_audited(browser_for, sam):
    campaign = await make_campaign(sam)
    console = await browser_for(sam)
    form = await console.get(urls.staff_campaign(campaign.id))
    assert 'value="2026-12-14T17:00"' in form.text  # the stored time, in UTC, as the field takes it
    saved = await console.post(urls.staff_campaign(campaign.id), campaign_form(voting_closes_at="2026-12-16T12:00",
                                                                               vote_budget="10"))
    assert saved.status_code == 303
    fresh = await Campaign.get(id=campaign.id)
    assert fresh.voting_closes_at == datetime(2026, 12, 16, 12, 0, tzinfo=UTC) and fresh.vote_budget == 10
    assert fresh.slug == campaign.slug
    assert await AuditEntry.exists(action="campaign.edit", target_id=campaign.id, actor_id=sam.id)


async def test_ideas_in_a_campaign_that_needs_approval_wait_in_the_review_queue(settings, browser_for, alice, bob, sam):
    campaign = await make_campaign(sam, needs_approval="1")
    clock.set_now(OPENS)
    client = await browser_for(alice)
    posted = await share(client, campaign)
    idea = await Idea.get(title="Cups made of oat husks")
    assert posted.status_code == 303 and posted.headers["location"] == urls.idea(idea.id)
    assert "waiting for review by the team" in (await client.get(posted.headers["location"])).text
    assert idea.hidden
    reader = await browser_for(bob)
    assert "Cups made of oat husks" not in (await reader.get(urls.campaign(campaign.slug))).text
    staff = await browser_for(sam)
    queue = (await staff.get(urls.staff_reviews())).text
    assert "Cups made of oat husks" in queue and "needs approval" in queue  # the same queue as pre-moderation
    held = await Review.get(idea_id=idea.id, decided_at__isnull=True)
    assert (await staff.post(urls.staff_review_approve(held.id), {"reason": ""})).status_code == 303
    assert "Cups made of oat husks" in (await reader.get(urls.campaign(campaign.slug))).text
    assert [m["Subject"] for m in outbox(settings) if m["To"] == alice.email][-1] == "Your idea is live"


async def test_the_teams_own_ideas_in_an_approval_campaign_go_live_at_once(browser_for, sam):
    campaign = await make_campaign(sam, needs_approval="1")
    clock.set_now(OPENS)
    await share(await browser_for(sam), campaign)
    idea = await Idea.get(title="Cups made of oat husks")
    assert not idea.hidden and not await Review.exists(idea_id=idea.id)


async def test_bob_follows_a_campaign_from_its_page_and_can_stop(browser_for, bob, sam):
    campaign = await make_campaign(sam)
    client = await browser_for(bob)
    assert (await client.post(urls.campaign_follow(campaign.slug), {"follow": "1"})).status_code == 303
    page = await client.get(urls.campaign(campaign.slug))
    assert "✓ Following" in page.text and await CampaignFollow.exists(campaign_id=campaign.id, user_id=bob.id)
    await client.post(urls.campaign_follow(campaign.slug), {"follow": "0"})
    assert not await CampaignFollow.exists(campaign_id=campaign.id, user_id=bob.id)
