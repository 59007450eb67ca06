"""Similar ideas while typing: the worker builds the index, the web app answers keystrokes from it."""

import asyncio

import numpy as np
from bs4 import BeautifulSoup

from ideaboard.models import Idea, IdeaVector, Status
from ideaboard.suggest import SuggestModel
from workers.suggest_index import fit_model, index_idea, rebuild_suggest_index

IDEAS = [
    ("Dark mode for the mobile app", "Ordering at night with a bright screen hurts my eyes."),
    ("Oat milk at no extra charge", "Plant milks cost 60 cents more."),
    ("Save my usual order", "One tap to reorder my daily flat white."),
    ("Compostable lids for cups", "The lids cannot be composted."),
    ("Show how busy a store is", "Quiet or busy indicator per store."),
]


async def suggested(client, title: str) -> list[str]:
    response = await client.get("/ideas/similar", params={"title": title}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return [a.text for a in BeautifulSoup(response.text, "html.parser").select(".similar-item a.similar-title")]


def test_the_web_side_embeds_text_exactly_as_the_worker_fitted_it():
    texts = [f"{t}\n{b}" for t, b in IDEAS]
    model, vectors = fit_model(texts, version=1)
    restored = SuggestModel.from_bytes(model.to_bytes())
    for text, vector in zip(texts, vectors, strict=True):
        assert np.allclose(restored.embed(text), vector, atol=1e-4)


async def test_while_typing_a_title_the_customer_sees_the_existing_idea(visitor, alice, make_idea, worker_ctx):
    for title, body in IDEAS:
        await make_idea(alice, title, body)
    assert await rebuild_suggest_index(worker_ctx) == len(IDEAS)
    found = await suggested(visitor, "dark theme for the app at night")
    assert found[0] == "Dark mode for the mobile app"
    assert "Oat milk at no extra charge" not in found
    assert await suggested(visitor, "oat milk price") == ["Oat milk at no extra charge"]


async def test_half_typed_and_misspelt_words_still_match(visitor, alice, make_idea, worker_ctx):
    for title, body in IDEAS:
        await make_idea(alice, title, body)
    await rebuild_suggest_index(worker_ctx)
    assert (await suggested(visitor, "compostible li"))[0] == "Compostable lids for cups"


async def test_a_new_idea_becomes_suggestable_without_a_full_rebuild(visitor, alice, make_idea, worker_ctx):
    for title, body in IDEAS:
        await make_idea(alice, title, body)
    await rebuild_suggest_index(worker_ctx)
    fresh = await make_idea(alice, "Reusable cup discount", "Cheaper coffee when I bring my own cup.")
    assert await index_idea(worker_ctx, fresh.id) is True
    assert await index_idea(worker_ctx, fresh.id) is False  # running the job twice changes nothing
    await asyncio.sleep(1.05)  # web processes look for new vectors at most once a second
    assert "Reusable cup discount" in await suggested(visitor, "discount for my own cup")
    assert await IdeaVector.filter(idea_id=fresh.id).count() == 1


async def test_duplicates_and_hidden_ideas_are_not_suggested(visitor, alice, make_idea, worker_ctx):
    ideas = [await make_idea(alice, t, b) for t, b in IDEAS]
    await rebuild_suggest_index(worker_ctx)
    await Idea.filter(id=ideas[0].id).update(status=Status.DUPLICATE, merged_into_id=ideas[1].id)
    assert "Dark mode for the mobile app" not in await suggested(visitor, "dark mode app")


async def test_suggestions_show_status_score_and_an_inline_vote_button(browser_for, alice, bob, make_idea,
                                                                       worker_ctx):
    for title, body in IDEAS:
        await make_idea(alice, title, body)
    await rebuild_suggest_index(worker_ctx)
    client = await browser_for(bob)
    response = await client.get("/ideas/similar", params={"title": "save my usual order"})
    item = BeautifulSoup(response.text, "html.parser").select_one(".similar-item")
    assert item.select_one(".status").text == "New" and "points" in item.text
    idea_id = int(item.select_one("form.vote")["id"].rsplit("-", 1)[1])
    await client.post(f"/ideas/{idea_id}/vote", {"value": "up"}, htmx=True)
    assert (await Idea.get(id=idea_id)).score == 1


async def test_without_an_index_the_form_still_works_and_suggests_nothing(visitor, alice, make_idea):
    await make_idea(alice)
    assert await suggested(visitor, "dark mode") == []
