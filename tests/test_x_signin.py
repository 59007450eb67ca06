"""Sign in with X against the fake X API's OAuth 2.0 endpoints over real HTTP: Alice links @alice_sips, her tweets
are credited to her profile, and she can sign in with X afterwards; nobody can take over someone else's X link."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup

from ideaboard.models import LinkedIdentity, Tweet, User
from tests.conftest import Browserless

pytest_plugins = ["fake_x_api"]  # the fake_x fixture: a fake X API (with its OAuth 2.0 endpoints) over real HTTP


@pytest.fixture
def x_secret(fake_x) -> str:
    """The X app's client secret; a test parametrizes it to "" for a public client."""
    return fake_x.oauth.client_secret


@pytest.fixture
def settings(settings, fake_x, x_secret):
    return replace(settings, x_client_id=fake_x.oauth.client_id, x_client_secret=x_secret,
                   x_api_base_url=fake_x.base_url, x_authorize_url=fake_x.base_url + "/i/oauth2/authorize")


async def through_x(browser: Browserless, fake_x) -> httpx.Response:
    """Press "Sign in with X" / "Link X", approve on (fake) X over real HTTP, and come back to our callback."""
    start = await browser.post("/login/x", {"next": "/"})
    assert start.status_code == 302, start.text
    authorize = start.headers["location"]
    assert authorize.startswith(fake_x.base_url + "/i/oauth2/authorize?")
    async with httpx.AsyncClient() as http:
        approved = await http.get(authorize)
    assert approved.status_code == 302, approved.text
    return await browser.get(approved.headers["location"])


async def test_alice_links_her_x_handle_and_her_tweets_show_on_her_profile(browser_for, alice, fake_x):
    await Tweet.create(id="1890000000000000001", text="@brewline oat milk in every store please!",
                       author_id=fake_x.oauth.person["id"], author_username="alice_sips",
                       created_at=datetime.now(UTC), url="https://x.com/alice_sips/status/1890000000000000001")
    alice_browser = await browser_for(alice)
    response = await through_x(alice_browser, fake_x)
    assert response.headers["location"] == f"/users/{alice.id}"
    identity = await LinkedIdentity.get(user=alice, provider="x")
    assert (identity.subject, identity.username) == ("1460981234567890", "alice_sips")
    public = BeautifulSoup((await (await browser_for()).get(f"/users/{alice.id}")).text, "html.parser")
    assert "@alice_sips" in public.select_one(".profile-head").text
    assert "oat milk in every store" in public.text  # her tweet, credited to her
    # the documented contract was followed: PKCE S256, both scopes, the code exchanged once with its verifier
    query = parse_qs(urlsplit((await alice_browser.post("/login/x")).headers["location"]).query)
    assert query["scope"] == ["users.read tweet.read"] and query["code_challenge_method"] == ["S256"]
    exchanged = fake_x.oauth.token_requests[0]
    assert exchanged["grant_type"] == "authorization_code" and exchanged["code_verifier"]


async def test_once_linked_alice_can_sign_in_with_x(browser_for, alice, fake_x):
    await through_x(await browser_for(alice), fake_x)
    fake_x.oauth.person = {**fake_x.oauth.person, "username": "alice_sips_coffee"}  # she renamed herself on X
    later = await browser_for()
    response = await through_x(later, fake_x)
    assert response.status_code == 303
    assert "Alice Martin" in (await later.get("/")).text
    assert (await LinkedIdentity.get(user=alice)).username == "alice_sips_coffee"


async def test_an_unlinked_x_account_cannot_sign_in_or_create_an_account(browser_for, fake_x):
    stranger = await browser_for()
    response = await through_x(stranger, fake_x)
    assert response.status_code == 400
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("h1").text == "We couldn't sign you in with X"
    assert "No account here is linked to @alice_sips" in soup.text
    assert not await User.exists() and not await LinkedIdentity.exists()


async def test_bob_cannot_link_an_x_account_that_is_alices(browser_for, alice, bob, fake_x):
    await through_x(await browser_for(alice), fake_x)
    response = await through_x(await browser_for(bob), fake_x)
    assert response.status_code == 400 and "already linked to another member" in response.text
    assert (await LinkedIdentity.get(provider="x")).user_id == alice.id


async def test_saying_no_on_x_gets_a_friendly_page(browser_for, alice, fake_x):
    fake_x.oauth.deny = True
    response = await through_x(await browser_for(alice), fake_x)
    assert response.status_code == 400 and "not accepted" in response.text
    assert not await LinkedIdentity.exists()


@pytest.mark.parametrize("x_secret", [""])
async def test_a_public_x_client_sends_its_id_in_the_form_instead_of_a_secret(browser_for, alice, fake_x, x_secret):
    fake_x.oauth.client_secret = x_secret
    response = await through_x(await browser_for(alice), fake_x)
    assert response.status_code == 303
    sent = fake_x.oauth.token_requests[-1]
    assert sent["client_id"] == fake_x.oauth.client_id
    assert await LinkedIdentity.filter(user=alice, provider="x").exists()


async def test_alice_unlinks_x_from_her_profile(browser_for, alice, fake_x):
    alice_browser = await browser_for(alice)
    await through_x(alice_browser, fake_x)
    identity = await LinkedIdentity.get(user=alice)
    profile = BeautifulSoup((await alice_browser.get(f"/users/{alice.id}")).text, "html.parser")
    assert "X: @alice_sips" in profile.select_one("#linked-sign-in").text
    await alice_browser.post(f"/account/identities/{identity.id}/unlink")
    assert not await LinkedIdentity.exists()
    profile = BeautifulSoup((await alice_browser.get(f"/users/{alice.id}")).text, "html.parser")
    assert "@alice_sips is unlinked." in profile.select_one(".flash").text
    assert "@alice_sips" not in profile.select_one(".profile-head").text
