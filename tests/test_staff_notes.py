"""Private staff notes: Sam writes "customer is Acme, 40 seats" on Alice's idea. The team reads it on the staff idea
page; Alice, visitors and the API (with Alice's key, or no key) never see a word of it."""

from __future__ import annotations

import httpx

from ideaboard import api_keys
from ideaboard.models import StaffNote
from ideaboard.urls import urls

NOTE = "Secret: the customer is Acme Corp with 40 seats"


async def test_a_staff_note_is_read_by_the_team_and_never_leaks(app, browser_for, alice, sam, ada, make_idea):
    idea = await make_idea(alice, "Oat milk in every store")
    staff = await browser_for(sam)
    saved = await staff.post(urls.staff_idea_notes(idea.id), {"note": NOTE})
    assert saved.status_code == 303 and saved.headers["location"].endswith("#notes")
    assert NOTE in (await staff.get(urls.staff_idea(idea.id))).text
    assert (await StaffNote.get(idea_id=idea.id)).author_id == sam.id

    for someone in (await browser_for(alice), await browser_for()):
        for path in (urls.idea(idea.id), "/", urls.search("acme"), "/feeds/ideas.atom", urls.staff_idea(idea.id)):
            assert "Acme" not in (await someone.get(path)).text, path
    assert (await (await browser_for(alice)).post(urls.staff_idea_notes(idea.id), {"note": "mine"})).status_code \
        in (403, 404)
    token = (await api_keys.create_key(ada, alice, "Alice's script", ("read", "write"))).token
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as api:
        for headers in ({}, {"Authorization": f"Bearer {token}"}):
            for path in (urls.api_idea(idea.id), urls.api_ideas(), f"{urls.api_idea(idea.id)}/comments"):
                answer = await api.get(path, headers=headers)
                assert answer.status_code == 200 and "Acme" not in answer.text, path


async def test_an_empty_note_is_refused(browser_for, alice, sam, make_idea):
    idea = await make_idea(alice, "Oat milk in every store")
    refused = await (await browser_for(sam)).post(urls.staff_idea_notes(idea.id), {"note": "   "})
    assert refused.status_code == 422 and "Write the note" in refused.text
    assert not await StaffNote.exists()
