"""Sessions that end: a stolen copy of Alice's cookie stops working the moment she logs out, changes her password,
logs out everywhere, or an admin deactivates her."""

import time
from datetime import UTC, datetime

import httpx

from ideaboard.auth import SESSION_SECONDS
from ideaboard.models import Idea, Role, Session, Space, User, Vote
from ideaboard.session_cookie import RememberingSigner
from tests.conftest import PASSWORD, Browserless


async def _replay(app, cookie: str) -> Browserless:
    """Mallory's browser with a copy of someone's ideaboard_session cookie."""
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                             cookies={"ideaboard_session": cookie})
    return Browserless(http)


async def _logged_in(client: Browserless) -> bool:
    return "Log out" in (await client.get("/")).text


async def test_a_copied_cookie_replayed_after_logout_is_logged_out(app, browser_for, alice):
    client = await browser_for(alice)
    copy = client.http.cookies.get("ideaboard_session")
    thief = await _replay(app, copy)
    assert await _logged_in(thief)
    await client.post("/logout")
    assert not await _logged_in(thief)
    assert (await thief.get("/settings")).status_code == 303
    await thief.http.aclose()


async def test_logout_ends_only_this_browser(app, browser_for, alice):
    laptop, phone = await browser_for(alice), await browser_for(alice)
    await laptop.post("/logout")
    assert not await _logged_in(laptop) and await _logged_in(phone)


async def test_log_out_everywhere_ends_every_session_this_one_included(app, browser_for, alice):
    laptop, phone = await browser_for(alice), await browser_for(alice)
    settings_page = (await laptop.get("/settings")).text
    assert "also logged in on 1 other device" in settings_page
    response = await laptop.post("/settings/logout-everywhere")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert not await _logged_in(laptop) and not await _logged_in(phone)
    assert await Session.filter(user_id=alice.id).count() == 0


async def test_changing_the_password_keeps_this_session_and_ends_the_others(app, browser_for, alice):
    laptop, phone = await browser_for(alice), await browser_for(alice)
    response = await laptop.post("/settings/password", {"current_password": PASSWORD,
                                                        "new_password": "a brand new passphrase"})
    assert response.status_code == 303
    assert await _logged_in(laptop) and not await _logged_in(phone)


async def test_deactivation_and_role_changes_apply_on_the_next_request(app, browser_for, alice, erin):
    client = await browser_for(erin)
    assert (await client.get("/internal")).status_code == 200
    await User.filter(id=erin.id).update(role=Role.CUSTOMER)  # an admin demotes her
    assert (await client.get("/internal")).status_code == 404
    other = await browser_for(alice)
    await User.filter(id=alice.id).update(is_active=False)  # an admin deactivates Alice
    assert not await _logged_in(other)


async def test_a_session_expires_server_side_even_if_the_cookie_is_kept(app, browser_for, alice):
    client = await browser_for(alice)
    await Session.filter(user_id=alice.id).update(expires=0)
    assert not await _logged_in(client)


async def test_the_database_keeps_only_a_hash_of_the_session_token(app, browser_for, alice):
    client = await browser_for(alice)
    cookie = client.http.cookies.get("ideaboard_session")
    [row] = await Session.filter(user_id=alice.id)
    assert len(row.id) == 64 and row.id not in cookie



async def _vote_without_a_page_first(client: Browserless, idea_id: int, token: str, value: str) -> httpx.Response:
    """A vote as a board open since before the change sends it: no page load that would read the user afresh."""
    return await client.http.post(f"/ideas/{idea_id}/vote", data={"value": value, "csrf_token": token})


async def test_a_vote_from_a_session_ended_by_another_process_counts_nothing(app, browser_for, alice, bob, make_idea):
    """A vote starts from the user this process read for the session lately; the write itself checks the session."""
    idea = await make_idea(alice)
    phone = await browser_for(bob)
    token = await phone.csrf()
    assert (await _vote_without_a_page_first(phone, idea.id, token, "up")).status_code == 303
    await Session.filter(user_id=bob.id).delete()  # "log out everywhere" served by another web process
    response = await _vote_without_a_page_first(phone, idea.id, token, "down")
    assert response.status_code == 303 and response.headers["location"] == f"/login?next=/ideas/{idea.id}"
    assert (await Vote.get(idea_id=idea.id, user_id=bob.id)).value == 1
    assert (await Idea.get(id=idea.id)).score == 1
    assert not await _logged_in(phone)


async def test_a_member_demoted_in_another_process_cannot_vote_on_internal_ideas(browser_for, alice, erin,
                                                                                 make_idea):
    idea = await make_idea(erin, space=Space.INTERNAL)
    client = await browser_for(erin)
    token = await client.csrf()
    await User.filter(id=erin.id).update(role=Role.CUSTOMER)
    assert (await _vote_without_a_page_first(client, idea.id, token, "up")).status_code == 404
    assert (await Idea.get(id=idea.id)).score == 0


async def test_a_vote_right_after_verifying_counts_though_the_process_last_saw_no_address(browser_for, alice, bob,
                                                                                          make_idea):
    idea = await make_idea(alice)
    await User.filter(id=bob.id).update(email_verified_at=None)
    client = await browser_for(bob)
    token = await client.csrf()  # this process reads Bob unverified
    await User.filter(id=bob.id).update(email_verified_at=datetime.now(UTC))  # he follows the link (elsewhere)
    assert (await _vote_without_a_page_first(client, idea.id, token, "up")).status_code == 303
    assert (await Idea.get(id=idea.id)).score == 1


async def test_only_a_changed_session_sends_a_cookie(browser_for, bob, alice, make_idea):
    """The cookie is written when the session changes (login, its CSRF token, logout), not on every page or vote."""
    idea = await make_idea(alice)
    client = await browser_for()
    assert "set-cookie" in (await client.login(bob.email)).headers
    assert "set-cookie" in (await client.get("/")).headers  # the first page gives the session its CSRF token
    assert "set-cookie" not in (await client.get("/")).headers
    response = await client.post(f"/ideas/{idea.id}/vote", {"value": "up"})
    assert response.status_code == 303 and "set-cookie" not in response.headers
    assert (await Idea.get(id=idea.id)).score == 1
    assert "set-cookie" in (await client.post("/logout")).headers


async def test_a_cookie_this_process_verified_before_still_expires(app, browser_for, alice, monkeypatch):
    """The cookie's own age limit holds even when the server-side session would live on (and was seen lately)."""
    client = await browser_for(alice)
    cookie = client.http.cookies.get("ideaboard_session")
    assert await _logged_in(client)  # verified and remembered
    await Session.filter(user_id=alice.id).update(expires=int(time.time()) + 10 * SESSION_SECONDS)
    later = int(time.time()) + SESSION_SECONDS + 1
    monkeypatch.setattr(RememberingSigner, "get_timestamp", lambda self: later)
    thief = await _replay(app, cookie)
    assert not await _logged_in(thief)
    assert not await _logged_in(client)
    await thief.http.aclose()


async def test_a_cookie_with_a_changed_signature_is_refused_though_the_real_one_was_seen(app, browser_for, alice):
    client = await browser_for(alice)
    cookie = client.http.cookies.get("ideaboard_session")
    assert await _logged_in(client)
    forged = cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB")
    thief = await _replay(app, forged)
    assert not await _logged_in(thief)
    await thief.http.aclose()
