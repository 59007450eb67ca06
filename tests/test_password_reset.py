"""Forgotten passwords: Alice gets a single-use link valid for an hour; asking tells nobody whether an account
exists."""

from unittest import mock

import httpx
from bs4 import BeautifulSoup

from ideaboard.models import Role, User
from tests.conftest import PASSWORD, Browserless
from tests.mailbox import last_link_to, outbox

NEW_PASSWORD = "a brand new passphrase"


async def test_the_login_page_offers_a_reset_and_the_answer_is_the_same_for_any_address(visitor, alice, settings):
    login = BeautifulSoup((await visitor.get("/login")).text, "html.parser")
    assert login.select_one("a[href='/forgot']").text == "Forgot your password?"
    known = await visitor.post("/forgot", {"email": "alice@example.com"})
    unknown = await visitor.post("/forgot", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("alice@example.com", "X") == unknown.text.replace("nobody@example.com", "X")
    assert [m["To"] for m in outbox(settings)] == ["alice@example.com"]  # only a real account gets an email
    assert "/password-reset/" in last_link_to(settings, "alice@example.com")


async def test_a_reset_sets_the_new_password_works_once_and_ends_every_other_session(browser_for, visitor, alice,
                                                                                   settings):
    laptop = await browser_for(alice)  # Alice is still logged in on her laptop
    await visitor.post("/forgot", {"email": "alice@example.com"})
    link = last_link_to(settings, "alice@example.com")
    form = await visitor.get(link)
    assert form.status_code == 200 and form.headers["referrer-policy"] == "same-origin"

    short = await visitor.post(link, {"password": "short"})
    assert short.status_code == 422 and "10 characters" in short.text

    response = await visitor.post(link, {"password": NEW_PASSWORD})
    assert response.status_code == 303
    assert "Alice Martin" in (await visitor.get("/")).text  # logged in here, with a fresh session
    assert "Log out" not in (await laptop.get("/")).text  # the laptop's session ended
    await visitor.post("/logout")
    await visitor.login("alice@example.com", NEW_PASSWORD)
    old = await visitor.post("/login", {"email": "alice@example.com", "password": PASSWORD})
    assert old.status_code == 422

    reused = await visitor.get(link)
    assert reused.status_code == 400 and "already used" in reused.text and "/forgot" in reused.text
    assert (await visitor.post(link, {"password": "yet another passphrase"})).status_code == 400


async def test_a_reset_link_expires_after_an_hour(visitor, alice, settings):
    await visitor.post("/forgot", {"email": "alice@example.com"})
    link = last_link_to(settings, "alice@example.com")
    later = __import__("time").time() + 3601
    with mock.patch("itsdangerous.timed.time.time", return_value=later):
        response = await visitor.get(link)
    assert response.status_code == 400 and "expired" in response.text


async def test_a_reset_proves_the_mailbox_so_it_confirms_a_company_address(app, visitor, settings):
    await visitor.post("/signup", {"name": "Erin Cho", "email": "erin@brewline.example", "password": PASSWORD})
    await visitor.post("/forgot", {"email": "erin@brewline.example"})
    await visitor.post(last_link_to(settings, "erin@brewline.example"), {"password": NEW_PASSWORD})
    erin = await User.get(email="erin@brewline.example")
    assert erin.email_verified_at is not None and erin.role == Role.EMPLOYEE


async def test_a_copied_cookie_of_the_old_session_is_logged_out_after_a_reset(app, browser_for, visitor, alice,
                                                                             settings):
    thief_copy = (await browser_for(alice)).http.cookies.get("ideaboard_session")
    await visitor.post("/forgot", {"email": "alice@example.com"})
    await visitor.post(last_link_to(settings, "alice@example.com"), {"password": NEW_PASSWORD})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                 cookies={"ideaboard_session": thief_copy}) as http:
        assert "Log out" not in (await Browserless(http).get("/")).text
