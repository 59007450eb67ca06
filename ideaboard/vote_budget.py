"""Vote budgets (UserVoice's model): in a budget campaign each member spreads N votes, at most M on one idea.

A budget vote locks the idea row (so one idea's counters stay exact), then moves the member's VoteBudget row with
one conditional UPDATE (`spent + n <= budget`): concurrent requests by one member queue on that row and each
re-checks the condition, so the budget is never overspent. Locks are always taken idea first, budget second.
Votes come back when an idea closes (launched, declined, merged, archived); demotes are off in budget campaigns.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from ideaboard import follows, notice_text, notification_prefs, statuses, vote_lock
from ideaboard.errors import NotAllowed
from ideaboard.i18n import gettext as _
from ideaboard.i18n import ngettext
from ideaboard.ideas import hot_score
from ideaboard.models import Campaign, Delivery, Idea, Notification, NotificationKind, Status, User, Vote, VoteBudget


@dataclass(frozen=True)
class Budget:
    """What the vote widget says: "3 of 10 votes left", at most `per_idea` on one idea."""

    campaign_id: int
    total: int
    spent: int
    per_idea: int

    @property
    def left(self) -> int:
        return max(self.total - self.spent, 0)


async def budget_of(campaign: Campaign | None, user: User | None) -> Budget | None:
    """The member's budget in a budget campaign (None elsewhere, or for visitors)."""
    if campaign is None or not campaign.vote_budget or user is None:
        return None
    row = await VoteBudget.get_or_none(campaign_id=campaign.id, user_id=user.id)
    return Budget(campaign.id, campaign.vote_budget, row.spent if row else 0, campaign.max_votes_per_idea)


async def budgets_for(ideas: Sequence[Idea], user: User | None) -> dict[int, Budget]:
    """The member's budget in each budget campaign of a list's ideas (no query when none is in a campaign)."""
    ids = {i.campaign_id for i in ideas if i.campaign_id}
    if user is None or not ids:
        return {}
    found = await Campaign.filter(id__in=list(ids), vote_budget__not_isnull=True)
    if not found:
        return {}
    spent = dict(await VoteBudget.filter(user_id=user.id, campaign_id__in=[c.id for c in found])
                 .values_list("campaign_id", "spent"))
    return {c.id: Budget(c.id, c.vote_budget or 0, int(spent.get(c.id, 0)), c.max_votes_per_idea)
            for c in found}


async def _ensure_row(campaign: Campaign, user: User) -> None:
    """The row the conditional UPDATE moves (made once, outside the vote's transaction)."""
    if not await VoteBudget.filter(campaign_id=campaign.id, user_id=user.id).exists():
        with contextlib.suppress(IntegrityError):  # the member's other request made it
            await VoteBudget.create(campaign_id=campaign.id, user_id=user.id, spent=0)


def _wanted(old: int, step: int, per_idea: int) -> int:
    """up adds one vote, down takes one back, none takes them all back."""
    if step == 0:
        return 0
    if step > 0 and old >= per_idea:
        raise NotAllowed(ngettext('You can put at most %(num)s vote on one idea.',
                                  'You can put at most %(num)s votes on one idea.', per_idea))
    return max(old + step, 0)


async def cast(idea_id: int, user: User, campaign: Campaign, step: int, spaces: list[str], sees_hidden: bool):
    """Spend (step 1) or take back (step -1, 0 for all) budget votes on an idea; returns (idea, votes on it)."""
    await _ensure_row(campaign, user)
    total = campaign.vote_budget or 0
    async with in_transaction() as conn:
        idea, vote = await vote_lock.lock_open_idea(conn, idea_id, user.id, spaces, sees_hidden, campaign.id)
        old = vote.value if vote else 0
        new = _wanted(old, step, campaign.max_votes_per_idea)
        delta = new - old
        if delta > 0:
            spent = VoteBudget.filter(campaign_id=campaign.id, user_id=user.id, spent__lte=total - delta)
            if not await spent.using_db(conn).update(spent=F("spent") + delta):
                raise NotAllowed(_('You have spent all %(total)s votes of “%(title)s”. Take a vote back from '
                                   'another idea to vote here.', total=total, title=campaign.title))
        elif delta < 0:
            await VoteBudget.filter(campaign_id=campaign.id, user_id=user.id).using_db(conn).update(
                spent=F("spent") + delta)
        if delta:
            await vote_lock.store(conn, vote, idea_id, user.id, new)
            if new:
                await follows.follow_implicitly(user.id, idea_id, conn)
            idea.upvotes += delta
            idea.score += delta
            idea.hot = hot_score(idea.score, idea.created_at)
            await idea.save(update_fields=["upvotes", "score", "hot"], using_db=conn)
    return idea, new, (idea.score - delta if delta else None)


async def settle(idea: Idea, was: Status, now: Status, conn=None) -> int:
    """On closing an idea of a budget campaign (a status in the done or closed phase), its votes go back to each
    voter's budget (and they are told); reopening spends them again. Called in the status change's transaction;
    returns the voters it touched."""
    if Status(was).is_closed == Status(now).is_closed:
        return 0
    return await settle_closing(idea, Status(now).is_closed, Status(now).definition, conn)


async def settle_closing(idea: Idea, closing: bool, status: statuses.StatusDef, conn=None) -> int:
    """The idea's status (`status`, as it is becoming) now counts as closed (`closing`) or open again: give back or
    spend its budget votes."""
    if not idea.campaign_id:
        return 0
    campaign = await Campaign.get_or_none(id=idea.campaign_id)
    if campaign is None or not campaign.vote_budget:
        return 0
    votes = await Vote.filter(idea_id=idea.id, user_id__not_isnull=True).using_db(conn).values_list("user_id", "value")
    sign = -1 if closing else 1
    for user_id, value in votes:
        await VoteBudget.filter(campaign_id=campaign.id, user_id=user_id).using_db(conn).update(
            spent=F("spent") + sign * value)
    if sign < 0:
        await _tell_refunds(idea, campaign, status, dict(votes), conn)
    return len(votes)


async def _tell_refunds(idea: Idea, campaign: Campaign, status: statuses.StatusDef, votes: dict, conn) -> None:
    wanted = await notification_prefs.deliveries(list(votes), NotificationKind.CAMPAIGNS)
    told = {uid: how for uid, how in wanted.items() if how is not Delivery.OFF}
    rows = []
    for uid, how in sorted(told.items()):
        params = _refund_params(votes[uid], idea, campaign, status)
        rows.append(Notification(user_id=uid, idea_id=idea.id, kind=NotificationKind.CAMPAIGNS, delivery=how,
                                 message=notice_text.english(params, status_name=status.name), params=params))
    await Notification.bulk_create(rows, using_db=conn)


def _refund_params(count: int, idea: Idea, campaign: Campaign, status: statuses.StatusDef) -> dict:
    """The status by its key, so each voter reads its name as their board shows it (notice_text.py)."""
    return {"text": "refund", "title": notice_text.short(idea.title, 80), "status": status.key, "votes": count,
            "campaign": campaign.title}


async def after_merge(source: Idea, target: Idea) -> None:
    """A merge moved B's votes onto A (merge.py): budget votes weigh their value, and each voter's spending is
    counted again from the votes on open ideas (B is closed now; someone who voted on both kept A's vote)."""
    ids = {i for i in (source.campaign_id, target.campaign_id) if i}
    budgeted = await Campaign.filter(id__in=list(ids), vote_budget__not_isnull=True) if ids else []
    if not budgeted:
        return
    if target.campaign_id in {c.id for c in budgeted}:
        values = await Vote.filter(idea_id=target.id).values_list("value", flat=True)
        target.upvotes = target.score = sum(values)  # type: ignore[arg-type]
        target.downvotes = 0
        target.hot = hot_score(target.score, target.created_at)
        await target.save(update_fields=["upvotes", "downvotes", "score", "hot"])
    voters = [u for u in await Vote.filter(idea_id=target.id).values_list("user_id", flat=True) if u is not None]
    closed = list(statuses.keys_where("is_closed"))
    for campaign in budgeted:
        for user_id in voters:
            values = await (Vote.filter(user_id=user_id, idea__campaign_id=campaign.id)
                            .exclude(idea__status__in=closed).values_list("value", flat=True))
            await VoteBudget.filter(campaign_id=campaign.id, user_id=user_id).update(spent=sum(values))
