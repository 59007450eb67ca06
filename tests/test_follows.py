"""Following: the author, voters and commenters follow an idea, unless they unfollowed it, which is respected."""

from ideaboard import sql
from ideaboard.comments import add_comment
from ideaboard.follows import follower_count, is_following, set_following
from ideaboard.models import Follow
from ideaboard.votes import cast_vote


async def test_the_author_follows_her_own_idea_from_the_start(alice, make_idea):
    idea = await make_idea(alice)
    assert await is_following(alice, idea) and await follower_count(idea) == 1


async def test_voting_and_commenting_follow_the_idea(alice, bob, erin, make_idea):
    idea = await make_idea(alice)
    await cast_vote(idea.id, bob, -1)  # a downvote is interest too: he hears what the team decides
    await add_comment(idea, erin, "We hear this in stores")
    assert await is_following(bob, idea) and await is_following(erin, idea)
    assert await follower_count(idea) == 3


async def test_an_unfollow_is_respected_by_later_votes_and_comments_until_she_follows_again(alice, bob, make_idea):
    idea = await make_idea(bob)
    await cast_vote(idea.id, alice, 1)
    await set_following(alice, idea, False)
    await cast_vote(idea.id, alice, -1)
    await add_comment(idea, alice, "Changed my mind")
    assert not await is_following(alice, idea)
    await set_following(alice, idea, True)
    assert await is_following(alice, idea)
    assert await Follow.filter(idea_id=idea.id, user_id=alice.id).count() == 1


async def test_the_migration_makes_todays_authors_voters_and_commenters_followers(alice, bob, erin, make_idea):
    """Data from before this release: the same people as before keep hearing about the idea."""
    import importlib
    import pkgutil

    from ideaboard import migrations

    names = [m.name for m in pkgutil.iter_modules(migrations.__path__)]
    name = next(n for n in names if n.endswith("_follow_what_you_touched"))
    migration = importlib.import_module(f"ideaboard.migrations.{name}")
    idea = await make_idea(alice)
    await cast_vote(idea.id, bob, 1)
    await add_comment(idea, erin, "Yes")
    await add_comment(idea, bob, "Me too")
    await Follow.all().delete()  # as the database was before follows were implicit
    await sql.connection().execute_script(migration.FOLLOW_WHAT_YOU_TOUCHED)
    await sql.connection().execute_script(migration.FOLLOW_WHAT_YOU_TOUCHED)  # and it never duplicates a row
    rows = await Follow.filter(idea_id=idea.id, unfollowed_at=None).values_list("user_id", flat=True)
    assert sorted(rows) == sorted([alice.id, bob.id, erin.id])
