"""Notifications: who hears about a status change or a response, the bell, the list, and the email copies."""

import dataclasses

from bs4 import BeautifulSoup

from ideaboard.comments import add_comment
from ideaboard.follows import set_following
from ideaboard.models import Notification, Status
from ideaboard.notification_mail import email_instant as email_pending_notifications
from ideaboard.notifications import notify_about, unread_count
from ideaboard.votes import cast_vote
from ideaboard.workflow import respond, transition
from tests.mailbox import free_port, html_of, links_in, outbox, text_of


async def test_the_author_voters_commenters_and_followers_hear_once_each_and_the_actor_not_at_all(
        alice, bob, erin, sam, ada, make_idea):
    idea = await make_idea(alice)
    await cast_vote(idea.id, bob, 1)  # bob votes, comments and follows: still one notification
    await add_comment(idea, bob, "Yes please")
    await set_following(bob, idea, True)
    await add_comment(idea, erin, "We hear this in stores a lot")
    await cast_vote(idea.id, sam, 1)  # sam votes too, but he is the one moving it
    event = await transition(idea, sam, Status.UNDER_REVIEW, "Looking into it")
    notified = await Notification.filter(event_id=event.id).values_list("user_id", flat=True)
    assert sorted(notified) == sorted([alice.id, bob.id, erin.id])  # alice only authored it; ada never touched it
    assert await notify_about(event) == 0  # running the fan-out again adds nothing
    assert await Notification.filter(event_id=event.id).count() == 3
    note = await Notification.get(user_id=bob.id, event_id=event.id)
    assert note.message == "“Dark mode for the mobile app” is now Under review"


async def test_alices_idea_moved_by_sam_tells_alice_though_she_never_voted_commented_or_followed(
        alice, sam, make_idea):
    idea = await make_idea(alice)
    await transition(idea, sam, Status.UNDER_REVIEW)
    await respond(idea, sam, "We are trying this in three stores.")
    assert await Notification.filter(user_id=alice.id).order_by("id").values_list("message", flat=True) == [
        "“Dark mode for the mobile app” is now Under review", "The team responded to “Dark mode for the mobile app”"]


async def test_an_author_who_unfollowed_her_own_idea_is_not_told(alice, sam, make_idea):
    idea = await make_idea(alice)
    await set_following(alice, idea, False)
    await transition(idea, sam, Status.UNDER_REVIEW)
    assert await unread_count(alice) == 0


async def test_an_official_response_notifies_followers(alice, bob, sam, make_idea):
    idea = await make_idea(alice)
    await set_following(bob, idea, True)
    await set_following(bob, idea, False)  # bob changed his mind
    await respond(idea, sam, "Great idea, we are on it.")
    assert await Notification.filter(user_id=alice.id).values_list("message", flat=True) == [
        "The team responded to “Dark mode for the mobile app”"]
    assert await unread_count(bob) == 0


async def test_the_bell_shows_the_unread_count_and_the_list_marks_them_read(browser_for, alice, bob, sam, make_idea):
    idea = await make_idea(alice)
    await cast_vote(idea.id, bob, 1)
    await transition(idea, sam, Status.UNDER_REVIEW)
    await respond(idea, sam, "We are testing this in three stores.")
    client = await browser_for(bob)

    page = BeautifulSoup((await client.get("/")).text, "html.parser")
    assert page.select_one(".bell .bell-count").text == "2"
    assert page.select_one(".bell")["aria-label"] == "Notifications, 2 unread"

    page = BeautifulSoup((await client.get("/notifications")).text, "html.parser")
    items = page.select(".notification")
    assert [i.select_one("a").text for i in items] == [
        "The team responded to “Dark mode for the mobile app”",  # newest first
        "“Dark mode for the mobile app” is now Under review"]
    assert all("unread" in i["class"] for i in items) and items[0].select_one("a")["href"].startswith(
        f"/ideas/{idea.id}#event-")
    assert page.select_one(".bell-count") is None  # reading the list empties the bell right away
    assert await Notification.filter(user_id=bob.id, read_at=None).count() == 0

    page = BeautifulSoup((await client.get("/notifications")).text, "html.parser")
    assert not page.select(".notification.unread")


async def test_the_notifications_page_needs_a_login_and_the_bell_is_only_for_members(visitor):
    response = await visitor.get("/notifications")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/notifications"
    assert BeautifulSoup((await visitor.get("/")).text, "html.parser").select_one(".bell") is None


async def test_emails_go_to_each_person_with_a_link_and_only_once(alice, bob, erin, sam, make_idea, settings,
                                                                   smtp_server):
    port, inbox = smtp_server
    smtp = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port, smtp_from="ideas@brewline.example")
    idea = await make_idea(sam)  # Sam moves his own idea, so he is not told
    await cast_vote(idea.id, bob, 1)
    await set_following(erin, idea, True)
    await transition(idea, sam, Status.UNDER_REVIEW, "On it")

    assert await email_pending_notifications(smtp) == 2
    assert sorted(rcpt for rcpts, _ in inbox.messages for rcpt in rcpts) == ["bob@example.com",
                                                                            "erin@brewline.example"]
    _, mail = inbox.messages[0]
    assert mail["Subject"] == "“Dark mode for the mobile app” is now Under review"
    assert mail["From"] == "ideas@brewline.example"
    assert f"http://testserver/ideas/{idea.id}" in text_of(mail) and "See the idea" in html_of(mail)
    assert await Notification.filter(emailed_at=None).count() == 0

    assert await email_pending_notifications(smtp) == 0  # a second run sends nothing again
    assert len(inbox.messages) == 2


async def test_without_smtp_configured_the_emails_land_in_the_outbox(alice, bob, sam, make_idea, settings):
    idea = await make_idea(sam)  # Sam moves his own idea, so he is not told
    await cast_vote(idea.id, bob, 1)
    await transition(idea, sam, Status.UNDER_REVIEW)
    assert await email_pending_notifications(settings) == 1
    [message] = outbox(settings)
    assert message["To"] == "bob@example.com" and links_in(message)[0].startswith(f"http://testserver/ideas/{idea.id}#")
    assert await Notification.filter(emailed_at=None).count() == 0


async def test_when_the_smtp_server_is_down_nothing_is_lost(alice, bob, sam, make_idea, settings, smtp_server,
                                                            caplog):
    idea = await make_idea(sam)  # Sam moves his own idea, so he is not told
    await cast_vote(idea.id, bob, 1)
    await transition(idea, sam, Status.UNDER_REVIEW)
    down = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=free_port())
    assert await email_pending_notifications(down) == 0
    assert "the rest stay queued" in caplog.text
    assert await Notification.filter(emailed_at=None).count() == 1

    port, inbox = smtp_server  # the server is back: the next run delivers it
    assert await email_pending_notifications(dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port)) == 1
    assert [rcpts for rcpts, _ in inbox.messages] == [["bob@example.com"]]


async def test_bob_comments_twice_and_alice_has_one_notification_saying_two_comments(alice, bob, make_idea):
    idea = await make_idea(alice)
    first = await add_comment(idea, bob, "Yes please")
    assert await Notification.filter(user_id=alice.id).values_list("message", flat=True) == [
        "Bob Nguyen commented on “Dark mode for the mobile app”"]
    second = await add_comment(idea, bob, "And a true black option for OLED screens")
    note = await Notification.get(user_id=alice.id)
    assert (note.message, note.count, note.comment_id) == (
        "2 new comments on “Dark mode for the mobile app”", 2, second.id)
    assert first.id != second.id and await unread_count(alice) == 1
    assert await unread_count(bob) == 0  # never the commenter, though he follows the idea now


async def test_reading_the_bell_closes_the_batch_so_the_next_comment_is_a_new_notification(
        browser_for, alice, bob, erin, make_idea):
    idea = await make_idea(alice)
    await add_comment(idea, bob, "Yes please")
    await add_comment(idea, erin, "Seconded")
    client = await browser_for(alice)
    page = BeautifulSoup((await client.get("/notifications")).text, "html.parser")
    link = page.select_one(".notification a")
    assert link.text == "2 new comments on “Dark mode for the mobile app”"
    assert link["href"].startswith(f"/ideas/{idea.id}#comment-")
    await add_comment(idea, bob, "Any news?")
    messages = await Notification.filter(user_id=alice.id).order_by("id").values_list("message", "read_at")
    assert [m for m, _ in messages] == ["2 new comments on “Dark mode for the mobile app”",
                                        "Bob Nguyen commented on “Dark mode for the mobile app”"]
    assert messages[0][1] is not None and messages[1][1] is None


async def test_each_follower_has_their_own_batch(alice, bob, erin, sam, make_idea):
    idea = await make_idea(alice)
    await add_comment(idea, bob, "Yes please")  # bob follows now; alice is told
    await add_comment(idea, erin, "Seconded")  # alice: 2, bob: 1
    await add_comment(idea, sam, "We are looking into it")  # alice: 3, bob: 2, erin: 1
    counts = dict(await Notification.all().values_list("user_id", "count"))
    assert counts == {alice.id: 3, bob.id: 2, erin.id: 1}
    assert await Notification.get(user_id=alice.id).values_list("message", flat=True) == \
        "3 new comments on “Dark mode for the mobile app”"


async def test_erin_mentions_bob_who_is_told_once_and_the_mention_links_to_his_profile(
        browser_for, alice, bob, erin, make_idea):
    idea = await make_idea(alice)
    await cast_vote(idea.id, bob, 1)  # bob follows too, but the mention is what he hears about this comment
    comment = await add_comment(idea, erin, "@Bob what did you mean by *night mode*? <script>x</script>")
    bobs = await Notification.filter(user_id=bob.id).values_list("kind", "message", "comment_id")
    assert bobs == [("mentions", "Erin Cho mentioned you on “Dark mode for the mobile app”", comment.id)]
    assert await Notification.filter(user_id=alice.id).values_list("message", flat=True) == [
        "Erin Cho commented on “Dark mode for the mobile app”"]
    page = BeautifulSoup((await (await browser_for()).get(f"/ideas/{idea.id}")).text, "html.parser")
    body = page.select_one(f"#comment-{comment.id} .prose")
    assert body.select_one("a.mention")["href"] == f"/users/{bob.id}" and body.select_one("a.mention").text == "@Bob"
    assert body.select_one("script") is None and "<script>x</script>" in body.text  # shown as text, never run


async def test_a_mention_of_someone_who_cannot_see_the_internal_idea_tells_them_nothing(alice, erin, make_idea):
    from ideaboard.models import Space

    idea = await make_idea(erin, "Staff room coffee", space=Space.INTERNAL)
    await add_comment(idea, erin, "@Alice would love this")
    assert await unread_count(alice) == 0


async def test_sam_assigns_an_idea_to_ada_who_is_told_but_claiming_tells_nobody(alice, sam, ada, make_idea):
    from ideaboard.assignment import assign, claim

    idea = await make_idea(alice)
    await claim(idea, sam, idea.version)  # sam takes it himself: nobody to tell
    assert await Notification.filter(kind="assignments").count() == 0
    await assign(idea, sam, ada, idea.version)
    assert await Notification.filter(user_id=ada.id).values_list("kind", "message") == [
        ("assignments", "Sam Rivera assigned “Dark mode for the mobile app” to you")]
    await assign(idea, ada, None, idea.version)  # unassigning tells nobody either
    assert await Notification.filter(kind="assignments").count() == 1
