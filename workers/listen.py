"""Listening on X at the brand level: one filtered-stream connection across all worker processes, recent search on
the same rules when the stream is not available, and the brand's mentions, within the monthly read budget.

- `listen` (cron, every minute, product queue, instant): queues the stream job and, when no stream is connected,
  a poll, both in X's own queue (a slow X never holds the product's slots).
- `listen_stream`: takes a Redis lock (TTL renewed while connected) so exactly one process streams; syncs the rules;
  reconnects with X's documented backoff; a 403 (not on the account's plan) switches to polling for an hour.
- `poll_x`: recent search per rule and the mentions, each from its since_id; a 429 blocks that endpoint until X's
  reset (the next ticks skip it without asking X).
Every post is stored once (social.store_tweets files it into its desk conversation) and matched to the open ideas by
the shared decision in workers/linking.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ideaboard import listening, live, social
from ideaboard.models import ListenCursor
from ideaboard.settings import Settings
from ideaboard.x_api import (
    StreamRule,
    Tweet,
    XApiError,
    XAuthError,
    XRateLimited,
    XServerError,
    XStreamUnavailable,
    XTemporaryError,
    read_tweets_file,
)
from workers import semantic
from workers.clustering import Document
from workers.linking import IdeaMatcher
from workers.locks import RELEASE
from workers.pools import BATCH

log = logging.getLogger(__name__)

LOCK_KEY = "ideaboard:x:stream:lock"
UNAVAILABLE_KEY = "ideaboard:x:stream:unavailable"
BLOCKED_KEY = "ideaboard:x:blocked:{endpoint}"  # set until X's rate-limit reset after a 429
UNAVAILABLE_SECONDS = 3600  # after a 403 on the stream, poll for an hour before trying it again
BUDGET_MESSAGE = "The monthly read budget (X_MONTHLY_READ_BUDGET) is used up; reading resumes next month."
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
@dataclass
class StreamOptions:
    """How long a stream job runs and how it waits; tests shrink the times (`ctx["stream_options"]`)."""

    session_seconds: float = 900.0  # then the job ends, releasing the lock; the next minute's job reconnects
    lock_ttl: float = 30.0
    renew_every: float = 10.0
    read_timeout: float = 21.0  # X's 20 s keep-alive plus a second
    backoff_scale: float = 1.0
    rules_every: float = 300.0  # re-sync the rules (ideas open and close) at most this often, on reconnect


@dataclass
class Backoff:
    """X's reconnect schedule ("Handling disconnections"): at once after a drop, then +250 ms per network error up to
    16 s; 5 s doubling to 320 s for HTTP errors; 1 minute doubling for 429 (or X's reset, whichever is later)."""

    scale: float = 1.0
    network: float = field(default=0.0, init=False)
    http: float = field(default=0.0, init=False)
    limited: float = field(default=0.0, init=False)

    def connected(self) -> None:
        self.network = self.http = self.limited = 0.0

    def after_drop(self) -> float:
        """An established connection ended: reconnect at once, the next failures back off."""
        return 0.0

    def after_network_error(self) -> float:
        self.network = min(16.0, self.network + 0.25)
        return self.network * self.scale

    def after_http_error(self) -> float:
        self.http = min(320.0, self.http * 2 if self.http else 5.0)
        return self.http * self.scale

    def after_rate_limit(self, reset_at: datetime | None) -> float:
        self.limited = self.limited * 2 if self.limited else 60.0
        until_reset = (reset_at - datetime.now(UTC)).total_seconds() if reset_at else 0.0
        return max(self.limited * self.scale, until_reset)


def _brand(settings: Settings) -> list[str]:
    return [*settings.x_brand_handles, *settings.x_brand_keywords]


async def _matcher(ctx: dict[str, Any]) -> IdeaMatcher:
    """The open ideas, fitted once per poll or stream connection (in the pool: it is CPU work); their embeddings
    come from the clustering cache in Redis, so only new or edited ideas are embedded."""
    ideas = await social.open_ideas_for_linking()
    loop = asyncio.get_running_loop()
    vectors = None
    if semantic.available() and ideas and (redis := ctx.get("redis")):
        docs = [Document(idea_id, title, body) for idea_id, title, body in ideas]
        vectors = await semantic.document_vectors(redis, docs, lambda f, a: loop.run_in_executor(ctx[BATCH], f, a))
    build = functools.partial(IdeaMatcher, ideas, _brand(ctx["settings"]), vectors=vectors)
    return await loop.run_in_executor(ctx[BATCH], build)


async def store_and_link(ctx: dict[str, Any], matcher: IdeaMatcher, tweets: Sequence[Tweet]) -> int:
    """Store the posts once (filed into desk conversations), tell the desk, link them; returns new links."""
    if not tweets:
        return 0
    await social.store_tweets(tweets)
    if redis := ctx.get("redis"):
        await live.publish(redis, live.DESK, "desk")
    loop = asyncio.get_running_loop()
    pairs = [(t.id, t.text) for t in tweets]
    found = await loop.run_in_executor(ctx[BATCH], matcher.links, pairs)
    return sum([await social.link_tweets(idea_id, scores) for idea_id, scores in found.items()])


async def listen(ctx: dict[str, Any]) -> int:
    """Cron, every minute: queue the stream job (it exits at once if another process streams) and, when no stream
    is connected, a poll; returns how many jobs were queued."""
    settings: Settings = ctx["settings"]
    mode = social.feature_mode(settings)
    if mode == "off":
        return 0
    from workers.social import X_QUEUE

    redis = ctx["redis"]
    minute = f"{datetime.now(UTC):%Y%m%d%H%M}"
    jobs = ["poll_x"]
    if mode == "api" and not await redis.exists(UNAVAILABLE_KEY):
        jobs.insert(0, "listen_stream")
    queued = [await redis.enqueue_job(name, _job_id=f"x:{name}:{minute}", _queue_name=X_QUEUE) for name in jobs]
    return sum(job is not None for job in queued)


async def poll_x(ctx: dict[str, Any]) -> int:
    """Recent search on every rule (unless a stream is connected) and the brand's mentions; returns posts read.

    X_DEADLINE_SECONDS bounds the whole poll (every source together), so the job ends within its arq timeout.
    """
    settings: Settings = ctx["settings"]
    mode = social.feature_mode(settings)
    if mode == "off":
        return 0
    rules = await listening.current_rules(settings)
    matcher = await _matcher(ctx)
    if mode == "file":
        return await _poll_file(ctx, matcher, rules)
    redis = ctx.get("redis")
    streaming = bool(redis and await redis.exists(LOCK_KEY))
    read = 0
    ctx = {**ctx, "poll_deadline": asyncio.get_running_loop().time() + settings.x_deadline_seconds}  # all sources
    async with social.x_client(settings) as client:
        if not streaming:
            for rule in rules:
                cursor = await listening.cursor_for(listening.rule_key(rule.tag), rule.value)
                read += await _poll_one(ctx, matcher, cursor, "search", listening.SEARCH_MIN_RESULTS,
                                        lambda since, size, pages, token, q=rule.value: client.search_recent(
                                            q, since_id=since, max_results=size, max_pages=pages,
                                            next_token=token))
        if user_id := settings.x_brand_user_id:
            cursor = await listening.cursor_for(listening.mentions_key(user_id))
            read += await _poll_one(ctx, matcher, cursor, "mentions", listening.MENTIONS_MIN_RESULTS,
                                    lambda since, size, pages, token: client.mentions(
                                        user_id, since_id=since, max_results=size, max_pages=pages,
                                        next_token=token))
    return read


async def _poll_one(ctx: dict[str, Any], matcher: IdeaMatcher, cursor: ListenCursor, endpoint: str, smallest: int,
                    fetch: Any) -> int:
    """One source from its since_id, within the budget and the endpoint's rate limit; returns posts read."""
    settings: Settings = ctx["settings"]
    redis = ctx.get("redis")
    blocked = BLOCKED_KEY.format(endpoint=endpoint)
    if redis and await redis.exists(blocked):
        return 0  # waiting for X's reset: asking now would only earn another 429
    plan = listening.page_plan(await listening.reads_left(settings), smallest)
    if plan is None:
        await listening.advance(cursor, cursor.since_id, 0, BUDGET_MESSAGE)
        return 0
    tweets: list[Tweet] = []
    since_id, error = cursor.since_id, ""
    resume, walk_newest = cursor.next_token, cursor.walk_newest_id
    walk = (walk_newest, resume)  # an unfinished walk back through pages stays until a page moves it on
    try:
        async with asyncio.timeout_at(ctx.get("poll_deadline") or
                                      asyncio.get_running_loop().time() + settings.x_deadline_seconds):
            page = await fetch(cursor.since_id, *plan, resume)
        tweets, newest = page.tweets, (walk_newest if resume else page.newest_id)
        if page.next_token:  # more pages than this poll may read: the next poll goes on from here
            walk = (newest, page.next_token)
        else:
            since_id, walk = newest, (None, None)
    except TimeoutError:
        error = f"X did not answer within {settings.x_deadline_seconds} s"
    except XTemporaryError as exc:  # keep what came before the failure; the next tick resumes at the failed page
        tweets, error = exc.tweets_so_far, exc.message
        if exc.next_token:
            walk = (walk_newest if resume else exc.newest_id, exc.next_token)
        if isinstance(exc, XRateLimited) and redis:
            wait_ms = max(1000, int((exc.reset_at - datetime.now(UTC)).total_seconds() * 1000) + 1000)
            await redis.set(blocked, "1", px=wait_ms)
    except XApiError as exc:  # a rejected token or rule: the console shows why
        error = exc.message
    await listening.count_reads(len(tweets))
    await store_and_link(ctx, matcher, tweets)
    await listening.advance(cursor, since_id, len(tweets), error, walk=walk)
    if error:
        log.warning("listening on X (%s): %s", cursor.key, error)
    return len(tweets)


async def _poll_file(ctx: dict[str, Any], matcher: IdeaMatcher, rules: Sequence[StreamRule]) -> int:
    """Offline mode (X_TWEETS_FILE): the same rules matched against the file, each post once."""
    read = 0
    for rule in rules:
        cursor = await listening.cursor_for(listening.rule_key(rule.tag), rule.value)
        since = int(cursor.since_id or 0)
        tweets = [t for t in read_tweets_file(ctx["settings"].x_tweets_file, rule.value) if int(t.id) > since]
        await store_and_link(ctx, matcher, tweets)
        await listening.advance(cursor, max([t.id for t in tweets], key=int, default=cursor.since_id), len(tweets))
        read += len(tweets)
    return read


async def listen_stream(ctx: dict[str, Any]) -> str:
    """Hold the one stream connection for a session, reconnecting as X documents; returns how it ended."""
    settings: Settings = ctx["settings"]
    if social.feature_mode(settings) != "api":
        return "off"
    options: StreamOptions = ctx.get("stream_options") or StreamOptions()
    redis = ctx["redis"]
    token = secrets.token_hex(8)
    if not await redis.set(LOCK_KEY, token, nx=True, px=int(options.lock_ttl * 1000)):
        return "another process is streaming"
    session = asyncio.current_task()
    renewer = asyncio.create_task(_keep_lock(redis, token, options, session))
    try:
        return await _stream_session(ctx, options)
    except asyncio.CancelledError:
        if renewer.done():  # the lock was lost: another process may stream now, so this one stops
            return "lost the stream lock"
        raise
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
        await redis.eval(RELEASE, 1, LOCK_KEY, token)


async def _keep_lock(redis: Any, token: str, options: StreamOptions, session: asyncio.Task | None) -> None:
    """Renew the lock's TTL while connected; if it was lost (Redis restarted, TTL passed), stop the session."""
    while True:
        await asyncio.sleep(options.renew_every)
        if not await redis.eval(_RENEW, 1, LOCK_KEY, token, int(options.lock_ttl * 1000)):
            log.warning("the X stream lock was lost; stopping this stream")
            if session:
                session.cancel()
            return


async def _stream_session(ctx: dict[str, Any], options: StreamOptions) -> str:
    settings: Settings = ctx["settings"]
    backoff = Backoff(options.backoff_scale)
    deadline = time.monotonic() + options.session_seconds
    status = await listening.cursor_for(listening.STREAM_KEY)
    synced_at = -options.rules_every
    async with social.x_client(settings) as client:
        while time.monotonic() < deadline:
            if await listening.reads_left(settings) <= 0:
                await listening.advance(status, status.since_id, 0, BUDGET_MESSAGE)
                return "budget"
            wait = 0.0
            try:
                if time.monotonic() - synced_at >= options.rules_every:
                    rules = await listening.current_rules(settings)
                    async with asyncio.timeout(settings.x_deadline_seconds):
                        await client.set_stream_rules(rules)
                    for rule in rules:
                        await listening.cursor_for(listening.rule_key(rule.tag), rule.value)
                    matcher = await _matcher(ctx)
                    synced_at = time.monotonic()
                try:
                    async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                        outcome = await _consume(ctx, client, matcher, status, backoff, options)
                except TimeoutError:  # the session's own end, even while only keep-alives arrive
                    return "session over"
                if outcome == "budget":
                    return "budget"
                # a connection that delivered posts reconnects at once; one that ended empty counts as a network error
                wait = backoff.after_drop() if outcome == "dropped" else backoff.after_network_error()
            except XStreamUnavailable as exc:
                await ctx["redis"].set(UNAVAILABLE_KEY, "1", ex=UNAVAILABLE_SECONDS)
                await listening.advance(status, status.since_id, 0, exc.message + "; polling recent search instead")
                return "unavailable"
            except XAuthError as exc:
                await listening.advance(status, status.since_id, 0, exc.message)
                return "auth"
            except XRateLimited as exc:
                wait = backoff.after_rate_limit(exc.reset_at)
                await listening.advance(status, status.since_id, 0, exc.message)
            except (XServerError, TimeoutError) as exc:
                http = isinstance(exc, XServerError) and exc.status is not None
                wait = backoff.after_http_error() if http else backoff.after_network_error()
                message = exc.message if isinstance(exc, XServerError) else "X did not answer in time"
                await listening.advance(status, status.since_id, 0, message)
            except XApiError as exc:  # a rule X rejects, a 4xx we cannot fix by retrying
                await listening.advance(status, status.since_id, 0, exc.message)
                return "rejected"
            log.info("X stream: reconnecting in %.2f s", wait)
            await asyncio.sleep(max(0.0, min(wait, deadline - time.monotonic())))
    return "session over"


async def _consume(ctx: dict[str, Any], client: Any, matcher: IdeaMatcher, status: ListenCursor, backoff: Backoff,
                   options: StreamOptions) -> str:
    """Read one connection until X ends it or the budget is used; returns which."""
    settings: Settings = ctx["settings"]
    connected = False
    async for item in client.stream(read_timeout=options.read_timeout):
        if not connected:
            backoff.connected()
            connected = True
        await listening.count_reads(1)
        await store_and_link(ctx, matcher, [item.tweet])
        await listening.advance_to_newest([listening.rule_key(t) for t in item.rule_tags], item.tweet.id)
        await listening.advance(status, item.tweet.id, 1)
        if await listening.reads_left(settings) <= 0:
            await listening.advance(status, item.tweet.id, 0, BUDGET_MESSAGE)
            return "budget"
    return "dropped" if connected else "dropped empty"
