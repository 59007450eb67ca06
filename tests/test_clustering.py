"""Stories for the similarity layer: grouping ideas, naming groups, finding duplicates, incremental updates."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from sklearn.metrics import adjusted_rand_score

from ideaboard.demo import IDEAS as DEMO_IDEAS
from workers import clustering
from workers.clustering import Document, SimilarityIndex, cluster_documents, nearest_cluster

DARK = [
    Document(1, "Dark mode please", "My eyes hurt when I read ideas at night."),
    Document(2, "Add a dark theme", "A dark mode for the whole app would be easier on the eyes."),
    Document(3, "Night mode / dark theme"),
    Document(4, "Dark mode for the dashboard", "White background is too bright at night."),
    Document(5, "Support dark mode", "Follow the system dark theme setting."),
]
CSV = [
    Document(11, "Export ideas to CSV", "Download all ideas as a CSV spreadsheet."),
    Document(12, "CSV export of votes", "We need the votes in a spreadsheet for reporting."),
    Document(13, "Allow exporting ideas as a CSV file", "Excel-friendly CSV export."),
    Document(14, "Export to CSV / Excel"),
]
SSO = [
    Document(21, "Single sign-on with SAML", "Our company requires SSO through Okta."),
    Document(22, "SSO login via Okta or Azure AD", "Single sign-on for employees."),
    Document(23, "SAML single sign-on support"),
]
BOARD = DARK + CSV + SSO


DATA = Path(__file__).parent / "data"  # small labelled samples; sources and licences in data/README.md


def read_csv(name: str) -> list[dict[str, str]]:
    """The rows of one sample file under tests/data/."""
    with open(DATA / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_dark_mode_ideas_end_up_together_and_apart_from_csv_export() -> None:
    labels = cluster_documents(BOARD).labels
    assert len({labels[d.id] for d in DARK}) == 1
    assert len({labels[d.id] for d in CSV}) == 1
    assert len({labels[d.id] for d in SSO}) == 1
    assert len({labels[DARK[0].id], labels[CSV[0].id], labels[SSO[0].id]}) == 3


def test_on_the_small_demo_board_only_genuinely_similar_ideas_are_grouped() -> None:
    """Ada runs `ideaboard serve --demo` and opens an idea: its "Related ideas" must be about the same thing.

    The demo's own tags are the ground truth for "same topic": every idea in a shared cluster has a tag in common with
    the others (both dark-mode requests are tagged ui, both cup ideas cups). On 20 ideas the old neighbourhood was the
    whole board and 9 ideas chained into one "app · dark mode · reusable cup" cluster.
    """
    docs = demo_documents()
    assert_demo_grouped_by_topic(docs, cluster_documents(docs).labels)


def test_cluster_numbers_run_from_zero_and_every_cluster_has_a_name() -> None:
    result = cluster_documents(BOARD)
    assert sorted(set(result.labels.values())) == list(range(len(result.names)))
    assert all(result.names.values())


def test_labels_name_the_topic() -> None:
    result = cluster_documents(BOARD)
    assert "dark mode" in result.names[result.labels[1]]
    assert "csv" in result.names[result.labels[11]]
    assert "sign" in result.names[result.labels[21]] or "sso" in result.names[result.labels[21]]


def test_unrelated_idea_stays_on_its_own() -> None:
    lonely = Document(99, "Pay invoices with bank transfer", "Finance wants wire transfers instead of cards.")
    labels = cluster_documents([*BOARD, lonely]).labels
    assert list(labels.values()).count(labels[99]) == 1


def test_clustering_is_deterministic() -> None:
    assert cluster_documents(BOARD) == cluster_documents(BOARD)


def test_tiny_and_empty_inputs() -> None:
    assert cluster_documents([]).labels == {}
    single = cluster_documents([Document("a", "Dark mode")])
    assert single.labels == {"a": 0} and single.names[0]


def test_index_finds_the_near_duplicate_of_a_typed_title() -> None:
    index = SimilarityIndex.build(BOARD)
    top_ids = [doc_id for doc_id, _ in index.query("csv exprot for votes", k=3)]
    assert top_ids[0] == 12
    assert set(top_ids) <= {d.id for d in CSV}


def test_query_scores_are_best_first_between_zero_and_one_and_respect_exclude() -> None:
    index = SimilarityIndex.build(BOARD)
    hits = index.query("dark theme", k=5, exclude={3})
    scores = [score for _, score in hits]
    assert hits and 3 not in [doc_id for doc_id, _ in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)


def test_unrelated_query_finds_nothing_above_min_score() -> None:
    assert SimilarityIndex.build(BOARD).query("quarterly tax filing deadline", k=5) == []


def test_add_replace_and_remove() -> None:
    index = SimilarityIndex.build(BOARD)
    index.add(Document(30, "Okta single sign-on for the mobile app"))
    assert len(index) == len(BOARD) + 1
    assert 30 in [doc_id for doc_id, _ in index.query("okta single sign-on", k=4)]
    index.add(Document(30, "Dark mode for the mobile app", "A dark theme on the phone too."))
    assert len(index) == len(BOARD) + 1
    assert 30 not in [doc_id for doc_id, _ in index.query("okta single sign-on", k=4)]
    assert 30 in [doc_id for doc_id, _ in index.query("dark mode", k=6)]
    index.remove(30)
    index.remove(30)
    assert len(index) == len(BOARD)
    assert 30 not in [doc_id for doc_id, _ in index.query("dark mode", k=10, min_score=0)]


def test_ideas_added_past_the_spare_room_are_all_found_and_survive_a_round_trip(monkeypatch) -> None:
    monkeypatch.setattr(clustering, "ADD_ROOM", 2)
    index = SimilarityIndex.build(BOARD)
    added = [Document(100 + i, f"Okta single sign-on for region {i}") for i in range(7)]
    for doc in added:
        index.add(doc)
    assert len(index) == len(index.vectors) == len(BOARD) + 7
    loaded = SimilarityIndex.from_bytes(index.to_bytes())
    found = {doc_id for doc_id, _ in loaded.query("okta single sign-on region", k=12)}
    assert {d.id for d in added} <= found
    loaded.remove(103)
    loaded.add(Document(200, "Dark mode for the mobile app", "A dark theme on the phone too."))
    assert 103 not in {doc_id for doc_id, _ in loaded.query("okta single sign-on region", k=12, min_score=0)}
    assert 200 in [doc_id for doc_id, _ in loaded.query("dark mode", k=6)]


def test_to_bytes_round_trip_gives_identical_answers() -> None:
    index = SimilarityIndex.build(BOARD)
    loaded = SimilarityIndex.from_bytes(index.to_bytes())
    assert len(loaded) == len(index)
    for text in ("dark mode", "export csv", "okta sso"):
        assert loaded.query(text) == index.query(text)


def test_from_bytes_refuses_foreign_data() -> None:
    with pytest.raises(ValueError):
        SimilarityIndex.from_bytes(b"not an index")


def test_new_idea_joins_the_matching_cluster() -> None:
    labels = cluster_documents(BOARD).labels
    index = SimilarityIndex.build(BOARD)
    assert nearest_cluster(index, Document(40, "Please add a dark mode theme"), labels) == labels[1]
    assert nearest_cluster(index, Document(41, "Export votes as CSV"), labels) == labels[11]


def test_unrelated_new_idea_starts_a_new_cluster() -> None:
    labels = cluster_documents(BOARD).labels
    index = SimilarityIndex.build(BOARD)
    assert nearest_cluster(index, Document(42, "Quarterly tax filing reminders"), labels) is None


def test_edited_idea_is_not_its_own_neighbour() -> None:
    labels = cluster_documents(BOARD).labels
    index = SimilarityIndex.build(BOARD)
    edited = Document(21, "Dark mode for the SSO login page")
    assert nearest_cluster(index, edited, labels) == labels[1]


def test_banking77_sample_of_15_intents_clusters_well_without_knowing_k() -> None:
    rows = read_csv("banking77_sample.csv")
    assert len({r["category"] for r in rows}) == 15
    result = cluster_documents([Document(i, r["text"]) for i, r in enumerate(rows)])
    ari = adjusted_rand_score([r["category"] for r in rows], [result.labels[i] for i in range(len(rows))])
    assert ari > 0.6  # measured 0.69; KMeans-free, k unknown


def test_a_board_too_big_to_fit_whole_is_fitted_on_a_sample_and_still_clusters_well(monkeypatch) -> None:
    """At a million ideas the encoder is fitted on a seeded sample and the board encoded chunk by chunk; the same 600
    banking questions, fitted on a third of them and encoded 64 at a time, still group by intent."""

    rows = read_csv("banking77_sample.csv")
    monkeypatch.setattr(clustering, "FIT_SAMPLE", len(rows) // 3)
    monkeypatch.setattr(clustering, "ENCODE_CHUNK", 64)
    result = cluster_documents([Document(i, r["text"]) for i, r in enumerate(rows)])
    assert set(result.labels) == set(range(len(rows)))  # every idea encoded, none lost between chunks
    ari = adjusted_rand_score([r["category"] for r in rows], [result.labels[i] for i in range(len(rows))])
    assert ari > 0.6  # measured 0.69, as fitted on the whole board


def test_seamonkey_duplicates_are_in_the_top_5() -> None:
    """Each report of a recorded duplicate pair finds its twin among 300 real reports (measured 0.84; 0.82 among the
    full file's 1,076)."""
    docs = [Document(r["Issue id"], r["Summary"], r["Description"]) for r in read_csv("seamonkey_bugs_sample.csv")]
    pairs = [(r["issue_id_a"], r["issue_id_b"]) for r in read_csv("seamonkey_duplicate_pairs.csv")]
    index = SimilarityIndex.build(docs)
    by_id = {d.id: d for d in docs}
    top5 = {q: [i for i, _ in index.similar_to(by_id[q], 5, min_score=-1)] for pair in pairs for q in pair}
    hits = [twin in top5[q] for a, b in pairs for q, twin in ((a, b), (b, a))]
    assert sum(hits) / len(hits) >= 0.8


def demo_documents() -> list[Document]:
    """The demo board's 20 ideas as the worker sees them."""
    return [Document(n, title, body) for n, (title, _category, _tags, body) in enumerate(DEMO_IDEAS)]


def assert_demo_grouped_by_topic(docs: list[Document], labels: dict[int, int]) -> None:
    """The demo's tags say what "same topic" means: every shared cluster's ideas have a tag in common."""
    tags = {n: set(idea_tags.split()) for n, (_title, _category, idea_tags, _body) in enumerate(DEMO_IDEAS)}
    cluster_of = {d.title: labels[d.id] for d in docs}
    dark = cluster_of["Dark mode for the mobile app"]
    cup = cluster_of["Reusable cup discount in every store"]
    assert cluster_of["Dark mode please, the app is blinding"] == dark
    assert cluster_of["Points for bringing a reusable cup"] == cup
    assert dark != cup
    members = {c: [d.id for d in docs if labels[d.id] == c] for c in set(labels.values())}
    for ids in members.values():
        assert set.intersection(*(tags[i] for i in ids)), [docs[i].title for i in ids]
    assert max(Counter(labels.values()).values()) <= 4
