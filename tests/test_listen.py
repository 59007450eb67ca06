"""Brewline listens on X at the brand level: one rule set (brand words plus the open ideas' topics), streamed when the
plan has the filtered stream and polled when it does not, plus the brand's mentions, each post stored once, within
the monthly read budget."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis

from ideaboard import listening, social
from ideaboard.models import Conversation, IdeaTweet, ListenCursor, Tweet
from ideaboard.settings import Settings
from workers import cli
from workers.listen import (
    LOCK_KEY,
    UNAVAILABLE_KEY,
    Backoff,
    StreamOptions,
    listen,
    listen_stream,
    poll_x,
)
from workers.social import X_QUEUE

pytest_plugins = ["fake_x_api"]  # the fake_x fixture: a fake X API over real HTTP

QUICK = StreamOptions(session_seconds=4.0, lock_ttl=2.0, renew_every=0.2, read_timeout=1.0, backoff_scale=0.01)


@pytest.fixture
def x_settings(settings, fake_x):
    """Brewline's settings: its handle and brand words, its account for mentions, the fake X server."""
    return replace(settings, x_api_base_url=fake_x.base_url, x_bearer_token=fake_x.bearer_token,
                   x_brand_handles=("@brewline",), x_brand_keywords=("brew line",),
                   x_brand_user_id=fake_x.brand_user["id"])


@pytest.fixture
async def ctx(x_settings):
    redis = Redis.from_url(x_settings.redis_url)
    with ThreadPoolExecutor(1) as pool:
        yield {"settings": x_settings, "pool": pool, "redis": redis, "stream_options": QUICK}
    await redis.aclose()


@pytest.fixture
async def dark_mode(app, alice, make_idea):
    return await make_idea(alice, "Dark mode for the mobile app", "Ordering at night with a bright white screen hurts.")


async def wait_for(check, timeout: float = 5.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)
    return result


def test_the_rules_are_the_brand_then_the_open_ideas_topics_within_the_plans_limits():
    settings = Settings(x_brand_handles=("@brewline", "#brewlineideas"), x_brand_keywords=("brew line",),
                        x_max_rules=3, x_rule_max_length=120)
    titles = [f"Idea number {n}: {word} please" for n, word in enumerate(
        ["rebooking", "playlists", "subtitles", "refunds", "lids", "straws", "receipts", "loyalty", "wifi", "queues",
         "allergens", "decaf", "espresso", "matcha", "pastries"])]
    rules = listening.build_rules(settings, ["Dark mode for the mobile app", *titles])
    assert [r.tag for r in rules] == ["brand", "topics-1", "topics-2"]  # never more than the plan's rule count
    assert rules[0].value == '(@brewline OR #brewlineideas OR "brew line") lang:en -is:retweet'
    assert "(dark mode)" in rules[1].value  # an idea's subject words, both anywhere in the post
    assert all(len(r.value) <= 120 for r in rules)


async def test_polling_reads_every_rule_and_the_mentions_stores_each_post_once_and_links_it(ctx, fake_x, dark_mode):
    dana = fake_x.add_tweet("@brewline dark mode in the mobile app please, ordering at night is blinding",
                            author_username="dana_nightowl")
    fake_x.add_tweet("Brew line queue was long today", author_username="commuter")
    fake_x.add_tweet("Ordering pizza tonight, nothing to do with coffee", author_username="noise")
    read = await poll_x(ctx)
    assert await Tweet.all().count() == 2  # the pizza matches no rule; dana is stored once ...
    assert read == 4  # ... though read three times (the brand rule, the dark-mode topic, the mentions)
    assert await IdeaTweet.filter(idea_id=dark_mode.id).values_list("tweet_id", flat=True) == [dana]
    assert await Conversation.filter(x_conversation_id=dana).exists()  # filed at the desk
    assert {r.params["query"] for r in fake_x.search_requests()} == {
        r.value for r in await listening.current_rules(ctx["settings"])}
    assert await listening.reads_this_month() == 4

    later = fake_x.add_tweet("@brewline the mobile app needs dark mode", author_username="late")
    await poll_x(ctx)
    searches, mentions = fake_x.search_requests(), fake_x.mentions_requests()
    assert all("since_id" in r.params for r in searches[-2:]) and mentions[-1].params["since_id"] == dana
    assert (await ListenCursor.get(key=listening.mentions_key(fake_x.brand_user["id"]))).since_id == later


async def test_a_post_about_two_ideas_is_stored_once_and_linked_to_both(ctx, fake_x, alice, make_idea, dark_mode):
    oat = await make_idea(alice, "Oat milk at no extra charge", "Plant milk should not cost more.")
    both = fake_x.add_tweet("@brewline two asks: dark mode for the mobile app, and oat milk at no extra charge")
    await poll_x(ctx)
    await poll_x(ctx)  # idempotent: a second poll adds nothing
    assert await Tweet.filter(id=both).count() == 1
    assert set(await IdeaTweet.filter(tweet_id=both).values_list("idea_id", flat=True)) == {dark_mode.id, oat.id}


async def test_ideaboard_link_decides_exactly_what_the_worker_linked(ctx, fake_x, alice, make_idea, dark_mode, tmp_path,
                                                                    capsys, monkeypatch):
    await make_idea(alice, "Oat milk at no extra charge", "Plant milk should not cost more.")
    for text in ["@brewline dark mode in the mobile app please", "@brewline why is oat milk extra? charge me less",
                 "@brewline the mobile app is fine", "@brewline plant milk costs extra again, oat milk should be free"]:
        fake_x.add_tweet(text)
    await poll_x(ctx)
    ideas, posts = tmp_path / "ideas.jsonl", tmp_path / "posts.jsonl"
    ideas.write_text("".join(json.dumps({"id": i, "title": t, "body": b}) + "\n"
                             for i, t, b in await social.open_ideas_for_linking()))
    posts.write_text("".join(json.dumps({"id": t.id, "text": t.text, "author": t.author_username}) + "\n"
                             for t in await Tweet.all()))
    monkeypatch.setenv("X_BRAND_HANDLES", "@brewline")
    monkeypatch.setenv("X_BRAND_KEYWORDS", "brew line")
    assert cli.main(["link", str(ideas), str(posts), "-k", "5"]) == 0
    said = {(i["idea"], row["post"]) for row in map(json.loads, capsys.readouterr().out.splitlines())
            for i in row["ideas"] if i["linked"]}
    linked = set(await IdeaTweet.all().values_list("idea_id", "tweet_id"))
    assert said == linked and len(linked) >= 3


async def test_a_429_is_waited_out_until_xs_reset(ctx, fake_x, dark_mode):
    fake_x.add_tweet("@brewline dark mode please", author_username="dana")
    fake_x.rate_limit_after(0, reset_in=2)
    assert await poll_x(ctx) == 1  # search is limited; mentions (their own window) still read
    cursor = await ListenCursor.get(key=listening.rule_key("brand"))
    assert "rate limit" in cursor.last_error and cursor.since_id is None
    asked = len(fake_x.search_requests())
    await poll_x(ctx)
    assert len(fake_x.search_requests()) == asked  # before the reset X is not asked again
    await asyncio.sleep(3.2)
    await poll_x(ctx)
    assert len(fake_x.search_requests()) > asked
    cursor = await ListenCursor.get(key=listening.rule_key("brand"))
    assert cursor.last_error == "" and cursor.since_id is not None


async def test_the_monthly_budget_stops_reads(ctx, fake_x, dark_mode):
    ctx["settings"] = replace(ctx["settings"], x_monthly_read_budget=12, x_brand_user_id="")
    for n in range(30):
        fake_x.add_tweet(f"@brewline dark mode please ({n})", author_username=f"fan{n}")
    await poll_x(ctx)
    assert await listening.reads_this_month() <= 12
    asked = len(fake_x.requests)
    await poll_x(ctx)
    assert len(fake_x.requests) == asked  # used up: X is not asked at all
    usage = await listening.usage(ctx["settings"])
    assert usage.exhausted and any("budget" in c.last_error for c in usage.cursors)


async def test_the_stream_syncs_the_rules_and_reconnects_after_x_drops_it(ctx, fake_x, dark_mode):
    fake_x.heartbeat_seconds = 0.1
    fake_x.drop_stream_after(1)  # the first connection ends after one post
    streaming = asyncio.create_task(listen_stream(ctx))
    await wait_for(lambda: fake_x.stream_connections == 1, what="the stream to connect")
    assert sorted(fake_x.rule_values()) == sorted(r.value for r in await listening.current_rules(ctx["settings"]))
    first = fake_x.add_tweet("@brewline dark mode for the mobile app, please", author_username="dana")
    await wait_for(lambda: fake_x.stream_connects == 2 and fake_x.stream_connections == 1, what="a reconnect")
    second = fake_x.add_tweet("Brew line: my eyes at night, dark mode in the mobile app", author_username="sam")
    for tweet_id in (first, second):
        for _ in range(100):
            if await Tweet.exists(id=tweet_id):
                break
            await asyncio.sleep(0.05)
    assert await streaming == "session over"
    assert set(await IdeaTweet.filter(idea_id=dark_mode.id).values_list("tweet_id", flat=True)) == {first, second}
    assert (await ListenCursor.get(key=listening.rule_key("brand"))).since_id == second  # polling resumes after it
    assert await listening.reads_this_month() == 2
    assert not await ctx["redis"].exists(LOCK_KEY)  # released for the next session


async def test_exactly_one_process_streams(app, ctx, fake_x, x_settings):
    fake_x.heartbeat_seconds = 0.1
    other = {**ctx, "redis": Redis.from_url(x_settings.redis_url)}
    try:
        first = asyncio.create_task(listen_stream(ctx))
        await wait_for(lambda: fake_x.stream_connections == 1, what="the stream to connect")
        assert await listen_stream(other) == "another process is streaming"
        assert 0 < await ctx["redis"].pttl(LOCK_KEY) <= 2000  # a TTL, renewed while connected
        assert await first == "session over"
    finally:
        await other["redis"].aclose()
    assert fake_x.most_stream_connections == 1


async def test_without_the_stream_on_the_plan_the_worker_polls(app, ctx, fake_x, x_settings):
    fake_x.stream_available = False
    assert await listen_stream(ctx) == "unavailable"
    assert await ctx["redis"].exists(UNAVAILABLE_KEY)
    assert "not available" in (await ListenCursor.get(key=listening.STREAM_KEY)).last_error
    arq = await create_pool(RedisSettings.from_dsn(x_settings.redis_url))
    try:
        assert await listen({**ctx, "redis": arq}) == 1  # only the poll is queued, in X's own queue
        [job] = await arq.queued_jobs(queue_name=X_QUEUE)
        assert job.function == "poll_x"
    finally:
        await arq.aclose()


async def test_a_stalled_stream_and_x_errors_reconnect_with_xs_backoff(app, ctx, fake_x):
    fake_x.heartbeat_seconds = 30  # no keep-alive within the read timeout: the connection is taken as dead
    fake_x.fail_next(1, status=503)
    ctx["stream_options"] = replace(QUICK, session_seconds=3.0, read_timeout=0.5)
    assert await listen_stream(ctx) == "session over"
    assert fake_x.stream_connects >= 2  # after the 503 and after each stall


def test_the_backoff_follows_xs_schedule():
    backoff = Backoff()
    assert [backoff.after_network_error() for _ in range(3)] == [0.25, 0.5, 0.75]
    assert [backoff.after_http_error() for _ in range(8)] == [5, 10, 20, 40, 80, 160, 320, 320]
    assert [backoff.after_rate_limit(None) for _ in range(2)] == [60, 120]
    backoff.connected()
    assert backoff.after_network_error() == 0.25 and backoff.after_drop() == 0


async def test_a_429_mid_poll_keeps_the_pages_fetched_and_the_cursor_where_it_was(ctx, fake_x, dark_mode):
    ctx["settings"] = replace(ctx["settings"], x_brand_user_id="")
    for n in range(130):  # two pages of 100 on the brand rule
        fake_x.add_tweet(f"@brewline dark mode in the mobile app please ({n})", author_username=f"fan{n}")
    fake_x.rate_limit_after(1, reset_in=120)  # page 1 passes, page 2 gets 429
    await poll_x(ctx)
    assert await Tweet.all().count() == 100  # the first page is kept, filed and linked
    assert await IdeaTweet.filter(idea_id=dark_mode.id).count() == 100
    cursor = await ListenCursor.get(key=listening.rule_key("brand"))
    assert cursor.since_id is None and "rate limit" in cursor.last_error  # the next poll fetches what was missed


async def test_a_burst_longer_than_one_polls_pages_is_read_to_the_end_by_the_next_polls(ctx, fake_x, dark_mode):
    ctx["settings"] = replace(ctx["settings"], x_brand_user_id="")
    burst = [fake_x.add_tweet(f"@brewline the queue was long again today ({n})", author_username=f"fan{n}")
             for n in range(620)]  # seven pages of 100 on the brand rule; one poll reads five
    await poll_x(ctx)
    assert await Tweet.all().count() == 500
    cursor = await ListenCursor.get(key=listening.rule_key("brand"))
    assert cursor.since_id is None and cursor.next_token  # the walk back is unfinished: nothing is skipped

    late = fake_x.add_tweet("@brewline still waiting for my order", author_username="late")
    await poll_x(ctx)
    assert set(await Tweet.all().values_list("id", flat=True)) == set(burst)  # the rest of the burst, each once
    cursor = await ListenCursor.get(key=listening.rule_key("brand"))
    assert cursor.since_id == burst[-1] and cursor.next_token is None  # the walk is done: newer posts come next

    await poll_x(ctx)
    assert await Tweet.filter(id=late).exists() and await Tweet.all().count() == 621


@pytest.mark.parametrize("how", ["truncated", "wrong-shape", "html"])
async def test_a_malformed_reply_is_recorded_and_the_next_tick_catches_up(ctx, fake_x, dark_mode, how):
    ctx["settings"] = replace(ctx["settings"], x_brand_user_id="")
    dana = fake_x.add_tweet("@brewline dark mode please", author_username="dana")
    fake_x.reply_badly_next(1, how=how)
    await poll_x(ctx)
    cursor = await ListenCursor.get(key=listening.rule_key("brand"))
    assert "unexpected" in cursor.last_error or "unreadable" in cursor.last_error
    assert cursor.since_id is None and cursor.last_run_at is not None
    await poll_x(ctx)
    cursor = await ListenCursor.get(key=listening.rule_key("brand"))
    assert cursor.last_error == "" and cursor.since_id == dana


async def test_a_hanging_x_is_given_up_on_at_the_deadline_for_the_whole_poll(ctx, fake_x, dark_mode):
    ctx["settings"] = replace(ctx["settings"], x_deadline_seconds=1)
    fake_x.hang(30)
    started = time.monotonic()
    try:
        await poll_x(ctx)
    finally:
        fake_x.hang(0)
    assert time.monotonic() - started < 5  # one deadline for every source, not one each
    errors = set(await ListenCursor.all().values_list("last_error", flat=True))
    assert errors == {"X did not answer within 1 s"}


async def test_a_rejected_token_is_shown_on_every_source(ctx, fake_x, dark_mode):
    ctx["settings"] = replace(ctx["settings"], x_bearer_token="revoked-token")
    await poll_x(ctx)
    cursors = await ListenCursor.all()
    assert cursors and all("401" in c.last_error and "X_BEARER_TOKEN" in c.last_error for c in cursors)


async def test_without_credentials_posts_come_from_the_file_on_the_same_rules(ctx, fake_x, dark_mode, tmp_path):
    path = tmp_path / "tweets.jsonl"
    posts = [{"id": "1900000000000000002", "text": "dark mode in the mobile app please, at night it hurts",
              "author_username": "dana", "created_at": "2026-10-01T08:00:00.000Z", "lang": "en",
              "public_metrics": {"like_count": 5, "retweet_count": 1, "reply_count": 0, "quote_count": 0}},
             {"id": "1900000000000000001", "text": "unrelated: lovely weather", "lang": "en"}]
    path.write_text("\n".join(json.dumps(p) for p in posts))
    ctx["settings"] = replace(ctx["settings"], x_bearer_token="", x_tweets_file=str(path))
    assert await poll_x(ctx) == 1
    assert await IdeaTweet.filter(idea_id=dark_mode.id, tweet_id="1900000000000000002").exists()
    assert fake_x.requests == []
    assert await poll_x(ctx) == 0  # since_id applies to the file too


async def test_without_credentials_or_file_nothing_listens(ctx, fake_x, dark_mode):
    ctx["settings"] = replace(ctx["settings"], x_bearer_token="")
    assert await poll_x(ctx) == 0 and await listen_stream(ctx) == "off" and await listen(ctx) == 0
    assert fake_x.requests == [] and not await ListenCursor.exists()


async def test_the_cron_queues_the_stream_and_a_poll_in_xs_own_queue_once_a_minute(app, ctx, x_settings):
    arq = await create_pool(RedisSettings.from_dsn(x_settings.redis_url))
    try:
        minute = datetime.now(UTC).minute
        ticks = [await listen({**ctx, "redis": arq}), await listen({**ctx, "redis": arq})]
        if datetime.now(UTC).minute == minute:  # (a tick on each side of a minute would rightly queue twice)
            assert ticks == [2, 0]  # a second process's tick in the same minute adds nothing
        assert {j.function for j in await arq.queued_jobs(queue_name=X_QUEUE)} == {"listen_stream", "poll_x"}
    finally:
        await arq.aclose()
