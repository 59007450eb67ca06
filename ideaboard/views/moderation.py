"""Moderation at scale in the staff console: suspensions, the review queue, staff edits, private notes, unmerge."""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from ideaboard import jobs, live_events, mail, merge, redaction, review, suspensions
from ideaboard.auth import staff_user
from ideaboard.errors import NotAllowed
from ideaboard.forms import FormErrors
from ideaboard.i18n import gettext as _
from ideaboard.models import Comment, Idea, Review
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import form_data, not_found, path_id, see_other
from ideaboard.views.staff import _admin, _back_to_users, _idea, _idea_context, _person, users_page


async def suspend_user(request: Request) -> Response:
    """Suspend with a reason (the member sees it) and an optional last day; their sessions end."""
    person, data = await _person(request), await form_data(request)
    try:
        suspension = await suspensions.suspend(_admin(request), person, data.get("reason", ""), data.get("until", ""))
    except FormErrors as exc:
        return await users_page(request, 422, suspend_errors={person.id: exc.errors}, suspend_values={person.id: data})
    except NotAllowed as exc:
        flash(request, str(exc), "error")
        return _back_to_users(data)
    until = f"until {suspension.ends_at:%-d %B %Y}" if suspension.ends_at else "until you lift it"
    flash(request, f"{person.name} is suspended {until} and logged out; they can still read.")
    return _back_to_users(data)


async def unsuspend_user(request: Request) -> Response:
    person, data = await _person(request), await form_data(request)
    if await suspensions.lift(_admin(request), person):
        flash(request, f"{person.name} can post, vote and comment again.")
    return _back_to_users(data)




async def review_queue(request: Request, status_code: int = 200, **extra) -> Response:
    """What waits for review: a new member's first posts and what the spam score held."""
    context = {"reviews": await review.pending(), "section": "reviews", "errors": {}, "values": {}, **extra}
    return render(request, "staff/reviews.html", context, status_code=status_code)


async def approve(request: Request) -> Response:
    return await _decide(request, approve=True)


async def reject(request: Request) -> Response:
    return await _decide(request, approve=False)


async def _decide(request: Request, *, approve: bool) -> Response:
    """Approve or reject; the author is emailed the decision and the reason (after the answer is sent)."""
    held = await Review.get_or_none(id=path_id(request, "review_id"))
    if held is None:
        raise not_found("review")
    data = await form_data(request)
    try:
        await (review.approve if approve else review.reject)(staff_user(request), held, data.get("reason", ""))
    except FormErrors as exc:
        return await review_queue(request, 422, errors={held.id: exc.errors["reason"]}, values={held.id: exc.values})
    except NotAllowed as exc:
        flash(request, str(exc), "error")
        return see_other(urls.staff_reviews())
    await held.refresh_from_db()
    if approve and held.idea_id:  # now public: suggested and clustered like any new idea
        idea = await Idea.get(id=held.idea_id)
        await jobs.enqueue(request.state.arq, "update_idea_cluster", idea.id, job_id=jobs.idea_job_id(idea))
    settings = request.state.settings
    flash(request, _("Published; the author is told.") if approve else _("Rejected; the author is told why."))
    response = see_other(urls.staff_reviews())
    response.background = BackgroundTask(mail.send, settings, await review.decision_email(settings, held))
    return response


async def unmerge(request: Request) -> Response:
    """Undo the merge that made this idea a duplicate."""
    idea = await _idea(request)
    exact = await merge.undoable_merge(idea) is not None
    try:
        await merge.unmerge(idea, staff_user(request))
    except NotAllowed as exc:
        flash(request, str(exc), "error")
        return see_other(urls.staff_idea(idea.id))
    flash(request, _("The merge is undone: its votes, comments and followers are back.") if exact else _(
        "The idea stands on its own again. Its votes, comments and followers stay on the other idea: this merge was "
        "made before merges were recorded."))
    return see_other(urls.staff_idea(idea.id))


async def redact_idea(request: Request) -> Response:
    """Edit a customer's title or description (personal data); the original stays in the audit log."""
    idea = await _idea(request)
    data = await form_data(request)
    try:
        changed = await redaction.redact_idea(staff_user(request), idea, data)
    except FormErrors as exc:
        context = await _idea_context(request, idea, redact_values=exc.values, redact_errors=exc.errors)
        return render(request, "staff/idea.html", context, status_code=422)
    if changed:
        await jobs.enqueue(request.state.arq, "update_idea_cluster", idea.id, job_id=jobs.idea_job_id(idea))
    flash(request, _("The idea is edited; the original is in the audit log.") if changed else _("Nothing changed."))
    return see_other(urls.staff_idea(idea.id))


async def add_note(request: Request) -> Response:
    """A private note for the team (customers and the public API never see it)."""
    idea = await _idea(request)
    data = await form_data(request)
    try:
        await redaction.add_note(staff_user(request), idea, data.get("note", ""))
    except FormErrors as exc:
        context = await _idea_context(request, idea, note_values=exc.values, note_errors=exc.errors)
        return render(request, "staff/idea.html", context, status_code=422)
    flash(request, _("Note added."))
    return see_other(urls.staff_idea(idea.id) + "#notes")


async def redact_comment(request: Request) -> Response:
    """GET shows the comment's text to edit; POST saves it, the original kept in the audit log."""
    comment = await Comment.get_or_none(id=path_id(request, "comment_id")).select_related("idea", "author")
    if comment is None:
        raise not_found("comment")
    context = {"comment": comment, "values": {"body": comment.body}, "errors": {}, "section": "queue"}
    if request.method == "GET":
        return render(request, "staff/comment_redact.html", context)
    data = await form_data(request)
    try:
        changed = await redaction.redact_comment(staff_user(request), comment, data)
        if changed:
            await live_events.comment_changed(comment.id, comment.idea_id)
    except FormErrors as exc:
        context.update(values=exc.values, errors=exc.errors)
        return render(request, "staff/comment_redact.html", context, status_code=422)
    flash(request, _("The comment is edited; the original is in the audit log.") if changed else _("Nothing changed."))
    return see_other(urls.staff_idea(comment.idea_id))
