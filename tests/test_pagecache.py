"""Visitors who are not logged in share a few seconds' rendering of each page; members always see it fresh."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from ideaboard.models import Idea


@pytest.fixture
def cache_seconds() -> int:
    """Pages are kept one second here, so expiry can be watched (a test may parametrize its own)."""
    return 1


@pytest.fixture
def settings(settings, cache_seconds):
    return replace(settings, page_cache_seconds=cache_seconds)


async def retitle(idea: Idea, title: str) -> None:
    """A change made behind the web process's back (as another web process or the worker would)."""
    await Idea.filter(id=idea.id).update(title=title)


async def test_a_visitors_board_carries_nothing_personal(visitor, alice, make_idea):
    idea = await make_idea(alice)
    response = await visitor.get("/")
    assert "set-cookie" not in response.headers
    assert "csrf_token" not in response.text and "X-CSRF-Token" not in response.text
    assert f'href="/login?next=/ideas/{idea.id}"' in response.text  # voting starts with logging in


async def test_visitors_get_the_same_rendering_for_a_few_seconds(visitor, browser_for, alice, bob, make_idea):
    idea = await make_idea(alice, "Oat milk in every store")
    assert "Oat milk in every store" in (await visitor.get("/")).text
    await retitle(idea, "Oat milk everywhere")
    assert "Oat milk in every store" in (await visitor.get("/")).text  # served from the cache
    bob_client = await browser_for(bob)
    assert "Oat milk everywhere" in (await bob_client.get("/")).text  # members never get a cached page
    await asyncio.sleep(1.1)  # this module's cache keeps pages one second
    assert "Oat milk everywhere" in (await visitor.get("/")).text


async def test_a_visitor_sees_a_vote_within_the_cache_time(visitor, browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    bob_client = await browser_for(bob)
    assert 'aria-label="Net score">0<' in (await visitor.get(f"/ideas/{idea.id}")).text
    await bob_client.post(f"/ideas/{idea.id}/vote", {"value": "up"})
    assert 'aria-label="Net score">0<' in (await visitor.get(f"/ideas/{idea.id}")).text  # votes are minor changes
    await asyncio.sleep(1.1)
    assert 'aria-label="Net score">1<' in (await visitor.get(f"/ideas/{idea.id}")).text


async def test_a_comment_through_this_process_shows_to_visitors_at_once(visitor, browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    bob_client = await browser_for(bob)
    assert "Yes please" not in (await visitor.get(f"/ideas/{idea.id}")).text
    await bob_client.post(f"/ideas/{idea.id}/comments", {"body": "Yes please, for night shifts."})
    assert "Yes please, for night shifts." in (await visitor.get(f"/ideas/{idea.id}")).text


async def test_a_refused_form_does_not_empty_the_cache(visitor, alice, make_idea):
    idea = await make_idea(alice, "Oat milk in every store")
    await visitor.get("/")
    await retitle(idea, "Oat milk everywhere")
    refused = await visitor.http.post(f"/ideas/{idea.id}/vote", data={"value": "up"})  # no token: forged
    assert refused.status_code == 403
    assert "Oat milk in every store" in (await visitor.get("/")).text


async def test_htmx_fragments_and_full_pages_of_one_url_are_kept_apart(visitor, alice, make_idea):
    await make_idea(alice)
    full = await visitor.get("/")
    fragment = await visitor.get("/", headers={"HX-Request": "true"})
    again = await visitor.get("/")
    assert "<html" in full.text and "<html" not in fragment.text and "<html" in again.text


async def test_a_goodbye_message_is_shown_once_and_never_to_other_visitors(visitor, browser_for, bob, alice,
                                                                           make_idea):
    await make_idea(alice)
    bob_client = await browser_for(bob)
    await bob_client.post("/logout")
    assert "You are logged out." in (await bob_client.get("/")).text
    assert "You are logged out." not in (await visitor.get("/")).text
    assert "You are logged out." not in (await bob_client.get("/")).text


@pytest.mark.parametrize("cache_seconds", [0])
async def test_operators_can_turn_the_cache_off(visitor, alice, make_idea):
    idea = await make_idea(alice, "Oat milk in every store")
    assert "Oat milk in every store" in (await visitor.get("/")).text
    await retitle(idea, "Oat milk everywhere")
    assert "Oat milk everywhere" in (await visitor.get("/")).text


@pytest.mark.parametrize("cache_seconds", [5])
async def test_a_proxy_may_keep_visitors_pages_but_never_a_members(visitor, browser_for, alice, bob, make_idea):
    idea = await make_idea(alice, "Oat milk in every store")
    page = await visitor.get(f"/ideas/{idea.id}")
    assert page.headers["cache-control"] == "public, max-age=0, s-maxage=5, stale-while-revalidate=30"
    etag = page.headers["etag"]
    assert etag.startswith('"') and not etag.startswith('W/') and "Cookie" in page.headers["vary"]
    assert "HX-Request" in page.headers["vary"]  # fragments and pages of a URL stay apart in the proxy too
    again = await visitor.get(f"/ideas/{idea.id}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert (await visitor.get(f"/ideas/{idea.id}", headers={"If-None-Match": '"other"'})).status_code == 200
    bob_client = await browser_for(bob)
    await bob_client.post(f"/ideas/{idea.id}/comments", {"body": "Yes please"})  # a change: a new rendering
    changed = await visitor.get(f"/ideas/{idea.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag and "Yes please" in changed.text
    member = await bob_client.get(f"/ideas/{idea.id}")
    assert member.headers["cache-control"] == "private, no-store" and "etag" not in member.headers
    login = await visitor.get("/login")  # a form page: its CSRF token lives in the visitor's new session
    assert login.headers["cache-control"] == "private, no-store"
    assert (await visitor.get("/static/js/app.js")).headers.get("cache-control") != "private, no-store"
