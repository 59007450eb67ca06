"""Rate limits: mallory floods sign-ups, comments, votes, reports, follows, searches and logins; each is slowed with a
429 in the normal layout and a Retry-After, shared through Redis, and still enforced when Redis is gone."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import replace

import httpx
import pytest
from bs4 import BeautifulSoup
from redis.asyncio import Redis

from ideaboard import follows, ratelimit
from ideaboard.models import Comment, Flag, User, Vote
from tests.conftest import PASSWORD, Browserless


@pytest.fixture
def settings(settings):
    """Small limits so the stories stay short (the defaults are in README's settings table)."""
    return replace(settings, comments_per_minute=5, votes_per_minute=4, reports_per_hour=2, follows_per_minute=3,
                   searches_per_minute=4, rate_limit_ip_multiplier=2, login_attempts_per_ip_per_hour=6,
                   login_failures_per_account_per_hour=4)


@pytest.fixture
async def client_at(app):
    """A browser at a given client address (httpx's ASGI transport reports it as request.client)."""
    clients: list[httpx.AsyncClient] = []

    async def make(ip: str, user: User | None = None) -> Browserless:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://testserver")
        clients.append(http)
        browser = Browserless(http)
        if user is not None:
            await browser.login(user.email)
        return browser

    yield make
    for http in clients:
        await http.aclose()


def refusal(response: httpx.Response) -> str:
    """The 429's message, after checking it comes with Retry-After inside the site's layout."""
    assert response.status_code == 429, response.text
    assert 0 < int(response.headers["retry-after"]) <= 3600
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("header.topbar") is not None  # the page's own layout, not a bare error
    return soup.get_text(" ", strip=True)


async def test_sixty_sign_ups_from_one_address_stop_after_the_hourly_limit(client_at, settings):
    mallory = await client_at("203.0.113.9")
    statuses = []
    for n in range(60):
        response = await mallory.post("/signup", {"name": f"Sock {n}", "email": f"sock{n}@example.com",
                                                  "password": "a fine long passphrase"})
        statuses.append(response.status_code)
        await mallory.post("/logout")
    assert statuses.count(200) == settings.signups_per_hour  # "check your inbox"
    assert await User.filter(email__startswith="sock").count() == settings.signups_per_hour
    text = refusal(response)
    assert "creating accounts faster than we allow" in text
    assert 'value="sock59@example.com"' in response.text  # what was typed is kept
    someone_else = await client_at("198.51.100.7")
    ok = await someone_else.post("/signup", {"name": "Nina Park", "email": "nina@example.com",
                                             "password": "a fine long passphrase"})
    assert ok.status_code == 200


async def test_password_reset_requests_from_one_address_stop_after_the_hourly_limit(client_at, alice, settings):
    mallory = await client_at("203.0.113.9")
    statuses = [(await mallory.post("/forgot", {"email": "alice@example.com"})).status_code for _ in range(15)]
    assert statuses.count(200) == settings.password_resets_per_hour
    response = await mallory.post("/forgot", {"email": "alice@example.com"})
    assert "password resets faster than we allow" in refusal(response)
    assert 'value="alice@example.com"' in response.text
    alice_at_home = await client_at("198.51.100.7")
    assert (await alice_at_home.post("/forgot", {"email": "alice@example.com"})).status_code == 200


async def test_a_hundred_comments_in_a_burst_are_cut_at_the_limit_and_the_text_is_kept(
        browser_for, alice, bob, make_idea, settings):
    idea = await make_idea(alice)
    mallory = await browser_for(bob)
    statuses = [(await mallory.post(f"/ideas/{idea.id}/comments", {"body": f"spam {n}"})).status_code
                for n in range(100)]
    assert statuses.count(303) == settings.comments_per_minute
    assert await Comment.filter(idea_id=idea.id).count() == settings.comments_per_minute
    response = await mallory.post(f"/ideas/{idea.id}/comments", {"body": "my carefully written reply"})
    assert "posting comments faster than we allow" in refusal(response)
    assert "my carefully written reply" in response.text


async def test_an_htmx_comment_over_the_limit_shows_the_message_in_the_page_message_area(
        browser_for, alice, bob, make_idea, settings):
    idea = await make_idea(alice)
    bob_browser = await browser_for(bob)
    for n in range(settings.comments_per_minute):
        await bob_browser.post(f"/ideas/{idea.id}/comments", {"body": f"thought {n}"}, htmx=True)
    response = await bob_browser.post(f"/ideas/{idea.id}/comments", {"body": "one more"}, htmx=True)
    assert response.status_code == 429 and response.headers["retry-after"]
    assert response.headers["hx-retarget"] == "#messages"
    assert "posting comments faster than we allow" in response.text
    assert "<header" not in response.text  # a fragment for the message area, not a whole page
    page = await bob_browser.get(f"/ideas/{idea.id}")
    assert 'id="messages"' in page.text  # every page has the area the message goes into


async def test_votes_are_limited_per_person(browser_for, alice, bob, make_idea, settings):
    ideas = [await make_idea(alice, f"Idea number {n}") for n in range(settings.votes_per_minute + 1)]
    bob_browser = await browser_for(bob)
    statuses = [(await bob_browser.post(f"/ideas/{i.id}/vote", {"value": "up"})).status_code for i in ideas]
    assert statuses[:-1] == [303] * settings.votes_per_minute
    assert "voting faster than we allow" in refusal(await bob_browser.post(f"/ideas/{ideas[-1].id}/vote",
                                                                            {"value": "up"}))
    assert await Vote.filter(user=bob).count() == settings.votes_per_minute


async def test_votes_are_also_limited_per_address_across_people(client_at, alice, bob, erin, make_idea, settings):
    idea = await make_idea(alice)
    per_ip = settings.votes_per_minute * settings.rate_limit_ip_multiplier
    office = [await client_at("192.0.2.50", person) for person in (alice, bob, erin)]
    statuses = []
    for n in range(per_ip + 1):
        browser = office[n % 3]
        statuses.append((await browser.post(f"/ideas/{idea.id}/vote", {"value": "up" if n % 2 else "down"}))
                        .status_code)
    assert statuses.count(303) == per_ip and statuses[-1] == 429
    elsewhere = await client_at("192.0.2.99", bob)  # bob at home is under his own limit still
    assert (await elsewhere.post(f"/ideas/{idea.id}/vote", {"value": "up"})).status_code == 303


async def test_htmx_votes_over_the_limit_get_a_visible_message(browser_for, alice, bob, make_idea, settings):
    idea = await make_idea(alice)
    bob_browser = await browser_for(bob)
    for n in range(settings.votes_per_minute):
        await bob_browser.post(f"/ideas/{idea.id}/vote", {"value": "up" if n % 2 else "none"}, htmx=True)
    response = await bob_browser.post(f"/ideas/{idea.id}/vote", {"value": "up"}, htmx=True)
    assert response.status_code == 429 and response.headers["hx-retarget"] == "#messages"
    assert "voting faster than we allow" in response.text


async def test_reports_follows_and_searches_are_limited_per_person(browser_for, alice, bob, make_idea, settings):
    ideas = [await make_idea(alice, f"Idea number {n}") for n in range(settings.reports_per_hour)]
    idea = await make_idea(alice)
    bob_browser = await browser_for(bob)
    for n, reported in enumerate(ideas):
        assert (await bob_browser.post(f"/ideas/{reported.id}/report", {"reason": f"spam {n}"})).status_code == 303
    response = await bob_browser.post(f"/ideas/{idea.id}/report", {"reason": "and again"})
    assert "reporting faster than we allow" in refusal(response)
    assert "and again" in response.text
    assert await Flag.filter(reporter=bob).count() == settings.reports_per_hour

    for n in range(settings.follows_per_minute):
        await bob_browser.post(f"/ideas/{idea.id}/follow", {"follow": "1" if n % 2 else "0"})
    assert "following ideas faster than we allow" in refusal(
        await bob_browser.post(f"/ideas/{idea.id}/follow", {"follow": "1"}))
    assert not await follows.is_following(bob, idea)  # the last allowed was an unfollow; the refused one did nothing

    for n in range(settings.searches_per_minute):
        assert (await bob_browser.get("/search", params={"q": f"dark {n}"})).status_code == 200
    assert "searching faster than we allow" in refusal(await bob_browser.get("/search", params={"q": "dark"}))
    assert (await bob_browser.get("/search")).status_code == 200  # the empty search form is not counted


async def test_visitors_searches_are_limited_per_address(client_at, settings):
    visitor = await client_at("198.51.100.20")
    per_ip = settings.searches_per_minute * settings.rate_limit_ip_multiplier
    statuses = [(await visitor.get("/search", params={"q": f"cups {n}"})).status_code for n in range(per_ip + 1)]
    assert statuses.count(200) == per_ip and statuses[-1] == 429


async def test_password_spraying_from_one_address_is_slowed_across_emails(client_at, alice, settings):
    mallory = await client_at("203.0.113.66")
    statuses = [(await mallory.post("/login", {"email": f"user{n}@example.com", "password": "Winter2026!!"}))
                .status_code for n in range(settings.login_attempts_per_ip_per_hour)]
    assert 429 not in statuses
    response = await mallory.post("/login", {"email": "alice@example.com", "password": PASSWORD})
    assert "logging in faster than we allow" in refusal(response)
    alice_home = await client_at("198.51.100.1")
    assert (await alice_home.post("/login", {"email": "alice@example.com", "password": PASSWORD})).status_code == 303


async def test_guessing_one_accounts_password_from_many_addresses_locks_its_logins_for_a_while(
        client_at, alice, settings):
    for n in range(settings.login_failures_per_account_per_hour):
        bot = await client_at(f"10.0.{n}.1")
        assert (await bot.post("/login", {"email": "alice@example.com", "password": "guess guess guess"})
                ).status_code == 422
    fresh = await client_at("10.9.9.9")
    response = await fresh.post("/login", {"email": "Alice@Example.com", "password": PASSWORD})
    assert "Too many login attempts for this account" in refusal(response)
    assert "reset your password" in response.text


async def test_limits_are_shared_through_redis_by_every_process(settings):
    """Two app processes share one count: simulated by two Redis clients on the same server."""
    first, second = Redis.from_url(settings.redis_url), Redis.from_url(settings.redis_url)
    try:
        await first.flushdb()
        assert await ratelimit.hit(first, "shared:test", 2, 60)
        assert await ratelimit.hit(second, "shared:test", 2, 60)
        verdict = await ratelimit.hit(first, "shared:test", 2, 60)
        assert not verdict and 0 < verdict.retry_after <= 60
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_burst_of_requests_is_counted_in_one_round_trip_and_exactly(settings):
    """Requests arriving while one count is on its way to Redis share the next: ten votes of one person, at once,
    are still ten counts (the four over the limit refused), and the per-address key counts every person's."""
    redis = Redis.from_url(settings.redis_url)
    try:
        await redis.flushdb()
        batch = ratelimit._batch_of(redis)
        before = batch.round_trips
        people = [[("burst:user:7", 6, 60), ("burst:ip:a", 100, 60)]] * 10 + [[("burst:user:8", 6, 60)]]
        verdicts = await asyncio.gather(*(ratelimit.hit_all(redis, counters) for counters in people))
        assert batch.round_trips - before == 1  # all eleven asked before the first count was sent
        assert sorted(v[0].count for v in verdicts[:10]) == list(range(1, 11))
        assert sum(not v[0] for v in verdicts[:10]) == 4 and all(v[1] for v in verdicts[:10])
        assert sorted(v[1].count for v in verdicts[:10]) == list(range(1, 11))
        assert verdicts[10][0].count == 1
        assert int(await redis.get(ratelimit.PREFIX + "burst:user:7")) == 10
    finally:
        await redis.aclose()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


async def test_when_redis_is_unreachable_limits_are_counted_in_the_process_instead_of_switching_off(settings, caplog):
    down = Redis.from_url(f"redis://127.0.0.1:{closed_port()}/0", socket_connect_timeout=0.5)
    ratelimit._redis_down_until = 0.0
    try:
        started = time.monotonic()
        verdicts = [await ratelimit.hit(down, "comment:user:7", 3, 60) for _ in range(5)]
        assert [bool(v) for v in verdicts] == [True, True, True, False, False]
        assert verdicts[-1].retry_after > 0
        with pytest.raises(ratelimit.RateLimited):
            for _ in range(settings.comments_per_minute + 1):
                await ratelimit.check(down, settings, "comment", person_id=8, ip="192.0.2.1")
        assert time.monotonic() - started < 5  # Redis is not retried on every request while it is down
        assert "Redis unavailable" in caplog.text
    finally:
        ratelimit._redis_down_until = 0.0
        await down.aclose()
