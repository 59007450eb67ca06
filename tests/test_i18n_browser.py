"""In a real browser: Jonas, whose phone asks for German, reads the board, an idea and his settings; German's long
words must not push the page wider than a 390 px phone."""

import pytest

from ideaboard.accounts import create_user
from ideaboard.models import Role
from tests.browser import chromium, live_server, needs_chromium, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, needs_chromium]


async def overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    scroll, inner = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return scroll - inner


async def test_the_german_board_idea_and_settings_fit_a_phone_and_a_desktop(app, settings, alice, make_idea):
    jonas = await create_user("jonas@example.de", "Jonas Weber", PASSWORD, Role.CUSTOMER)
    idea = await make_idea(alice, "Benachrichtigungseinstellungen für Bestellbestätigungen",
                           "Die Bestätigungs-E-Mails kommen doppelt.")
    await make_idea(alice, "Kontaktlose Bezahlmöglichkeit an der Selbstbedienungskasse")
    widths = {}
    with live_server(settings) as base:
        async with chromium() as browser:
            for width, height in ((390, 844), (1280, 900)):
                context = await browser.new_context(viewport={"width": width, "height": height}, locale="de-DE")
                page = await context.new_page()
                await page.goto(base + "/")
                assert await page.get_attribute("html", "lang") == "de"
                assert await page.locator("h1").first.inner_text()
                widths[f"board-{width}"] = await overflow(page)
                await screenshot(page, f"i18n-de-board-{width}")
                await page.goto(base + f"/ideas/{idea.id}")
                assert "Noch keine Kommentare" in await page.content()
                widths[f"idea-{width}"] = await overflow(page)
                await screenshot(page, f"i18n-de-idea-{width}")
                await page.goto(base + "/login")
                await page.fill("#email", jonas.email)
                await page.fill("#password", PASSWORD)
                await page.click("main button:has-text('Anmelden')")
                await page.wait_for_url(base + "/")
                await page.goto(base + "/settings")
                assert await page.locator("#locale").is_visible()
                assert "Sofort" in await page.content()  # the notification choices too
                widths[f"settings-{width}"] = await overflow(page)
                await screenshot(page, f"i18n-de-settings-{width}")
                await context.close()
    assert widths == dict.fromkeys(widths, 0)
