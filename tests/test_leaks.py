"""Nothing internal or hidden reaches people who may not see it: not through X, a merge notice, or the bell."""

from bs4 import BeautifulSoup

from ideaboard.follows import set_following
from ideaboard.merge import merge_ideas
from ideaboard.models import AuditEntry, Idea, Role, Space, Status, User
from ideaboard.moderation import set_idea_hidden
from ideaboard.workflow import transition


async def test_an_internal_idea_cannot_be_shared_on_x(browser_for, sam, erin, make_idea):
    idea = await make_idea(erin, "Secret loyalty revamp for 2027", space=Space.INTERNAL)
    await Idea.filter(id=idea.id).update(status=Status.LAUNCHED)
    client = await browser_for(sam)
    page = await client.get(f"/staff/ideas/{idea.id}/share")
    assert page.status_code == 409 and "Internal ideas are for employees only" in page.text
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.select_one("#post-text") is None and soup.select_one("#intent-link") is None
    response = await client.post(f"/staff/ideas/{idea.id}/share", {"text": f"Shipped: {idea.title}"})
    assert response.status_code == 409 and "Internal ideas" in response.text
    assert not await AuditEntry.filter(action="idea.share_x").exists()
    assert (await Idea.get(id=idea.id)).x_post_id is None


async def test_a_hidden_idea_cannot_be_shared_on_x_either(browser_for, sam, alice, make_idea):
    idea = await make_idea(alice, "Launched but hidden for abuse")
    await Idea.filter(id=idea.id).update(status=Status.LAUNCHED, hidden=True)
    page = await (await browser_for(sam)).get(f"/staff/ideas/{idea.id}/share")
    assert page.status_code == 409 and "Hidden ideas cannot be announced" in page.text


async def test_merging_into_a_hidden_idea_does_not_show_its_title_on_the_public_page(visitor, browser_for, alice,
                                                                                      bob, sam, make_idea):
    target = await make_idea(alice, "Moderated title nobody should read")
    duplicate = await make_idea(bob, "Dark mode please")
    await set_idea_hidden(sam, target, True)
    await merge_ideas(duplicate, target, sam)
    page = await visitor.get(f"/ideas/{duplicate.id}")
    assert page.status_code == 200 and "merged into another idea" in page.text
    assert "Moderated title" not in page.text and f'href="/ideas/{target.id}"' not in page.text
    staff_page = await (await browser_for(sam)).get(f"/ideas/{duplicate.id}")
    assert "Moderated title nobody should read" in staff_page.text  # the team still sees where it went


async def test_hiding_the_original_after_a_merge_takes_its_title_off_the_duplicate(browser_for, alice, bob, sam,
                                                                                    make_idea):
    target = await make_idea(alice, "Original that gets moderated later")
    duplicate = await make_idea(bob, "Dark mode please")
    await merge_ideas(duplicate, target, sam)
    client = await browser_for(bob)  # signed in: no page cache in between
    assert "Original that gets moderated later" in (await client.get(f"/ideas/{duplicate.id}")).text
    await set_idea_hidden(sam, await Idea.get(id=target.id), True)
    assert "Original that gets moderated later" not in (await client.get(f"/ideas/{duplicate.id}")).text


async def test_a_hidden_duplicate_is_not_named_on_the_public_original(visitor, alice, bob, sam, make_idea):
    target = await make_idea(alice, "Dark mode for the app")
    duplicate = await make_idea(bob, "Spammy duplicate title")
    await merge_ideas(duplicate, target, sam)
    await set_idea_hidden(sam, await Idea.get(id=duplicate.id), True)
    page = await visitor.get(f"/ideas/{target.id}")
    assert "Spammy duplicate title" not in page.text and "Another idea was merged into this idea" in page.text


async def test_a_demoted_employee_keeps_no_internal_titles_in_the_bell(browser_for, erin, sam, make_idea):
    idea = await make_idea(sam, "Internal pricing experiment", space=Space.INTERNAL)
    public = await make_idea(sam, "Public dark mode")
    for each in (idea, public):
        await set_following(erin, each, True)
        await transition(each, sam, Status.UNDER_REVIEW, "Looking at it")
    client = await browser_for(erin)
    assert "Internal pricing experiment" in (await client.get("/notifications")).text
    await User.filter(id=erin.id).update(role=Role.CUSTOMER)  # she left the company; her account stays
    await transition(await Idea.get(id=public.id), sam, Status.PLANNED, "Planned")
    board = await client.get("/")
    assert 'bell-count">1<' in board.text  # only the public idea's new step counts
    page = await client.get("/notifications")
    assert "Internal pricing experiment" not in page.text and "Public dark mode" in page.text


async def test_a_demoted_employee_is_not_emailed_internal_titles_still_queued(erin, sam, make_idea, settings):
    from ideaboard.notification_mail import email_instant as email_pending_notifications
    from tests.test_notifications import outbox

    idea = await make_idea(sam, "Internal pricing experiment", space=Space.INTERNAL)
    await set_following(erin, idea, True)
    await transition(idea, sam, Status.UNDER_REVIEW, "Looking at it")  # queued for email while she is an employee
    await User.filter(id=erin.id).update(role=Role.CUSTOMER)
    assert await email_pending_notifications(settings) == 0
    assert not any("Internal pricing" in str(m["Subject"]) for m in outbox(settings))
