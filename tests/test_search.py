"""Full-text search over ideas (FTS5 on SQLite, tsvector + GIN on Postgres)."""

from bs4 import BeautifulSoup

from ideaboard.models import Idea, Space


def result_titles(html: str) -> list[str]:
    return [a.text for a in BeautifulSoup(html, "html.parser").select("#results .idea-title a")]


async def test_search_finds_ideas_by_words_in_title_or_description(visitor, alice, make_idea):
    await make_idea(alice, "Dark mode for the app", "Night time ordering is bright")
    await make_idea(alice, "Oat milk at no extra charge", "Plant milks cost more; also a darker roast")
    await make_idea(alice, "Split the bill", "For teams ordering together")
    found = result_titles((await visitor.get("/search?q=ordering")).text)
    assert sorted(found) == ["Dark mode for the app", "Split the bill"]
    assert result_titles((await visitor.get("/search?q=milk")).text) == ["Oat milk at no extra charge"]


async def test_a_title_match_ranks_above_a_description_match(visitor, alice, make_idea):
    await make_idea(alice, "Better receipts", "Email receipts should list the mode of payment")
    await make_idea(alice, "Dark mode, finally", "Please")
    assert result_titles((await visitor.get("/search?q=mode")).text)[0] == "Dark mode, finally"


async def test_search_matches_word_forms(visitor, alice, make_idea):
    await make_idea(alice, "Recycling coffee grounds", "For gardeners")
    assert result_titles((await visitor.get("/search?q=recycle")).text) == ["Recycling coffee grounds"]


async def test_hidden_and_internal_ideas_are_not_found_by_customers(browser_for, alice, erin, make_idea):
    await make_idea(erin, "Internal espresso machine audit", space=Space.INTERNAL)
    hidden = await make_idea(alice, "Espresso spam idea")
    await Idea.filter(id=hidden.id).update(hidden=True)
    customer = await browser_for(alice)
    assert result_titles((await customer.get("/search?q=espresso")).text) == []
    employee = await browser_for(erin)
    assert result_titles((await employee.get("/search?q=espresso")).text) == ["Internal espresso machine audit"]


async def test_odd_input_never_breaks_search(visitor, alice, make_idea):
    await make_idea(alice, "Quotes and stars idea")
    for query in ['"unclosed', "star* OR", "NEAR(", "-", "' OR 1=1 --", "ünïcødé 🎉"]:
        response = await visitor.get("/search", params={"q": query})
        assert response.status_code == 200, query
    assert "No ideas match" in (await visitor.get("/search?q=zzzz")).text


async def test_an_edit_is_searchable_immediately(browser_for, alice, make_idea):
    idea = await make_idea(alice, "Old wording here")
    client = await browser_for(alice)
    await client.post(f"/ideas/{idea.id}/edit", {"title": "Loyalty stamps card"})
    assert result_titles((await client.get("/search?q=loyalty")).text) == ["Loyalty stamps card"]
    assert result_titles((await client.get("/search?q=wording")).text) == []


async def test_a_very_common_word_ranks_a_bounded_set_and_says_there_are_more(visitor, alice, make_idea,
                                                                             monkeypatch):
    """On a million ideas a common word matches too many to rank them all; the count then reads "1000+"."""
    from ideaboard import search

    monkeypatch.setattr(search, "CANDIDATES", 3)
    for n in range(5):
        await make_idea(alice, f"Coffee idea number {n}", "More coffee")
    await make_idea(alice, "Tea instead", "No match here")
    page = (await visitor.get("/search?q=coffee")).text
    assert "3+ results" in page
    assert len(result_titles(page)) == 3
    assert "1 result for" in (await visitor.get("/search?q=tea")).text
