"""Merging duplicates: B folds into A, everyone counts once, counts stay exact, B's page points to A."""

from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup

from ideaboard.comments import add_comment
from ideaboard.errors import NotAllowed
from ideaboard.follows import set_following
from ideaboard.merge import merge_ideas
from ideaboard.models import (
    AuditEntry,
    Comment,
    EventKind,
    Follow,
    Idea,
    IdeaEvent,
    Notification,
    Role,
    Space,
    Status,
    User,
    Vote,
)
from ideaboard.votes import cast_vote
from ideaboard.workflow import transition


@pytest.fixture
async def crowd(app) -> list[User]:
    """Five more verified customers (no password hashing: they only vote)."""
    return [await User.create(email=f"fan{n}@example.com", name=f"Fan {n}", password_hash="-", role=Role.CUSTOMER,
                              email_verified_at=datetime.now(UTC)) for n in range(5)]


async def test_merging_moves_votes_comments_and_followers_and_counts_each_person_once(
        alice, bob, sam, crowd, make_idea):
    original = await make_idea(alice, "Oat milk in every store")
    copy = await make_idea(bob, "Please add oat milk")
    f0, f1, f2, f3, f4 = crowd
    # f0 promoted both (counts once, keeps A's vote), f1 demoted A but promoted B (keeps A's demote)
    for user, on_a, on_b in [(f0, 1, 1), (f1, -1, 1), (f2, 0, 1), (f3, 0, -1), (f4, 1, 0)]:
        if on_a:
            await cast_vote(original.id, user, on_a)
        if on_b:
            await cast_vote(copy.id, user, on_b)
    await add_comment(copy, f2, "Yes, and almond too")
    await add_comment(original, f4, "Please!")
    await set_following(f0, original, True)
    await set_following(f0, copy, True)
    await set_following(f3, copy, False)  # f3 voted on B, then unfollowed it

    await merge_ideas(copy, original, sam)

    a, b = await Idea.get(id=original.id), await Idea.get(id=copy.id)
    assert (b.status, b.merged_into_id, b.version) == (Status.DUPLICATE, a.id, 1)
    votes_on_a = dict(await Vote.filter(idea_id=a.id).values_list("user_id", "value"))
    assert votes_on_a == {f0.id: 1, f1.id: -1, f2.id: 1, f3.id: -1, f4.id: 1}
    assert (a.upvotes, a.downvotes, a.score, a.comment_count) == (3, 2, 1, 2)
    assert (b.upvotes, b.downvotes, b.score, b.comment_count) == (0, 0, 0, 0)
    assert not await Vote.filter(idea_id=b.id).exists() and not await Comment.filter(idea_id=b.id).exists()
    followers = await Follow.filter(idea_id=a.id, unfollowed_at=None).values_list("user_id", flat=True)
    assert sorted(followers) == sorted([alice.id, bob.id, f0.id, f1.id, f2.id, f4.id])  # both authors, every voter
    assert await Follow.filter(idea_id=a.id, user_id=f3.id).exclude(unfollowed_at=None).exists()  # f3 stays away
    assert (copy.status, original.score) == (Status.DUPLICATE, 1)  # the caller's objects are up to date too
    entry = await AuditEntry.get(action="idea.merge")
    assert (entry.actor_id, entry.target_id, entry.detail["into"]) == (sam.id, b.id, a.id)


async def test_both_timelines_tell_the_story_and_the_duplicate_links_to_the_original(
        alice, bob, sam, visitor, make_idea):
    original = await make_idea(alice, "Oat milk in every store")
    copy = await make_idea(bob, "Please add *oat* milk [now]")
    await merge_ideas(copy, original, sam)
    assert await IdeaEvent.filter(kind=EventKind.MERGED).count() == 2

    page = BeautifulSoup((await visitor.get(f"/ideas/{copy.id}")).text, "html.parser")
    link = page.select_one(".merged-notice a")
    assert link["href"] == f"/ideas/{original.id}" and link.text == "Oat milk in every store"
    assert "Merged into Oat milk in every store" in page.select_one("#timeline .event-merged").get_text(" ", strip=True)

    page = BeautifulSoup((await visitor.get(f"/ideas/{original.id}")).text, "html.parser")
    event = page.select_one("#timeline .event-merged")
    assert event.select_one(".prose a")["href"] == f"/ideas/{copy.id}"
    assert event.select_one(".prose a").text == "Please add *oat* milk [now]"  # shown literally, not as markdown
    assert "Sam Rivera" in event.text


async def test_people_who_followed_the_duplicate_hear_about_the_merge(alice, bob, sam, crowd, make_idea):
    original = await make_idea(alice, "Oat milk")
    copy = await make_idea(bob, "Oat milk please")
    await cast_vote(copy.id, crowd[0], 1)
    await merge_ideas(copy, original, sam)
    assert sorted(await Notification.all().values_list("user_id", flat=True)) == [bob.id, crowd[0].id]  # not alice


async def test_invalid_merges_are_refused_and_change_nothing(alice, bob, erin, sam, make_idea):
    a = await make_idea(alice, "Oat milk")
    b = await make_idea(bob, "Oat milk please")
    c = await make_idea(bob, "More oat milk")
    internal = await make_idea(erin, "Oat milk for the staff room", space=Space.INTERNAL)
    with pytest.raises(NotAllowed, match="into itself"):
        await merge_ideas(a, a, sam)
    with pytest.raises(NotAllowed, match="public and the internal"):
        await merge_ideas(internal, a, sam)
    await merge_ideas(b, a, sam)
    with pytest.raises(NotAllowed, match="already merged"):
        await merge_ideas(b, c, sam)
    with pytest.raises(NotAllowed, match="itself a duplicate"):
        await merge_ideas(c, b, sam)
    await transition(c, sam, Status.UNDER_REVIEW)
    await transition(c, sam, Status.PLANNED)
    with pytest.raises(NotAllowed, match="Planned cannot be merged"):
        await merge_ideas(c, a, sam)
    assert (await Idea.get(id=c.id)).status == Status.PLANNED
    assert await AuditEntry.filter(action="idea.merge").count() == 1


async def test_the_duplicate_no_longer_takes_votes(alice, bob, sam, make_idea):
    a = await make_idea(alice, "Oat milk")
    b = await make_idea(bob, "Oat milk please")
    await merge_ideas(b, a, sam)
    with pytest.raises(NotAllowed, match="Voting is closed"):
        await cast_vote(b.id, alice, 1)


async def test_the_duplicate_page_offers_no_vote_or_comment_and_refuses_a_stale_comment(browser_for, alice, bob, sam,
                                                                                       make_idea):
    a = await make_idea(alice, "Oat milk")
    b = await make_idea(bob, "Oat milk please")
    client = await browser_for(alice)
    await merge_ideas(b, a, sam)
    page = BeautifulSoup((await client.get(f"/ideas/{b.id}")).text, "html.parser")
    widget = page.select_one(f"#vote-widget-{b.id}")
    assert widget.select("button") == [] and "Voting closed" in widget.text
    assert page.select_one("form.comment-form") is None
    notice = page.select_one("#comments .merged-notice")
    assert "merged into" in notice.text and notice.select_one("a")["href"] == f"/ideas/{a.id}"

    stale = await client.post(f"/ideas/{b.id}/comments", {"body": "I typed this before the merge"})
    assert stale.status_code == 409 and "comment there" in stale.text
    assert "I typed this before the merge" in stale.text  # nothing she typed is lost
    htmx = await client.post(f"/ideas/{b.id}/comments", {"body": "Me too"}, htmx=True)
    assert htmx.status_code == 422 and "comment there" in htmx.text  # the swap shows the message
    assert await Comment.filter(idea_id__in=[a.id, b.id]).count() == 0
    with pytest.raises(NotAllowed, match="comment there"):
        await add_comment(b, alice, "Straight to the domain")


async def test_open_ideas_keep_their_vote_buttons_and_comment_form(browser_for, alice, bob, make_idea):
    idea = await make_idea(bob, "Oat milk")
    page = BeautifulSoup((await (await browser_for(alice)).get(f"/ideas/{idea.id}")).text, "html.parser")
    assert len(page.select(f"#vote-widget-{idea.id} button")) == 2 and page.select_one("form.comment-form")
