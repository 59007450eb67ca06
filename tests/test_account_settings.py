"""/settings: Alice manages her own account: name, email, password, her data, and deleting it all."""

import json

from bs4 import BeautifulSoup

from ideaboard.comments import add_comment
from ideaboard.follows import set_following
from ideaboard.models import Comment, Follow, Idea, Role, User, Vote
from ideaboard.votes import cast_vote
from tests.conftest import PASSWORD
from tests.mailbox import last_link_to, outbox, text_of


async def test_settings_need_a_login(visitor):
    response = await visitor.get("/settings")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/settings"


async def test_the_page_has_every_section_with_her_notification_choices(browser_for, alice):
    page = BeautifulSoup((await (await browser_for(alice)).get("/settings")).text, "html.parser")
    headings = [h.text for h in page.select(".settings-section h2")]
    assert headings == ["Display name", "Appearance", "Email address", "Password", "Notifications",
                        "Where you are logged in", "API tokens", "Your data", "Delete my account"]
    assert page.select_one("#notifications form")["action"] == "/settings/notifications"
    assert page.select_one("#name")["value"] == "Alice Martin"
    assert page.select_one(".current-email").text == "alice@example.com"


async def test_alice_changes_her_display_name_and_a_blank_one_is_refused(browser_for, alice):
    client = await browser_for(alice)
    assert (await client.post("/settings/name", {"name": "Alice M."})).status_code == 303
    assert (await User.get(id=alice.id)).name == "Alice M."
    response = await client.post("/settings/name", {"name": "   "})
    assert response.status_code == 422 and "Enter the name" in response.text


async def test_an_email_change_waits_for_the_new_address_and_tells_the_old_one(browser_for, alice, settings):
    client = await browser_for(alice)
    wrong = await client.post("/settings/email", {"new_email": "alice@new.example", "email_password": "guess guess"})
    assert wrong.status_code == 422 and "not your current password" in wrong.text
    response = await client.post("/settings/email", {"new_email": "alice@new.example", "email_password": PASSWORD})
    assert response.status_code == 303
    assert (await User.get(id=alice.id)).email == "alice@example.com"  # nothing changes before the link
    link = last_link_to(settings, "alice@new.example")
    assert (await client.get(link)).status_code == 303
    alice_now = await User.get(id=alice.id)
    assert alice_now.email == "alice@new.example" and alice_now.email_verified_at is not None
    [notice] = [m for m in outbox(settings) if m["To"] == "alice@example.com"]
    assert "was changed" in notice["Subject"] and "alice@new.example" in text_of(notice)
    assert (await client.get(link)).status_code == 400  # the link worked once


async def test_an_email_change_to_a_taken_address_answers_the_same_and_sends_nothing(browser_for, alice, bob,
                                                                                   settings):
    client = await browser_for(alice)
    response = await client.post("/settings/email", {"new_email": "bob@example.com", "email_password": PASSWORD})
    assert response.status_code == 303 and "We sent a link to bob@example.com" in (await client.get("/settings")).text
    assert outbox(settings) == []


async def test_an_employee_who_moves_to_a_personal_address_is_no_longer_an_employee(browser_for, erin, settings):
    client = await browser_for(erin)
    await client.post("/settings/email", {"new_email": "erin@gmail.example", "email_password": PASSWORD})
    await client.get(last_link_to(settings, "erin@gmail.example"))
    assert (await User.get(id=erin.id)).role == Role.CUSTOMER
    assert (await client.get("/internal")).status_code == 404


async def test_changing_the_password_asks_for_the_current_one(browser_for, alice):
    client = await browser_for(alice)
    response = await client.post("/settings/password", {"current_password": "guess guess",
                                                        "new_password": "a brand new passphrase"})
    assert response.status_code == 422 and "not your current password" in response.text
    response = await client.post("/settings/password", {"current_password": PASSWORD, "new_password": "short"})
    assert response.status_code == 422 and "10 characters" in response.text


async def test_alice_downloads_everything_stored_about_her(browser_for, alice, bob, make_idea, sam):
    idea = await make_idea(alice, "Save my usual order")
    other = await make_idea(bob, "Oat milk at no extra charge")
    await cast_vote(other.id, alice, 1)
    await add_comment(other, alice, "Yes, oat please")
    await set_following(alice, other, True)
    response = await (await browser_for(alice)).get("/settings/export")
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith("attachment;")
    data = json.loads(response.text)
    assert data["profile"]["email"] == "alice@example.com" and data["profile"]["name"] == "Alice Martin"
    assert data["profile"]["last_locale"] == "en"  # what her emails speak while she has not chosen a language
    assert [i["title"] for i in data["ideas"]] == ["Save my usual order"] and data["ideas"][0]["id"] == idea.id
    assert [c["body"] for c in data["comments"]] == ["Yes, oat please"]
    assert data["votes"] == [{"idea_id": other.id, "value": 1, "created_at": data["votes"][0]["created_at"]}]
    assert sorted(f["idea_id"] for f in data["follows"]) == [idea.id, other.id]  # her own idea she follows by default
    assert data["notifications"] == []
    assert "password" not in response.text


async def test_deleting_the_account_erases_alice_but_keeps_the_conversation(browser_for, visitor, alice, bob,
                                                                            make_idea):
    idea = await make_idea(alice, "Save my usual order")
    other = await make_idea(bob, "Oat milk at no extra charge")
    await cast_vote(other.id, alice, 1)
    await add_comment(other, alice, "Yes, oat please")
    await set_following(alice, other, True)
    client = await browser_for(alice)
    wrong = await client.post("/settings/delete", {"delete_password": "guess guess"})
    assert wrong.status_code == 422 and await User.filter(email="alice@example.com").exists()

    response = await client.post("/settings/delete", {"delete_password": PASSWORD})
    assert response.status_code == 303 and "Log out" not in (await client.get("/")).text
    assert not await User.filter(email="alice@example.com").exists()
    gone = await User.get(id=alice.id)
    assert gone.name == "Former member" and not gone.is_active and "alice" not in gone.email
    assert (await Idea.get(id=idea.id)).author_id == alice.id  # the idea stays, signed Former member
    page = (await visitor.get(f"/ideas/{other.id}")).text
    assert "Yes, oat please" in page and "Former member" in page and "Alice" not in page
    assert (await Idea.get(id=other.id)).upvotes == 1  # her vote still counts...
    assert await Vote.filter(idea_id=other.id, user_id=None).count() == 1  # ...but is nobody's
    assert await Follow.filter(user_id=alice.id).count() == 0
    assert await Comment.filter(author_id=alice.id).count() == 1
    assert (await visitor.get(f"/users/{alice.id}")).status_code == 404
    failed = await visitor.post("/login", {"email": "alice@example.com", "password": PASSWORD})
    assert failed.status_code == 422
    await visitor.post("/signup", {"name": "Alice Again", "email": "alice@example.com", "password": PASSWORD})
    assert await User.filter(email="alice@example.com", is_active=True).exists()  # the address is free again
