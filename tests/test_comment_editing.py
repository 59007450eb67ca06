"""Comment edit within 15 minutes (site and API), markdown preview (htmx and plain form), and the share control."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup

from ideaboard import comments
from ideaboard.models import Comment, Idea, Space
from tests.test_api import api_for  # noqa: F401  (the fixture)


async def _comment(client, idea: Idea, body: str) -> Comment:
    await client.post(f"/ideas/{idea.id}/comments", {"body": body})
    return await Comment.filter(idea_id=idea.id).order_by("-id").first()


async def test_alice_fixes_her_typo_and_the_comment_says_edited(browser_for, alice, bob, make_idea):
    idea = await make_idea(bob, "Almond croissants all day")
    alices = await browser_for(alice)
    comment = await _comment(alices, idea, "I'd by one evry morning")
    page = await alices.get(f"/ideas/{idea.id}")
    assert f'href="/comments/{comment.id}/edit"' in page.text and "· edited" not in page.text
    form = await alices.get(f"/comments/{comment.id}/edit")
    assert "I&#39;d by one evry morning" in form.text
    saved = await alices.post(f"/comments/{comment.id}/edit", {"body": "I'd buy one **every** morning"})
    assert saved.status_code == 303 and saved.headers["location"].endswith(f"#comment-{comment.id}")
    page = await alices.get(f"/ideas/{idea.id}")
    article = BeautifulSoup(page.text, "html.parser").find(id=f"comment-{comment.id}")
    assert "every" in article.find("strong").text and "edited" in article.text


async def test_the_edit_window_closes_after_15_minutes_on_the_server(browser_for, alice, bob, make_idea):
    idea = await make_idea(bob)
    alices = await browser_for(alice)
    comment = await _comment(alices, idea, "First take")
    await Comment.filter(id=comment.id).update(created_at=datetime.now(UTC) - timedelta(minutes=16))
    assert f'/comments/{comment.id}/edit"' not in (await alices.get(f"/ideas/{idea.id}")).text
    late = await alices.post(f"/comments/{comment.id}/edit", {"body": "Second take"})
    assert late.status_code == 403 and "15 minutes" in late.text and "Second take" in late.text  # text kept
    assert (await Comment.get(id=comment.id)).body == "First take"
    assert (await alices.get(f"/comments/{comment.id}/edit")).status_code == 303  # back to the idea, with a note


async def test_only_the_author_may_edit(browser_for, alice, bob, make_idea):
    idea = await make_idea(bob)
    comment = await _comment(await browser_for(alice), idea, "Mine")
    bobs = await browser_for(bob)
    assert (await bobs.get(f"/comments/{comment.id}/edit")).status_code == 404
    assert (await bobs.post(f"/comments/{comment.id}/edit", {"body": "Hijacked"})).status_code == 404
    assert (await Comment.get(id=comment.id)).body == "Mine"


async def test_the_domain_rule_takes_the_clock(alice, bob, make_idea):
    idea = await make_idea(bob)
    comment = await comments.add_comment(idea, alice, "On time")
    assert comments.editable(comment, alice, comment.created_at + timedelta(minutes=15))
    assert not comments.editable(comment, alice, comment.created_at + timedelta(minutes=15, seconds=1))
    assert not comments.editable(comment, bob, comment.created_at)


async def test_the_api_edits_within_the_window_and_refuses_after(api_for, alice, bob, make_idea):  # noqa: F811
    idea = await make_idea(bob)
    comment = await comments.add_comment(idea, alice, "Via the API")
    api = await api_for(alice)
    edited = await api.call("PATCH", f"/api/v1/comments/{comment.id}", json={"body": "Via the *API*"})
    assert edited.status_code == 200 and edited.json()["edited_at"] and "<em>API</em>" in edited.json()["body_html"]
    assert (await (await api_for(bob)).call("PATCH", f"/api/v1/comments/{comment.id}",
                                            json={"body": "x"})).status_code == 403
    await Comment.filter(id=comment.id).update(created_at=datetime.now(UTC) - timedelta(hours=1))
    late = await api.call("PATCH", f"/api/v1/comments/{comment.id}", json={"body": "Too late"})
    assert late.status_code == 403


async def test_preview_renders_through_the_sanitizer_with_and_without_javascript(browser_for, alice, bob,
                                                                               make_idea):
    idea = await make_idea(bob)
    alices = await browser_for(alice)
    text = "Hello **there** <script>alert(1)</script> [x](javascript:alert(2)) @Bob Nguyen"
    fragment = await alices.post(f"/ideas/{idea.id}/comments", {"body": text, "preview": "1"}, htmx=True)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "<strong>there</strong>" in fragment.text and "<script>" not in fragment.text
    assert 'href="javascript:' not in fragment.text and f'href="/users/{bob.id}"' in fragment.text
    page = await alices.post(f"/ideas/{idea.id}/comments", {"body": text, "preview": "1"})  # no JavaScript
    assert page.status_code == 200 and "<strong>there</strong>" in page.text and "&lt;script&gt;" in page.text
    assert await Comment.filter(idea_id=idea.id).count() == 0  # a preview posts nothing
    comment = await comments.add_comment(idea, alice, "Draft")
    edit_preview = await alices.post(f"/comments/{comment.id}/edit", {"body": "*new*", "preview": "1"}, htmx=True)
    assert "<em>new</em>" in edit_preview.text and (await Comment.get(id=comment.id)).body == "Draft"


async def test_every_public_idea_page_has_a_share_control_and_internal_ones_none(visitor, browser_for, alice,
                                                                                erin, make_idea):
    idea = await make_idea(alice, "Refill stations")
    page = BeautifulSoup((await visitor.get(f"/ideas/{idea.id}")).text, "html.parser")
    intent = page.find(id="share-x")["href"]
    assert intent.startswith("https://x.com/intent/tweet?text=") and "Refill%20stations" in intent
    assert page.find(id="share-url")["value"] == f"http://testserver/ideas/{idea.id}"
    assert page.find(attrs={"data-copy": "#share-url"}) is not None
    internal = await make_idea(erin, "Staff rota", space=Space.INTERNAL)
    assert 'id="share"' not in (await (await browser_for(erin)).get(f"/ideas/{internal.id}")).text


async def test_typing_an_at_name_suggests_members_the_viewer_may_mention(browser_for, alice, bob, erin, sam,
                                                                        make_idea):
    idea = await make_idea(alice, "Mentions")
    bobs = await browser_for(bob)
    box = await bobs.get(f"/ideas/{idea.id}")
    assert f'hx-get="/mentions?idea={idea.id}"' in box.text
    found = await bobs.get(f"/mentions?idea={idea.id}&body=Thanks+%40Al", headers={"HX-Request": "true"})
    assert 'data-mention="@Alice.Martin"' in found.text and "<html" not in found.text
    assert "Bob Nguyen" not in found.text  # never yourself
    assert "data-mention" not in (await bobs.get(f"/mentions?idea={idea.id}&body=no+mention+here")).text
    assert 'data-mention="@Sam.Rivera"' in (await bobs.get(f"/mentions?idea={idea.id}&body=%40ri")).text  # surname
    internal = await make_idea(erin, "Rota", space=Space.INTERNAL)
    sams = await browser_for(sam)
    inside = await sams.get(f"/mentions?idea={internal.id}&body=%40A")
    assert "Alice" not in inside.text  # a customer would never be told about an internal idea
    assert (await bobs.get(f"/mentions?idea={internal.id}&body=%40A")).status_code == 404
    assert (await (await browser_for()).get("/mentions?body=%40A")).status_code in (303, 302)  # visitors log in
