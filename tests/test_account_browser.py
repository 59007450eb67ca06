"""Nina's account in a real browser: sign up, confirm from the outbox, post; forget the password, reset it, and the
session a thief copied before the reset is logged out."""

import pytest

from ideaboard.models import Idea, User
from tests.browser import chromium_page, live_server, needs_chromium, outbox_link, screenshot

pytestmark = [pytest.mark.browser, needs_chromium]


async def test_nina_signs_up_confirms_from_the_outbox_posts_then_resets_her_password(app, settings):
    with live_server(settings) as base:
        async with chromium_page() as page:
            await page.goto(base + "/signup")
            await page.fill("#name", "Nina Park")
            await page.fill("#email", "nina@example.com")
            await page.fill("#password", "a long secret pass")
            await page.click("button:has-text('Create account')")
            await page.wait_for_selector("h1:has-text('Check your inbox')")

            await page.goto(base + await outbox_link(settings, "nina@example.com"))
            await page.wait_for_selector("text=your email address is confirmed")
            await page.click("a.button:has-text('Share an idea')")
            await page.fill("#title", "Dark mode for the mobile app")
            await page.fill("#body", "Ordering at night is blinding.")
            await page.click("button:has-text('Publish idea')")
            await page.wait_for_selector("text=Your idea is live")
            assert await Idea.filter(title="Dark mode for the mobile app").count() == 1

            for width in (390, 1280):
                await page.set_viewport_size({"width": width, "height": 900})
                await page.goto(base + "/settings")
                await screenshot(page, f"settings-{width}")
            await page.set_viewport_size({"width": 1280, "height": 900})
            stolen = await page.context.cookies()  # a copy of her session, before she resets the password

            await page.click("button:has-text('Log out')")
            await page.goto(base + "/login")
            await page.click("text=Forgot your password?")
            await page.fill("#email", "nina@example.com")
            await page.click("button:has-text('Send me a link')")
            await page.wait_for_selector("h1:has-text('Check your inbox')")
            await page.goto(base + await outbox_link(settings, "nina@example.com", 2))
            await screenshot(page, "password-reset")
            await page.fill("#password", "an even longer secret")
            await page.click("button:has-text('Save my new password')")
            await page.wait_for_selector("text=every other device is logged out")

            thief = await page.context.browser.new_context()
            await thief.add_cookies(stolen)
            thief_page = await thief.new_page()
            await thief_page.goto(base + "/")
            assert await thief_page.locator("button:has-text('Log out')").count() == 0
            assert await thief_page.locator("a:has-text('Log in')").count() == 1
            await thief.close()
    nina = await User.get(email="nina@example.com")
    assert nina.email_verified_at is not None
