"""Suspending a member: Ada suspends Mallory from the people page with a reason and a last day. Mallory is logged out
at once, can log in again and read, but every write (idea, vote, comment, follow, report; HTML and API) is refused
with "Your account is suspended until …: reason"; Ada lifts it, or it lapses by itself; each step is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from bs4 import BeautifulSoup

from ideaboard import api_keys, suspensions
from ideaboard.accounts import create_user
from ideaboard.models import AuditEntry, Comment, Follow, Idea, Role, Session, Suspension, Vote
from ideaboard.urls import urls
from tests.conftest import PASSWORD


async def _mallory():
    return await create_user("mallory@example.com", "Mallory Spam", PASSWORD, Role.CUSTOMER)


def _day(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


async def test_a_suspended_member_reads_but_every_html_write_says_why_and_until_when(browser_for, ada, alice,
                                                                                     make_idea):
    mallory = await _mallory()
    idea = await make_idea(alice, "Oat milk in every store")
    mallory_browser = await browser_for(mallory)
    assert "Log out" in (await mallory_browser.get("/")).text
    last_day = _day(7)
    admin_browser = await browser_for(ada)
    done = await admin_browser.post(urls.admin_user_suspend(mallory.id), {"reason": "Posting spam links",
                                                                          "until": last_day, "q": "mallory"})
    assert done.status_code == 303 and done.headers["location"] == "/staff/admin/users?q=mallory"
    assert await Session.filter(user_id=mallory.id).count() == 0
    assert "Log out" not in (await mallory_browser.get("/")).text  # her session ended at ban time
    assert (await mallory_browser.login("mallory@example.com")).status_code == 303  # she may log in and read
    assert (await mallory_browser.get(f"/ideas/{idea.id}")).status_code == 200

    until = datetime.fromisoformat(last_day).strftime("%-d %B %Y")
    said = f"Your account is suspended until {until}: Posting spam links"
    posted = await mallory_browser.post("/ideas/new", {"title": "Cheap watches for everyone", "body": "buy"})
    assert posted.status_code == 403 and said in posted.text
    commented = await mallory_browser.post(f"/ideas/{idea.id}/comments", {"body": "visit my shop"})
    assert commented.status_code == 409 and said in commented.text
    voted = await mallory_browser.post(f"/ideas/{idea.id}/vote", {"value": "up"}, htmx=True)
    assert said in voted.text
    followed = await mallory_browser.post(f"/ideas/{idea.id}/follow", {"follow": "1"})
    assert followed.status_code == 403 and said in followed.text
    await mallory_browser.post(f"/ideas/{idea.id}/report", {"reason": "I dislike it"})
    assert not await Idea.filter(author_id=mallory.id).exists()
    assert not await Comment.filter(author_id=mallory.id).exists()
    assert not await Vote.filter(user_id=mallory.id).exists()
    assert not await Follow.filter(user_id=mallory.id).exists()

    row = BeautifulSoup((await admin_browser.get("/staff/admin/users", params={"q": "mallory"})).text,
                        "html.parser").select_one(f"#user-{mallory.id}")
    assert f"Suspended until {until}: Posting spam links" in row.text
    entry = await AuditEntry.get(action="user.suspend")
    assert (entry.actor_id, entry.target_id, entry.detail["reason"]) == (ada.id, mallory.id, "Posting spam links")

    await admin_browser.post(urls.admin_user_unsuspend(mallory.id), {"q": "mallory"})
    assert (await mallory_browser.post(f"/ideas/{idea.id}/vote", {"value": "up"})).status_code == 303
    assert await Vote.filter(user_id=mallory.id, idea_id=idea.id, value=1).exists()
    assert await AuditEntry.filter(action="user.unsuspend", target_id=mallory.id).exists()


async def test_the_api_answers_a_suspended_member_with_a_403_problem(app, ada, alice, make_idea):
    mallory = await _mallory()
    idea = await make_idea(alice, "Oat milk in every store")
    token = (await api_keys.create_key(ada, mallory, "Mallory's script", ("read", "write"))).token
    await suspensions.suspend(ada, mallory, "Abusive comments")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                 headers={"Authorization": f"Bearer {token}"}) as api:
        assert (await api.get(urls.api_idea(idea.id))).status_code == 200  # reading still works
        for method, path, body in (("POST", urls.api_ideas(), {"title": "Spam spam spam", "body": ""}),
                                   ("POST", f"{urls.api_idea(idea.id)}/comments", {"body": "spam"}),
                                   ("PUT", f"{urls.api_idea(idea.id)}/vote", {"value": 1})):
            refused = await api.request(method, path, json=body)
            assert refused.status_code == 403, (path, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["code"] == "suspended"
            assert refused.json()["detail"] == "Your account is suspended until further notice: Abusive comments"


async def test_a_suspension_lapses_by_itself_and_staff_cannot_be_suspended(ada, sam, alice):
    mallory = await _mallory()
    now = datetime.now(UTC)
    await suspensions.suspend(ada, mallory, "Cool off", _day(1))
    assert await suspensions.current(mallory.id, now) is not None
    assert await suspensions.current(mallory.id, now + timedelta(days=3)) is None  # ended: nothing to lift
    await suspensions.ensure_may_write(mallory, now + timedelta(days=3))
    try:
        await suspensions.suspend(ada, sam, "Testing")
    except suspensions.NotAllowed as exc:
        assert "Team members cannot be suspended" in str(exc)
    assert not await Suspension.filter(user_id=sam.id).exists()


async def test_bad_suspension_forms_keep_what_was_typed(browser_for, ada, bob):
    admin_browser = await browser_for(ada)
    short = await admin_browser.post(urls.admin_user_suspend(bob.id), {"reason": "x", "until": _day(3)})
    assert short.status_code == 422 and "Tell the member why" in short.text
    past = await admin_browser.post(urls.admin_user_suspend(bob.id), {"reason": "Spam links", "until": "2001-01-01"})
    assert past.status_code == 422 and "today or later" in past.text
    junk = await admin_browser.post(urls.admin_user_suspend(bob.id), {"reason": "Spam links", "until": "soon"})
    assert junk.status_code == 422 and "as a date" in junk.text
    assert not await Suspension.filter(user_id=bob.id).exists()
