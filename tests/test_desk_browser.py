"""The desk in two real browsers: Sam and Ada claim the same conversation at once, exactly one wins and the other sees
it live; the winner's reply reaches the (fake) X server once; making the conversation an idea twice makes one idea."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from ideaboard.models import Conversation, Idea
from tests.browser import axe_violations, chromium, live_server, needs_chromium, screenshot
from tests.conftest import PASSWORD
from tests.test_desk import ROOT_ID, a_conversation
from tests.test_staff_browser import log_in

pytestmark = [pytest.mark.browser, needs_chromium]
pytest_plugins = ["fake_x_api"]


async def log_in_narrow(page, base: str, email: str) -> None:
    """Log in at any width (on a phone the Log out button sits in the closed menu)."""
    await page.goto(base + "/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    async with page.expect_navigation():
        await page.click("button:has-text('Log in')")
    assert "/login" not in page.url


@pytest.fixture
def settings(settings, fake_x):
    return replace(settings, x_api_base_url=fake_x.base_url, x_bearer_token=fake_x.bearer_token,
                   x_user_token=fake_x.user_token)


async def test_two_teammates_on_one_conversation(app, settings, sam, ada, fake_x):
    conversation = await a_conversation("The app logged me out again and my order is gone. Please save my usual order!")
    with live_server(settings) as base:
        async with chromium() as browser:
            sams = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
            adas = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
            for page, person in ((sams, sam), (adas, ada)):
                await log_in(page, base, person.email)
                await page.goto(f"{base}/staff/desk/{conversation.id}")
                await page.wait_for_selector("[data-live-state=open]")  # listening for live updates

            # both press at the same instant (a click that waits for actionability could lose the button to the
            # live update of the other's claim, which is the other outcome this test is not about)
            await asyncio.gather(*(page.evaluate("document.querySelector('#claim').click()") for page in (sams, adas)))
            claimed = await Conversation.get(id=conversation.id).select_related("assignee")
            for _ in range(300):  # the first claim's answer
                if claimed.assignee_id is not None:
                    break
                await asyncio.sleep(0.1)
                claimed = await Conversation.get(id=conversation.id).select_related("assignee")
            assert claimed.assignee_id in (sam.id, ada.id)
            winner, loser = (sams, adas) if claimed.assignee_id == sam.id else (adas, sams)
            await winner.locator("#conv-status", has_text="You have this").wait_for()
            told = loser.locator("#assign-error", has_text="is answering this")
            await told.wait_for()
            assert f"{claimed.assignee.name} is answering this" in await told.inner_text()
            await screenshot(loser, "desk-claim-lost")

            await loser.wait_for_selector("[data-live-state=open]")
            await winner.fill("#reply-text", "Sorry about that! It is fixed in today's update.")
            await winner.click("#send-reply")
            await winner.wait_for_selector("text=Replied on X")
            assert [p["in_reply_to_tweet_id"] for p in fake_x.posts] == [ROOT_ID]
            await loser.locator("#conv-status .desk-replies").wait_for()  # arrived live, no reload
            assert "fixed in today's update" in await loser.locator("#conv-status").inner_text()
            assert "Replied" in await loser.locator("#conv-status .desk-state").inner_text()

            for page in (winner, loser):  # both open the form before either publishes
                await page.goto(f"{base}/staff/desk/{conversation.id}/idea")
                await page.fill("#title", "Save my usual order")
            await asyncio.gather(winner.click("#idea-form button.primary"), loser.click("#idea-form button.primary"))
            await asyncio.gather(winner.wait_for_load_state(), loser.wait_for_load_state())
            assert await Idea.filter(title="Save my usual order").count() == 1
            offered = [await p.locator("#already-made").count() for p in (winner, loser)]
            assert sorted(offered) == [0, 1]
            assert len(fake_x.posts) == 1


async def test_a_new_tweet_appears_on_the_open_desk_without_a_reload(app, settings, sam):
    from redis.asyncio import Redis

    from ideaboard import live, social
    from tests.test_desk import api_tweet

    await a_conversation("An older question", "1900000000000000021", hours_ago=3)
    with live_server(settings) as base:
        async with chromium() as browser:
            page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
            await log_in(page, base, sam.email)
            await page.goto(f"{base}/staff/desk")
            await page.wait_for_selector("[data-live-state=open]")
            await social.store_tweets([api_tweet("1900000000000000022", "Is the app down right now?", hours_ago=0)])
            redis = Redis.from_url(settings.redis_url)
            await live.publish(redis, live.DESK, "desk")  # what the worker does after storing
            await redis.aclose()
            first = page.locator("#desk-list .desk-row").first
            await first.locator("text=Is the app down right now?").wait_for()
            assert await page.locator("#desk-list .desk-row").count() == 2


async def test_screenshots_of_the_desk(app, settings, sam, ada, alice, make_idea):
    await a_conversation("Where is my order? It has been an hour!", "1900000000000000011", hours_ago=3, likes=12)
    await a_conversation("Please add oat milk to the app menu 🙏 #brewline", "1900000000000000012", hours_ago=1,
                         username="oat_fan", name="Oat Fan <3")
    busy = await a_conversation("Your rewards page is broken on Android, points vanished.", "1900000000000000013",
                                hours_ago=2, username="points_pete", name="Pete")
    from ideaboard import desk

    await desk.claim(busy, ada, busy.version)
    with live_server(settings) as base:
        async with chromium() as browser:
            for width in (390, 1280):
                page = await (await browser.new_context(viewport={"width": width, "height": 900})).new_page()
                await log_in_narrow(page, base, sam.email)
                await page.goto(f"{base}/staff/desk")
                await screenshot(page, f"desk-inbox-{width}")
                assert await axe_violations(page) == []
                await page.goto(f"{base}/staff/desk/{busy.id}")
                await screenshot(page, f"desk-conversation-{width}")
                assert await axe_violations(page) == []
                scroll = await page.evaluate("document.documentElement.scrollWidth")
                assert scroll <= width, f"the conversation page scrolls sideways at {width} px"
