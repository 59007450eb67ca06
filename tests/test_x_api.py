"""XClient against the fake X API over real HTTP, plus query building and offline mode."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from ideaboard.x_api import (
    XApiError,
    XAuthError,
    XClient,
    XDuplicateContent,
    XInvalidRequest,
    XRateLimited,
    XServerError,
    build_search_query,
    query_matcher,
    read_tweets_file,
)

if TYPE_CHECKING:
    from fake_x_api import FakeXServer

pytest_plugins = ["fake_x_api"]  # the fake_x fixture

QUERY = '("dark mode" OR theme) (@acme OR #AcmeIdeas) lang:en -is:retweet'
SEARCH = "/2/tweets/search/recent"


@pytest.fixture
async def client(fake_x: FakeXServer) -> AsyncIterator[XClient]:
    async with XClient(fake_x.base_url, bearer_token=fake_x.bearer_token, user_token=fake_x.user_token,
                       backoff=0) as client:
        yield client


def add_matching(fake: FakeXServer, count: int) -> list[str]:
    """Add `count` posts the QUERY matches; ids returned oldest first."""
    return [fake.add_tweet(f"@acme dark mode please, take {i}", author_username=f"fan{i}") for i in range(count)]


async def raw_search(fake: FakeXServer, **params: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(fake.base_url + SEARCH, params={"query": "dark", **params},
                              headers={"Authorization": f"Bearer {fake.bearer_token}"})


# ------------------------------------------------------------------------------------------------ search


async def test_search_paginates_dedups_and_keeps_since_id(fake_x: FakeXServer, client: XClient) -> None:
    ids = add_matching(fake_x, 25)
    fake_x.add_tweet("dark mode in another app", author_username="other")  # no @acme / #AcmeIdeas
    fake_x.add_tweet("@acme dark mode", lang="de")
    fake_x.add_tweet("RT @acme dark mode", retweet_of=ids[0])
    fake_x.duplicate_across_pages = True

    page = await client.search_recent(QUERY, since_id=ids[2], max_results=10)

    assert [t.id for t in page.tweets] == ids[:2:-1]  # 22 newer than since_id, newest first, no duplicates
    assert page.newest_id == ids[-1] and page.next_token is None
    newest = page.tweets[0]
    assert (newest.author_username, newest.author_name, newest.lang) == ("fan24", "Fan24", "en")
    assert newest.url == f"https://x.com/fan24/status/{ids[-1]}"
    assert newest.created_at is not None and newest.created_at.tzinfo is not None
    sent = [r.params for r in fake_x.search_requests()]
    assert len(sent) == 3
    assert all(p["since_id"] == ids[2] and p["query"] == QUERY and p["max_results"] == "10" for p in sent)
    assert sent[0]["tweet.fields"] == "created_at,author_id,public_metrics,lang,conversation_id"
    assert (sent[0]["expansions"], sent[0]["user.fields"]) == ("author_id", "username,name")
    assert "next_token" not in sent[0] and sent[1]["next_token"] and sent[2]["next_token"] != sent[1]["next_token"]


async def test_search_without_new_posts_keeps_cursor(fake_x: FakeXServer, client: XClient) -> None:
    ids = add_matching(fake_x, 3)

    page = await client.search_recent(QUERY, since_id=ids[-1])

    assert page.tweets == [] and page.newest_id == ids[-1]
    assert (await raw_search(fake_x, since_id=ids[-1])).json() == {"meta": {"result_count": 0}}  # no `data`


async def test_max_pages_returns_token_to_resume(fake_x: FakeXServer, client: XClient) -> None:
    ids = add_matching(fake_x, 25)

    first = await client.search_recent(QUERY, max_results=10, max_pages=2)
    rest = await client.search_recent(QUERY, max_results=10, next_token=first.next_token)

    assert len(first.tweets) == 20 and first.newest_id == ids[-1] and first.next_token
    assert [t.id for t in first.tweets + rest.tweets] == ids[::-1] and rest.next_token is None


@pytest.mark.parametrize("naming", ["legacy", "core"])
async def test_both_namings_parse_the_same(fake_x: FakeXServer, client: XClient, naming: str) -> None:
    fake_x.naming = naming  # type: ignore[assignment]
    fake_x.add_tweet("@acme dark mode!", author_username="dana", author_name="Dana Night Owl", like_count=27,
                     retweet_count=3, reply_count=1, quote_count=2)

    [tweet] = (await client.search_recent(QUERY)).tweets
    raw = (await raw_search(fake_x, **{"tweet.fields": "public_metrics", "expansions": "author_id"})).json()

    assert (tweet.like_count, tweet.retweet_count, tweet.reply_count, tweet.quote_count) == (27, 3, 1, 2)
    assert (tweet.author_username, tweet.author_name) == ("dana", "Dana Night Owl")
    metric = "repost_count" if naming == "core" else "retweet_count"
    history = "edit_history_post_ids" if naming == "core" else "edit_history_tweet_ids"
    assert raw["data"][0]["public_metrics"][metric] == 3 and history in raw["data"][0]


async def test_core_includes_posts_for_referenced_tweets(fake_x: FakeXServer) -> None:
    fake_x.naming = "core"
    original = fake_x.add_tweet("dark mode original")
    fake_x.add_tweet("dark mode quote", retweet_of=original)

    body = (await raw_search(fake_x, **{"post.fields": "created_at", "expansions": "referenced_posts"})).json()

    assert [p["id"] for p in body["includes"]["posts"]] == [original] and "tweets" not in body["includes"]
    assert body["data"][0]["referenced_posts"] == [{"type": "retweeted", "id": original}]


# ------------------------------------------------------------------------------------------------ failures


async def test_rate_limit_raises_with_reset_and_tweets_so_far(fake_x: FakeXServer, client: XClient) -> None:
    ids = add_matching(fake_x, 25)
    fake_x.rate_limit_after(2, reset_in=600)
    started = time.monotonic()

    with pytest.raises(XRateLimited) as caught:
        await client.search_recent(QUERY, since_id=ids[0], max_results=10)

    error = caught.value
    assert time.monotonic() - started < 1  # no sleeping inside the client
    assert abs(error.reset_at - (datetime.now(UTC) + timedelta(seconds=600))) < timedelta(seconds=5)
    assert [t.id for t in error.tweets_so_far] == ids[:4:-1]  # the two pages fetched before the 429
    assert error.newest_id == ids[-1] and error.next_token and error.status == 429
    assert len(fake_x.search_requests()) == 3


async def test_rate_limit_on_first_page_keeps_since_id(fake_x: FakeXServer, client: XClient) -> None:
    fake_x.rate_limit_after(0)

    with pytest.raises(XRateLimited) as caught:
        await client.search_recent(QUERY, since_id="123")

    assert caught.value.tweets_so_far == [] and caught.value.newest_id == "123" and caught.value.next_token is None


async def test_rate_limit_reset_takes_exhausted_daily_window(fake_x: FakeXServer, client: XClient) -> None:
    fake_x.rate_limit_after(0, endpoint="post", window="x-app-limit-24hour", reset_in=86_400)

    with pytest.raises(XRateLimited) as caught:
        await client.create_post("Shipped: dark mode")

    assert caught.value.reset_at > datetime.now(UTC) + timedelta(hours=23)


async def test_server_errors_are_retried(fake_x: FakeXServer, client: XClient) -> None:
    add_matching(fake_x, 3)
    fake_x.fail_next(3, status=503)

    page = await client.search_recent(QUERY)

    assert len(page.tweets) == 3 and len(fake_x.search_requests()) == 4


async def test_server_errors_exhausted_keep_partial_results(fake_x: FakeXServer, client: XClient) -> None:
    ids = add_matching(fake_x, 25)
    fake_x.fail_next(4, status=500, after=1)

    with pytest.raises(XServerError) as caught:
        await client.search_recent(QUERY, max_results=10)

    error = caught.value
    assert error.status == 500 and "(500)" in error.message
    assert [t.id for t in error.tweets_so_far] == ids[:14:-1] and error.newest_id == ids[-1] and error.next_token
    assert len(fake_x.search_requests()) == 5  # first page + 1 try + 3 retries


async def test_network_errors_are_retried_then_server_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]  # closed on exit: connecting is refused
    async with XClient(f"http://127.0.0.1:{port}", bearer_token="t", user_token=None, backoff=0) as client:
        with pytest.raises(XServerError) as caught:
            await client.search_recent(QUERY)
    assert isinstance(caught.value.__cause__, httpx.ConnectError) and "Could not reach X" in caught.value.message


async def test_bad_bearer_token_has_console_message(fake_x: FakeXServer) -> None:
    async with XClient(fake_x.base_url, bearer_token="wrong", user_token=None, backoff=0) as client:
        with pytest.raises(XAuthError) as caught:
            await client.search_recent(QUERY)
    assert str(caught.value) == "X rejected the bearer token (401): check X_BEARER_TOKEN"
    assert caught.value.status == 401 and caught.value.problem_type == "about:blank"


async def test_missing_token_fails_without_calling_x(fake_x: FakeXServer) -> None:
    async with XClient(fake_x.base_url, bearer_token=None, user_token=None) as client:
        with pytest.raises(XAuthError, match="X_USER_TOKEN is not set"):
            await client.create_post("hello")
    assert fake_x.requests == []


async def test_invalid_request_surfaces_the_problem(fake_x: FakeXServer, client: XClient) -> None:
    with pytest.raises(XInvalidRequest) as caught:
        await client.search_recent(QUERY, max_results=5)
    assert "The `max_results` query parameter value [5] is not between 10 and 100" in caught.value.message
    assert caught.value.status == 400 and caught.value.problem_type.endswith("/problems/invalid-request")


# ------------------------------------------------------------------------------------------------ posting


async def test_create_post_returns_created_post(fake_x: FakeXServer, client: XClient) -> None:
    posted = await client.create_post("Shipped: dark mode 🌙 https://ideas.acme.example/i/1")

    assert posted.text == "Shipped: dark mode 🌙 https://ideas.acme.example/i/1"
    assert posted.id.isdigit() and posted.url == f"https://x.com/i/status/{posted.id}"
    [request] = fake_x.requests
    assert request.json == {"text": posted.text}
    assert request.headers["authorization"] == f"Bearer {fake_x.user_token}"


async def test_duplicate_post_is_reported(client: XClient) -> None:
    await client.create_post("Shipped: dark mode")
    with pytest.raises(XDuplicateContent) as caught:
        await client.create_post("Shipped: dark mode")
    assert caught.value.status == 403 and "duplicate content" in caught.value.message


async def test_too_long_post_is_invalid(client: XClient) -> None:
    with pytest.raises(XInvalidRequest, match="Your Tweet text is too long"):
        await client.create_post("x" * 281)


async def test_posting_with_app_token_is_an_auth_error(fake_x: FakeXServer) -> None:
    async with XClient(fake_x.base_url, bearer_token=None, user_token=fake_x.bearer_token) as client:
        with pytest.raises(XAuthError) as caught:
            await client.create_post("hello")
    assert "Unsupported Authentication" in caught.value.message and "X_USER_TOKEN" in caught.value.message
    assert caught.value.problem_type == "https://api.twitter.com/2/problems/unsupported-authentication"


async def test_other_statuses_are_generic_errors(fake_x: FakeXServer, client: XClient) -> None:
    fake_x.fail_next(1, status=402)
    with pytest.raises(XApiError) as caught:
        await client.create_post("hello")
    assert type(caught.value) is XApiError and caught.value.status == 402


# ------------------------------------------------------------------------------------------------ the fake's contract


async def test_fake_rejects_invalid_parameters_with_documented_problem(fake_x: FakeXServer) -> None:
    response = await raw_search(fake_x, max_results="5")

    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "errors": [{"parameters": {"max_results": ["5"]},
                    "message": "The `max_results` query parameter value [5] is not between 10 and 100"}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"foo": "1"}, "The query parameter [foo] is not one of [query,"),
        ({"since_id": "12a"}, "The `since_id` query parameter value [12a] does not match ^[0-9]{1,19}$"),
        ({"tweet.fields": "lang,colour"}, "The `tweet.fields` query parameter value [colour] is not one of ["),
        ({"post.fields": "author_id"}, "The `post.fields` query parameter value [author_id] is not one of ["),
        ({"start_time": "2026-01-01"}, "The `start_time` query parameter value [2026-01-01] is invalid"),
        ({"start_time": "2026-01-01T00:00:00Z", "since_id": "1"}, "At most one of `start_time`, `since_id`"),
        ({"next_token": "forged"}, "The `next_token` query parameter value [forged] is not a valid"),
        ({"query": "x" * 513}, "at most 512 are allowed"),
        ({"query": "has:media"}, "There were errors processing your request: unsupported operator has:"),
    ],
)
async def test_fake_validates_search_parameters(fake_x: FakeXServer, params: dict[str, str], message: str) -> None:
    response = await raw_search(fake_x, **params)

    assert response.status_code == 400
    assert any(e["message"].startswith(message) or message in e["message"] for e in response.json()["errors"])


async def test_fake_accepts_either_fields_spelling(fake_x: FakeXServer) -> None:
    fake_x.add_tweet("dark mode", lang="en")
    for spelling in ("tweet.fields", "post.fields"):
        response = await raw_search(fake_x, **{spelling: "lang,created_at"})
        assert response.status_code == 200 and set(response.json()["data"][0]) == {
            "id", "text", "edit_history_tweet_ids", "lang", "created_at"}
        assert int(response.headers["x-rate-limit-remaining"]) < int(response.headers["x-rate-limit-limit"])


async def test_fake_requires_a_known_token(fake_x: FakeXServer) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(fake_x.base_url + SEARCH, params={"query": "x"})
    assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"
    assert response.json() == {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}


async def test_fake_validates_post_body_against_schema(fake_x: FakeXServer) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(fake_x.base_url + "/2/tweets", json={"text": "hi", "colour": "red"},
                                   headers={"Authorization": f"Bearer {fake_x.user_token}"})
    assert response.status_code == 400 and "'colour' was unexpected" in response.json()["errors"][0]["message"]
    assert "x-app-limit-24hour-remaining" in response.headers and fake_x.posts == []


# ------------------------------------------------------------------------------------------------ query building


def test_build_search_query_groups_quotes_and_filters() -> None:
    query = build_search_query(["dark mode", "theme", "Dark  Mode"], handles=["acme", "#AcmeIdeas"])
    assert query == QUERY


def test_build_search_query_adds_keywords_and_sanitises() -> None:
    query = build_search_query(['"night"', "-OR", "(x)", "re:mote"], handles=["@acme"], keywords=["Acme App"],
                               lang=None)
    assert query == '(night OR "OR" OR x OR "re:mote") (@acme OR "Acme App") -is:retweet'
    assert query_matcher(query)({"text": "Works at night in the Acme app"})


def test_build_search_query_drops_terms_beyond_max_length() -> None:
    terms = [f"term{i:03d}" for i in range(200)]
    query = build_search_query(terms, handles=["@acme"], max_length=100)
    assert len(query) <= 100 and "term000 OR term001" in query and "term199" not in query
    assert query.endswith(") @acme lang:en -is:retweet")


def test_build_search_query_needs_a_usable_term() -> None:
    with pytest.raises(ValueError, match="no usable search terms"):
        build_search_query(['""', "  ", "()"])
    with pytest.raises(ValueError):
        build_search_query(["x" * 600])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'd love DARK MODE for @acme", True),  # case-insensitive phrase + mention
        ("Dárk-mode #acmeideas", True),  # accents, punctuation, hashtag
        ("dark and mode for @acme", False),  # phrase words must be adjacent
        ("a new theme @acmes", False),  # @acmes is not @acme
    ],
)
def test_query_matcher(text: str, expected: bool) -> None:
    assert query_matcher(QUERY)({"text": text, "lang": "en"}) is expected


def test_query_matcher_precedence_and_operators() -> None:
    matches = query_matcher("apple OR iphone ipad -from:bot")
    assert matches({"text": "apple", "author_username": "bot"})  # apple OR (iphone ipad -from:bot)
    assert not matches({"text": "iphone ipad", "author_username": "Bot"})
    assert not query_matcher("dark -is:retweet")({"text": "dark", "referenced_posts": [{"type": "retweeted"}]})
    with pytest.raises(ValueError, match="negated groups"):
        query_matcher("-(a OR b)")
    with pytest.raises(ValueError):
        query_matcher('"unterminated')


# ------------------------------------------------------------------------------------------------ offline mode


def test_read_tweets_file_filters_and_parses_both_namings(tmp_path: Path) -> None:
    lines = [
        {"id": "100", "text": "@acme dark mode please", "author_id": "1", "created_at": "2026-08-20T14:05:33.000Z",
         "lang": "en", "public_metrics": {"retweet_count": 3, "like_count": 27},
         "author_username": "dana", "author_name": "Dana"},
        {"id": "300", "text": "#AcmeIdeas new theme", "author_id": "2", "lang": "en",
         "public_metrics": {"repost_count": 5}},
        {"id": "200", "text": "@acme offline sync", "author_id": "1", "lang": "en"},
    ]
    path = tmp_path / "tweets.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n", encoding="utf-8")

    tweets = read_tweets_file(path, QUERY)

    assert [(t.id, t.retweet_count) for t in tweets] == [("300", 5), ("100", 3)]
    assert tweets[1].author_username == "dana" and tweets[1].url == "https://x.com/dana/status/100"
    assert tweets[1].created_at == datetime(2026, 8, 20, 14, 5, 33, tzinfo=UTC)
    assert tweets[0].url == "https://x.com/i/status/300" and tweets[0].created_at is None


async def test_stream_rules_are_made_exactly_the_wanted_set_leaving_unchanged_ones_alone(client, fake_x):
    from ideaboard.x_api import StreamRule

    await client.set_stream_rules([StreamRule("@brewline lang:en", "brand"), StreamRule("(dark mode) lang:en", "t-1")])
    kept = {r.value: r.id for r in await client.stream_rules()}
    rules = await client.set_stream_rules([StreamRule("@brewline lang:en", "brand"), StreamRule("oat lang:en", "t-1")])
    assert {(r.value, r.tag) for r in rules} == {("@brewline lang:en", "brand"), ("oat lang:en", "t-1")}
    assert {r.value: r.id for r in rules}["@brewline lang:en"] == kept["@brewline lang:en"]  # not re-created
    posted = [r.json for r in fake_x.requests if r.method == "POST"]
    assert posted[-2:] == [{"delete": {"ids": [kept["(dark mode) lang:en"]]}}, {"add": [{"value": "oat lang:en",
                                                                                        "tag": "t-1"}]}]


async def test_a_rule_x_rejects_is_a_clear_error(client, fake_x):
    from ideaboard.x_api import StreamRule

    fake_x.max_query_length = 20
    with pytest.raises(XInvalidRequest, match="RuleLengthExceeded"):
        await client.set_stream_rules([StreamRule("(a OR b OR c OR d OR e) lang:en", "brand")])


async def test_mentions_are_paged_from_since_id(client, fake_x):
    first = fake_x.add_tweet("@brewline hello", author_username="dana")
    fake_x.add_tweet("no mention here", author_username="omar")
    newer = [fake_x.add_tweet(f"hey @Brewline, idea {n}", author_username=f"fan{n}") for n in range(7)]
    page = await client.mentions(fake_x.brand_user["id"], since_id=first, max_results=5)
    assert sorted(t.id for t in page.tweets) == sorted(newer) and page.newest_id == newer[-1]
    [_, second] = [r for r in fake_x.requests if r.path.endswith("/mentions")]
    assert second.params["pagination_token"] and second.params["since_id"] == first


async def test_the_fake_checks_stream_parameters_against_the_contract(fake_x):
    async with httpx.AsyncClient() as http:
        response = await http.get(fake_x.base_url + "/2/tweets/search/stream", params={"backfill_minutes": "9"},
                                  headers={"Authorization": f"Bearer {fake_x.bearer_token}"})
    assert response.status_code == 400 and "backfill_minutes" in response.text
