"""The whole customer journey in a real browser: sign up, share an idea, vote, comment."""

import pytest

from ideaboard.models import Comment, Idea, Vote
from tests.browser import chromium_page, live_server, needs_chromium, outbox_link, screenshot
from workers.suggest_index import rebuild_suggest_index

pytestmark = [pytest.mark.browser, needs_chromium]


async def test_nina_signs_up_shares_an_idea_votes_and_comments(app, settings, categories, alice, make_idea,
                                                                worker_ctx):
    await make_idea(alice, "Save my usual order", "One tap for my daily flat white.")
    await make_idea(alice, "Oat milk at no extra charge", "Plant milks cost more.")
    await rebuild_suggest_index(worker_ctx)  # what the worker does on its schedule
    with live_server(settings) as base:
        async with chromium_page() as page:
            await page.goto(base + "/")
            await screenshot(page, "home")
            await page.click("text=Sign up")
            await page.fill("#name", "Nina Park")
            await page.fill("#email", "nina@example.com")
            await page.fill("#password", "a long secret pass")
            await page.click("button:has-text('Create account')")
            await page.wait_for_selector("h1:has-text('Check your inbox')")
            await page.goto(base + await outbox_link(settings, "nina@example.com"))  # the link in her email
            await page.wait_for_selector("text=Thanks, Nina Park: your email address is confirmed.")

            await page.click(".hero a.button")
            await page.type("#title", "save my usu")  # typing suggests the existing idea (htmx, debounced)
            await page.wait_for_selector(".similar-item a:has-text('Save my usual order')")
            await screenshot(page, "submit-similar")
            await page.fill("#title", "Dark")
            await page.click("button:has-text('Publish idea')")
            assert "5 to 120 characters" in await page.inner_text("#title-error")
            await page.fill("#title", "Dark mode for the mobile app")
            await page.fill("#body", "Ordering at night is **blinding**.")
            await page.select_option("#category", label="Mobile app")
            await page.fill("#tags", "ui night")
            await screenshot(page, "submit")
            await page.click("button:has-text('Publish idea')")
            await page.wait_for_selector("h1:has-text('Dark mode for the mobile app')")
            idea = await Idea.get(title="Dark mode for the mobile app")

            await page.click(f"#vote-widget-{idea.id} .vote-up")  # htmx swaps just the widget
            await page.wait_for_selector(f"#vote-widget-{idea.id} .vote-up[aria-pressed='true']")
            assert await page.inner_text(f"#vote-widget-{idea.id} .score") == "1"

            await page.fill("#comment-body", "I would use this *every* night.")
            await page.click("button:has-text('Post comment')")
            await page.wait_for_selector("article.comment em:has-text('every')")
            assert await page.inner_text("#comments h2") == "1 comment"
            await screenshot(page, "idea-detail")

            await page.goto(base + "/")
            await page.click("text=Save my usual order")
            await page.wait_for_selector("h1:has-text('Save my usual order')")
    assert await Vote.filter(idea=idea, value=1).count() == 1
    assert await Comment.filter(idea=idea).count() == 1
    assert (await Idea.get(id=idea.id)).score == 1
