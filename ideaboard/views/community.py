"""Community side of the workflow: roadmap, launched showcase, following ideas, the bell and its notifications."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import captured, follows, htmx, ideas, notifications, statuses
from ideaboard import roadmap as roadmap_rules
from ideaboard.i18n import gettext as _
from ideaboard.models import CapturedFeedback
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import (
    back,
    current_user,
    form_data,
    login_redirect,
    not_found,
    path_id,
    see_other,
    throttle,
)


async def roadmap(request: Request) -> Response:
    """ "Ideas in action": what the team planned, is building and shipped."""
    columns = await roadmap_rules.roadmap_columns()
    return render(request, "roadmap.html", {"columns": columns})


async def status_styles(request: Request) -> Response:
    """The badge colours admins picked, as a stylesheet (the CSP allows no style attributes)."""
    return Response(statuses.stylesheet(), media_type="text/css",
                    headers={"Cache-Control": "public, max-age=86400"})


async def launched(request: Request) -> Response:
    """The showcase of shipped ideas, newest launch first."""
    return render(request, "launched.html", {"launches": await roadmap_rules.launched_ideas()})


async def follow(request: Request) -> Response:
    """Follow or unfollow; htmx gets the button back, plain forms a redirect."""
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request, urls.idea(path_id(request)))
    idea = await ideas.get_idea(path_id(request), viewer)
    if idea is None:
        raise not_found("idea")
    await throttle(request, "follow")
    following = await follows.set_following(viewer, idea, (await form_data(request)).get("follow") != "0")
    if not htmx.is_request(request):
        return back(request, urls.idea(idea.id))
    return render(request, "ideas/detail.html", {"idea": idea, "following": following}, block="follow_button")


async def withdraw_feedback(request: Request) -> Response:
    """The customer takes back feedback (and the vote) the team recorded for them."""
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request)
    feedback = await CapturedFeedback.get_or_none(id=path_id(request, "feedback_id"))
    if feedback is None or feedback.customer_id != viewer.id:
        raise not_found("feedback")
    if await captured.withdraw(feedback, viewer):
        flash(request, _("Taken back: the team's record of it stays in their history, marked as withdrawn."))
    return see_other(urls.idea(feedback.idea_id))


async def notification_list(request: Request) -> Response:
    """The bell's page: newest first; opening it marks everything read (the new ones stay marked on this view)."""
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request)
    items = await notifications.list_notifications(viewer)
    await notifications.mark_all_read(viewer)
    request.scope["unread_count"] = 0
    return render(request, "notifications.html", {"notifications": items})
