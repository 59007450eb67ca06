"""The staff's campaign console: create and edit campaigns, move ideas into or out of one."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import campaign_forms, campaigns, inputs
from ideaboard.auth import staff_user
from ideaboard.categories import list_categories
from ideaboard.errors import NotAllowed
from ideaboard.forms import FormErrors
from ideaboard.i18n import gettext as _
from ideaboard.models import Campaign, Idea
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import back, form_data, form_list, not_found, path_id, see_other


def _values(campaign: Campaign) -> dict:
    """A stored campaign as its form shows it."""
    return {"title": campaign.title, "brief": campaign.brief, "space": campaign.space.value,
            "opens_at": campaign_forms.time_value(campaign.opens_at),
            "closes_at": campaign_forms.time_value(campaign.closes_at),
            "voting_closes_at": campaign_forms.time_value(campaign.voting_closes_at),
            "needs_approval": "1" if campaign.needs_approval else "",
            "vote_budget": str(campaign.vote_budget or ""), "max_votes_per_idea": str(campaign.max_votes_per_idea),
            "categories": [str(c) for c in campaign.category_ids]}


async def _form(request: Request) -> tuple[dict, campaigns.CampaignForm]:
    data = await form_data(request)
    chosen = await form_list(request, "categories")
    categories = await list_categories()
    try:
        return data, campaign_forms.parse_campaign(data, chosen, {c.id for c in categories})
    except FormErrors as exc:
        exc.values["categories"] = chosen  # type: ignore[assignment]
        raise


async def campaign_list(request: Request) -> Response:
    """Every campaign, and the form for a new one."""
    context = {"section": "campaigns", "campaigns": await Campaign.all().order_by("-opens_at", "-id"),
               "categories": await list_categories(), "values": {"max_votes_per_idea": "1"}, "errors": {},
               "phase": campaigns.phase}
    if request.method == "GET":
        return render(request, "staff/campaigns.html", context)
    try:
        _parsed, form = await _form(request)
        campaign = await campaigns.create_campaign(staff_user(request), form)
    except FormErrors as exc:
        context.update(values=exc.values, errors=exc.errors)
        return render(request, "staff/campaigns.html", context, status_code=422)
    except NotAllowed as exc:
        context.update(values=await form_data(request), errors={"title": str(exc)})
        return render(request, "staff/campaigns.html", context, status_code=409)
    flash(request, _("“%(title)s” is saved. %(countdown)s.", title=campaign.title,
                     countdown=campaigns.countdown(campaign)))
    return see_other(urls.staff_campaign(campaign.id))


async def campaign_edit(request: Request) -> Response:
    campaign = await Campaign.get_or_none(id=path_id(request, "campaign_id"))
    if campaign is None:
        raise not_found("campaign")
    context = {"section": "campaigns", "campaign": campaign, "categories": await list_categories(),
               "values": _values(campaign), "errors": {}, "phase": campaigns.phase(campaign),
               "ideas": await Idea.filter(campaign_id=campaign.id).order_by("-score", "id").limit(200)}
    if request.method == "GET":
        return render(request, "staff/campaign.html", context)
    try:
        _parsed, form = await _form(request)
        await campaigns.update_campaign(campaign, staff_user(request), form)
    except FormErrors as exc:
        context.update(values=exc.values, errors=exc.errors)
        return render(request, "staff/campaign.html", context, status_code=422)
    flash(request, _("The campaign is updated."))
    return see_other(urls.staff_campaign(campaign.id))


async def move_idea(request: Request) -> Response:
    """Put the idea into the chosen campaign, or (empty choice) take it out; audited."""
    idea = await Idea.get_or_none(id=path_id(request))
    if idea is None:
        raise not_found("idea")
    raw = (await form_data(request)).get("campaign", "")
    campaign = await Campaign.get_or_none(id=inputs.id_or_none(raw)) if raw and inputs.id_or_none(raw) else None
    if raw and campaign is None:
        flash(request, _("Choose a campaign from the list."), "error")
        return back(request, urls.staff_idea(idea.id))
    try:
        await campaigns.move_idea(idea, campaign, staff_user(request))
    except NotAllowed as exc:
        flash(request, str(exc), "error")
        return back(request, urls.staff_idea(idea.id))
    flash(request, _("Moved into “%(title)s”.", title=campaign.title) if campaign else _("Taken out of its campaign."))
    return back(request, urls.staff_idea(idea.id))
