"""A closed campaign's results: its top ideas and who took part (ideas, voters, comments, employees vs customers)."""

from __future__ import annotations

from dataclasses import dataclass

from ideaboard.models import Campaign, Comment, Idea, Role, User, Vote

TOP = 10


@dataclass(frozen=True)
class Results:
    top: list[Idea]
    ideas: int
    voters: int
    comments: int
    employees: int  # people who posted, voted or commented: employees, staff and admins
    customers: int


async def results(campaign: Campaign) -> Results:
    """Counted from the rows (a handful of queries: the page is read once the campaign is over)."""
    listed = Idea.filter(campaign_id=campaign.id, hidden=False)
    top = await listed.order_by("-score", "id").limit(TOP).select_related("author", "category")
    authors = set(await listed.values_list("author_id", flat=True))
    voters = {uid for uid in await Vote.filter(idea__campaign_id=campaign.id, idea__hidden=False)
              .values_list("user_id", flat=True) if uid is not None}
    comments = Comment.filter(idea__campaign_id=campaign.id, idea__hidden=False, hidden=False)
    commenters = set(await comments.values_list("author_id", flat=True))
    people = authors | voters | commenters
    roles: list = list(await User.filter(id__in=list(people)).values_list("role", flat=True)) if people else []
    employees = len([role for role in roles if Role(str(role)).is_employee])
    return Results(top=top, ideas=len(await listed.values_list("id", flat=True)), voters=len(voters),
                   comments=await comments.count(), employees=employees, customers=len(roles) - employees)
