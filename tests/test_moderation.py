"""Moderation: Alice reports something, Sam sees it in the flag queue and hides it, the public loses it, Sam restores
it."""

from bs4 import BeautifulSoup

from ideaboard.comments import add_comment
from ideaboard.models import AuditEntry, Flag, Idea


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


async def test_a_spam_idea_is_reported_hidden_and_restored(browser_for, visitor, alice, bob, sam, make_idea):
    spam = await make_idea(bob, "Cheap watches at my website", "Visit now")
    alice_client = await browser_for(alice)
    page = soup(await alice_client.get(f"/ideas/{spam.id}"))
    assert page.select_one(f"form[action='/ideas/{spam.id}/report'] textarea[name=reason]")
    assert not soup(await visitor.get(f"/ideas/{spam.id}")).select("details.report")

    short = await alice_client.post(f"/ideas/{spam.id}/report", {"reason": "no"})
    assert short.status_code == 422
    assert "3 to 500 characters" in soup(short).select_one("#reason-error").text
    assert soup(short).select_one("#reason").text == "no"
    response = await alice_client.post(f"/ideas/{spam.id}/report", {"reason": "Advertising, not an idea"})
    assert response.status_code == 303
    assert "Thanks for the report" in soup(await alice_client.get(f"/ideas/{spam.id}")).select_one(".flash").text
    await alice_client.post(f"/ideas/{spam.id}/report", {"reason": "Still spam"})
    assert "already reported" in soup(await alice_client.get(f"/ideas/{spam.id}")).select_one(".flash-error").text
    assert await Flag.filter(idea_id=spam.id).count() == 1

    sam_client = await browser_for(sam)
    queue = soup(await sam_client.get("/staff/flags"))
    card = queue.select_one(".flag-card")
    assert "Alice Martin" in card.select_one(".meta").text
    assert card.select_one(".reason").text == "Advertising, not an idea"
    assert "Visit now" in card.select_one(".prose").text

    await sam_client.post(f"/staff/ideas/{spam.id}/hide")
    assert (await Idea.get(id=spam.id)).hidden
    flag = await Flag.get(idea_id=spam.id)
    assert (flag.resolution, flag.resolved_by_id) == ("hidden", sam.id)
    assert await AuditEntry.filter(action="idea.hide", target_id=spam.id, actor_id=sam.id).exists()
    assert not soup(await sam_client.get("/staff/flags")).select(".flag-card")

    assert (await visitor.get(f"/ideas/{spam.id}")).status_code == 404
    assert (await alice_client.get(f"/ideas/{spam.id}")).status_code == 404
    assert "Cheap watches" not in (await visitor.get("/")).text
    assert "Cheap watches" not in (await visitor.get("/search?q=watches")).text
    staff_view = soup(await sam_client.get(f"/ideas/{spam.id}"))
    assert staff_view.select_one(".badge-hidden").text == "Hidden from the public"

    await sam_client.post(f"/staff/ideas/{spam.id}/restore")
    assert (await visitor.get(f"/ideas/{spam.id}")).status_code == 200
    assert "Cheap watches" in (await visitor.get("/")).text
    assert await AuditEntry.filter(action="idea.restore", target_id=spam.id).exists()


async def test_a_rude_comment_is_hidden_and_the_count_stays_right(browser_for, visitor, alice, bob, sam, make_idea):
    idea = await make_idea(alice)
    rude = await add_comment(idea, bob, "You are all **idiots**")
    await add_comment(idea, alice, "Thanks for the support")
    alice_client = await browser_for(alice)
    await alice_client.post(f"/comments/{rude.id}/report", {"reason": "Insulting people"})
    assert await Flag.filter(comment_id=rude.id, resolved_at__isnull=True).count() == 1

    sam_client = await browser_for(sam)
    staff_page = soup(await sam_client.get(f"/staff/ideas/{idea.id}"))
    assert "Insulting people" in staff_page.select_one(".flag-row blockquote").text
    await sam_client.post(f"/staff/comments/{rude.id}/hide")
    page = soup(await visitor.get(f"/ideas/{idea.id}"))
    assert "idiots" not in page.text
    assert page.select_one("#comments h2").text == "1 comment"
    assert await AuditEntry.filter(action="comment.hide", target_id=rude.id).exists()

    await sam_client.post(f"/staff/comments/{rude.id}/hide")  # hiding twice changes no count
    assert (await Idea.get(id=idea.id)).comment_count == 1
    await sam_client.post(f"/staff/comments/{rude.id}/restore")
    page = soup(await visitor.get(f"/ideas/{idea.id}"))
    assert "idiots" in page.text and page.select_one("#comments h2").text == "2 comments"


async def test_dismissing_a_report_keeps_the_content(browser_for, visitor, alice, bob, sam, make_idea):
    idea = await make_idea(bob, "Bring back the pumpkin muffin")
    await (await browser_for(alice)).post(f"/ideas/{idea.id}/report", {"reason": "I just hate pumpkin"})
    flag = await Flag.get(idea_id=idea.id)
    sam_client = await browser_for(sam)
    await sam_client.post(f"/staff/flags/{flag.id}/dismiss")
    await flag.refresh_from_db()
    assert flag.resolution == "dismissed" and flag.resolved_at is not None
    assert (await visitor.get(f"/ideas/{idea.id}")).status_code == 200
    again = await sam_client.post(f"/staff/flags/{flag.id}/dismiss")
    assert again.status_code == 303
    assert await AuditEntry.filter(action="flag.dismiss").count() == 1


async def test_visitors_must_log_in_to_report(visitor, bob, make_idea):
    idea = await make_idea(bob)
    response = await visitor.get(f"/ideas/{idea.id}/report")
    assert response.status_code == 303 and response.headers["location"] == f"/login?next=/ideas/{idea.id}/report"
    response = await visitor.post(f"/ideas/{idea.id}/report", {"reason": "spam spam"})
    assert response.status_code == 303
    assert not await Flag.exists()


async def test_the_audit_log_filters_by_action_and_person(browser_for, alice, bob, sam, ada, make_idea):
    idea = await make_idea(alice)
    await (await browser_for(sam)).post(f"/staff/ideas/{idea.id}/hide")
    ada_client = await browser_for(ada)
    await ada_client.post(f"/staff/ideas/{idea.id}/status", {"to_status": "under_review", "version": "0"})
    page = soup(await ada_client.get("/staff/audit"))
    assert [td.text for td in page.select("tbody tr td:nth-of-type(3)")] == ["status.change", "idea.hide"]
    page = soup(await ada_client.get(f"/staff/audit?actor={sam.id}"))
    assert [td.text for td in page.select("tbody tr td:nth-of-type(2)")] == ["Sam Rivera"]
    page = soup(await ada_client.get("/staff/audit?action=status."))
    assert [td.text for td in page.select("tbody tr td:nth-of-type(3)")] == ["status.change"]
    assert not page.select("tbody form")  # read-only: nothing to edit or delete
