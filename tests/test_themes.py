"""Two levels on real customer questions (tests/data/banking77_sample.csv, 15 intents): a readable number of broad
themes, each named by a real idea's title and its distinguishing phrases, with every cluster of near-duplicates
inside one theme; brand words and words in most ideas never name a theme; a large board is themed from a sample."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from workers.clustering import Document, TextEncoder
from workers.themes import MAX_THEMES, group_board, theme_count, theme_labels

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def questions() -> tuple[list[Document], list[str]]:
    with open(DATA / "banking77_sample.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [Document(n, r["text"]) for n, r in enumerate(rows)], [r["category"] for r in rows]


def test_every_cluster_lies_in_one_theme_and_themes_are_few_and_named_by_an_idea(questions):
    docs, intents = questions
    board = group_board(docs)
    themes = {board.themes[d.id] for d in docs}
    assert 2 <= len(themes) <= min(MAX_THEMES, theme_count(len(docs)))
    assert len(themes) < len(set(board.clusters.values()))
    for cluster in set(board.clusters.values()):
        assert len({board.themes[d.id] for d in docs if board.clusters[d.id] == cluster}) == 1
    titles = {d.id: d.title for d in docs}
    for info in board.theme_info.values():
        assert info.name.startswith(titles[info.representative]) and board.themes[info.representative] == info.number
        assert info.size == sum(1 for d in docs if board.themes[d.id] == info.number)
    assert adjusted_rand_score(intents, [board.themes[d.id] for d in docs]) > 0.2  # broad, but about the intents


def test_brand_words_and_words_in_most_ideas_never_name_a_theme_or_a_cluster(questions):
    docs, _ = questions
    branded = [Document(d.id, f"@Brewline {d.title} on the app") for d in docs[:300]]
    board = group_board(branded, brand=["@brewline", "Brewline"])
    terms = [t for info in board.theme_info.values() for t in info.terms]
    assert terms and not any({"brewline", "app"} & set(t.split()) for t in terms)
    labels = [term for name in board.cluster_names.values() for term in name.split(" · ") if name]
    assert labels and not any({"brewline", "app"} & set(t.split()) for t in labels)  # nor a cluster


def test_a_large_board_is_themed_from_a_sample_and_every_idea_gets_a_theme(questions):
    docs, _ = questions
    _, vectors, _ = TextEncoder.fit(docs)
    whole = theme_labels(vectors)
    sampled = theme_labels(vectors, sample=200)
    assert len(sampled) == len(docs) and sampled.min() == 0 and len(np.unique(sampled)) == sampled.max() + 1
    assert adjusted_rand_score(whole, sampled) > 0.4  # the sample finds much the same themes
