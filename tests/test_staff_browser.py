"""In a real browser: Sam takes an idea from new to launched on the staff page; Alice, who voted, sees it shipped."""

import pytest

from ideaboard.models import AuditEntry, Idea, IdeaEvent, Status
from ideaboard.votes import cast_vote
from tests.browser import chromium_page, live_server, needs_chromium, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, needs_chromium]

STEPS = [("under_review", "Under review", "We are looking into this."),
         ("planned", "Planned", "On the roadmap for **spring**."),
         ("in_progress", "In progress", "Design is done, building now."),
         ("launched", "Launched", "Dark mode is live in version 5.2!")]


async def log_in(page, base: str, email: str) -> None:
    await page.goto(base + "/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button:has-text('Log in')")
    await page.wait_for_selector("text=Log out")


async def test_sam_launches_an_idea_and_alice_sees_it(app, settings, categories, alice, bob, sam, make_idea):
    idea = await make_idea(bob, "Dark mode for the mobile app", category=categories["Mobile app"])
    await make_idea(alice, "Save my usual order", category=categories["Mobile app"])
    await cast_vote(idea.id, alice, 1)
    with live_server(settings) as base:
        async with chromium_page() as page:
            await log_in(page, base, sam.email)
            await page.click("nav a:has-text('Staff')")
            await page.wait_for_selector("h1:has-text('Review queue')")
            await screenshot(page, "staff-queue")
            await page.click(f"#queue-idea-{idea.id} .q-title a")
            await page.wait_for_selector("h1:has-text('Dark mode for the mobile app')")
            await page.click("button:has-text('Claim it')")  # htmx swaps the panel
            await page.wait_for_selector(".owner-now:has-text('Sam Rivera')")
            for value, label, message in STEPS:
                await page.select_option("#to-status", value)
                await page.fill("#status-message", message)
                await page.click("button:has-text('Change status')")
                await page.wait_for_selector(f"#status-panel p .status:has-text('{label}')")
            assert "spring" in await page.inner_text("#status-panel .timeline")
            await screenshot(page, "staff-idea")
            await page.click(".staffnav a:has-text('Analytics')")
            await page.wait_for_selector("#chart-status svg")
            await screenshot(page, "staff-analytics")
            await page.click("button:has-text('Log out')")

            await log_in(page, base, alice.email)
            assert await page.inner_text(".bell-count") == "4"  # one notification per step of an idea she voted on
            await page.goto(base + "/launched")
            await page.wait_for_selector("text=Dark mode for the mobile app")
            await screenshot(page, "launched-by-staff")
            await page.goto(f"{base}/ideas/{idea.id}")
            assert "Dark mode is live" in await page.inner_text("main")
    assert (await Idea.get(id=idea.id)).status == Status.LAUNCHED
    assert await IdeaEvent.filter(idea_id=idea.id).count() == 4
    assert await AuditEntry.filter(action="status.change", actor_id=sam.id).count() == 4
