"""htmx in a real browser: a refused request says why, and 'log in first' takes the whole page to the login form."""

import pytest

from ideaboard.models import User, Vote
from tests.browser import chromium_page, live_server, needs_chromium, screenshot
from tests.test_staff_browser import log_in

pytestmark = [pytest.mark.browser, needs_chromium]


async def test_an_expired_form_shows_the_servers_message_instead_of_nothing(app, settings, alice, bob, make_idea):
    idea = await make_idea(alice, "Dark mode for the mobile app")
    with live_server(settings) as base:
        async with chromium_page() as page:
            await log_in(page, base, bob.email)
            await page.goto(f"{base}/ideas/{idea.id}")
            # the session's token changed since the page was loaded (logged out and in elsewhere, say)
            await page.evaluate("""document.body.setAttribute("hx-headers", '{"X-CSRF-Token": "stale"}')""")
            await page.click(f"#vote-widget-{idea.id} button.vote-up")
            alert = page.locator("#request-errors")
            await alert.wait_for(state="visible")
            assert "This form has expired" in await alert.inner_text()
            await screenshot(page, "htmx-error-expired-form")
            assert not await Vote.exists()


async def test_a_deactivated_member_voting_goes_to_the_login_page(app, settings, alice, bob, make_idea):
    idea = await make_idea(alice, "Dark mode for the mobile app")
    with live_server(settings) as base:
        async with chromium_page() as page:
            await log_in(page, base, bob.email)
            await page.goto(f"{base}/ideas/{idea.id}")
            await User.filter(id=bob.id).update(is_active=False)
            await page.click(f"#vote-widget-{idea.id} button.vote-up")
            await page.wait_for_url(f"{base}/login?next=/ideas/{idea.id}")
            assert await page.locator("form #password").count() == 1  # the login page itself, not inside a card
            assert await page.locator(".vote #password").count() == 0
            assert not await Vote.exists()
