"""ASGI middleware that puts per-request facts in the scope before any view runs (the others: auth, csrf, pagecache)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ideaboard import htmx, notifications, status_store
from ideaboard.models import User


class WorkflowMiddleware:
    """Before each request, this process picks up an admin's workflow change made in another (status_store)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await status_store.refresh()
        await self.app(scope, receive, send)


class UnreadCountMiddleware:
    """Counts the bell's unread notifications once per full page a signed-in user loads (templates can't await)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user: User | None = scope.get("user") if scope["type"] == "http" else None
        if user is not None and scope["method"] == "GET" and not scope["path"].startswith("/static/") \
                and not htmx.is_partial(Request(scope)):
            scope["unread_count"] = await notifications.unread_count(user)
        await self.app(scope, receive, send)
