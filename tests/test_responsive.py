"""At 390 px (a phone), 768 px (a tablet) and 1280 px (a desktop) every main page fits the screen, for everyone."""

from datetime import UTC, datetime, timedelta

import pytest

from ideaboard import suspensions
from ideaboard.comments import add_comment
from ideaboard.merge import merge_ideas
from ideaboard.models import Campaign, Conversation, Flag, Idea, Space, Status, Tweet
from ideaboard.redaction import add_note
from ideaboard.social import file_conversations
from ideaboard.votes import cast_vote
from ideaboard.workflow import respond, transition
from tests.browser import axe_violations, chromium, live_server, needs_chromium, screenshot
from tests.conftest import PASSWORD
from tests.test_cluster_jobs import IDEAS
from workers.cluster_jobs import recluster_ideas

pytestmark = [pytest.mark.browser, needs_chromium]

WIDTHS = (390, 768, 1280)
LONG_WORD = ("Supercalifragilisticexpialidocious" * 3)[:100]  # the word that made an idea page 1,531 px wide


@pytest.fixture
async def busy_board(alice, bob, erin, sam, ada, categories, make_idea, worker_ctx):
    """A board as it looks after a few weeks: long titles, a long word, tags, comments, a launch, a merge, a report."""
    ideas = {title: await make_idea(alice if i % 2 else bob, title, body, category=categories["Mobile app"],
                                    tags=["night", "app"]) for i, (title, body) in enumerate(IDEAS)}
    long = await make_idea(alice, f"Bring back the {LONG_WORD}", f"Please: {LONG_WORD} and https://example.com/"
                           f"{'a' * 90}", category=categories["In the store"], tags=["seasonal"])
    shipped = ideas["Save my usual order"]
    await cast_vote(shipped.id, alice, 1)
    for status in (Status.UNDER_REVIEW, Status.PLANNED, Status.IN_PROGRESS, Status.LAUNCHED):
        await transition(shipped, sam, status, f"Now {status.label.lower()}: {LONG_WORD}")
    await respond(shipped, sam, "Reorder is live in **version 5.2**, thanks everyone.")
    await merge_ideas(ideas["Make oat milk free"], ideas["Oat milk at no extra charge"], sam)
    await add_comment(long, bob, f"Yes! {LONG_WORD}")
    await add_comment(long, sam, "We are looking into it.")
    alices_comment = await add_comment(long, alice, "Still want it: edited within the window.")
    await make_idea(erin, "A better rota tool for baristas", space=Space.INTERNAL)
    await Flag.create(reporter=bob, idea=long, reason="Looks like spam")
    tweet = await Tweet.create(id="1790000000000000001", text=f"dark mode please @brewline {LONG_WORD}", author_id="42",
                       author_username="coffee_fan", url="https://x.com/coffee_fan/status/1790000000000000001",
                       conversation_id="1790000000000000001")
    await file_conversations({tweet.id})
    await recluster_ideas(worker_ctx)
    held = await add_comment(long, alice, f"Waiting: {LONG_WORD}", hold="new member")  # the review queue
    await add_note(sam, long, f"Private: {LONG_WORD}")
    await suspensions.suspend(ada, bob, f"Spam links {LONG_WORD}", "2099-12-31")
    now = datetime.now(UTC)  # the served app runs on the real clock
    campaign = await Campaign.create(slug="greener-cups", title=f"Greener cups {LONG_WORD}", brief=LONG_WORD,
                                     brief_html=f"<p>{LONG_WORD}</p>", opens_at=now - timedelta(days=1),
                                     closes_at=now + timedelta(days=2), vote_budget=5, max_votes_per_idea=2,
                                     category_ids=[categories["Mobile app"].id])
    past = await Campaign.create(slug="night-menu", title="Night menu", opens_at=now - timedelta(days=9),
                                 closes_at=now - timedelta(days=2))
    await Idea.filter(id__in=[long.id, shipped.id]).update(campaign_id=campaign.id)
    await Idea.filter(title="Make oat milk free").update(campaign_id=past.id)
    return {"long": long, "shipped": shipped, "alice": alice, "tweet": tweet, "held": held, "campaign": campaign,
            "merged": ideas["Make oat milk free"],
            "conversation": await Conversation.get(x_conversation_id=tweet.id), "comment": alices_comment}


def pages(world) -> dict[str, list[str]]:
    long, shipped, profile = world["long"].id, world["shipped"].id, f"/users/{world['alice'].id}"
    tweet, conversation = world["tweet"].id, world["conversation"].id
    held, merged = world["held"].id, world["merged"].id
    campaign = world["campaign"]
    public = ["/", f"/ideas/{long}", f"/ideas/{shipped}", "/search?q=dark", "/roadmap", "/launched", "/campaigns",
              f"/campaigns/{campaign.slug}", "/campaigns/night-menu/results"]
    member = [*public, "/ideas/new", "/notifications", profile, "/settings"]
    return {
        "visitor": [*public, "/login", "/signup", "/forgot", profile, "/staff/", "/no/such/page"],
        "alice@example.com": [*member, f"/ideas/{long}/edit", f"/comments/{world['comment'].id}/edit",
                              "/staff/"],  # the access-denied page too
        "erin@brewline.example": [*member, "/internal", "/ideas/new?space=internal"],
        "sam@brewline.example": [*member, "/internal", "/staff/", "/staff/?status=launched", f"/staff/ideas/{long}",
                                 f"/staff/ideas/{shipped}", "/staff/clusters", "/staff/tweets", "/staff/flags",
                                 "/staff/analytics", "/staff/audit", f"/staff/tweets/{tweet}/idea",
                                 f"/staff/ideas/{shipped}/share", "/staff/desk", f"/staff/desk/{conversation}",
                                 f"/staff/desk/{conversation}/idea", "/staff/desk/people/coffee_fan",
                                 "/staff/reviews", f"/staff/comments/{held}/redact", f"/staff/ideas/{merged}",
                                 "/staff/campaigns", f"/staff/campaigns/{campaign.id}"],
        "ada@brewline.example": ["/staff/admin/users", "/staff/admin/categories", "/staff/admin/statuses",
                                 "/staff/admin/vote-budgets",
                                 "/staff/admin/statuses/planned/delete"],
    }


async def log_in(page, base: str, email: str) -> None:
    await page.goto(base + "/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("main button:has-text('Log in')")
    await page.wait_for_url(base + "/")


async def test_no_page_scrolls_sideways_or_fails_axe_on_a_phone_a_tablet_or_a_desktop(app, settings, busy_board):
    too_wide, axe = [], []
    with live_server(settings) as base:
        async with chromium() as browser:
            for who, paths in pages(busy_board).items():
                context = await browser.new_context(viewport={"width": WIDTHS[0], "height": 844})
                page = await context.new_page()
                if who != "visitor":
                    await log_in(page, base, who)
                for width in WIDTHS:
                    await page.set_viewport_size({"width": width, "height": 844})
                    for path in paths:
                        response = await page.goto(base + path)
                        assert response.status < 500, f"{who} {path}: {response.status}"
                        scroll, inner = await page.evaluate(
                            "[document.documentElement.scrollWidth, window.innerWidth]")
                        if scroll > inner:
                            too_wide.append(f"{who} {path} at {width} px: {scroll} px wide")
                        axe += [f"{who} {path} at {width} px: {v}" for v in await axe_violations(page)]
                await context.close()
    assert not too_wide, "\n".join(too_wide)
    assert not axe, "\n".join(axe)


async def box(page, selector: str) -> dict:
    return await page.locator(selector).first.bounding_box()


async def test_on_a_phone_the_header_folds_into_a_menu_and_titles_sit_beside_their_votes(app, settings, busy_board):
    long, shipped = busy_board["long"].id, busy_board["shipped"].id
    with live_server(settings) as base:
        async with chromium() as browser:
            context = await browser.new_context(viewport={"width": 390, "height": 844})
            page = await context.new_page()
            await log_in(page, base, "sam@brewline.example")
            assert (await box(page, ".topbar"))["height"] <= 64  # was 184 px logged in
            assert not await page.locator(".menu-panel a:has-text('Roadmap')").is_visible()
            await page.click(".menu-toggle")  # a <details>: no JavaScript involved
            await page.click(".menu-panel a:has-text('Roadmap')")
            await page.wait_for_selector("h1:has-text('Ideas in action')")

            await page.goto(base + "/")
            vote, title = await box(page, ".idea-card .vote"), await box(page, ".idea-card .idea-title")
            assert vote["width"] <= 48 and title["x"] > vote["x"] + vote["width"] and title["y"] < vote["y"] + 20
            assert title["width"] >= 250  # was squeezed into 140 px beside a 170 px vote row
            hero, header = await box(page, ".hero"), await box(page, ".topbar")
            assert hero["y"] >= header["y"] + header["height"] + 12  # main has room above the hero
            tabs, tab = await box(page, ".tabs"), await box(page, ".tabs .tab")
            assert tabs["height"] <= tab["height"] + 2  # no pill around the Hot/Top/New tabs
            await screenshot(page, "phone-board-390")
            await page.goto(f"{base}/ideas/{long}")
            await screenshot(page, "phone-idea-390")
            await page.goto(base + "/staff/")
            row = await box(page, f"#queue-idea-{long}")
            assert row["width"] <= 390 - 2 * 14 + 1  # a stacked card, not a 745 px table row
            await screenshot(page, "phone-staff-queue-390")
            await page.click(".menu-toggle")
            await screenshot(page, "phone-menu-open-390", full_page=False)

            await page.set_viewport_size({"width": 1280, "height": 900})
            await page.goto(base + "/")
            assert await page.locator(".menu-panel a:has-text('Roadmap')").is_visible()  # no menu button on a desktop
            assert not await page.locator(".menu-toggle").is_visible()
            main_nav = page.get_by_role("navigation", name="Main")  # found through the accessibility tree
            assert await main_nav.get_by_role("link", name="Roadmap").is_visible()
            await page.focus(".brand")
            await page.keyboard.press("Tab")  # the keyboard reaches the links without opening anything
            assert await page.evaluate("document.activeElement.textContent.trim()") == "Ideas"
            await screenshot(page, "desktop-board-1280")
            assert (await box(page, ".topbar"))["height"] <= 64  # one line, everything on it
            await page.goto(f"{base}/ideas/{shipped}")
            await screenshot(page, "desktop-idea-1280")
            await page.goto(base + "/staff/")
            await screenshot(page, "desktop-staff-queue-1280")
            await page.set_viewport_size({"width": 768, "height": 1024})
            await page.goto(base + "/staff/")
            await screenshot(page, "tablet-staff-queue-768")
            await page.goto(f"{base}/staff/ideas/{long}")
            await screenshot(page, "tablet-staff-idea-768")
            await context.close()


async def test_dark_mode_follows_the_device_or_the_persons_choice_and_passes_axe(app, settings, busy_board):
    """A visitor whose phone is dark gets the dark theme; Sam, who chose light, keeps it on a dark device."""
    long, tweet = busy_board["long"].id, busy_board["tweet"].id
    findings = []
    with live_server(settings) as base:
        async with chromium() as browser:
            for who, paths in (("visitor", ["/", f"/ideas/{long}", "/roadmap", "/launched", "/login"]),
                               ("sam@brewline.example", ["/", f"/ideas/{long}", "/staff/", f"/staff/ideas/{long}",
                                                         "/staff/desk", "/settings", f"/staff/tweets/{tweet}/idea"])):
                context = await browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
                page = await context.new_page()
                if who != "visitor":
                    await log_in(page, base, who)
                for width in (390, 1280):
                    await page.set_viewport_size({"width": width, "height": 900})
                    for path in paths:
                        await page.goto(base + path)
                        findings += [f"{who} {path} at {width} px: {v}" for v in await axe_violations(page)]
                await page.goto(base + "/")
                background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert background == "rgb(15, 20, 32)", background  # the dark theme's --bg
                await screenshot(page, f"dark-board-1280-{who.split('@')[0]}")
                if who != "visitor":
                    await page.goto(f"{base}/staff/ideas/{long}")
                    await screenshot(page, "dark-staff-idea-1280")
                    await page.goto(base + "/settings")
                    await page.check("input[name=theme][value=light]")
                    await page.click("#appearance button")
                    await page.wait_for_selector("html[data-theme=light]")
                    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
                    assert background == "rgb(246, 247, 251)", background  # light, on a dark device
                await context.close()
    assert not findings, "\n".join(findings)


async def test_the_phone_board_idea_page_staff_queue_and_desk_fit_in_light_and_dark(app, settings, busy_board):
    """The four pages the issue names, as Sam sees them on a phone in both themes (screenshots/phone-*-390-*.png)."""
    long = busy_board["long"].id
    pages = {"board": "/", "idea": f"/ideas/{long}", "staff-queue": "/staff/", "desk": "/staff/desk"}
    with live_server(settings) as base:
        async with chromium() as browser:
            for scheme in ("light", "dark"):
                context = await browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme)
                page = await context.new_page()
                await log_in(page, base, "sam@brewline.example")
                for name, path in pages.items():
                    await page.goto(base + path)
                    wide, inner = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                    assert wide <= inner, f"{path} in {scheme} is {wide} px wide on a {inner} px phone"
                    await screenshot(page, f"phone-{name}-390-{scheme}")
                await context.close()
