"""Every write of a member goes through ratelimit.RULES: sharing ideas (HTML and API) and editing too, not only votes,
comments, follows and reports."""

from __future__ import annotations

import pytest

from ideaboard import ratelimit
from ideaboard.settings import _replace
from ideaboard.urls import urls


@pytest.fixture
def settings(settings):
    return _replace(settings, edits_per_minute=2, ideas_per_hour=2)


def test_every_member_write_has_a_rule():
    assert {"idea", "edit", "comment", "vote", "report", "follow"} <= set(ratelimit.RULES)


async def test_editing_and_deleting_count_against_one_limit(browser_for, alice, make_idea):
    idea = await make_idea(alice, "Dark mode for the mobile app")
    browser = await browser_for(alice)
    for n in range(2):
        assert (await browser.post(urls.idea_edit(idea.id), {"title": f"Dark mode, take {n}"})).status_code == 303
    refused = await browser.post(urls.idea_edit(idea.id), {"title": "Dark mode, take three"})
    assert refused.status_code == 429 and "editing faster than we allow" in refused.text
    assert refused.headers["retry-after"]


async def test_the_api_shares_the_idea_limit_of_the_site(app, ada, alice, browser_for):
    import httpx

    from ideaboard import api_keys

    await (await browser_for(alice)).post("/ideas/new", {"title": "Dark mode for the mobile app"})
    token = (await api_keys.create_key(ada, alice, "Alice's script", ("read", "write"))).token
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                 headers={"Authorization": f"Bearer {token}"}) as api:
        assert (await api.post(urls.api_ideas(), json={"title": "Oat milk in every store"})).status_code == 201
        refused = await api.post(urls.api_ideas(), json={"title": "Decaf after six pm"})
        assert refused.status_code == 429 and "sharing ideas faster than we allow" in refused.json()["detail"]
