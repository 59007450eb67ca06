"""Pictures on ideas and comments: only real images, re-encoded (metadata and smuggled HTML gone), served so they
can never run as a page, shown only to those who may see the idea; an idea with one gets a large card on X."""

from __future__ import annotations

import io
import re

from bs4 import BeautifulSoup
from PIL import Image as Pillow

from ideaboard import comments, images
from ideaboard.models import Comment, Idea, Image, Space
from ideaboard.urls import urls

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def picture(fmt: str = "PNG", size: tuple[int, int] = (64, 48), **save) -> bytes:
    out = io.BytesIO()
    Pillow.new("RGB", size, (200, 120, 40)).save(out, fmt, **save)
    return out.getvalue()


def polyglot_gif() -> bytes:
    """A valid GIF with an HTML page in its comment extension and after its end: sniffers see HTML."""
    out = io.BytesIO()
    Pillow.new("P", (8, 8)).save(out, "GIF", comment=HTML)
    return out.getvalue() + HTML


async def upload(client, path: str, filename: str, data: bytes):
    token = await client.csrf()
    return await client.http.post(path, data={"csrf_token": token}, files={"image": (filename, data)})


async def test_alice_adds_a_picture_to_her_idea_and_it_becomes_its_large_card(visitor, browser_for, alice,
                                                                             make_idea):
    idea = await make_idea(alice, "Latte art stencils")
    exif = Pillow.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (51, 30, 0)}  # GPS latitude
    photo = picture("JPEG", (3000, 2000), exif=exif.tobytes())
    response = await upload(await browser_for(alice), f"/ideas/{idea.id}/image", "me.jpg", photo)
    assert response.status_code == 303, response.text
    image = await Image.get(idea_id=idea.id)
    assert (image.width, image.height) == (2048, 1365)  # scaled down to MAX_SIDE
    page = BeautifulSoup((await visitor.get(f"/ideas/{idea.id}")).text, "html.parser")
    assert page.find("meta", attrs={"name": "twitter:card"})["content"] == "summary_large_image"
    assert page.find("meta", property="og:image")["content"] == f"http://testserver/images/{image.key}"
    served = await visitor.get(page.select_one("#idea-image img")["src"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"] == f'inline; filename="{image.key}.jpg"'
    assert "sandbox" in served.headers["content-security-policy"]
    thumb = Pillow.open(io.BytesIO(served.content))
    assert max(thumb.size) == images.THUMB_SIDE and not thumb.getexif() and b"SecretCam" not in served.content
    full = await visitor.get(f"/images/{image.key}")
    assert b"SecretCam" not in full.content and not Pillow.open(io.BytesIO(full.content)).getexif()


async def test_a_gif_with_html_inside_is_stored_as_a_plain_gif(visitor, browser_for, alice, make_idea):
    idea = await make_idea(alice)
    evil = polyglot_gif()
    assert HTML in evil and Pillow.open(io.BytesIO(evil)).format == "GIF"
    assert (await upload(await browser_for(alice), f"/ideas/{idea.id}/image", "cat.gif", evil)).status_code == 303
    image = await Image.get(idea_id=idea.id)
    served = await visitor.get(f"/images/{image.key}")
    assert served.headers["content-type"] == "image/gif" and served.headers["x-content-type-options"] == "nosniff"
    assert b"<script" not in served.content and b"<html" not in served.content
    assert Pillow.open(io.BytesIO(served.content)).format == "GIF"


async def test_wrong_extensions_fakes_and_oversized_images_are_refused(browser_for, alice, make_idea):
    idea = await make_idea(alice)
    alices = await browser_for(alice)
    refused = {
        "page.html": (picture(), "Only JPEG, PNG, WebP or GIF"),
        "photo.png": (picture("JPEG"), "not the image its name says"),  # a JPEG called .png
        "photo.svg": (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "Only JPEG"),
        "page.gif": (HTML, "could not be read as an image"),
        "huge.png": (b"\x89PNG" + b"0" * (images.MAX_UPLOAD_BYTES + 10), "too large"),
        "wide.png": (picture("PNG", (8000, 4000)), "too many pixels"),
        "none.png": (b"", "Choose an image"),
    }
    for name, (data, message) in refused.items():
        response = await upload(alices, f"/ideas/{idea.id}/image", name, data)
        assert response.status_code == 303, name
        page = await alices.get(response.headers["location"])
        assert message in page.text, name
    way_too_big = await upload(alices, f"/ideas/{idea.id}/image", "huge.png", b"0" * (images.MAX_UPLOAD_BYTES * 2))
    assert way_too_big.status_code == 413  # past the upload limit the body is not even read to the end
    assert await Image.filter(idea_id=idea.id).count() == 0


async def test_only_the_author_uploads_and_uploads_need_the_csrf_token(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    bobs = await browser_for(bob)
    assert (await upload(bobs, f"/ideas/{idea.id}/image", "x.png", picture())).status_code == 303
    assert await Image.filter(idea_id=idea.id).count() == 0
    alices = await browser_for(alice)
    forged = await alices.http.post(f"/ideas/{idea.id}/image", files={"image": ("x.png", picture())})
    assert forged.status_code == 403 and await Image.filter(idea_id=idea.id).count() == 0


async def test_pictures_of_internal_ideas_and_hidden_comments_stay_private(visitor, browser_for, alice, bob, erin,
                                                                          make_idea):
    internal = await make_idea(erin, "Back-room shelving", space=Space.INTERNAL)
    await upload(await browser_for(erin), f"/ideas/{internal.id}/image", "shelf.png", picture())
    key = (await Image.get(idea_id=internal.id)).key
    assert (await visitor.get(f"/images/{key}")).status_code == 404
    assert (await (await browser_for(alice)).get(f"/images/{key}/thumb")).status_code == 404
    assert (await (await browser_for(erin)).get(f"/images/{key}")).status_code == 200
    idea = await make_idea(alice, "Cups")
    comment = await comments.add_comment(idea, bob, "Like this one")
    bobs = await browser_for(bob)
    assert (await upload(bobs, f"/comments/{comment.id}/image", "cup.webp", picture("WEBP"))).status_code == 303
    shown = BeautifulSoup((await visitor.get(f"/ideas/{idea.id}")).text, "html.parser")
    src = shown.select_one(f"#comment-{comment.id} .comment-image img")["src"]
    assert (await visitor.get(src)).headers["content-type"] == "image/webp"
    await Comment.filter(id=comment.id).update(hidden=True)
    assert (await visitor.get(src)).status_code == 404
    assert (await visitor.get("/images/" + "0" * 32)).status_code == 404
    assert (await visitor.get("/images/..%2f..%2fsecret")).status_code == 404


async def test_the_idea_page_offers_the_upload_only_to_its_author(visitor, browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    mine = (await (await browser_for(alice)).get(f"/ideas/{idea.id}")).text
    assert 'enctype="multipart/form-data"' in mine and re.search(r'<form class="image-upload"[^>]*data-drop', mine)
    bobs_page = (await (await browser_for(bob)).get(f"/ideas/{idea.id}")).text
    assert 'id="idea-image-file"' not in bobs_page and 'id="comment-image"' in bobs_page  # his own comment's
    assert 'name="image"' not in (await visitor.get(f"/ideas/{idea.id}")).text
    assert await Idea.filter(id=idea.id, image_url=None).exists()


async def write_with_picture(client, filename: str, data: bytes, title: str = "Reusable cup lids"):
    token = await client.csrf(urls.new_idea())
    return await client.http.post(urls.new_idea(), data={"csrf_token": token, "title": title,
                                                         "body": "Lids that snap on any cup."},
                                  files={"image": (filename, data)})


async def test_alice_attaches_a_picture_while_writing_her_idea(visitor, browser_for, alice):
    alices = await browser_for(alice)
    form = BeautifulSoup((await alices.get(urls.new_idea())).text, "html.parser").select_one("#idea-form")
    assert form["enctype"] == "multipart/form-data" and form.select_one("input[type=file][name=image]")
    posted = await write_with_picture(alices, "lid.png", picture("PNG", (640, 480)))
    idea = await Idea.get(title="Reusable cup lids")
    assert posted.status_code == 303 and posted.headers["location"] == urls.idea(idea.id)
    image = await Image.get(idea_id=idea.id)
    assert idea.image_url == urls.image(image.key) and image.owner_id == alice.id
    page = BeautifulSoup((await visitor.get(urls.idea(idea.id))).text, "html.parser")
    assert page.find("meta", attrs={"name": "twitter:card"})["content"] == "summary_large_image"
    assert (await visitor.get(page.select_one("#idea-image img")["src"])).headers["content-type"] == "image/png"


async def test_a_bad_picture_keeps_the_text_and_posts_nothing_and_no_picture_is_fine(browser_for, alice):
    alices = await browser_for(alice)
    refused = await write_with_picture(alices, "lid.png", picture("JPEG"))  # a JPEG called .png
    assert refused.status_code == 422
    page = BeautifulSoup(refused.text, "html.parser")
    assert "not the image its name says" in page.select_one("#image-error").text
    assert page.select_one("#title")["value"] == "Reusable cup lids"
    assert "Lids that snap on any cup." in page.select_one("#body").text
    assert not await Idea.exists(title="Reusable cup lids") and not await Image.exists()
    too_big = await write_with_picture(alices, "lid.png", b"\x89PNG" + b"0" * (images.MAX_UPLOAD_BYTES + 10))
    assert too_big.status_code == 422 and "too large" in too_big.text and not await Idea.exists()
    plain = await alices.http.post(urls.new_idea(), data={"csrf_token": await alices.csrf(urls.new_idea()),
                                                          "title": "Reusable cup lids", "body": ""},
                                   files={"image": ("", b"")})  # the browser's empty file input
    assert plain.status_code == 303 and await Idea.filter(title="Reusable cup lids", image_url=None).exists()


async def test_bob_attaches_a_picture_to_his_comment_as_he_posts_it_and_a_bad_one_keeps_his_text(visitor, browser_for,
                                                                                               alice, bob, make_idea):
    idea = await make_idea(alice, "Cups made of oat husks")
    bobs = await browser_for(bob)
    token = await bobs.csrf(urls.idea(idea.id))
    refused = await bobs.http.post(urls.idea_comments(idea.id), data={"csrf_token": token, "body": "Like mine?"},
                                   files={"image": ("cup.gif", HTML)})
    assert refused.status_code == 422 and "could not be read as an image" in refused.text
    assert "Like mine?" in BeautifulSoup(refused.text, "html.parser").select_one("#comment-body").text
    assert not await Comment.exists(idea_id=idea.id)
    posted = await bobs.http.post(urls.idea_comments(idea.id), data={"csrf_token": token, "body": "Like mine?"},
                                  files={"image": ("cup.webp", picture("WEBP"))})
    assert posted.status_code == 303
    comment = await Comment.get(idea_id=idea.id)
    page = BeautifulSoup((await visitor.get(urls.idea(idea.id))).text, "html.parser")
    src = page.select_one(f"#comment-{comment.id} .comment-image img")["src"]
    assert (await visitor.get(src)).headers["content-type"] == "image/webp"


async def test_sam_puts_a_picture_on_a_campaign_brief_and_only_its_audience_sees_it(visitor, browser_for, alice, erin,
                                                                                  sam):
    from tests.test_campaigns import make_campaign

    campaign = await make_campaign(sam, title="Greener cups")
    assert (await upload(await browser_for(alice), urls.staff_campaign_image(campaign.id), "cup.png",
                         picture())).status_code == 403  # the staff console only
    sams = await browser_for(sam)
    assert (await upload(sams, urls.staff_campaign_image(campaign.id), "cup.html", picture())).status_code == 303
    assert not await Image.filter(campaign_id=campaign.id).exists()  # refused, with the message on the page
    assert (await upload(sams, urls.staff_campaign_image(campaign.id), "cup.png", picture())).status_code == 303
    image = await Image.get(campaign_id=campaign.id)
    page = BeautifulSoup((await visitor.get(urls.campaign(campaign.slug))).text, "html.parser")
    src = page.select_one(".campaign-brief .campaign-image img")["src"]
    assert src == urls.image_thumb(image.key) and (await visitor.get(src)).headers["content-type"] == "image/png"
    assert page.select_one(f"#campaign-{campaign.id} .campaign-thumb") is None  # the card is on the index
    index = BeautifulSoup((await visitor.get(urls.campaigns())).text, "html.parser")
    assert index.select_one(f"#campaign-{campaign.id} .campaign-thumb")["src"] == urls.image_thumb(image.key)

    internal = await make_campaign(sam, title="Back-room tidy", space="internal")
    await upload(sams, urls.staff_campaign_image(internal.id), "shelf.png", picture())
    key = (await Image.get(campaign_id=internal.id)).key
    assert (await visitor.get(urls.image(key))).status_code == 404
    assert (await (await browser_for(alice)).get(urls.image(key))).status_code == 404
    assert (await (await browser_for(erin)).get(urls.image(key))).status_code == 200


async def test_a_page_of_comments_finds_its_pictures_by_index_not_by_reading_every_picture(alice, make_idea):
    """On a big board the idea page must not scan every picture ever uploaded to show its comments' ones (0031)."""
    from tortoise.transactions import in_transaction

    from ideaboard import reads, sql

    idea = await make_idea(alice, "Dark mode for the mobile app", "")
    query = reads.comments_images(idea.id, None, 21)
    text = sql.placeholders(sql.dialect(), query.text)
    async with in_transaction() as conn:
        if sql.is_postgres():
            await conn.execute_script("SET LOCAL enable_seqscan = off")  # a tiny test board: show the plan's choice
            _, rows = await conn.execute_query(f"EXPLAIN {text}", list(query.params))
        else:
            _, rows = await conn.execute_query(f"EXPLAIN QUERY PLAN {text}", list(query.params))
    plan = " ".join(str(value) for row in rows for value in dict(row).values())
    assert "images_by_comment" in plan, plan
