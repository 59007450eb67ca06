"""Pre-moderation: with IDEABOARD_PREMODERATE_FIRST_POSTS=1, Nina's first post waits in the staff review queue.
She sees "waiting for review" on it; Alice, visitors, the board, search, feeds, the sitemap and the API never see it;
Sam approves (it goes live, Nina is emailed) or rejects with a reason (Nina is emailed the reason)."""

from __future__ import annotations

import httpx
import pytest

from ideaboard.accounts import create_user
from ideaboard.models import AuditEntry, Comment, Idea, Review, Role
from ideaboard.settings import _replace
from ideaboard.urls import urls
from tests.conftest import PASSWORD
from tests.mailbox import outbox


@pytest.fixture
def settings(settings):
    return _replace(settings, premoderate_first_posts=1)


async def _nina():
    return await create_user("nina@example.com", "Nina Newcomer", PASSWORD, Role.CUSTOMER)


async def test_a_new_members_first_idea_waits_unseen_until_sam_approves_it(app, settings, browser_for, alice, sam):
    nina = await _nina()
    browser = await browser_for(nina)
    posted = await browser.post("/ideas/new", {"title": "Refill stations for oat milk", "body": "Less plastic."})
    idea = await Idea.get(title="Refill stations for oat milk")
    assert posted.status_code == 303 and posted.headers["location"] == urls.idea(idea.id)
    own = await browser.get(urls.idea(idea.id))
    assert own.status_code == 200 and "waiting for review" in own.text and "Refill stations" in own.text

    async def everyone_else_sees_nothing() -> None:
        for someone in (await browser_for(), await browser_for(alice)):
            assert (await someone.get(urls.idea(idea.id))).status_code == 404
            for path in ("/", urls.search("refill"), "/feeds/ideas.atom", "/sitemaps/0.xml"):
                assert "Refill stations" not in (await someone.get(path)).text, path
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as api:
            assert "Refill stations" not in (await api.get(urls.api_ideas())).text
            assert (await api.get(urls.api_idea(idea.id))).status_code == 404

    await everyone_else_sees_nothing()
    staff = await browser_for(sam)
    queue = await staff.get(urls.staff_reviews())
    assert "Refill stations" in queue.text and "new member" in queue.text
    held = await Review.get(idea_id=idea.id)
    assert (await staff.post(urls.staff_review_approve(held.id), {"reason": ""})).status_code == 303
    assert (await (await browser_for()).get(urls.idea(idea.id))).status_code == 200
    assert "Refill stations" in (await (await browser_for()).get("/")).text
    assert "waiting for review" not in (await browser.get(urls.idea(idea.id))).text
    mail = [m for m in outbox(settings) if m["To"] == nina.email][-1]
    assert mail["Subject"] == "Your idea is live" and urls.idea(idea.id) in mail.get_body(("plain",)).get_content()
    assert (await AuditEntry.get(action="review.approve")).target_id == idea.id

    # one public post reached: her next one goes live at once
    await browser.post("/ideas/new", {"title": "Decaf after six pm", "body": ""})
    assert not (await Idea.get(title="Decaf after six pm")).hidden


async def test_a_held_comment_is_uncounted_and_a_rejection_tells_nina_why(settings, browser_for, alice, sam,
                                                                            make_idea):
    nina = await _nina()
    idea = await make_idea(alice, "Oat milk in every store")
    browser = await browser_for(nina)
    posted = await browser.post(urls.idea_comments(idea.id), {"body": "Buy followers at my site"})
    assert posted.status_code == 303
    comment = await Comment.get(author_id=nina.id)
    assert comment.hidden and (await Idea.get(id=idea.id)).comment_count == 0
    own = await browser.get(urls.idea(idea.id))
    assert "Buy followers" in own.text and "Waiting for review" in own.text
    assert "Buy followers" not in (await (await browser_for(alice)).get(urls.idea(idea.id))).text

    staff = await browser_for(sam)
    held = await Review.get(comment_id=comment.id)
    refused = await staff.post(urls.staff_review_reject(held.id), {"reason": ""})
    assert refused.status_code == 422 and "Tell the author why" in refused.text
    await staff.post(urls.staff_review_reject(held.id), {"reason": "Advertising is not allowed here"})
    assert (await Comment.get(id=comment.id)).hidden
    assert "Buy followers" not in (await browser.get(urls.idea(idea.id))).text  # no longer waiting
    mail = [m for m in outbox(settings) if m["To"] == nina.email][-1]
    assert mail["Subject"] == "Your comment was not published"
    assert "Advertising is not allowed here" in mail.get_body(("plain",)).get_content()
    again = await staff.post(urls.staff_review_approve(held.id), {"reason": ""})
    assert again.status_code == 303 and (await Comment.get(id=comment.id)).hidden  # decided once


async def test_the_team_is_never_held(browser_for, sam, make_idea):
    await (await browser_for(sam)).post("/ideas/new", {"title": "Our spring roadmap", "body": ""})
    assert not (await Idea.get(title="Our spring roadmap")).hidden
    assert not await Review.exists()


async def test_an_approved_comment_is_counted_and_its_followers_told(browser_for, alice, sam, make_idea):
    nina = await _nina()
    idea = await make_idea(alice, "Oat milk in every store")
    await (await browser_for(nina)).post(urls.idea_comments(idea.id), {"body": "Yes please, in Lyon too"})
    held = await Review.get(author_id=nina.id)
    assert not await alice.notifications.all().exists()
    await (await browser_for(sam)).post(urls.staff_review_approve(held.id), {"reason": "Welcome!"})
    assert (await Idea.get(id=idea.id)).comment_count == 1
    assert "in Lyon too" in (await (await browser_for()).get(urls.idea(idea.id))).text
    assert await alice.notifications.all().count() == 1  # she follows her idea
