"""Voting: one vote per person per idea (unique constraint), counters kept exact under concurrency."""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from ideaboard import (
    auth,
    board_budget,
    campaigns,
    follows,
    group_commit,
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

    On Postgres a vote on an idea of no campaign is one statement (the suspension check included, see VOTES_SQL),
    shared with the votes that arrived while the last one was on its way (group_commit; the SQLite hop likewise);
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


# Postgres: the whole vote is one statement, one round trip, no explicit transaction, and the votes that arrive
# while one statement is on its way go together in the next (group_commit: one statement and one commit for them
# all). Each vote is a row of the arrays ($1-$8, unnested in order: `ord`); no two in one statement are the same
# person's on the same idea.
# The ideas are locked first, in id order, so votes on one idea are serialised exactly as before and two statements
# never wait for each other in a circle. Each person's old vote comes from the statement's snapshot, so each write
# only applies if the row still holds that value (else _Raced: that vote retries), and the counters move by the
# deltas of the writes that happened, summed per idea. Each vote's counts are those right after it (the idea's
# final counts less the deltas of the votes after it in the statement), as if the votes had gone one at a time.
# Hot is hot_score() in SQL (same formula, rounded).
# The visibility rule ($4 sees hidden, $5 the visible spaces) is in the idea lookup, so an idea the voter may not see
# returns no idea (404) and the vote needs no separate read of the idea.
# Nothing is written while the voter is suspended (`barred`, suspensions.current's rule) or while the idea is in a
# campaign whose rules the caller has not checked yet ($6 false), nor while it is on a board with a vote budget
# ($10, board_budget.spaces()): the row then says so and cast_vote acts on it.
# A vote follows the idea unless the voter unfollowed it (follows.follow_implicitly, inside the same statement).
# When the voter was recalled, not read, for this request ($7 their session), nothing is written unless that session
# is live and its user still active, verified and of the role recalled ($11 now, $8 role): `signed`, a lookup per
# vote by key (as an EXISTS the planner hashed every live session with its user, once per statement).
# The arrays reach the plan only through (SELECT $n): no plan of the statement knows how many votes it carries, so
# every plan costs the same and Postgres keeps the generic one after five runs instead of planning this statement
# anew for each group (0.5-0.7 ms of Postgres CPU, the larger part of a small group's cost).
VOTES_SQL = """
WITH v AS MATERIALIZED (
  SELECT * FROM unnest((SELECT $1::int[]), (SELECT $2::int[]), (SELECT $3::int[]), (SELECT $4::boolean[]),
    (SELECT $5::varchar[]), (SELECT $6::boolean[]), (SELECT $7::varchar[]), (SELECT $8::varchar[]))
    WITH ORDINALITY AS v(idea_id, user_id, value, sees_hidden, spaces, campaign_checked, session, role, ord)
), locked AS MATERIALIZED (
  SELECT id, title, status, upvotes, downvotes, score, space, hidden, campaign_id FROM ideas
  WHERE id = ANY(CAST((SELECT $1::int[]) AS int[])) ORDER BY id FOR UPDATE
), w AS MATERIALIZED (
  SELECT v.ord, v.idea_id, v.user_id, v.value, v.campaign_checked, v.session IS NULL OR sg.signed AS signed,
    coalesce((SELECT x.value FROM votes x WHERE x.idea_id = v.idea_id AND x.user_id = v.user_id), 0) AS old,
    EXISTS (SELECT 1 FROM suspensions WHERE user_id = v.user_id AND lifted_at IS NULL
            AND (ends_at IS NULL OR ends_at > now())) AS barred,
    i.title, i.status, i.upvotes, i.downvotes, i.score, i.space, i.hidden, i.campaign_id
  FROM v LEFT JOIN LATERAL (
      SELECT true AS signed FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = v.session
        AND s.expires > $11::bigint AND s.user_id = v.user_id AND u.is_active AND u.role = v.role
        AND u.email_verified_at IS NOT NULL) sg ON true
    LEFT JOIN locked i ON i.id = v.idea_id AND (NOT i.hidden OR v.sees_hidden)
    AND i.space = ANY(string_to_array(v.spaces, ','))
), open AS MATERIALIZED (
  SELECT ord, idea_id, user_id, value, old FROM w WHERE signed AND status <> ALL($9::varchar[]) AND old <> value
    AND NOT barred AND (campaign_id IS NULL OR campaign_checked) AND space <> ALL($10::varchar[])
), ins AS (
  INSERT INTO votes (idea_id, user_id, value, created_at)
  SELECT idea_id, user_id, value, now() FROM open WHERE old = 0 RETURNING idea_id, user_id
), upd AS (
  UPDATE votes SET value = open.value FROM open WHERE votes.idea_id = open.idea_id AND votes.user_id = open.user_id
    AND open.value <> 0 AND open.old <> 0 AND votes.value = open.old RETURNING open.ord
), followed AS (
  INSERT INTO follows (idea_id, user_id, created_at)
  SELECT idea_id, user_id, now() FROM open WHERE value <> 0 ON CONFLICT (idea_id, user_id) DO NOTHING
), del AS (
  DELETE FROM votes USING open WHERE votes.idea_id = open.idea_id AND votes.user_id = open.user_id
    AND open.value = 0 AND votes.value = open.old RETURNING open.ord
), changed AS MATERIALIZED (
  SELECT o.ord, o.idea_id, (o.value = 1)::int - (o.old = 1)::int AS up, (o.value = -1)::int - (o.old = -1)::int AS down
  FROM open o WHERE o.ord IN (SELECT ord FROM upd UNION ALL SELECT ord FROM del
                              UNION ALL SELECT o2.ord FROM ins JOIN open o2 USING (idea_id, user_id))
), sums AS (
  SELECT idea_id, sum(up)::int AS up, sum(down)::int AS down FROM changed GROUP BY idea_id
), bumped AS (
  UPDATE ideas SET upvotes = upvotes + sums.up, downvotes = downvotes + sums.down,
    score = score + sums.up - sums.down,
    hot = round((sign((score + sums.up - sums.down)::float8)
        * log(greatest(abs(score + sums.up - sums.down), 1)::float8)
      + (extract(epoch FROM created_at)::float8 - $12) / $13)::numeric, 7)::float8
  FROM sums WHERE ideas.id = sums.idea_id RETURNING ideas.id, ideas.upvotes, ideas.downvotes, ideas.score
), at AS (
  SELECT w.ord, c.ord IS NOT NULL AS changed, coalesce(c.up, 0) AS up, coalesce(c.down, 0) AS down,
    coalesce(b.upvotes, w.upvotes) - coalesce((SELECT sum(l.up) FROM changed l
                                               WHERE l.idea_id = w.idea_id AND l.ord > w.ord), 0) AS upvotes,
    coalesce(b.downvotes, w.downvotes) - coalesce((SELECT sum(l.down) FROM changed l
                                                   WHERE l.idea_id = w.idea_id AND l.ord > w.ord), 0) AS downvotes
  FROM w LEFT JOIN changed c ON c.ord = w.ord LEFT JOIN bumped b ON b.id = w.idea_id
)
SELECT w.title, w.status, w.old, (SELECT count(*) FROM open WHERE open.ord = w.ord) AS wanted,
  CASE WHEN at.changed THEN at.upvotes END AS new_up, CASE WHEN at.changed THEN at.downvotes END AS new_down,
  CASE WHEN at.changed THEN at.upvotes - at.downvotes END AS new_score,
  at.upvotes - at.up AS upvotes, at.downvotes - at.down AS downvotes,
  at.upvotes - at.up - at.downvotes + at.down AS score,
  w.space, w.hidden, w.campaign_id, w.barred, w.signed
FROM w JOIN at ON at.ord = w.ord ORDER BY w.ord
"""


@dataclass(frozen=True)
class _Ask:
    """One vote for VOTES_SQL."""

    idea_id: int
    user_id: int
    value: int
    sees_hidden: bool
    spaces: str  # comma-separated
    campaign_checked: bool
    session: str | None
    role: str


def _ask(idea_id: int, user: User, value: int, campaign_checked: bool, session: str | None) -> _Ask:
    sees_hidden, spaces = _sight(user)
    session, _now, role = _session_check(session, user)
    return _Ask(idea_id, user.id, value, sees_hidden, ",".join(spaces), campaign_checked, session, role)


async def _votes_postgres(conn, asks: list[_Ask]) -> list:
    """VOTES_SQL's rows for these votes, in order."""
    no_votes = list(statuses.keys_where("accepts_votes", False))  # the statuses admins put in done or closed phases
    _unused, rows = await conn.execute_query(VOTES_SQL, [
        [a.idea_id for a in asks], [a.user_id for a in asks], [a.value for a in asks], [a.sees_hidden for a in asks],
        [a.spaces for a in asks], [a.campaign_checked for a in asks], [a.session for a in asks],
        [a.role for a in asks], no_votes, board_budget.spaces(), int(time.time()), float(HOT_EPOCH),
        float(HOT_SECONDS_PER_DECADE)])
    return list(rows)


_pg_groups: weakref.WeakKeyDictionary[Any, group_commit.Group[_Ask, Any]] = weakref.WeakKeyDictionary()


def _pg_group(conn) -> group_commit.Group[_Ask, Any]:
    """The process's group commit of votes on this (pooled, not transaction's) client."""
    found = _pg_groups.get(conn)
    if found is None:
        async def send(asks: list[_Ask]) -> list:
            return await _votes_postgres(conn, asks)

        async def alone(ask: _Ask) -> Any:
            return (await _votes_postgres(conn, [ask]))[0]

        found = _pg_groups[conn] = group_commit.Group(send, alone, key=lambda a: (a.user_id, a.idea_id))
    return found


async def _cast_vote_postgres(idea_id: int, user: User, value: int, campaign_checked: bool,
                              session: str | None = None) -> Tally:
    """cast_vote's one-statement version (see VOTES_SQL): grouped with the process's other votes, unless it runs
    inside a caller's transaction."""
    conn = connections.get("default")
    ask = _ask(idea_id, user, value, campaign_checked, session)
    if isinstance(conn, TransactionalDBClient):
        row = (await _votes_postgres(conn, [ask]))[0]
    else:
        row = await _pg_group(conn).submit(ask)
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


@dataclass(frozen=True)
class _SqliteAsk:
    """One vote for _sqlite_votes_work."""

    idea_id: int
    user_id: int
    value: int
    sees_hidden: bool
    spaces: frozenset[str]
    session_check: tuple[str | None, int, str]


_SQLITE_OUTCOMES = (SessionChanged, _Elsewhere, _Closed, NotFound)  # raised before the vote wrote anything


def _sqlite_votes_work(db, asks: list[_SqliteAsk], no_votes: frozenset[str],
                       budget_spaces: frozenset[str]) -> list[Tally | Exception]:
    """Each vote's _sqlite_vote_work in turn, in one write transaction: a vote refused before writing is its
    outcome; any other failure rolls them all back (group_commit then runs each alone)."""
    outcomes: list[Tally | Exception] = []
    for a in asks:
        try:
            outcomes.append(_sqlite_vote_work(db, a.idea_id, a.user_id, a.value, a.sees_hidden, a.spaces, no_votes,
                                              budget_spaces, a.session_check))
        except _SQLITE_OUTCOMES as refused:
            outcomes.append(refused)
    return outcomes


_sqlite_groups: weakref.WeakKeyDictionary[Any, group_commit.Group[_SqliteAsk, Tally]] = weakref.WeakKeyDictionary()


def _sqlite_group(conn) -> group_commit.Group[_SqliteAsk, Tally]:
    """The process's group commit of votes on this SQLite client: one hop, one transaction for each group."""
    found = _sqlite_groups.get(conn)
    if found is None:
        async def send(asks: list[_SqliteAsk]) -> list[Tally | Exception]:
            no_votes = frozenset(statuses.keys_where("accepts_votes", False))
            return await sqliteconn.write_in_one_hop(conn, _sqlite_votes_work, asks, no_votes,
                                                     frozenset(board_budget.spaces()))

        async def alone(ask: _SqliteAsk) -> Tally:
            outcome = (await send([ask]))[0]
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        found = _sqlite_groups[conn] = group_commit.Group(send, alone, key=lambda a: (a.user_id, a.idea_id))
    return found


async def _cast_vote_sqlite(conn, idea_id: int, user: User, value: int, session: str | None) -> Tally | None:
    """The plain vote on SQLite in one hop (sqliteconn.write_in_one_hop), grouped with the process's other votes;
    None when the ORM path must decide."""
    sees_hidden, spaces = _sight(user)
    try:
        return await _sqlite_group(conn).submit(_SqliteAsk(idea_id, user.id, value, sees_hidden, frozenset(spaces),
                                                           _session_check(session, user)))
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

