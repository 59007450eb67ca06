"""Moderation at scale in the staff console: suspensions, the review queue, staff edits, private notes, unmerge."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import suspensions
from ideaboard.errors import NotAllowed
from ideaboard.forms import FormErrors
from ideaboard.templating import flash
from ideaboard.views.common import form_data
from ideaboard.views.staff import _admin, _back_to_users, _person, users_page


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


