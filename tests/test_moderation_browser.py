"""In a real browser: Nina's first idea waits for review (she sees it, Alice does not) until Sam approves it in the
review queue; Mallory's spam idea disappears once Alice and Bob report it, until Sam restores it."""

from __future__ import annotations

import pytest

from ideaboard.accounts import create_user
from ideaboard.models import Idea, Role
from ideaboard.settings import _replace
from tests.browser import chromium, live_server, needs_chromium, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def settings(settings):
    return _replace(settings, premoderate_first_posts=1, auto_hide_reports=2)


async def log_in(page, base: str, email: str) -> None:
    await page.goto(base + "/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("main button:has-text('Log in')")
    await page.wait_for_url(base + "/")


async def test_a_new_members_idea_waits_for_review_until_sam_approves_it(app, settings, alice, sam):
    await create_user("nina@example.com", "Nina Park", PASSWORD, Role.CUSTOMER)
    with live_server(settings) as base:
        async with chromium() as browser:
            nina = await browser.new_page(viewport={"width": 390, "height": 844})
            await log_in(nina, base, "nina@example.com")
            await nina.goto(base + "/ideas/new")
            await nina.fill("#title", "Refill stations for oat milk")
            await nina.fill("#body", "Bring a jar, fill it up.")
            await nina.click("button:has-text('Publish idea')")
            await nina.wait_for_selector("[data-awaiting-review]")
            assert "Your idea is waiting for review" in await nina.inner_text("body")
            await screenshot(nina, "premoderation-waiting-390")
            await nina.set_viewport_size({"width": 1280, "height": 900})
            await screenshot(nina, "premoderation-waiting-1280")
            idea_url = nina.url

            alice_page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await log_in(alice_page, base, alice.email)
            assert "Refill stations" not in await alice_page.inner_text("main")
            assert (await alice_page.goto(idea_url)).status == 404

            staff = await browser.new_page(viewport={"width": 1280, "height": 900})
            await log_in(staff, base, sam.email)
            await staff.goto(base + "/staff/")
            await staff.click(".staffnav a:has-text('Reviews')")
            await staff.wait_for_selector(".flag-card:has-text('Refill stations for oat milk')")
            await screenshot(staff, "review-queue-1280")
            await staff.set_viewport_size({"width": 390, "height": 844})
            await screenshot(staff, "review-queue-390")
            await staff.click(".flag-card button:has-text('Approve')")
            await staff.wait_for_selector("text=Nothing is waiting for review.")

            assert (await alice_page.goto(idea_url)).status == 200
            await alice_page.goto(base + "/")
            await alice_page.wait_for_selector("text=Refill stations for oat milk")
    assert not (await Idea.get(title="Refill stations for oat milk")).hidden


async def test_two_reports_hide_mallorys_idea_until_sam_restores_it(app, settings, alice, bob, sam, make_idea):
    mallory = await create_user("mallory@example.com", "Mallory Spam", PASSWORD, Role.CUSTOMER)
    idea = await make_idea(mallory, "Cheap watches at my shop", "Visit my shop for watches.")
    with live_server(settings) as base:
        async with chromium() as browser:
            for reporter in (alice, bob):
                page = await browser.new_page(viewport={"width": 1280, "height": 900})
                await log_in(page, base, reporter.email)
                await page.goto(f"{base}/ideas/{idea.id}")
                await page.click("summary:has-text('Report this idea')")
                await page.fill("#report-idea-reason", "This is an advert")
                await page.click("button:has-text('Send report')")
                await page.wait_for_selector("text=Thanks for the report")
                await page.close()
            visitor = await browser.new_page()
            assert (await visitor.goto(f"{base}/ideas/{idea.id}")).status == 404

            staff = await browser.new_page(viewport={"width": 1280, "height": 900})
            await log_in(staff, base, sam.email)
            await staff.goto(base + "/staff/flags")
            card = staff.locator(".flag-card", has_text="Cheap watches").first
            await card.locator(".badge-hidden").wait_for()
            await screenshot(staff, "auto-hidden-in-reports")
            await card.locator("button:has-text('Restore')").click()
            await staff.wait_for_load_state()
            for _ in range(50):
                if not (await Idea.get(id=idea.id)).hidden:
                    break
                await staff.wait_for_timeout(100)
            assert (await visitor.goto(f"{base}/ideas/{idea.id}")).status == 200
