"""A fake X API v2 (recent search, mentions, the filtered stream and its rules, create post) served over real HTTP
on 127.0.0.1, for tests.

It follows the project's X API notes (x-api-notes.md §6): requests are validated against the OpenAPI parameter
schemas of spec 2.166 (cut into tests/data/; 2.167 spellings such as `post.fields` are accepted too), errors are the
documented problem bodies, and tests can script rate limits, 5xx failures, duplicate posts across pages and the
2.167 ("core") response naming.

Usage: `def test_x(fake_x): fake_x.add_tweet("dark mode please"); XClient(fake_x.base_url, ...)`. The fixture gives
each test fresh state behind one loopback server per run. Outside pytest (e.g. for a dev server):
`fake = FakeXServer(); with LoopbackServer(fake.app) as server: fake.base_url = server.base_url; ...`.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import unquote_plus, urlencode

import jsonschema
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ideaboard.post_length import is_valid
from ideaboard.x_api import query_matcher

Naming = Literal["legacy", "core"]
Endpoint = Literal["search", "post", "stream", "rules", "mentions"]
Mischief = Literal["truncated", "wrong-shape", "html"]

TWITTER_EPOCH_MS = 1288834974657
JSON_TYPE = "application/json; charset=utf-8"
PROBLEM_TYPE = "application/problem+json"
TOO_LONG = (
    "Your Tweet text is too long. For more information on how Twitter determines text length see "
    "https://github.com/twitter/twitter-text."
)
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
REPLY_TARGET_GONE = "You attempted to reply to a Tweet that is deleted or not visible to you."
DEFAULT_FIELDS = {"id", "text", "edit_history_tweet_ids"}
BROKEN_BODIES: dict[str, tuple[str, str]] = {  # 200 answers that are not the documented reply
    "truncated": ('{"data": [{"id": "1", "text": "dark mo', JSON_TYPE),
    "wrong-shape": ('{"data": "oops"}', JSON_TYPE),
    "html": ("<html><body>Bad gateway</body></html>", "text/html"),
}
# 2.166 name -> 2.167 name (notes §1.8); used to read post.fields and to emit the "core" naming.
CORE_NAMES = {
    "edit_history_tweet_ids": "edit_history_post_ids",
    "referenced_tweets": "referenced_posts",
    "note_tweet": "note_post",
    "retweet_count": "repost_count",
    "tweets": "posts",
}
LEGACY_NAMES = {core: legacy for legacy, core in CORE_NAMES.items()}
# "At most one of ..." rules from the 2.167 operation description (notes §1.2); since_id + next_token stays legal.
EXCLUSIVE_PARAMS = [("start_time", "since_id"), ("end_time", "until_id"), ("pagination_token", "next_token")]
# Default windows (notes §2.3 Decision): (limit, seconds) per header prefix.
WINDOWS: dict[str, dict[str, tuple[int, int]]] = {
    "search": {"x-rate-limit": (450, 900)},
    "post": {"x-rate-limit": (100, 900), "x-app-limit-24hour": (10_000, 86_400), "x-user-limit-24hour": (100, 86_400)},
    "stream": {"x-rate-limit": (50, 900)},
    "rules": {"x-rate-limit": (450, 900)},
    "mentions": {"x-rate-limit": (450, 900)},
}
SEARCH_PATH, STREAM_PATH = "/2/tweets/search/recent", "/2/tweets/search/stream"
RULES_PATH, MENTIONS_PATH = "/2/tweets/search/stream/rules", "/2/users/{id}/mentions"
NOT_ON_PLAN = ("When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a "
               "Twitter developer App that is attached to a Project. You can create a project via the developer "
               "portal.")


# --------------------------------------------------------------------------------------------------- spec


CONTRACTS = Path(__file__).resolve().parent / "data"  # X's documents cut to what we validate: data/README.md
SPEC_2_166 = "x-api-v2-2.166-subset.json"
SPEC_2_167 = "x-api-v2-2.167-subset.json"


@functools.cache
def _spec(name: str) -> dict[str, Any]:
    """Load one OpenAPI document once per test session."""
    return json.loads((CONTRACTS / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class _Param:
    """One query parameter with a validator per spec that defines it (2.166 first)."""

    name: str
    required: bool
    schemas: tuple[Mapping[str, Any], ...]
    validators: tuple[jsonschema.protocols.Validator, ...]


@functools.cache
def operation_params(path: str = SEARCH_PATH, method: str = "get") -> dict[str, _Param]:
    """Query (and path) parameters of one operation in both specs, keyed by name."""
    found: dict[str, list[tuple[Mapping[str, Any], Mapping[str, Any]]]] = {}
    for name in (SPEC_2_166, SPEC_2_167):
        spec = _spec(name)
        for param in spec["paths"][path][method]["parameters"]:
            param = _resolve(spec, param)
            found.setdefault(param["name"], []).append((spec, param))
    return {
        name: _Param(
            name,
            entries[0][1].get("required", False),
            tuple(param["schema"] for _, param in entries),
            tuple(_validator(spec, param["schema"]) for spec, param in entries),
        )
        for name, entries in found.items()
    }


def search_params() -> dict[str, _Param]:
    """GET /2/tweets/search/recent parameters of both specs, keyed by name."""
    return operation_params(SEARCH_PATH)


@functools.cache
def rules_body_validator() -> jsonschema.protocols.Validator:
    """Validator for the POST /2/tweets/search/stream/rules body (AddOrDeleteRulesRequest, spec 2.166)."""
    return _validator(_spec(SPEC_2_166), {"$ref": "#/components/schemas/AddOrDeleteRulesRequest"})


@functools.cache
def tweet_create_validator() -> jsonschema.protocols.Validator:
    """Validator for the POST /2/tweets body (TweetCreateRequest, spec 2.166)."""
    spec = _spec(SPEC_2_166)
    return _validator(spec, {"$ref": "#/components/schemas/TweetCreateRequest"})


def _resolve(spec: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a local `#/components/...` $ref."""
    if "$ref" not in node:
        return node
    target: Any = spec
    for part in node["$ref"].removeprefix("#/").split("/"):
        target = target[part]
    return target


def _validator(spec: Mapping[str, Any], schema: Mapping[str, Any]) -> jsonschema.protocols.Validator:
    """A draft-4 validator (OpenAPI 3.0 schemas derive from it) that resolves $refs into the spec's components."""
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date-time", raises=ValueError)(_parse_time)
    return jsonschema.Draft4Validator({**schema, "components": spec["components"]}, format_checker=checker)


def _parse_time(value: str) -> datetime:
    """RFC 3339 timestamp as X accepts it (`YYYY-MM-DDTHH:mm:ssZ`)."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("timestamp needs a UTC offset")
    return parsed


# --------------------------------------------------------------------------------------------------- HTTP server


class LoopbackServer:
    """Serve an ASGI app with uvicorn on 127.0.0.1:<ephemeral port> from a background thread; `app` is swappable."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def start(self) -> None:
        """Return once the server accepts connections."""
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP, and
        # without it every keep-alive response stalls ~40 ms on Nagle + delayed ACK.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen()
        config = uvicorn.Config(self._dispatch, interface="asgi3", lifespan="off", loop="asyncio", log_config=None,
                                log_level=None, access_log=False, proxy_headers=False, timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="fake-x-api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 5
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("loopback server did not start")
            time.sleep(0.002)

    def stop(self) -> None:
        """Shut down (about 0.2 s: uvicorn's shutdown grace) and release the socket and thread."""
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._socket.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"


# --------------------------------------------------------------------------------------------------- state


@dataclass(frozen=True)
class RecordedRequest:
    """What the fake received, for assertions on the exact query string and JSON sent."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    json: Any


@dataclass
class _Window:
    """One rate-limit window as reported in x-rate-limit-* style headers."""

    limit: int
    seconds: int
    remaining: int = -1
    reset: int = 0

    def refresh(self, now: float) -> None:
        """Start a new window once the old one has passed."""
        if now >= self.reset:
            self.remaining, self.reset = self.limit, int(now) + self.seconds

    def headers(self, prefix: str) -> dict[str, str]:
        return {f"{prefix}-limit": str(self.limit), f"{prefix}-remaining": str(self.remaining),
                f"{prefix}-reset": str(self.reset)}


class _ApiError(Exception):
    """A problem response the handler wants to send."""

    def __init__(self, status: int, body: dict[str, Any], media_type: str = PROBLEM_TYPE,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.media_type, self.headers = status, body, media_type, dict(headers or {})


@dataclass
class FakeXServer:
    """State and ASGI app of the fake X API: fixture posts, scripted failures, recorded requests."""

    base_url: str = ""  # set by whoever serves `app` (the fake_x fixture, or a LoopbackServer)
    bearer_token: str = "fake-app-bearer-token"
    user_token: str = "fake-user-access-token"
    max_query_length: int = 512
    naming: Naming = "legacy"
    duplicate_across_pages: bool = False
    requests: list[RecordedRequest] = field(default_factory=list)
    posts: list[dict[str, str]] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)  # post ids a reply may no longer answer (delete_tweet)
    _tweets: dict[str, dict[str, Any]] = field(default_factory=dict)
    _failures: list[int | None] = field(default_factory=list)
    _mischief: list[Mischief | None] = field(default_factory=list)
    hang_seconds: float = 0.0  # every request waits this long before answering (a hanging X API)
    in_flight: int = 0
    most_in_flight: int = 0  # the most requests X was answering at once
    stream_available: bool = True  # False: the account's plan has no filtered stream (403 client-forbidden)
    heartbeat_seconds: float = 20.0  # X's keep-alive interval (tests shorten it)
    max_stream_connections: int = 1
    stream_connections: int = 0  # open now
    stream_connects: int = 0  # accepted so far
    most_stream_connections: int = 0
    rules: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> {"id", "value", "tag"}
    max_rules: int = 5
    brand_user: dict[str, str] = field(default_factory=lambda: {"id": "1700000000000000001", "username": "brewline"})
    _live: list[str] = field(default_factory=list)  # post ids in the order they were added (what streams deliver)
    _drops: list[int] = field(default_factory=list)  # close the next connections after this many posts each
    _windows: dict[str, dict[str, _Window]] = field(default_factory=dict)
    _page_tokens: dict[str, str] = field(default_factory=dict)
    _sequence: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._windows = {ep: {p: _Window(*lim) for p, lim in limits.items()} for ep, limits in WINDOWS.items()}
        self.oauth = FakeXOAuth()
        self.app = Starlette(routes=[
            Route(SEARCH_PATH, self._search, methods=["GET"]),
            Route("/2/tweets", self._create, methods=["POST"]),
            Route(STREAM_PATH, self._stream, methods=["GET"]),
            Route(RULES_PATH, self._rules, methods=["GET", "POST"]),
            Route(MENTIONS_PATH, self._mentions, methods=["GET"]),
            *self.oauth.routes,  # Sign in with X: /i/oauth2/authorize, /2/oauth2/token, /2/users/me
        ])

    # ----------------------------------------------------------------------------------------- fixtures & scripts

    def add_tweet(
        self,
        text: str,
        *,
        author_username: str = "customer",
        author_name: str | None = None,
        author_id: str | None = None,
        created_at: datetime | None = None,
        lang: str = "en",
        like_count: int = 0,
        retweet_count: int = 0,
        reply_count: int = 0,
        quote_count: int = 0,
        retweet_of: str | None = None,
        in_reply_to: str | None = None,
    ) -> str:
        """Store a post (newest last by default) and return its snowflake id."""
        created = (created_at or datetime.now(UTC)).astimezone(UTC)
        tweet_id = self._snowflake(created.timestamp())
        tweet = {
            "id": tweet_id,
            "text": text,
            "edit_history_tweet_ids": [tweet_id],
            "author_id": author_id or str(10**9 + zlib.crc32(author_username.encode())),
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
            "lang": lang,
            "conversation_id": self._tweets[in_reply_to]["conversation_id"] if in_reply_to else tweet_id,
            "possibly_sensitive": False,
            "reply_settings": "everyone",
            "public_metrics": {"retweet_count": retweet_count, "reply_count": reply_count, "like_count": like_count,
                               "quote_count": quote_count, "bookmark_count": 0, "impression_count": 10 * like_count},
            "author_username": author_username,
            "author_name": author_name or author_username.title(),
        }
        if retweet_of:
            tweet["referenced_tweets"] = [{"type": "retweeted", "id": retweet_of}]
        if in_reply_to:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": in_reply_to}]
        with self._lock:
            self._tweets[tweet_id] = tweet
            self._live.append(tweet_id)
        return tweet_id

    def _snowflake(self, timestamp: float) -> str:
        """A real-looking 19-digit id that sorts by time like X's (notes §1.6 snowflake helper)."""
        self._sequence += 1
        return str(((int(timestamp * 1000) - TWITTER_EPOCH_MS) << 22) | (self._sequence & 0xFFF))

    def delete_tweet(self, tweet_id: str) -> None:
        """The author deleted the post (or was suspended): searches skip it and replies to it are refused."""
        self._tweets.pop(tweet_id, None)
        self.deleted.add(tweet_id)

    def replies_to(self, tweet_id: str) -> list[dict[str, str]]:
        """Posts created through POST /2/tweets that answer this post id."""
        return [post for post in self.posts if post.get("in_reply_to_tweet_id") == tweet_id]

    def fail_next(self, count: int, *, status: int = 503, after: int = 0) -> None:
        """Let `after` requests through, then answer `count` requests (any endpoint) with this status (500/503/402)."""
        self._failures.extend([None] * after + [status] * count)

    def reply_badly_next(self, count: int, *, how: Mischief = "truncated", after: int = 0) -> None:
        """Let `after` requests through, then answer `count` with a broken 200 (truncated JSON, wrong shape, HTML)."""
        self._mischief.extend([None] * after + [how] * count)

    def hang(self, seconds: float) -> None:
        """From now on every request waits `seconds` before it is answered (0: answer at once again)."""
        self.hang_seconds = seconds

    def rate_limit_after(self, requests: int, *, endpoint: Endpoint = "search", window: str = "x-rate-limit",
                         reset_in: int = 900) -> None:
        """Let `requests` more calls through, then answer 429 until the window resets in `reset_in` seconds."""
        limit = self._windows[endpoint][window]
        limit.remaining, limit.reset = requests, int(time.time()) + reset_in

    def search_requests(self) -> list[RecordedRequest]:
        """Recorded GET /2/tweets/search/recent calls, oldest first."""
        return [r for r in self.requests if r.path == SEARCH_PATH]

    def mentions_requests(self) -> list[RecordedRequest]:
        """Recorded GET /2/users/{id}/mentions calls, oldest first."""
        return [r for r in self.requests if r.path.endswith("/mentions")]

    def drop_stream_after(self, *posts: int) -> None:
        """Close the next connections to the stream after delivering this many posts each (0: at once)."""
        self._drops.extend(posts)

    def rule_values(self) -> list[str]:
        return [rule["value"] for rule in self.rules.values()]

    # ----------------------------------------------------------------------------------------- HTTP handlers

    async def _search(self, request: Request) -> Response:
        self._record(request, None)
        if (broken := await self._misbehave(request)) is not None:
            return broken
        with self._lock:
            return self._handle("search", lambda: self._search_body(dict(request.query_params)),
                                lambda: self._check_token(request, post=False))

    async def _create(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self._record(request, body)
        if (broken := await self._misbehave(request)) is not None:
            return broken
        with self._lock:
            return self._handle("post", lambda: self._create_body(body),
                                lambda: self._check_token(request, post=True))

    async def _stream(self, request: Request) -> Response:
        """GET /2/tweets/search/stream: newline-delimited posts matching the rules, `\r\n` keep-alives between."""
        self._record(request, None)
        params = dict(request.query_params)
        with self._lock:
            refused = self._handle("stream", lambda: self._stream_check(params),
                                   lambda: self._check_token(request, post=False))
            if refused.status_code != 200:
                return refused
            self.stream_connections += 1
            self.stream_connects += 1
            self.most_stream_connections = max(self.most_stream_connections, self.stream_connections)
            start, drop_after = len(self._live), self._drops.pop(0) if self._drops else None
        limits = {k: v for k, v in refused.headers.items() if k.startswith("x-rate-limit")}
        return StreamingResponse(self._deliver(request, params, start, drop_after), headers=limits,
                                 media_type=JSON_TYPE)

    def _stream_check(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self._validate(STREAM_PATH, "get", params)
        if not self.stream_available:
            raise _ApiError(403, {"client_id": "29178386", "detail": NOT_ON_PLAN, "reason": "client-not-enrolled",
                                  "registration_url": "https://developer.x.com/en/portal/projects-and-apps",
                                  "required_enrollment": "Appropriate Level of API Access", "title": "Client Forbidden",
                                  "type": self._problem_type("client-forbidden")})
        if self.stream_connections >= self.max_stream_connections:
            raise _ApiError(429, {"title": "ConnectionException", "connection_issue": "TooManyConnections",
                                  "detail": "This stream is currently at the maximum allowed connection limit.",
                                  "type": self._problem_type("streaming-connection")})
        return 200, {}

    async def _deliver(self, request: Request, params: dict[str, str], position: int,
                       drop_after: int | None) -> AsyncIterator[bytes]:
        """Posts added since the connection opened, as they come; ends when told to drop or the client leaves."""
        sent, beat = 0, time.monotonic()
        try:
            while drop_after is None or sent < drop_after:
                with self._lock:
                    fresh, position = self._live[position:], len(self._live)
                    lines = [line for tweet_id in fresh if (line := self._stream_line(tweet_id, params))]
                for line in lines[: None if drop_after is None else drop_after - sent]:
                    yield line
                    sent += 1
                if time.monotonic() - beat >= self.heartbeat_seconds:
                    yield b"\r\n"
                    beat = time.monotonic()
                if await request.is_disconnected():
                    break
                await asyncio.sleep(0.01)
        finally:
            with self._lock:
                self.stream_connections -= 1

    def _stream_line(self, tweet_id: str, params: dict[str, str]) -> bytes | None:
        """One post with the rules it matched, or None when it matches none (or was deleted)."""
        tweet = self._tweets.get(tweet_id)
        if tweet is None:
            return None
        matched = [{"id": r["id"], "tag": r["tag"]} for r in self.rules.values() if query_matcher(r["value"])(tweet)]
        if not matched:
            return None
        body = self._page([tweet], params, more=False)
        line = {"data": body["data"][0], **({"includes": body["includes"]} if "includes" in body else {}),
                "matching_rules": matched}
        return json.dumps(line).encode() + b"\r\n"

    async def _rules(self, request: Request) -> Response:
        raw = await request.body() if request.method == "POST" else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self._record(request, body)
        params = dict(request.query_params)
        with self._lock:
            respond = (lambda: self._list_rules(params)) if request.method == "GET" else \
                (lambda: self._change_rules(params, body))
            return self._handle("rules", respond, lambda: self._check_token(request, post=False, app_only=True))

    def _list_rules(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self._validate(RULES_PATH, "get", params)
        rules = list(self.rules.values())
        body: dict[str, Any] = {"meta": {"sent": _now(), "result_count": len(rules)}}
        if rules:
            body["data"] = rules
        return 200, body

    def _change_rules(self, params: dict[str, str], body: Any) -> tuple[int, dict[str, Any]]:
        """Add rules (each checked like a query: syntax, length, duplicates, the plan's count) or delete by id."""
        self._validate(RULES_PATH, "post", params)
        errors = [{"message": f"$: {e.message}"} for e in rules_body_validator().iter_errors(body)]
        if errors:
            raise _ApiError(400, self._invalid_body(errors))
        if "delete" in body:
            ids = body["delete"].get("ids", [])
            deleted = [i for i in ids if self.rules.pop(i, None)]
            return 200, {"meta": {"sent": _now(), "summary": {"deleted": len(deleted),
                                                               "not_deleted": len(ids) - len(deleted)}}}
        created, problems = [], []
        for rule in body["add"]:
            value = rule["value"]
            problem = self._rule_problem(value, len(created))
            if problem:
                problems.append({"value": value, "title": problem, "type": self._problem_type("invalid-rules")})
                continue
            rule_id = self._snowflake(time.time())
            created.append({"id": rule_id, "value": value, **({"tag": rule["tag"]} if rule.get("tag") else {})})
        for rule in created:
            self.rules[rule["id"]] = rule
        summary = {"created": len(created), "not_created": len(problems), "valid": len(created),
                   "invalid": len(problems)}
        answer: dict[str, Any] = {"meta": {"sent": _now(), "summary": summary}}
        if created:
            answer["data"] = created
        if problems:
            answer["errors"] = problems
        return 200, answer

    def _rule_problem(self, value: str, adding: int) -> str | None:
        if len(value) > self.max_query_length:
            return f"RuleLengthExceeded: {len(value)} characters, at most {self.max_query_length}"
        if value in self.rule_values():
            return "DuplicateRule"
        if len(self.rules) + adding >= self.max_rules:
            return f"RulesCapExceeded: at most {self.max_rules} rules"
        try:
            query_matcher(value)
        except ValueError as exc:
            return f"UnprocessableEntity: {exc}"
        return None

    async def _mentions(self, request: Request) -> Response:
        self._record(request, None)
        if (broken := await self._misbehave(request)) is not None:
            return broken
        params = {**dict(request.query_params), "id": request.path_params["id"]}
        with self._lock:
            return self._handle("mentions", lambda: self._mentions_body(params),
                                lambda: self._check_token(request, post=False))

    def _mentions_body(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Posts mentioning the brand user (@username in the text), newest first, paged with pagination_token."""
        self._validate(MENTIONS_PATH, "get", params)
        user_id = params.pop("id")
        if user_id != self.brand_user["id"]:
            raise _ApiError(200, {"errors": [{"value": user_id, "detail": f"Could not find user with id: [{user_id}].",
                                              "title": "Not Found Error", "resource_type": "user",
                                              "type": self._problem_type("resource-not-found")}]}, JSON_TYPE)
        handle = "@" + self.brand_user["username"].casefold()
        cursor = self._cursor(params)
        found = [t for t in self._newest_first()
                 if handle in _mention_tokens(t["text"]) and self._in_range(t, params, cursor)]
        size = int(params.get("max_results", 10))
        return 200, self._page(found[:size], params, more=len(found) > size)

    async def _misbehave(self, request: Request) -> Response | None:
        """Hang first if told to, then a scripted broken reply, if any is due."""
        until = time.monotonic() + self.hang_seconds
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            while self.hang_seconds and time.monotonic() < until:  # hang(0) lets waiting requests go
                if await request.is_disconnected():  # the client gave up (its timeout): no longer in flight
                    break
                await asyncio.sleep(0.05)
        finally:
            self.in_flight -= 1
        with self._lock:
            how = self._mischief.pop(0) if self._mischief else None
        if how is None:
            return None
        content, media_type = BROKEN_BODIES[how]
        return Response(content, 200, media_type=media_type)

    def _record(self, request: Request, body: Any) -> None:
        self.requests.append(RecordedRequest(request.method, request.url.path, dict(request.query_params),
                                             dict(request.headers), body))

    def _handle(self, endpoint: Endpoint, respond: Callable[[], tuple[int, dict[str, Any]]],
                authorize: Callable[[], None]) -> Response:
        """Common pipeline: scripted failure, auth, rate limit, then the endpoint's own validation."""
        headers: dict[str, str] = {}
        try:
            if self._failures and (failure := self._failures.pop(0)):
                raise self._generic(failure)
            authorize()
            headers = self._consume(endpoint)
            status, body = respond()
        except _ApiError as error:
            return self._response(error.status, error.body, headers | error.headers, error.media_type)
        return self._response(status, body, headers, JSON_TYPE)

    def _response(self, status: int, body: Any, headers: dict[str, str], media_type: str) -> Response:
        return Response(json.dumps(body), status, headers=headers, media_type=media_type)

    def _check_token(self, request: Request, *, post: bool, app_only: bool = False) -> None:
        """Search takes the app or a user token; posting needs user context (notes §1.1, §3.1); the stream's rules
        take the app-only token."""
        auth = request.headers.get("authorization", "")
        if app_only and auth != f"Bearer {self.bearer_token}":
            raise _ApiError(403, {"title": "Unsupported Authentication", "status": 403,
                                  "detail": "Authenticating with OAuth 2.0 User Context is forbidden for this "
                                            "endpoint.  Supported authentication types are [OAuth 2.0 "
                                            "Application-Only].",
                                  "type": self._problem_type("unsupported-authentication")})
        if post and auth.startswith("OAuth "):
            return
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        if post and token == self.bearer_token:
            raise _ApiError(403, {
                "title": "Unsupported Authentication",
                "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported "
                          "authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
                "type": self._problem_type("unsupported-authentication"),
                "status": 403,
            })
        if token not in ({self.user_token} if post else {self.user_token, self.bearer_token}):
            raise _ApiError(401, {"title": "Unauthorized", "type": "about:blank", "status": 401,
                                  "detail": "Unauthorized"})

    def _consume(self, endpoint: Endpoint) -> dict[str, str]:
        """Count the request against every window; 429 (with the headers) once one is exhausted."""
        now, headers = time.time(), {}
        windows = self._windows[endpoint]
        for window in windows.values():
            window.refresh(now)
        exhausted = any(window.remaining <= 0 for window in windows.values())
        for prefix, window in windows.items():
            window.remaining -= 0 if exhausted else 1
            headers |= window.headers(prefix)
        if exhausted:
            raise _ApiError(429, {"title": "Too Many Requests", "type": "about:blank", "status": 429,
                                  "detail": "Too Many Requests"}, headers=headers)
        return headers

    # ----------------------------------------------------------------------------------------- search

    def _search_body(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self._validate_search(params)
        try:
            matches = query_matcher(params["query"])
        except ValueError as exc:
            raise self._invalid({"query": [params["query"]]},
                                f"There were errors processing your request: {exc}") from None
        cursor = self._cursor(params)
        found = [t for t in self._newest_first() if matches(t) and self._in_range(t, params, cursor)]
        size = int(params.get("max_results", 10))
        page = found[:size]
        if cursor and self.duplicate_across_pages:
            page.insert(0, self._tweets[cursor])
        return 200, self._page(page, params, more=len(found) > size)

    def _validate_search(self, params: dict[str, str]) -> None:
        """Check names, schemas, required and mutually exclusive parameters, collecting every error."""
        self._validate(SEARCH_PATH, "get", params)

    def _validate(self, path: str, method: str, params: dict[str, str]) -> None:
        """Check an operation's parameters against both specs, collecting every error (400 invalid-request)."""
        known = operation_params(path, method)
        errors = [{"parameters": {name: [value]},
                   "message": f"The query parameter [{name}] is not one of [{','.join(known)}]"}
                  for name, value in params.items() if name not in known]
        for name, param in known.items():
            if name in params:
                errors += _param_errors(param, params[name])
            elif param.required:
                errors.append({"parameters": {name: []}, "message": f"The `{name}` query parameter can not be empty"})
        errors += [{"parameters": {a: [params[a]], b: [params[b]]},
                    "message": f"At most one of `{a}`, `{b}` may be provided"}
                   for a, b in EXCLUSIVE_PARAMS if a in params and b in params]
        query = params.get("query", "")
        if len(query) > self.max_query_length:
            errors.append({"parameters": {"query": [query]},
                           "message": f"The `query` query parameter value is {len(query)} characters long; "
                                      f"at most {self.max_query_length} are allowed"})
        if errors:
            raise _ApiError(400, self._invalid_body(errors))

    def _cursor(self, params: dict[str, str]) -> str | None:
        """The id a page token continues after (tokens never expire and can be replayed, notes §1.2)."""
        token = params.get("next_token") or params.get("pagination_token")
        if token is None:
            return None
        if token not in self._page_tokens:
            raise self._invalid({"next_token": [token]}, f"The `next_token` query parameter value [{token}] is "
                                                         "not a valid pagination token")
        return self._page_tokens[token]

    def _newest_first(self) -> list[dict[str, Any]]:
        return sorted(self._tweets.values(), key=lambda t: int(t["id"]), reverse=True)

    def _in_range(self, tweet: dict[str, Any], params: dict[str, str], cursor: str | None) -> bool:
        """since_id/until_id/page cursor by id; start_time (default: 7 days ago)/end_time by created_at."""
        tweet_id, created = int(tweet["id"]), datetime.fromisoformat(tweet["created_at"])
        if tweet_id <= int(params.get("since_id", 0)):
            return False
        if any(tweet_id >= int(bound) for bound in (params.get("until_id"), cursor) if bound):
            return False
        start = _parse_time(params["start_time"]) if "start_time" in params else datetime.now(UTC) - timedelta(7)
        return created >= start and ("end_time" not in params or created < _parse_time(params["end_time"]))

    def _page(self, page: list[dict[str, Any]], params: dict[str, str], *, more: bool) -> dict[str, Any]:
        """Render one response page: only requested fields, includes for requested expansions, meta."""
        if not page:
            return {"meta": {"result_count": 0}}
        fields = DEFAULT_FIELDS | _split(params.get("tweet.fields")) | {
            LEGACY_NAMES.get(f, f) for f in _split(params.get("post.fields"))}
        expansions = {LEGACY_NAMES.get(e, e) for e in _split(params.get("expansions"))}
        fields |= {expansion.split(".")[0] for expansion in expansions}  # an expanded id field is always returned
        body: dict[str, Any] = {"data": [self._render(t, fields) for t in page]}
        includes = self._includes(page, expansions, _split(params.get("user.fields")))
        if includes:
            body["includes"] = includes
        body["meta"] = {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"], "result_count": len(page)}
        if more:
            token = f"b26v89c19zqg8o3f{int(page[-1]['id']):x}"
            self._page_tokens[token] = page[-1]["id"]
            body["meta"]["next_token"] = token
        return body

    def _render(self, tweet: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        """A stored post as the API shows it: requested fields only (never author_username), chosen naming."""
        return self._rename({k: v for k, v in tweet.items() if k in fields})

    def _includes(self, page: list[dict[str, Any]], expansions: set[str], user_fields: set[str]) -> dict[str, Any]:
        """Expanded users (always id, name, username) and referenced posts; omitted when empty (minItems 1)."""
        includes: dict[str, Any] = {}
        if "author_id" in expansions:
            users = {t["author_id"]: {"id": t["author_id"], "name": t["author_name"],
                                      "username": t["author_username"]} for t in page}
            includes["users"] = [{k: v for k, v in u.items() if k in user_fields | {"id", "name", "username"}}
                                 for u in users.values()]
        if expansions & {"referenced_tweets.id", "referenced_tweets"}:
            ids = [ref["id"] for t in page for ref in t.get("referenced_tweets", []) if ref["id"] in self._tweets]
            if ids:
                includes[self._name("tweets")] = [self._render(self._tweets[i], DEFAULT_FIELDS) for i in ids]
        return includes

    # ----------------------------------------------------------------------------------------- create post

    def _create_body(self, body: Any) -> tuple[int, dict[str, Any]]:
        errors = [{"message": f"$.{'.'.join(map(str, e.absolute_path))}: {e.message}".replace("$.:", "$:")}
                  for e in tweet_create_validator().iter_errors(body)]
        if errors:
            raise _ApiError(400, self._invalid_body(errors))
        text = body.get("text")
        if text is None and "media" not in body:
            raise _ApiError(400, self._invalid_body([{"message": "$: at least one of text or media is required"}]))
        if text is not None and not is_valid(text):
            raise _ApiError(400, {"errors": [{"message": TOO_LONG}], "title": "Invalid Request", "detail": TOO_LONG,
                                  "type": self._problem_type("invalid-request")})
        if any(post["text"] == text for post in self.posts[-100:]):
            raise _ApiError(403, {"detail": DUPLICATE, "type": "about:blank", "title": "Forbidden", "status": 403},
                            JSON_TYPE)
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply_to in self.deleted:  # ids the fake never saw are accepted: it does not hold all of X
            raise _ApiError(403, {"detail": REPLY_TARGET_GONE, "type": "about:blank", "title": "Forbidden",
                                  "status": 403}, JSON_TYPE)
        post_id = self._snowflake(time.time())
        post = {"id": post_id, "text": text or ""}
        self.posts.append({**post, "in_reply_to_tweet_id": reply_to} if reply_to else post)
        data = {"id": post_id, "text": text or ""}
        if self.naming == "core":
            data["edit_history_post_ids"] = [post_id]
        return 201, {"data": data}

    # ----------------------------------------------------------------------------------------- naming & problems

    def _name(self, legacy: str) -> str:
        return CORE_NAMES.get(legacy, legacy) if self.naming == "core" else legacy

    def _rename(self, value: Any) -> Any:
        """Recursively switch keys to the 2.167 names when naming == "core"."""
        if isinstance(value, dict):
            return {self._name(k): self._rename(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._rename(v) for v in value]
        return value

    def _problem_type(self, slug: str) -> str:
        host = "api.x.com" if self.naming == "core" else "api.twitter.com"
        return f"https://{host}/2/problems/{slug}"

    def _invalid_body(self, errors: list[dict[str, Any]]) -> dict[str, Any]:
        """The documented 400 invalid-request problem (notes §2.1)."""
        return {"errors": errors, "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": self._problem_type("invalid-request")}

    def _invalid(self, parameters: dict[str, list[str]], message: str) -> _ApiError:
        return _ApiError(400, self._invalid_body([{"parameters": parameters, "message": message}]))

    def _generic(self, status: int) -> _ApiError:
        phrase = HTTPStatus(status).phrase
        return _ApiError(status, {"title": phrase, "detail": phrase, "type": "about:blank", "status": status})


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{datetime.now(UTC).microsecond // 1000:03d}Z"


def _mention_tokens(text: str) -> set[str]:
    return {word.casefold().rstrip(".,!?:;") for word in text.split() if word.startswith("@")}


def _split(value: str | None) -> set[str]:
    """Items of a comma-separated (explode=false) list parameter."""
    return set(value.split(",")) if value else set()


def _param_errors(param: _Param, raw: str) -> list[dict[str, Any]]:
    """Errors for one query value: none if any spec's schema accepts it, else those of the 2.166 schema."""
    first: list[jsonschema.ValidationError] = []
    for schema, validator in zip(param.schemas, param.validators, strict=True):
        errors = list(validator.iter_errors(_coerce(raw, schema)))
        if not errors:
            return []
        first = first or errors
    return [{"parameters": {param.name: [raw]}, "message": _message(param, raw, e)} for e in first]


def _coerce(raw: str, schema: Mapping[str, Any]) -> Any:
    """Query strings are text: split comma-separated lists (explode=false), parse integers."""
    if schema.get("type") == "array":
        return raw.split(",")
    if schema.get("type") == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    return raw


def _message(param: _Param, raw: str, error: jsonschema.ValidationError) -> str:
    """X's wording for invalid parameter values (observed forms, notes §2.1)."""
    prefix = f"The `{param.name}` query parameter value [{error.instance if error.path else raw}]"
    schema = error.schema
    if error.validator in ("minimum", "maximum"):
        return f"{prefix} is not between {schema.get('minimum')} and {schema.get('maximum')}"
    if error.validator == "enum":
        return f"{prefix} is not one of [{','.join(schema['enum'])}]"
    if error.validator == "pattern":
        return f"{prefix} does not match {schema['pattern']}"
    return f"{prefix} is invalid: {error.message}"


# --------------------------------------------------------------------------------------------------- OAuth 2.0


@dataclass
class FakeXOAuth:
    """X's OAuth 2.0 authorization code flow with PKCE and GET /2/users/me, as documented: the authorize page
    (x.com/i/oauth2/authorize, served here at the same path) approves at once for `person` (or denies), the token
    endpoint takes a form with code, grant_type, redirect_uri, code_verifier and client_id (public clients) or HTTP
    Basic (confidential ones), and /2/users/me needs a user token with users.read and tweet.read."""

    client_id: str = "fake-x-client-id"
    client_secret: str = "fake-x-client-secret"  # "" makes it a public client
    person: dict[str, str] = field(default_factory=lambda: {"id": "1460981234567890", "username": "alice_sips",
                                                            "name": "Alice M"})
    deny: bool = False
    grants: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def routes(self) -> list[Route]:
        return [Route("/i/oauth2/authorize", self._authorize, methods=["GET"]),
                Route("/2/oauth2/token", self._token, methods=["POST"]),
                Route("/2/users/me", self._me, methods=["GET"])]

    async def _authorize(self, request: Request) -> Response:
        q = dict(request.query_params)
        missing = [k for k in ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
                               "code_challenge_method") if not q.get(k)]
        if missing or q["response_type"] != "code" or q["client_id"] != self.client_id \
                or q["code_challenge_method"] not in ("S256", "plain"):
            return Response("Something went wrong. You weren't able to give access to the App.", status_code=400)
        back = q["redirect_uri"] + "?"
        if self.deny:
            return Response(status_code=302, headers={"location": back + urlencode(
                {"error": "access_denied", "state": q["state"]})})
        code = secrets.token_urlsafe(24)
        self.grants[code] = {**q, **{f"person_{k}": v for k, v in self.person.items()}}
        return Response(status_code=302, headers={"location": back + urlencode({"state": q["state"], "code": code})})

    async def _token(self, request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        self.token_requests.append(form)
        client = _basic(request.headers.get("authorization", ""))
        if client is not None and client != (self.client_id, self.client_secret):
            return _oauth_error(401, "unauthorized_client", "Missing valid authorization header")
        if client is None and (self.client_secret or form.get("client_id") != self.client_id):
            return _oauth_error(401, "unauthorized_client", "Missing valid authorization header")
        grant = self.grants.pop(form.get("code", ""), None)  # an authorization code works once
        if form.get("grant_type") != "authorization_code" or grant is None \
                or form.get("redirect_uri") != grant["redirect_uri"]:
            return _oauth_error(400, "invalid_request", "Value passed for the authorization code was invalid.")
        verifier = form.get("code_verifier", "")
        computed = verifier if grant["code_challenge_method"] == "plain" else \
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        if not verifier or not hmac.compare_digest(computed, grant["code_challenge"]):
            return _oauth_error(400, "invalid_request", "Value passed for the code verifier was invalid.")
        token = secrets.token_urlsafe(30)
        person = {k.removeprefix("person_"): v for k, v in grant.items() if k.startswith("person_")}
        self.tokens[token] = {"scope": grant["scope"], **person}
        return Response(json.dumps({"token_type": "bearer", "expires_in": 7200, "access_token": token,
                                    "scope": grant["scope"]}), media_type=JSON_TYPE)

    async def _me(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        holder = self.tokens.get(token) if scheme.lower() == "bearer" else None
        if holder is None:
            return Response(json.dumps({"title": "Unauthorized", "type": "about:blank", "status": 401,
                                        "detail": "Unauthorized"}), status_code=401, media_type=PROBLEM_TYPE)
        if not {"users.read", "tweet.read"} <= set(holder["scope"].split()):
            return Response(json.dumps({"title": "Forbidden", "type": "about:blank", "status": 403,
                                        "detail": "Forbidden"}), status_code=403, media_type=PROBLEM_TYPE)
        person = {k: holder[k] for k in ("id", "name", "username")}
        return Response(json.dumps({"data": person}), media_type=JSON_TYPE)


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    user, _, password = base64.b64decode(value).decode().partition(":")
    return unquote_plus(user), unquote_plus(password)


def _oauth_error(status: int, error: str, description: str) -> Response:
    return Response(json.dumps({"error": error, "error_description": description}), status_code=status,
                    media_type=JSON_TYPE)


_SHARED_SERVER = pytest.StashKey[LoopbackServer]()


def _shared_server(config: pytest.Config) -> LoopbackServer:
    """One loopback server per test run, stopped when pytest finishes; tests swap the app it serves."""
    if _SHARED_SERVER not in config.stash:
        server = LoopbackServer(Starlette())
        server.start()
        config.add_cleanup(server.stop)
        config.stash[_SHARED_SERVER] = server
    return config.stash[_SHARED_SERVER]


@pytest.fixture
def fake_x(request: pytest.FixtureRequest) -> Iterator[FakeXServer]:
    """A fresh fake X API for one test (base_url, bearer_token, user_token, scripting, recorded requests)."""
    server = _shared_server(request.config)
    fake = FakeXServer(base_url=server.base_url)
    server.app = fake.app
    yield fake
    server.app = Starlette()  # a later request from a leaked client gets 404, never another test's state
