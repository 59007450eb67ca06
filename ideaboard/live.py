"""Live updates: Server-Sent Events fed by one Redis pub/sub subscription per web process.

A change names a topic (`idea:7`, `board:public`, `user:3`, `staff`, `desk`), an event name and a short payload:
`tell(...)` inside a request (sent once the request is done, so after its transaction committed), or `publish(...)`
from a worker. Each event is appended to a short Redis stream (its id is the SSE `id:`) and published on one channel;
every process's Hub holds the single subscription and hands the event to the open pages on that topic. A page that
reconnects sends `Last-Event-ID` (or `?since=`) and gets what it missed from the stream. A stream holds no database
connection: the view checks who may hear which topic before the stream starts (ideaboard/views/updates.py).

Payloads are numbers, ids or HTML everyone allowed on the topic may see (a comment as visitors see it): the page
swaps them in with the htmx SSE extension (`sse-swap`) or re-fetches its own part (`hx-trigger="sse:<event>"`).
Without JavaScript the page works as before (reload).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import itertools
import json
import logging
import re
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _quoted
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ideaboard import i18n, redis_scripts

log = logging.getLogger(__name__)
CHANNEL = "ideaboard:live"  # the pub/sub channel of every event (the topic inside), one per Redis database
LOG = "ideaboard:live:log"  # the last events, for pages that reconnect
LOG_LENGTH = 2000
HEARTBEAT_SECONDS = 15.0  # a comment line keeps proxies from closing an idle stream
STREAM_SECONDS = 300.0  # then the browser reconnects (with Last-Event-ID) and the topics are authorized again
RETRY_MS = 2000
BACKLOG = 4096  # events kept per topic; a page further behind is dropped, reconnects and replays the log
QUEUE = "staff"  # the review queue's topic (staff only)
DESK = "desk"  # the X desk's topic (staff only)
FLUSH_SECONDS = 0.005  # a request's events wait this long for the others' (Publisher): one round trip for all
EVENT_ID = re.compile(r"\d{1,20}-\d{1,20}")
_pending: contextvars.ContextVar[list[tuple[str, str, str]] | None] = contextvars.ContextVar("live", default=None)


# Events that carry a whole state (a score, "re-fetch the bell"): of several waiting for one page, the last is enough.
STATE_EVENTS = ("votes-", "tally-", "bell", "queue", "desk", "conversation-")


@dataclass(frozen=True)
class Event:
    id: str
    topic: str
    name: str
    data: str

    def text(self) -> str:
        """The event as SSE lines (a multi-line payload gets one `data:` per line)."""
        lines = "".join(f"data: {line}\n" for line in self.data.splitlines() or [""])
        return f"id: {self.id}\nevent: {self.name}\n{lines}\n"

    @functools.cached_property
    def encoded(self) -> bytes:
        """text() as bytes, made once for all the pages it goes to (10,000 pages, one encoding)."""
        return self.text().encode()

    @functools.cached_property
    def order(self) -> tuple[int, int]:
        return _order(self.id)

    @property
    def state(self) -> bool:
        return self.name.startswith(STATE_EVENTS)


def newest_first_only(events: Sequence[Event], seen: tuple[int, int]) -> list[Event]:
    """What one page needs of the events waiting for it: those it has not seen, and of each state event the last.

    A page on two topics (an idea's own and its board's) then gets a burst of votes as one score, not two."""
    last = {e.name: i for i, e in enumerate(events) if e.state}
    return [e for i, e in enumerate(events) if e.order > seen and (not e.state or last[e.name] == i)]


def _order(event_id: str) -> tuple[int, int]:
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


async def publish(redis: Redis, topic: str, name: str, data: str = "") -> None:
    """Tell every open page on `topic`; best effort: a Redis hiccup never fails the change that was made."""
    await publish_all(redis, [(topic, name, data)])


# A batch of events in one round trip: each XADDed to the log (its id is the SSE id), then all PUBLISHed as one JSON
# array of {"id", "topic", "name", "data"}, each built here around the id it got ('{"id": "' .. id .. rest). The
# log and channel are KEYS[n + 1] and KEYS[n + 2], the events' ARGV from n + 1 on: a rate-limit count that carries
# them (ratelimit.Batch, Publisher.ride) has used the n before.
PUBLISH_LUA = f"""
local sent = {{}}
for i = n + 1, #ARGV, 4 do
  local id = redis.call('XADD', KEYS[n + 1], 'MAXLEN', '~', {LOG_LENGTH}, '*', 'topic', ARGV[i], 'name', ARGV[i + 1],
                        'data', ARGV[i + 2])
  sent[#sent + 1] = '{{"id": "' .. id .. ARGV[i + 3]
end
redis.call('PUBLISH', KEYS[n + 2], '[' .. table.concat(sent, ',') .. ']')
"""
_PUBLISH_ALL = "local n = 0\n" + PUBLISH_LUA + "return #sent\n"


def _script_args(events: Sequence[tuple[str, str, str]]) -> list[str]:
    """Each event's fields and the rest of its JSON after the id (digits and a dash), as json.dumps writes it."""
    args: list[str] = []
    quoted = _quoted  # the C escaper json.dumps ends in, without its encoder set up for every event (8 a vote)
    for topic, name, data in events:
        args += [topic, name, data, f'", "topic": {quoted(topic)}, "name": {quoted(name)}, "data": {quoted(data)}}}']
    return args


def channel(redis: Redis) -> str:
    """Pub/sub ignores database numbers: two boards on one Redis server (db 1 and db 2) must not hear each other."""
    return f"{CHANNEL}:{redis.connection_pool.connection_kwargs.get('db', 0)}"


def not_published(events: Sequence[tuple[str, str, str]], exc: Exception) -> None:
    """Best effort: a Redis hiccup never fails the change that was made, it is only logged."""
    log.warning("live updates on %s not published: %s", ", ".join(sorted({t for t, _, _ in events})), exc)


async def publish_all(redis: Redis, events: Sequence[tuple[str, str, str]]) -> None:
    """publish() for each event, in order, in one round trip and one message."""
    if not events:
        return
    try:  # EVALSHA (the script is sent once)
        await redis_scripts.script(redis, _PUBLISH_ALL)([LOG, channel(redis)], _script_args(events))
    except (RedisError, OSError) as exc:
        not_published(events, exc)


def latest_states(events: Sequence[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The events to send of a batch: every one, except a state event followed by a newer one on its topic."""
    last = {(topic, name): i for i, (topic, name, _data) in enumerate(events) if name.startswith(STATE_EVENTS)}
    return [e for i, e in enumerate(events) if last.get((e[0], e[1]), i) == i]


class Publisher:
    """The process's outgoing events: what every request told in the last moment, sent in one round trip.

    A request hands its events over and is done (its response was sent already); Redis sees one script per
    FLUSH_SECONDS however many requests finished meanwhile, or none: a rate-limit count sent before then takes them
    along (ride). close() sends what is still waiting."""

    def __init__(self, redis: Redis, delay: float = 0.0) -> None:
        self.redis = redis
        self.delay = delay or FLUSH_SECONDS
        self.waiting: list[tuple[str, str, str]] = []
        self.round_trips = 0
        self._task: asyncio.Task | None = None

    def send(self, events: Iterable[tuple[str, str, str]]) -> None:
        self.waiting += events
        if self._task is None and self.waiting:
            self._task = asyncio.create_task(self._flush_soon(), name="live-publisher")

    async def _flush_soon(self) -> None:
        try:
            await asyncio.sleep(self.delay)
            await self._flush()
        finally:
            self._task = None

    async def _flush(self) -> None:
        while self.waiting:  # what came while a batch was on its way goes in the next one
            batch = self.take()
            self.round_trips += 1
            await publish_all(self.redis, batch)

    def take(self) -> list[tuple[str, str, str]]:
        """What is waiting, as it will be sent; it is no longer waiting."""
        batch, self.waiting = latest_states(self.waiting), []
        return batch

    def ride(self) -> tuple[str, list[str], list[str], list[tuple[str, str, str]]] | None:
        """What is waiting, to go with a rate-limit count on its way to Redis now (ratelimit.Batch): the Lua, its
        keys and arguments, and the events (logged if the script fails)."""
        if not self.waiting:
            return None
        events = self.take()
        return PUBLISH_LUA, [LOG, channel(self.redis)], _script_args(events), events

    def not_sent(self, events: list[tuple[str, str, str]], exc: Exception) -> None:
        not_published(events, exc)

    async def close(self) -> None:
        """Send everything still waiting, now (the app is shutting down)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._flush()


def tell(topic: str, name: str, data: str = "") -> None:
    """Queue an event to publish when the current request is done (LiveMiddleware); nothing outside a request."""
    pending = _pending.get()
    if pending is not None and (topic, name, data) not in pending:
        pending.append((topic, name, data))


def in_language(name: str, locale: str | None = None) -> str:
    """An HTML event's name for pages in `locale` (the current one by default): 'comment' in English, as always, and
    'comment-de' in German; live_events.py sends a fragment once per language, each page listens for its own."""
    locale = locale or i18n.current()
    return name if locale == i18n.DEFAULT else f"{name}-{locale}"


def tell_users(user_ids: Iterable[int]) -> None:
    """These people's bells changed."""
    for uid in sorted(set(user_ids)):
        tell(f"user:{uid}", "bell")


class LiveMiddleware:
    """Collects the request's `tell`s and publishes them after the view returned (its transaction committed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        pending: list[tuple[str, str, str]] = []
        token = _pending.set(pending)
        try:
            await self.app(scope, receive, send)
        finally:
            _pending.reset(token)
            if pending:
                await _hand_over(scope.get("state", {}), pending)


async def _hand_over(state: dict, pending: list[tuple[str, str, str]]) -> None:
    """To the process's Publisher; without one (an app with no lifespan) straight to Redis."""
    publisher, redis = state.get("publisher"), state.get("redis")
    if publisher is not None:
        publisher.send(pending)
    elif redis is not None:
        await publish_all(redis, pending)


# A server may hand a stream a way to write its body straight to the connection (ideaboard/serving.py puts one in
# the scope's ASGI extensions): one transport write per page per flush, no ASGI message through the middleware.
DIRECT_BODY = "ideaboard.direct_body"
COALESCE_SECONDS = 0.1  # a busy topic's pages are written at most this often: 10 writes a second, however many votes
SLICE_PAGES = 500  # a flush writes this many pages (a few ms), then the loop runs: reads what arrived, serves requests
MAX_PENDING = 1 << 20  # bytes queued for a page that reads too slowly; beyond, it is closed (and replays on reconnect)
PREAMBLE = f"retry: {RETRY_MS}\n: connected\n\n".encode()
KEEPALIVE = b": keep-alive\n\n"


class DirectBody(Protocol):
    """What the server's extension offers: write one HTTP/1.1 body chunk now, or say why it can't."""

    def write(self, framed: bytes) -> bool: ...  # False: not now (the client reads slowly, or is gone)

    @property
    def gone(self) -> bool: ...


def chunk_frame(body: bytes) -> bytes:
    """A body chunk as HTTP/1.1 chunked transfer encoding frames it (uvicorn frames a streamed body so too)."""
    return b"%x\r\n%b\r\n" % (len(body), body)


KEEPALIVE_FRAMED = chunk_frame(KEEPALIVE)


class Page:
    """One open stream: its topics, how far it has read each, and how its bytes reach it.

    Straight to the connection when the server offers it and the reader keeps up; else queued and sent as ASGI
    messages by a task of its own (any server, a slow reader)."""

    __slots__ = ("context", "direct", "done", "idle", "live", "names", "pending", "pending_size", "read", "seen",
                 "send", "sender", "topics")

    def __init__(self, topics: frozenset[str], send: Send, direct: DirectBody | None) -> None:
        self.topics = topics
        self.names = tuple(sorted(topics))  # with `read`, in this order: pages at the same place share one chunk
        self.read: tuple[int, ...] = ()  # per name: how many of its topic's events this page has taken
        self.seen: tuple[int, int] | None = None  # the newest event replayed from the log: not sent twice
        self.live = False  # false while the replay is on its way: what arrives meanwhile waits in the topic
        self.idle = False  # nothing written since the last beat (Hub._keep_alive)
        self.send = send
        self.direct = direct
        self.pending: list[bytes] = []
        self.pending_size = 0
        self.sender: asyncio.Task | None = None
        self.done = asyncio.get_running_loop().create_future()
        self.context = contextvars.copy_context()  # the request's, for the ASGI sends made from the hub's flush

    @property
    def closed(self) -> bool:
        return self.done.done()

    def close(self) -> None:
        if not self.done.done():
            self.done.set_result(None)

    def deliver(self, body: bytes, framed: bytes) -> None:
        """Write `body` (`framed` as a chunk) now if the connection takes it, else queue it for the sender."""
        if self.closed:
            return
        self.idle = False
        if self.sender is None and self.direct is not None:
            if self.direct.write(framed):
                return
            if self.direct.gone:
                self.close()
                return
        self.pending.append(body)
        self.pending_size += len(body)
        if self.pending_size > MAX_PENDING:
            self.close()
        elif self.sender is None:
            loop = asyncio.get_running_loop()
            self.sender = loop.create_task(self._send_pending(), name="live-page", context=self.context)

    async def _send_pending(self) -> None:
        try:
            while self.pending and not self.closed:
                body = b"".join(self.pending)
                self.pending, self.pending_size = [], 0
                await self.send({"type": "http.response.body", "body": body, "more_body": True})
        except OSError:  # the client is gone (a server on ASGI 2.4 says so)
            self.close()
        finally:
            self.sender = None


class Topic:
    """A topic's recent events, kept once for every page on it; each page remembers how far it read."""

    def __init__(self) -> None:
        self.events: deque[Event] = deque(maxlen=BACKLOG)
        self.count = 0  # events ever added here
        self.listeners: set[Page] = set()
        self._needed: dict[int, list[Event]] = {}  # from where a page read -> what it needs, at this count

    def add(self, event: Event) -> None:
        self.events.append(event)
        self.count += 1
        self._needed = {}

    def needed_since(self, read: int) -> list[Event] | None:
        """The events after the first `read`, each state event only once; None if some were pushed out already."""
        missed = self.count - read
        if missed > len(self.events):
            return None
        if (found := self._needed.get(read)) is None:
            tail = list(itertools.islice(reversed(self.events), missed))[::-1]
            found = self._needed[read] = newest_first_only(tail, (0, 0))
        return found


# What pages at one place get at one flush: the events, the chunk (bare and framed), and where they then are.
_Chunk = tuple[list[Event], bytes, bytes, tuple[int, ...]]


class Hub:
    """The process's one subscription, fanning each event out to the pages listening on its topic.

    Events are written out by a flush, at once after a quiet spell and then at most every COALESCE_SECONDS (counted
    from the last one's start): of a burst each page gets one write, each score only its last value (STATE_EVENTS;
    comments are never merged), and pages that read from the same place share one encoded chunk. A flush goes
    SLICE_PAGES at a time, the loop running between, so it never holds the loop long and a page's write carries
    what arrived up to its turn. No page's task wakes unless its reader is slow."""

    def __init__(self, redis: Redis, heartbeat: float = HEARTBEAT_SECONDS) -> None:
        self.redis = redis
        self.heartbeat = heartbeat
        self.topics: dict[str, Topic] = {}
        self.pages: set[Page] = set()
        self.last_id: str | None = None
        self.ready = asyncio.Event()
        self.flushes = 0
        self._dirty: set[Topic] = set()
        self._flush: asyncio.Handle | None = None  # the next flush, or the rest of this one
        self._flushed = 0.0  # loop time of the last flush's start
        self._beat: asyncio.TimerHandle | None = None
        self._task: asyncio.Task | None = None

    @property
    def connections(self) -> int:
        return len(self.pages)

    def join(self, topics: Iterable[str], send: Send, direct: DirectBody | None = None) -> Page:
        """A new page, not live yet (go_live): what arrives meanwhile waits in its topics."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="live-hub")
        if self._beat is None:
            self._beat = asyncio.get_running_loop().call_later(self.heartbeat / 2, self._keep_alive)
        page = Page(frozenset(topics), send, direct)
        for name in page.names:
            self.topics.setdefault(name, Topic()).listeners.add(page)
        page.read = tuple(self.topics[name].count for name in page.names)
        self.pages.add(page)
        return page

    def go_live(self, page: Page) -> None:
        """The page's replay is out: send what arrived since it joined, then it is written by every flush."""
        page.live = True
        self._catch_up(page, {})

    def leave(self, page: Page) -> None:
        page.close()
        self.pages.discard(page)
        for name in page.topics:
            topic = self.topics.get(name)
            if topic is not None:
                topic.listeners.discard(page)
                if not topic.listeners:
                    del self.topics[name]

    async def replay(self, since: str, topics: frozenset[str]) -> list[Event]:
        """What these topics had after event `since`, from the log (the oldest ones may have been trimmed)."""
        rows = await self.redis.xrange(LOG, min="(" + since, max="+", count=LOG_LENGTH)
        events = [_from_log(event_id, fields) for event_id, fields in rows]
        return [e for e in events if e.topic in topics]

    def dispatch(self, event: Event) -> None:
        self.last_id = event.id
        topic = self.topics.get(event.topic)
        if topic is None:
            return
        topic.add(event)
        self._dirty.add(topic)
        if self._flush is None:
            loop = asyncio.get_running_loop()
            self._flush = loop.call_at(max(loop.time(), self._flushed + COALESCE_SECONDS), self.flush)

    def flush(self) -> None:
        """Write what arrived to every live page of the topics it arrived on, one chunk per page, SLICE_PAGES at a
        time: between slices the loop reads what arrives, and the later pages get that too (a page waits for its
        turn, not for the whole flush to have begun after the vote)."""
        self._flush = None
        self.flushes += 1
        self._flushed = asyncio.get_running_loop().time()
        dirty, self._dirty = self._dirty, set()
        pages = list(next(iter(dirty)).listeners if len(dirty) == 1 else set().union(*(t.listeners for t in dirty)))
        self._write(pages, 0)

    def _write(self, pages: list[Page], start: int) -> None:
        made: dict[tuple, _Chunk | None] = {}
        for page in pages[start:start + SLICE_PAGES]:
            if page.live and not page.closed:  # (one that left since the flush began has no topics to read)
                self._catch_up(page, made)
        loop = asyncio.get_running_loop()
        if start + SLICE_PAGES < len(pages):
            self._flush = loop.call_soon(self._write, pages, start + SLICE_PAGES)
            return
        self._flush = None
        if self._dirty:  # what arrived during this flush for pages it had written already
            self._flush = loop.call_at(max(loop.time(), self._flushed + COALESCE_SECONDS), self.flush)

    def _catch_up(self, page: Page, made: dict[tuple, _Chunk | None]) -> None:
        key = (page.names, page.read)
        if key in made:
            found = made[key]
        else:
            found = made[key] = self._chunk(page)
        if found is None:  # this far behind: it reconnects and replays from the log
            page.close()
            return
        events, body, framed, page.read = found
        if page.seen is not None:  # just replayed: what the replay had already is left out
            kept = [e for e in events if e.order > page.seen]
            if kept:
                page.seen = None  # all that comes from now on is newer
            if len(kept) < len(events):
                body = b"".join(e.encoded for e in kept)
                framed = chunk_frame(body)
        if body:
            page.deliver(body, framed)

    def _chunk(self, page: Page) -> _Chunk | None:
        events: list[Event] = []
        counts = []
        for name, read in zip(page.names, page.read, strict=True):
            topic = self.topics[name]
            needed = topic.needed_since(read)
            if needed is None:
                return None
            events += needed
            counts.append(topic.count)
        if len(page.names) > 1:  # an idea's score on its own topic and its board's: sent once
            events = newest_first_only(sorted(events, key=lambda e: e.order), (0, 0))
        body = b"".join(e.encoded for e in events)
        return events, body, chunk_frame(body), tuple(counts)

    def _keep_alive(self) -> None:
        """A comment to each page sent nothing for half a heartbeat (so one at least every `heartbeat` s): proxies
        keep an idle stream open, and a write to a client that is gone closes its page."""
        self._beat = None
        for page in list(self.pages):
            if page.live and page.idle:
                page.deliver(KEEPALIVE, KEEPALIVE_FRAMED)
            page.idle = True
        if self.pages:
            self._beat = asyncio.get_running_loop().call_later(self.heartbeat / 2, self._keep_alive)

    async def close(self) -> None:
        for handle in (self._flush, self._beat):
            if handle is not None:
                handle.cancel()
        self._flush = self._beat = None
        for page in list(self.pages):
            page.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RedisError, OSError):
                await self._task

    async def _run(self) -> None:
        """Subscribe, hand out events; after a lost connection subscribe again and catch up from the log."""
        pause = 0.5
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(channel(self.redis))
                if self.last_id is not None:
                    for event in await self.replay(self.last_id, frozenset(self.topics)):
                        self.dispatch(event)
                self.ready.set()
                pause = 0.5
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        for event in _from_message(message["data"]):
                            self.dispatch(event)
            except (RedisError, OSError, ValueError) as exc:
                log.warning("live updates lost their subscription: %s", exc)
                self.ready.clear()
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 10.0)


def _from_message(raw: bytes | str) -> list[Event]:
    """The events of one message: one (publish) or a batch (publish_all)."""
    found = json.loads(raw)
    return [Event(str(data["id"]), str(data["topic"]), str(data["name"]), str(data.get("data", "")))
            for data in (found if isinstance(found, list) else [found])]


def _from_log(event_id: bytes | str, fields: dict) -> Event:
    def text(value: Any) -> str:
        return value.decode() if isinstance(value, bytes) else str(value)

    values = {text(k): text(v) for k, v in fields.items()}
    return Event(text(event_id), values.get("topic", ""), values.get("name", ""), values.get("data", ""))


def since_now(margin_ms: int = 2000) -> str:
    """An event id for "from now on" (stream ids are Redis's clock in ms): a page rendered now, even if a cache
    serves it later, asks for what happened since (a little earlier, for clock skew: a repeat changes nothing)."""
    return f"{int(time.time() * 1000) - margin_ms}-0"


def last_event_id(header: str | None, query: str | None) -> str | None:
    """Where a reconnecting page left off: the browser's Last-Event-ID, else `?since=` (app.js, a new source)."""
    for value in (header, query):
        if value and EVENT_ID.fullmatch(value.strip()):
            return value.strip()
    return None


def stream(hub: Hub, topics: Sequence[str], since: str | None, *, seconds: float = STREAM_SECONDS) -> Response:
    """The event stream of these (already authorized) topics for one page."""
    return LiveStream(hub, frozenset(topics), since, seconds)


class LiveStream(Response):
    """One page's event stream, a plain ASGI response: the hub writes its events (Page), this waits for the end.

    Missed events first (Last-Event-ID), then what arrives, until `seconds` have passed, the page falls too far
    behind, or the client goes."""

    media_type = "text/event-stream"

    def __init__(self, hub: Hub, topics: frozenset[str], since: str | None, seconds: float) -> None:
        self.hub, self.topics, self.since, self.seconds = hub, topics, since, seconds
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        direct = (scope.get("extensions") or {}).get(DIRECT_BODY)
        page = self.hub.join(self.topics, send, direct)  # before the replay: nothing falls between the two
        watching = loop.create_task(_until_gone(receive, page), name="live-disconnect")
        ending = loop.call_later(self.seconds, page.close)
        try:
            first = [PREAMBLE]
            if self.since is not None:
                with contextlib.suppress(RedisError, OSError):
                    for event in await self.hub.replay(self.since, self.topics):
                        page.seen = max(page.seen or (0, 0), event.order)
                        first.append(event.encoded)
            await send({"type": "http.response.body", "body": b"".join(first), "more_body": True})
            self.hub.go_live(page)
            await page.done
        except OSError:  # the client went (a server on ASGI 2.4 says so)
            pass
        finally:
            ending.cancel()
            watching.cancel()
            self.hub.leave(page)
            if page.sender is not None:
                page.sender.cancel()
                with contextlib.suppress(asyncio.CancelledError, OSError):
                    await page.sender
        with contextlib.suppress(OSError):
            await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _until_gone(receive: Receive, page: Page) -> None:
    """Close the page when its client disconnects."""
    while (await receive())["type"] != "http.disconnect":
        pass
    page.close()
