"""Unmerge: Sam merged "Please add oat milk" into "Oat milk in every store" by mistake and undoes it. Every vote,
comment and follower goes back where it was; fans who had voted on both keep one vote on each; the counts of both
ideas are exactly what they were before the merge; the timeline and the audit log say so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ideaboard.comments import add_comment
from ideaboard.errors import NotAllowed
from ideaboard.follows import set_following
from ideaboard.merge import merge_ideas, unmerge
from ideaboard.models import AuditEntry, Comment, Follow, Idea, IdeaEvent, MergeRecord, Role, Status, User, Vote
from ideaboard.urls import urls
from ideaboard.votes import cast_vote
from ideaboard.workflow import transition

COUNTS = ("upvotes", "downvotes", "score", "comment_count", "status")


@pytest.fixture
async def fans(app) -> list[User]:
    return [await User.create(email=f"fan{n}@example.com", name=f"Fan {n}", password_hash="-", role=Role.CUSTOMER,
                              email_verified_at=datetime.now(UTC)) for n in range(6)]


async def _state(idea_id: int) -> dict:
    idea = await Idea.get(id=idea_id)
    return {
        "counts": {f: getattr(idea, f) for f in COUNTS},
        "votes": sorted(await Vote.filter(idea_id=idea_id).values_list("user_id", "value")),
        "comments": sorted(await Comment.filter(idea_id=idea_id).values_list("id", flat=True)),
        "followers": sorted(await Follow.filter(idea_id=idea_id).values_list("user_id", "unfollowed_at")),
    }


async def test_unmerge_restores_exact_counts_votes_comments_and_followers(alice, bob, sam, fans, make_idea):
    a = await make_idea(alice, "Oat milk in every store")
    b = await make_idea(bob, "Please add oat milk")
    await transition(b, sam, Status.UNDER_REVIEW)
    for fan in fans[:4]:
        await cast_vote(a.id, fan, 1)
    await cast_vote(a.id, fans[4], -1)
    for fan in fans[2:]:  # fans 2, 3 and 4 vote on both (fan 4 differently), fan 5 on B only
        await cast_vote(b.id, fan, 1)
    await cast_vote(b.id, alice, -1)
    await set_following(fans[5], b, False)  # fan 5 unfollowed B: still unfollowed after the round trip
    await add_comment(a, fans[0], "Yes, in Lyon too")
    for n in (1, 2):
        await add_comment(b, fans[n], f"Me too, number {n}")
    before = {a.id: await _state(a.id), b.id: await _state(b.id)}
    assert before[a.id]["counts"]["score"] == 3 and before[b.id]["counts"]["score"] == 4 - 1

    await merge_ideas(b, a, sam)
    merged = await Idea.get(id=a.id)
    assert (merged.upvotes, merged.downvotes, merged.comment_count) == (5, 2, 3)  # fans 0-5 and alice, once each
    assert await add_comment(merged, fans[1], "After the merge") is not None  # stays on A when unmerged

    restored = await unmerge(await Idea.get(id=b.id), sam)
    assert restored.status == Status.UNDER_REVIEW and restored.merged_into_id is None
    after_b = await _state(b.id)
    assert after_b == before[b.id]
    after_a = await _state(a.id)
    assert after_a["votes"] == before[a.id]["votes"] and after_a["followers"] == before[a.id]["followers"]
    assert after_a["counts"] == before[a.id]["counts"] | {"comment_count": 2}  # plus the comment written since
    assert len(after_a["comments"]) == 2

    events = await IdeaEvent.filter(idea_id=b.id).order_by("-id").first()
    assert events.message.startswith("No longer merged into")
    entry = await AuditEntry.get(action="idea.unmerge")
    assert (entry.actor_id, entry.target_id, entry.detail["from_idea"]) == (sam.id, b.id, a.id)
    with pytest.raises(NotAllowed):
        await unmerge(await Idea.get(id=b.id), sam)  # once only


async def test_sam_unmerges_from_the_staff_idea_page(browser_for, alice, bob, sam, make_idea):
    a = await make_idea(alice, "Oat milk in every store")
    b = await make_idea(bob, "Please add oat milk")
    await cast_vote(b.id, alice, 1)
    await merge_ideas(b, a, sam)
    staff = await browser_for(sam)
    page = await staff.get(urls.staff_idea(b.id))
    assert "Undo this merge" in page.text
    done = await staff.post(urls.staff_idea_unmerge(b.id))
    assert done.status_code == 303 and done.headers["location"] == urls.staff_idea(b.id)
    assert (await Idea.get(id=b.id)).status == Status.NEW
    assert (await Idea.get(id=b.id)).upvotes == 1 and (await Idea.get(id=a.id)).upvotes == 0
    assert "Undo this merge" not in (await staff.get(urls.staff_idea(b.id))).text
    customer = await browser_for(alice)
    assert (await customer.post(urls.staff_idea_unmerge(b.id))).status_code in (403, 404)


async def test_sam_separates_an_idea_merged_before_merges_were_recorded(browser_for, alice, bob, sam, make_idea):
    """An old board's merge has only its timeline entry: Sam can still give the idea its status back, and is told
    plainly that its votes stay on the idea it was merged into."""
    a = await make_idea(alice, "Oat milk in every store")
    b = await make_idea(bob, "Please add oat milk")
    await transition(b, sam, Status.UNDER_REVIEW)
    await cast_vote(b.id, alice, 1)
    await merge_ideas(b, a, sam)
    await MergeRecord.filter(source_id=b.id).delete()  # as a merge made before stop 12 left it
    staff = await browser_for(sam)
    page = await staff.get(urls.staff_idea(b.id))
    assert "Undo this merge" not in page.text and "Separate this idea again" in page.text

    done = await staff.post(urls.staff_idea_unmerge(b.id))
    assert done.status_code == 303
    told = (await staff.get(done.headers["location"])).text
    assert "stay on the other idea" in told
    b_now, a_now = await Idea.get(id=b.id), await Idea.get(id=a.id)
    assert (b_now.status, b_now.merged_into_id) == (Status.UNDER_REVIEW, None)
    assert (b_now.upvotes, a_now.upvotes) == (0, 1)  # the vote stays where the old merge put it, counted once
    entry = await AuditEntry.get(action="idea.unmerge")
    assert entry.detail["merge_record"] is None and entry.detail["from_idea"] == a.id
    assert "Separate this idea again" not in (await staff.get(urls.staff_idea(b.id))).text
    with pytest.raises(NotAllowed):
        await unmerge(await Idea.get(id=b.id), sam)
