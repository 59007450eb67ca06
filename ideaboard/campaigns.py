"""Campaigns (IdeaStorm's Storm Sessions): who may see one, when it takes ideas and votes, and moving ideas in."""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.signals import post_delete, post_save
from tortoise.transactions import in_transaction

from ideaboard import audit, clock, i18n, inputs
from ideaboard.errors import NotAllowed, NotFound
from ideaboard.i18n import gettext as _
from ideaboard.i18n import ngettext
from ideaboard.markdown import render_markdown
from ideaboard.models import Campaign, CampaignFollow, Idea, Role, Space, User
from ideaboard.shared_reads import SharedReads

CLOSING_NOTICE = timedelta(days=1)
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")


class CampaignRefused(NotAllowed):
    """The chosen campaign cannot take this idea (unknown to the author, another space, another category)."""


class CampaignClosed(CampaignRefused):
    """The campaign does not take this now (not open yet, or closed): the message says when it did or will."""


@dataclass(frozen=True)
class CampaignForm:
    title: str
    brief: str
    space: Space
    category_ids: list[int]
    opens_at: datetime
    closes_at: datetime
    voting_closes_at: datetime | None
    needs_approval: bool
    vote_budget: int | None
    max_votes_per_idea: int


def when(moment: datetime | None) -> str:
    """A campaign time as people read it, always with its time zone."""
    return i18n.datetime_utc(moment.astimezone(clock.now().tzinfo)) if moment else ""


def voting_ends(campaign: Campaign) -> datetime:
    return campaign.voting_closes_at or campaign.closes_at


def phase(campaign: Campaign, now: datetime | None = None) -> str:
    """upcoming, open (taking ideas), voting (ideas closed, votes still open) or closed."""
    now = now or clock.now()
    if now < campaign.opens_at:
        return "upcoming"
    if now < campaign.closes_at:
        return "open"
    return "voting" if now < voting_ends(campaign) else "closed"


def countdown(campaign: Campaign, now: datetime | None = None) -> str:
    """The line under a campaign's title, rendered on the server (no JavaScript needed)."""
    now = now or clock.now()
    state = phase(campaign, now)
    if state == "upcoming":
        return _("Opens in %(span)s (%(when)s)", span=_span(campaign.opens_at - now), when=when(campaign.opens_at))
    if state == "open":
        return _("Closes in %(span)s (%(when)s)", span=_span(campaign.closes_at - now), when=when(campaign.closes_at))
    if state == "voting":
        return _("Ideas closed; voting closes in %(span)s (%(when)s)", span=_span(voting_ends(campaign) - now),
                 when=when(voting_ends(campaign)))
    return _("Closed %(when)s", when=when(voting_ends(campaign)))


def _span(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return ngettext("%(num)s day %(hours)s h", "%(num)s days %(hours)s h", days, hours=hours)
    if hours:
        return _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
    return _("%(minutes)s min", minutes=minutes) if minutes else _("less than a minute")


def can_see_internal(viewer: User | None) -> bool:
    """ideas.can_see_internal's rule (not imported: ideas.py asks this module about campaigns)."""
    return bool(viewer and Role(viewer.role).is_employee)


def may_see(campaign: Campaign, viewer: User | None) -> bool:
    """Internal campaigns obey the internal ideas' rule: employees, staff and admins only."""
    return campaign.space is not Space.INTERNAL or can_see_internal(viewer)


def visible_q(viewer: User | None) -> Q:
    return Q() if can_see_internal(viewer) else Q(space=Space.PUBLIC)


async def get_campaign(key: str, viewer: User | None) -> Campaign:
    """By slug or id; NotFound (a 404) also when the viewer may not see it."""
    if inputs.is_digits(key):
        campaign_id = inputs.id_or_none(key)
        campaign = await Campaign.get_or_none(id=campaign_id) if campaign_id is not None else None
    else:
        campaign = await Campaign.get_or_none(slug=key) if SLUG.fullmatch(key) else None
    if campaign is None or not may_see(campaign, viewer):
        raise NotFound(key)
    return campaign


async def list_campaigns(viewer: User | None) -> list[Campaign]:
    """Every campaign the viewer may see, latest closing first."""
    return await Campaign.filter(visible_q(viewer)).order_by("-closes_at", "-id")


async def open_campaigns(viewer: User | None, space: Space = Space.PUBLIC) -> list[Campaign]:
    """The ones taking ideas now, soonest closing first (the home page features them on every request).

    Read from the campaigns not yet closed, kept per process for a few seconds (as categories are): which of them
    are open is decided here at each call, so a campaign opens and closes on the second; a saved one shows at once
    in this process, in others within OPEN_CACHE_SECONDS.
    """
    now = clock.now()
    return [c for c in await _not_closed(can_see_internal(viewer), space) if c.opens_at <= now < c.closes_at]


OPEN_CACHE_SECONDS = 5.0
_not_closed_cache: dict[tuple[bool, Space], tuple[object, float, datetime, list[Campaign]]] = {}
_not_closed_reads = SharedReads()  # requests that miss together share one query


async def _not_closed(internal: bool, space: Space) -> list[Campaign]:
    """Campaigns of the space that close after now, soonest first (cached; see open_campaigns)."""
    from tortoise import connections

    client, key, now = connections.get("default"), (internal, space), clock.now()
    hit = _not_closed_cache.get(key)
    if hit and hit[0] is client and time.monotonic() - hit[1] < OPEN_CACHE_SECONDS and hit[2] <= now:
        return hit[3]
    # a read in flight began a moment before this call: it holds every campaign closing after this call's now too
    return await _not_closed_reads.read((id(client), key), lambda: _read_not_closed(client, key, now))


async def _read_not_closed(client: object, key: tuple[bool, Space], now: datetime) -> list[Campaign]:
    internal, space = key
    generation = _not_closed_reads.generation
    query = Campaign.filter(Q() if internal else Q(space=Space.PUBLIC), space=space, closes_at__gt=now)
    found = await query.order_by("closes_at", "id")
    if generation == _not_closed_reads.generation:
        _not_closed_cache[key] = (client, time.monotonic(), now, found)
    return found


@post_save(Campaign)
@post_delete(Campaign)
async def _forget_open(*_: object) -> None:
    """A saved or deleted campaign shows at once in this process."""
    _not_closed_cache.clear()
    _not_closed_reads.forget()


async def titles(ids: set[int]) -> dict[int, Campaign]:
    """The campaigns of a page's ideas, for their badges (one query, none when no idea is in one)."""
    return {c.id: c for c in await Campaign.filter(id__in=list(ids))} if ids else {}


async def admit_idea(campaign_id: int | None, author: User, space: Space, category_id: int | None) -> Campaign | None:
    """The campaign a new idea joins, if it takes ideas from this author now; else a refusal saying why."""
    if campaign_id is None:
        return None
    campaign = await Campaign.get_or_none(id=campaign_id)
    if campaign is None or not may_see(campaign, author):
        raise CampaignRefused(_('There is no such campaign.'))
    if campaign.space is not space:
        raise CampaignRefused(_('“%(title)s” takes %(value)s ideas only.',
                                title=campaign.title, value=campaign.space.value))
    now = clock.now()
    if now < campaign.opens_at:
        raise CampaignClosed(_('“%(title)s” opens for ideas on %(when)s.',
                               title=campaign.title, when=when(campaign.opens_at)))
    if now >= campaign.closes_at:
        raise CampaignClosed(_('“%(title)s” stopped taking ideas on %(when)s.',
                               title=campaign.title, when=when(campaign.closes_at)))
    if campaign.category_ids and category_id not in campaign.category_ids:
        raise CampaignRefused(_('“%(title)s” takes ideas in its own categories only: choose one of them.',
                                title=campaign.title))
    return campaign


def approval_hold(campaign: Campaign | None, author: User) -> str:
    """Why an idea waits in the review queue because of its campaign ("" when it goes live): the team's own don't."""
    if campaign is None or not campaign.needs_approval or Role(author.role).is_staff:
        return ""
    return f"campaign “{campaign.title}” needs approval"[:200]


def refuse_vote(campaign: Campaign | None) -> None:
    """Votes count while the campaign's voting is open (submission's window, or longer if set)."""
    if campaign is None:
        return
    now = clock.now()
    if now < campaign.opens_at:
        raise CampaignClosed(_('Voting in “%(title)s” opens on %(when)s.',
                               title=campaign.title, when=when(campaign.opens_at)))
    if now >= voting_ends(campaign):
        raise CampaignClosed(_('Voting in “%(title)s” closed on %(when)s.',
                               title=campaign.title, when=when(voting_ends(campaign))))


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60] or "campaign"


async def _free_slug(title: str, campaign_id: int | None = None) -> str:
    base = slugify(title)
    if base.isdigit():  # a digits-only slug would read as an id
        base = f"campaign-{base}"
    slug, n = base, 1
    while await Campaign.filter(slug=slug).exclude(id=campaign_id or 0).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _fields(form: CampaignForm) -> dict:
    return {"title": form.title, "brief": form.brief, "brief_html": render_markdown(form.brief), "space": form.space,
            "category_ids": form.category_ids, "opens_at": form.opens_at, "closes_at": form.closes_at,
            "voting_closes_at": form.voting_closes_at, "needs_approval": form.needs_approval,
            "vote_budget": form.vote_budget, "max_votes_per_idea": form.max_votes_per_idea}


def _require_staff(actor: User) -> None:
    if not Role(actor.role).is_staff:
        raise NotAllowed(_('Only the team runs campaigns.'))


async def create_campaign(actor: User, form: CampaignForm) -> Campaign:
    """A new campaign, audited."""
    _require_staff(actor)
    for _attempt in range(3):
        try:
            campaign = await Campaign.create(slug=await _free_slug(form.title), created_by=actor, **_fields(form))
            break
        except IntegrityError:  # another staff member took the slug meanwhile
            continue
    else:
        raise NotAllowed(_('Another campaign took this name a moment ago; please save again.'))
    await audit.record(actor, "campaign.create", "campaign", campaign.id, title=campaign.title)
    return campaign


async def update_campaign(campaign: Campaign, actor: User, form: CampaignForm) -> Campaign:
    """Staff edit every setting; the slug (the page's address) stays, so links keep working."""
    _require_staff(actor)
    for name, value in _fields(form).items():
        setattr(campaign, name, value)
    await campaign.save()
    await audit.record(actor, "campaign.edit", "campaign", campaign.id, title=campaign.title)
    return campaign


async def move_idea(idea: Idea, campaign: Campaign | None, actor: User) -> Idea:
    """Staff put an idea into a campaign of its space, or take it out (audited)."""
    _require_staff(actor)
    if campaign is not None and campaign.space is not idea.space:
        raise NotAllowed(_('“%(title)s” holds %(value)s ideas; this idea is %(value2)s.',
                           title=campaign.title, value=campaign.space.value, value2=idea.space.value))
    before = idea.campaign_id
    if before == (campaign.id if campaign else None):
        return idea
    from ideaboard import vote_budget  # it imports ideas, which imports this module

    spent_from = await vote_budget.holder_of(idea)
    idea.campaign_id = campaign.id if campaign else None
    async with in_transaction():
        await Idea.filter(id=idea.id).update(campaign_id=idea.campaign_id)
        await vote_budget.recount_moved(idea, previous=spent_from)  # its votes now spend the other budget
        await audit.record(actor, "idea.campaign", "idea", idea.id, from_campaign=before,
                           to_campaign=idea.campaign_id)
    return idea


async def follow(campaign: Campaign, user: User, on: bool = True) -> bool:
    """Follow (or stop following) a campaign; returns whether the person follows it now."""
    if on:
        await CampaignFollow.get_or_create(campaign_id=campaign.id, user_id=user.id)
    else:
        await CampaignFollow.filter(campaign_id=campaign.id, user_id=user.id).delete()
    return on


async def follows(campaign: Campaign, user: User | None) -> bool:
    return user is not None and await CampaignFollow.filter(campaign_id=campaign.id, user_id=user.id).exists()
