"""Submitting, reading, editing and browsing ideas, as customers and employees see it."""

from bs4 import BeautifulSoup

from ideaboard.listing import list_ideas
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
    by_score = ["Old but loved idea", "Middling idea today", "Fresh idea today"]
    newest_first = ["Middling idea today", "Fresh idea today", "Old but loved idea"]
    assert titles((await visitor.get("/?sort=top")).text) == by_score
    assert titles((await visitor.get("/?sort=new")).text) == newest_first
    assert titles((await visitor.get("/?sort=hot")).text) == newest_first


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
    assert (await customer.get("/ideas/new?space=internal")).status_code == 404  # the space does not exist for them
    response = await customer.post("/ideas/new?space=internal", {"title": "Sneaking into internal"})
    assert response.status_code == 404 and await Idea.filter(space=Space.INTERNAL).count() == 1


async def test_a_missing_idea_shows_a_friendly_404(visitor):
    response = await visitor.get("/ideas/424242")
    assert response.status_code == 404
    assert "We couldn't find that" in response.text and "Back to ideas" in response.text


async def test_employees_are_badged_on_their_ideas(visitor, erin, make_idea):
    idea = await make_idea(erin, "Barista-suggested seasonal drink")
    soup = BeautifulSoup((await visitor.get(f"/ideas/{idea.id}")).text, "html.parser")
    assert soup.select_one(".idea-main .badge-employee").text == "Employee"


def pager_link(html: str, rel: str) -> str | None:
    link = BeautifulSoup(html, "html.parser").select_one(f".pager a[rel={rel}]")
    return "/" + link["href"] if link else None


async def walk(client, path: str, rel: str) -> list[list[str]]:
    """Every page from `path` on, following the pager's `rel` links as a reader clicking through would."""
    pages = []
    while path:
        html = (await client.get(path)).text
        pages.append(titles(html))
        path = pager_link(html, rel)
    return pages


async def test_readers_page_through_every_sort_forwards_and_back_without_gaps(visitor, alice, make_idea, settings):
    for n in range(2 * settings.page_size + 5):
        await make_idea(alice, f"Numbered idea {n:02d}")
    await Idea.filter(title__in=["Numbered idea 07", "Numbered idea 30"]).update(score=3, hot=1e9)  # ties on score
    for sort in ("hot", "top", "new"):
        forwards = await walk(visitor, f"/?sort={sort}", "next")
        assert [len(p) for p in forwards] == [settings.page_size, settings.page_size, 5], sort
        listed = [t for p in forwards for t in p]
        assert sorted(listed) == sorted(f"Numbered idea {n:02d}" for n in range(2 * settings.page_size + 5))
        last = await visitor.get(f"/?sort={sort}")
        for _ in range(2):
            last_path = pager_link(last.text, "next")
            last = await visitor.get(last_path)
        assert "Page 3 of 3" in last.text and "after=" in last_path
        backwards = await walk(visitor, last_path, "prev")
        assert backwards == forwards[::-1], sort


async def test_more_continues_where_the_reader_left_off_when_new_ideas_arrive(visitor, alice, bob, make_idea, settings):
    for n in range(settings.page_size + 3):
        await make_idea(alice, f"Numbered idea {n:02d}")
    first = await visitor.get("/?sort=new")
    await make_idea(bob, "A brand new idea while Bob reads")
    second = await visitor.get(pager_link(first.text, "next"))
    assert titles(second.text) == ["Numbered idea 02", "Numbered idea 01", "Numbered idea 00"]


async def test_old_page_links_and_malformed_cursors_still_work(visitor, alice, make_idea, settings):
    for n in range(settings.page_size + 3):
        await make_idea(alice, f"Numbered idea {n:02d}")
    assert titles((await visitor.get("/?sort=new&page=2")).text)[0] == "Numbered idea 02"
    junk = await visitor.get("/?sort=new&after=not-a-cursor&before=1e999:x")
    assert junk.status_code == 200 and titles(junk.text)[0] == f"Numbered idea {settings.page_size + 2:02d}"


async def test_a_big_board_caps_its_count_and_pages_tag_filters_without_one(visitor, alice, make_idea, settings,
                                                                            monkeypatch):
    from ideaboard import counts

    monkeypatch.setattr(counts, "COUNT_LIMIT", 10)  # the board below counts as big, as 10,000+ ideas would
    monkeypatch.setattr(counts, "_counts", {})
    for n in range(settings.page_size + 2):
        await make_idea(alice, f"Numbered idea {n:02d}", tags=["wifi"])
    board = BeautifulSoup((await visitor.get("/")).text, "html.parser")
    assert board.select_one(".count").text == "10+ ideas"
    tagged = await visitor.get("/?tag=wifi")
    soup = BeautifulSoup(tagged.text, "html.parser")
    assert soup.select_one(".count") is None and soup.select_one(".pager span").text == "Page 1"
    rest = await visitor.get(pager_link(tagged.text, "next"))
    assert len(titles(rest.text)) == 2 and pager_link(rest.text, "next") is None


async def test_a_big_total_is_shown_while_it_is_recounted_in_the_background(alice, make_idea, monkeypatch):
    import asyncio

    from ideaboard import counts

    monkeypatch.setattr(counts, "COUNT_CACHE_MIN", 1)
    monkeypatch.setattr(counts, "COUNT_FRESH_SECONDS", 0.0)  # every cached total is already stale
    monkeypatch.setattr(counts, "_counts", {})
    await make_idea(alice, "First idea on the board")
    assert (await list_ideas(None)).total == 1
    await make_idea(alice, "Second idea on the board")
    assert (await list_ideas(None)).total == 1  # the cached total, while one query refreshes it
    await asyncio.gather(*list(counts._counting.values()))
    assert (await list_ideas(None)).total == 2


async def test_list_and_idea_pages_carry_the_same_values_the_orm_loads(alice, erin, make_idea, categories):
    from ideaboard import ideas

    await make_idea(alice, "Apple Watch ordering", category=categories["Mobile app"], tags=["wearables"])
    await make_idea(erin, "Barista-suggested seasonal drink")
    page = await list_ideas(None, sort="new")
    orm = {i.id: i for i in await Idea.all().select_related("author", "category")}
    fields = [f for f in Idea._meta.db_fields if f not in ("body", "body_html")]
    opened = [await ideas.get_idea(i.id, erin) for i in page.items]
    assert [[getattr(i, f) for f in Idea._meta.db_fields] for i in opened] == [
        [getattr(orm[i.id], f) for f in Idea._meta.db_fields] for i in opened]
    for item in [*page.items, *opened]:
        expected = orm[item.id]
        assert [getattr(item, f) for f in fields] == [getattr(expected, f) for f in fields]
        assert type(item.status) is str and item.created_at.tzinfo is not None  # a key of the board's statuses
        assert (item.author.id, item.author.name, item.author.role) == (expected.author.id, expected.author.name,
                                                                         expected.author.role)
        assert item.category == expected.category and getattr(item.category, "slug", None) == getattr(
            expected.category, "slug", None)


async def test_board_cards_carry_the_values_the_orm_loads_on_every_page_shape(alice, bob, erin, make_idea,
                                                                                  categories):
    from ideaboard import reads

    dark = await make_idea(alice, "Apple Watch ordering", category=categories["Mobile app"], tags=["wearables", "ui"])
    await make_idea(erin, "Barista-suggested seasonal drink")
    await make_idea(bob, "Quieter mornings", tags=["ui"])
    await cast_vote(dark.id, bob, -1)
    orm = {i.id: i for i in await Idea.all().select_related("author", "category")}
    for viewer, kwargs in [(None, {}), (bob, {}), (None, {"sort": "new", "size": 2}), (bob, {"tag": "ui"}),
                           (bob, {"category": "mobile-app", "sort": "top"})]:
        ideas_page = await list_ideas(viewer, **kwargs)
        cards_page = await list_ideas(viewer, cards=True, **kwargs)
        assert [c.id for c in cards_page.items] == [i.id for i in ideas_page.items], kwargs
        assert (cards_page.total, cards_page.after, cards_page.before, cards_page.more, cards_page.tags,
                cards_page.my_votes) == (ideas_page.total, ideas_page.after, ideas_page.before, ideas_page.more,
                                         ideas_page.tags, ideas_page.my_votes), kwargs
        for card in cards_page.items:
            expected = orm[card.id]
            assert [getattr(card, f) for f in reads.CARD_COLUMNS] == [getattr(expected, f) for f in reads.CARD_COLUMNS]
            assert type(card.status) is str and type(card.space) is Space and card.created_at.tzinfo is not None
            assert (card.author.id, card.author.name, card.author.role) == (
                expected.author.id, expected.author.name, expected.author.role)
            category = expected.category
            assert (card.category and (card.category.id, card.category.name, card.category.slug)) == (
                category and (category.id, category.name, category.slug))
            assert (card.campaign_title, card.campaign_slug) == (None, None)
    assert (await list_ideas(bob, tag="ui", cards=True)).my_votes == {dark.id: -1}


async def test_bobs_board_shows_his_votes_and_every_cards_tags_in_each_filter(browser_for, alice, bob, make_idea,
                                                                                categories):
    dark = await make_idea(alice, "Dark mode for the mobile app", tags=["ui", "mobile"],
                           category=categories["Mobile app"])
    cups = await make_idea(alice, "Reusable cup discount", tags=["cups"])
    await make_idea(alice, "Quieter mornings")
    await cast_vote(dark.id, bob, 1)
    await cast_vote(cups.id, bob, -1)
    client = await browser_for(bob)
    for path in ["/", "/?sort=new", "/?tag=ui", "/?category=mobile-app&sort=top", "/?status=new"]:
        page = BeautifulSoup((await client.get(path)).text, "html.parser")
        cards = {card.select_one(".idea-title a").text: card for card in page.select(".idea-card")}
        card = cards["Dark mode for the mobile app"]
        assert [a.text for a in card.select(".tag")] == ["#ui", "#mobile"], path
        assert card.select_one(".vote-up")["aria-pressed"] == "true", path
        if "Reusable cup discount" in cards:
            assert cards["Reusable cup discount"].select_one(".vote-down")["aria-pressed"] == "true"
            assert [a.text for a in cards["Reusable cup discount"].select(".tag")] == ["#cups"]
    page = await list_ideas(bob, tag="ui")
    assert (page.total, page.my_votes, page.tags) == (1, {dark.id: 1}, {dark.id: ["ui", "mobile"]})


async def test_the_board_opens_on_open_ideas_and_closed_ones_wait_behind_their_status(visitor, alice, sam, make_idea):
    from ideaboard.workflow import transition

    titles_by_status = {}
    for status, path in [("new", []), ("planned", ["under_review", "planned"]), ("launched",
                         ["under_review", "planned", "in_progress", "launched"]), ("declined", ["declined"])]:
        idea = await make_idea(alice, f"A {status} idea about cups")
        for step in path:
            idea = await Idea.get(id=idea.id)
            await transition(idea, sam, Status(step))
        titles_by_status[status] = idea.title
    page = (await visitor.get("/")).text
    assert sorted(titles(page)) == ["A new idea about cups", "A planned idea about cups"]
    assert "Open ideas" in page
    for closed in ("launched", "declined"):
        assert titles((await visitor.get(f"/?status={closed}")).text) == [titles_by_status[closed]]


async def test_a_visitor_sees_the_same_vote_arrows_on_the_board_and_on_the_idea_page(visitor, alice, bob, make_idea):
    idea = await make_idea(alice, 'Oat milk & "barista" blends <please>')
    await cast_vote(idea.id, bob, 1)

    def widget(html: str):
        found = BeautifulSoup(html, "html.parser").select_one(f"#vote-widget-{idea.id}")
        return " ".join(str(found).split())

    on_board = widget((await visitor.get("/")).text)
    assert on_board == widget((await visitor.get(f"/ideas/{idea.id}")).text)
    assert 'href="/login?next=/ideas/' in on_board and "&lt;please&gt;" in on_board and "1↑ 0↓" in on_board
