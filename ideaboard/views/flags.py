"""Reporting an idea or a comment: any logged-in member may ask the team to look at something."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import ideas, live_events, moderation
from ideaboard.errors import NotAllowed
from ideaboard.forms import FormErrors
from ideaboard.i18n import gettext as _
from ideaboard.models import Comment, User
from ideaboard.ratelimit import RateLimited
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import (
    current_user,
    form_data,
    login_redirect,
    not_found,
    path_id,
    see_other,
    throttle,
    visible_idea,
)


async def report_idea(request: Request) -> Response:
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request)
    idea = await visible_idea(request, viewer)
    return await _report(request, viewer, idea=idea, comment=None)


async def report_comment(request: Request) -> Response:
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request)
    comment = await Comment.get_or_none(id=path_id(request, "comment_id"), hidden=False)
    idea = await ideas.get_idea(comment.idea_id, viewer) if comment else None
    if comment is None or idea is None:
        raise not_found("comment")
    return await _report(request, viewer, idea=idea, comment=comment)


async def _report(request: Request, reporter: User, *, idea, comment) -> Response:
    """GET shows the form; POST files the report (422 with the text kept when the reason is missing)."""
    context = {"idea": idea, "comment": comment, "values": {}, "errors": {}}
    if request.method == "GET":
        return render(request, "flags/report.html", context)
    data = await form_data(request)
    target = {"comment": comment} if comment else {"idea": idea}
    try:
        await throttle(request, "report")
        await moderation.flag(reporter, reason=data.get("reason", ""),
                              auto_hide_after=request.state.settings.auto_hide_reports, **target)
        if comment is not None and comment.hidden:  # hidden once enough members reported it: gone from open pages too
            await live_events.comment_changed(comment.id, comment.idea_id)
    except FormErrors as exc:
        context.update(values=exc.values, errors=exc.errors)
        return render(request, "flags/report.html", context, status_code=422)
    except RateLimited as exc:
        context.update(values=data, errors={"reason": exc.message})
        return render(request, "flags/report.html", context, status_code=429,
                      headers={"Retry-After": str(exc.retry_after)})
    except NotAllowed as exc:
        flash(request, str(exc), "error")
        return see_other(urls.idea(idea.id))
    flash(request, _("Thanks for the report. The team will take a look."))
    return see_other(urls.idea(idea.id) + (f"#comment-{comment.id}" if comment else ""))
