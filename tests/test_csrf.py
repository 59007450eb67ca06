"""CSRF: every unsafe request needs the session's token; cross-site browser requests are refused."""

from ideaboard.models import Idea, Vote


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
