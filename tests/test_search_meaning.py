"""Search re-ranked by meaning with the real MiniLM model: among ideas with as many of the query's words, the one
that means what Dana typed comes first; without the model the text ranking stands."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from ideaboard import embedding, search, search_meaning

needs_model = pytest.mark.skipif(not embedding.installed(), reason="the MiniLM model package is not installed")


def result_titles(page: str) -> list[str]:
    return [a.text for a in BeautifulSoup(page, "html.parser").select("#results .idea-title a")]


async def make_board(make_idea, alice):
    await make_idea(alice, "Screen too bright at night", "Ordering in bed at night blinds me: a darker screen please.")
    await make_idea(alice, "Night opening hours", "Keep the downtown store open at night on Fridays.")
    await make_idea(alice, "Night shift discount", "Nurses who order at night should get ten percent off.")


@needs_model
async def test_a_paraphrase_of_the_query_comes_first_when_the_model_is_installed(browser_for, alice, bob, make_idea):
    """Bob searches "night mode"; only "night" matches, and the idea about a darker screen is what he meant."""
    await make_board(make_idea, alice)
    visitor = await browser_for(bob)  # a member: no shared page cache between the two searches
    search_meaning.uninstall()
    text_only = result_titles((await visitor.get("/search", params={"q": "night mode"})).text)
    assert text_only[0] != "Screen too bright at night"  # text alone ranks the shorter night ideas higher
    assert search_meaning.install(None)
    found = result_titles((await visitor.get("/search", params={"q": "night mode"})).text)
    assert found[0] == "Screen too bright at night" and sorted(found) == sorted(text_only)


async def test_the_app_searches_by_text_alone_when_the_model_is_switched_off(visitor, alice, make_idea, monkeypatch):
    await make_board(make_idea, alice)
    monkeypatch.setenv("IDEABOARD_SEMANTIC", "off")
    assert not search_meaning.install(None)
    assert search._reranker is None
    assert len(result_titles((await visitor.get("/search", params={"q": "night mode"})).text)) == 3


@needs_model
async def test_a_broken_model_leaves_the_text_ranking(browser_for, alice, bob, make_idea, monkeypatch):
    await make_board(make_idea, alice)
    visitor = await browser_for(bob)
    search_meaning.uninstall()
    before = result_titles((await visitor.get("/search", params={"q": "night mode"})).text)

    async def broken(texts):
        raise RuntimeError("model files damaged")

    monkeypatch.setattr(embedding, "encode_async", broken)
    search_meaning.install(None)
    assert result_titles((await visitor.get("/search", params={"q": "night mode"})).text) == before


@needs_model
async def test_an_idea_embedded_for_a_search_is_stored_as_the_worker_stores_it(app, settings, alice, make_idea):
    """The next search reads the vector instead of embedding the idea again, and the worker takes it as its own."""
    from redis.asyncio import Redis

    from workers import semantic

    idea = await make_idea(alice, "Screen too bright at night", "A darker screen please.")
    redis = Redis.from_url(settings.redis_url)
    try:
        first = await search_meaning.similarities(redis, "night mode", [idea.id])
        blob = await redis.hget(embedding.CACHE_KEY, str(idea.id))
        stored = semantic.unpack(search_meaning.idea_text(idea.title, idea.body), blob)
        assert stored is not None and abs(float(stored @ stored) - 1) < 1e-4
        assert await search_meaning.similarities(redis, "night mode", [idea.id]) == pytest.approx(first)
    finally:
        await redis.aclose()
