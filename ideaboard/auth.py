"""Who is asking: the session holds a user id; the staff Mount's middleware is the one access check."""

from __future__ import annotations

import functools

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ideaboard.models import Role, User
from ideaboard.urls import urls

SESSION_KEY = "uid"


async def active_user(uid: int) -> User | None:
    """The active user with this id, read fresh on every request (a deactivation or demotion applies at once)."""
    db = User._meta.db
    _, rows = await db.execute_query(_user_sql(db.capabilities.dialect), [uid])
    return User._init_from_db(**rows[0]) if rows else None


@functools.cache
def _user_sql(dialect: str) -> str:
    columns = ", ".join(f'"{c}"' for c in sorted(User._meta.db_fields))
    placeholder = "$1" if dialect == "postgres" else "?"
    return f'SELECT {columns} FROM "{User._meta.db_table}" WHERE "id" = {placeholder} AND "is_active"'


class LoadUserMiddleware:
    """Puts the signed-in User (or None) in scope["user"], so `request.user` works everywhere."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            uid = scope.get("session", {}).get(SESSION_KEY)
            scope["user"] = await active_user(uid) if isinstance(uid, int) else None
        await self.app(scope, receive, send)


class RequireRole:
    """Mount middleware: only these roles get through; others get a login redirect or 403, and nothing runs."""

    def __init__(self, app: ASGIApp, roles: tuple[Role, ...]) -> None:
        self.app = app
        self.roles = roles

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user: User | None = scope.get("user")
        if user is None:
            response: Response = RedirectResponse(urls.login(next=scope["path"]), status_code=303)
            if scope["method"] != "GET":
                response = PlainTextResponse("Log in first.", status_code=401)
        elif Role(user.role) not in self.roles:  # app.http_error renders it in the site's layout
            raise HTTPException(403, "This area is for the product team.")
        else:
            return await self.app(scope, receive, send)
        await response(scope, receive, send)


def staff_user(request: Request) -> User:
    """The staff member behind a console request (RequireRole let only them in; anyone else gets a 403 here too)."""
    user: User | None = request.scope.get("user")
    if user is None or not Role(user.role).is_staff:
        raise HTTPException(403, "This area is for the product team.")
    return user


def log_in(request: Request, user: User) -> None:
    """Start a fresh session for this user (new CSRF token, no fixation)."""
    request.session.clear()
    request.session[SESSION_KEY] = user.id


def log_out(request: Request) -> None:
    request.session.clear()


def safe_next(url: str | None) -> str:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return "/"
