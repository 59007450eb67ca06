"""The staff console under /staff: review queue, idea decisions, moderation, audit, analytics and admin.

Who may enter is decided once, by the RequireRole middleware on the /staff and /staff/admin Mounts in app.py;
the handlers here only do HTTP and call the domain modules.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import (
    admin,
    analytics,
    assignment,
    audit,
    captured,
    charts,
    htmx,
    inputs,
    live_events,
    merge,
    moderation,
    redaction,
    statuses,
    suspensions,
    triage,
    workflow,
)
from ideaboard.auth import staff_user
from ideaboard.categories import list_categories
from ideaboard.errors import Conflict, IllegalTransition, NotAllowed
from ideaboard.forms import FormErrors
from ideaboard.i18n import gettext as _
from ideaboard.models import AuditEntry, Campaign, Category, Comment, Flag, Idea, Role, Status, User
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import back, form_data, form_list, int_param, not_found, path_id, see_other

AUDIT_ACTIONS = ("status.", "idea.", "comment.", "flag.", "review.", "category.", "user.", "desk.")


async def queue(request: Request) -> Response:
    """New and under-review ideas, sortable and filterable; htmx swaps only the list."""
    category = inputs.query_text(request, "category", max_length=60)
    filters = triage.QueueFilters.parse({**request.query_params, "category": category})
    page = await triage.review_queue(staff_user(request), filters, page=int_param(request, "page"))
    reach = await captured.reach_by_idea([i.id for i in page.items])
    context = {"page": page, "filters": filters, "reach": reach, "categories": await list_categories(),
               "section": "queue", "sorts": list(triage.SORTS), "statuses": statuses.ordered()}
    block = "queue_list" if htmx.is_partial(request) else None
    return render(request, "staff/queue.html", context, block=block)


async def bulk(request: Request) -> Response:
    """Claim or start reviewing the checked ideas; a plain form, the summary comes back as a flash."""
    form = await form_data(request)
    action = form.get("action")
    ids = inputs.ids(await form_list(request, "idea"))
    if action not in ("claim", "review") or not ids:
        flash(request, _("Select at least one idea and an action."), "error")
        return back(request, urls.staff_queue())
    selected = {i: _int(form.get(f"v{i}")) for i in ids}
    result = await triage.bulk_apply(staff_user(request), action, selected)
    flash(request, result.summary(), "success" if result.done else "error")
    return back(request, urls.staff_queue())


async def idea_page(request: Request) -> Response:
    idea = await _idea(request)
    return render(request, "staff/idea.html", await _idea_context(request, idea))


async def change_status(request: Request) -> Response:
    """Move the idea one step; illegal moves and conflicts come back as messages with the typed text kept."""
    idea, data = await _idea(request), await form_data(request)
    try:
        to_status = statuses.parse(data.get("to_status", ""))
        if to_status is None:
            raise ValueError("not one of the board's statuses")
        await workflow.transition(idea, staff_user(request), to_status, data.get("message", ""),
                                  expected_version=_int(data.get("version")))
    except ValueError:
        return await _panel(request, idea, 422, status_error=_("Choose the new status."), status_values=data)
    except (IllegalTransition, Conflict) as exc:
        return await _panel(request, idea, 422, status_error=str(exc), status_values=data)
    return await _saved(request, idea, _("Moved to %(status)s; followers are notified.", status=to_status.label))


async def respond(request: Request) -> Response:
    """Publish the team's official response (markdown) on the idea's timeline."""
    idea, data = await _idea(request), await form_data(request)
    try:
        await workflow.respond(idea, staff_user(request), data.get("response", ""),
                               expected_version=_int(data.get("version")))
    except (ValueError, Conflict) as exc:
        return await _panel(request, idea, 422, response_error=str(exc), response_values=data)
    return await _saved(request, idea, _("Official response published."))


async def set_owner(request: Request) -> Response:
    """Claim the idea ('me'), give it to a teammate (a user id), or release it ('')."""
    idea, data = await _idea(request), await form_data(request)
    actor, choice = staff_user(request), data.get("owner", "")
    owner_id = inputs.id_or_none(choice)
    owner = actor if choice == "me" else (await User.get_or_none(id=owner_id) if owner_id is not None else None)
    try:
        if choice not in ("", "me") and owner is None:
            raise NotAllowed(_("Choose a teammate from the list."))
        await assignment.assign(idea, actor, owner, _int(data.get("version")))
    except (NotAllowed, Conflict) as exc:
        return await _panel(request, idea, 422, owner_error=str(exc))
    owned = _("Now owned by %(name)s.", name=owner.name) if owner else _("Nobody owns this idea now.")
    return await _saved(request, idea, owned)


async def capture_feedback(request: Request) -> Response:
    """Record what a customer said elsewhere on this idea (and their vote, if ticked); errors keep what was typed."""
    idea, data = await _idea(request), await form_data(request)
    try:
        form = captured.parse_capture(data)
        feedback = await captured.capture(idea, staff_user(request), form)
    except FormErrors as exc:
        context = await _idea_context(request, idea, capture_errors=exc.errors, capture_values=exc.values)
        return render(request, "staff/idea.html", context, status_code=422)
    except NotAllowed as exc:
        context = await _idea_context(request, idea, capture_errors={"email": str(exc)}, capture_values=data)
        return render(request, "staff/idea.html", context, status_code=422)
    flash(request, _("Recorded for %(name)s; they are told and can take it back.", name=feedback.customer.name))
    return see_other(urls.staff_idea(idea.id) + "#feedback")


async def merge_into(request: Request) -> Response:
    """Merge this idea (the duplicate) into the target idea, given by number."""
    idea, data = await _idea(request), await form_data(request)
    raw = data.get("target", "").strip().lstrip("#")
    target_id = inputs.id_or_none(raw)
    target = await Idea.get_or_none(id=target_id) if target_id is not None else None
    try:
        if target is None:
            raise NotAllowed(_("Enter the number of an existing idea, or search for it by title."))
        await merge.merge_ideas(idea, target, staff_user(request))
    except NotAllowed as exc:
        context = await _idea_context(request, idea, merge_error=str(exc), merge_values=data)
        return render(request, "staff/idea.html", context, status_code=422)
    flash(request, _("Merged #%(idea)s into #%(target)s; its votes, comments and followers moved there.", idea=idea.id,
                             target=target.id))
    return see_other(urls.staff_idea(target.id))


async def hide_idea(request: Request) -> Response:
    return await _set_idea_hidden(request, True)


async def restore_idea(request: Request) -> Response:
    return await _set_idea_hidden(request, False)


async def _set_idea_hidden(request: Request, hidden: bool) -> Response:
    idea = await _idea(request)
    await moderation.set_idea_hidden(staff_user(request), idea, hidden)
    flash(request, _("The idea is hidden from the public.") if hidden else _("The idea is visible again."))
    return back(request, urls.staff_idea(idea.id))


async def hide_comment(request: Request) -> Response:
    return await _set_comment_hidden(request, True)


async def restore_comment(request: Request) -> Response:
    return await _set_comment_hidden(request, False)


async def _set_comment_hidden(request: Request, hidden: bool) -> Response:
    comment = await Comment.get_or_none(id=path_id(request, "comment_id"))
    if comment is None:
        raise not_found("comment")
    await moderation.set_comment_hidden(staff_user(request), comment, hidden)
    if hidden:  # a restored comment shows again on the next load, in its place in the conversation
        await live_events.comment_changed(comment.id, comment.idea_id)
    flash(request, _("The comment is hidden from the public.") if hidden else _("The comment is visible again."))
    return back(request, urls.staff_idea(comment.idea_id))


async def flag_queue(request: Request) -> Response:
    return render(request, "staff/flags.html", {"flags": await moderation.open_flags(), "section": "flags"})


async def dismiss_flag(request: Request) -> Response:
    flag = await Flag.get_or_none(id=path_id(request, "flag_id"))
    if flag is None:
        raise not_found("report")
    try:
        await moderation.dismiss(staff_user(request), flag)
        flash(request, _("Report dismissed; the content stays as it is."))
    except NotAllowed as exc:
        flash(request, str(exc), "error")
    return back(request, urls.staff_flags())


async def audit_log(request: Request) -> Response:
    """Read-only: there is no route that edits or deletes an entry."""
    q = request.query_params
    action = q.get("action") if q.get("action") in AUDIT_ACTIONS else ""
    actor_id = inputs.query_id(request, "actor")
    entries = await audit.list_entries(action=action or None, actor_id=actor_id)
    actors = await User.filter(id__in=await AuditEntry.all().distinct().values_list("actor_id", flat=True))
    context = {"entries": entries, "actions": AUDIT_ACTIONS, "action": action, "actor_id": actor_id,
               "actors": actors, "section": "audit"}
    return render(request, "staff/audit.html", context)


async def analytics_page(request: Request) -> Response:
    report = await analytics.report()
    context = {
        "report": report, "section": "analytics", "humanize": analytics.humanize,
        "status_chart": charts.bar_chart(report.by_status, title=_("Ideas by status")),
        "votes_chart": charts.line_chart(report.votes_per_day, title=_("Votes per day, last 30 days")),
        "ideas_chart": charts.bar_chart(report.top_by_ideas, title=_("Top categories by ideas")),
        "category_votes_chart": charts.bar_chart(report.top_by_votes, title=_("Top categories by votes")),
        "x_replies": (x_replies := await analytics.x_reply_times()),
        "x_replies_chart": charts.bar_chart([(name, round(wait.total_seconds() / 3600, 1))
                                             for name, _count, wait in x_replies.by_teammate],
                                            title=_("Median hours to first reply on X, by teammate"), unit=" h"),
    }
    return render(request, "staff/analytics.html", context)


async def categories_page(request: Request) -> Response:
    if request.method == "GET":
        return await _categories(request)
    data = await form_data(request)
    try:
        category = await admin.create_category(staff_user(request), data.get("name", ""))
    except FormErrors as exc:
        return await _categories(request, 422, create_errors=exc.errors, create_values=exc.values)
    flash(request, _("Category “%(name)s” created.", name=category.name))
    return see_other(urls.admin_categories())


async def rename_category(request: Request) -> Response:
    category, data = await _category(request), await form_data(request)
    try:
        await admin.rename_category(staff_user(request), category, data.get("name", ""))
    except FormErrors as exc:
        return await _categories(request, 422, rename_errors={category.id: exc.errors["name"]},
                                 rename_values={category.id: exc.values["name"]})
    flash(request, _("Renamed to “%(name)s”.", name=category.name))
    return see_other(urls.admin_categories())


async def move_category(request: Request) -> Response:
    category, data = await _category(request), await form_data(request)
    await admin.move_category(staff_user(request), category, "up" if data.get("direction") == "up" else "down")
    return see_other(urls.admin_categories())


async def delete_category(request: Request) -> Response:
    category = await _category(request)
    await admin.delete_category(staff_user(request), category)
    flash(request, _("Category “%(name)s” deleted; its ideas are now uncategorised.", name=category.name))
    return see_other(urls.admin_categories())


async def users_page(request: Request, status_code: int = 200, **extra) -> Response:
    """Find people by name or email; change roles, deactivate or ban (with a reason), reactivate."""
    q = request.query_params.get("q", "").strip()[:100]
    people = await admin.find_users(q)
    context = {"people": people, "q": q, "roles": list(Role), "section": "admin",
               "suspended": await suspensions.current_for([p.id for p in people]),
               "deactivate_errors": {}, "deactivate_values": {}, "suspend_errors": {}, "suspend_values": {}, **extra}
    return render(request, "staff/users.html", context, status_code=status_code)


def _admin(request: Request) -> User:
    """The admin acting (the /staff/admin Mount let only admins in)."""
    return staff_user(request)


async def _person(request: Request) -> User:
    person = await User.get_or_none(id=path_id(request, "user_id"))
    if person is None:
        raise not_found("person")
    return person


def _back_to_users(data: dict[str, str]) -> Response:
    return see_other(urls.admin_users_found(data.get("q", "").strip()[:100]))


async def deactivate_user(request: Request) -> Response:
    """Deactivate or ban with a reason; their sessions end, and what they wrote is hidden only if asked."""
    person, data = await _person(request), await form_data(request)
    ban = data.get("kind") == "ban"
    try:
        hidden = await admin.deactivate(_admin(request), person, data.get("reason", ""), ban=ban,
                                        hide_content=data.get("hide_content") == "1")
    except FormErrors as exc:
        return await users_page(request, 422, deactivate_errors={person.id: exc.errors["reason"]},
                                deactivate_values={person.id: data})
    except NotAllowed as exc:
        flash(request, str(exc), "error")
        return _back_to_users(data)
    done = (_("%(name)s is banned and logged out.", name=person.name) if ban
            else _("%(name)s is deactivated and logged out.", name=person.name))
    flash(request, done + " " + (_("%(count)s ideas and comments hidden.", count=hidden) if hidden
                                 else _("What they wrote stays visible.")))
    return _back_to_users(data)


async def reactivate_user(request: Request) -> Response:
    person, data = await _person(request), await form_data(request)
    await admin.reactivate(_admin(request), person)
    flash(request, _("%(name)s can log in again.", name=person.name))
    return _back_to_users(data)


async def change_role(request: Request) -> Response:
    person = await _person(request)
    data = await form_data(request)
    try:
        await admin.change_role(staff_user(request), person, data.get("role", ""))
        flash(request, _("%(name)s is now %(role)s.", name=person.name, role=data.get("role")))
    except NotAllowed as exc:
        flash(request, str(exc), "error")
    return see_other(urls.admin_users())


def _int(raw: object) -> int:
    """A submitted number; anything else becomes -1, which never matches a version (so it reads as a conflict)."""
    return inputs.int_or(raw, -1)


async def _idea(request: Request) -> Idea:
    idea = await Idea.get_or_none(id=path_id(request)).select_related("author", "category", "owner", "merged_into")
    if idea is None:
        raise not_found("idea")
    return idea


async def _category(request: Request) -> Category:
    category = await Category.get_or_none(id=path_id(request, "category_id"))
    if category is None:
        raise not_found("category")
    return category


async def _idea_context(request: Request, idea: Idea, **extra) -> dict:
    merge_q = inputs.query_text(request, "merge_q", max_length=120)
    candidates = []
    if merge_q:
        candidates = await (Idea.filter(title__icontains=merge_q, space=idea.space)
                            .exclude(id=idea.id).exclude(status=Status.DUPLICATE).order_by("-score").limit(10))
    return {
        "idea": idea, "section": "queue", "allowed": workflow.allowed_next(idea.status),
        "team": await assignment.team_members(), "events": await workflow.timeline(idea),
        "flags": await moderation.flags_on(idea), "merge_q": merge_q, "candidates": candidates,
        "notes": await redaction.notes_on(idea), "undoable_merge": await merge.undoable_merge(idea),
        "unrecorded_merge": await merge.unrecorded_merge(idea),
        "note_values": {}, "note_errors": {}, "redact_values": {}, "redact_errors": {},
        "status_values": {}, "status_error": None, "response_values": {}, "response_error": None,
        "owner_error": None, "merge_error": None, "merge_values": {}, "panel_notice": None,
        "captured": await captured.for_idea(idea.id), "reach": await captured.reach(idea.id),
        "capture_errors": {}, "capture_values": {"vote": "1"},
        "campaign_choices": await Campaign.filter(space=idea.space).order_by("-closes_at", "id").limit(100),
        **extra,
    }


async def _panel(request: Request, idea: Idea, status_code: int = 200, **extra) -> Response:
    """The decision panel re-read from the database (fresh version), alone for htmx or as the whole page."""
    idea = await _idea(request)
    context = await _idea_context(request, idea, **extra)
    block = "status_panel" if htmx.is_request(request) else None
    return render(request, "staff/idea.html", context, block=block, status_code=status_code)


async def _saved(request: Request, idea: Idea, message: str) -> Response:
    if htmx.is_request(request):
        return await _panel(request, idea, panel_notice=message)
    flash(request, message)
    return see_other(urls.staff_idea(idea.id))


async def _categories(request: Request, status_code: int = 200, **extra) -> Response:
    context = {"categories": await list_categories(), "section": "admin", "create_errors": {}, "create_values": {},
               "rename_errors": {}, "rename_values": {}, **extra}
    return render(request, "staff/categories.html", context, status_code=status_code)
