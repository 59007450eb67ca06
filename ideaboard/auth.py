"""Who is asking: the cookie holds a session token whose row says whose it is; the staff Mount's middleware is the
one access check.

Sessions are rows (`Session`, keyed by the SHA-256 of the cookie's random token), so ending one is deleting its
row: logging out ends that browser's session (every copy of its cookie), "log out everywhere", a password change
or reset, deactivation and account deletion end the others too, on their very next request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ideaboard import reads, sql
from ideaboard.models import Role, Session, User
from ideaboard.urls import urls

SESSION_KEY = "sid"
SESSION_SECONDS = 14 * 24 * 3600  # the cookie's max age too


# A vote re-checks its session inside its own write (votes.cast_vote), so its request may start from the user this
# process read for that session lately instead of reading it first; every other request reads it fresh.
CHECKED_IN_WRITE = re.compile(r"/ideas/\d+/vote")
UNCHECKED = "ideaboard.unchecked_session"  # scope key: the session hash a recalled user still has to be checked by
RECALL_SECONDS = 30.0
RECALL_LIMIT = 20_000
_recalled: dict[str, tuple[float, object]] = {}  # session hash -> (read at, the user's row)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def session_user(token: str) -> User | None:
    """The active user whose unexpired session this is, read fresh on every request (one indexed join, a prepared
    raw statement: it runs on every request)."""
    return await user_of_session(token_hash(token))


async def user_of_session(digest: str) -> User | None:
    """The active user of the session with this hash, read fresh (and kept for the next vote's recall)."""
    rows = await sql.fetch(reads.session_user(digest, int(time.time())))
    if not rows:
        _recalled.pop(digest, None)
        return None
    if len(_recalled) >= RECALL_LIMIT:
        _recalled.clear()
    _recalled[digest] = (time.monotonic(), rows[0])
    return _load_user(rows[0])


def _load_user(row) -> User:
    return sql.loader_of(User, reads.columns_of(User))(row)


def _recall(digest: str) -> User | None:
    """A fresh copy of the user this process read for the session lately (never shared between requests)."""
    known = _recalled.get(digest)
    if known is None or time.monotonic() - known[0] > RECALL_SECONDS:
        return None
    return _load_user(known[1])


def unchecked_session(request: Request) -> str | None:
    """The session hash request.user was recalled for, unread this request: the vote's write must check it."""
    return request.scope.get(UNCHECKED)


async def reread_user(request: Request) -> User | None:
    """request.user read fresh after the vote's write found its session ended or its user changed."""
    token = request.session.get(SESSION_KEY)
    request.scope.pop(UNCHECKED, None)
    user = await session_user(token) if isinstance(token, str) else None
    if user is None:
        request.session.pop(SESSION_KEY, None)
    request.scope["user"] = user
    return user


class LoadUserMiddleware:
    """Puts the signed-in User (or None) in scope["user"], so `request.user` works everywhere."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            session = scope.get("session", {})
            token = session.get(SESSION_KEY)
            user = None
            if isinstance(token, str):
                digest = token_hash(token)
                if scope["method"] == "POST" and CHECKED_IN_WRITE.fullmatch(scope["path"]):
                    user = _recall(digest)
                    if user is not None:
                        scope[UNCHECKED] = digest
                if user is None:
                    user = await user_of_session(digest)
            scope["user"] = user
            if token is not None and scope["user"] is None:
                session.pop(SESSION_KEY, None)  # an ended session: the browser is a visitor again
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


async def log_in(request: Request, user: User) -> None:
    """Start a fresh session for this user (new CSRF token, no fixation) and drop their expired ones."""
    now = int(time.time())
    await Session.filter(user_id=user.id, expires__lte=now).delete()
    token = secrets.token_urlsafe(32)
    agent = request.headers.get("user-agent", "")[:200]
    await Session.create(id=token_hash(token), user_id=user.id, expires=now + SESSION_SECONDS, user_agent=agent)
    request.session.clear()
    request.session[SESSION_KEY] = token
    request.scope["user"] = user


async def log_out(request: Request) -> None:
    """End this browser's session: the row goes, so a copy of the cookie replayed later is logged out too."""
    token = request.session.get(SESSION_KEY)
    if isinstance(token, str):
        _recalled.pop(token_hash(token), None)
        await Session.filter(id=token_hash(token)).delete()
    request.session.clear()
    request.scope["user"] = None


async def end_sessions(user_id: int, keep: Request | None = None) -> int:
    """End every session of this person (except the one `keep` is using): password change, deactivation, ..."""
    query = Session.filter(user_id=user_id)
    token = keep.session.get(SESSION_KEY) if keep is not None else None
    if isinstance(token, str):
        query = query.exclude(id=token_hash(token))
    return await query.delete()


async def other_sessions(request: Request, user_id: int) -> int:
    """How many other browsers are signed in to this account (shown beside "log out everywhere")."""
    token = request.session.get(SESSION_KEY)
    query = Session.filter(user_id=user_id, expires__gt=int(time.time()))
    if isinstance(token, str):
        query = query.exclude(id=token_hash(token))
    return await query.count()


def safe_next(url: str | None) -> str:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return "/"
