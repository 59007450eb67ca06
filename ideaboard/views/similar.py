"""Suggest existing similar ideas while a customer types a title, so they vote instead of duplicating."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response

from ideaboard import votes
from ideaboard.models import Idea, Space
from ideaboard.templating import render
from ideaboard.views.common import current_user

log = logging.getLogger(__name__)


async def similar_ideas(request: Request) -> Response:
    """Up to five visible ideas similar to the typed title (and description), with inline vote buttons."""
    viewer = current_user(request)
    text = " ".join(request.query_params.get(k, "") for k in ("title", "body")).strip()[:2000]
    matches = await find_similar(request, text) if len(text) >= 4 else []
    by_id = {i.id: i for i in await Idea.filter(id__in=[m for m, _ in matches], hidden=False,
                                                 space=Space.PUBLIC, merged_into=None)}
    found = [(by_id[i], score) for i, score in matches if i in by_id]
    context = {"similar": found, "my_votes": await votes.votes_by(viewer, [i.id for i, _ in found])}
    return render(request, "ideas/new.html", context, block="similar_ideas")


async def find_similar(request: Request, text: str) -> list[tuple[int, float]]:
    """Query the worker-maintained index; if Redis or the index is unavailable, suggest nothing."""
    try:
        index = await request.state.suggest.current(request.state.redis)
    except (RedisError, OSError) as exc:
        log.warning("similar ideas unavailable: %s", exc)
        return []
    if index is None:
        return []
    try:
        meaning = await index.meaning_of(text)
    except (RedisError, OSError, RuntimeError) as exc:  # a broken model install: suggest on words alone
        log.warning("sentence vectors unavailable: %s", exc)
        meaning = None
    return await index.query_async(text, k=5, meaning=meaning)
