"""CSRF protection for every unsafe request: a per-session token, sent as a form field or an htmx header.

Pure ASGI, so it can read the form body (bounded: 413 past the limit) and replay it to the endpoint unchanged.
Browsers' cross-site requests are refused outright, even with a valid token: when they say so with
Sec-Fetch-Site, or when their Origin (failing that, their Referer) names another site.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Sequence
from urllib.parse import urlsplit

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ideaboard import inputs
from ideaboard.i18n import gettext as _
from ideaboard.i18n import number

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
MAX_FORM_BYTES = inputs.MAX_BODY_BYTES
EXPIRED = "This form has expired or came from another site. Go back, reload the page and try again."


def session_token(session: dict) -> str:
    """The session's CSRF token, created on first use."""
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    return session[FIELD]


class CSRFMiddleware:
    """Refuses unsafe requests whose token does not match the session's, or that come from another site (403).

    `exempt_posts`: paths (full-match patterns) whose POST carries its own proof, as the one-click unsubscribe
    link does (a signed token a mail client posts without any session, RFC 8058). `bearer_prefix`: below it, a
    request with `Authorization: Bearer` is exempt (the API: the key is the proof, browsers cannot add that header
    cross-site, and the API ignores the cookie). Nothing else is exempt.
    """

    def __init__(self, app: ASGIApp, exempt_posts: Sequence[re.Pattern[str]] = (), bearer_prefix: str = "",
                 upload_posts: Sequence[tuple[re.Pattern[str], int]] = ()) -> None:
        self.app = app
        self.exempt_posts = tuple(exempt_posts)
        self.bearer_prefix = bearer_prefix
        self.upload_posts = tuple(upload_posts)  # (path, body limit) of forms with a file: the token in the multipart

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or self._exempt(scope):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        try:
            limit = next((size for path, size in self.upload_posts
                          if scope["method"] == "POST" and path.fullmatch(scope["path"])), MAX_FORM_BYTES)
            body, receive = await _buffer(headers, receive, limit)
            given = headers.get(HEADER) or _form_token(headers, body)
        except inputs.Invalid as exc:  # too large, too many fields, not UTF-8: refused before anything runs
            return await _refuse(scope, receive, send, exc.status_code, exc.message)
        expected = scope.get("session", {}).get(FIELD, "")
        if from_other_site(scope, headers) or not expected or not given or not hmac.compare_digest(expected, given):
            return await _refuse(scope, receive, send, 403, EXPIRED)
        await self.app(scope, receive, send)

    def _exempt(self, scope: Scope) -> bool:
        if self.bearer_prefix and scope["path"].startswith(self.bearer_prefix):
            headers = Headers(scope=scope)
            if headers.get("authorization", "").partition(" ")[0].lower() == "bearer" or "cookie" not in headers:
                return True  # a key, or no cookie at all: no ambient credential a forged request could ride on
        return scope["method"] == "POST" and any(p.fullmatch(scope["path"]) for p in self.exempt_posts)


def from_other_site(scope: Scope, headers: Headers) -> bool:
    """What the browser says about where the request comes from: Sec-Fetch-Site, else Origin, else Referer."""
    if headers.get("sec-fetch-site") == "cross-site":
        return True
    source = headers.get("origin") or headers.get("referer")
    if not source:
        return False  # not a browser, or a very old one: the token alone decides
    if source == "null":  # an opaque origin: a sandboxed frame, a data: URL, a cross-site redirect
        return True
    netloc = urlsplit(source).netloc.lower()
    return bool(netloc) and netloc not in _own_hosts(scope, headers)  # a relative Referer names no other site


def _own_hosts(scope: Scope, headers: Headers) -> set[str]:
    """This site as the request reached us (Host) and as configured (IDEABOARD_BASE_URL, for proxies)."""
    hosts = {headers.get("host", "").lower()}
    settings = scope.get("state", {}).get("settings")
    if settings is not None:
        hosts.add(urlsplit(settings.base_url).netloc.lower())
    return hosts


async def _refuse(scope: Scope, receive: Receive, send: Send, status_code: int, message: str) -> None:
    from ideaboard.api.problems import is_api, problem
    from ideaboard.templating import error_page  # templating needs session_token from here

    if is_api(scope["path"]):
        detail = "The API takes an API key (`Authorization: Bearer`), not the session cookie." \
            if status_code == 403 else message
        return await problem(status_code, detail)(scope, receive, send)
    await error_page(Request(scope, receive), status_code, message)(scope, receive, send)


async def _buffer(headers: Headers, receive: Receive, limit: int = MAX_FORM_BYTES) -> tuple[bytes, Receive]:
    """Read the whole body (TooLarge past the limit) and return a receive that replays it."""
    length = headers.get("content-length", "")
    if length.isascii() and length.isdigit() and int(length) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > limit:
            raise _too_large(limit)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _too_large(limit: int) -> inputs.TooLarge:
    return inputs.TooLarge("body", _("This form is too large (the limit is %(size)s kB); shorten the text or choose a "
                                     "smaller file and send it again.", size=number(limit // 1000)))


def _form_token(headers: Headers, body: bytes) -> str:
    content_type = headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return _multipart_token(content_type, body)
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return ""
    for name, value in inputs.parse_urlencoded(body):
        if name == FIELD:
            return value
    return ""


def _multipart_token(content_type: str, body: bytes) -> str:
    """The csrf_token field of a form sent with a file (python-multipart, as Starlette parses it later)."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        return ""
    found: dict[str, bytes] = {}
    current: list[bytes] = []
    name = b""

    def on_header_value(data: bytes, start: int, end: int) -> None:
        nonlocal name
        match = re.search(rb'(?:^|;)\s*name="([^"]*)"', data[start:end])
        if match:
            name = match.group(1)

    def on_part_begin() -> None:
        nonlocal name
        name = b""
        current.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if name == FIELD.encode() and sum(map(len, current)) < 256:
            current.append(data[start:end])

    def on_part_end() -> None:
        if name == FIELD.encode():
            found.setdefault(FIELD, b"".join(current))

    callbacks = {"on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
                 "on_header_value": on_header_value}
    try:
        MultipartParser(boundary, callbacks).write(body)  # type: ignore[arg-type]
    except MultipartParseError:
        return ""
    return found.get(FIELD, b"").decode("ascii", "replace")
