"""Voting: one vote per person per idea (unique constraint), counters kept exact under concurrency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from ideaboard import campaigns, follows, reads, sql, statuses, suspensions, vote_budget, webhooks
from ideaboard.accounts import require_verified
from ideaboard.errors import NotAllowed, NotFound
from ideaboard.ideas import HOT_EPOCH, HOT_SECONDS_PER_DECADE, can_see_internal, hot_score
from ideaboard.models import Campaign, Idea, Role, Space, Status, User, Vote
from ideaboard.outage import is_outage


@dataclass(frozen=True)
class Tally:
    idea_id: int
    upvotes: int
    downvotes: int
    score: int
    mine: int
    title: str = ""
    previous_score: int | None = None  # before this vote (None when nothing changed)

    @property
    def id(self) -> int:
        """The vote widget renders a Tally like an idea, so a vote needs no second query for the idea."""
        return self.idea_id


class _Raced(Exception):
    """The same person's other request changed this vote between our read and our write."""


async def cast_vote(idea_id: int, user: User, value: int) -> Tally:
    """Set this user's vote to +1, -1 or 0 (withdraw) on an idea they may see; repeating a vote changes nothing."""
    require_verified(user)
    await suspensions.ensure_may_write(user)
    campaign = await Campaign.filter(ideas__id=idea_id).first()  # None for the ideas of no campaign
    if campaign is not None:
        if not campaigns.may_see(campaign, user):
            raise NotFound(idea_id)
        campaigns.refuse_vote(campaign)
        if campaign.vote_budget:
            return await _cast_budget_vote(idea_id, user, campaign, value)
    postgres = connections.get("default").capabilities.dialect == "postgres"
    once = _cast_vote_postgres if postgres else _cast_vote_once
    for attempt in range(3):
        try:
            tally = await once(idea_id, user, value)
            await webhooks.vote_milestones(tally.idea_id, tally.previous_score, tally.score)
            return tally
        except (IntegrityError, _Raced):
            continue  # the same person's double click raced us to the insert; re-read and apply
        except Exception as exc:
            # The one-statement vote is idempotent (it only moves the counters if the vote changes), so a
            # connection cut mid-statement is safe to repeat once: if it had committed, the repeat changes nothing.
            if not (postgres and attempt == 0 and is_outage(exc)):
                raise
    raise NotAllowed("Your vote could not be recorded, please try again.")


async def _cast_budget_vote(idea_id: int, user: User, campaign: Campaign, value: int) -> Tally:
    """A vote in a budget campaign: up spends one of the member's votes, down takes one back (see vote_budget)."""
    sees_hidden, spaces = _sight(user)
    for _ in range(3):
        try:
            idea, mine, previous = await vote_budget.cast(idea_id, user, campaign, value, spaces, sees_hidden)
        except IntegrityError:
            continue  # the same person's double click raced us to the insert; re-read and apply
        await webhooks.vote_milestones(idea.id, previous, idea.score)
        return Tally(idea.id, idea.upvotes, idea.downvotes, idea.score, mine, idea.title, previous)
    raise NotAllowed("Your vote could not be recorded, please try again.")


def _sight(user: User) -> tuple[bool, list[str]]:
    """What ideas.get_idea lets this user open: hidden ideas only for staff, internal ones only for employees."""
    spaces = [Space.PUBLIC.value, Space.INTERNAL.value] if can_see_internal(user) else [Space.PUBLIC.value]
    return Role(user.role).is_staff, spaces


# Postgres: the whole vote is one statement, one round trip, no explicit transaction.
# The idea row is locked first, so votes on one idea are serialised exactly as before. The person's old vote comes
# from the statement's snapshot, so each write only applies if the row still holds that value (else _Raced: retry),
# and the counters move by the delta of the write that happened. Hot is hot_score() in SQL (same formula, rounded).
# The visibility rule ($7 sees hidden, $8 visible spaces) is in the idea lookup, so an idea the voter may not see
# returns no row (404) and the vote needs no separate read of the idea.
# A vote follows the idea unless the voter unfollowed it (follows.follow_implicitly, inside the same statement).
VOTE_SQL = """
WITH idea AS (
  SELECT id, title, status, upvotes, downvotes, score FROM ideas
  WHERE id = $1 AND (NOT hidden OR $7::boolean) AND space = ANY($8::varchar[]) FOR UPDATE
), old AS (
  SELECT coalesce((SELECT value FROM votes WHERE idea_id = $1 AND user_id = $2), 0) AS value
), open AS (
  SELECT old.value FROM idea, old WHERE idea.status <> ALL($4::varchar[]) AND old.value <> $3
), ins AS (
  INSERT INTO votes (idea_id, user_id, value, created_at)
  SELECT $1, $2, $3, now() FROM open WHERE open.value = 0 RETURNING 0 AS old
), upd AS (
  UPDATE votes SET value = $3 FROM open WHERE idea_id = $1 AND user_id = $2 AND $3 <> 0 AND open.value <> 0
    AND votes.value = open.value RETURNING open.value AS old
), followed AS (
  INSERT INTO follows (idea_id, user_id, created_at)
  SELECT $1, $2, now() FROM open WHERE $3 <> 0 ON CONFLICT (idea_id, user_id) DO NOTHING
), del AS (
  DELETE FROM votes USING open WHERE idea_id = $1 AND user_id = $2 AND $3 = 0 AND votes.value = open.value
  RETURNING open.value AS old
), delta AS (
  SELECT ($3 = 1)::int - (old = 1)::int AS up, ($3 = -1)::int - (old = -1)::int AS down
  FROM (SELECT old FROM ins UNION ALL SELECT old FROM upd UNION ALL SELECT old FROM del) changed
), bumped AS (
  UPDATE ideas SET upvotes = upvotes + delta.up, downvotes = downvotes + delta.down,
    score = score + delta.up - delta.down,
    hot = round((sign((score + delta.up - delta.down)::float8)
        * log(greatest(abs(score + delta.up - delta.down), 1)::float8)
      + (extract(epoch FROM created_at)::float8 - $5) / $6)::numeric, 7)::float8
  FROM delta WHERE ideas.id = $1 RETURNING upvotes, downvotes, score
)
SELECT idea.title, idea.status, old.value AS old, (SELECT count(*) FROM open) AS wanted,
  b.upvotes AS new_up, b.downvotes AS new_down, b.score AS new_score, idea.upvotes, idea.downvotes, idea.score
FROM idea CROSS JOIN old LEFT JOIN bumped b ON true
"""


async def _cast_vote_postgres(idea_id: int, user: User, value: int) -> Tally:
    """cast_vote's one-statement version (see VOTE_SQL)."""
    sees_hidden, spaces = _sight(user)
    no_votes = list(statuses.keys_where("accepts_votes", False))  # the statuses admins put in done or closed phases
    _, rows = await connections.get("default").execute_query(VOTE_SQL, [
        idea_id, user.id, value, no_votes, float(HOT_EPOCH), float(HOT_SECONDS_PER_DECADE), sees_hidden, spaces])
    if not rows:
        raise NotFound(idea_id)
    row = rows[0]
    if not Status(row["status"]).accepts_votes:
        raise NotAllowed(f"Voting is closed: this idea is {Status(row['status']).label.lower()}.")
    if not row["wanted"]:  # already this value: nothing to do
        return Tally(idea_id, row["upvotes"], row["downvotes"], row["score"], value, row["title"])
    if row["new_score"] is None:
        raise _Raced()
    return Tally(idea_id, row["new_up"], row["new_down"], row["new_score"], value, row["title"], row["score"])


async def _cast_vote_once(idea_id: int, user: User, value: int) -> Tally:
    """cast_vote on SQLite, through the ORM in one transaction."""
    sees_hidden, spaces = _sight(user)
    async with in_transaction() as conn:
        # Locking the idea row serialises votes on one idea, so the counters never lose an update.
        query = Idea.filter(id=idea_id, space__in=spaces)
        if not sees_hidden:
            query = query.filter(hidden=False)
        idea = await query.select_for_update().using_db(conn).first()
        if idea is None:
            raise NotFound(idea_id)
        if not Status(idea.status).accepts_votes:
            raise NotAllowed(f"Voting is closed: this idea is {Status(idea.status).label.lower()}.")
        vote = await Vote.filter(idea_id=idea_id, user_id=user.id).using_db(conn).first()
        old = vote.value if vote else 0
        previous = idea.score if old != value else None
        if old != value:
            await _store_vote(conn, vote, idea_id, user.id, value)
            if value:
                await follows.follow_implicitly(user.id, idea_id, conn)
            _apply_delta(idea, old, value)
            await idea.save(update_fields=["upvotes", "downvotes", "score", "hot"], using_db=conn)
    return Tally(idea.id, idea.upvotes, idea.downvotes, idea.score, value, idea.title, previous)


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
    return dict_of_votes(await sql.fetch(reads.votes(user.id, idea_ids)))


def dict_of_votes(rows) -> dict[int, int]:
    return {row["idea_id"]: row["value"] for row in rows}

