"""Worker jobs that listen on X: fetch tweets related to each idea, incrementally, and link the relevant ones.

Rate limits defer the job until X's reset time (arq.Retry), never a busy loop; tweets fetched before a failure are
kept; a rejected token is written on the idea's TweetSearch for the staff console.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from arq import Retry

from ideaboard import live, social
from ideaboard.models import Idea, TweetSearch
from ideaboard.settings import Settings
from ideaboard.x_api import (
    Tweet,
    XApiError,
    XAuthError,
    XRateLimited,
    XServerError,
    build_search_query,
    read_tweets_file,
)
from workers.linking import STOP_WORDS
from workers.suggest_index import idea_text

log = logging.getLogger(__name__)

RELEVANCE_THRESHOLD = 0.08  # cosine similarity of TF-IDF vectors: below this a keyword match is noise
MAX_TERMS = 6
REFRESH_INTERVAL = timedelta(minutes=15)  # the cron ticks every minute; each idea is searched at most this often
SERVER_ERROR_BACKOFF = 60  # seconds, doubled per try
X_QUEUE = "arq:x"  # X jobs run in their own queue and worker loop, so a slow X never delays the product's jobs
X_MAX_JOBS = 2


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9][a-z0-9'-]*", text.lower())


def key_terms(title: str, body: str, limit: int = MAX_TERMS) -> list[str]:
    """Search terms for an idea: two-word phrases from the title first, then its other words, then body keywords."""
    runs: list[list[str]] = [[]]
    for word in _words(title):
        if word in STOP_WORDS or len(word) < 3:
            runs.append([])
        else:
            runs[-1].append(word)
    phrases = [" ".join(run[i:i + 2]) for run in runs if len(run) > 1 for i in range(len(run) - 1)]
    singles = [run[0] for run in runs if len(run) == 1]
    body_words = Counter(w for w in _words(body) if w not in STOP_WORDS and len(w) > 3)
    covered = {w.rstrip("s") for t in phrases + singles for w in t.split()}
    extra = [w for w, _ in body_words.most_common() if w.rstrip("s") not in covered and "'" not in w]
    return _dedupe(phrases + singles + extra[:2])[:limit]


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def search_query(idea: Idea, settings: Settings) -> str:
    """The X recent-search query for an idea (terms OR'd, brand context, language, no retweets)."""
    terms = key_terms(idea.title, idea.body) or [idea.title]
    return build_search_query(terms, handles=settings.x_brand_handles, lang=settings.x_lang or None)


def _features(text: str, ignore: frozenset[str] = frozenset()) -> list[str]:
    """Words (crudely singularised, so "cups" meets "cup") and word pairs; character n-grams made noise score."""
    words = [w.rstrip("s") if len(w) > 3 else w for w in _words(text) if w not in STOP_WORDS and w not in ignore]
    return [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]


def relevance_scores(text: str, tweets: list[tuple[str, str]], brand: frozenset[str] = frozenset()) -> dict[str, float]:
    """Cosine similarity of each tweet's TF-IDF vector with the idea's (CPU work: run it in the pool)."""
    if not tweets:
        return {}
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    vectorizer = TfidfVectorizer(analyzer=lambda t: _features(t, brand), sublinear_tf=True)  # brand words say nothing
    try:
        matrix = vectorizer.fit_transform([text] + [tweet for _, tweet in tweets])
    except ValueError:  # nothing but stop words anywhere
        return {}
    similarity = cosine_similarity(matrix[0], matrix[1:])[0]
    return {tweet_id: float(score) for (tweet_id, _), score in zip(tweets, similarity, strict=True)}


async def _store_and_link(ctx: dict[str, Any], idea: Idea, tweets: list[Tweet]) -> int:
    """Store every fetched tweet once, then link the relevant ones to the idea; returns new links."""
    if not tweets:
        return 0
    await social.store_tweets(tweets)
    if redis := ctx.get("redis"):  # arq always passes it; the desk's inbox shows the new tweets live
        await live.publish(redis, live.DESK, "desk")
    loop = asyncio.get_running_loop()
    pairs = [(t.id, t.text) for t in tweets]
    brand = frozenset(h.lstrip("@#").lower() for h in ctx["settings"].x_brand_handles)
    scores = await loop.run_in_executor(ctx["pool"], relevance_scores, idea_text(idea.title, idea.body), pairs, brand)
    return await social.link_tweets(idea.id, {tid: s for tid, s in scores.items() if s >= RELEVANCE_THRESHOLD})


async def fetch_related_tweets(ctx: dict[str, Any], idea_id: int) -> int:
    """Fetch tweets newer than the idea's since_id, store and link them; returns the number of new links."""
    settings: Settings = ctx["settings"]
    mode = social.feature_mode(settings)
    idea = await Idea.get_or_none(id=idea_id, hidden=False)
    if idea is None or mode == "off":
        return 0
    search = await _search_for(idea, settings)
    if mode == "file":
        tweets = [t for t in read_tweets_file(settings.x_tweets_file, search.query) if _newer(t.id, search.since_id)]
        return await _finish(ctx, idea, search, tweets, max([t.id for t in tweets], key=int, default=search.since_id))
    try:
        async with asyncio.timeout(settings.x_deadline_seconds), social.x_client(settings) as client:
            page = await client.search_recent(search.query, since_id=search.since_id)
    except TimeoutError as exc:  # X hangs: give the slot back, say so on the console, come back later
        message = f"X did not answer within {settings.x_deadline_seconds} s"
        await _finish(ctx, idea, search, [], search.since_id, error=message)
        raise Retry(defer=_backoff(ctx.get("job_try", 1))) from exc
    except (XRateLimited, XServerError) as exc:
        await _finish(ctx, idea, search, exc.tweets_so_far, search.since_id, error=exc.message)
        raise Retry(defer=_defer_seconds(exc, ctx.get("job_try", 1))) from exc
    except XAuthError as exc:
        return await _finish(ctx, idea, search, [], search.since_id, error=exc.message)
    except XApiError as exc:  # a rejected query: retrying cannot help, the console shows why
        return await _finish(ctx, idea, search, [], search.since_id, error=exc.message)
    return await _finish(ctx, idea, search, page.tweets, page.newest_id)


async def refresh_all_tweets(ctx: dict[str, Any]) -> int:
    """Cron: queue a tweet fetch for each open public idea not searched recently; returns how many were queued."""
    if social.feature_mode(ctx["settings"]) == "off":
        return 0
    queued = 0
    for idea_id in await social.ideas_to_refresh(REFRESH_INTERVAL):
        job = await ctx["redis"].enqueue_job("fetch_related_tweets", idea_id, _job_id=f"tweets:{idea_id}",
                                             _queue_name=X_QUEUE)
        queued += job is not None
    return queued


async def _search_for(idea: Idea, settings: Settings) -> TweetSearch:
    """The idea's search state; a changed query (idea edited, settings changed) starts over without since_id."""
    query = search_query(idea, settings)
    search, created = await TweetSearch.get_or_create(idea_id=idea.id, defaults={"query": query})
    if not created and search.query != query:
        search.query, search.since_id = query, None
        await search.save(update_fields=["query", "since_id"])
    return search


async def _finish(ctx: dict[str, Any], idea: Idea, search: TweetSearch, tweets: list[Tweet], since_id: str | None,
                  *, error: str = "") -> int:
    """Keep what was fetched, then move the cursor (only as far as fully fetched) and record how the run went."""
    links = await _store_and_link(ctx, idea, tweets)
    search.since_id, search.last_run_at, search.last_error = since_id, datetime.now(UTC), error[:300]
    await search.save(update_fields=["since_id", "last_run_at", "last_error"])
    if error:
        log.warning("tweets for idea %s: %s", idea.id, error)
    return links


def _newer(tweet_id: str, since_id: str | None) -> bool:
    return since_id is None or int(tweet_id) > int(since_id)


def _defer_seconds(exc: XRateLimited | XServerError, job_try: int) -> float:
    """Until X's rate-limit reset (plus a second), or exponential backoff after repeated 5xx."""
    if isinstance(exc, XRateLimited):
        return max(1.0, (exc.reset_at - datetime.now(UTC)).total_seconds() + 1)
    return _backoff(job_try)


def _backoff(job_try: int) -> float:
    return float(SERVER_ERROR_BACKOFF * 2 ** max(0, job_try - 1))
