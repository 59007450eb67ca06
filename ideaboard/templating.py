"""Jinja2 with named-block rendering (jinja2-fragments): each page one template, each swapped region a block."""

from __future__ import annotations

import functools
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from jinja2.environment import TemplateModule
from jinja2_fragments.starlette import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import Response

from ideaboard import campaigns, comments, live, statuses
from ideaboard.csrf import session_token
from ideaboard.models import Role, Status
from ideaboard.urls import urls

templates = Jinja2Blocks(directory=str(Path(__file__).parent / "templates"))


def timeago(value: datetime | None) -> str:
    """'3 hours ago' reads better than a timestamp in a community feed."""
    if value is None:
        return ""
    seconds = int(time.time() - value.timestamp())
    for unit, size in (("year", 31_536_000), ("month", 2_592_000), ("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "just now"


def voting_closed(idea: Any) -> bool:
    """`idea is voting_closed`: the widget shows no buttons where votes would be refused (a Tally has no status)."""
    status = getattr(idea, "status", None)
    return status is not None and not Status(status).accepts_votes


def status_label(value: str) -> str:
    return Status(value).label


def status_description(value: str) -> str:
    """The public description an admin gave the status (the badge's tooltip)."""
    return Status(value).definition.description


@pass_context
def static_url(context: Any, path: str) -> str:
    """A static file's URL under the app's root path (inside a Mount root_path grows (/staff), app_root_path not)."""
    scope = context["request"].scope
    return scope.get("app_root_path", scope.get("root_path", "")) + urls.static(path)


templates.env.auto_reload = False  # templates only change on deploy: no stat() per render (see `configure`)
templates.env.globals["static_url"] = static_url
templates.env.globals["urls"] = urls
templates.env.filters["timeago"] = timeago
templates.env.filters["status_label"] = status_label
templates.env.filters["status_description"] = status_description
templates.env.globals["Role"] = Role
templates.env.tests["voting_closed"] = voting_closed
templates.env.filters["campaign_time"] = campaigns.when
templates.env.filters["campaign_countdown"] = campaigns.countdown
templates.env.globals["live_since"] = live.since_now
templates.env.tests["editable_by"] = comments.editable  # {% if c is editable_by(user) %}


def configure(*, debug: bool) -> None:
    """Follow the app's settings: with debug on, an edited template shows on the next request."""
    templates.env.auto_reload = debug


class Macros:
    """_macros.html as `ui`: the module made once (the macros take what they need as arguments), and its badges
    rendered once per role or status, since a list page shows dozens and a macro call costs more than its markup."""

    def __init__(self) -> None:
        self._module: TemplateModule | None = None
        # per status and loaded workflow: an admin's rename or new colour shows at once
        self._status_badge = functools.lru_cache(maxsize=64)(lambda status, _: self._macros.status_badge(status))
        self._role_badge = functools.lru_cache(maxsize=16)(lambda role: self._macros.role_badge(role))

    @property
    def _macros(self):
        if self._module is None:  # made on first use, so the module's globals include `ui` itself
            self._module = templates.env.get_template("_macros.html").module
        return self._module

    def status_badge(self, status: Any) -> Any:
        return self._status_badge(str(status), statuses.generation())

    def role_badge(self, person: Any) -> Any:
        return self._role_badge(person.role)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._macros, name)


templates.env.globals["ui"] = Macros()


def flash(request: Request, message: str, kind: str = "success") -> None:
    """A one-time message shown on the next page the user sees."""
    request.session.setdefault("flash", []).append([kind, message])


class LazyToken:
    """The session's CSRF token, made only when a page prints it: pages without forms then set no cookie."""

    __slots__ = ("session",)

    def __init__(self, session: dict) -> None:
        self.session = session

    def __str__(self) -> str:
        return session_token(self.session)

    __html__ = __str__

    def __bool__(self) -> bool:
        return True


def _context(request: Request, context: dict[str, Any], take_flashes: bool) -> dict[str, Any]:
    user = request.scope.get("user")
    session = request.scope.get("session", {})
    settings = request.state.settings
    return {
        "request": request,
        "user": user,
        "is_staff": bool(user and Role(user.role).is_staff),
        "is_employee": bool(user and Role(user.role).is_employee),
        "csrf_token": LazyToken(session),
        "flashes": session.pop("flash", []) if take_flashes else [],
        "site_name": settings.site_name,
        "unread_count": request.scope.get("unread_count", 0),
        **context,
    }


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, block: str | None = None,
    status_code: int = 200, headers: dict[str, str] | None = None,
) -> Response:
    """Render a whole page, or only one named block of it for an htmx swap."""
    ctx = _context(request, context or {}, take_flashes=block is None)
    if block is not None:
        return templates.TemplateResponse(request, name, ctx, block_name=block, status_code=status_code,
                                          headers=headers)
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)


ERROR_HEADINGS = {
    400: "That request was not understood",
    403: "That was not allowed",
    405: "That does not work here",
    413: "That is too much at once",
    503: "Back in a moment",
}


def error_page(request: Request, status_code: int, detail: str) -> Response:
    """An error in the site's normal layout (the 404 page has its own template)."""
    if status_code == 404:
        return render(request, "errors/404.html", {"detail": detail}, status_code=404)
    heading = ERROR_HEADINGS.get(status_code, "That did not work")
    return render(request, "errors/error.html", {"heading": heading, "detail": detail}, status_code=status_code)
