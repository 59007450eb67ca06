"""Alice chooses her colour theme once and every page she opens uses it; visitors get their device's."""

from ideaboard.models import User


async def test_alice_picks_dark_and_every_page_says_so(browser_for, visitor, alice):
    client = await browser_for(alice)
    assert "data-theme" not in (await client.get("/")).text.split(">", 2)[1]  # her device decides at first
    response = await client.post("/settings/theme", {"theme": "dark"})
    assert response.status_code == 303
    assert (await User.get(id=alice.id)).theme == "dark"
    assert '<html lang="en" data-theme="dark">' in (await client.get("/")).text
    assert 'value="dark" checked' in (await client.get("/settings")).text
    assert "data-theme" not in (await visitor.get("/")).text.split(">", 2)[1]  # her choice is hers alone


async def test_a_theme_that_does_not_exist_is_refused_and_nothing_changes(browser_for, alice):
    client = await browser_for(alice)
    response = await client.post("/settings/theme", {"theme": "neon"})
    assert response.status_code == 422 and "Choose one of the themes" in response.text
    assert (await User.get(id=alice.id)).theme == "system"
