"""Feeds, robots.txt, the sitemap and the favicon: plain GETs that any visitor (or crawler) may make."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ideaboard import feeds, roadmap
from ideaboard.i18n import gettext as _
from ideaboard.templating import render
from ideaboard.urls import urls
from ideaboard.views.common import not_found, path_id

ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"


def _absolute(request: Request, path: str) -> str:
    return request.state.settings.base_url.rstrip("/") + path


async def board_feed(request: Request) -> Response:
    """New ideas on the public board, newest first (titled in the reader's language; the page cache keeps each)."""
    entries = [{"idea": idea, "updated": idea.created_at, "summary": idea.body}
               for idea in await feeds.newest_ideas()]
    return _atom(request, _("New ideas"), urls.board_feed(), urls.board(sort="new"), entries)


async def launched_feed(request: Request) -> Response:
    """Ideas in action: shipped ideas, newest launch first, with the team's launch message."""
    entries = [{"idea": launch.idea,
                "updated": launch.event.created_at if launch.event else launch.idea.updated_at,
                "summary": _launch_message(launch)}
               for launch in await roadmap.launched_ideas(feeds.FEED_SIZE)]
    return _atom(request, _("Launched ideas"), urls.launched_feed(), urls.launched(), entries)


def _launch_message(launch: roadmap.Launch) -> str:
    """The team's official response, else its launch message, else the idea itself."""
    said = launch.response or launch.event
    return said.message if said is not None and said.message else launch.idea.body


def _atom(request: Request, title: str, self_path: str, page_path: str, entries: list[dict]) -> Response:
    updated = max((e["updated"] for e in entries), default=None)
    context = {"feed_title": title, "self_url": _absolute(request, self_path),
               "page_url": _absolute(request, page_path), "entries": entries, "updated": updated,
               "absolute": lambda path: _absolute(request, path)}
    response = render(request, "feeds/atom.xml", context)
    response.headers["content-type"] = ATOM
    return response


async def robots(request: Request) -> Response:
    """Crawlers may read the community, not the console, accounts or forms; the sitemap says where ideas are."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in (
        urls.staff_queue(), urls.settings(), urls.login(), urls.signup(), urls.forgot(), urls.new_idea(),
        urls.search(), urls.notifications())), f"Sitemap: {_absolute(request, urls.sitemap())}"]
    return PlainTextResponse("\n".join(lines) + "\n")


async def sitemap(request: Request) -> Response:
    """The sitemap index: one file per chunk of public ideas, plus the community's own pages in the first."""
    chunks = [_absolute(request, urls.sitemap_part(n)) for n in range(await feeds.sitemap_chunks())]
    response = render(request, "feeds/sitemap_index.xml", {"parts": chunks})
    response.headers["content-type"] = XML
    return response


async def sitemap_part(request: Request) -> Response:
    chunk = path_id(request, "chunk")
    if chunk >= await feeds.sitemap_chunks():
        raise not_found("sitemap")
    pages = [_absolute(request, path) for path in (urls.board(), urls.roadmap(), urls.launched())] if chunk == 0 else []
    entries = [(_absolute(request, urls.idea(idea_id)), updated) for idea_id, updated in
               await feeds.sitemap_entries(chunk)]
    response = render(request, "feeds/sitemap.xml", {"pages": pages, "entries": entries})
    response.headers["content-type"] = XML
    return response


async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico whatever the page says: send them to the SVG icon."""
    return RedirectResponse(urls.static("favicon.svg"), status_code=301)
