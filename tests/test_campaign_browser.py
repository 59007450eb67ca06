"""In a real browser: Bob opens a budget campaign on a phone and a desktop, spends votes and sees what is left."""

from datetime import UTC, datetime, timedelta

import pytest

from ideaboard.models import Campaign, Idea
from tests.browser import axe_violations, chromium, live_server, needs_chromium, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, needs_chromium]


async def log_in(page, base: str, email: str) -> None:
    await page.goto(base + "/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("main button:has-text('Log in')")
    await page.wait_for_url(base + "/")


async def test_bob_spends_his_vote_budget_on_the_campaign_page_at_390_and_1280(app, settings, alice, bob, sam,
                                                                               make_idea):
    now = datetime.now(UTC)  # the served app runs in its own process, on the real clock
    campaign = await Campaign.create(
        slug="greener-coffee-cups", title="Greener coffee cups: what should replace single-use cups by spring?",
        brief="We serve **two million** cups a month. Tell us:\n\n- what you would bring\n- what we should stock",
        brief_html="<p>We serve <strong>two million</strong> cups a month.</p>",
        opens_at=now - timedelta(days=2), closes_at=now + timedelta(days=3, hours=4), vote_budget=3,
        max_votes_per_idea=2, created_by=sam)
    cups = await make_idea(alice, "Cups made of oat husks that compost at home")
    refills = await make_idea(alice, "A refill discount when I bring my own cup")
    await Idea.filter(id__in=[cups.id, refills.id]).update(campaign_id=campaign.id)
    findings = []
    with live_server(settings) as base:
        async with chromium() as browser:
            context = await browser.new_context(viewport={"width": 390, "height": 844})
            page = await context.new_page()
            await log_in(page, base, bob.email)
            assert await page.locator(f"#campaign-{campaign.id}").is_visible()  # featured on the home page
            await page.click(f"#campaign-{campaign.id} a")
            await page.wait_for_selector("h1:has-text('Greener coffee cups')")
            assert "Closes in 3 days" in await page.locator("#countdown").inner_text()
            assert "3 of 3 votes left" in await page.locator("#budget-left").inner_text()
            await page.click(f"#vote-widget-{cups.id} .vote-up")  # htmx swaps the widget and the budget line
            await page.wait_for_selector(f"#vote-widget-{cups.id}:has-text('2 of 3 votes left')")
            await page.wait_for_selector(f"#vote-widget-{refills.id}:has-text('2 of 3 votes left')")  # all widgets
            assert "2 of 3 votes left" in await page.locator("#budget-left").inner_text()
            scroll, inner = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert scroll <= inner
            findings += [f"390: {v}" for v in await axe_violations(page)]
            await screenshot(page, "phone-campaign-390")
            await page.set_viewport_size({"width": 1280, "height": 900})
            await page.reload()
            assert "2 of 3 votes left" in await page.locator("#budget-left").inner_text()
            findings += [f"1280: {v}" for v in await axe_violations(page)]
            await screenshot(page, "desktop-campaign-1280")
            await page.goto(base + "/campaigns")
            await screenshot(page, "desktop-campaigns-1280")
            await context.close()
    assert (await Idea.get(id=cups.id)).score == 1
    assert not findings, "\n".join(findings)


async def test_sam_creates_a_campaign_in_the_console_and_its_results_read_well(app, settings, alice, bob, sam,
                                                                              make_idea):
    now = datetime.now(UTC)
    past = await Campaign.create(slug="night-menu", title="Night menu", opens_at=now - timedelta(days=9),
                                 closes_at=now - timedelta(days=2), brief_html="<p>What should we serve late?</p>")
    idea = await make_idea(alice, "Decaf cold brew after 8 pm")
    await Idea.filter(id=idea.id).update(campaign_id=past.id, score=4, upvotes=4)
    with live_server(settings) as base:
        async with chromium() as browser:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            await log_in(page, base, sam.email)
            await page.goto(base + "/staff/campaigns")
            await page.fill("#c-title", "Greener coffee cups")
            await page.fill("#c-brief", "How should we **cut waste**?")
            await page.fill("#c-opens", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
            await page.fill("#c-closes", (now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"))
            await page.fill("#c-budget", "10")
            await page.fill("#c-max", "3")
            await page.click("button:has-text('Create campaign')")
            await page.wait_for_selector("h1:has-text('Greener coffee cups')")
            await screenshot(page, "desktop-staff-campaign-1280")
            created = await Campaign.get(title="Greener coffee cups")
            assert (created.vote_budget, created.max_votes_per_idea) == (10, 3)
            await page.goto(base + "/campaigns/night-menu/results")
            assert "Decaf cold brew after 8 pm" in await page.locator(".campaign-top").inner_text()
            await screenshot(page, "desktop-campaign-results-1280")
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.goto(base + "/campaigns/night-menu/results")
            scroll, inner = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert scroll <= inner
            await screenshot(page, "phone-campaign-results-390")
            await context.close()
