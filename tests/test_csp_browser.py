"""In Chromium, under the real Content-Security-Policy: the pages work (htmx loads, votes swap, confirmations ask)
and the browser reports no policy violation on any of them."""

import pytest

from ideaboard.comments import add_comment
from ideaboard.models import Comment, Conversation, Tweet, Vote
from ideaboard.social import file_conversations
from tests.browser import chromium_page, live_server, needs_chromium, screenshot
from tests.test_staff_browser import log_in

pytestmark = [pytest.mark.browser, needs_chromium]

CSP_WORDS = ("Content Security Policy", "Content-Security-Policy", "Refused to")


def watch(page) -> list[str]:
    """Every policy violation and script error the page reports."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if any(w in m.text for w in CSP_WORDS) else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    return problems


async def test_the_main_pages_run_under_the_policy_without_a_violation(app, settings, categories, alice, bob, sam,
                                                                       make_idea):
    idea = await make_idea(alice, "Dark mode for the mobile app", category=categories["Mobile app"])
    await add_comment(idea, bob, "Yes please, my eyes hurt at night.")
    await Tweet.create(id="1790000000000000001", text="dark mode please", author_id="42", author_username="fan",
                       url="https://x.com/fan/status/1790000000000000001")
    await file_conversations({"1790000000000000001"})
    conversation = await Conversation.get(x_conversation_id="1790000000000000001")
    with live_server(settings) as base:
        async with chromium_page() as page:
            problems = watch(page)
            for path in ("/", "/roadmap", "/launched", "/search?q=dark", f"/ideas/{idea.id}", "/login", "/signup",
                         "/ideas/999999"):
                await page.goto(base + path)
                assert await page.evaluate("typeof htmx") == "object", path
            await log_in(page, base, bob.email)
            for path in ("/", "/ideas/new", "/notifications", f"/users/{bob.id}"):
                await page.goto(base + path)
            await page.goto(f"{base}/ideas/{idea.id}")
            await page.click(f"#vote-widget-{idea.id} .vote-up")  # htmx swaps the widget
            await page.wait_for_selector(f"#vote-widget-{idea.id} .vote-up[aria-pressed='true']")
            page.once("dialog", lambda dialog: dialog.dismiss())  # the confirmation comes from app.js
            await page.click("article.comment button:has-text('Delete')")
            assert await Comment.filter(idea=idea).count() == 1  # dismissed: nothing deleted
            page.once("dialog", lambda dialog: dialog.accept())
            await page.click("article.comment button:has-text('Delete')")
            await page.wait_for_selector("text=Your comment is deleted.")
            await screenshot(page, "csp-idea-page")
            await page.click("button:has-text('Log out')")
            await log_in(page, base, sam.email)
            for path in ("/staff/", f"/staff/ideas/{idea.id}", "/staff/analytics", "/staff/audit", "/staff/flags",
                         "/staff/clusters", "/staff/tweets", f"/staff/ideas/{idea.id}/share", "/staff/desk",
                         f"/staff/desk/{conversation.id}"):
                await page.goto(base + path)
                assert await page.evaluate("typeof htmx") == "object", path
            assert problems == []

            await page.evaluate("document.body.setAttribute('onclick', 'window.inlineRan = true')")
            await page.click("main")
            assert await page.evaluate("window.inlineRan") is None  # the policy is really there, and it is watched
            assert any("Refused to" in p or "Content Security Policy" in p for p in problems)
    assert await Vote.filter(idea=idea, user=bob, value=1).exists()
    assert not await Comment.filter(idea=idea).exists()
