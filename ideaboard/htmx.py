"""The only module that knows htmx's HX-* header names (htmx 2, with htmx 4's request type understood)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

# The request headers our responses depend on (ASGI spelling), for caches that must keep their answers apart.
VARY_ON = (b"hx-request", b"hx-boosted", b"hx-history-restore-request", b"hx-request-type")


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


def redirect(request: Request, url: str) -> Response:
    """Go to `url`: a 303 for plain forms; for htmx a 200 with HX-Redirect (htmx never sees a 3xx: the browser
    follows it inside the request and htmx would swap the page it lands on into the fragment's place)."""
    if is_request(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def vary(response: Response) -> Response:
    """Caches must keep full pages and fragments of the same URL apart."""
    response.headers["Vary"] = "HX-Request"
    return response
