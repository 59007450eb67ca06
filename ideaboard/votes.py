"""Voting: one vote per person per idea (unique constraint), counters kept exact under concurrency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from ideaboard.ideas import NotAllowed, hot_score
from ideaboard.models import Idea, Status, User, Vote

CLOSED = (Status.LAUNCHED, Status.DECLINED, Status.DUPLICATE, Status.ARCHIVED)


@dataclass(frozen=True)
class Tally:
    idea_id: int
    upvotes: int
    downvotes: int
    score: int
    mine: int


async def cast_vote(idea_id: int, user: User, value: int) -> Tally:
    """Set this user's vote to +1, -1 or 0 (withdraw); repeating a vote changes nothing."""
    for _ in range(3):
        try:
            return await _cast_vote_once(idea_id, user, value)
        except IntegrityError:
            continue  # the same person's double click raced us to the insert; re-read and apply
    raise NotAllowed("Your vote could not be recorded, please try again.")


async def _cast_vote_once(idea_id: int, user: User, value: int) -> Tally:
    async with in_transaction() as conn:
        # Locking the idea row serialises votes on one idea, so the counters never lose an update.
        idea = await Idea.filter(id=idea_id).select_for_update().using_db(conn).get()
        if idea.status in CLOSED:
            raise NotAllowed(f"Voting is closed: this idea is {Status(idea.status).label.lower()}.")
        vote = await Vote.filter(idea_id=idea_id, user_id=user.id).using_db(conn).first()
        old = vote.value if vote else 0
        if old != value:
            await _store_vote(conn, vote, idea_id, user.id, value)
            _apply_delta(idea, old, value)
            await idea.save(update_fields=["upvotes", "downvotes", "score", "hot"], using_db=conn)
    return Tally(idea.id, idea.upvotes, idea.downvotes, idea.score, value)


async def _store_vote(conn, vote: Vote | None, idea_id: int, user_id: int, value: int) -> None:
    if vote is None:
        await Vote.create(idea_id=idea_id, user_id=user_id, value=value, using_db=conn)
    elif value == 0:
        await vote.delete(using_db=conn)
    else:
        vote.value = value
        await vote.save(update_fields=["value"], using_db=conn)


def _apply_delta(idea: Idea, old: int, new: int) -> None:
    idea.upvotes += (new == 1) - (old == 1)
    idea.downvotes += (new == -1) - (old == -1)
    idea.score = idea.upvotes - idea.downvotes
    idea.hot = hot_score(idea.score, idea.created_at)


async def votes_by(user: User | None, idea_ids: Sequence[int]) -> dict[int, int]:
    """This user's vote on each of these ideas (missing means no vote), in one query."""
    if user is None or not idea_ids:
        return {}
    rows = await Vote.filter(user_id=user.id, idea_id__in=list(idea_ids)).values_list("idea_id", "value")
    return dict(rows)
