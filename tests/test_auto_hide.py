"""Auto-hide: once three different members report Mallory's idea (or comment), it disappears from the board until
Sam restores it; the same reporter twice counts once, and what the team writes is never hidden this way."""

from __future__ import annotations

import pytest

from ideaboard import moderation
from ideaboard.accounts import create_user
from ideaboard.models import AuditEntry, Comment, Idea, Role
from ideaboard.settings import _replace
from ideaboard.urls import urls
from tests.conftest import PASSWORD


@pytest.fixture
def settings(settings):
    return _replace(settings, auto_hide_reports=3)


async def _members(*names: str):
    return [await create_user(f"{n.lower()}@example.com", n, PASSWORD, Role.CUSTOMER) for n in names]


async def test_three_different_reporters_hide_an_idea_until_sam_restores_it(browser_for, alice, bob, sam, make_idea):
    mallory, carol = await _members("Mallory", "Carol")
    idea = await make_idea(mallory, "Cheap watches at my shop")
    visitor = await browser_for()
    for reporter in (alice, bob):
        await (await browser_for(reporter)).post(urls.idea_report(idea.id), {"reason": "This is spam"})
    dismissed = await moderation.open_flags()
    await moderation.dismiss(sam, dismissed[0])  # Alice's report is dismissed: she reports again, still one person
    await (await browser_for(alice)).post(urls.idea_report(idea.id), {"reason": "Still spam"})
    assert not (await Idea.get(id=idea.id)).hidden
    assert (await visitor.get(urls.idea(idea.id))).status_code == 200

    await (await browser_for(carol)).post(urls.idea_report(idea.id), {"reason": "Spam links"})
    assert (await Idea.get(id=idea.id)).hidden
    assert (await visitor.get(urls.idea(idea.id))).status_code == 404
    assert "Cheap watches" not in (await visitor.get("/")).text
    entry = await AuditEntry.get(action="idea.auto_hide")
    assert (entry.actor_id, entry.target_id, entry.detail["reporters"]) == (None, idea.id, 3)

    staff = await browser_for(sam)
    queue = await staff.get(urls.staff_flags())
    assert "Cheap watches" in queue.text and "Restore" in queue.text
    await staff.post(urls.staff_idea_hidden(idea.id, False))
    assert not (await Idea.get(id=idea.id)).hidden
    assert (await visitor.get(urls.idea(idea.id))).status_code == 200


async def test_a_reported_comment_is_hidden_and_the_count_follows(browser_for, alice, bob, make_idea):
    mallory, carol = await _members("Mallory", "Carol")
    idea = await make_idea(alice, "Oat milk in every store")
    await (await browser_for(mallory)).post(urls.idea(idea.id) + "/comments", {"body": "visit my shop"})
    comment = await Comment.get(author_id=mallory.id)
    assert (await Idea.get(id=idea.id)).comment_count == 1
    for reporter in (alice, bob, carol):
        await (await browser_for(reporter)).post(urls.comment_report(comment.id), {"reason": "Spam"})
    assert (await Comment.get(id=comment.id)).hidden
    assert (await Idea.get(id=idea.id)).comment_count == 0
    assert "visit my shop" not in (await (await browser_for()).get(urls.idea(idea.id))).text


async def test_staff_written_content_is_never_auto_hidden(browser_for, alice, bob, sam, make_idea):
    (carol,) = await _members("Carol")
    idea = await make_idea(sam, "Our roadmap for spring")
    for reporter in (alice, bob, carol):
        await (await browser_for(reporter)).post(urls.idea_report(idea.id), {"reason": "I disagree"})
    assert not (await Idea.get(id=idea.id)).hidden
    assert len(await moderation.open_flags()) == 3  # the reports still reach the team
