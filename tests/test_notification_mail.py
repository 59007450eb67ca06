"""Notification emails: each says why it came and carries a one-click unsubscribe; digests come once a day, once."""

import dataclasses
import re
import time

from bs4 import BeautifulSoup
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from ideaboard import notification_prefs, unsubscribe
from ideaboard.assignment import assign
from ideaboard.comments import add_comment
from ideaboard.models import Delivery, Notification, NotificationKind, Status
from ideaboard.notification_mail import email_instant, send_digests
from ideaboard.notifications import unread_count
from ideaboard.workflow import transition
from tests.mailbox import html_of, outbox, text_of

UNSUBSCRIBE = re.compile(r"<(http://testserver(/unsubscribe/[^>]+))>")


def smtp_settings(settings, smtp_server):
    port, _ = smtp_server
    return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port, smtp_from="ideas@brewline.example")


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


async def test_alice_is_emailed_that_sam_moved_her_idea_with_the_reason_and_a_one_click_unsubscribe(
        alice, sam, make_idea, settings, smtp_server):
    idea = await make_idea(alice)
    await transition(idea, sam, Status.UNDER_REVIEW, "Looking into it")
    assert await email_instant(smtp_settings(settings, smtp_server)) == 1
    [(rcpts, mail)] = smtp_server[1].messages
    assert rcpts == ["alice@example.com"] and mail["Subject"] == "“Dark mode for the mobile app” is now Under review"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert UNSUBSCRIBE.fullmatch(mail["List-Unsubscribe"])
    text, html = text_of(mail), html_of(mail)
    assert "You get this because you follow this idea." in text and "you follow this idea" in html
    footer_link = re.search(r"Stop emails: Status changes and team responses on ideas I follow: (\S+)", text).group(1)
    assert footer_link.startswith("http://testserver/unsubscribe/")
    assert BeautifulSoup(html, "html.parser").find("a", string=re.compile("Unsubscribe"))["href"] == footer_link


async def test_the_unsubscribe_link_works_logged_out_get_confirms_and_post_switches_off(
        alice, bob, sam, make_idea, settings, smtp_server, visitor):
    idea = await make_idea(alice)
    await add_comment(idea, bob, "Yes please")
    await email_instant(smtp_settings(settings, smtp_server))
    [(_, mail)] = smtp_server[1].messages
    path = UNSUBSCRIBE.fullmatch(mail["List-Unsubscribe"]).group(2)

    page = await visitor.get(path)  # a link scanner opening it unsubscribes nobody
    assert page.status_code == 200 and soup(page).select_one("h1").text == "Unsubscribe?"
    assert "New comments on ideas I follow" in soup(page).select_one("ul").text
    assert (await notification_prefs.preferences(alice))[NotificationKind.COMMENTS] is Delivery.INSTANT

    done = await visitor.http.post(path, data={"List-Unsubscribe": "One-Click"})  # what a mail client sends
    assert done.status_code == 200 and soup(done).select_one("h1").text == "You are unsubscribed"
    prefs = await notification_prefs.preferences(alice)
    assert prefs[NotificationKind.COMMENTS] is Delivery.OFF and prefs[NotificationKind.UPDATES] is Delivery.INSTANT
    assert (await visitor.http.post(path)).status_code == 200  # again: nothing changes, still a friendly page

    await Notification.all().update(read_at=None)
    before = await unread_count(alice)
    await add_comment(idea, bob, "Anyone?")
    assert await unread_count(alice) == before  # comments are off for her now: no bell line either
    await transition(idea, sam, Status.UNDER_REVIEW)
    assert await unread_count(alice) == before + 1  # status changes still reach her


async def test_bad_tampered_and_expired_unsubscribe_links_get_a_friendly_page(alice, settings, visitor):
    good = unsubscribe.make_token(settings, alice.id, (NotificationKind.COMMENTS,))
    class SignedLongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - unsubscribe.MAX_AGE - 60

    old = URLSafeTimedSerializer(settings.secret_key, salt=unsubscribe.SALT, signer=SignedLongAgo)
    expired = old.dumps({"u": alice.id, "k": ["comments"]})
    forged = URLSafeTimedSerializer("mallorys-key", salt=unsubscribe.SALT).dumps({"u": alice.id, "k": ["comments"]})
    for token in [good[:-2] + "xx", expired, forged, "nonsense", "a" * 3000]:
        for response in [await visitor.get(f"/unsubscribe/{token}"), await visitor.http.post(f"/unsubscribe/{token}")]:
            assert response.status_code == 400, token
            assert soup(response).select_one("h1").text == "This link no longer works"
    assert (await notification_prefs.preferences(alice))[NotificationKind.COMMENTS] is Delivery.INSTANT


async def test_only_the_unsubscribe_post_is_exempt_from_csrf(alice, browser_for):
    client = await browser_for(alice)
    response = await client.http.post("/settings/notifications", data={"comments": "off"})  # no token
    assert response.status_code == 403
    response = await client.http.post("/unsubscribe/x/../../settings/notifications", data={"comments": "off"})
    assert response.status_code in (403, 404)
    assert (await notification_prefs.preferences(alice))[NotificationKind.COMMENTS] is Delivery.INSTANT


async def test_mention_and_assignment_emails_say_why_they_came(alice, bob, erin, sam, ada, make_idea, settings):
    idea = await make_idea(alice)
    await add_comment(idea, erin, "@Bob.Nguyen have a look")
    await assign(idea, sam, ada, idea.version)
    await email_instant(settings)  # no SMTP_HOST: the outbox
    by_to = {m["To"]: m for m in outbox(settings)}
    assert "You get this because you were mentioned." in text_of(by_to["bob@example.com"])
    assert "You get this because it was assigned to you." in text_of(by_to["ada@brewline.example"])
    assert "You get this because you follow this idea." in text_of(by_to["alice@example.com"])


async def test_with_the_digest_preference_alice_gets_nothing_at_once_and_one_digest_email(
        alice, bob, erin, sam, make_idea, settings, smtp_server):
    smtp = smtp_settings(settings, smtp_server)
    await notification_prefs.set_preferences(alice, {NotificationKind.COMMENTS: Delivery.DIGEST,
                                                     NotificationKind.UPDATES: Delivery.DIGEST})
    idea = await make_idea(alice)
    other = await make_idea(alice, "Oat milk in every store")
    await add_comment(idea, bob, "Yes please")
    await add_comment(idea, erin, "Seconded")
    await transition(other, sam, Status.UNDER_REVIEW)
    assert await email_instant(smtp) == 1  # Bob's instant email about Erin's comment; nothing for Alice
    assert [rcpts for rcpts, _ in smtp_server[1].messages] == [["bob@example.com"]]
    assert await unread_count(alice) == 2  # her bell still shows them at once
    smtp_server[1].messages.clear()

    assert await send_digests(smtp) == 1
    [(rcpts, mail)] = smtp_server[1].messages
    assert rcpts == ["alice@example.com"] and mail["Subject"] == "Your daily ideaboard digest: 2 updates"
    text = text_of(mail)
    assert "- 2 new comments on “Dark mode for the mobile app” (you follow this idea)" in text
    assert "- “Oat milk in every store” is now Under review (you follow this idea)" in text
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "You get this because you chose a daily digest for:" in text

    assert await send_digests(smtp) == 0  # the job ran twice: nothing is sent twice
    assert len(smtp_server[1].messages) == 1
    await add_comment(idea, bob, "Any news?")  # her unread batch grows: tomorrow's digest says so
    assert await send_digests(smtp) == 1
    assert "- 3 new comments on “Dark mode for the mobile app”" in text_of(smtp_server[1].messages[-1][1])


async def test_the_digest_keeps_what_the_mail_server_did_not_take(alice, bob, make_idea, settings):
    await notification_prefs.set_preferences(alice, {NotificationKind.COMMENTS: Delivery.DIGEST})
    idea = await make_idea(alice)
    await add_comment(idea, bob, "Yes please")
    from tests.mailbox import free_port

    down = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=free_port())
    assert await send_digests(down) == 0
    assert await Notification.filter(emailed_at=None).count() == 1
    assert await send_digests(settings) == 1 and len(outbox(settings)) == 1


async def test_alice_chooses_per_kind_on_the_settings_page_and_a_bad_choice_keeps_what_she_picked(
        alice, browser_for, visitor):
    response = await visitor.get("/settings/notifications")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/settings/notifications"
    client = await browser_for(alice)
    page = soup(await client.get("/settings/notifications"))
    assert [i["value"] for i in page.select("input[checked]")] == ["instant"] * len(NotificationKind)  # default: all

    response = await client.post("/settings/notifications", {"updates": "instant", "comments": "digest",
                                                              "mentions": "instant", "assignments": "off"})
    assert response.status_code == 303
    prefs = await notification_prefs.preferences(alice)
    assert (prefs[NotificationKind.COMMENTS], prefs[NotificationKind.ASSIGNMENTS]) == (Delivery.DIGEST, Delivery.OFF)

    response = await client.post("/settings/notifications", {"updates": "off", "comments": "weekly"})
    assert response.status_code == 422
    page = soup(response)
    assert "Choose instantly, daily digest or off" in page.select_one(".form-error").text
    assert page.select_one("#pref-updates input[checked]")["value"] == "off"  # what she typed, not lost
    assert (await notification_prefs.preferences(alice))[NotificationKind.UPDATES] is Delivery.INSTANT


async def test_the_worker_sends_the_digest_once_a_day_at_the_configured_hour(settings):
    """Both ways to run the worker (`ideaboard worker` and plain arq) keep the same schedule, digest included."""
    from workers import runner
    from workers.settings import worker_settings

    at_six = dataclasses.replace(settings, digest_hour=6)
    arq_schedule = worker_settings(at_six).cron_jobs
    [digest] = [job for job in arq_schedule if job.name == "cron:email_digests"]
    assert (digest.hour, digest.minute) == ({6}, {0})
    ours = runner._workers(None, {}, runner.tasks.cron_jobs(at_six), at_six)[0]  # type: ignore[arg-type]
    assert sorted((j.name, str(j.hour), str(j.minute)) for j in ours.cron_jobs) == \
        sorted((j.name, str(j.hour), str(j.minute)) for j in arq_schedule)
