"""Campaign pages: the index, one campaign with its ideas, its results, and following it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import campaign_results, campaigns, htmx, listing, statuses, vote_budget
from ideaboard import categories as categories_cache
from ideaboard.errors import NotFound
from ideaboard.i18n import gettext as _
from ideaboard.models import Campaign
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import current_user, form_data, int_param, login_redirect, not_found, see_other


async def _campaign(request: Request) -> Campaign:
    try:
        return await campaigns.get_campaign(request.path_params["key"], current_user(request))
    except NotFound:
        raise not_found("campaign") from None


async def index(request: Request) -> Response:
    """Every campaign the viewer may see: open ones first, then upcoming, then past."""
    found = await campaigns.list_campaigns(current_user(request))
    groups: dict[str, list[Campaign]] = {"open": [], "voting": [], "upcoming": [], "closed": []}
    for campaign in found:
        groups[campaigns.phase(campaign)].append(campaign)
    groups["open"].sort(key=lambda c: c.closes_at)
    return render(request, "campaigns/index.html", {"groups": groups})


async def detail(request: Request) -> Response:
    """The brief, the countdown and the campaign's ideas (the board's own listing: hot, top, new)."""
    campaign, viewer = await _campaign(request), current_user(request)
    sort = request.query_params.get("sort", "")
    sort = sort if sort in listing.SORTS else "hot"
    page = await listing.list_ideas(viewer, sort=sort, space=campaign.space, campaign=campaign.id,
                                    page=int_param(request, "page"), after=request.query_params.get("after"),
                                    before=request.query_params.get("before"), size=request.state.settings.page_size,
                                    cards=True)
    for idea in page.items:
        idea.campaign_slug = None  # no campaign badge on the campaign's own page
    context = {"campaign": campaign, "page": page, "sort": sort, "my_votes": page.my_votes, "tags": page.tags,
               "phase": campaigns.phase(campaign), "countdown": campaigns.countdown(campaign),
               "budget": await vote_budget.budget_of(campaign, viewer),
               "budgets": {} if campaign.vote_budget else await vote_budget.budgets_for(page.items, viewer),
               "following": await campaigns.follows(campaign, viewer),
               "categories": await _categories(campaign)}
    block = "idea_list" if htmx.is_partial(request) else None
    return render(request, "campaigns/detail.html", context, block=block)


async def _categories(campaign: Campaign) -> list:
    return [c for c in await categories_cache.cached_categories() if c.id in campaign.category_ids]


async def results(request: Request) -> Response:
    """Published once voting closes; before that the campaign's page says when."""
    campaign = await _campaign(request)
    if campaigns.phase(campaign) != "closed":
        flash(request, _("Results are published when voting closes (%(when)s).",
                         when=campaigns.when(campaigns.voting_ends(campaign))))
        return see_other(urls.campaign(campaign.slug))
    found = await campaign_results.results(campaign)
    return render(request, "campaigns/results.html", {"campaign": campaign, "results": found,
                                                      "countdown": campaigns.countdown(campaign),
                                                      "closed_statuses": list(statuses.keys_where("is_closed"))})


async def follow(request: Request) -> Response:
    """Follow or stop following: hear when it opens, a day before it closes, and the results."""
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request, urls.campaign(request.path_params["key"]))
    campaign = await _campaign(request)
    on = (await form_data(request)).get("follow") != "0"
    await campaigns.follow(campaign, viewer, on)
    flash(request, _("You'll hear when it opens, a day before it closes, and its results.") if on
          else _("You no longer follow this campaign."))
    return see_other(urls.campaign(campaign.slug))
