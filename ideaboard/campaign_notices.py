"""What a campaign's followers are told: it opened, it closes tomorrow, its results. Each once per campaign.

The worker's cron job calls send_due every minute. A CampaignNotice row (unique per campaign and kind) is written in
the same transaction as the notifications, so two runs at once, or a rerun, tell nobody twice.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from ideaboard import clock, notice_text, notification_prefs
from ideaboard.campaigns import CLOSING_NOTICE, voting_ends
from ideaboard.models import (
    Campaign,
    CampaignFollow,
    CampaignNotice,
    Delivery,
    Notification,
    NotificationKind,
    Role,
    Space,
    User,
)

OPENED, CLOSING, RESULTS = "opened", "closing", "results"


def due_kinds(campaign: Campaign, now: datetime) -> list[str]:
    """Which notices this campaign owes at `now` (those already sent are filtered out by the caller)."""
    kinds = []
    if campaign.opens_at <= now < campaign.closes_at:
        kinds.append(OPENED)
    if campaign.closes_at - CLOSING_NOTICE <= now < campaign.closes_at:
        kinds.append(CLOSING)
    if now >= voting_ends(campaign):
        kinds.append(RESULTS)
    return kinds


def params(campaign: Campaign, kind: str) -> dict[str, str]:
    """What the notice says (notice_text.py), so each follower reads it in their language and date format."""
    title = campaign.title[:120]
    if kind in (OPENED, CLOSING):
        return {"text": f"campaign_{kind}", "title": title, "closes": campaign.closes_at.isoformat()}
    return {"text": "campaign_results", "title": title}


def message(campaign: Campaign, kind: str) -> str:
    """The notice in English (the row's `message`)."""
    return notice_text.english(params(campaign, kind))


async def _audience(campaign: Campaign) -> dict[int, Delivery]:
    """Active followers who may still see the campaign and have not switched campaign news off."""
    ids = await CampaignFollow.filter(campaign_id=campaign.id).values_list("user_id", flat=True)
    people = User.filter(id__in=list(ids), is_active=True)
    if campaign.space is Space.INTERNAL:
        people = people.exclude(role=Role.CUSTOMER)
    allowed = await people.values_list("id", flat=True)
    wanted = await notification_prefs.deliveries(allowed, NotificationKind.CAMPAIGNS)  # type: ignore[arg-type]
    return {uid: how for uid, how in wanted.items() if how is not Delivery.OFF}


async def _send(campaign: Campaign, kind: str) -> int:
    """One notice to every follower, or nothing if another run sent it already."""
    told = await _audience(campaign)
    try:
        async with in_transaction() as conn:
            await CampaignNotice.create(campaign_id=campaign.id, kind=kind, using_db=conn)
            await Notification.bulk_create([
                Notification(user_id=uid, kind=NotificationKind.CAMPAIGNS, delivery=how,
                             message=message(campaign, kind), params=params(campaign, kind))
                for uid, how in sorted(told.items())], using_db=conn)
    except IntegrityError:
        return 0
    return len(told)


async def send_due(now: datetime | None = None) -> int:
    """Every notice that is due and not yet sent; returns how many people were told."""
    now = now or clock.now()
    sent = {(n.campaign_id, n.kind) for n in await CampaignNotice.all()}
    # campaigns that opened and whose results are not out yet, plus those just finished
    told = 0
    for campaign in await Campaign.filter(opens_at__lte=now):
        for kind in due_kinds(campaign, now):
            if (campaign.id, kind) not in sent:
                told += await _send(campaign, kind)
    return told
