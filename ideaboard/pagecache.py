"""A few seconds' cache of the pages visitors (not logged in) see, per web process.

Most traffic on a busy board is people reading the same front page. Their pages carry nothing personal (no token,
no cookie: see templating.LazyToken and the vote widget's login links), so one rendering can serve everyone for
IDEABOARD_PAGE_CACHE_SECONDS. Only a 200 HTML page that sets no cookie and leaves the visitor's session empty is
kept. Members always get fresh pages. A change accepted by this process marks every kept page stale, except minor
changes (votes: a stream of them must not re-render the front page each time; visitors see new counts within the
TTL). A stale page is re-rendered by the next request for it, and only by that one: visitors arriving meanwhile get
the previous copy instead of all rendering at once. 0 turns it off.

The same pages tell a proxy or CDN in front that it may keep them too: `Cache-Control: public, s-maxage=TTL,
stale-while-revalidate=STALE_FACTOR*TTL` with a strong ETag of the body (a repeat `If-None-Match` is a 304), and
`Vary: Cookie, Accept-Language` (pages are kept per language too). Every other HTML answer (a member's page, a
visitor's page that set a cookie) is `private, no-store`.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ideaboard import htmx, i18n
from ideaboard.csrf import SAFE_METHODS

MAX_PAGES = 200
MAX_PAGE_BYTES = 256 * 1024
PERSONAL_SESSION_KEYS = ("sid", "flash")  # sid: auth.SESSION_KEY
MINOR = "ideaboard.minor_change"
STALE_FACTOR = 6  # a proxy may serve a page this many TTLs old while it fetches a fresh one
PRIVATE = b"private, no-store"
VARY = (b"Cookie", b"Accept-Language")  # a member's page is private; a visitor's is in the language they ask for


@dataclass(frozen=True)
class Page:
    generation: int
    expires: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class PageCacheMiddleware:
    """Serves visitors' repeated GETs from memory; sits just inside the session middleware."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds
        self.pages: dict[tuple, Page] = {}
        self.filling: set[tuple] = set()
        self.generation = 0  # bumped by every accepted write: older pages are re-rendered on their next request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0:
            return await self.app(scope, receive, send)
        if scope["method"] not in SAFE_METHODS:
            return await self._write(scope, receive, send)
        session = scope.get("session", {})
        if any(key in session for key in PERSONAL_SESSION_KEYS) or scope["method"] != "GET" or _streams(scope):
            return await self.app(scope, receive, _kept_private(send))
        key = _key(scope)
        page = self.pages.get(key)
        if page is not None and (self._fresh(page) or key in self.filling):
            return await _replay(page, scope, send)  # while one request re-renders a page, the others get the old copy
        self.filling.add(key)
        try:
            await self._fill(key, scope, receive, send, cookieless=not session)
        finally:
            self.filling.discard(key)

    def _fresh(self, page: Page) -> bool:
        return page.generation == self.generation and page.expires > time.monotonic()

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An accepted change: visitors' next pages are rendered afresh (refused requests don't count)."""
        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400 and not scope.get(MINOR):
                self.generation += 1
            await send(message)

        await self.app(scope, receive, watch)

    async def _fill(self, key: tuple, scope: Scope, receive: Receive, send: Send, cookieless: bool) -> None:
        """Render the page; a visitor's HTML page is held until complete, so it goes out with its ETag."""
        start: Message = {}
        chunks: list[bytes] = []
        generation = self.generation  # a write during rendering makes this copy stale at once

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                if not _candidate(start):  # not a page to keep (a redirect, a stream, a file): as it comes
                    await send(_private(start))
                return
            if not _candidate(start):
                return await send(message)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self._finish(key, scope, send, start, b"".join(chunks), generation, cookieless)

        await self.app(scope, receive, keep)

    async def _finish(self, key: tuple, scope: Scope, send: Send, start: Message, body: bytes, generation: int,
                      cookieless: bool) -> None:
        public = cookieless and not scope.get("session") and len(body) <= MAX_PAGE_BYTES
        headers = _public_headers(start["headers"], body, self.seconds) if public else \
            list(_private(start)["headers"])
        if public:
            if len(self.pages) >= MAX_PAGES and key not in self.pages:
                self.pages.pop(next(iter(self.pages)))
            page = Page(generation, time.monotonic() + self.seconds, start["status"], headers, body)
            self.pages[key] = page
            return await _replay(page, scope, send)
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def minor_change(scope: Scope) -> None:
    """Views call this for frequent small changes (a vote) that visitors may see up to the TTL late."""
    scope[MINOR] = True


def _streams(scope: Scope) -> bool:
    """An event stream (ideaboard/live.py) is never kept: it is endless and carries the changes itself."""
    return any(k == b"accept" and b"text/event-stream" in v for k, v in scope["headers"])


def _key(scope: Scope) -> tuple:
    """Same path, query, htmx headers and language: same page (a fragment and a full page of one URL differ, and
    a German visitor's board is not an English one's: the locale a visitor gets is Accept-Language's, i18n)."""
    headers = tuple(sorted((k, v) for k, v in scope["headers"] if k in htmx.VARY_ON))
    locale = i18n.from_header(i18n.header_of(scope)[:500])
    return scope.get("root_path", ""), scope["path"], scope["query_string"], headers, locale


def _candidate(start: Message) -> bool:
    """A 200 HTML page that sets no cookie and does not ask to stay private: visitors may share it."""
    if not start or start["status"] != 200:
        return False
    headers = {k.lower(): v for k, v in start["headers"]}
    control = headers.get(b"cache-control", b"")
    return (headers.get(b"content-type", b"").startswith(b"text/html") and b"set-cookie" not in headers
            and b"no-store" not in control and b"private" not in control)


def _public_headers(headers: list[tuple[bytes, bytes]], body: bytes, seconds: float) -> list[tuple[bytes, bytes]]:
    ttl = max(1, int(seconds))
    kept = [(k, v) for k, v in headers if k.lower() not in (b"cache-control", b"etag", b"vary")]
    vary = [v for k, v in headers if k.lower() == b"vary"]
    return [*kept, (b"cache-control", f"public, max-age=0, s-maxage={ttl}, stale-while-revalidate="
                                      f"{ttl * STALE_FACTOR}".encode()),
            (b"etag", b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'),
            (b"vary", b", ".join([*vary, *VARY]))]


def _private(start: Message) -> Message:
    """The response start with `Cache-Control: private, no-store` if it is HTML that says nothing itself."""
    headers = list(start.get("headers", []))
    names = {k.lower() for k, _ in headers}
    content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    if content_type.startswith(b"text/html") and b"cache-control" not in names:
        headers.append((b"cache-control", PRIVATE))
    return {**start, "headers": headers}


def _kept_private(send: Send) -> Send:
    """A member's answers: no proxy or browser cache keeps them."""
    async def private(message: Message) -> None:
        await send(_private(message) if message["type"] == "http.response.start" else message)
    return private


async def _replay(page: Page, scope: Scope, send: Send) -> None:
    """The kept page, or a bodiless 304 when the visitor (or the proxy) already has this very copy."""
    etag = next((v for k, v in page.headers if k == b"etag"), None)
    asked = dict(scope["headers"]).get(b"if-none-match", b"")
    if etag and etag in [t.strip().removeprefix(b"W/") for t in asked.split(b",")]:
        kept = [(k, v) for k, v in page.headers if k in (b"etag", b"cache-control", b"vary")]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        return await send({"type": "http.response.body", "body": b""})
    await send({"type": "http.response.start", "status": page.status, "headers": page.headers})
    await send({"type": "http.response.body", "body": page.body})
