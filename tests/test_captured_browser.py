"""In a real browser, with JavaScript off: Ada checks and imports a CSV of ideas from her old board, Sam records
Carol's feedback from a sales call on his phone, and the queue shows the revenue behind each idea. Screenshots of
each step at 390 and 1280 px land in screenshots/ (axe needs JavaScript: test_responsive runs it on these pages)."""

from __future__ import annotations

from pathlib import Path

from ideaboard.models import CapturedFeedback, Idea
from tests.browser import chromium, live_server, needs_chromium, screenshot
from tests.test_responsive import log_in

pytestmark = needs_chromium
CSV = ("title,body,author_email,author_name,status\n"
       "Oat milk at every store,Please,olga@oldtool.example,Olga Old,planned\n"
       "Pay with the watch,NFC,pat@oldtool.example,Pat,new\n")


async def test_ada_imports_and_sam_records_feedback_without_javascript(app, settings, ada, sam, alice, make_idea,
                                                                       tmp_path: Path):
    idea = await make_idea(alice, "Order ahead from the car")
    upload = tmp_path / "old-board.csv"
    upload.write_text(CSV)
    with live_server(settings) as base:
        async with chromium() as browser:
            context = await browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
            page = await context.new_page()
            await log_in(page, base, ada.email)
            await page.goto(base + "/staff/admin/data")
            await page.set_input_files("#import-file", str(upload))
            await page.click("button:has-text('Check the file')")
            await page.wait_for_selector("#import-report:has-text('Dry run')")
            assert await Idea.filter(title="Pay with the watch").count() == 0
            await page.set_input_files("#import-file", str(upload))
            await page.click("button:has-text('Import')")
            await page.wait_for_selector("#import-report:has-text('2 ideas were imported')")
            await screenshot(page, "admin-import-1280")
            await context.close()

            for width in (390, 1280):
                context = await browser.new_context(viewport={"width": width, "height": 844},
                                                    java_script_enabled=False)
                page = await context.new_page()
                await log_in(page, base, sam.email)
                await page.goto(f"{base}/staff/ideas/{idea.id}")
                await page.click("#feedback summary")
                await page.fill("#capture-email", f"carol{width}@bigco.example")
                await page.fill("#capture-name", "Carol Diaz")
                await page.fill("#capture-source", "sales call")
                await page.fill("#capture-company", "BigCo")
                await page.fill("#capture-revenue", "2500000")
                await page.fill("#capture-note", "Needs it for 40 stores")
                await page.check("input[name=vote]")
                await page.click("#feedback button:has-text('Record feedback')")
                await page.wait_for_selector("#feedback:has-text('recorded by Sam Rivera')")
                assert await page.evaluate("document.documentElement.scrollWidth") <= width
                await screenshot(page, f"staff-idea-feedback-{width}")
                await page.goto(base + "/staff/?sort=revenue")
                assert "2,500,000" in await page.locator(f"#queue-idea-{idea.id} .q-reach").inner_text()
                await screenshot(page, f"staff-queue-reach-{width}")
                await context.close()
    assert await CapturedFeedback.all().count() == 2 and (await Idea.get(id=idea.id)).score == 2
