"""Customer pages: the idea board, idea pages, submitting, voting, commenting and search."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import (
    accounts,
    auth,
    board_budget,
    campaigns,
    captured,
    comments,
    htmx,
    idea_page,
    ideas,
    images,
    inputs,
    jobs,
    listing,
    live_events,
    pagecache,
    picture_store,
    ratelimit,
    review,
    social,
    statuses,
    theme_board,
    vote_budget,
    votes,
)
from ideaboard import categories as categories_cache
from ideaboard import search as full_text
from ideaboard.errors import NotAllowed, NotFound
from ideaboard.forms import COMMENT_MAX, FormErrors, parse_comment, parse_idea, parse_vote
from ideaboard.i18n import gettext as _
from ideaboard.models import Campaign, Comment, Idea, Space, Status, Theme, Tweet
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views import account
from ideaboard.views.common import (
    back,
    current_user,
    form_and_file,
    form_data,
    int_param,
    login_redirect,
    not_found,
    path_id,
    see_other,
    throttle,
    visible_idea,
)


async def board(request: Request) -> Response:
    """The public idea board."""
    return await _board(request, Space.PUBLIC)


async def internal_board(request: Request) -> Response:
    """The employee-only board beside the public one."""
    return await _board(request, Space.INTERNAL)


async def _board(request: Request, space: Space) -> Response:
    """An idea list, filterable by category, tag and status, sorted and paginated (keyset cursors, or ?page=)."""
    viewer = current_user(request)
    q = request.query_params
    filters = {k: inputs.query_text(request, k, max_length=60) or None for k in ("category", "tag", "status")}
    sort = q.get("sort", "")
    sort = sort if sort in listing.SORTS else "hot"
    campaign = await _campaign_filter(request, viewer)
    theme = await _theme_filter(request)
    try:
        page = await listing.list_ideas(viewer, sort=sort, space=space, page=int_param(request, "page"),
                                      after=q.get("after"), before=q.get("before"),
                                      size=request.state.settings.page_size, **filters,
                                      campaign=campaign.id if campaign else None, theme=theme.id if theme else None,
                                      cards=True)
    except NotAllowed:
        raise not_found("space") from None
    filters["campaign"] = str(campaign.id) if campaign else None
    filters["theme"] = theme.slug if theme else None
    context = {
        "page": page, "sort": sort, "filters": filters, "space": space, "theme": theme,
        "theme_name": theme_board.short_name(theme) if theme else None,
        "theme_chips": await theme_board.board_chips(space) if not htmx.is_partial(request) else [],
        "categories": await categories_cache.cached_categories(), "statuses": statuses.ordered(),
        "my_votes": page.my_votes, "tags": page.tags, "campaign": campaign,
        "budgets": await vote_budget.budgets_for(page.items, viewer),
        "open_campaigns": await campaigns.open_campaigns(viewer, space) if not htmx.is_partial(request) else [],
    }
    block = "idea_list" if htmx.is_partial(request) else None
    return render(request, "ideas/index.html", context, block=block)


async def _campaign_filter(request: Request, viewer) -> Campaign | None:
    """`?campaign=` (an id or slug): the campaign's ideas only; one the viewer may not see is a 404."""
    key = inputs.query_text(request, "campaign", max_length=80)
    if not key:
        return None
    try:
        return await campaigns.get_campaign(key, viewer)
    except NotFound:
        raise not_found("campaign") from None


async def _theme_filter(request: Request) -> Theme | None:
    """`?theme=` (a slug): a published theme's ideas only; an unknown or unpublished theme is a 404."""
    slug = inputs.query_text(request, "theme", max_length=80)
    if not slug:
        return None
    try:
        return await theme_board.published_theme(slug)
    except NotFound:
        raise not_found("theme") from None


async def _budget(space: str, campaign_id: int | None, viewer) -> vote_budget.Budget | None:
    """The viewer's vote budget where the idea's campaign or its board has one (no query where neither could)."""
    if viewer is None or (campaign_id is None and board_budget.rule(space) is None):
        return None
    return await vote_budget.budget_for_idea(space, campaign_id, viewer)


async def idea_detail(request: Request) -> Response:
    viewer = current_user(request)
    before = request.query_params.get("comments_before")
    page = await idea_page.read_idea_page(path_id(request), viewer, comments_before=before)
    if page is None:
        raise not_found("idea")
    settings = request.state.settings
    card_meta = social.card_meta(page.idea, settings)
    mine = await captured.mine(page.idea.id, viewer) if viewer else []
    context = await _detail_context(page, before, viewer=viewer, card_meta=card_meta, my_feedback=mine,
                                    share=social.customer_share(page.idea, settings))
    return render(request, "ideas/detail.html", context)


async def _detail_context(page: idea_page.IdeaPage, comments_before: str | None = None, *, viewer=None,
                          **extra) -> dict:
    """Everything an idea page shows; comments are the latest page, or the page before `comments_before`."""
    idea = page.idea
    return {
        "waiting_comments": await review.my_waiting_comments(viewer, idea.id),
        "idea": idea,
        "comments": page.conversation.items, "earlier_comments": page.conversation.earlier,
        "comments_before": comments_before,
        "my_votes": {idea.id: page.my_vote}, "tags": {idea.id: page.tags},
        "comment_values": {}, "comment_errors": {},
        "timeline": page.timeline, "related_ideas": page.related_ideas, "following": page.following,
        "related_tweets": page.related_tweets,
        "comment_images": page.comment_images,
        "source_tweet": await Tweet.get_or_none(id=idea.source_tweet_id) if idea.source_tweet_id else None,
        "budget": await _budget(str(idea.space), idea.campaign_id, viewer),
        **extra,
    }


async def new_idea(request: Request) -> Response:
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request)
    space = Space.INTERNAL if request.query_params.get("space") == "internal" else Space.PUBLIC
    if space is Space.INTERNAL and not ideas.can_see_internal(viewer):
        raise not_found("space")
    categories = await categories_cache.list_categories()
    open_now = await campaigns.open_campaigns(viewer, space)
    chosen = inputs.query_text(request, "campaign", max_length=20)
    context = {"categories": categories, "space": space, "values": {"campaign": chosen}, "errors": {},
               "open_campaigns": open_now}
    if request.method == "GET":
        return render(request, "ideas/new.html", context)
    data, (filename, picture) = await form_and_file(request, "image", images.MAX_UPLOAD_BYTES)
    settings = request.state.settings
    if data.get("resend_verification"):  # the form's own "send the link again": the text stays in the form
        context.update(values=data, **account.verification_context(request, sent=True))
        return account.queue_verification(render(request, "ideas/new.html", context), request)
    try:
        accounts.require_verified(viewer)
        form = parse_idea(data, {c.id for c in categories})
        try:
            await throttle(request, "idea")  # ratelimit.RULES, like every other write
        except ratelimit.RateLimited:
            raise FormErrors({"title": "You have shared a lot of ideas this hour. Please wait a while and "
                                       "submit this one again; your text is kept below."}, data) from None
        encoded = _attached_picture(filename, picture, data)  # checked before the idea exists: nothing half-made
        hold = await review.hold_reason(viewer, settings, f"{form.title} {form.body}".strip())
        idea = await ideas.submit_idea(viewer, form, space, _campaign_id(data), hold=hold)
    except accounts.VerifyFirst:
        context.update(values=data, **account.verification_context(request))
        return render(request, "ideas/new.html", context, status_code=403)
    except (FormErrors, NotAllowed) as exc:
        return _form_again(request, "ideas/new.html", context, data, exc)
    if encoded is not None:
        await _keep_picture(request, lambda pictures: images.attach_to_idea(pictures, idea, viewer, encoded))
    if idea.hidden:  # held for review: a new member's first posts, or a campaign whose ideas need approval
        flash(request, _("Thanks! Your idea is waiting for review by the team: only you can see it until then."))
        return see_other(urls.idea(idea.id))
    await _after_write(request, idea)
    await review.queue_spam_score(request.state.arq, "idea", idea.id)
    flash(request, _("Thanks! Your idea is live. Share it so others can vote."))
    return see_other(urls.idea(idea.id))


async def _keep_picture(request: Request, attach) -> None:
    """Store a picture posted with an idea or comment; if the store is down the post stands and the author is told."""
    try:
        await attach(picture_store.for_settings(request.state.settings))
    except picture_store.StoreDown:
        flash(request, _("Your post is saved, but its picture could not be stored just now: add it again in a moment "
                         "(from the idea's page, or your comment's Edit link)."), "error")


def _attached_picture(filename: str, data: bytes, values: dict[str, str]) -> images.Encoded | None:
    """The picture chosen while writing, re-encoded; a bad one is a field error and the text stays."""
    if not filename and not data:
        return None
    try:
        return images.clean(filename, data)
    except images.BadImage as exc:
        raise FormErrors({"image": _("%(problem)s Your text is kept: choose the picture again, or post without it.",
                                     problem=str(exc))},
                         values) from None


def _campaign_id(data: dict) -> int | None:
    """The form's campaign choice; anything that is not an id reads as "no campaign was chosen" but is refused."""
    raw = (data.get("campaign") or "").strip()
    if not raw:
        return None
    campaign_id = inputs.id_or_none(raw)
    if campaign_id is None:
        raise campaigns.CampaignRefused("Choose a campaign from the list.")
    return campaign_id


def _form_again(request: Request, template: str, context: dict, data: dict, exc: Exception) -> Response:
    """The same form with the messages and the user's text: 422 for bad input, 403 when not allowed."""
    if isinstance(exc, FormErrors):
        context.update(values=exc.values, errors=exc.errors)
        return render(request, template, context, status_code=422)
    if isinstance(exc, campaigns.CampaignRefused):  # the text is fine; the campaign choice is not
        context.update(values=data, errors={"campaign": str(exc)})
        return render(request, template, context, status_code=422)
    context.update(values=data, errors={"title": str(exc)})
    return render(request, template, context, status_code=403)


async def _after_write(request: Request, idea: Idea) -> None:
    """A new or edited idea is suggested and clustered by the worker (skipped quietly if Redis is down)."""
    await jobs.enqueue(request.state.arq, "update_idea_cluster", idea.id, job_id=jobs.idea_job_id(idea))


async def edit_idea(request: Request) -> Response:
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request)
    idea = await ideas.get_idea(path_id(request), viewer)
    if idea is None:
        raise not_found("idea")
    categories = await categories_cache.list_categories()
    tags = (await ideas.tags_of([idea])).get(idea.id, [])
    values = {"title": idea.title, "body": idea.body, "category": str(idea.category_id or ""), "tags": " ".join(tags)}
    context = {"idea": idea, "categories": categories, "values": values, "errors": {}}
    if request.method == "POST":
        data = await form_data(request)
        try:
            await throttle(request, "edit")
            await ideas.edit_idea(idea, viewer, parse_idea(data, {c.id for c in categories}))
        except (FormErrors, NotAllowed) as exc:
            return _form_again(request, "ideas/edit.html", context, data, exc)
        await _after_write(request, idea)
        flash(request, _("Your idea is updated."))
        return see_other(urls.idea(idea.id))
    if idea.author_id != viewer.id or idea.status != Status.NEW:
        flash(request, _("Only the author can edit an idea, and only until review starts."), "error")
        return see_other(urls.idea(idea.id))
    return render(request, "ideas/edit.html", context)


def _login_then_idea(request: Request) -> Response:
    """Visitors acting on an idea log in first and come back to its page (a page they can GET)."""
    return login_redirect(request, urls.idea(path_id(request)))


async def vote(request: Request) -> Response:
    """Promote, demote or withdraw; htmx gets only the vote widget back, plain forms a redirect."""
    viewer = current_user(request)
    if viewer is None:
        return _login_then_idea(request)
    idea_id = path_id(request)
    await throttle(request, "vote")
    pagecache.minor_change(request.scope)  # visitors see new counts within the cache time, not at once
    try:  # cast_vote checks that the viewer may see the idea, in the vote's own statement
        value = parse_vote(await form_data(request))
        try:
            idea = await votes.cast_vote(idea_id, viewer, value, auth.unchecked_session(request))
        except votes.SessionChanged:  # the recalled user is not who the session says now: read them, or log in
            viewer = await auth.reread_user(request)
            if viewer is None:
                return _login_then_idea(request)
            idea = await votes.cast_vote(idea_id, viewer, value)
        error = None
        await live_events.vote_counted(idea)
    except NotFound:
        raise not_found("idea") from None
    except (FormErrors, NotAllowed, accounts.VerifyFirst) as exc:
        if auth.unchecked_session(request):  # a garbled form reached no write that checked the session
            viewer = await auth.reread_user(request)
            if viewer is None:
                return _login_then_idea(request)
        idea = await visible_idea(request, viewer, idea_id)  # a bad form on a hidden idea is still a 404
        error = "That vote was not understood." if isinstance(exc, FormErrors) else str(exc)
    if not htmx.is_request(request):
        if error:
            flash(request, error, "error")
        return back(request, urls.idea(idea_id))
    my_votes = {idea_id: idea.mine} if error is None else await votes.votes_by(viewer, [idea_id])
    budget = await _budget(str(idea.space), idea.campaign_id, viewer)  # the Tally knows where the idea is
    return render(request, "ideas/detail.html", {"idea": idea, "my_votes": my_votes, "vote_error": error,
                                                 "budget": budget, "vote_oob": True}, block="vote_widget")


async def add_comment(request: Request) -> Response:
    viewer = current_user(request)
    if viewer is None:
        return _login_then_idea(request)
    idea = await visible_idea(request, viewer)
    data, (filename, picture) = await form_and_file(request, "image", images.MAX_UPLOAD_BYTES)
    if data.get("resend_verification"):  # the form's own "send the link again": the comment stays typed
        page = await _comment_again(request, idea, viewer, data, {}, 200,
                                    **account.verification_context(request, sent=True))
        return account.queue_verification(page, request)
    if data.get("preview"):
        return await _comment_preview(request, idea, viewer, data)
    try:
        body = parse_comment(data)
        encoded = _attached_picture(filename, picture, data)  # checked first: a refused picture posts nothing
        await throttle(request, "comment")
        hold = await review.hold_reason(viewer, request.state.settings, body)
        comment = await comments.add_comment(idea, viewer, body, hold=hold)
    except FormErrors as exc:
        return await _comment_again(request, idea, viewer, exc.values, exc.errors, 422)
    except accounts.VerifyFirst:  # 422 so htmx swaps the form in, with the text kept and a resend button
        return await _comment_again(request, idea, viewer, data, {}, 422, **account.verification_context(request))
    except NotAllowed as exc:  # merged meanwhile: 409, but htmx only swaps a 422 in (the message must show)
        status = 422 if htmx.is_request(request) else 409
        return await _comment_again(request, idea, viewer, data, {"body": str(exc)}, status)
    except ratelimit.RateLimited as exc:
        if htmx.is_request(request):
            raise  # the message area shows it; the form keeps its text
        response = await _comment_again(request, idea, viewer, data, {"body": exc.message}, 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if encoded is not None:
        await _keep_picture(request, lambda pictures: images.store(pictures, viewer, encoded, comment=comment))
    if not hold:
        await review.queue_spam_score(request.state.arq, "comment", comment.id)
        await live_events.comment_posted(comment, idea)
    if not htmx.is_request(request):
        flash(request, _("Your comment is waiting for review by the team: only you can see it until then.") if hold
              else _("Your comment is posted."))
        return see_other(urls.idea(idea.id) + "#comments")
    return render(request, "ideas/detail.html", await _detail_context(await _page_of(idea, viewer), viewer=viewer),
                  block="comments")


async def _comment_again(request: Request, idea: Idea, viewer, values: dict, errors: dict, status: int,
                         **extra) -> Response:
    """The idea page (or, for htmx, its comments) with the message and the text the person typed."""
    context = await _detail_context(await _page_of(idea, viewer), viewer=viewer, comment_values=values,
                                    comment_errors=errors, **extra)
    block = "comments" if htmx.is_request(request) else None
    return render(request, "ideas/detail.html", context, block=block, status_code=status)


async def _comment_preview(request: Request, idea: Idea, viewer, data: dict) -> Response:
    """The Preview button: htmx gets the rendered text for the preview pane; a plain form the page, text kept."""
    html = await comments.preview(data.get("body", "")[:COMMENT_MAX])
    if htmx.is_request(request):
        return render(request, "ideas/detail.html", {"preview_html": html}, block="comment_preview")
    return await _comment_again(request, idea, viewer, data, {}, 200, preview_html=html)


async def edit_comment(request: Request) -> Response:
    """The author rewords their comment within the edit window (Preview works here too); then back to the idea."""
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request)
    comment = await Comment.get_or_none(id=path_id(request, "comment_id"), author_id=viewer.id)
    if comment is None or await ideas.get_idea(comment.idea_id, viewer) is None:
        raise not_found("comment")
    data = await form_data(request) if request.method == "POST" else {"body": comment.body}
    context = {"comment": comment, "values": data, "errors": {}, "preview_html": None}
    if request.method == "POST" and data.get("preview"):
        context["preview_html"] = await comments.preview(data.get("body", "")[:COMMENT_MAX])
        block = "comment_preview" if htmx.is_request(request) else None
        return render(request, "ideas/comment_edit.html", context, block=block)
    if request.method == "POST":
        try:
            await comments.edit_comment(comment.id, viewer, parse_comment(data))
            await live_events.comment_changed(comment.id, comment.idea_id)
        except FormErrors as exc:
            context["errors"] = exc.errors
            return render(request, "ideas/comment_edit.html", context, status_code=422)
        except NotAllowed as exc:
            context["errors"] = {"body": str(exc)}
            return render(request, "ideas/comment_edit.html", context, status_code=403)
        flash(request, _("Your comment is updated."))
        return see_other(urls.idea(comment.idea_id) + f"#comment-{comment.id}")
    if not comments.editable(comment, viewer):
        flash(request, _("Comments can be edited for 15 minutes after posting."), "error")
        return see_other(urls.idea(comment.idea_id) + f"#comment-{comment.id}")
    return render(request, "ideas/comment_edit.html", context)


async def _page_of(idea: Idea, viewer) -> idea_page.IdeaPage:
    """The idea page read again after a comment (its count changed); a 404 if the idea went away meanwhile."""
    page = await idea_page.read_idea_page(idea.id, viewer)
    if page is None:
        raise not_found("idea")
    return page


async def delete_comment(request: Request) -> Response:
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request)
    await throttle(request, "edit")
    try:
        comment = await comments.delete_comment(path_id(request, "comment_id"), viewer)
    except NotAllowed as exc:
        flash(request, str(exc), "error")
        return back(request, urls.board())
    await live_events.comment_changed(comment.id, comment.idea_id)
    flash(request, _("Your comment is deleted."))
    return see_other(urls.idea(comment.idea_id) + "#comments")


async def search(request: Request) -> Response:
    text = inputs.query_text(request, "q", max_length=200)
    viewer = current_user(request)
    if text:
        await throttle(request, "search")
    typing = htmx.triggered_by(request, "q")  # the box's input event
    page = await ideas.search_ideas(viewer, text, page=int_param(request, "page"), typing=typing) if text else None
    ids = [i.id for i in page.items] if page else []
    context = {"q": text, "page": page, "my_votes": await votes.votes_by(viewer, ids) if page else {},
               "passages": await full_text.conversation_passages(text, ids) if page else {},
               "budgets": await vote_budget.budgets_for(page.items, viewer) if page else {}}
    block = "results" if htmx.is_partial(request) else None
    return render(request, "search.html", context, block=block)
