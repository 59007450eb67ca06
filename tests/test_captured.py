"""Feedback captured for customers: Sam hears on a sales call that Carol's company wants oat milk, records it for her
(a new, unclaimed account), the vote counts, Carol is told and takes it back; staff see reach in people, companies
and revenue, and nobody else ever sees who recorded what."""

from bs4 import BeautifulSoup

from ideaboard.models import AuditEntry, CapturedFeedback, Idea, Notification, User, Vote
from tests.conftest import PASSWORD


def soup(response):
    return BeautifulSoup(response.text, "html.parser")


CAROL = {"email": "Carol@Bigco.example", "name": "Carol Diaz", "source": "sales call", "note": "Needs it for 40 stores",
         "vote": "1", "company": "BigCo", "segment": "Enterprise", "revenue": "2,500,000"}


async def test_sam_records_carols_vote_from_a_sales_call(browser_for, sam, alice, make_idea):
    idea = await make_idea(alice, "Oat milk at every store")
    staff = await browser_for(sam)
    response = await staff.post(f"/staff/ideas/{idea.id}/feedback", CAROL)
    assert response.status_code == 303 and response.headers["location"].endswith("#feedback")
    carol = await User.get(email="carol@bigco.example")
    assert carol.password_hash == "" and carol.email_verified_at is None  # unclaimed until she resets it
    assert (await Idea.get(id=idea.id)).score == 1
    page = soup(await staff.get(f"/staff/ideas/{idea.id}"))
    feedback = page.select_one("#feedback")
    assert "1 supporter · 1 company · 2,500,000 annual revenue represented" in " ".join(feedback.text.split())
    assert "Carol Diaz" in feedback.text and "recorded by Sam Rivera" in feedback.text
    assert "Needs it for 40 stores" in feedback.text
    note = await Notification.get(user_id=carol.id)
    assert "Sam Rivera recorded your vote and feedback" in note.message and "(sales call)" in note.message
    assert (await AuditEntry.get(action="feedback.capture")).detail["source"] == "sales call"


async def test_carol_claims_her_account_and_takes_it_back(browser_for, sam, alice, make_idea, app):
    idea = await make_idea(alice, "Oat milk at every store")
    await (await browser_for(sam)).post(f"/staff/ideas/{idea.id}/feedback", CAROL)
    carol = await User.get(email="carol@bigco.example")
    from ideaboard.accounts import set_password
    await set_password(carol, PASSWORD)  # what "Forgot your password?" at her address does
    carols = await browser_for(carol)
    page = soup(await carols.get(f"/ideas/{idea.id}"))
    notice = page.select_one(".captured-feedback")
    assert "Sam Rivera recorded your vote and feedback here (sales call" in " ".join(notice.text.split())
    feedback = await CapturedFeedback.get(customer_id=carol.id)
    assert (await carols.post(f"/feedback/{feedback.id}/withdraw")).status_code == 303
    assert (await Idea.get(id=idea.id)).score == 0 and not await Vote.filter(user_id=carol.id).exists()
    assert (await CapturedFeedback.get(id=feedback.id)).withdrawn_at is not None
    assert not soup(await carols.get(f"/ideas/{idea.id}")).select(".captured-feedback")
    staff_page = soup(await (await browser_for(sam)).get(f"/staff/ideas/{idea.id}"))
    assert "withdrawn by the customer" in staff_page.select_one("#feedback").text
    assert (await carols.post(f"/feedback/{feedback.id}/withdraw")).status_code == 303  # twice: nothing more


async def test_an_existing_member_keeps_her_account_and_feedback_without_a_vote(browser_for, sam, alice, bob,
                                                                                make_idea):
    idea = await make_idea(alice, "Oat milk at every store")
    staff = await browser_for(sam)
    await staff.post(f"/staff/ideas/{idea.id}/feedback",
                     {"email": "bob@example.com", "source": "ticket #123", "note": "asked again"})
    assert (await Idea.get(id=idea.id)).score == 0 and await User.filter(email="bob@example.com").count() == 1
    assert "Sam Rivera recorded your feedback" in (await Notification.get(user_id=bob.id)).message


async def test_nobody_else_sees_the_record_or_can_withdraw_it(browser_for, visitor, sam, alice, bob, make_idea):
    idea = await make_idea(alice, "Oat milk at every store")
    await (await browser_for(sam)).post(f"/staff/ideas/{idea.id}/feedback", {**CAROL, "email": "bob@example.com"})
    feedback = await CapturedFeedback.get()
    alices = await browser_for(alice)
    for page in (await alices.get(f"/ideas/{idea.id}"), await visitor.get(f"/ideas/{idea.id}")):
        assert "recorded" not in page.text and "sales call" not in page.text
    assert (await alices.post(f"/feedback/{feedback.id}/withdraw")).status_code == 404
    assert (await alices.post(f"/staff/ideas/{idea.id}/feedback", CAROL)).status_code == 403
    assert (await Idea.get(id=idea.id)).score == 1


async def test_bad_capture_forms_say_what_to_fix_and_keep_what_was_typed(browser_for, sam, alice, make_idea):
    idea = await make_idea(alice, "Oat milk at every store")
    staff = await browser_for(sam)
    response = await staff.post(f"/staff/ideas/{idea.id}/feedback",
                                {"email": "not-an-email", "source": "", "note": "keep me", "revenue": "lots"})
    assert response.status_code == 422
    form = soup(response).select_one("#feedback form")
    assert "Enter a valid email address" in form.text and "Say where you heard it" in form.text
    assert "Annual revenue is a whole number" in form.text and form.select_one("textarea").text == "keep me"
    teammate = await staff.post(f"/staff/ideas/{idea.id}/feedback", {**CAROL, "email": sam.email})
    assert teammate.status_code == 422 and "belongs to the team" in teammate.text
    assert not await CapturedFeedback.exists()


async def test_the_queue_shows_reach_and_sorts_by_the_revenue_behind_ideas(browser_for, sam, alice, bob, make_idea):
    popular = await make_idea(alice, "Popular with individuals")
    enterprise = await make_idea(alice, "Wanted by two big companies")
    small = await make_idea(alice, "Wanted by a small shop")
    staff = await browser_for(sam)
    for email in ("dana@a.example", "eve@b.example", "finn@b.example"):
        await staff.post(f"/staff/ideas/{popular.id}/feedback", {"email": email, "source": "call", "vote": "1"})
    for email, company, revenue in (("gus@big.example", "Big", "900000"), ("hal@huge.example", "Huge", "5000000"),
                                    ("ivy@huge.example", "Huge", "")):
        await staff.post(f"/staff/ideas/{enterprise.id}/feedback",
                         {"email": email, "source": "call", "vote": "1", "company": company, "revenue": revenue})
    await staff.post(f"/staff/ideas/{small.id}/feedback",
                     {"email": "jo@shop.example", "source": "call", "vote": "1", "company": "Shop", "revenue": "1000"})
    by_score = soup(await staff.get("/staff/", params={"sort": "score"}))
    assert [r["id"] for r in by_score.select("tbody tr")][-1] == f"queue-idea-{small.id}"  # 1 vote against 3
    by_revenue = soup(await staff.get("/staff/", params={"sort": "revenue"}))
    assert [r["id"] for r in by_revenue.select("tbody tr")] == [f"queue-idea-{i.id}" for i in (enterprise, small,
                                                                                               popular)]
    reach = by_revenue.select_one(f"#queue-idea-{enterprise.id} .q-reach").text
    assert "3 people" in reach and "2 companies · 5,900,000" in reach  # Huge counted once, with its revenue
