"""The framework limit: bare Starlette + Jinja rendering our list page from a context built once in memory.

    python bench/bare.py [--port 8765] [--workers 2]     (DATABASE_URL: where to read the first page once)

No middleware, no session, no database per request: what is left is routing, the same template and the
same objects, served by uvicorn exactly as `ideaboard serve` is. bench/load.py compares our list page to it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ideaboard import categories, listing, statuses
from ideaboard.db import connect
from ideaboard.models import Space
from ideaboard.settings import Settings
from ideaboard.templating import templates

STATIC = Path(listing.__file__).parent / "static"


async def build_context(settings: Settings) -> dict:
    """The list page's context exactly as the board view builds it for an anonymous visitor."""
    async with connect(settings.database_url):
        page = await listing.list_ideas(None, sort="hot", space=Space.PUBLIC, size=settings.page_size)
        return {
            "page": page, "sort": "hot", "filters": {"category": None, "tag": None, "status": None},
            "space": Space.PUBLIC, "categories": await categories.list_categories(), "statuses": statuses.ordered(),
            "my_votes": {}, "tags": page.tags,
            "user": None, "is_staff": False, "is_employee": False, "csrf_token": "x" * 43, "flashes": [],
            "site_name": settings.site_name,
        }


def create_app() -> Starlette:
    settings = Settings.from_env()
    context: dict = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        context.update(await build_context(settings))
        yield

    async def index(request: Request) -> Response:
        return templates.TemplateResponse(request, "ideas/index.html", dict(context))

    routes = [Route("/", index), Mount("/static", StaticFiles(directory=STATIC), name="static")]
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("IDEABOARD_DATA_DIR", "/tmp/ideaboard-bare")
    uvicorn.run("bare:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                app_dir=str(Path(__file__).resolve().parent), access_log=False, log_level="warning",
                timeout_worker_healthcheck=60)  # a loaded machine: startup (a DB read) takes over 5 s


if __name__ == "__main__":
    main()
