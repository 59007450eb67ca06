"""An idea page is read in one go (one round trip on Postgres): it must show exactly what the separate reads show."""

from datetime import datetime

from ideaboard import clusters, comments, follows, ideas, social, votes, workflow
from ideaboard.comments import add_comment
from ideaboard.idea_page import read_idea_page
from ideaboard.models import Idea, IdeaTweet, Space, Status, Tweet
from workers.cluster_jobs import recluster_ideas


async def a_busy_idea(alice, bob, sam, make_idea, worker_ctx) -> Idea:
    """Alice's dark-mode idea after a month: a twin idea, comments, tags, Sam's review and reply, tweets, Bob's vote."""
    idea = await make_idea(alice, "Dark mode for the mobile app", "Bright screens at night.", tags=["ui", "mobile"])
    await make_idea(bob, "Dark mode please, the app is blinding", "A night theme for the app.")
    await make_idea(bob, "Compostable lids for cups", "The lids cannot be composted.")
    await recluster_ideas(worker_ctx)
    for n in range(3):
        await add_comment(idea, bob, f"**Yes** please, comment {n}")
    await workflow.transition(idea, sam, Status.UNDER_REVIEW)
    await workflow.respond(await Idea.get(id=idea.id), sam, "We are *testing* it with night owls.")
    for n, text in enumerate(["dark mode when?", "my eyes at 2am"]):
        tweet = await Tweet.create(id=str(1900000000000000000 + n), text=text, author_id="42", author_username="dana",
                                   url=f"https://x.com/dana/status/{n}", created_at=datetime(2026, 11, 1 + n))
        await IdeaTweet.create(idea=idea, tweet=tweet, score=0.4)
    await votes.cast_vote(idea.id, bob, 1)
    await follows.set_following(bob, idea, True)
    return await Idea.get(id=idea.id)


def fields(items, *names):
    return [tuple(getattr(item, name) for name in names) for item in items]


async def test_bobs_page_read_at_once_equals_each_part_read_alone(alice, bob, sam, make_idea, worker_ctx):
    idea = await a_busy_idea(alice, bob, sam, make_idea, worker_ctx)
    page = await read_idea_page(idea.id, bob)

    assert (page.idea.id, page.idea.title, page.idea.status, page.idea.author.name) == \
           (idea.id, idea.title, Status.UNDER_REVIEW, "Alice Martin")
    alone = await comments.list_comments(idea)
    assert fields(page.conversation.items, "id", "body_html", "created_at") == \
           fields(alone.items, "id", "body_html", "created_at")
    assert [c.author.name for c in page.conversation.items] == ["Bob Nguyen"] * 3
    assert page.tags == (await ideas.tags_of([idea]))[idea.id] == ["ui", "mobile"]
    events = await workflow.timeline(idea)
    assert fields(page.timeline, "id", "kind", "to_status", "message_html", "created_at") == \
           fields(events, "id", "kind", "to_status", "message_html", "created_at")
    assert [e.actor.name for e in page.timeline] == ["Sam Rivera", "Sam Rivera"]
    assert [i.title for i in page.related_ideas] == [i.title for i in await clusters.related_ideas(idea)] == \
           ["Dark mode please, the app is blinding"]
    assert fields(page.related_tweets, "id", "text", "created_at") == \
           fields(await social.related_tweets(idea.id), "id", "text", "created_at")
    assert [t.text for t in page.related_tweets] == ["my eyes at 2am", "dark mode when?"]  # newest first
    assert (page.my_vote, page.following) == (1, True)
    assert all(c.created_at.tzinfo for c in page.conversation.items)  # aware datetimes, as the ORM gives


async def test_a_visitor_gets_the_same_page_without_votes_or_follows(alice, bob, sam, make_idea, worker_ctx, visitor):
    idea = await a_busy_idea(alice, bob, sam, make_idea, worker_ctx)
    page = await read_idea_page(idea.id, None)
    assert (page.my_vote, page.following, len(page.conversation.items)) == (0, False, 3)
    html = (await visitor.get(f"/ideas/{idea.id}")).text
    assert "We are <em>testing</em> it with night owls." in html and "my eyes at 2am" in html
    assert "Dark mode please, the app is blinding" in html and "<strong>Yes</strong> please, comment 2" in html


async def test_hidden_and_internal_ideas_stay_closed_to_customers(alice, bob, erin, sam, make_idea):
    hidden = await make_idea(alice, "Something rude")
    await Idea.filter(id=hidden.id).update(hidden=True)
    internal = await make_idea(erin, "Faster espresso machines", space=Space.INTERNAL)
    assert await read_idea_page(hidden.id, bob) is None
    assert (await read_idea_page(hidden.id, sam)).idea.hidden
    assert await read_idea_page(internal.id, bob) is None
    assert await read_idea_page(internal.id, None) is None
    assert (await read_idea_page(internal.id, erin)).idea.title == "Faster espresso machines"
    assert await read_idea_page(hidden.id + 1000, bob) is None
