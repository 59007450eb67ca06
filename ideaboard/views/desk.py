"""The X desk under /staff/desk: the shared inbox, one conversation, and its actions (claim, reply, link, convert,
dismiss). Plain forms that redirect (they work without JavaScript); live updates re-fetch marked parts of the page.

Mounted under /staff (staff.py), whose RequireRole middleware is the access check.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import desk, htmx, inputs, live_events, post_length, social
from ideaboard.assignment import team_members
from ideaboard.auth import staff_user
from ideaboard.categories import list_categories
from ideaboard.errors import Conflict, DomainError
from ideaboard.forms import FormErrors, parse_idea
from ideaboard.i18n import gettext as _
from ideaboard.models import Conversation, ConversationState, Idea, SavedReply, Space, Status, User
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import form_data, int_param, not_found, path_id, see_other
from ideaboard.views.similar import find_similar

SUGGESTIONS = 5


async def inbox(request: Request) -> Response:
    """Conversations waiting for an answer (or filtered), newest or busiest first; htmx re-fetches the list live."""
    filters = desk.InboxFilters.parse(request.query_params)
    page = int_param(request, "page")
    found = await desk.inbox(staff_user(request), filters, page)
    context = {"section": "desk", "inbox": found, "filters": filters, "page": page,
               "states": list(ConversationState), "ideas": await _linked_ideas()}
    block = "desk_list" if htmx.is_partial(request) else None
    return render(request, "staff/desk.html", context, block=block)


async def conversation_page(request: Request) -> Response:
    """The whole conversation, or (htmx, on a live update) only who has it and what we said."""
    conversation = await _conversation(request)
    if htmx.is_partial(request):
        context = {"conversation": conversation, "replies": await desk.sent_replies(conversation),
                   "team": await team_members(), "viewer": staff_user(request), "error": None, "error_at": None}
        return render(request, "staff/conversation.html", context, block="conv_status")
    return render(request, "staff/conversation.html", await _context(request, conversation))


async def assign(request: Request) -> Response:
    """Claim ('me'), hand to a teammate (a user id) or release (''), with the version the page was shown at."""
    conversation, data = await _conversation(request), await form_data(request)
    actor, choice, version = staff_user(request), data.get("owner", "me"), _version(data)
    try:
        if choice == "me":
            await desk.claim(conversation, actor, version)
            message = _("It is yours: your teammates see that you are answering it.")
        else:
            owner_id = inputs.id_or_none(choice)
            owner = await User.get_or_none(id=owner_id) if owner_id is not None else None
            if choice and owner is None:
                raise desk.DeskError(_("Choose a teammate from the list."))
            await desk.assign(conversation, actor, owner, version)
            message = _("Now with %(name)s.", name=owner.name) if owner else _("Released: back in the shared inbox.")
    except DomainError as exc:
        return await _refused(request, conversation, exc, "assign")
    return await _changed(request, conversation, message, "assign")


async def reply(request: Request) -> Response:
    """Post the reply on X; whatever goes wrong, the typed text comes back in the form and nothing changes."""
    conversation, data = await _conversation(request), await form_data(request)
    text = data.get("text", "")
    try:
        sent = await desk.reply(conversation, staff_user(request), text, version=_version(data),
                                key=data.get("key", ""), in_reply_to=data.get("in_reply_to", ""),
                                settings=request.state.settings)
    except DomainError as exc:
        return await _refused(request, conversation, exc, "reply", reply_text=text, reply_key=data.get("key", ""),
                              in_reply_to=data.get("in_reply_to", ""))
    message = (_("That reply was already sent; it was not sent again.") if sent.already
               else _("Replied on X. The reply is stored with the conversation."))
    return await _changed(request, conversation, message, "reply")


async def reply_preview(request: Request) -> Response:
    """The weighted-length counter (htmx); without JavaScript the server checks the length on send."""
    conversation = await _conversation(request)
    if not htmx.is_request(request):
        return see_other(urls.staff_conversation(conversation.id))
    text = (await form_data(request)).get("text", "")
    return render(request, "staff/conversation.html", {"length": _length(text), **_limits()}, block="reply_counter")


async def link(request: Request) -> Response:
    """Link the conversation to an existing idea (one click on a suggestion, or an idea number)."""
    conversation, data = await _conversation(request), await form_data(request)
    idea_id = inputs.id_or_none(data.get("idea", "").strip().lstrip("#"))
    idea = await Idea.get_or_none(id=idea_id) if idea_id is not None else None
    try:
        if idea is None:
            raise desk.DeskError(_("Enter the number of an existing idea, or pick a suggestion."))
        await desk.link_idea(conversation, staff_user(request), idea, _version(data))
    except DomainError as exc:
        return await _refused(request, conversation, exc, "link")
    flash(request, _("Linked to idea #%(id)s, “%(title)s”: its tweets now count for that idea.", id=idea.id,
                             title=idea.title))
    await _publish(request, conversation, "link")
    return see_other(urls.staff_conversation(conversation.id, compose="idea_link" if data.get("then_reply") else None))


async def to_idea(request: Request) -> Response:
    """A form pre-filled from the conversation; publishing makes the idea once, credited to the tweet's author."""
    conversation = await _conversation(request)
    made = await desk.made_idea(conversation)
    root = await desk.root_tweet(conversation)
    if root is None:
        raise not_found("conversation's first post")
    categories = await list_categories()
    values = {"title": social.tweet_title(root.text), "body": root.text, "category": "", "tags": ""}
    context: dict[str, Any] = {"section": "desk", "conversation": conversation, "tweet": root, "made": made,
                               "categories": categories, "values": values, "errors": {},
                               "suggestions": [] if made else await _suggestions(request, root.text, conversation)}
    if request.method == "GET":
        return render(request, "staff/conversation_idea.html", context, status_code=409 if made else 200)
    data = await form_data(request)
    try:
        form = parse_idea(data, {c.id for c in categories})
        idea = await desk.idea_from_conversation(conversation, staff_user(request), form, _version(data))
    except FormErrors as exc:
        context.update(values=exc.values, errors=exc.errors)
        return render(request, "staff/conversation_idea.html", context, status_code=422)
    except desk.AlreadyConverted as exc:
        context.update(made=exc.idea, values=data, error=str(exc))
        return render(request, "staff/conversation_idea.html", context, status_code=409)
    except DomainError as exc:
        context.update(values=data, error=str(exc))
        return render(request, "staff/conversation_idea.html", context, status_code=409)
    flash(request, _("Published as idea #%(id)s, credited to @%(author)s on X.", id=idea.id,
                             author=root.author_username or root.author_id))
    await _publish(request, conversation, "idea")
    return see_other(urls.staff_conversation(conversation.id, compose="idea_link" if data.get("then_reply") else None))


async def dismiss(request: Request) -> Response:
    conversation, data = await _conversation(request), await form_data(request)
    try:
        if data.get("reopen"):
            await desk.reopen(conversation, staff_user(request), _version(data))
            message = _("Back in the inbox, unassigned.")
        else:
            await desk.dismiss(conversation, staff_user(request), data.get("reason", ""), data.get("note", "")[:300],
                               _version(data))
            message = _("Dismissed; the reason is on the record.")
    except DomainError as exc:
        return await _refused(request, conversation, exc, "dismiss")
    return await _changed(request, conversation, message, "dismiss")


async def ticket(request: Request) -> Response:
    """Send the conversation to the help desk (Zendesk); if Zendesk is down, the note stays in the form."""
    conversation, data = await _conversation(request), await form_data(request)
    note = data.get("note", "")[:2000]
    settings = request.state.settings
    try:
        await desk.send_to_help_desk(conversation, staff_user(request), note, version=_version(data),
                                     settings=settings, base_url=settings.base_url)
    except DomainError as exc:
        return await _refused(request, conversation, exc, "ticket", ticket_note=note)
    made = _("Help desk ticket #%(id)s created.", id=conversation.ticket_id)
    return await _changed(request, conversation, made, "ticket")


async def saved_reply(request: Request) -> Response:
    """Add a saved reply for the whole team."""
    data = await form_data(request)
    back = inputs.id_or_none(data.get("conversation", ""))
    try:
        saved = await desk.save_template(staff_user(request), data.get("title", ""), data.get("body", ""))
        flash(request, _("Saved reply “%(title)s” added for the team.", title=saved.title))
    except desk.DeskError as exc:
        flash(request, str(exc), "error")
    if back is not None and await Conversation.exists(id=back):
        return see_other(urls.staff_conversation(back))
    return see_other(urls.staff_desk())


async def customer(request: Request) -> Response:
    """One X handle's history with us: their posts, our replies, ideas, tickets, in order."""
    handle = request.path_params["handle"].lstrip("@")
    if not desk.is_handle(handle):
        raise not_found("person on X")
    moments = await desk.customer_history(handle)
    context = {"section": "desk", "handle": handle, "moments": moments, "member": await desk.member_of(handle),
               "name": next((c.author_name for c in await Conversation.filter(author_username__iexact=handle)
                             if c.author_name), None)}
    return render(request, "staff/customer.html", context, status_code=200 if moments else 404)


async def delete_saved_reply(request: Request) -> Response:
    saved = await SavedReply.get_or_none(id=path_id(request, "reply_id"))
    if saved is None:
        raise not_found("saved reply")
    await desk.delete_template(staff_user(request), saved)
    flash(request, _("Saved reply “%(title)s” deleted.", title=saved.title))
    back = inputs.id_or_none((await form_data(request)).get("conversation", ""))
    if back is not None and await Conversation.exists(id=back):
        return see_other(urls.staff_conversation(back))
    return see_other(urls.staff_desk())


async def _conversation(request: Request) -> Conversation:
    conversation = await desk.get_conversation(path_id(request, "conversation_id"))
    if conversation is None:
        raise not_found("conversation")
    return conversation


def _version(data: dict[str, str]) -> int:
    """The version the form was shown at; junk becomes -1, which never matches (so it reads as a conflict)."""
    return inputs.int_or(data.get("version"), -1)


def _length(text: str) -> int:
    return post_length.weighted_length(text.strip()) if text.strip() else 0


def _limits() -> dict[str, int]:
    return {"max_length": post_length.MAX_WEIGHTED_LENGTH}


async def _linked_ideas() -> list[Idea]:
    """Ideas that have conversations, for the inbox's idea filter."""
    ids = await Conversation.exclude(idea_id=None).distinct().values_list("idea_id", flat=True)
    return await Idea.filter(id__in=list(ids)).order_by("title").limit(200)


async def _context(request: Request, conversation: Conversation, **extra: Any) -> dict[str, Any]:
    settings = request.state.settings
    posts = await desk.thread(conversation)
    templates = await desk.saved_replies()
    chosen = inputs.int_or(request.query_params.get("template"), -1, low=-1, high=len(templates) - 1)
    compose = request.query_params.get("compose")
    text = extra.pop("reply_text", None)
    if text is None:
        if 0 <= chosen < len(templates):
            text = desk.fill_template(templates[chosen].body, conversation, settings)
        elif compose == "idea_link" and conversation.idea_id:
            text = desk.fill_template(desk.DEFAULT_SAVED_REPLIES[1][1], conversation, settings)
        else:
            text = ""
    first = posts[0] if posts else None
    suggestions = await _suggestions(request, first.text if first else "", conversation)
    return {
        "section": "desk", "conversation": conversation, "posts": posts,
        "replies": await desk.sent_replies(conversation), "team": await team_members(),
        "templates": list(enumerate(templates)), "suggestions": suggestions,
        "made": await desk.made_idea(conversation), "reasons": desk.DISMISS_REASONS,
        "reply_text": text, "reply_key": extra.pop("reply_key", "") or desk.new_reply_key(),
        "in_reply_to": extra.pop("in_reply_to", "") or (posts[-1].id if posts else conversation.x_conversation_id),
        "length": _length(text), **_limits(), "error": None, "error_at": None, "can_post": bool(settings.x_user_token),
        "viewer": staff_user(request), "help_desk": settings.zendesk_enabled,
        "ticket_note": "",
        "history_handle": conversation.author_username if desk.is_handle(conversation.author_username or "") else "",
        **extra,
    }


async def _suggestions(request: Request, text: str, conversation: Conversation) -> list[Idea]:
    """The nearest ideas to the first post (the similar-ideas index), the linked one left out."""
    matches = await find_similar(request, text) if len(text) >= 4 else []
    ids = [i for i, _score in matches if i != conversation.idea_id]
    found = {i.id: i for i in await Idea.filter(id__in=ids, hidden=False, space=Space.PUBLIC, merged_into=None)
             .exclude(status=Status.DUPLICATE)}
    return [found[i] for i in ids if i in found][:SUGGESTIONS]


async def _refused(request: Request, conversation: Conversation, exc: Exception, where: str,
                   **extra: Any) -> Response:
    """The conversation as it is now, the refusal next to the form that caused it, the typed text kept."""
    fresh = await desk.get_conversation(conversation.id) or conversation
    context = await _context(request, fresh, error=str(exc), error_at=where, **extra)
    status = 409 if isinstance(exc, Conflict) else 422
    return render(request, "staff/conversation.html", context, status_code=status)


async def _changed(request: Request, conversation: Conversation, message: str, event: str) -> Response:
    await _publish(request, conversation, event)
    flash(request, message)
    return see_other(urls.staff_conversation(conversation.id))


async def _publish(request: Request, conversation: Conversation, event: str) -> None:
    live_events.desk_changed(conversation.id)  # `event` says what changed, for the log: pages just re-fetch
