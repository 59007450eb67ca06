"""Submitting, reading, editing and browsing ideas, as customers and employees see it."""

from bs4 import BeautifulSoup

from ideaboard.models import Idea, Space, Status
from ideaboard.votes import cast_vote


def titles(html: str) -> list[str]:
    return [a.text for a in BeautifulSoup(html, "html.parser").select(".idea-title a")]


async def test_alice_shares_an_idea_and_lands_on_its_page(browser_for, alice, categories):
    client = await browser_for(alice)
    response = await client.post("/ideas/new", {
        "title": "Dark mode for the mobile app", "body": "Ordering at night **hurts**.",
        "category": str(categories["Mobile app"].id), "tags": "ui, #Mobile ui",
    })
    assert response.status_code == 303
    page = BeautifulSoup((await client.get(response.headers["location"])).text, "html.parser")
    assert page.h1.text == "Dark mode for the mobile app"
    assert page.select_one(".prose strong").text == "hurts"
    assert [a.text for a in page.select(".idea-main .tag")] == ["#ui", "#mobile"]
    assert page.select_one(".chip").text == "Mobile app"
    assert "Your idea is live" in page.select_one(".flash").text


async def test_a_too_short_title_is_explained_and_the_description_is_kept(browser_for, alice):
    client = await browser_for(alice)
    response = await client.post("/ideas/new", {"title": "Dark", "body": "A long careful description."})
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert "5 to 120 characters" in soup.select_one("#title-error").text
    assert soup.select_one("#title")["value"] == "Dark"
    assert soup.select_one("#body").text == "A long careful description."
    assert await Idea.all().count() == 0


async def test_an_unknown_category_or_too_many_tags_are_refused_with_messages(browser_for, alice):
    client = await browser_for(alice)
    response = await client.post("/ideas/new", {"title": "Valid title here", "category": "999",
                                                "tags": "a b c d e f"})
    soup = BeautifulSoup(response.text, "html.parser")
    assert "Choose a category" in soup.select_one("#category-error").text
    assert "at most 5 tags" in soup.select_one("#tags-error").text


async def test_visitors_are_asked_to_log_in_before_sharing(visitor):
    response = await visitor.get("/ideas/new")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=/ideas/new")


async def test_markdown_is_sanitized_and_titles_are_escaped(browser_for, alice):
    client = await browser_for(alice)
    body = "Hi <script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror=alert(3)>"
    response = await client.post("/ideas/new", {"title": "<b>Bold</b> idea title", "body": body})
    html = (await client.get(response.headers["location"])).text
    prose = BeautifulSoup(html, "html.parser").select_one(".idea-main .prose")
    assert prose.select("script, img, [onerror]") == []
    assert not [a for a in prose.select("a") if a["href"].startswith("javascript:")]
    assert "alert(1)" in prose.text  # shown as harmless text, not run
    assert "&lt;b&gt;Bold&lt;/b&gt; idea title" in html


async def test_submitting_ideas_is_rate_limited_per_person_without_losing_the_text(browser_for, alice, settings):
    client = await browser_for(alice)
    for n in range(settings.ideas_per_hour):
        assert (await client.post("/ideas/new", {"title": f"Idea number {n}"})).status_code == 303
    response = await client.post("/ideas/new", {"title": "One idea too many", "body": "Keep me"})
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert "wait a while" in soup.select_one("#title-error").text
    assert soup.select_one("#body").text == "Keep me"
    assert await Idea.all().count() == settings.ideas_per_hour


async def test_the_author_can_edit_while_the_idea_is_new_and_not_after_review_starts(browser_for, alice, make_idea):
    idea = await make_idea(alice, "Dark mode plz")
    client = await browser_for(alice)
    response = await client.post(f"/ideas/{idea.id}/edit", {"title": "Dark mode, please", "body": "Reworded"})
    assert response.status_code == 303
    await idea.refresh_from_db()
    assert idea.title == "Dark mode, please" and "Reworded" in idea.body_html
    idea.status = Status.UNDER_REVIEW
    await idea.save()
    response = await client.post(f"/ideas/{idea.id}/edit", {"title": "Sneaky change"})
    assert response.status_code == 403 and "no longer be edited" in response.text
    await idea.refresh_from_db()
    assert idea.title == "Dark mode, please"


async def test_nobody_else_can_edit_an_idea(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(bob)
    response = await client.post(f"/ideas/{idea.id}/edit", {"title": "Bob's version of it"})
    assert response.status_code == 403
    assert (await Idea.get(id=idea.id)).title == "Dark mode for the mobile app"


async def test_sorting_hot_top_and_new(visitor, alice, bob, erin, make_idea):
    old_popular = await make_idea(alice, "Old but loved idea")
    await Idea.filter(id=old_popular.id).update(created_at=old_popular.created_at.replace(year=2024))
    fresh = await make_idea(alice, "Fresh idea today")
    middling = await make_idea(alice, "Middling idea today")
    for voter in (alice, bob, erin):
        await cast_vote(old_popular.id, voter, 1)
    await cast_vote(middling.id, bob, 1)
    await cast_vote(fresh.id, bob, -1)
    assert titles((await visitor.get("/?sort=top")).text) == ["Old but loved idea", "Middling idea today", "Fresh idea today"]
    assert titles((await visitor.get("/?sort=new")).text) == ["Middling idea today", "Fresh idea today", "Old but loved idea"]
    assert titles((await visitor.get("/?sort=hot")).text) == ["Middling idea today", "Fresh idea today", "Old but loved idea"]


async def test_filters_by_category_tag_and_status(visitor, alice, make_idea, categories):
    await make_idea(alice, "Apple Watch ordering", category=categories["Mobile app"], tags=["wearables"])
    planned = await make_idea(alice, "Power outlets at tables", category=categories["In the store"])
    await Idea.filter(id=planned.id).update(status=Status.PLANNED)
    assert titles((await visitor.get("/?category=mobile-app")).text) == ["Apple Watch ordering"]
    assert titles((await visitor.get("/?tag=wearables")).text) == ["Apple Watch ordering"]
    assert titles((await visitor.get("/?status=planned")).text) == ["Power outlets at tables"]


async def test_the_list_is_paginated(visitor, alice, make_idea, settings):
    for n in range(settings.page_size + 3):
        await make_idea(alice, f"Numbered idea {n:02d}")
    first = await visitor.get("/?sort=new")
    second = await visitor.get("/?sort=new&page=2")
    assert len(titles(first.text)) == settings.page_size
    assert titles(second.text) == ["Numbered idea 02", "Numbered idea 01", "Numbered idea 00"]
    assert "Page 2 of 2" in second.text


async def test_htmx_filtering_returns_only_the_list(visitor, alice, make_idea):
    await make_idea(alice)
    response = await visitor.get("/?sort=new", headers={"HX-Request": "true"})
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#idea-list") and soup.html is None and soup.header is None
    assert "HX-Request" in response.headers["vary"]


async def test_the_internal_space_is_only_for_employees(browser_for, alice, erin, make_idea):
    idea = await make_idea(erin, "Internal tooling for baristas", space=Space.INTERNAL)
    customer = await browser_for(alice)
    assert (await customer.get("/internal")).status_code == 404
    assert (await customer.get(f"/ideas/{idea.id}")).status_code == 404
    assert "Internal tooling" not in (await customer.get("/")).text
    employee = await browser_for(erin)
    assert titles((await employee.get("/internal")).text) == ["Internal tooling for baristas"]
    assert (await employee.get(f"/ideas/{idea.id}")).status_code == 200
    response = await customer.post("/ideas/new?space=internal", {"title": "Sneaking into internal"})
    assert response.status_code == 403 and await Idea.filter(space=Space.INTERNAL).count() == 1


async def test_a_missing_idea_shows_a_friendly_404(visitor):
    response = await visitor.get("/ideas/424242")
    assert response.status_code == 404
    assert "We couldn't find that" in response.text and "Back to ideas" in response.text


async def test_employees_are_badged_on_their_ideas(visitor, erin, make_idea):
    idea = await make_idea(erin, "Barista-suggested seasonal drink")
    soup = BeautifulSoup((await visitor.get(f"/ideas/{idea.id}")).text, "html.parser")
    assert soup.select_one(".idea-main .badge-employee").text == "Employee"
