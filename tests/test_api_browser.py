"""The API's pages in a real browser: Ada makes a key in the console and copies it; the reference page reads on a
phone and a desktop without scrolling sideways and passes axe."""

import pytest

from ideaboard.models import ApiKey
from ideaboard.urls import urls
from tests.browser import axe_violations, chromium, live_server, needs_chromium, screenshot
from tests.test_responsive import log_in

pytestmark = [pytest.mark.browser, needs_chromium]
WIDTHS = (390, 1280)


async def test_ada_makes_a_key_and_the_api_pages_read_at_phone_and_desktop_widths(app, settings, ada, sam):
    problems = []
    with live_server(settings) as base:
        async with chromium() as browser:
            context = await browser.new_context(viewport={"width": WIDTHS[0], "height": 844})
            page = await context.new_page()
            await log_in(page, base, ada.email)
            await page.goto(base + urls.admin_api_keys())
            await page.fill("#key-name", "Jira sync")
            await page.fill("#key-user", sam.email)
            await page.check("input[name=scope][value=staff]")
            await page.click("main button:has-text('Create key')")
            token = (await page.text_content("#new-key-token") or "").strip()
            assert token.startswith("ib_") and await ApiKey.filter(name="Jira sync").exists()
            for width in WIDTHS:
                await page.set_viewport_size({"width": width, "height": 844})
                for name, path in (("api-keys", None), ("api-reference", urls.api_reference())):
                    if path:
                        await page.goto(base + path)
                    scroll, inner = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                    if scroll > inner:
                        problems.append(f"{name} at {width} px is {scroll} px wide")
                    problems += [f"{name} at {width} px: {v}" for v in await axe_violations(page)]
                    await screenshot(page, f"{name}-{width}", full_page=False)
                await page.locator("#api_new_idea").scroll_into_view_if_needed()
                await screenshot(page, f"api-reference-{width}-new-idea", full_page=False)
                await page.goto(base + urls.admin_api_keys())  # the token is not shown again
                assert token not in await page.content()
            await context.close()
    assert not problems, "\n".join(problems)


async def test_the_webhook_pages_and_settings_tokens_read_at_phone_and_desktop_widths(app, settings, ada, alice,
                                                                                      make_idea):
    from ideaboard import webhooks
    from ideaboard.models import WebhookDelivery

    endpoint = await webhooks.create_endpoint(ada, "https://hooks.example.com/ideaboard/incoming", ["idea.created",
                                              "comment.created"], "Jira automation")
    await make_idea(alice)
    await WebhookDelivery.filter(endpoint=endpoint).update(attempts=2, last_status=500, last_error="answered 500")
    problems = []
    with live_server(settings) as base:
        async with chromium() as browser:
            for who, paths in ((ada.email, {"webhooks": urls.admin_webhooks(),
                                            "webhook-log": urls.admin_webhook(endpoint.id)}),
                               (alice.email, {"settings-tokens": urls.settings() + "#tokens"})):
                context = await browser.new_context(viewport={"width": WIDTHS[0], "height": 844})
                page = await context.new_page()
                await log_in(page, base, who)
                for width in WIDTHS:
                    await page.set_viewport_size({"width": width, "height": 844})
                    for name, path in paths.items():
                        await page.goto(base + path)
                        scroll, inner = await page.evaluate(
                            "[document.documentElement.scrollWidth, window.innerWidth]")
                        if scroll > inner:
                            problems.append(f"{name} at {width} px is {scroll} px wide")
                        problems += [f"{name} at {width} px: {v}" for v in await axe_violations(page)]
                        await screenshot(page, f"{name}-{width}", full_page=name != "settings-tokens")
                await context.close()
    assert not problems, "\n".join(problems)
