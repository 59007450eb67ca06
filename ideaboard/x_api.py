"""Small async client for the X API v2 operations ideaboard uses: recent search, mentions, the filtered stream and
its rules, and create post.

Contract: shared/contracts/x-api-notes.md. Requests use the spec-2.166 names (`tweet.fields`, ...); responses are
parsed in both the 2.166 and the 2.167 spelling (`retweet_count`/`repost_count`, ...), because which one the live
API answers with is unverified (notes §1.8).
"""

from __future__ import annotations

import asyncio
import json
import re
import unicodedata
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, Self

import httpx

DEFAULT_BASE_URL = "https://api.x.com"
SEARCH_PATH = "/2/tweets/search/recent"
POST_PATH = "/2/tweets"
STREAM_PATH = "/2/tweets/search/stream"
RULES_PATH = "/2/tweets/search/stream/rules"
MENTIONS_PATH = "/2/users/{id}/mentions"
# X sends a keep-alive newline every 20 s; a little more than that without a byte means the connection is dead
# (X's "Handling disconnections"; tweepy adds the same one-second margin).
STREAM_READ_TIMEOUT = 21.0
TWEET_FIELDS = "created_at,author_id,public_metrics,lang,conversation_id"
USER_FIELDS = "username,name"
# Fallback when a 429 carries no usable reset header: the usual rate-limit window (notes §2.3).
DEFAULT_RESET_DELAY = timedelta(minutes=15)
# Limit windows X reports on 429s; POST /2/tweets adds the 24-hour ones (notes §2.2).
_LIMIT_HEADER_PREFIXES = ("x-rate-limit", "x-app-limit-24hour", "x-user-limit-24hour")

QueryMatcher = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True, slots=True)
class Tweet:
    """A post as ideaboard stores it, independent of the API's field naming."""

    id: str
    text: str
    author_id: str
    author_username: str | None
    author_name: str | None
    created_at: datetime | None
    lang: str | None
    like_count: int | None
    retweet_count: int | None
    reply_count: int | None
    quote_count: int | None
    url: str
    conversation_id: str | None = None  # the thread's first post; the desk groups posts by it


@dataclass(frozen=True, slots=True)
class SearchPage:
    """Result of one poll; store `newest_id` as the next poll's since_id (notes §1.2 polling pattern)."""

    tweets: list[Tweet]
    newest_id: str | None
    next_token: str | None = None  # set when max_pages stopped pagination early: resume with it


@dataclass(frozen=True, slots=True)
class StreamRule:
    """One filtered-stream rule as X holds it (`id` is X's; `tag` is ours and names the rule's cursor)."""

    value: str
    tag: str
    id: str | None = None


@dataclass(frozen=True, slots=True)
class StreamedTweet:
    """A post delivered by the filtered stream with the tags of the rules it matched."""

    tweet: Tweet
    rule_tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PostedTweet:
    """A post we created, with a link staff can open."""

    id: str
    text: str
    url: str


class XApiError(Exception):
    """Any failure talking to X; `message` is written for the staff console."""

    def __init__(self, message: str, status: int | None = None, problem_type: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.problem_type = problem_type


class XAuthError(XApiError):
    """X refused our credentials: a configuration problem that retrying will not fix."""


class XDuplicateContent(XApiError):
    """X refused a post because the account recently posted the same text."""


class XReplyTargetGone(XApiError):
    """X refused a reply because the post it answers was deleted or is not visible (a suspended or private author)."""


class XInvalidRequest(XApiError):
    """X rejected the request itself (bad query, text too long): fix the input, do not retry."""


class XTemporaryError(XApiError):
    """A transient failure that carries what was fetched before it, so a deferred retry loses nothing."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        problem_type: str | None = None,
        *,
        tweets_so_far: Sequence[Tweet] = (),
        newest_id: str | None = None,
        next_token: str | None = None,
    ) -> None:
        super().__init__(message, status, problem_type)
        self.tweets_so_far = list(tweets_so_far)
        self.newest_id = newest_id
        self.next_token = next_token


class XRateLimited(XTemporaryError):
    """HTTP 429: the caller should defer itself until `reset_at` (the client never sleeps on it)."""

    def __init__(self, message: str, *, reset_at: datetime, problem_type: str | None = None, **progress: Any) -> None:
        super().__init__(message, 429, problem_type, **progress)
        self.reset_at = reset_at


class XStreamUnavailable(XApiError):
    """HTTP 403 on the filtered stream: the account's plan does not include it, so listen by polling instead."""


class XServerError(XTemporaryError):
    """X kept failing with 5xx or the network kept failing after all retries."""


class XMalformedResponse(XServerError):
    """X answered 2xx with a body that is not the documented shape (truncated JSON, `{"data": "oops"}`): retry later."""


class _Credential(NamedTuple):
    """A token plus the words that tell staff which setting to fix."""

    token: str | None
    label: str
    setting: str


class XClient:
    """Async X API v2 client; `base_url` is configurable so tests and staging can point it at a fake."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        bearer_token: str | None,
        user_token: str | None,
        http: httpx.AsyncClient | None = None,
        max_retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff = backoff
        self._app = _Credential(bearer_token, "bearer token", "X_BEARER_TOKEN")
        self._user = _Credential(user_token, "user token", "X_USER_TOKEN")
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(10.0))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if we created it (a passed-in one belongs to the caller)."""
        if self._owns_http:
            await self._http.aclose()

    async def search_recent(
        self,
        query: str,
        *,
        since_id: str | None = None,
        max_results: int = 100,
        max_pages: int = 5,
        next_token: str | None = None,
    ) -> SearchPage:
        """Fetch posts newer than since_id across up to max_pages pages, deduplicated by id, newest first.

        `newest_id` comes from the first page fetched (falling back to since_id when nothing matched). To resume an
        interrupted poll pass the same since_id plus the `next_token` of the SearchPage/XTemporaryError, and keep
        the newest_id of the interrupted call as the cursor.
        """
        params = {"query": query, "max_results": str(max_results), **_POST_PARAMS}
        return await self._paged(SEARCH_PATH, params, "next_token", since_id, max_pages, next_token)

    async def mentions(
        self,
        user_id: str,
        *,
        since_id: str | None = None,
        max_results: int = 100,
        max_pages: int = 5,
        next_token: str | None = None,
    ) -> SearchPage:
        """Posts mentioning the account `user_id`, newer than since_id, paged and resumable like search_recent."""
        params = {"max_results": str(max_results), **_POST_PARAMS}
        path = MENTIONS_PATH.format(id=user_id)
        return await self._paged(path, params, "pagination_token", since_id, max_pages, next_token)

    async def _paged(self, path: str, params: dict[str, str], token_param: str, since_id: str | None,
                     max_pages: int, next_token: str | None) -> SearchPage:
        """Follow meta.next_token for up to max_pages pages; XTemporaryError carries what came before it."""
        if since_id:
            params = {**params, "since_id": since_id}
        tweets: dict[str, Tweet] = {}
        newest_id, token = since_id, next_token
        try:
            for page in range(max_pages):
                paged = {**params, token_param: token} if token else params  # since_id stays alongside the token
                body = await self._request("GET", path, self._app, params=paged)
                found = _tweets_from_response(body)  # checks the shape, meta included
                meta = body.get("meta") or {}
                if page == 0 and not next_token:  # a resumed walk's pages are older than the walk's newest
                    newest_id = _str_or_none(meta.get("newest_id")) or newest_id
                for tweet in found:
                    tweets.setdefault(tweet.id, tweet)
                token = _str_or_none(meta.get("next_token"))
                if not token:
                    break
        except XTemporaryError as exc:
            exc.tweets_so_far, exc.newest_id, exc.next_token = list(tweets.values()), newest_id, token
            raise
        return SearchPage(list(tweets.values()), newest_id, token)

    async def stream_rules(self) -> list[StreamRule]:
        """The filtered stream's active rules."""
        body = await self._request("GET", RULES_PATH, self._app, params={"max_results": "1000"})
        data = body.get("data") or []
        if not isinstance(data, list) or not all(isinstance(r, dict) and "value" in r for r in data):
            raise XMalformedResponse(f"X sent stream rules in an unexpected shape ({_shape(body)})")
        return [StreamRule(str(r["value"]), str(r.get("tag") or ""), _str_or_none(r.get("id"))) for r in data]

    async def set_stream_rules(self, wanted: Sequence[StreamRule]) -> list[StreamRule]:
        """Make the active rules exactly `wanted` (same value and tag), deleting the others; returns them as X has
        them. Unchanged rules are left alone, so a stream connected meanwhile keeps matching them."""
        active = await self.stream_rules()
        keep = {(r.value, r.tag) for r in wanted}
        stale = [r.id for r in active if (r.value, r.tag) not in keep and r.id]
        have = {(r.value, r.tag) for r in active}
        missing = [{"value": r.value, "tag": r.tag} for r in wanted if (r.value, r.tag) not in have]
        if stale:
            await self._request("POST", RULES_PATH, self._app, json={"delete": {"ids": stale}})
        if missing:
            body = await self._request("POST", RULES_PATH, self._app, json={"add": missing})
            if errors := [e for e in body.get("errors") or [] if isinstance(e, dict)]:
                raise XInvalidRequest("X rejected a stream rule: " + "; ".join(
                    str(e.get("title") or e.get("detail") or e) + (f" ({e['value']})" if e.get("value") else "")
                    for e in errors))
        return await self.stream_rules() if stale or missing else active

    async def stream(self, *, read_timeout: float = STREAM_READ_TIMEOUT) -> AsyncIterator[StreamedTweet]:
        """Connect to the filtered stream once and yield its posts until X or the network ends it.

        Keep-alive newlines are skipped; `read_timeout` without a byte raises XServerError (a stalled connection);
        a 403 raises XStreamUnavailable, a 429 XRateLimited, any other failure XServerError or XApiError. The
        caller reconnects with backoff (workers/listen.py), never this method.
        """
        if not self._app.token:
            raise XAuthError(f"{self._app.setting} is not set: X needs the {self._app.label} for this call")
        headers = {"Authorization": f"Bearer {self._app.token}"}
        timeout = httpx.Timeout(10.0, read=read_timeout)
        try:
            async with self._http.stream("GET", self.base_url + STREAM_PATH, params=_POST_PARAMS, headers=headers,
                                         timeout=timeout) as response:
                if not response.is_success:
                    await response.aread()
                    raise _stream_error(response, self._app)
                async for line in response.aiter_lines():
                    if line.strip():
                        yield _streamed(line)
        except httpx.TransportError as exc:  # includes the read timeout: no heartbeat came
            raise XServerError(f"The stream from X broke off: {exc!r}") from exc

    async def create_post(self, text: str, *, in_reply_to: str | None = None) -> PostedTweet:
        """Publish a post (a reply when in_reply_to is a post id) with the user-context token (app-only bearer tokens
        cannot post).

        5xx answers are retried like searches: if X did store the first attempt, the retry is refused as duplicate
        content (XDuplicateContent), so a retry can never publish twice.
        """
        check = "; check the account on X before posting again (the post may have gone out)"
        try:
            payload: dict[str, Any] = {"text": text}
            if in_reply_to:
                payload["reply"] = {"in_reply_to_tweet_id": in_reply_to}
            body = await self._request("POST", POST_PATH, self._user, json=payload)
        except XMalformedResponse as exc:
            raise XMalformedResponse(exc.message + check, exc.status) from exc
        data = body.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("id"), str | int):
            raise XMalformedResponse(f"X answered the post with an unexpected reply ({_shape(body)}){check}")
        return PostedTweet(id=str(data["id"]), text=str(data.get("text", text)),
                           url=f"https://x.com/i/status/{data['id']}")

    async def _request(self, method: str, path: str, credential: _Credential, **kwargs: Any) -> dict[str, Any]:
        """Send one API call and return its JSON body, or raise the matching XApiError."""
        if not credential.token:
            raise XAuthError(f"{credential.setting} is not set: X needs the {credential.label} for this call")
        headers = {"Authorization": f"Bearer {credential.token}"}
        response = await self._send_with_retries(method, self.base_url + path, headers=headers, **kwargs)
        if not response.is_success:
            raise _error_for(response, credential)
        return _json_object(response)

    async def _send_with_retries(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Retry 5xx and network failures with exponential backoff, then give up with XServerError."""
        failure: XServerError
        cause: BaseException | None
        for attempt in range(self.max_retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = await self._http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                failure, cause = XServerError(f"Could not reach X: {exc!r}"), exc
                continue
            if response.status_code < 500:
                return response
            failure, cause = _server_error(response), None
        raise failure from cause


_POST_PARAMS = {"tweet.fields": TWEET_FIELDS, "expansions": "author_id", "user.fields": USER_FIELDS}


def _streamed(line: str) -> StreamedTweet:
    """One line of the stream: a post with includes and matching_rules; an `errors`-only line ends the stream."""
    try:
        body = json.loads(line)
    except ValueError:
        raise XMalformedResponse(f"X sent a stream line that is not JSON ({len(line)} characters)") from None
    if not isinstance(body, dict):
        raise XMalformedResponse(f"X sent an unexpected stream line ({_shape(body)})")
    data = body.get("data")
    if data is None:  # e.g. {"errors": [{"title": "operational-disconnect", ...}]}: X is closing the connection
        raise XServerError("X ended the stream: " + _problem_message({"errors": [
            {"message": e.get("detail") or e.get("title")} for e in body.get("errors") or [] if isinstance(e, dict)]},
            "no reason given"))
    [tweet] = _tweets_from_response({**body, "data": [data]})
    rules = body.get("matching_rules") or []
    tags = tuple(str(r.get("tag") or "") for r in rules if isinstance(r, dict)) if isinstance(rules, list) else ()
    return StreamedTweet(tweet, tags)


def _stream_error(response: httpx.Response, credential: _Credential) -> XApiError:
    """403 on the stream means the plan lacks it (X's client-forbidden problem); 5xx is temporary."""
    if response.status_code >= 500:
        return _server_error(response)
    if response.status_code == 403:
        problem = _problem(response)
        message = _problem_message(problem, response.reason_phrase)
        return XStreamUnavailable(f"The filtered stream is not available to this X account (403): {message}", 403,
                                  problem.get("type"))
    return _error_for(response, credential)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """The JSON object X answered with, or XMalformedResponse (a truncated body, a proxy's HTML, a bare list)."""
    try:
        body = response.json()
    except ValueError:
        raise XMalformedResponse(f"X sent an unreadable reply ({response.status_code}, "
                                 f"{len(response.content)} bytes that are not JSON)", response.status_code) from None
    if not isinstance(body, dict):
        raise XMalformedResponse(f"X sent an unexpected reply ({_shape(body)})", response.status_code)
    return body


def _str_or_none(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) and value != "" else None


def _shape(value: Any) -> str:
    """A short description of what came back, for the staff console (never the whole body)."""
    if isinstance(value, dict):
        return "an object with " + (", ".join(f"{k}: {type(v).__name__}" for k, v in list(value.items())[:4]) or
                                    "no fields")
    return f"a JSON {type(value).__name__}"


def _tweets_from_response(body: Mapping[str, Any]) -> list[Tweet]:
    """Turn a search response (either naming) into Tweets, resolving authors from includes.users."""
    data, includes, meta = body.get("data", []), body.get("includes") or {}, body.get("meta") or {}
    users = includes.get("users", []) if isinstance(includes, dict) else None
    if not (isinstance(data, list) and isinstance(users, list) and isinstance(meta, dict)
            and all(isinstance(raw, dict) and "id" in raw and isinstance(raw.get("text"), str) for raw in data)
            and all(isinstance(user, dict) and "id" in user for user in users)):
        raise XMalformedResponse(f"X sent search results in an unexpected shape ({_shape(body)})")
    by_id = {user["id"]: user for user in users}
    try:
        return [_tweet_from_api(raw, by_id.get(raw.get("author_id", ""), {})) for raw in data]
    except (TypeError, ValueError, AttributeError) as exc:  # e.g. created_at that is not a timestamp
        raise XMalformedResponse(f"X sent a post we could not read: {exc}") from exc


def _tweet_from_api(raw: Mapping[str, Any], author: Mapping[str, Any]) -> Tweet:
    """Build a Tweet from an API post object plus its author, accepting 2.166 and 2.167 metric names."""
    metrics = raw.get("public_metrics") or {}
    username = author.get("username")
    created_at = raw.get("created_at")
    return Tweet(
        id=str(raw["id"]),
        text=raw["text"],
        author_id=str(raw.get("author_id", "")),
        author_username=username,
        author_name=author.get("name"),
        created_at=datetime.fromisoformat(created_at) if created_at else None,
        lang=raw.get("lang"),
        like_count=metrics.get("like_count"),
        retweet_count=metrics.get("retweet_count", metrics.get("repost_count")),
        reply_count=metrics.get("reply_count"),
        quote_count=metrics.get("quote_count"),
        url=f"https://x.com/{username or 'i'}/status/{raw['id']}",
        conversation_id=_str_or_none(raw.get("conversation_id")),
    )


def _problem(response: httpx.Response) -> dict[str, Any]:
    """The RFC 7807 problem body, or {} when X sent something else (HTML from a proxy, empty body)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _problem_message(problem: Mapping[str, Any], fallback: str) -> str:
    """Most specific text first: errors[].message, then detail, then title (tweepy's order, notes §2.1)."""
    messages = [str(e["message"]) for e in problem.get("errors") or [] if isinstance(e, dict) and e.get("message")]
    return "; ".join(messages) or problem.get("detail") or problem.get("title") or fallback


def _error_for(response: httpx.Response, credential: _Credential) -> XApiError:
    """Map a 4xx response to the exception the caller can act on."""
    problem = _problem(response)
    status, ptype = response.status_code, problem.get("type")
    message = _problem_message(problem, response.reason_phrase)
    if status == 429:
        reset_at = _rate_limit_reset(response.headers)
        return XRateLimited(f"X rate limit reached ({message}); retry after {reset_at:%Y-%m-%d %H:%M:%S} UTC",
                            reset_at=reset_at, problem_type=ptype)
    if status == 401:
        return XAuthError(f"X rejected the {credential.label} ({status}): check {credential.setting}", status, ptype)
    if status == 403 and "duplicate content" in message.lower():
        return XDuplicateContent(f"X refused a duplicate post ({status}): {message}", status, ptype)
    if status == 403 and "deleted or not visible" in message.lower():
        return XReplyTargetGone(f"X refused the reply ({status}): {message}", status, ptype)
    if status == 403:
        title = problem.get("title") or "Forbidden"
        message = f"X refused the {credential.label} ({status} {title}): {message} — check {credential.setting}"
        return XAuthError(message, status, ptype)
    if status == 400:
        return XInvalidRequest(f"X rejected the request ({status}): {message}", status, ptype)
    return XApiError(f"X API error {status}: {message}", status, ptype)


def _server_error(response: httpx.Response) -> XServerError:
    """Describe a 5xx so the staff console says which status X kept answering."""
    problem = _problem(response)
    message = _problem_message(problem, response.reason_phrase)
    return XServerError(f"X is failing ({response.status_code}): {message}", response.status_code, problem.get("type"))


def _rate_limit_reset(headers: Mapping[str, str]) -> datetime:
    """When X accepts requests again: the latest reset among exhausted windows (UTC epoch seconds)."""
    exhausted = [
        int(headers[f"{prefix}-reset"])
        for prefix in _LIMIT_HEADER_PREFIXES
        if headers.get(f"{prefix}-remaining") == "0" and headers.get(f"{prefix}-reset", "").isdigit()
    ]
    if not exhausted and headers.get("x-rate-limit-reset", "").isdigit():
        exhausted.append(int(headers["x-rate-limit-reset"]))
    return datetime.fromtimestamp(max(exhausted), UTC) if exhausted else datetime.now(UTC) + DEFAULT_RESET_DELAY


def build_search_query(
    terms: Sequence[str],
    *,
    handles: Sequence[str] = (),
    keywords: Sequence[str] = (),
    lang: str | None = "en",
    max_length: int = 512,
) -> str:
    """Build `(idea terms) (@handles OR #tags OR brand words) lang:xx -is:retweet` within X's query length limit.

    Terms are kept in priority order; those that would push the query past max_length (512 on self-serve access,
    notes §1.3) are dropped.
    """
    context = [_handle(h) for h in handles if _handle(h)] + [_phrase(k) for k in keywords if _phrase(k)]
    suffix = " ".join(filter(None, [_group(_unique(context)), f"lang:{lang}" if lang else "", "-is:retweet"]))
    kept: list[str] = []
    for term in _unique([_phrase(t) for t in terms]):
        if term and len(f"{_group([*kept, term])} {suffix}") <= max_length:
            kept.append(term)
    if not kept:
        raise ValueError(f"no usable search terms in {list(terms)!r} within {max_length} characters")
    return f"{_group(kept)} {suffix}"


def brand_operands(handles: Sequence[str], keywords: Sequence[str]) -> list[str]:
    """@accounts, #hashtags and quoted brand phrases as rule operands, repeats dropped."""
    return _unique([_handle(h) for h in handles] + [_phrase(k) for k in keywords])


def all_of_operands(groups: Sequence[Sequence[str]]) -> list[str]:
    """Each group's keywords ANDed (`(dark mode)`: both words, anywhere in the post), groups' repeats dropped."""
    operands = []
    for group in groups:
        words = _unique([_phrase(w) for w in group])
        operands.append(words[0] if len(words) == 1 else f"({' '.join(words)})" if words else "")
    return _unique(operands)


def pack_rules(operands: Sequence[str], *, lang: str | None = "en", max_length: int = 512,
               max_rules: int = 5) -> list[str]:
    """OR operands into as few rules `(a OR b ...) lang:xx -is:retweet` of at most max_length characters as they
    fill, in order, at most max_rules of them; operands that no longer fit are left out (X's per-plan limits)."""
    suffix = " ".join(filter(None, [f"lang:{lang}" if lang else "", "-is:retweet"]))
    rules: list[list[str]] = []
    for operand in operands:
        if rules and len(f"{_group([*rules[-1], operand])} {suffix}") <= max_length:
            rules[-1].append(operand)
        elif len(rules) < max_rules and len(f"{operand} {suffix}") <= max_length:
            rules.append([operand])
    return [f"{_group(items)} {suffix}" for items in rules]


def _phrase(term: str) -> str:
    """One search keyword, quoted when it has spaces or could be read as an operator."""
    words = re.sub(r'["()]', " ", term).split()
    text = " ".join(words).lstrip("-")
    if not text:
        return ""
    return f'"{text}"' if len(words) > 1 or ":" in text or text == "OR" else text


def _handle(handle: str) -> str:
    """An @account or #hashtag operand; bare names are treated as accounts."""
    name = re.sub(r"[^\w#@]", "", handle)
    if not name.lstrip("#@"):
        return ""
    return name if name[0] in "#@" else f"@{name}"


def _group(items: Sequence[str]) -> str:
    """OR items together, parenthesised only when there is more than one."""
    return items[0] if len(items) == 1 else f"({' OR '.join(items)})" if items else ""


def _unique(items: Sequence[str]) -> list[str]:
    """Drop empty and case-insensitively repeated items, keeping the first spelling."""
    kept: dict[str, str] = {}
    for item in items:
        if item:
            kept.setdefault(item.casefold(), item)
    return list(kept.values())


@dataclass(slots=True)
class _Doc:
    """A post prepared for matching: normalised tokens plus the fields operators look at."""

    tokens: list[str]
    words: list[str]
    lang: str | None
    username: str | None
    is_retweet: bool

    @classmethod
    def of(cls, post: Mapping[str, Any]) -> _Doc:
        """Tokenise a stored post (API Tweet shape plus author_username), either naming."""
        tokens = _tokens(post.get("text", ""))
        refs = post.get("referenced_tweets") or post.get("referenced_posts") or []
        username = post.get("author_username")
        return cls(
            tokens=tokens,
            words=[t.lstrip("#@$") for t in tokens],
            lang=post.get("lang"),
            username=username.casefold() if username else None,
            is_retweet=any(ref.get("type") == "retweeted" for ref in refs),
        )


def _normalise(text: str) -> str:
    """Casefold and strip accents: X keyword matching is case- and accent-insensitive (notes §1.3)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _tokens(text: str) -> list[str]:
    """Words, #hashtags, @mentions and $cashtags of a text, normalised."""
    return re.findall(r"[#@$]?\w+", _normalise(text))


_Predicate = Callable[[_Doc], bool]
_QUERY_TOKEN = re.compile(r'\s*(\(|\)|-(?=[^\s)])|"[^"]*"|[^\s()"]+)')


def query_matcher(query: str) -> QueryMatcher:
    """Compile the subset of X search syntax ideaboard uses into a predicate over stored posts.

    Supported: keywords, "exact phrases", implicit AND, OR (binds looser than AND), parentheses, `-` negation,
    #hashtag, @mention, from:user, lang:xx, is:retweet. Anything else raises ValueError, as X answers 400.
    Shared by offline mode (read_tweets_file) and the fake X server used in tests.
    """
    predicate = _QueryParser(_lex(query)).parse()
    return lambda post: predicate(_Doc.of(post))


def _lex(query: str) -> list[str]:
    """Split a query into parentheses, negation signs, phrases and words."""
    tokens, pos = [], 0
    while query[pos:].strip():
        match = _QUERY_TOKEN.match(query, pos)
        if not match:
            raise ValueError(f"unbalanced quote in query at position {pos}")
        tokens.append(match.group(1))
        pos = match.end()
    return tokens


class _QueryParser:
    """Recursive-descent parser: or := and ('OR' and)*; and := unary+; unary := '-'? atom; atom := (or) | term."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def parse(self) -> _Predicate:
        """Parse the whole query or raise ValueError."""
        predicate = self._or()
        if self.pos != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.pos]!r} in query")
        return predicate

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _or(self) -> _Predicate:
        options = [self._and()]
        while self._peek() == "OR":
            self.pos += 1
            options.append(self._and())
        return options[0] if len(options) == 1 else lambda doc: any(p(doc) for p in options)

    def _and(self) -> _Predicate:
        parts = []
        while self._peek() not in (None, ")", "OR"):
            parts.append(self._unary())
        if not parts:
            raise ValueError("empty clause in query")
        return parts[0] if len(parts) == 1 else lambda doc: all(p(doc) for p in parts)

    def _unary(self) -> _Predicate:
        if self._peek() != "-":
            return self._atom()
        self.pos += 1
        if self._peek() == "(":
            raise ValueError("negated groups are not supported; write -a -b instead of -(a OR b)")
        inner = self._atom()
        return lambda doc: not inner(doc)

    def _atom(self) -> _Predicate:
        token = self.tokens[self.pos]
        self.pos += 1
        if token != "(":
            return _term(token)
        inner = self._or()
        if self._peek() != ")":
            raise ValueError("missing ')' in query")
        self.pos += 1
        return inner


def _term(token: str) -> _Predicate:
    """Predicate for one phrase, keyword, #tag, @mention or operator."""
    if token.startswith('"'):
        return _sequence(_tokens(token.strip('"')))
    operator, _, value = token.partition(":")
    if value and operator in _OPERATORS:
        return _OPERATORS[operator](_normalise(value))
    if value:
        raise ValueError(f"unsupported operator {operator}:")
    if token[0] in "#@":
        tag = _normalise(token)
        return lambda doc: tag in doc.tokens or (tag[0] == "@" and doc.username == tag[1:])
    return _sequence(_tokens(token))


def _sequence(words: list[str]) -> _Predicate:
    """Match words appearing consecutively (a one-word sequence is a plain keyword)."""
    bare = [w.lstrip("#@$") for w in words]
    n = len(bare)
    return lambda doc: n > 0 and any(doc.words[i : i + n] == bare for i in range(len(doc.words) - n + 1))


def _is(value: str) -> _Predicate:
    """is:retweet is the only is: operator the fixtures can answer."""
    if value != "retweet":
        raise ValueError(f"unsupported operator is:{value}")
    return lambda doc: doc.is_retweet


_OPERATORS: dict[str, Callable[[str], _Predicate]] = {
    "lang": lambda value: lambda doc: doc.lang == value,
    "from": lambda value: lambda doc: doc.username == value.lstrip("@"),
    "is": _is,
}


def read_tweets_file(path: str | Path, query: str) -> list[Tweet]:
    """Offline stand-in for search_recent (setting X_TWEETS_FILE): the file's posts matching query, newest first.

    The file is JSON Lines, one post per line in the API's Tweet shape (either naming) plus the author, e.g.
    {"id": "2090440101745283075", "text": "Dark mode please #AcmeIdeas", "author_id": "1402938475610284032",
     "created_at": "2026-08-20T14:05:33.000Z", "lang": "en",
     "public_metrics": {"retweet_count": 3, "reply_count": 1, "like_count": 27, "quote_count": 0},
     "author_username": "dana_nightowl", "author_name": "Dana Night Owl"}
    Only id and text are required; blank lines are ignored. Matching uses query_matcher, like the fake server.
    """
    matches = query_matcher(query)
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    posts = [post for post in (json.loads(line) for line in lines if line.strip()) if matches(post)]
    posts.sort(key=lambda post: int(post["id"]), reverse=True)
    return [_tweet_from_api(post, {"username": post.get("author_username"), "name": post.get("author_name")})
            for post in posts]
