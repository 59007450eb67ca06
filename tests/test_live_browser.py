"""Live updates in real browsers (htmx SSE extension): Bob votes and Alice's open board shows the new score without a
reload; Sam moves Alice's idea and her bell lights up; a visitor's idea page gets the new comment."""

from __future__ import annotations

import pytest

from tests.browser import axe_violations, chromium, live_server, needs_chromium, screenshot
from tests.conftest import PASSWORD
from tests.test_staff_browser import log_in

pytestmark = [pytest.mark.browser, needs_chromium]


async def test_bob_votes_alice_sees_it_then_sam_moves_her_idea_and_her_bell_updates(app, settings, alice, bob, sam,
                                                                                   make_idea):
    idea = await make_idea(alice, "Oat milk foam that holds")
    with live_server(settings) as base:
        async with chromium() as browser:
            alices, bobs, sams = [await (await browser.new_context(viewport={"width": 1280, "height": 900}))
                                  .new_page() for _ in range(3)]
            for page, person in ((alices, alice), (bobs, bob), (sams, sam)):
                await log_in(page, base, person.email)
            await alices.goto(base + "/")
            await alices.wait_for_selector("body[data-live-state=open]")
            score = alices.locator(f"#vote-widget-{idea.id} .score")
            assert (await score.text_content()).strip() == "0"
            assert await alices.locator("#bell .bell-count").count() == 0

            await bobs.goto(f"{base}/ideas/{idea.id}")
            await bobs.evaluate(f"document.querySelector('#vote-widget-{idea.id} .vote-up').click()")
            await bobs.locator(f"#vote-widget-{idea.id} .vote-up.active").wait_for()
            await alices.locator(f"#vote-widget-{idea.id} .score", has_text="1").wait_for(timeout=10_000)
            await alices.locator(f"#vote-widget-{idea.id} .tally", has_text="1↑ 0↓").wait_for(timeout=10_000)

            await sams.goto(f"{base}/staff/ideas/{idea.id}")
            await sams.select_option("#to-status", "under_review")
            await sams.evaluate("document.querySelector('#status-panel form button').click()")
            await alices.locator("#bell .bell-count", has_text="1").wait_for(timeout=10_000)
            assert alices.url.removeprefix(base) == "/"  # never reloaded


async def a_phone_reader_and_bob(browser, base: str, idea_id: int, bob):
    """A visitor reading the idea on a phone, its live stream open, and Bob logged in on a laptop."""
    reader = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
    bobs = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await reader.goto(f"{base}/ideas/{idea_id}")
    await reader.wait_for_selector("body[data-live-state=open]")
    await log_in(bobs, base, bob.email)
    return reader, bobs


async def test_a_visitor_reading_an_idea_sees_a_new_comment_arrive(app, settings, alice, bob, make_idea):
    idea = await make_idea(alice, "Earlier opening on Sundays")
    with live_server(settings) as base:
        async with chromium() as browser:
            reader, bobs = await a_phone_reader_and_bob(browser, base, idea.id, bob)
            await bobs.goto(f"{base}/ideas/{idea.id}")
            await bobs.fill("#comment-body", "Six would be *perfect*")
            await bobs.evaluate("document.querySelector('.comment-form button.primary').click()")
            await reader.locator("#comment-list .comment em", has_text="perfect").wait_for(timeout=10_000)
            assert (await reader.locator("#comment-count").text_content()).strip() == "1 comment"
            assert await reader.locator(".no-comments").is_hidden()
            await bobs.locator("#comment-list .comment", has_text="Six would be").wait_for()
            assert await bobs.locator("#comment-list .comment").count() == 1  # his own page: not added twice


async def test_the_idea_page_with_share_preview_and_an_edited_comment_in_both_themes(app, settings, alice, bob,
                                                                                     make_idea):
    from ideaboard import comments, images, picture_store

    idea = await make_idea(alice, "Oat milk foam that holds its shape", "It collapses before I reach the table.")
    await images.add_to_idea(picture_store.for_settings(settings), idea, alice, "foam.png", a_png())
    comment = await comments.add_comment(idea, bob, "Same here, **every** time.")
    await comments.edit_comment(comment.id, bob, "Same here, **every** single time.")
    found = []
    with live_server(settings) as base:
        async with chromium() as browser:
            for scheme in ("light", "dark"):
                for width in (390, 1280):
                    context = await browser.new_context(viewport={"width": width, "height": 900},
                                                        color_scheme=scheme)
                    page = await context.new_page()
                    await log_in_any_width(page, base, bob.email)
                    await page.goto(f"{base}/ideas/{idea.id}")
                    if (scheme, width) == ("light", 1280):  # @name autocomplete completes the name being typed
                        await page.fill("#comment-body", "Thanks @Ali")
                        await page.click('[data-mention="@Alice.Martin"]')
                        assert await page.input_value("#comment-body") == "Thanks @Alice.Martin "
                    await page.fill("#comment-body", "A *preview* with @Alice")
                    await page.click("button[name=preview]")
                    await page.locator("#comment-preview em", has_text="preview").wait_for()
                    assert await page.locator("#share-x").is_visible()
                    assert "edited" in await page.locator(f"#comment-{comment.id}").text_content()
                    scroll, inner = await page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
                    assert scroll <= inner, f"{scheme} {width}: {scroll} px wide"
                    found += [f"{scheme} {width}: {v}" for v in await axe_violations(page)]
                    await screenshot(page, f"idea-page-{width}-{scheme}")
                    await context.close()
    assert not found, "\n".join(found)


async def log_in_any_width(page, base: str, email: str) -> None:
    """Log in at any width (on a phone the Log out button sits in the closed menu)."""
    await page.goto(base + "/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    async with page.expect_navigation():
        await page.click("main button:has-text('Log in')")


def a_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.radial_gradient("L").convert("RGB").resize((640, 360)).save(out, "PNG")
    return out.getvalue()


async def test_alice_uploads_a_picture_with_the_plain_file_input_on_her_phone(app, settings, alice, make_idea,
                                                                             tmp_path):
    idea = await make_idea(alice, "Foam art class")
    photo = tmp_path / "foam.png"
    photo.write_bytes(a_png())
    with live_server(settings) as base:
        async with chromium() as browser:
            page = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
            await log_in_any_width(page, base, alice.email)
            await page.goto(f"{base}/ideas/{idea.id}")
            await page.set_input_files("#idea-image-file", str(photo))
            async with page.expect_navigation():
                await page.click(".image-upload button")
            await page.locator("#idea-image img").wait_for()
            loaded = await page.evaluate("document.querySelector('#idea-image img').naturalWidth")
            assert loaded == 480  # the thumbnail, served as an image
            assert "Your picture is on the idea." in await page.content()
            await screenshot(page, "idea-page-upload-390-light")


async def test_alice_drops_a_picture_on_the_form_while_writing_and_it_is_posted_with_her_idea(app, settings, alice):
    with live_server(settings) as base:
        async with chromium() as browser:
            page = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
            await log_in_any_width(page, base, alice.email)
            await page.goto(f"{base}/ideas/new")
            await page.fill("#title", "Latte art in the app")
            drop = await page.evaluate_handle("""bytes => {
                const data = new DataTransfer();
                data.items.add(new File([new Uint8Array(bytes)], "foam.png", {type: "image/png"}));
                return data;
            }""", list(a_png()))
            await page.dispatch_event("#body", "drop", {"dataTransfer": drop})
            assert await page.evaluate("document.querySelector('#image').files[0].name") == "foam.png"
            assert page.url.endswith("/ideas/new")  # dropping only attaches: nothing is sent yet
            await page.fill("#body", "Show me the pattern before I order.")
            async with page.expect_navigation():
                await page.click("button:has-text('Publish idea')")
            await page.locator("#idea-image img").wait_for()
            assert await page.evaluate("document.querySelector('#idea-image img').naturalWidth") == 480
            await screenshot(page, "idea-written-with-picture-390-light")


async def test_a_reader_sees_bob_fix_his_comment_and_delete_another_without_reloading(app, settings, alice, bob,
                                                                                      make_idea):
    from ideaboard import comments

    idea = await make_idea(alice, "Earlier opening on Sundays")
    typo = await comments.add_comment(idea, bob, "Sevn would be perfect")
    second = await comments.add_comment(idea, bob, "Posted twice by mistake")
    with live_server(settings) as base:
        async with chromium() as browser:
            reader, bobs = await a_phone_reader_and_bob(browser, base, idea.id, bob)
            await bobs.goto(f"{base}/comments/{typo.id}/edit")
            await bobs.fill("#comment-body", "Seven would be *perfect*")
            async with bobs.expect_navigation():
                await bobs.click("button:has-text('Save changes')")
            await reader.locator(f"#comment-text-{typo.id} em", has_text="perfect").wait_for(timeout=10_000)
            assert (await reader.locator(f"#comment-edited-{typo.id}").text_content()).strip() == "· edited"

            bobs.on("dialog", lambda dialog: dialog.accept())  # "Delete this comment?"
            async with bobs.expect_navigation():
                await bobs.click(f"#comment-{second.id} button:has-text('Delete')")
            await reader.locator(f"#comment-{second.id}").wait_for(state="detached", timeout=10_000)
            assert (await reader.locator("#comment-count").text_content()).strip() == "1 comment"
            assert await reader.locator(f"#comment-{typo.id}").count() == 1
            assert reader.url == f"{base}/ideas/{idea.id}"  # never reloaded
