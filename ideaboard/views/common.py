"""Small helpers every view module shares: form reading, 404s, the current user, redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ideaboard import htmx, inputs, ratelimit
from ideaboard.models import User
from ideaboard.templating import flash
from ideaboard.urls import urls

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
STRIPPED = "Invisible control characters were removed from what you typed."


async def form_pairs(request: Request) -> list[tuple[str, str]]:
    """Every submitted (name, value), control characters removed (files are not accepted anywhere).

    Malformed bodies raise inputs.Invalid/TooLarge (a 400/413 page); other content types have no fields.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(URLENCODED):  # the stdlib parser: cheaper than python-multipart
        pairs = inputs.parse_urlencoded(await request.body())
    elif content_type.startswith(MULTIPART):  # Starlette's own limits: a 400 past them
        async with request.form(max_fields=inputs.MAX_FIELDS, max_files=0) as form:
            pairs = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    else:
        pairs = []
    return _cleaned(request, pairs)


async def form_and_file(request: Request, name: str, max_bytes: int) -> tuple[dict[str, str], tuple[str, bytes]]:
    """A form that may carry one file (a picture attached while writing): its fields and (filename, bytes),
    ("", b"") when no file was chosen; the file is read up to max_bytes + 1 so the caller can refuse it."""
    if not request.headers.get("content-type", "").startswith(MULTIPART):
        return await form_data(request), ("", b"")
    file: tuple[str, bytes] = ("", b"")
    async with request.form(max_fields=inputs.MAX_FIELDS, max_files=1) as form:
        pairs = []
        for key, value in form.multi_items():
            if isinstance(value, str):
                pairs.append((key, value))
            elif key == name and value.filename:
                file = (value.filename, await value.read(max_bytes + 1))
    return dict(_cleaned(request, pairs)), file


def _cleaned(request: Request, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    clean, stripped = inputs.clean_pairs(pairs)
    if stripped and not request.scope.get("ideaboard.stripped"):  # said once, however often the form is read
        request.scope["ideaboard.stripped"] = True
        flash(request, STRIPPED, "error")
    return clean


async def form_data(request: Request) -> dict[str, str]:
    """The submitted form as plain strings; of a repeated field, the last value counts."""
    return dict(await form_pairs(request))


async def form_list(request: Request, name: str) -> list[str]:
    """Every value of a repeated field (checkbox lists), in order."""
    return [value for key, value in await form_pairs(request) if key == name]


def int_param(request: Request, name: str, default: int = 1) -> int:
    """A positive integer query parameter (page numbers): absent is the default, junk a 400 page."""
    return inputs.query_int(request, name, default=default)


def path_id(request: Request, name: str = "idea_id") -> int:
    """The row id in the URL ({idea_id:id} already keeps it in range; a route still on :int gets a 404 here)."""
    value = request.path_params[name]
    if not isinstance(value, int) or not 0 <= value <= inputs.INT_MAX:
        raise not_found()
    return value


def not_found(what: str = "page") -> HTTPException:
    return HTTPException(404, f"This {what} does not exist, or you cannot see it.")


async def visible_idea(request: Request, viewer: User | None, idea_id: int | None = None):
    """The idea in the URL if this viewer may see it, else a 404 (hidden and internal rules in ideas.get_idea)."""
    from ideaboard.ideas import get_idea

    idea = await get_idea(path_id(request) if idea_id is None else idea_id, viewer)
    if idea is None:
        raise not_found("idea")
    return idea


def current_user(request: Request) -> User | None:
    return request.scope.get("user")


def login_redirect(request: Request, next_path: str | None = None) -> Response:
    """Send an anonymous visitor to log in, then back here (or to `next_path`, a page they can GET)."""
    return htmx.redirect(request, urls.login(next=next_path or request.url.path))


def back(request: Request, default: str) -> RedirectResponse:
    """Redirect to the page the form was on (same site only), else to `default`."""
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = not referer.netloc or referer.netloc == request.url.netloc
    path = referer.path + (f"?{referer.query}" if referer.query else "")
    return see_other(path if same_site and path.startswith("/") and not path.startswith("//") else default)


def see_other(url: str) -> RedirectResponse:
    """POST/redirect/GET, so a refresh never resubmits a form."""
    return RedirectResponse(url, status_code=303)


def client_ip(request: Request) -> str:
    """The client's address (behind a proxy, run uvicorn with --proxy-headers so this is the real one)."""
    return request.client.host if request.client else "unknown"


async def throttle(request: Request, action: str) -> None:
    """Count this request against its rate limit (ratelimit.RULES); raises RateLimited once over it."""
    user = current_user(request)
    await ratelimit.check(request.state.redis, request.state.settings, action,
                          person_id=user.id if user else None, ip=client_ip(request))
