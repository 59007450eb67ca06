"""The only module that knows htmx's HX-* header names (htmx 2, with htmx 4's request type understood)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Every request header is_request/is_partial read: responses that depend on them name them all in Vary.
HEADERS = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request", "HX-Request-Type", "HX-Trigger")
VARY_ON = tuple(name.lower().encode() for name in HEADERS)  # ASGI spelling, for the page cache's key


def is_request(request: Request) -> bool:
    """True for any request htmx made."""
    return request.headers.get("HX-Request") == "true"


def is_partial(request: Request) -> bool:
    """True when htmx will swap our response into part of the page (not boosted, not a history restore)."""
    h = request.headers
    return (
        is_request(request)
        and h.get("HX-Boosted") != "true"
        and h.get("HX-History-Restore-Request") != "true"
        and h.get("HX-Request-Type", "partial") == "partial"
    )


def triggered_by(request: Request, element_id: str) -> bool:
    """True when a partial request came from this element's own trigger (the search box as someone types)."""
    return is_partial(request) and request.headers.get("HX-Trigger") == element_id


def redirect(request: Request, url: str) -> Response:
    """Go to `url`: a 303 for plain forms; for htmx a 200 with HX-Redirect (htmx never sees a 3xx: the browser
    follows it inside the request and htmx would swap the page it lands on into the fragment's place)."""
    if is_request(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _add_vary(headers: MutableHeaders) -> None:
    """Caches must keep full pages and fragments of the same URL apart: every htmx header joins Vary."""
    present = [v.strip() for v in headers.get("Vary", "").split(",") if v.strip()]
    known = {v.lower() for v in present}
    headers["Vary"] = ", ".join(present + [h for h in HEADERS if h.lower() not in known])


class VaryMiddleware:
    """Every page may depend on the htmx headers (a view's fragment, the bell counted only on full pages): say so on
    each response but static files'."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            return await self.app(scope, receive, send)

        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                _add_vary(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_vary)


def show_message(response: Response) -> Response:
    """Put this (error) response in the page's message area instead of the region the request meant to swap."""
    response.headers["HX-Retarget"] = "#messages"
    response.headers["HX-Reswap"] = "innerHTML"
    return response
