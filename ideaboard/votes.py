"""Voting: one vote per person per idea (unique constraint), counters kept exact under concurrency."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from ideaboard import (
    auth,
    board_budget,
    campaigns,
    follows,
    reads,
    sql,
    sqliteconn,
    statuses,
    suspensions,
    vote_budget,
    vote_lock,
    webhooks,
)
from ideaboard.accounts import require_verified
from ideaboard.errors import NotAllowed, NotFound
from ideaboard.i18n import gettext as _
from ideaboard.ideas import HOT_EPOCH, HOT_SECONDS_PER_DECADE, can_see_internal, hot_score
from ideaboard.models import Campaign, Idea, Role, Session, Space, Status, Suspension, User, Vote
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
    space: str | None = None  # where the idea is and whether it is hidden: who may hear of the vote (live_events)
    hidden: bool | None = None
    campaign_id: int | None = None  # the vote widget's budget, if any (no query for ideas of no campaign)

    @property
    def id(self) -> int:
        """The vote widget renders a Tally like an idea, so a vote needs no second query for the idea."""
        return self.idea_id


class SessionChanged(Exception):
    """The session the voter was recalled for ended, or its user changed (role, address, deactivated): nothing was
    written; read the user fresh and vote again, or not at all."""


class _Raced(Exception):
    """The same person's other request changed this vote between our read and our write."""


class _OnBudgetBoard(Exception):
    """The idea is on a board with a vote budget (and in no budget campaign): the statement changed nothing."""

    def __init__(self, space: str) -> None:
        self.space = space


class _InCampaign(Exception):
    """The idea is in a campaign whose rules were not checked yet: the statement changed nothing."""

    def __init__(self, campaign_id: int) -> None:
        self.campaign_id = campaign_id


async def cast_vote(idea_id: int, user: User, value: int, session: str | None = None) -> Tally:
    """Set this user's vote to +1, -1 or 0 (withdraw) on an idea they may see; repeating a vote changes nothing.

    On Postgres a vote on an idea of no campaign is one statement (the suspension check included, see VOTE_SQL);
    an idea in a campaign sends the vote back here for the campaign's rules first, and one on a board with a vote
    budget for the budget's. SQLite checks in order, by ORM (the idea's board only read when some board has a
    budget).
    `session` is the hash of the session `user` was recalled for (auth.unchecked_session): the first write checks
    that it is still live and its user as recalled (SessionChanged if not), so an ended session never votes.
    """
    if session is not None and user.email_verified_at is None:
        raise SessionChanged()  # whether they verified since, only a fresh read says
    require_verified(user)
    postgres = sql.is_postgres()
    campaign_checked = not postgres
    if not postgres:
        conn = connections.get("default")
        if isinstance(conn, sqliteconn.ImmediateClient):  # not inside a caller's transaction
            tally = await _cast_vote_sqlite(conn, idea_id, user, value, session)
            if tally is not None:
                await webhooks.vote_milestones(tally.idea_id, tally.previous_score, tally.score)
                return tally
            session = None  # checked in that hop before it left the vote to the ORM
        if session is not None and not await _session_holds(session, user):
            raise SessionChanged()
        await suspensions.ensure_may_write(user)
        campaign = await Campaign.filter(ideas__id=idea_id).first()  # None for the ideas of no campaign
        if campaign is not None and _check_campaign(campaign, idea_id, user):
            return await _cast_budget_vote(idea_id, user, vote_budget.of_campaign(campaign), value)
        if board_budget.spaces():
            rule = board_budget.rule(await _space_of(idea_id))
            if rule is not None:
                return await _cast_budget_vote(idea_id, user, vote_budget.of_board(rule), value)
    once = _cast_vote_postgres if postgres else _cast_vote_once
    attempt = 0
    while attempt < 3:
        try:
            tally = await once(idea_id, user, value, campaign_checked, session)
            await webhooks.vote_milestones(tally.idea_id, tally.previous_score, tally.score)
            return tally
        except _InCampaign as found:
            session = None  # the statement checked it
            campaign = await Campaign.get_or_none(id=found.campaign_id)
            if campaign is not None and _check_campaign(campaign, idea_id, user):
                return await _cast_budget_vote(idea_id, user, vote_budget.of_campaign(campaign), value)
            campaign_checked = True  # not an attempt: the statement changed nothing
        except _OnBudgetBoard as found:
            session = None
            rule = board_budget.rule(found.space)
            if rule is not None:
                return await _cast_budget_vote(idea_id, user, vote_budget.of_board(rule), value)
            attempt += 1  # the budget was turned off in between: vote again
        except (IntegrityError, _Raced):
            session = None  # a statement that got this far checked it
            attempt += 1  # the same person's double click raced us to the insert; re-read and apply
        except Exception as exc:
            # The one-statement vote is idempotent (it only moves the counters if the vote changes), so a
            # connection cut mid-statement is safe to repeat once: if it had committed, the repeat changes nothing.
            if not (postgres and attempt == 0 and is_outage(exc)):
                raise
            attempt += 1
    raise NotAllowed(_("Your vote could not be recorded, please try again."))


def _session_check(session: str | None, user: User) -> tuple[str | None, int, str]:
    """The parameters of the session check inside a vote's write: the session, now, the role it was recalled with."""
    return session, int(time.time()), str(Role(user.role).value)


async def _session_holds(session: str, user: User) -> bool:
    """The recalled user's session is live and its user as recalled (the ORM paths' check, a read of its own)."""
    fresh = await auth.user_of_session(session)
    return fresh is not None and fresh.id == user.id and fresh.role == user.role and fresh.email_verified_at is not None


async def _space_of(idea_id: int) -> str | None:
    """The idea's board (only asked when some board has a vote budget)."""
    row = await Idea.filter(id=idea_id).only("id", "space").first()
    return str(row.space) if row else None


def _check_campaign(campaign: Campaign, idea_id: int, user: User) -> bool:
    """The campaign's rules for this vote (NotFound, NotAllowed); True when it spends a vote budget."""
    if not campaigns.may_see(campaign, user):
        raise NotFound(idea_id)
    campaigns.refuse_vote(campaign)
    return bool(campaign.vote_budget)


async def _cast_budget_vote(idea_id: int, user: User, holder: vote_budget.Holder, value: int) -> Tally:
    """A vote in a budget campaign or on a budget board: up spends one of the member's votes, down takes one back
    (see vote_budget)."""
    sees_hidden, spaces = _sight(user)
    for _unused in range(3):
        try:
            idea, mine, previous = await vote_budget.cast(idea_id, user, holder, value, spaces, sees_hidden)
        except IntegrityError:
            continue  # the same person's double click raced us to the insert; re-read and apply
        await webhooks.vote_milestones(idea.id, previous, idea.score)
        return Tally(idea.id, idea.upvotes, idea.downvotes, idea.score, mine, idea.title, previous,
                     Space(idea.space).value, idea.hidden, idea.campaign_id)
    raise NotAllowed(_("Your vote could not be recorded, please try again."))


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
# Nothing is written while the voter is suspended (`barred`, suspensions.current's rule) or while the idea is in a
# campaign whose rules the caller has not checked yet ($9 false), nor while it is on a board with a vote budget
# ($10, board_budget.spaces()): the row then says so and cast_vote acts on it.
# A vote follows the idea unless the voter unfollowed it (follows.follow_implicitly, inside the same statement).
# When the voter was recalled, not read, for this request ($11 their session), nothing is written unless that session
# is live and its user still active, verified and of the role recalled ($12 now, $13 role): `signed`.
VOTE_SQL = """
WITH signed AS (
  SELECT $11::varchar IS NULL OR EXISTS (
    SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $11::varchar AND s.expires > $12::bigint
      AND s.user_id = $2 AND u.is_active AND u.role = $13::varchar AND u.email_verified_at IS NOT NULL) AS ok
), idea AS (
  SELECT id, title, status, upvotes, downvotes, score, space, hidden, campaign_id FROM ideas
  WHERE id = $1 AND (NOT hidden OR $7::boolean) AND space = ANY($8::varchar[]) FOR UPDATE
), old AS (
  SELECT coalesce((SELECT value FROM votes WHERE idea_id = $1 AND user_id = $2), 0) AS value
), barred AS (
  SELECT EXISTS (SELECT 1 FROM suspensions WHERE user_id = $2 AND lifted_at IS NULL
                 AND (ends_at IS NULL OR ends_at > now())) AS b
), open AS (
  SELECT old.value FROM idea, old, barred, signed WHERE signed.ok AND idea.status <> ALL($4::varchar[])
    AND old.value <> $3 AND NOT barred.b AND (idea.campaign_id IS NULL OR $9::boolean)
    AND idea.space <> ALL($10::varchar[])
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
  b.upvotes AS new_up, b.downvotes AS new_down, b.score AS new_score, idea.upvotes, idea.downvotes, idea.score,
  idea.space, idea.hidden, idea.campaign_id, barred.b AS barred, signed.ok AS signed
FROM signed CROSS JOIN old CROSS JOIN barred LEFT JOIN idea ON true LEFT JOIN bumped b ON true
"""


async def _cast_vote_postgres(idea_id: int, user: User, value: int, campaign_checked: bool,
                              session: str | None = None) -> Tally:
    """cast_vote's one-statement version (see VOTE_SQL)."""
    sees_hidden, spaces = _sight(user)
    no_votes = list(statuses.keys_where("accepts_votes", False))  # the statuses admins put in done or closed phases
    _unused, rows = await connections.get("default").execute_query(VOTE_SQL, [
        idea_id, user.id, value, no_votes, float(HOT_EPOCH), float(HOT_SECONDS_PER_DECADE), sees_hidden, spaces,
        campaign_checked, board_budget.spaces(), *_session_check(session, user)])
    row = rows[0]
    if not row["signed"]:
        raise SessionChanged()
    if row["status"] is None or row["barred"]:
        await suspensions.ensure_may_write(user)  # a suspended member hears that first, as on every write
        if row["status"] is not None:
            raise _Raced()  # the suspension ended in between: vote again
        raise NotFound(idea_id)
    if row["campaign_id"] is not None and not campaign_checked:
        raise _InCampaign(row["campaign_id"])
    if row["space"] in board_budget.spaces():
        raise _OnBudgetBoard(row["space"])
    if not Status(row["status"]).accepts_votes:
        raise NotAllowed(_('Voting is closed: this idea is %(Status)s.', Status=Status(row['status']).label.lower()))
    where = (row["space"], row["hidden"], row["campaign_id"])
    if not row["wanted"]:  # already this value: nothing to do
        return Tally(idea_id, row["upvotes"], row["downvotes"], row["score"], value, row["title"], None, *where)
    if row["new_score"] is None:
        raise _Raced()
    return Tally(idea_id, row["new_up"], row["new_down"], row["new_score"], value, row["title"], row["score"], *where)


# SQLite: the plain vote's statements, run together in one hop to the connection's thread (_sqlite_vote_work).
# The write lock is held from the first (BEGIN IMMEDIATE), so the person's old vote and the counters read here are
# the ones the writes apply to, across processes: no race to retry.
SQLITE_SESSION = (f"SELECT 1 FROM {Session._meta.db_table} s JOIN {User._meta.db_table} u ON u.id = s.user_id "
                  "WHERE s.id = ? AND s.expires > ? AND s.user_id = ? AND u.is_active AND u.role = ? "
                  "AND u.email_verified_at IS NOT NULL")
SQLITE_SUSPENSIONS = f"SELECT ends_at FROM {Suspension._meta.db_table} WHERE user_id = ? AND lifted_at IS NULL"
SQLITE_IDEA = (f"SELECT i.title, i.status, i.upvotes, i.downvotes, i.score, i.space, i.hidden, i.campaign_id, "
               f"i.created_at, (SELECT value FROM {Vote._meta.db_table} WHERE idea_id = i.id AND user_id = ?) AS old "
               f"FROM {Idea._meta.db_table} i WHERE i.id = ?")
SQLITE_INSERT_VOTE = f"INSERT INTO {Vote._meta.db_table} (idea_id, user_id, value, created_at) VALUES (?, ?, ?, ?)"
SQLITE_UPDATE_VOTE = f"UPDATE {Vote._meta.db_table} SET value = ? WHERE idea_id = ? AND user_id = ?"
SQLITE_DELETE_VOTE = f"DELETE FROM {Vote._meta.db_table} WHERE idea_id = ? AND user_id = ?"
SQLITE_COUNTERS = f"UPDATE {Idea._meta.db_table} SET upvotes = ?, downvotes = ?, score = ?, hot = ? WHERE id = ?"


class _Elsewhere(Exception):
    """The SQLite vote found a rule it leaves to the ORM path (a suspension's message, a campaign, a budget board)."""


class _Closed(Exception):
    """The idea's status takes no votes."""

    def __init__(self, status: str) -> None:
        self.status = status


async def _cast_vote_sqlite(conn, idea_id: int, user: User, value: int, session: str | None) -> Tally | None:
    """The plain vote on SQLite in one hop (sqliteconn.write_in_one_hop); None when the ORM path must decide."""
    sees_hidden, spaces = _sight(user)
    no_votes = frozenset(statuses.keys_where("accepts_votes", False))
    try:
        return await sqliteconn.write_in_one_hop(conn, _sqlite_vote_work, idea_id, user.id, value, sees_hidden,
                                                 frozenset(spaces), no_votes, frozenset(board_budget.spaces()),
                                                 _session_check(session, user))
    except _Elsewhere:
        return None
    except _Closed as closed:
        label = Status(closed.status).label.lower()
        raise NotAllowed(_('Voting is closed: this idea is %(Status)s.', Status=label)) from None


def _sqlite_vote_work(db, idea_id: int, user_id: int, value: int, sees_hidden: bool, spaces: frozenset[str],
                      no_votes: frozenset[str], budget_spaces: frozenset[str],
                      session_check: tuple[str | None, int, str]) -> Tally:
    """_cast_vote_once's rules and writes as plain statements, in the caller's write transaction (no awaits)."""
    session, at, role = session_check
    if session is not None and db.execute(SQLITE_SESSION, (session, at, user_id, role)).fetchone() is None:
        raise SessionChanged()
    now = datetime.now(UTC)
    stamp = now.isoformat(" ")  # as Tortoise writes datetimes on SQLite (sqlite3's own adapter is deprecated)
    ends = Suspension._meta.fields_map["ends_at"].to_python_value
    if any(row[0] is None or ends(row[0]) > now for row in db.execute(SQLITE_SUSPENSIONS, (user_id,))):
        raise _Elsewhere()  # suspensions.ensure_may_write says so, with its message
    row = db.execute(SQLITE_IDEA, (user_id, idea_id)).fetchone()
    if row is None:
        raise NotFound(idea_id)
    if row["campaign_id"] is not None or row["space"] in budget_spaces:
        raise _Elsewhere()  # the campaign's rules, or the board's budget
    if row["space"] not in spaces or (row["hidden"] and not sees_hidden):
        raise NotFound(idea_id)
    if row["status"] in no_votes:
        raise _Closed(row["status"])  # said in the request's language, which this thread does not know
    old = row["old"] or 0
    where = (Space(row["space"]).value, bool(row["hidden"]), None)
    if old == value:
        return Tally(idea_id, row["upvotes"], row["downvotes"], row["score"], value, row["title"], None, *where)
    if old == 0:
        db.execute(SQLITE_INSERT_VOTE, (idea_id, user_id, value, stamp))
    elif value == 0:
        db.execute(SQLITE_DELETE_VOTE, (idea_id, user_id))
    else:
        db.execute(SQLITE_UPDATE_VOTE, (value, idea_id, user_id))
    if value:
        db.execute(follows.FOLLOW_UNLESS_UNFOLLOWED, (idea_id, user_id, stamp))
    up = row["upvotes"] + (value == 1) - (old == 1)
    down = row["downvotes"] + (value == -1) - (old == -1)
    created_at = Idea._meta.fields_map["created_at"].to_python_value(row["created_at"])
    db.execute(SQLITE_COUNTERS, (up, down, up - down, hot_score(up - down, created_at), idea_id))
    return Tally(idea_id, up, down, up - down, value, row["title"], row["score"], *where)


async def _cast_vote_once(idea_id: int, user: User, value: int, _campaign_checked: bool = True,
                          _session: str | None = None) -> Tally:
    """cast_vote on SQLite, through the ORM in one transaction."""
    sees_hidden, spaces = _sight(user)
    async with in_transaction() as conn:
        idea, vote = await vote_lock.lock_open_idea(conn, idea_id, user.id, spaces, sees_hidden)
        old = vote.value if vote else 0
        previous = idea.score if old != value else None
        if old != value:
            await vote_lock.store(conn, vote, idea_id, user.id, value)
            if value:
                await follows.follow_implicitly(user.id, idea_id, conn)
            _apply_delta(idea, old, value)
            await idea.save(update_fields=["upvotes", "downvotes", "score", "hot"], using_db=conn)
    return Tally(idea.id, idea.upvotes, idea.downvotes, idea.score, value, idea.title, previous,
                 Space(idea.space).value, idea.hidden, idea.campaign_id)


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

