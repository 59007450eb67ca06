"""Votes the team sets for someone (an import, captured feedback, a withdrawal): stored, then counted from the table.

The voting form moves counters by deltas (votes.py); these paths are rare, so each recounts the idea under its row
lock instead, which is exact whatever ran before.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from ideaboard import merge
from ideaboard.models import Idea, Vote


async def store(idea_id: int, user_id: int, value: int) -> None:
    """The person's vote on the idea becomes `value` (0 removes it); the counters are left to recount()."""
    if value == 0:
        await Vote.filter(idea_id=idea_id, user_id=user_id).delete()
    elif not await Vote.filter(idea_id=idea_id, user_id=user_id).update(value=value):
        await Vote.create(idea_id=idea_id, user_id=user_id, value=value)


async def set_vote(idea_id: int, user_id: int, value: int) -> None:
    """store() and recount() together, the idea locked so a concurrent vote from the form waits."""
    async with in_transaction():
        await Idea.filter(id=idea_id).select_for_update().first()
        await store(idea_id, user_id, value)
        await recount(idea_id)


async def recount(idea_id: int) -> None:
    """An idea's counters and hot rank from its rows (merge.recount, as a merge does)."""
    await merge.recount(await Idea.get(id=idea_id))
