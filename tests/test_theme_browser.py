"""In a real browser: Sam publishes a theme from the clusters view, Carla picks it in the board's theme filter on a
phone and a desktop, and Sam reads the theme map at both sizes."""

import pytest

from ideaboard.accounts import create_user
from ideaboard.models import Role
from tests.browser import axe_violations, chromium, live_server, needs_chromium, screenshot
from tests.conftest import PASSWORD
from tests.test_campaign_browser import log_in
from tests.test_theme_publishing import IDEAS, themes_by_title
from workers.cluster_jobs import recluster_ideas

pytestmark = [pytest.mark.browser, needs_chromium]


async def test_sam_publishes_a_theme_and_carla_filters_the_board_by_it(app, settings, alice, sam, make_idea,
                                                                       worker_ctx):
    carla = await create_user("carla@example.com", "Carla Reyes", PASSWORD, Role.CUSTOMER)
    for title, body in IDEAS:
        await make_idea(alice, title, body)
    await recluster_ideas(worker_ctx)
    theme_of = await themes_by_title()
    dark = theme_of["Dark mode for the mobile app"]
    expected = sorted(title for title, theme in theme_of.items() if theme.slug == dark.slug)
    findings = []
    with live_server(settings) as base:
        async with chromium() as browser:
            staff = await browser.new_page(viewport={"width": 1280, "height": 900})
            await log_in(staff, base, sam.email)
            await staff.goto(base + "/staff/clusters")
            await staff.click(f"#theme-{dark.slug} button:has-text('Publish on the board')")
            await staff.wait_for_selector(f"#theme-{dark.slug} button:has-text('Take off the board')")
            for width, height in ((390, 844), (1280, 900)):
                await staff.set_viewport_size({"width": width, "height": height})
                await staff.goto(base + "/staff/themes")
                assert await staff.locator(f"#theme-{dark.slug} .chip-theme").is_visible()
                await staff.click(f"#theme-{dark.slug} summary")  # a theme opens into its groups
                await staff.wait_for_selector(f"#theme-{dark.slug} .theme-clusters li a")
                scroll, inner = await staff.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                assert scroll <= inner, f"the theme map is wider than {width} px"
                findings += [f"map {width}: {v}" for v in await axe_violations(staff)]
                await screenshot(staff, f"theme-map-{width}")
                await staff.goto(base + "/staff/clusters")
                await screenshot(staff, f"clusters-themes-{width}")
                scroll, inner = await staff.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                assert scroll <= inner, f"the clusters view is wider than {width} px"

            context = await browser.new_context(viewport={"width": 390, "height": 844})
            page = await context.new_page()
            await log_in(page, base, carla.email)
            await page.select_option("#f-theme", dark.slug)  # htmx swaps the list and pushes the URL
            await page.wait_for_url(f"**theme={dark.slug}**")
            await page.wait_for_selector(".idea-title:has-text('Dark mode for the mobile app')")
            shown = await page.locator(".idea-title").all_inner_texts()
            assert sorted(shown) == expected and "Make oat milk free" not in shown
            for width, height in ((390, 844), (1280, 900)):
                await page.set_viewport_size({"width": width, "height": height})
                await page.goto(base + f"/?theme={dark.slug}")
                assert await page.locator(".chip-theme").is_visible()
                scroll, inner = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                assert scroll <= inner, f"the board is wider than {width} px"
                findings += [f"board {width}: {v}" for v in await axe_violations(page)]
                await screenshot(page, f"board-theme-{width}")
            await context.close()
    assert not findings, findings
