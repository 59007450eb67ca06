"""Small helpers every view module shares: form reading, 404s, the current user, redirects."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse

from ideaboard.models import User

URLENCODED = "application/x-www-form-urlencoded"
QUICK_FORM_BYTES = 64 * 1024


async def form_data(request: Request) -> dict[str, str]:
    """The submitted form as plain strings (files are not accepted anywhere)."""
    headers = request.headers
    length = headers.get("content-length", "")
    if headers.get("content-type", "").startswith(URLENCODED) and length.isdigit() and int(length) <= QUICK_FORM_BYTES:
        # a small plain form (nearly all of them): the stdlib parser, python-multipart's was 5% of a vote (issue #5)
        try:
            return dict(parse_qsl((await request.body()).decode("latin-1"), keep_blank_values=True, max_num_fields=1000))
        except ValueError:
            raise HTTPException(400, "Too many form fields.")
    form = await request.form()  # multipart or large: Starlette's streaming parser with its size limits
    return {key: value for key, value in form.items() if isinstance(value, str)}


def int_param(request: Request, name: str, default: int = 1) -> int:
    """A positive integer query parameter; junk falls back to the default instead of failing."""
    raw = request.query_params.get(name, "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else default


def path_id(request: Request, name: str = "idea_id") -> int:
    return int(request.path_params[name])


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


def login_redirect(request: Request, next_path: str | None = None) -> RedirectResponse:
    """Send an anonymous visitor to log in, then back here (or to `next_path`, a page they can GET)."""
    return RedirectResponse(f"/login?next={next_path or request.url.path}", status_code=303)


def back(request: Request, default: str) -> RedirectResponse:
    """Redirect to the page the form was on (same site only), else to `default`."""
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = not referer.netloc or referer.netloc == request.url.netloc
    path = referer.path + (f"?{referer.query}" if referer.query else "")
    return see_other(path if same_site and path.startswith("/") and not path.startswith("//") else default)


def see_other(url: str) -> RedirectResponse:
    """POST/redirect/GET, so a refresh never resubmits a form."""
    return RedirectResponse(url, status_code=303)
