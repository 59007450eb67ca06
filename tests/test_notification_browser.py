"""In a real browser: the unsubscribe link from an email works logged out, and the preferences page at any width."""

import re

import pytest

from ideaboard import notification_prefs
from ideaboard.comments import add_comment
from ideaboard.models import Delivery, NotificationKind
from ideaboard.notification_mail import email_instant
from tests.browser import chromium_page, live_server, needs_chromium, screenshot
from tests.conftest import PASSWORD
from tests.mailbox import outbox, text_of

pytestmark = [pytest.mark.browser, needs_chromium]


async def test_alice_unsubscribes_from_comment_emails_from_the_email_link_without_logging_in(
        app, settings, alice, bob, make_idea):
    idea = await make_idea(alice)
    await add_comment(idea, bob, "Yes please")
    await email_instant(settings)  # no SMTP_HOST: the email is in the outbox
    [mail] = outbox(settings)
    link = re.search(r"Stop emails: New comments on ideas I follow: (\S+)", text_of(mail)).group(1)
    path = link.removeprefix(settings.base_url)
    with live_server(settings) as base:
        async with chromium_page() as page:
            await page.goto(base + path)
            await page.wait_for_selector("h1:has-text('Unsubscribe?')")
            assert await page.locator(".bell").count() == 0  # nobody is logged in
            await screenshot(page, "unsubscribe-confirm")
            await page.click("button:has-text('Unsubscribe')")
            await page.wait_for_selector("h1:has-text('You are unsubscribed')")
            assert "New comments on ideas I follow" in await page.inner_text(".unsubscribe ul")
            await page.set_viewport_size({"width": 390, "height": 800})
            await screenshot(page, "unsubscribe-done-390")
    prefs = await notification_prefs.preferences(alice)
    assert prefs[NotificationKind.COMMENTS] is Delivery.OFF and prefs[NotificationKind.MENTIONS] is Delivery.INSTANT


async def test_bob_switches_comments_to_the_daily_digest_on_his_settings_page(app, settings, bob):
    with live_server(settings) as base:
        async with chromium_page() as page:
            await page.goto(base + "/login?next=/settings/notifications")
            await page.fill("#email", bob.email)
            await page.fill("#password", PASSWORD)
            await page.click("button:has-text('Log in')")
            await page.wait_for_selector("h1:has-text('Notification settings')")
            await page.check("#pref-comments input[value='digest']")
            await page.click("button:has-text('Save')")
            await page.wait_for_selector("text=Your notification choices are saved.")
            assert await page.is_checked("#pref-comments input[value='digest']")
            await screenshot(page, "notification-settings-1280")
            await page.set_viewport_size({"width": 390, "height": 800})
            await screenshot(page, "notification-settings-390")
    assert (await notification_prefs.preferences(bob))[NotificationKind.COMMENTS] is Delivery.DIGEST
