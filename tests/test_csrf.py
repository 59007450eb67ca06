"""CSRF: every unsafe request needs the session's token; cross-site browser requests are refused."""

import httpx

from ideaboard.models import Idea, Vote
from tests.conftest import Browserless


async def test_a_form_post_without_the_token_is_refused_and_changes_nothing(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(bob)
    response = await client.http.post(f"/ideas/{idea.id}/vote", data={"value": "up"})
    assert response.status_code == 403 and "expired" in response.text
    assert not await Vote.exists()


async def test_a_wrong_token_is_refused(browser_for, alice):
    client = await browser_for(alice)
    response = await client.http.post("/ideas/new", data={"title": "Forged idea title", "csrf_token": "forged"})
    assert response.status_code == 403
    assert await Idea.all().count() == 0


async def test_htmx_requests_carry_the_token_in_a_header(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(bob)
    response = await client.post(f"/ideas/{idea.id}/vote", {"value": "up"}, htmx=True)
    assert response.status_code == 200 and await Vote.exists()


async def test_a_cross_site_browser_request_is_refused_even_with_a_token(browser_for, alice):
    client = await browser_for(alice)
    token = await client.csrf()
    response = await client.http.post("/ideas/new", data={"title": "From evil.example", "csrf_token": token},
                                      headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403 and await Idea.all().count() == 0


async def test_logging_in_needs_the_token_too(visitor, alice):
    response = await visitor.http.post("/login", data={"email": "alice@example.com", "password": "whatever"})
    assert response.status_code == 403


async def test_a_valid_token_from_another_sites_page_is_refused_by_its_origin(browser_for, alice):
    client = await browser_for(alice)
    token = await client.csrf()
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Referer": "https://evil.example/lure.html"}, {"Origin": "http://testserver.evil.example"}):
        response = await client.http.post("/ideas/new", data={"title": "From mallory's page", "csrf_token": token},
                                          headers=headers)
        assert response.status_code == 403 and "came from another site" in response.text, headers
    assert await Idea.all().count() == 0


async def test_our_own_origin_or_referer_passes(browser_for, alice):
    client = await browser_for(alice)
    token = await client.csrf()
    for n, headers in enumerate(({"Origin": "http://testserver"}, {"Referer": "http://testserver/ideas/new"}, {})):
        response = await client.http.post("/ideas/new", data={"title": f"Our own page {n}", "csrf_token": token},
                                          headers=headers)
        assert response.status_code == 303, headers
    assert await Idea.all().count() == 3


async def test_behind_a_proxy_the_configured_base_url_is_our_origin(app, alice):
    """The proxy talks to us as 127.0.0.1:8000; browsers send the public origin, IDEABOARD_BASE_URL."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as http:
        client = Browserless(http)
        await client.login(alice.email)
        token = await client.csrf()
        response = await http.post("/ideas/new", data={"title": "Through the proxy", "csrf_token": token},
                                   headers={"Origin": "http://testserver"})  # the test settings' base_url
        assert response.status_code == 303
        response = await http.post("/ideas/new", data={"title": "From elsewhere", "csrf_token": token},
                                   headers={"Origin": "https://evil.example"})
        assert response.status_code == 403
