"""Live updates: Server-Sent Events fed by Redis pub/sub, so every web process tells its open pages what changed.

A change calls `publish(redis, topic, **data)`; a page subscribes with `stream(request, topic)` and app.js re-fetches
the part of the page marked `data-live` (see the desk). Events carry no secrets and no HTML: only "topic X changed,
here is which row", so the page fetches what the viewer may see. Without JavaScript the page works as before (reload).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

log = logging.getLogger(__name__)
PREFIX = "ideaboard:live:"
HEARTBEAT_SECONDS = 15.0  # a comment line keeps proxies from closing an idle stream
STREAM_SECONDS = 300.0  # then the browser reconnects (EventSource does it by itself) and refreshes once
RETRY_MS = 2000


async def publish(redis: Redis, topic: str, **data: Any) -> None:
    """Tell every open page on `topic`; best effort: a Redis hiccup never fails the change that was made."""
    try:
        await redis.publish(PREFIX + topic, json.dumps(data, default=str))
    except (RedisError, OSError) as exc:
        log.warning("live update on %s not published: %s", topic, exc)


def wants_stream(request: Request) -> bool:
    return "text/event-stream" in request.headers.get("accept", "")


async def stream(request: Request, topic: str, *, seconds: float = STREAM_SECONDS,
                 heartbeat: float = HEARTBEAT_SECONDS) -> Response:
    """An event stream of `topic` for one page; anything but an EventSource gets a short explanation instead."""
    if not wants_stream(request):
        return PlainTextResponse("This address streams live updates to pages that ask for text/event-stream.",
                                 status_code=406)
    redis: Redis = request.state.redis
    pubsub = redis.pubsub()
    try:
        await pubsub.subscribe(PREFIX + topic)
    except (RedisError, OSError) as exc:  # live updates are a nicety: the page still works, reloading shows all
        await pubsub.aclose()
        log.warning("live stream on %s unavailable: %s", topic, exc)
        return PlainTextResponse("Live updates are unavailable for a moment.", status_code=503,
                                 headers={"Retry-After": "5"})
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(_events(pubsub, seconds, heartbeat), media_type="text/event-stream", headers=headers)


async def _events(pubsub: Any, seconds: float, heartbeat: float) -> AsyncIterator[str]:
    """`data:` lines as messages arrive, a comment every `heartbeat` s, until `seconds` have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    try:
        yield f"retry: {RETRY_MS}\n: connected\n\n"
        while (left := deadline - loop.time()) > 0:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=min(heartbeat, left))
            if message is None:
                yield ": keep-alive\n\n"
                continue
            data = message["data"]
            yield f"data: {data.decode() if isinstance(data, bytes) else data}\n\n"
    except (RedisError, OSError) as exc:
        log.warning("live stream ended: %s", exc)
    finally:
        with contextlib.suppress(RedisError, OSError):
            await pubsub.aclose()
