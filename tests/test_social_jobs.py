"""The worker listens on X: related tweets per idea, fetched incrementally, stored once, deferred on rate limits."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from arq import Retry, create_pool
from arq.connections import RedisSettings
from arq.worker import Worker, func

from ideaboard.models import Idea, IdeaTweet, Space, Status, Tweet, TweetSearch
from workers.social import X_QUEUE, fetch_related_tweets, key_terms, refresh_all_tweets

pytest_plugins = ["fake_x_api"]  # the fake_x fixture: a fake X API over real HTTP


@pytest.fixture
def x_settings(settings, fake_x):
    """The app's settings pointed at the fake X server, with a valid app-only bearer token."""
    return replace(settings, x_api_base_url=fake_x.base_url, x_bearer_token=fake_x.bearer_token)


@pytest.fixture
def ctx(x_settings):
    pool = ThreadPoolExecutor(1)
    yield {"settings": x_settings, "pool": pool}
    pool.shutdown()


@pytest.fixture
async def dark_mode(app, alice, make_idea):
    return await make_idea(alice, "Dark mode for the mobile app", "Ordering at night with a bright white screen hurts.")


def add_dark_mode_tweets(fake_x, count: int = 2) -> list[str]:
    texts = ["Please give us dark mode in the mobile app, ordering at night is blinding",
             "The mobile app really needs a dark mode, the white screen at night hurts"]
    return [fake_x.add_tweet(texts[n % 2] + f" ({n})", author_username=f"fan{n}", like_count=n) for n in range(count)]


def test_search_terms_prefer_phrases_from_the_title():
    assert key_terms("Dark mode for the mobile app", "Night ordering hurts.")[:2] == ["dark mode", "mobile app"]


async def test_fetch_stores_and_links_relevant_tweets_once(ctx, fake_x, dark_mode):
    ids = add_dark_mode_tweets(fake_x)
    fake_x.add_tweet("Ordering pizza tonight, nothing to do with coffee", author_username="noise")
    assert await fetch_related_tweets(ctx, dark_mode.id) == 2
    assert set(await IdeaTweet.filter(idea_id=dark_mode.id).values_list("tweet_id", flat=True)) == set(ids)
    assert await Tweet.all().count() == 3  # the noise is stored (it was fetched) but not linked
    query = fake_x.search_requests()[0].params["query"]
    assert '"dark mode"' in query and "lang:en" in query and "-is:retweet" in query

    assert await fetch_related_tweets(ctx, dark_mode.id) == 0  # idempotent: a re-run adds nothing
    assert await IdeaTweet.filter(idea_id=dark_mode.id).count() == 2


async def test_each_run_only_asks_for_tweets_newer_than_the_last(ctx, fake_x, dark_mode):
    first = add_dark_mode_tweets(fake_x)
    await fetch_related_tweets(ctx, dark_mode.id)
    newer = fake_x.add_tweet("Dark mode in the mobile app would save my eyes at night", author_username="late")
    assert await fetch_related_tweets(ctx, dark_mode.id) == 1
    searches = fake_x.search_requests()
    assert "since_id" not in searches[0].params
    assert searches[1].params["since_id"] == max(first, key=int)
    assert (await TweetSearch.get(idea_id=dark_mode.id)).since_id == newer


async def test_a_tweet_about_two_ideas_is_stored_once_and_linked_to_both(ctx, fake_x, alice, make_idea, dark_mode):
    other = await make_idea(alice, "Dark mode please, the app is blinding", "My eyes at 6am in the mobile app.")
    [tweet_id, _] = add_dark_mode_tweets(fake_x)
    await fetch_related_tweets(ctx, dark_mode.id)
    await fetch_related_tweets(ctx, other.id)
    assert await Tweet.filter(id=tweet_id).count() == 1
    assert await IdeaTweet.filter(tweet_id=tweet_id).count() == 2


async def test_rate_limit_keeps_fetched_tweets_and_defers_until_reset(ctx, fake_x, dark_mode):
    add_dark_mode_tweets(fake_x, 130)  # two pages of 100
    fake_x.rate_limit_after(1, reset_in=120)  # page 1 passes, page 2 gets 429
    with pytest.raises(Retry) as retry:
        await fetch_related_tweets(ctx, dark_mode.id)
    assert 115_000 <= retry.value.defer_score <= 125_000  # milliseconds until X's reset, not a busy loop
    assert await Tweet.all().count() == 100  # the first page is kept
    assert await IdeaTweet.filter(idea_id=dark_mode.id).count() == 100
    search = await TweetSearch.get(idea_id=dark_mode.id)
    assert search.since_id is None  # not advanced past the page we never got: the retry fetches it
    assert "rate limit" in search.last_error


@pytest.mark.parametrize("how", ["truncated", "wrong-shape", "html"])
async def test_a_malformed_reply_is_recorded_and_retried_later(ctx, fake_x, dark_mode, how):
    """A truncated body or `{"data": "oops"}`: the console says so, the job comes back, and the next run catches up."""
    ids = add_dark_mode_tweets(fake_x)
    fake_x.reply_badly_next(1, how=how)
    with pytest.raises(Retry) as retry:
        await fetch_related_tweets(ctx, dark_mode.id)
    assert retry.value.defer_score >= 30_000  # later, not in a tight loop
    search = await TweetSearch.get(idea_id=dark_mode.id)
    assert "unexpected" in search.last_error or "unreadable" in search.last_error
    assert search.since_id is None and search.last_run_at is not None  # the console shows when it last tried
    assert await fetch_related_tweets(ctx, dark_mode.id) == 2  # the retry gets everything
    search = await TweetSearch.get(idea_id=dark_mode.id)
    assert search.last_error == "" and search.since_id == max(ids, key=int)


async def test_a_hanging_x_api_is_given_up_on_at_the_deadline_recorded_and_retried(ctx, fake_x, dark_mode):
    ctx["settings"] = replace(ctx["settings"], x_deadline_seconds=1)
    fake_x.hang(30)
    started = time.monotonic()
    try:
        with pytest.raises(Retry):
            await fetch_related_tweets(ctx, dark_mode.id)
    finally:
        fake_x.hang(0)
    assert time.monotonic() - started < 10  # not 4 attempts x 10 s
    assert (await TweetSearch.get(idea_id=dark_mode.id)).last_error == "X did not answer within 1 s"


async def test_a_rejected_token_is_recorded_without_retrying(ctx, fake_x, dark_mode):
    ctx["settings"] = replace(ctx["settings"], x_bearer_token="revoked-token")
    add_dark_mode_tweets(fake_x)
    assert await fetch_related_tweets(ctx, dark_mode.id) == 0
    search = await TweetSearch.get(idea_id=dark_mode.id)
    assert "401" in search.last_error and "X_BEARER_TOKEN" in search.last_error
    assert len(fake_x.search_requests()) == 1


async def test_without_credentials_tweets_come_from_the_file(ctx, fake_x, dark_mode, tmp_path):
    path = tmp_path / "tweets.jsonl"
    posts = [{"id": "1900000000000000002", "text": "dark mode in the mobile app please, at night it hurts",
              "author_username": "dana", "created_at": "2026-10-01T08:00:00.000Z", "lang": "en",
              "public_metrics": {"like_count": 5, "retweet_count": 1, "reply_count": 0, "quote_count": 0}},
             {"id": "1900000000000000001", "text": "unrelated: lovely weather", "lang": "en"}]
    path.write_text("\n".join(json.dumps(p) for p in posts))
    ctx["settings"] = replace(ctx["settings"], x_bearer_token="", x_tweets_file=str(path))
    assert await fetch_related_tweets(ctx, dark_mode.id) == 1
    tweet = await Tweet.get(id="1900000000000000002")
    assert (tweet.author_username, tweet.like_count) == ("dana", 5)
    assert fake_x.search_requests() == []
    assert await fetch_related_tweets(ctx, dark_mode.id) == 0  # since_id applies to the file too


async def test_without_credentials_or_file_the_feature_is_off(ctx, fake_x, dark_mode):
    ctx["settings"] = replace(ctx["settings"], x_bearer_token="")
    add_dark_mode_tweets(fake_x)
    assert await fetch_related_tweets(ctx, dark_mode.id) == 0
    assert fake_x.search_requests() == [] and not await TweetSearch.exists()


async def test_the_cron_queues_one_fetch_per_open_public_idea(ctx, alice, erin, make_idea, dark_mode):
    declined = await make_idea(alice, "Declined idea about lids")
    await Idea.filter(id=declined.id).update(status=Status.DECLINED)
    launched = await make_idea(alice, "Launched idea about cups")  # closed like declined: README's "open" ideas only
    await Idea.filter(id=launched.id).update(status=Status.LAUNCHED)
    await make_idea(erin, "Internal idea about rosters", space=Space.INTERNAL)
    recent = await make_idea(alice, "Oat milk at no extra charge")
    await TweetSearch.create(idea=recent, query="oat", last_run_at=datetime.now(UTC))
    redis = await create_pool(RedisSettings.from_dsn(ctx["settings"].redis_url))
    try:
        ctx["redis"] = redis
        assert await refresh_all_tweets(ctx) == 1  # only dark mode: closed, internal and just-searched are skipped
        assert await refresh_all_tweets(ctx) == 0  # the job id dedups a second tick
        assert await redis.zscore(X_QUEUE, f"tweets:{dark_mode.id}") is not None  # X's own queue
    finally:
        await redis.aclose()


async def test_a_real_worker_defers_the_job_on_429(ctx, fake_x, dark_mode):
    add_dark_mode_tweets(fake_x)
    fake_x.rate_limit_after(0, reset_in=60)
    redis = await create_pool(RedisSettings.from_dsn(ctx["settings"].redis_url))
    await redis.enqueue_job("fetch_related_tweets", dark_mode.id, _job_id="tweets-job")
    worker = Worker(functions=[func(fetch_related_tweets, name="fetch_related_tweets")], redis_pool=redis,
                    burst=True, poll_delay=0, max_burst_jobs=1, handle_signals=False, ctx=dict(ctx))
    try:
        await worker.main()
        score = await redis.zscore("arq:queue", "tweets-job")
        assert score is not None, "the job is still queued"
        assert 55_000 <= score - time.time() * 1000 <= 65_000  # deferred to X's reset time
        assert worker.jobs_retried == 1 and worker.jobs_failed == 0
    finally:
        await redis.aclose()  # Worker.close() calls redis's deprecated close()
