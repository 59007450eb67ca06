"""The API's campaign reads: the list and one campaign, by the site's visibility rules (internal: employees' keys)."""

from __future__ import annotations

from ideaboard import campaigns
from ideaboard.api import schemas as s
from ideaboard.api.operations import Call, Reply, operation
from ideaboard.models import ApiScope, Campaign
from ideaboard.urls import urls


def campaign_body(campaign: Campaign) -> s.Campaign:
    return s.Campaign(id=campaign.id, slug=campaign.slug, title=campaign.title, brief=campaign.brief,
                      brief_html=campaign.brief_html, space=campaign.space, phase=campaigns.phase(campaign),  # type: ignore[arg-type]
                      opens_at=campaign.opens_at, closes_at=campaign.closes_at,
                      voting_closes_at=campaigns.voting_ends(campaign), category_ids=list(campaign.category_ids),
                      needs_approval=campaign.needs_approval, vote_budget=campaign.vote_budget,
                      max_votes_per_idea=campaign.max_votes_per_idea, url=urls.campaign(campaign.slug))


@operation("GET", "/campaigns", name="api_campaigns", tag="Campaigns", scope=ApiScope.READ, anonymous=True,
           response=s.CampaignList)
async def list_campaigns(call: Call) -> Reply:
    """Every campaign the caller may see, latest closing first (list a campaign's ideas with `/ideas?campaign=`)."""
    return Reply(s.CampaignList(items=[campaign_body(c) for c in await campaigns.list_campaigns(call.user)]))


@operation("GET", "/campaigns/{campaign_id:id}", name="api_campaign", tag="Campaigns", scope=ApiScope.READ,
           anonymous=True, response=s.Campaign)
async def get_campaign(call: Call) -> Reply:
    """One campaign; an internal one is a 404 for keys of people outside the company."""
    return Reply(campaign_body(await campaigns.get_campaign(str(call.request.path_params["campaign_id"]), call.user)))


OPERATIONS = [list_campaigns, get_campaign]
