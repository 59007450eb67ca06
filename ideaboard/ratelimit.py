"""Fixed-window rate limits kept in Redis, so every web process shares one count.

When Redis cannot be reached the same limits are counted in this process's memory instead (stricter per process
than nothing at all), and Redis is retried a few seconds later.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from ideaboard import redis_scripts
from ideaboard.i18n import gettext as _

if TYPE_CHECKING:
    from ideaboard.settings import Settings

log = logging.getLogger(__name__)

PREFIX = "ideaboard:rate:"
RETRY_REDIS_AFTER = 5.0  # seconds of counting in memory before Redis is tried again
MEMORY_KEYS = 50_000  # above this the in-memory fallback drops windows that have ended


@dataclass(frozen=True)
class Verdict:
    """Whether one more attempt is allowed, and when the window ends if it is not."""

    allowed: bool
    retry_after: int = 0
    count: int = 0

    def __bool__(self) -> bool:
        return self.allowed


class MemoryWindows:
    """The per-process fallback: the same fixed windows, in a dict."""

    def __init__(self) -> None:
        self.windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, limit: int, window_seconds: int, *, count: bool = True) -> Verdict:
        now = time.monotonic()
        ends, seen = self.windows.get(key, (0.0, 0))
        if ends <= now:
            ends, seen = now + window_seconds, 0
        seen += 1 if count else 0
        if count:
            self._store(key, ends, seen, now)
        over = seen > limit if count else seen >= limit
        return Verdict(not over, math.ceil(ends - now) if over else 0, seen)

    def _store(self, key: str, ends: float, seen: int, now: float) -> None:
        if len(self.windows) >= MEMORY_KEYS:
            self.windows = {k: v for k, v in self.windows.items() if v[0] > now}
        self.windows[key] = (ends, seen)


_memory = MemoryWindows()
_redis_down_until = 0.0


def _fallback(exc: Exception) -> None:
    global _redis_down_until
    if time.monotonic() >= _redis_down_until:
        log.warning("rate limits counted in this process only, Redis unavailable: %s", exc)
    _redis_down_until = time.monotonic() + RETRY_REDIS_AFTER


async def hit(redis: Redis, key: str, limit: int, window_seconds: int) -> Verdict:
    """Count one attempt; refused once more than `limit` attempts happened in the window."""
    return (await hit_all(redis, [(key, limit, window_seconds)]))[0]


# hit_all's counting as one script (EVALSHA): SET NX starts the window (Redis 6 and 7), INCR counts, TTL says how
# long is left; atomic, like the MULTI it replaces, with one command for redis-py to pack and parse instead of nine.
# The first n keys and arguments are the counters; a rider's Lua (Batch) follows, with the keys and ARGV after n.
def _counting(rider_lua: str = "", rider_keys: int = 0) -> str:
    return f"""
local n = #KEYS - {rider_keys}
local out = {{}}
for i = 1, n do
  redis.call('SET', KEYS[i], 0, 'EX', ARGV[i], 'NX')
  out[#out + 1] = redis.call('INCR', KEYS[i])
  out[#out + 1] = redis.call('TTL', KEYS[i])
end
{rider_lua}
return out
"""


_HIT_ALL = _counting()


async def hit_all(redis: Redis, counters: list[tuple[str, int, int]]) -> list[Verdict]:
    """Count one attempt on each (key, limit, window) in one round trip (a vote counts per person and per IP)."""
    if time.monotonic() < _redis_down_until:
        return [_memory.hit(*counter) for counter in counters]
    try:
        replies = await _batch_of(redis).count(counters)
    except (RedisError, OSError) as exc:
        _fallback(exc)
        return [_memory.hit(*counter) for counter in counters]
    verdicts = []
    for (_key, limit, _window), (count, ttl) in zip(counters, replies, strict=True):
        over = count > limit
        verdicts.append(Verdict(not over, max(ttl, 1) if over else 0, count))
    return verdicts


class Batch:
    """This process's counting: the requests that want a count while one script is on its way share the next.

    The first request finds nothing on its way and is sent at once; under load one EVALSHA carries every request
    that arrived meanwhile. The script counts each key in turn, so a key twice in a batch is counted twice."""

    def __init__(self, redis: Redis) -> None:
        self.redis = weakref.ref(redis)  # not the client itself: _batches forgets a client once nothing else holds it
        self.waiting: list[tuple[list[tuple[str, int, int]], asyncio.Future]] = []
        self.round_trips = 0
        self.rider: Rider | None = None  # the process's live events go along (app.py)
        self._sending: asyncio.Task | None = None
        self._scripts: dict[str, str] = {}

    async def count(self, counters: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
        """(count, seconds left) of each counter after this attempt."""
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((counters, future))
        if self._sending is None:
            self._sending = asyncio.create_task(self._send(), name="rate-limits")
        return await future

    async def _send(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, []
                await self._send_one(batch)
        finally:
            self._sending = None

    async def _send_one(self, batch: list[tuple[list[tuple[str, int, int]], asyncio.Future]]) -> None:
        keys = [PREFIX + key for counters, _future in batch for key, _limit, _window in counters]
        windows: list[int | str] = [window for counters, _future in batch for _key, _limit, window in counters]
        self.round_trips += 1
        rider = self.rider
        riding = rider.ride() if rider is not None else None
        script = _HIT_ALL
        if riding is not None:
            lua, extra_keys, extra_args, _events = riding
            script = self._scripts.get(lua) or self._scripts.setdefault(lua, _counting(lua, len(extra_keys)))
            keys, windows = keys + extra_keys, [*windows, *extra_args]
        try:
            redis = self.redis()
            if redis is None:  # cannot be while a request holds the client, but say so if it is
                raise ConnectionError("the Redis client of these rate limits is gone")
            replies = await redis_scripts.script(redis, script)(keys, windows)
        except BaseException as exc:  # every request of the batch hears it (and counts in memory if Redis is down)
            if rider is not None and riding is not None and isinstance(exc, Exception):
                rider.not_sent(riding[3], exc)  # they were the batch's to send
            for _counters, future in batch:
                if not future.done():
                    future.set_exception(exc) if isinstance(exc, Exception) else future.cancel()
            if not isinstance(exc, Exception):
                raise
            return
        pairs = [(int(count), int(ttl)) for count, ttl in zip(replies[0::2], replies[1::2], strict=True)]
        start = 0
        for counters, future in batch:
            if not future.done():  # a request whose client left has no one to hear
                future.set_result(pairs[start:start + len(counters)])
            start += len(counters)


class Rider(Protocol):
    """Something else to write with the next count (live.Publisher): Lua using KEYS and ARGV after the n counters."""

    def ride(self) -> tuple[str, list[str], list[str], list[Any]] | None: ...

    def not_sent(self, what: list[Any], exc: Exception) -> None: ...


def carry(redis: Redis, rider: Rider | None) -> None:
    """From now on the counts sent on this client take `rider`'s writes along (None: no longer)."""
    _batch_of(redis).rider = rider


_batches: weakref.WeakKeyDictionary[Redis, Batch] = weakref.WeakKeyDictionary()


def _batch_of(redis: Redis) -> Batch:
    found = _batches.get(redis)
    if found is None:
        found = _batches[redis] = Batch(redis)
    return found


async def peek(redis: Redis, key: str, limit: int, window_seconds: int) -> Verdict:
    """Whether `key` is already at its limit, without counting an attempt (e.g. failed logins of an account)."""
    if time.monotonic() < _redis_down_until:
        return _memory.hit(key, limit, window_seconds, count=False)
    name = PREFIX + key
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.get(name)
            pipe.ttl(name)
            raw, ttl = await pipe.execute()
    except (RedisError, OSError) as exc:
        _fallback(exc)
        return _memory.hit(key, limit, window_seconds, count=False)
    seen = int(raw or 0)
    over = seen >= limit
    return Verdict(not over, max(int(ttl), 1) if over else 0, seen)


class RateLimited(Exception):
    """Refused for now: the message says what and for how long; `retry_after` goes in the Retry-After header."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class Rule:
    """One kind of write: its limit is the Settings field `setting` per `window` seconds."""

    setting: str
    window: int
    doing: str  # "posting comments", for the message
    per_person: bool = True  # per person, and per IP at IDEABOARD_RATE_LIMIT_IP_MULTIPLIER times that


RULES = {
    "signup": Rule("signups_per_hour", 3600, "creating accounts", per_person=False),
    "password_reset": Rule("password_resets_per_hour", 3600, "asking for password resets", per_person=False),
    "login": Rule("login_attempts_per_ip_per_hour", 3600, "logging in", per_person=False),
    "idea": Rule("ideas_per_hour", 3600, "sharing ideas"),
    "edit": Rule("edits_per_minute", 60, "editing"),  # editing an idea, deleting a comment
    "comment": Rule("comments_per_minute", 60, "posting comments"),
    "vote": Rule("votes_per_minute", 60, "voting"),
    "report": Rule("reports_per_hour", 3600, "reporting"),
    "follow": Rule("follows_per_minute", 60, "following ideas"),
    "search": Rule("searches_per_minute", 60, "searching"),
}


def wait_words(seconds: int) -> str:
    """'45 seconds', 'a minute', '12 minutes': how long someone should wait, in words."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def _refused(doing: str, retry_after: int) -> RateLimited:
    return RateLimited(_('You are %(doing)s faster than we allow. Wait %(wait_words)s and try again.',
                         doing=doing, wait_words=wait_words(retry_after)),
                       retry_after)


async def check(redis: Redis, settings: Settings, action: str, *, person_id: int | None, ip: str | None) -> None:
    """Count one `action` for this person and this IP; raises RateLimited when either is over its limit."""
    rule = RULES[action]
    limit = int(getattr(settings, rule.setting))
    keys: list[tuple[str, int]] = []
    if rule.per_person and person_id is not None:
        keys.append((f"{action}:user:{person_id}", limit))
    if ip:
        multiplier = settings.rate_limit_ip_multiplier if rule.per_person else 1
        keys.append((f"{action}:ip:{ip}", limit * multiplier))
    verdicts = await hit_all(redis, [(key, most, rule.window) for key, most in keys])
    if refused := [v for v in verdicts if not v]:
        raise _refused(rule.doing, max(v.retry_after for v in refused))


def _account_key(email: str) -> str:
    import hashlib

    return "login:account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


async def check_login(redis: Redis, settings: Settings, email: str, ip: str | None) -> None:
    """Before checking a password: the IP's attempts across every email, and the account's recent failures."""
    await check(redis, settings, "login", person_id=None, ip=ip)
    if not await hit(redis, f"login:{ip}:{email}", settings.login_attempts_per_minute, 60):
        raise RateLimited(_('Too many login attempts. Wait a minute and try again.'), 60)
    failures = settings.login_failures_per_account_per_hour
    verdict = await peek(redis, _account_key(email), failures, 3600)
    if not verdict:
        raise RateLimited(_('Too many login attempts for this account. Wait %(wait_words)s, or reset your password.',
                            wait_words=wait_words(verdict.retry_after)), verdict.retry_after)


async def login_failed(redis: Redis, settings: Settings, email: str) -> None:
    """One more failed password for this account, wherever it came from."""
    await hit(redis, _account_key(email), settings.login_failures_per_account_per_hour, 3600)
