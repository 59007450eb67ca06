"""The live stream (Server-Sent Events) every page shares, the small parts pages re-fetch when told, and the
@name suggestions a comment box asks for as someone types.

Each topic a page asks for is checked here, once, before the stream starts: a visitor never hears about internal
or hidden ideas, a person hears only their own bell, and only staff hear the review queue and the desk. The stream
itself touches no database (ideaboard/live.py); it ends after `live_stream_seconds` and the browser reconnects,
authorized again, with Last-Event-ID.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ideaboard import ideas, inputs, live, mentions, notifications
from ideaboard.models import Role, User
from ideaboard.templating import render
from ideaboard.views.common import current_user, login_redirect, not_found

BOARDS = ("public", "internal")


async def stream(request: Request) -> Response:
    """`/live?board=public&idea=7&queue=1&desk=1`: the events of what this viewer may see, plus their bell."""
    if "text/event-stream" not in request.headers.get("accept", ""):
        return PlainTextResponse("This address streams live updates to pages that ask for text/event-stream.",
                                 status_code=406)
    topics = await allowed_topics(request, current_user(request))
    if not topics:
        raise not_found("live updates")
    since = live.last_event_id(request.headers.get("last-event-id"), request.query_params.get("since"))
    return live.stream(request.state.live, topics, since, seconds=request.state.settings.live_stream_seconds)


async def allowed_topics(request: Request, viewer: User | None) -> list[str]:
    """The topics asked for, each one only if this viewer may see what it carries (else a 404, as for the page)."""
    q = request.query_params
    topics = [f"user:{viewer.id}"] if viewer is not None else []
    board = q.get("board")
    if board is not None:
        if board not in BOARDS or (board == "internal" and not ideas.can_see_internal(viewer)):
            raise not_found("board")
        topics.append(f"board:{board}")
    idea_id = inputs.query_id(request, "idea")
    if idea_id is not None:
        if await ideas.get_idea(idea_id, viewer) is None:
            raise not_found("idea")
        topics.append(f"idea:{idea_id}")
    for name in ("queue", "desk"):
        if q.get(name):
            if viewer is None or not Role(viewer.role).is_staff:
                raise not_found(name)
            topics.append("staff" if name == "queue" else "desk")
    return topics


async def bell(request: Request) -> Response:
    """The header's bell with its unread count (re-fetched when the stream says it changed)."""
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request)
    request.scope["unread_count"] = await notifications.unread_count(viewer)
    return render(request, "base.html", {}, block="bell")


async def mention_suggestions(request: Request) -> Response:
    """`/mentions?body=…&idea=7`: members whose name completes the `@name` typed last (htmx, under the box)."""
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request)
    partial = mentions.typed_handle(request.query_params.get("body", "")[-60:])  # only the end is being typed
    idea_id = inputs.query_id(request, "idea")
    idea = await ideas.get_idea(idea_id, viewer) if idea_id is not None else None
    if idea_id is not None and idea is None:
        raise not_found("idea")
    internal = idea is not None and idea.space == "internal"
    found = await mentions.suggest(partial, viewer, employees_only=internal) if partial else []
    people = [(member, mentions.handle_of(member)) for member in found]
    return render(request, "ideas/detail.html", {"people": people, "partial": partial}, block="mention_list")
