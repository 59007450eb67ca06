"""create_app(settings): the route table, the middleware stack and the lifespan, in one readable place."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypedDict

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from tortoise.contrib.starlette import RegisterTortoise

from ideaboard import inputs
from ideaboard.auth import LoadUserMiddleware, RequireRole
from ideaboard.csrf import CSRFMiddleware
from ideaboard.headers import SecurityHeadersMiddleware, security_headers
from ideaboard.models import Role
from ideaboard.pagecache import PageCacheMiddleware
from ideaboard.settings import Settings
from ideaboard.suggest import SuggestCache
from ideaboard.templating import error_page, render
from ideaboard.views import account, community, flags, public, similar, staff

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


class State(TypedDict):
    settings: Settings
    redis: ArqRedis
    arq: ArqRedis
    suggest: SuggestCache


def build_routes() -> list:
    """Every URL, grouped by who may use it."""
    return [
        *public.routes,
        *similar.routes,
        *account.routes,
        *community.routes,  # roadmap, launched, following, notifications
        *flags.routes,  # reporting content: any logged-in member
        Mount("/staff", routes=staff.routes, name="staff",  # THE access check for the console; /staff/admin nests its own
              middleware=[Middleware(RequireRole, roles=(Role.STAFF, Role.ADMIN))]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


@contextlib.asynccontextmanager
async def open_redis(settings: Settings) -> AsyncIterator[ArqRedis]:
    """The configured Redis, or the embedded one started here when REDIS_URL is unset."""
    server = None
    url = settings.redis_url
    if not url:
        from ideaboard.redis_embedded import start_embedded_redis

        server, url = start_embedded_redis(settings.data_dir)
    redis = await create_pool(RedisSettings.from_dsn(url), default_queue_name="arq:queue")
    try:
        yield redis
    finally:
        await redis.aclose()
        if server is not None:
            server.shutdown()


async def not_found(request: Request, exc: Exception) -> Response:
    detail = exc.detail if isinstance(exc, HTTPException) else "Not found"
    return render(request, "errors/404.html", {"detail": detail}, status_code=404)


async def http_error(request: Request, exc: Exception) -> Response:
    """400, 405 and 413 from Starlette itself, and the staff console's 403 (auth.RequireRole), in the normal layout."""
    assert isinstance(exc, HTTPException)
    response = error_page(request, exc.status_code, exc.detail)
    response.headers.update(exc.headers or {})  # Allow on a 405
    return response


async def invalid_input(request: Request, exc: Exception) -> Response:
    """A malformed parameter (400), an id nothing can have (404), a body too large (413): never a 500."""
    assert isinstance(exc, inputs.Invalid)
    return error_page(request, exc.status_code, exc.message)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    response = render(request, "errors/500.html", status_code=500)
    response.headers.update(security_headers(request.state.settings.https_only))  # outside the middleware stack
    return response


def create_app(settings: Settings | None = None) -> Starlette:
    """The ideaboard web app; tests pass their own Settings."""
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        async with RegisterTortoise(app, config=settings.tortoise_config()), open_redis(settings) as redis:
            yield {"settings": settings, "redis": redis, "arq": redis, "suggest": SuggestCache()}

    middleware = [
        Middleware(SecurityHeadersMiddleware, https_only=settings.https_only),  # every response but the 500 page
        Middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie="ideaboard_session",
                   same_site="lax", https_only=settings.https_only, max_age=14 * 24 * 3600),
        Middleware(PageCacheMiddleware, seconds=settings.page_cache_seconds),  # visitors' pages; needs the session
        Middleware(CSRFMiddleware),
        Middleware(LoadUserMiddleware),
        Middleware(community.UnreadCountMiddleware),
    ]
    return Starlette(
        debug=settings.debug, routes=build_routes(), middleware=middleware, lifespan=lifespan,
        exception_handlers={404: not_found, 400: http_error, 403: http_error, 405: http_error, 413: http_error,
                            500: server_error, inputs.Invalid: invalid_input},
    )
