"""Vote budgets (UserVoice's model): each member spreads N votes, at most M on one idea, in a budget campaign or
on a board (space) with a budget (board_budget.py; ideas of a budget campaign spend the campaign's).

A budget vote locks the idea row (so one idea's counters stay exact), then moves the member's spending row of what
the budget belongs to (a Holder: VoteBudget for a campaign, BoardVoteBudget for a board) with one conditional UPDATE
(`spent + n <= budget`): concurrent requests by one member queue on that row and each re-checks the condition, so
the budget is never overspent. Locks are always taken idea first, budget second. Votes come back when an idea closes
(launched, declined, merged, archived); demotes are off in budget campaigns, off or free on a board.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from ideaboard import board_budget, follows, notice_text, notification_prefs, statuses, vote_lock
from ideaboard.errors import NotAllowed
from ideaboard.i18n import gettext as _
from ideaboard.i18n import ngettext
from ideaboard.ideas import hot_score
from ideaboard.models import (
    BoardVoteBudget,
    Campaign,
    Delivery,
    Idea,
    Notification,
    NotificationKind,
    Status,
    User,
    Vote,
    VoteBudget,
)


@dataclass(frozen=True)
class Budget:
    """What the vote widget says: "3 of 10 votes left", at most `per_idea` on one idea."""

    key: str  # the widget's budget-tally-<key> class: a campaign's id, or board-<space>
    total: int
    spent: int
    per_idea: int
    demotes_free: bool = False

    @property
    def left(self) -> int:
        return max(self.total - self.spent, 0)


@dataclass(frozen=True)
class Holder:
    """What a budget belongs to: a budget campaign, or a board (space) with a budget outside those campaigns."""

    model: type[VoteBudget] | type[BoardVoteBudget]
    where: dict[str, Any]  # the member's spending row: {"campaign_id": 5} or {"space": "public"}
    key: str
    total: int
    per_idea: int
    demotes_free: bool
    title: str  # the campaign's title; empty for a board

    @property
    def campaign_id(self) -> int | None:
        return self.where.get("campaign_id")

    @property
    def space(self) -> str | None:
        return self.where.get("space")


def of_campaign(campaign: Campaign) -> Holder:
    return Holder(VoteBudget, {"campaign_id": campaign.id}, str(campaign.id), campaign.vote_budget or 0,
                  campaign.max_votes_per_idea, False, campaign.title)


def of_board(rule: board_budget.Rule) -> Holder:
    return Holder(BoardVoteBudget, {"space": rule.space}, f"board-{rule.space}", rule.total, rule.per_idea,
                  rule.demotes_free, "")


async def _spent(holder: Holder, user: User) -> int:
    row = await holder.model.get_or_none(**holder.where, user_id=user.id)
    return row.spent if row else await _counted(holder, user.id)


def _budget(holder: Holder, spent: int) -> Budget:
    return Budget(holder.key, holder.total, spent, holder.per_idea, holder.demotes_free)


async def budget_of(campaign: Campaign | None, user: User | None) -> Budget | None:
    """The member's budget in a budget campaign (None elsewhere, or for visitors)."""
    if campaign is None or not campaign.vote_budget or user is None:
        return None
    holder = of_campaign(campaign)
    return _budget(holder, await _spent(holder, user))


async def budget_for_idea(space: str, campaign_id: int | None, user: User | None) -> Budget | None:
    """The budget a vote on this idea spends: its budget campaign's, else its board's (None: promote/demote)."""
    if user is None:
        return None
    campaign = await Campaign.get_or_none(id=campaign_id) if campaign_id else None
    if campaign is not None and campaign.vote_budget:
        return await budget_of(campaign, user)
    rule = board_budget.rule(space)
    if rule is None:
        return None
    holder = of_board(rule)
    return _budget(holder, await _spent(holder, user))


async def budgets_for(ideas: Sequence[Idea], user: User | None) -> dict[int, Budget]:
    """The budget each idea of a list spends, by idea id (no query when no idea is in a campaign or on a budget
    board)."""
    ids = {i.campaign_id for i in ideas if i.campaign_id}
    boards = {str(i.space) for i in ideas if board_budget.rule(str(i.space))}
    if user is None or not (ids or boards):
        return {}
    found = await Campaign.filter(id__in=list(ids), vote_budget__not_isnull=True) if ids else []
    by_campaign: dict[int, Budget] = {}
    if found:
        spent = dict(await VoteBudget.filter(user_id=user.id, campaign_id__in=[c.id for c in found])
                     .values_list("campaign_id", "spent"))
        by_campaign = {c.id: _budget(of_campaign(c), int(spent.get(c.id, 0))) for c in found}
    by_board: dict[str, Budget] = {}
    for space in boards:
        rule = board_budget.rule(space)
        if rule is not None:
            holder = of_board(rule)
            by_board[space] = _budget(holder, await _spent(holder, user))
    chosen = {i.id: by_campaign.get(i.campaign_id or 0) or by_board.get(str(i.space)) for i in ideas}
    return {idea_id: budget for idea_id, budget in chosen.items() if budget is not None}


async def _counted(holder: Holder, user_id: int, conn=None) -> int:
    """What the member has spent: the promotes on the holder's open ideas (a board's: outside budget campaigns),
    which is also what turning a board's budget on counts against it."""
    closed = list(statuses.keys_where("is_closed"))
    votes = Vote.filter(user_id=user_id, value__gt=0).exclude(idea__status__in=closed).using_db(conn)
    if holder.campaign_id is not None:
        values: list[Any] = await votes.filter(idea__campaign_id=holder.campaign_id).values_list("value", flat=True)
        return sum(int(v) for v in values)
    budgeted = set(await Campaign.filter(vote_budget__not_isnull=True).using_db(conn).values_list("id", flat=True))
    rows = await votes.filter(idea__space=holder.space).values_list("value", "idea__campaign_id")
    return sum(value for value, campaign_id in rows if campaign_id is None or campaign_id not in budgeted)


async def _ensure_row(holder: Holder, user: User) -> None:
    """The row the conditional UPDATE moves (made once, outside the vote's transaction), counting the member's
    votes from before: a board's from before its budget was turned on, a campaign's on ideas moved into it."""
    if not await holder.model.filter(**holder.where, user_id=user.id).exists():
        spent = await _counted(holder, user.id)
        with contextlib.suppress(IntegrityError):  # the member's other request made it
            await holder.model.create(**holder.where, user_id=user.id, spent=spent)


def _wanted(old: int, step: int, holder: Holder) -> int:
    """up adds one vote, down takes one back (or, on a board with free demotes, demotes), none takes all back."""
    if step == 0:
        return 0
    if step > 0:
        if old >= holder.per_idea:
            raise NotAllowed(ngettext('You can put at most %(num)s vote on one idea.',
                                      'You can put at most %(num)s votes on one idea.', holder.per_idea))
        return max(old, 0) + 1  # from a demote, straight to one promote (as the promote/demote widget does)
    if old > 0:
        return old - 1
    if holder.space is None or old < 0:
        return old  # a budget campaign has no demotes; a demote stays one
    if not holder.demotes_free:
        raise NotAllowed(_('Demotes are off on this board: give your votes to the ideas you want most.'))
    return -1


def _refused(holder: Holder) -> NotAllowed:
    if holder.campaign_id is not None:
        return NotAllowed(_('You have spent all %(total)s votes of “%(title)s”. Take a vote back from '
                            'another idea to vote here.', total=holder.total, title=holder.title))
    return NotAllowed(_('You have spent all %(total)s votes on this board. Take a vote back from another idea to '
                        'vote here.', total=holder.total))


async def cast(idea_id: int, user: User, holder: Holder, step: int, spaces: list[str], sees_hidden: bool):
    """Spend (step 1) or take back (step -1, 0 for all) budget votes on an idea; returns (idea, votes on it,
    score before)."""
    await _ensure_row(holder, user)
    if holder.space is not None:
        spaces = [s for s in spaces if s == holder.space]  # the idea must still be on this board
    async with in_transaction() as conn:
        idea, vote = await vote_lock.lock_open_idea(conn, idea_id, user.id, spaces, sees_hidden, holder.campaign_id)
        old = vote.value if vote else 0
        new = _wanted(old, step, holder)
        cost = max(new, 0) - max(old, 0)  # a demote costs nothing
        if cost > 0:
            spent = holder.model.filter(**holder.where, user_id=user.id, spent__lte=holder.total - cost)
            if not await spent.using_db(conn).update(spent=F("spent") + cost):
                raise _refused(holder)
        elif cost < 0:
            await holder.model.filter(**holder.where, user_id=user.id).using_db(conn).update(
                spent=F("spent") + cost)
        if new == old:
            return idea, new, None
        await vote_lock.store(conn, vote, idea_id, user.id, new)
        if new:
            await follows.follow_implicitly(user.id, idea_id, conn)
        previous = idea.score
        demotes = (new < 0) - (old < 0)
        idea.upvotes += cost
        idea.downvotes += demotes
        idea.score += cost - demotes
        idea.hot = hot_score(idea.score, idea.created_at)
        await idea.save(update_fields=["upvotes", "downvotes", "score", "hot"], using_db=conn)
    return idea, new, previous


async def settle(idea: Idea, was: Status, now: Status, conn=None) -> int:
    """On closing an idea that spends a budget (its budget campaign's or its board's; a status in the done or closed
    phase), its votes go back to each voter's budget (and they are told); reopening spends them again. Called in the
    status change's transaction; returns the voters it touched."""
    if Status(was).is_closed == Status(now).is_closed:
        return 0
    return await settle_closing(idea, Status(now).is_closed, Status(now).definition, conn)


async def holder_of(idea: Idea, conn=None) -> Holder | None:
    """The budget an idea's votes spend: its budget campaign's, else its board's, else none."""
    if idea.campaign_id:
        campaign = await Campaign.get_or_none(id=idea.campaign_id, using_db=conn)
        if campaign is not None and campaign.vote_budget:
            return of_campaign(campaign)
    rule = board_budget.rule(str(idea.space))
    return of_board(rule) if rule is not None else None


async def settle_closing(idea: Idea, closing: bool, status: statuses.StatusDef, conn=None) -> int:
    """The idea's status (`status`, as it is becoming) now counts as closed (`closing`) or open again: give back or
    spend its budget votes."""
    if not idea.campaign_id and board_budget.rule(str(idea.space)) is None:
        return 0
    holder = await holder_of(idea, conn)
    if holder is None:
        return 0
    votes = await (Vote.filter(idea_id=idea.id, user_id__not_isnull=True, value__gt=0).using_db(conn)
                   .values_list("user_id", "value"))
    sign = -1 if closing else 1
    for user_id, value in votes:
        await holder.model.filter(**holder.where, user_id=user_id).using_db(conn).update(
            spent=F("spent") + sign * value)
    if sign < 0:
        await _tell_refunds(idea, holder, status, dict(votes), conn)
    return len(votes)


async def _tell_refunds(idea: Idea, holder: Holder, status: statuses.StatusDef, votes: dict, conn) -> None:
    wanted = await notification_prefs.deliveries(list(votes), NotificationKind.CAMPAIGNS)
    told = {uid: how for uid, how in wanted.items() if how is not Delivery.OFF}
    rows = []
    for uid, how in sorted(told.items()):
        params = _refund_params(votes[uid], idea, holder, status)
        rows.append(Notification(user_id=uid, idea_id=idea.id, kind=NotificationKind.CAMPAIGNS, delivery=how,
                                 message=notice_text.english(params, status_name=status.name), params=params))
    await Notification.bulk_create(rows, using_db=conn)


def _refund_params(count: int, idea: Idea, holder: Holder, status: statuses.StatusDef) -> dict:
    """The status by its key, so each voter reads its name as their board shows it (notice_text.py); where the
    votes went back: the campaign by its title, else the board."""
    where = {"campaign": holder.title} if holder.campaign_id is not None else {"board": holder.space}
    return {"text": "refund", "title": notice_text.short(idea.title, 80), "status": status.key, "votes": count,
            **where}


async def after_merge(source: Idea, target: Idea) -> None:
    """A merge moved B's votes onto A (merge.py); B is closed now, and someone who voted on both kept A's vote."""
    await recount_moved(source, target)


async def recount_moved(*ideas: Idea, previous: Holder | None = None) -> None:
    """Votes moved between these ideas (a merge, or its undoing), or an idea moved into or out of a budget campaign
    (whose budget it spent: `previous`): a budget idea's totals weigh each vote's value, and each of their voters'
    spending is counted again from the votes on open ideas."""
    holders = {previous.key: previous} if previous is not None else {}
    for idea in ideas:
        holder = await holder_of(idea)
        if holder is None:
            continue
        holders[holder.key] = holder
        values: list[Any] = await Vote.filter(idea_id=idea.id).values_list("value", flat=True)
        idea.upvotes = sum(v for v in values if v > 0)
        idea.downvotes = sum(1 for v in values if v < 0)
        idea.score = idea.upvotes - idea.downvotes
        idea.hot = hot_score(idea.score, idea.created_at)
        await idea.save(update_fields=["upvotes", "downvotes", "score", "hot"])
    if not holders:
        return
    rows: list[Any] = await Vote.filter(idea_id__in=[i.id for i in ideas]).values_list("user_id", flat=True)
    for holder in holders.values():
        for user_id in sorted({int(u) for u in rows if u}):
            await holder.model.filter(**holder.where, user_id=user_id).update(
                spent=await _counted(holder, user_id))
