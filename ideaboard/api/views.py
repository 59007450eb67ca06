"""The API's handlers: parse (done by the declaration), call the same domain function the HTML view calls, reply."""

from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ideaboard import (
    api_keys,
    assignment,
    campaigns,
    captured,
    clusters,
    comments,
    desk,
    follows,
    i18n,
    idea_page,
    ideas,
    jobs,
    listing,
    live_events,
    merge,
    moderation,
    notice_text,
    notifications,
    pagecache,
    ratelimit,
    review,
    statuses,
    votes,
    workflow,
)
from ideaboard import categories as categories_cache
from ideaboard.api import campaigns as campaign_api
from ideaboard.api import openapi
from ideaboard.api import schemas as s
from ideaboard.api.operations import Call, Refused, Reply, if_match_version, operation
from ideaboard.errors import Conflict, NotAllowed, NotFound
from ideaboard.forms import parse_comment, parse_idea
from ideaboard.i18n import gettext as _
from ideaboard.models import ApiScope, CapturedFeedback, Category, IdeaEvent, Role, Tweet, User
from ideaboard.models import Comment as CommentRow
from ideaboard.models import Conversation as ConversationRow
from ideaboard.models import Idea as IdeaRow
from ideaboard.paging import Page
from ideaboard.suspensions import Suspended
from ideaboard.templating import render
from ideaboard.urls import urls
from ideaboard.views.common import client_ip

READ, WRITE, STAFF = ApiScope.READ, ApiScope.WRITE, ApiScope.STAFF


def person(user: User) -> s.Person:
    return s.Person(id=user.id, name=user.name, is_staff=Role(user.role).is_staff)


def _category(category: Category | None) -> s.CategoryRef | None:
    return s.CategoryRef(id=category.id, name=category.name, slug=category.slug) if category else None


def _summary_fields(idea: IdeaRow, tags: list[str], my_vote: int | None) -> dict:
    return {"id": idea.id, "title": idea.title, "status": idea.status, "space": idea.space,
            "author": person(idea.author), "category": _category(idea.category), "tags": tags,
            "upvotes": idea.upvotes, "downvotes": idea.downvotes, "score": idea.score,
            "comment_count": idea.comment_count, "campaign_id": idea.campaign_id, "my_vote": my_vote,
            "version": idea.version,
            "created_at": idea.created_at, "url": urls.idea(idea.id)}


def _summaries(items, tags: dict[int, list[str]], my_votes: dict[int, int], signed_in: bool) -> list[s.IdeaSummary]:
    return [s.IdeaSummary(**_summary_fields(i, tags.get(i.id, []), my_votes.get(i.id, 0) if signed_in else None))
            for i in items]


def _event(event: IdeaEvent) -> s.Event:
    return s.Event(id=event.id, kind=event.kind, from_status=event.from_status, to_status=event.to_status,
                   message=event.message, message_html=event.message_html,
                   actor=person(event.actor) if event.actor else None, created_at=event.created_at)


def _comment(comment: CommentRow) -> s.Comment:
    return s.Comment(id=comment.id, idea_id=comment.idea_id, author=person(comment.author), body=comment.body,
                     body_html=comment.body_html, is_official=comment.is_official, created_at=comment.created_at,
                     edited_at=comment.edited_at)


def _idea_id(call: Call) -> int:
    return int(call.request.path_params["idea_id"])


async def _visible(call: Call) -> IdeaRow:
    """The idea in the path if the caller may see it (ideas.get_idea's rules, as in the browser), else a 404."""
    idea = await ideas.get_idea(_idea_id(call), call.user)
    if idea is None:
        raise NotFound(_idea_id(call))
    return idea


async def _wake_worker(call: Call) -> None:
    """Webhook deliveries the write queued go out now rather than at the worker's next minute."""
    await jobs.enqueue(call.request.state.arq, "deliver_webhooks", job_id=jobs.WEBHOOKS_JOB_ID)


async def _throttle(call: Call, action: str) -> None:
    """The same per-person write limits the browser has (ratelimit.RULES)."""
    request = call.request
    await ratelimit.check(request.state.redis, request.state.settings, action, person_id=call.me.id,
                          ip=client_ip(request))


@operation("GET", "/ideas", name="api_ideas", tag="Ideas", scope=READ, anonymous=True, query=s.IdeaListQuery,
           response=s.IdeaList, errors=(404,))
async def list_ideas(call: Call) -> Reply:
    """The board: filters, sorts and keyset cursors, as on the site.

    Follow `next_cursor` (or the `Link: rel="next"` header) for the next page; without a key, the public board a
    visitor sees.
    """
    q: s.IdeaListQuery = call.query
    try:
        campaign = await campaigns.get_campaign(str(q.campaign), call.user) if q.campaign else None
        page = await listing.list_ideas(call.user, sort=q.sort, space=q.space, category=q.category, tag=q.tag,
                                        status=q.status, size=q.limit, after=q.after, before=q.before,
                                        campaign=campaign.id if campaign else None)
    except NotAllowed:
        raise NotFound("space") from None
    body = s.IdeaList(items=_summaries(page.items, page.tags or {}, page.my_votes or {}, call.user is not None),
                      next_cursor=page.after, previous_cursor=page.before, total=page.total,
                      total_capped=page.capped)
    return Reply(body, headers=_links(q, page))


def _links(q: s.IdeaListQuery, page: Page) -> dict[str, str]:
    """RFC 8288 Link header with the neighbouring pages, same filters."""
    keep = {k: v for k, v in q.model_dump(exclude={"after", "before"}, exclude_defaults=True, mode="json").items()}
    found = []
    if page.after:
        found.append(f'<{urls.api_ideas(**keep, after=page.after)}>; rel="next"')
    if page.before:
        found.append(f'<{urls.api_ideas(**keep, before=page.before)}>; rel="prev"')
    return {"Link": ", ".join(found)} if found else {}


@operation("POST", "/ideas", name="api_new_idea", tag="Ideas", scope=WRITE, body=s.NewIdea, response=s.Idea,
           status=201)
async def create_idea(call: Call) -> Reply:
    """Post an idea as the key's person (the submit form's rules and hourly limit)."""
    new: s.NewIdea = call.body
    user, settings = call.me, call.request.state.settings
    categories = await categories_cache.list_categories()
    data = {"title": new.title, "body": new.body, "category": str(new.category_id or ""), "tags": " ".join(new.tags)}
    form = parse_idea(data, {c.id for c in categories})
    await _throttle(call, "idea")
    hold = await review.hold_reason(user, settings, f"{form.title} {form.body}".strip())
    try:
        idea = await ideas.submit_idea(user, form, new.space, new.campaign_id, hold=hold)
    except campaigns.CampaignRefused as exc:
        code = "campaign_closed" if isinstance(exc, campaigns.CampaignClosed) else "invalid_campaign"
        raise Refused(422, str(exc), code=code, fields={"campaign_id": str(exc)}) from None
    if idea.hidden:  # held for review (new member, or the campaign needs approval): no jobs until approved
        return Reply(await _full_idea(idea.id, user), 201, {"Location": urls.api_idea(idea.id)})
    await jobs.enqueue(call.request.state.arq, "update_idea_cluster", idea.id, job_id=jobs.idea_job_id(idea))
    await review.queue_spam_score(call.request.state.arq, "idea", idea.id)
    await _wake_worker(call)
    return Reply(await _full_idea(idea.id, user), 201, {"Location": urls.api_idea(idea.id)})


async def _full_idea(idea_id: int, viewer: User | None) -> s.Idea:
    page = await idea_page.read_idea_page(idea_id, viewer)
    if page is None:
        raise NotFound(idea_id)
    idea = page.idea
    merged_into = getattr(idea, "merge_target", None)  # only when this caller may open that idea too
    return s.Idea(**_summary_fields(idea, page.tags, page.my_vote if viewer else None), body=idea.body,
                  body_html=idea.body_html, merged_into_id=merged_into.id if merged_into else None,
                  updated_at=idea.updated_at, timeline=[_event(e) for e in page.timeline])


@operation("GET", "/ideas/{idea_id:id}", name="api_idea", tag="Ideas", scope=READ, anonymous=True,
           response=s.Idea)
async def get_idea(call: Call) -> Reply:
    """One idea with its timeline; hidden and internal ideas are 404 unless the key's person may see them."""
    return Reply(await _full_idea(_idea_id(call), call.user))


@operation("PATCH", "/ideas/{idea_id:id}", name="api_edit_idea", tag="Ideas", scope=WRITE, body=s.IdeaEdit,
           response=s.Idea)
async def edit_idea(call: Call) -> Reply:
    """Reword the person's own idea (title, description, category, tags) while nobody has started reviewing it."""
    change: s.IdeaEdit = call.body
    idea = await _visible(call)
    categories = await categories_cache.list_categories()
    data = {"title": change.title, "body": change.body, "category": str(change.category_id or ""),
            "tags": " ".join(change.tags)}
    await ideas.edit_idea(idea, call.me, parse_idea(data, {c.id for c in categories}))
    await jobs.enqueue(call.request.state.arq, "update_idea_cluster", idea.id, job_id=jobs.idea_job_id(idea))
    return Reply(await _full_idea(idea.id, call.me))


@operation("PUT", "/ideas/{idea_id:id}/follow", name="api_follow", tag="Follows", scope=WRITE,
           response=s.Following)
async def follow(call: Call) -> Reply:
    """Follow the idea: its status changes, responses and comments come to the person's notifications."""
    return await _set_following(call, True)


@operation("DELETE", "/ideas/{idea_id:id}/follow", name="api_unfollow", tag="Follows", scope=WRITE,
           response=s.Following)
async def unfollow(call: Call) -> Reply:
    """Stop following (voting or commenting later does not follow it again)."""
    return await _set_following(call, False)


async def _set_following(call: Call, on: bool) -> Reply:
    idea = await _visible(call)
    await _throttle(call, "follow")
    return Reply(s.Following(idea_id=idea.id, following=await follows.set_following(call.me, idea, on)))


@operation("PUT", "/ideas/{idea_id:id}/vote", name="api_vote", tag="Votes", scope=WRITE, body=s.VoteIn,
           response=s.Vote, errors=(403,))
async def put_vote(call: Call) -> Reply:
    """Cast, change or withdraw (0) the person's vote; repeating a vote changes nothing."""
    value: int = call.body.value
    return await _vote(call, value)


@operation("DELETE", "/ideas/{idea_id:id}/vote", name="api_unvote", tag="Votes", scope=WRITE, response=s.Vote)
async def delete_vote(call: Call) -> Reply:
    """Withdraw the person's vote."""
    return await _vote(call, 0)


async def _vote(call: Call, value: int) -> Reply:
    await _throttle(call, "vote")
    pagecache.minor_change(call.request.scope)
    tally = await votes.cast_vote(_idea_id(call), call.me, value)
    await live_events.vote_counted(tally)
    return Reply(s.Vote(idea_id=tally.idea_id, upvotes=tally.upvotes, downvotes=tally.downvotes, score=tally.score,
                        my_vote=tally.mine))


@operation("GET", "/ideas/{idea_id:id}/comments", name="api_comments", tag="Comments", scope=READ, anonymous=True,
           query=s.CommentListQuery, response=s.CommentList)
async def list_comments(call: Call) -> Reply:
    """The latest comments, oldest first; `earlier_cursor` pages back through the conversation."""
    page = await comments.list_comments(await _visible(call), before=call.query.before)
    return Reply(s.CommentList(items=[_comment(c) for c in page.items], earlier_cursor=page.earlier))


@operation("POST", "/ideas/{idea_id:id}/comments", name="api_new_comment", tag="Comments", scope=WRITE,
           body=s.NewComment, response=s.Comment, status=201, errors=(409,))
async def create_comment(call: Call) -> Reply:
    """Comment as the key's person; followers and @mentioned members are told, as on the site."""
    idea = await _visible(call)
    body = parse_comment({"body": call.body.body})
    await _throttle(call, "comment")
    try:
        hold = await review.hold_reason(call.me, call.request.state.settings, body)
        comment = await comments.add_comment(idea, call.me, body, hold=hold)
        if not hold:
            await review.queue_spam_score(call.request.state.arq, "comment", comment.id)
    except Suspended:
        raise
    except NotAllowed as exc:  # merged: the conversation continues on the other idea
        raise Refused(409, str(exc), code="merged") from None
    await _wake_worker(call)
    await live_events.comment_posted(comment, idea)
    return Reply(_comment(comment), 201)


@operation("PATCH", "/comments/{comment_id:id}", name="api_edit_comment", tag="Comments", scope=WRITE,
           body=s.NewComment, response=s.Comment, errors=(403, 404))
async def edit_comment(call: Call) -> Reply:
    """Reword the key's person's own comment, within 15 minutes of posting it; it is then marked edited."""
    comment_id = int(call.request.path_params["comment_id"])
    body = parse_comment({"body": call.body.body})
    try:
        await comments.edit_comment(comment_id, call.me, body)
    except NotAllowed as exc:  # someone else's comment, or the window closed: 403; no such comment: 404
        if not await CommentRow.exists(id=comment_id):
            raise Refused(404, _("There is no such comment.")) from None
        mine = await CommentRow.exists(id=comment_id, author_id=call.me.id)
        raise Refused(403, str(exc), code="edit_window_closed" if mine else "not_author") from None
    comment = await CommentRow.get(id=comment_id).prefetch_related("author")
    await live_events.comment_changed(comment.id, comment.idea_id)
    return Reply(_comment(comment))


@operation("POST", "/ideas/{idea_id:id}/status", name="api_status", tag="Staff", scope=STAFF, body=s.StatusChange,
           response=s.StatusEvent, status=201, errors=(409, 412))
async def change_status(call: Call) -> Reply:
    """Move the idea one step of the workflow, with an optional public message; followers are told.

    Send `If-Match: "<version>"` (the idea's `version`) to refuse the move with a 412 if someone changed it since.
    """
    change: s.StatusChange = call.body
    idea = await _visible(call)
    event = await workflow.transition(idea, call.me, change.status, change.message,
                                      expected_version=if_match_version(call.request))
    await _wake_worker(call)
    return Reply(s.StatusEvent(**_event(event).model_dump(), idea_version=idea.version), 201)


@operation("POST", "/ideas/{idea_id:id}/responses", name="api_respond", tag="Staff", scope=STAFF,
           body=s.NewResponse, response=s.StatusEvent, status=201, errors=(409, 412))
async def respond(call: Call) -> Reply:
    """Publish the team's official response on the idea's timeline (markdown); the status stays."""
    idea = await _visible(call)
    try:
        event = await workflow.respond(idea, call.me, call.body.message,
                                       expected_version=if_match_version(call.request))
    except ValueError as exc:  # nothing but spaces
        raise Refused(422, str(exc), fields={"message": str(exc)}) from None
    await _wake_worker(call)
    return Reply(s.StatusEvent(**_event(event).model_dump(), idea_version=idea.version), 201)


@operation("PUT", "/ideas/{idea_id:id}/owner", name="api_owner", tag="Staff", scope=STAFF, body=s.OwnerIn,
           response=s.Idea, errors=(409, 412))
async def set_owner(call: Call) -> Reply:
    """Give the idea to a teammate, or release it (null); the new owner is told. Takes If-Match too."""
    idea = await _visible(call)
    owner_id = call.body.owner_id
    owner = await User.get_or_none(id=owner_id, is_active=True) if owner_id is not None else None
    if owner_id is not None and owner is None:
        raise Refused(422, _("There is no such teammate."), fields={"owner_id": _("There is no such teammate.")})
    version = if_match_version(call.request)
    try:
        await assignment.assign(idea, call.me, owner, idea.version if version is None else version)
    except Conflict:
        raise  # 412 with If-Match, else 409
    except NotAllowed as exc:
        raise Refused(422, str(exc), fields={"owner_id": str(exc)}) from None
    return Reply(await _full_idea(idea.id, call.me))


@operation("POST", "/ideas/{idea_id:id}/merge", name="api_merge", tag="Staff", scope=STAFF, body=s.MergeIn,
           response=s.Idea)
async def merge_into(call: Call) -> Reply:
    """Merge this idea (the duplicate) into another; answers the idea it was merged into."""
    idea = await _visible(call)
    target = await ideas.get_idea(call.body.into_id, call.me)
    if target is None:
        raise Refused(422, _("There is no such idea to merge into."), fields={"into_id": _("No such idea.")})
    try:
        await merge.merge_ideas(idea, target, call.me)
    except NotAllowed as exc:
        raise Refused(422, str(exc), code="not_mergeable", fields={"into_id": str(exc)}) from None
    return Reply(await _full_idea(target.id, call.me))


@operation("PUT", "/ideas/{idea_id:id}/hidden", name="api_hidden", tag="Staff", scope=STAFF, body=s.HiddenIn,
           response=s.Idea)
async def set_hidden(call: Call) -> Reply:
    """Hide the idea from everyone but the team (or show it again); its open reports are closed."""
    idea = await _visible(call)
    await moderation.set_idea_hidden(call.me, idea, call.body.hidden)
    return Reply(await _full_idea(idea.id, call.me))


@operation("POST", "/ideas/{idea_id:id}/feedback", name="api_capture_feedback", tag="Staff", scope=STAFF,
           body=s.FeedbackIn, response=s.CapturedFeedback, status=201)
async def capture_feedback(call: Call) -> Reply:
    """Record what a customer said elsewhere (and their vote, unless `vote` is false); they are told."""
    idea = await _visible(call)
    body: s.FeedbackIn = call.body
    form = captured.parse_capture({"email": body.email, "name": body.name, "source": body.source, "note": body.note,
                                   "vote": "1" if body.vote else "", "company": body.company,
                                   "segment": body.segment, "revenue": "" if body.annual_revenue is None
                                   else str(body.annual_revenue)})
    feedback = await captured.capture(idea, call.me, form)
    return Reply(_feedback(feedback, call.me), status=201)


@operation("GET", "/ideas/{idea_id:id}/feedback", name="api_feedback", tag="Staff", scope=STAFF,
           response=s.CapturedFeedbackList)
async def list_feedback(call: Call) -> Reply:
    """Everything recorded for customers on the idea, newest first, withdrawn records included."""
    idea = await _visible(call)
    return Reply(s.CapturedFeedbackList(items=[_feedback(f, f.captured_by) for f in await captured.for_idea(idea.id)]))


def _feedback(feedback: CapturedFeedback, by: User | None) -> s.CapturedFeedback:
    return s.CapturedFeedback(id=feedback.id, idea_id=feedback.idea_id, customer=person(feedback.customer),
                              source=feedback.source, note=feedback.note, voted=feedback.voted,
                              captured_by=person(by) if by else None, created_at=feedback.created_at,
                              withdrawn_at=feedback.withdrawn_at)


@operation("GET", "/clusters", name="api_clusters", tag="Staff", scope=STAFF, query=s.ClusterQuery,
           response=s.ClusterList)
async def list_clusters(call: Call) -> Reply:
    """Groups of similar open ideas from the newest clustering, most voted (or fastest growing) first."""
    run, ranked = await clusters.ranked_clusters(sort=call.query.sort, limit=call.query.limit)
    items = [s.Cluster(id=r.cluster.id, label=r.cluster.label, size=r.cluster.size,
                       total_votes=r.cluster.total_votes, growth=r.cluster.growth,
                       ideas=[s.ClusterIdea(id=i.id, title=i.title, status=i.status, space=i.space, score=i.score)
                              for i in r.ideas]) for r in ranked]
    return Reply(s.ClusterList(items=items, clustered_at=run.finished_at if run else None))


@operation("GET", "/desk/conversations", name="api_conversations", tag="Staff", scope=STAFF,
           query=s.ConversationQuery, response=s.ConversationList)
async def list_conversations(call: Call) -> Reply:
    """The X desk's inbox: conversations waiting for an answer (or filtered), newest or busiest first."""
    q: s.ConversationQuery = call.query
    filters = desk.InboxFilters.parse({"who": q.who, "state": q.state, "idea": str(q.idea or ""), "sort": q.sort})
    found = await desk.inbox(call.me, filters, q.page)
    return Reply(s.ConversationList(items=[_conversation(r.conversation, r.first, r.latest) for r in found.rows],
                                    waiting=found.counts["waiting"], mine=found.counts["mine"], more=found.has_more))


@operation("PUT", "/desk/conversations/{conversation_id:id}/assignee", name="api_conversation_assignee",
           tag="Staff", scope=STAFF, body=s.AssigneeIn, response=s.Conversation, errors=(404, 409, 412))
async def assign_conversation(call: Call) -> Reply:
    """Claim (your own id), hand to a teammate or release (null); a teammate's claim meanwhile is 409, or 412 with
    `If-Match`."""
    conversation = await desk.get_conversation(int(call.request.path_params["conversation_id"]))
    if conversation is None:
        raise NotFound("conversation")
    assignee_id = call.body.assignee_id
    owner = await User.get_or_none(id=assignee_id, is_active=True) if assignee_id is not None else None
    if assignee_id is not None and owner is None:
        raise Refused(422, _("There is no such teammate."), fields={"assignee_id": _("There is no such teammate.")})
    version = if_match_version(call.request)
    expected = conversation.version if version is None else version
    if owner is not None and owner.id == call.me.id:
        await desk.claim(conversation, call.me, expected)  # refused while a teammate has it, as at the desk
    else:
        await desk.assign(conversation, call.me, owner, expected)
    live_events.desk_changed(conversation.id)
    fresh = await desk.get_conversation(conversation.id)
    assert fresh is not None
    first_and_latest = await desk.thread(fresh)
    return Reply(_conversation(fresh, first_and_latest[0] if first_and_latest else None,
                               first_and_latest[-1] if first_and_latest else None))


def _conversation(c: ConversationRow, first: Tweet | None, latest: Tweet | None) -> s.Conversation:
    return s.Conversation(id=c.id, x_conversation_id=c.x_conversation_id, author_username=c.author_username,
                          state=str(c.state), assignee=person(c.assignee) if c.assignee else None,
                          idea_id=c.idea_id, ticket_url=c.ticket_url, tweet_count=c.tweet_count,
                          engagement=c.engagement, version=c.version, last_tweet_at=c.last_tweet_at,
                          first_text=first.text if first else None, latest_text=latest.text if latest else None)


@operation("GET", "/search", name="api_search", tag="Ideas", scope=READ, anonymous=True, query=s.SearchQuery,
           response=s.SearchResults)
async def search(call: Call) -> Reply:
    """Full-text search over the ideas the caller may see, best match first (as /search on the site)."""
    q: s.SearchQuery = call.query
    request = call.request
    await ratelimit.check(request.state.redis, request.state.settings, "search",
                          person_id=call.user.id if call.user else None, ip=client_ip(request))
    page = await ideas.search_ideas(call.user, q.q, page=q.page)
    ids = [i.id for i in page.items]
    mine = await votes.votes_by(call.user, ids)
    items = _summaries(page.items, await ideas.tags_of(page.items), mine, call.user is not None)
    return Reply(s.SearchResults(items=items, page=page.number, total=page.total or 0, more=page.has_next))


@operation("GET", "/users/{user_id:id}", name="api_profile", tag="Users", scope=READ, anonymous=True,
           response=s.Profile)
async def profile(call: Call) -> Reply:
    """A member's public profile (deactivated accounts are 404)."""
    user = await User.get_or_none(id=int(call.request.path_params["user_id"]), is_active=True)
    if user is None:
        raise NotFound("user")
    return Reply(s.Profile(**person(user).model_dump(), joined_at=user.created_at))


@operation("GET", "/categories", name="api_categories", tag="Ideas", scope=READ, anonymous=True,
           response=s.CategoryList)
async def list_categories(call: Call) -> Reply:
    """The board's categories, in the board's order (filter ideas by `category` = slug)."""
    rows = await categories_cache.cached_categories()
    return Reply(s.CategoryList(items=[s.Category(id=c.id, name=c.name, slug=c.slug) for c in rows]))


@operation("GET", "/statuses", name="api_statuses", tag="Ideas", scope=READ, anonymous=True, response=s.StatusList)
async def list_statuses(call: Call) -> Reply:
    """The board's statuses in its order, with the moves each allows (admins shape the workflow)."""
    table = statuses.current()
    return Reply(s.StatusList(items=[
        s.StatusInfo(key=d.key, name=d.name, colour=d.colour, description=d.description, phase=d.phase.value,
                     next=table.next_of(d.key)) for d in table.statuses]))


@operation("GET", "/notifications", name="api_notifications", tag="Users", scope=READ, response=s.NotificationList)
async def list_notifications(call: Call) -> Reply:
    """The person's bell, newest first; reading it here marks nothing read (POST …/read does)."""
    items = await notifications.list_notifications(call.me)
    return Reply(s.NotificationList(items=[s.Notification(
        id=n.id, kind=n.kind, message=notice_text.text(n), count=n.count, idea_id=n.idea_id, url=notifications.link(n),
        read=n.read_at is not None, updated_at=n.updated_at) for n in items],
        unread=await notifications.unread_count(call.me)))


@operation("POST", "/notifications/read", name="api_notifications_read", tag="Users", scope=WRITE,
           response=s.MarkedRead)
async def mark_read(call: Call) -> Reply:
    """Mark every notification read, as opening the bell's page does."""
    return Reply(s.MarkedRead(marked=await notifications.mark_all_read(call.me)))


@operation("GET", "/users/me", name="api_me", tag="Users", scope=READ, response=s.Me)
async def me(call: Call) -> Reply:
    """Who the key acts as, and what it may do."""
    user, key = call.me, call.key
    assert key is not None
    scopes = [scope for scope in ApiScope if api_keys.has_scope(key, scope)]
    return Reply(s.Me(id=user.id, name=user.name, email=user.email, role=user.role,
                      email_verified=user.email_verified_at is not None, key_name=key.name, scopes=scopes))


OPERATIONS = [list_ideas, create_idea, get_idea, edit_idea, put_vote, delete_vote, follow, unfollow, list_comments,
              create_comment, edit_comment, change_status, respond, set_owner, merge_into, set_hidden, search,
              list_categories, list_statuses, me, list_notifications, mark_read, profile, capture_feedback,
              list_feedback, list_clusters, list_conversations, assign_conversation, *campaign_api.OPERATIONS]


async def openapi_document(request: Request) -> Response:
    """The OpenAPI 3.1 document, generated from the route table's declarations."""
    return JSONResponse(openapi.document(request.app.routes, request.state.settings))


async def reference(request: Request) -> Response:
    """The API's reference page, rendered from the same document."""
    document = openapi.document(request.app.routes, request.state.settings)
    context = {"doc": document, "operations": openapi.listed(document), "scope_help": api_keys.SCOPE_HELP,
               "api_root": openapi.API_ROOT, "code": openapi.code_spans, "translated": i18n.plain_gettext,
               "describe": functools.partial(openapi.describe, document=document),
               "schema_of": functools.partial(openapi.resolve, document=document)}
    return render(request, "api/reference.html", context)
