"""CSRF protection for every unsafe request: a per-session token, sent as a form field or an htmx header.

Pure ASGI, so it can read the form body and replay it to the endpoint unchanged. Browsers' cross-site
requests are also refused outright when they announce themselves with Sec-Fetch-Site.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
MAX_FORM_BYTES = 1_000_000


def session_token(session: dict) -> str:
    """The session's CSRF token, created on first use."""
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    return session[FIELD]


class CSRFMiddleware:
    """Refuses unsafe requests whose token does not match the session's (403, nothing runs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        body, receive = await _buffer(receive)
        expected = scope.get("session", {}).get(FIELD, "")
        given = headers.get(HEADER) or _form_token(headers, body)
        cross_site = headers.get("Sec-Fetch-Site") == "cross-site"
        if cross_site or not expected or not given or not hmac.compare_digest(expected, given):
            response = PlainTextResponse(
                "This form has expired or came from another site. Go back, reload the page and try again.",
                status_code=403,
            )
            return await response(scope, receive, send)
        await self.app(scope, receive, send)


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body (bounded) and return a receive that replays it."""
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = message.get("more_body", False) and size <= MAX_FORM_BYTES
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _form_token(headers: Headers, body: bytes) -> str:
    if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return ""
    values = parse_qs(body.decode("latin-1"), max_num_fields=1000).get(FIELD, [""])
    return values[0]
