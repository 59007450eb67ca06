"""Admin user management: Ada finds mallory by name or email, bans her with a reason (her sessions end, her ideas stay
unless Ada asks), reactivates her; each step is in the audit log."""

from bs4 import BeautifulSoup

from ideaboard.accounts import create_user
from ideaboard.models import AuditEntry, Comment, Idea, Role, User
from tests.conftest import PASSWORD


def soup(response):
    return BeautifulSoup(response.text, "html.parser")


async def mallory_user():
    return await create_user("mallory@example.com", "Mallory Spam", PASSWORD, Role.CUSTOMER)


async def test_an_admin_finds_people_by_name_or_email(browser_for, ada, alice, bob):
    admin_browser = await browser_for(ada)
    by_name = soup(await admin_browser.get("/staff/admin/users", params={"q": "nguyen"}))
    assert [a.text for a in by_name.select("tbody td:first-child a")] == ["Bob Nguyen"]
    by_email = soup(await admin_browser.get("/staff/admin/users", params={"q": "ALICE@"}))
    assert [a.text for a in by_email.select("tbody td:first-child a")] == ["Alice Martin"]
    nobody = soup(await admin_browser.get("/staff/admin/users", params={"q": "zebra"}))
    assert "Nobody's name or email contains" in nobody.text


async def test_a_ban_logs_mallory_out_at_once_keeps_what_she_wrote_and_is_audited(browser_for, ada, alice, make_idea):
    mallory = await mallory_user()
    idea = await make_idea(mallory, "Free coffee forever please")
    mallory_browser = await browser_for(mallory)
    assert "Log out" in (await mallory_browser.get("/")).text
    admin_browser = await browser_for(ada)
    response = await admin_browser.post(f"/staff/admin/users/{mallory.id}/deactivate",
                                        {"kind": "ban", "reason": "Posting spam links", "q": "mallory"})
    assert response.headers["location"] == "/staff/admin/users?q=mallory"
    assert "Log out" not in (await mallory_browser.get("/")).text  # her existing session ended
    assert (await mallory_browser.post("/ideas/new", {"title": "Another spam idea"})).status_code == 303  # to login
    relogin = await mallory_browser.post("/login", {"email": "mallory@example.com", "password": PASSWORD})
    assert relogin.status_code == 422
    assert (await (await browser_for()).get(f"/ideas/{idea.id}")).status_code == 200  # nothing hidden unasked
    row = soup(await admin_browser.get("/staff/admin/users", params={"q": "mallory"})).select_one(f"#user-{mallory.id}")
    assert "(banned)" in row.text and "Posting spam links" in row.text
    entry = await AuditEntry.get(action="user.ban")
    assert (entry.actor_id, entry.target_id, entry.detail["reason"]) == (ada.id, mallory.id, "Posting spam links")


async def test_a_ban_can_also_hide_everything_she_wrote(browser_for, ada, alice, make_idea):
    mallory = await mallory_user()
    hers = await make_idea(mallory, "Buy cheap watches here")
    alices = await make_idea(alice, "Oat milk everywhere")
    mallory_browser = await browser_for(mallory)
    await mallory_browser.post(f"/ideas/{alices.id}/comments", {"body": "visit my shop"})
    admin_browser = await browser_for(ada)
    await admin_browser.post(f"/staff/admin/users/{mallory.id}/deactivate",
                             {"kind": "ban", "reason": "Spam", "hide_content": "1"})
    assert (await Idea.get(id=hers.id)).hidden
    assert await Comment.filter(author_id=mallory.id, hidden=False).count() == 0
    assert (await Idea.get(id=alices.id)).comment_count == 0  # the visible count follows
    assert (await AuditEntry.get(action="user.ban")).detail["hidden"] == 2


async def test_a_reason_is_required_and_an_admin_cannot_deactivate_herself(browser_for, ada, bob):
    admin_browser = await browser_for(ada)
    response = await admin_browser.post(f"/staff/admin/users/{bob.id}/deactivate", {"kind": "deactivate",
                                                                                    "reason": "  "})
    assert response.status_code == 422
    assert "Say why" in soup(response).select_one(f"#reason-{bob.id}-error").text
    assert (await User.get(id=bob.id)).is_active
    await admin_browser.post(f"/staff/admin/users/{ada.id}/deactivate", {"reason": "testing"})
    assert (await User.get(id=ada.id)).is_active
    assert "cannot deactivate your own account" in soup(await admin_browser.get("/staff/admin/users")).text


async def test_reactivation_lets_the_person_log_in_again_and_is_audited(browser_for, ada, bob):
    admin_browser = await browser_for(ada)
    await admin_browser.post(f"/staff/admin/users/{bob.id}/deactivate", {"reason": "Asked to pause his account"})
    assert not (await User.get(id=bob.id)).is_active
    await admin_browser.post(f"/staff/admin/users/{bob.id}/reactivate")
    again = await User.get(id=bob.id)
    assert again.is_active and not again.banned and again.deactivation_reason == ""
    await (await browser_for()).login(bob.email)
    actions = [e.action for e in await AuditEntry.all().order_by("id")]
    assert actions == ["user.deactivate", "user.reactivate"]


async def test_staff_who_are_not_admins_cannot_deactivate_anyone(browser_for, sam, bob):
    staff_browser = await browser_for(sam)
    response = await staff_browser.post(f"/staff/admin/users/{bob.id}/deactivate", {"reason": "because"})
    assert response.status_code == 403
    assert (await User.get(id=bob.id)).is_active
