"""Similarity and clustering of ideas: pure functions over text, no database, no asyncio.

Representation: word (1-2 gram, English stop words dropped) and char_wb (2-4 gram) sublinear TF-IDF, title and
body encoded separately and summed as unit vectors (body x ``BODY_WEIGHT``) so a short title outweighs a long
body, projected by LSA (TruncatedSVD) to ``LSA_DIMS`` and L2-normalised.

Clustering: shared-nearest-neighbour (SNN) average linkage. Each idea's ``NEIGHBOURS`` nearest ideas with cosine
>= ``NEIGHBOUR_MIN_COSINE`` form its neighbourhood; two ideas are as close as the Jaccard overlap of their
neighbourhoods; average linkage cuts the tree at ``threshold`` (1 - mean Jaccard). Rank-based similarity makes the
threshold transfer across corpus sizes far better than a raw cosine cut (see bench/cluster_quality.py).
The cosine floor is what keeps small boards honest: with 20 ideas, 20 neighbours are the whole board, so without a
real-similarity bar every idea's neighbourhood is "everything loosely related" and unrelated topics chain together.
On large corpora the 20 nearest are far above the floor and it changes nothing (banking77 ARI identical). The floor
is a cosine in this module's LSA space; other spaces pass their own (``workers/semantic.py``, which clusters a
similarity matrix through ``cluster_similarities``).
Above ``EXACT_MAX`` ideas, MiniBatchKMeans splits the corpus into buckets of ``BUCKET_SIZE`` clustered the same way, and
mutually-nearest clusters whose centroids are almost identical (cosine >= ``MERGE_MIN_COSINE``) are joined, round
after round, until no two are that close. Above ``FIT_SAMPLE`` ideas the encoder is fitted on a seeded sample and the
corpus encoded in chunks.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.cluster import MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

DocId = int | str

LSA_DIMS = 150
BODY_WEIGHT = 0.7
MAX_FEATURES = 60_000
NEIGHBOURS = 20
NEIGHBOUR_MIN_COSINE = 0.3  # the suggestions' bar (DEFAULT_MIN_SCORE): weaker pairs are not neighbours
DEFAULT_THRESHOLD = 0.9
EXACT_MAX = 4000
BUCKET_SIZE = 2000
SVD_SAMPLE = 10_000
FIT_SAMPLE = 30_000
ENCODE_CHUNK = 20_000
MERGE_MIN_COSINE = 0.8
MERGE_ROUNDS = 200
DEFAULT_MIN_SCORE = 0.3
LABEL_TERMS = 3
RANDOM_STATE = 0
ADD_ROOM = 1024  # rows SimilarityIndex.add makes room for at first (doubling after)

_WORD_PARAMS = {"ngram_range": (1, 2), "stop_words": "english", "sublinear_tf": True}
_CHAR_PARAMS = {"analyzer": "char_wb", "ngram_range": (2, 4), "sublinear_tf": True}
_FORMAT = "ideaboard-similarity-index/1"


@dataclass(frozen=True)
class Document:
    """One idea as the similarity layer sees it."""

    id: DocId
    title: str
    body: str = ""


@dataclass
class Clustering:
    """Result of a full re-cluster: cluster per idea and a human label per cluster."""

    labels: dict[DocId, int]
    names: dict[int, str]


class TextEncoder:
    """Fitted text -> vector map; rebuilt from plain arrays so it serialises without pickle."""

    def __init__(
        self, word: TfidfVectorizer, char: TfidfVectorizer, components: np.ndarray | None, norm_floor: float = 0.0
    ) -> None:
        self.word = word
        self.char = char
        self.components = components
        self.norm_floor = norm_floor
        self._basis = None if components is None else np.ascontiguousarray(components.T)
        self._analyzers = {id(word): word.build_analyzer(), id(char): char.build_analyzer()}

    @classmethod
    def fit(cls, docs: Sequence[Document], dims: int = LSA_DIMS) -> tuple[TextEncoder, np.ndarray, sp.csr_matrix]:
        """Fit on a corpus; also return its dense vectors and word TF-IDF (reused for cluster names).

        Above ``FIT_SAMPLE`` ideas the vocabularies and LSA are fitted on a seeded sample and the corpus is encoded
        in chunks of ``ENCODE_CHUNK``, so the char n-gram matrix of the whole corpus never exists at once.
        """
        if len(docs) > FIT_SAMPLE:
            return cls._fit_sampled(docs, dims)
        texts = [d.title for d in docs] + [d.body for d in docs]
        word = TfidfVectorizer(max_features=MAX_FEATURES, dtype=np.float32, **_WORD_PARAMS)
        char = TfidfVectorizer(max_features=MAX_FEATURES, dtype=np.float32, **_CHAR_PARAMS)
        word_x = word.fit_transform(texts)
        sparse = _combine(word_x, char.fit_transform(texts), len(docs))
        n_comp = min(dims, sparse.shape[0] - 1, sparse.shape[1] - 1)
        if n_comp < 2:
            return cls(word, char, None), _dense(sparse), _halves_sum(word_x, len(docs))
        components = _lsa_components(sparse, n_comp)
        projected = np.asarray(sparse @ components.T, dtype=np.float32)
        floor = float(np.median(np.linalg.norm(projected, axis=1)))
        return cls(word, char, components, floor), normalize(projected), _halves_sum(word_x, len(docs))

    @classmethod
    def _fit_sampled(cls, docs: Sequence[Document], dims: int) -> tuple[TextEncoder, np.ndarray, sp.csr_matrix]:
        """Large corpus: fit on a seeded sample, then encode every idea chunk by chunk into float32."""
        pick = np.sort(np.random.default_rng(RANDOM_STATE).choice(len(docs), FIT_SAMPLE, replace=False))
        sample = [docs[i] for i in pick]
        fitted, _, _ = cls.fit(sample, dims)
        if fitted.components is None:
            raise ValueError("a sample this large always has an LSA basis")
        projected = np.empty((len(docs), fitted.components.shape[0]), dtype=np.float32)
        word_parts = []
        for start in range(0, len(docs), ENCODE_CHUNK):
            chunk = docs[start : start + ENCODE_CHUNK]
            texts = [d.title for d in chunk] + [d.body for d in chunk]
            word_x = fitted._tfidf(fitted.word, texts)
            sparse = _combine(word_x, fitted._tfidf(fitted.char, texts), len(chunk))
            projected[start : start + len(chunk)] = sparse @ fitted._basis
            word_parts.append(_halves_sum(word_x, len(chunk)))
        floor = float(np.median(np.linalg.norm(projected, axis=1)))
        encoder = cls(fitted.word, fitted.char, fitted.components, floor)
        return encoder, normalize(projected, copy=False), sp.vstack(word_parts, format="csr")

    def encode(self, docs: Sequence[Document]) -> np.ndarray:
        """Vectors for documents unseen at fit time, in the fitted corpus's space.

        The LSA projection is divided by max(its norm, the corpus's median norm): typical text becomes a unit vector,
        while text the corpus vocabulary barely covers keeps a short vector and so low scores.
        """
        texts = [d.title for d in docs] + [d.body for d in docs]
        sparse = _combine(self._tfidf(self.word, texts), self._tfidf(self.char, texts), len(docs))
        if self.components is None:
            return _dense(sparse)
        projected = np.asarray(sparse @ self._basis, dtype=np.float32)
        norms = np.maximum(np.linalg.norm(projected, axis=1, keepdims=True), max(self.norm_floor, 1e-12))
        return projected / norms

    def _tfidf(self, vec: TfidfVectorizer, texts: Sequence[str]) -> sp.csr_matrix:
        """Sublinear TF-IDF rows without sklearn's per-call validation (it answers every keystroke)."""
        analyze = self._analyzers[id(vec)]
        vocabulary = vec.vocabulary_
        indptr: list[int] = [0]
        indices: list[int] = []
        data: list[float] = []
        for text in texts:
            counts: dict[int, int] = {}
            for term in analyze(text):
                col = vocabulary.get(term)
                if col is not None:
                    counts[col] = counts.get(col, 0) + 1
            indices.extend(counts)
            data.extend(counts.values())
            indptr.append(len(indices))
        cols = np.array(indices, dtype=np.int64)
        weights = (1.0 + np.log(np.array(data, dtype=np.float32))) * vec.idf_[cols].astype(np.float32)
        return sp.csr_matrix((weights, cols, np.array(indptr)), shape=(len(texts), len(vocabulary)))

    def arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays describing the fitted state (vocabularies, idf, LSA components)."""
        out = {}
        for name, vec in (("word", self.word), ("char", self.char)):
            terms = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
            out[f"{name}_terms"] = np.frombuffer("\n".join(terms).encode(), dtype=np.uint8)
            out[f"{name}_idf"] = vec.idf_.astype(np.float32)
        if self.components is not None:
            out["components"] = self.components
            out["norm_floor"] = np.array([self.norm_floor], dtype=np.float32)
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> TextEncoder:
        """Inverse of ``arrays``."""
        word = _vectorizer(arrays["word_terms"], arrays["word_idf"], _WORD_PARAMS)
        char = _vectorizer(arrays["char_terms"], arrays["char_idf"], _CHAR_PARAMS)
        if "components" not in arrays:
            return cls(word, char, None)
        return cls(word, char, arrays["components"], float(arrays["norm_floor"][0]))


def _lsa_components(sparse: sp.csr_matrix, n_comp: int) -> np.ndarray:
    """LSA basis fitted on at most ``SVD_SAMPLE`` rows: the SVD dominates run time on large corpora."""
    rows = sparse
    if sparse.shape[0] > SVD_SAMPLE:
        rows = sparse[np.sort(np.random.default_rng(RANDOM_STATE).choice(sparse.shape[0], SVD_SAMPLE, replace=False))]
    return TruncatedSVD(n_comp, algorithm="arpack", random_state=RANDOM_STATE).fit(rows).components_.astype(np.float32)


def _vectorizer(terms: np.ndarray, idf: np.ndarray, params: dict) -> TfidfVectorizer:
    """Rebuild a fitted TfidfVectorizer from its vocabulary and idf."""
    vec = TfidfVectorizer(vocabulary=terms.tobytes().decode().split("\n"), dtype=np.float32, **params)
    vec.idf_ = idf.astype(np.float64)
    return vec


def _combine(word_x: sp.csr_matrix, char_x: sp.csr_matrix, n: int) -> sp.csr_matrix:
    """Stack word and char features, then add the title and body halves as unit vectors, body down-weighted."""
    both = _unit_rows(sp.hstack([_unit_rows(word_x), _unit_rows(char_x)], format="csr"))
    return _unit_rows((both[:n] + BODY_WEIGHT * both[n:]).tocsr())


def _unit_rows(x: sp.csr_matrix) -> sp.csr_matrix:
    """L2-normalise sparse rows (zero rows stay zero); lighter than sklearn's normalize in the query path."""
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags_array(1.0 / np.where(norms > 0, norms, 1.0)).astype(x.dtype) @ x)


def _halves_sum(x: sp.csr_matrix, n: int) -> sp.csr_matrix:
    """Title rows plus body rows: one row per document."""
    return (x[:n] + x[n:]).tocsr()


def _dense(sparse: sp.csr_matrix) -> np.ndarray:
    """Tiny-corpus fallback: the TF-IDF itself as dense unit vectors."""
    return normalize(sparse.toarray().astype(np.float32))


def cluster_documents(
    docs: Sequence[Document],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    exact_max: int = EXACT_MAX,
    bucket_size: int = BUCKET_SIZE,
) -> Clustering:
    """Group similar ideas without knowing k (SNN average linkage cut at ``threshold``)."""
    if not docs:
        return Clustering({}, {})
    encoder, vectors, word_x = TextEncoder.fit(docs)
    labels = _renumber(cluster_vectors(vectors, threshold=threshold, exact_max=exact_max, bucket_size=bucket_size))
    names = cluster_names(word_x, labels, encoder.word.get_feature_names_out())
    return Clustering({d.id: int(c) for d, c in zip(docs, labels, strict=True)}, names)


def cluster_vectors(
    vectors: np.ndarray,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    exact_max: int = EXACT_MAX,
    bucket_size: int = BUCKET_SIZE,
    min_cosine: float = NEIGHBOUR_MIN_COSINE,
    hubness: bool = False,
) -> np.ndarray:
    """Cluster unit vectors: exact SNN linkage up to ``exact_max`` rows (O(n^2)), buckets of ``bucket_size`` beyond.

    ``min_cosine`` is the neighbourhood floor; the default suits the LSA vectors of ``TextEncoder``. ``hubness``
    as in ``cluster_similarities``.
    """
    if len(vectors) <= exact_max:
        return _snn_linkage(vectors, threshold, min_cosine, hubness)
    labels = np.empty(len(vectors), dtype=np.int64)
    offset = 0
    for idx in _buckets(vectors, np.arange(len(vectors)), bucket_size):
        labels[idx] = _snn_linkage(vectors[idx], threshold, min_cosine, hubness) + offset
        offset = labels[idx].max() + 1
    return _merge_close(vectors, labels)


def _snn_linkage(vectors: np.ndarray, threshold: float, min_cosine: float = NEIGHBOUR_MIN_COSINE,
                 hubness: bool = False) -> np.ndarray:
    """SNN linkage of unit vectors by their cosines."""
    return cluster_similarities(vectors @ vectors.T, threshold=threshold, min_cosine=min_cosine, hubness=hubness)


def cluster_similarities(
    sims: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD, min_cosine: float = NEIGHBOUR_MIN_COSINE,
    hubness: bool = False,
) -> np.ndarray:
    """Average linkage on 1 - Jaccard overlap of kNN neighbourhoods pruned to similarity >= ``min_cosine``.

    Takes a square similarity matrix (1 on the diagonal) so a caller can cluster in a space that is not plain
    vectors (``workers/semantic.py`` removes each board's common subject first); exact, so O(n^2). With
    ``hubness`` the neighbours are chosen by ``hub_corrected`` scores instead (the floor stays on ``sims``).
    """
    n = len(sims)
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    k = min(NEIGHBOURS, n)
    rows = np.repeat(np.arange(n), k)
    cols = np.argpartition(-(hub_corrected(sims, k) if hubness else sims), k - 1, axis=1)[:, :k].ravel()
    keep = (sims[rows, cols] >= min_cosine) | (rows == cols)
    hood = sp.csr_matrix((np.ones(keep.sum(), np.float32), (rows[keep], cols[keep])), shape=(n, n))
    return fcluster(jaccard_tree(hood), threshold, criterion="distance").astype(np.int64) - 1


def hub_corrected(sims: np.ndarray, k: int) -> np.ndarray:
    """Neighbour ranking that discounts hubs (CSLS, Conneau et al. 2018): ``sims[i, j] - r[j] / 2``, where r[j] is
    j's mean similarity to its k nearest others; each row keeps itself first.

    In a sentence-embedding space a few generic ideas sit near everything and enter most neighbourhoods, where
    they make unrelated ideas look as if they shared neighbours. Ranking i's candidates by 2 cos - r_i - r_j (r_i
    is constant along the row) prefers a j that is close to i rather than close to all. Semantic path, cut at
    0.92 (cluster_quality): banking77 ARI 0.578 -> 0.606, both halves of its tune/held-out split up; app-review
    themes (whole clusters per theme) 0.538 -> 0.522, still above MiniLM + KMeans told k (0.437).
    """
    n = len(sims)
    others = sims.astype(np.float32, copy=True)
    np.fill_diagonal(others, -np.inf)
    reach = min(k, n - 1)
    density = np.partition(others, n - reach, axis=1)[:, n - reach:].mean(axis=1) if reach > 0 else np.zeros(n)
    ranked = sims - np.float32(0.5) * density[None, :].astype(np.float32)
    np.fill_diagonal(ranked, np.inf)
    return ranked


def jaccard_tree(hood: sp.csr_matrix) -> np.ndarray:
    """Average-linkage tree on 1 - Jaccard overlap of neighbourhoods (row i: idea i's neighbours; it joins its own).
    Shared by clusters (cut at a distance) and themes (cut into k groups, workers/themes.py)."""
    n = hood.shape[0]
    hood = hood.maximum(sp.identity(n, dtype=np.float32, format="csr"))
    inter = (hood @ hood.T).toarray()
    sizes = np.asarray(hood.sum(axis=1)).ravel()
    dist = 1.0 - inter / (sizes[:, None] + sizes[None, :] - inter)
    np.fill_diagonal(dist, 0.0)
    return linkage(squareform(dist, checks=False), method="average")


def _buckets(vectors: np.ndarray, idx: np.ndarray, size: int) -> Iterator[np.ndarray]:
    """Split rows into topical buckets of at most ``size`` (recursive MiniBatchKMeans)."""
    if len(idx) <= size:
        yield idx
        return
    parts = math.ceil(len(idx) / size)
    km = MiniBatchKMeans(parts, random_state=RANDOM_STATE, n_init=1, batch_size=4096)
    assign = km.fit_predict(vectors[idx])
    if np.bincount(assign, minlength=parts).max() == len(idx):
        assign = np.arange(len(idx)) % parts
    for part in range(parts):
        yield from _buckets(vectors, idx[assign == part], size)


def _merge_close(vectors: np.ndarray, labels: np.ndarray, rounds: int = MERGE_ROUNDS) -> np.ndarray:
    """Join clusters split across buckets: mutually-nearest centroid pairs above ``MERGE_MIN_COSINE``, round after
    round with fresh centroids until no two clusters are that close (``rounds`` only guards the loop).

    Mutual-best pairing (rather than connected components) keeps the merge from chaining topics together; running
    it to the end keeps one broad topic spread over many buckets from staying hundreds of clusters.
    """
    labels = _renumber(labels)
    sums = np.zeros((labels.max() + 1, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, vectors)
    for _ in range(rounds):
        best, score = _nearest_other(normalize(sums).astype(np.float32))
        ids = np.arange(len(best))
        mutual = (best[best] == ids) & (score >= MERGE_MIN_COSINE)
        if not mutual.any():
            break
        target = np.where(mutual, np.minimum(best, ids), ids)
        labels = target[labels]
        merged = np.zeros_like(sums)
        np.add.at(merged, target, sums)
        keep = np.unique(target)
        renumber = np.empty(len(best), dtype=np.int64)
        renumber[keep] = np.arange(len(keep))
        labels = renumber[labels]
        sums = merged[keep]
    return _renumber(labels)


def _nearest_other(centroids: np.ndarray, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Each row's most similar other row and that cosine, computed in blocks to bound memory."""
    best = np.empty(len(centroids), dtype=np.int64)
    score = np.full(len(centroids), -np.inf, dtype=np.float32)
    for start in range(0, len(centroids), block):
        sims = centroids[start : start + block] @ centroids.T
        sims[np.arange(len(sims)), np.arange(start, start + len(sims))] = -np.inf
        best[start : start + block] = sims.argmax(axis=1)
        score[start : start + block] = sims.max(axis=1)
    return best, score


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Cluster numbers 0..n-1 in order of first appearance, so output is stable."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse]


def cluster_names(word_x: sp.csr_matrix, labels: np.ndarray, terms: Sequence[str],
                  skip: Collection[str] = ()) -> dict[int, str]:
    """Name each cluster by the word terms most over-represented in it relative to the corpus; terms holding a
    word of ``skip`` (brand words, words in most ideas) never name one."""
    n_clusters = int(labels.max()) + 1
    sizes = np.bincount(labels, minlength=n_clusters)
    member = sp.csr_matrix((1.0 / sizes[labels], (labels, np.arange(len(labels)))), shape=(n_clusters, len(labels)))
    means = (member @ normalize(word_x)).tocsr()
    corpus = np.asarray(normalize(word_x).mean(axis=0)).ravel()
    means.data -= corpus[means.indices]
    return {c: _label(means, c, terms, frozenset(skip)) for c in range(n_clusters)}


def _label(means: sp.csr_matrix, row: int, terms: Sequence[str], skip: frozenset[str] = frozenset()) -> str:
    """Top distinct terms of one cluster row (phrases weighted by word count), skipping words already used."""
    start, end = means.indptr[row], means.indptr[row + 1]
    cols = means.indices[start:end]
    weight = np.array([len(terms[i].split()) for i in cols], dtype=np.float64)
    order = cols[np.argsort(-means.data[start:end] * weight, kind="stable")]
    chosen: list[str] = []
    used: set[str] = set()
    for term in (terms[i] for i in order):
        words = set(term.split())
        if words & used or words & skip:
            continue
        chosen.append(term)
        used |= words
        if len(chosen) == LABEL_TERMS:
            break
    return " · ".join(chosen)


class SimilarityIndex:
    """Unit vectors of all ideas plus the encoder, for suggest-while-typing lookups."""

    def __init__(self, encoder: TextEncoder, ids: list[DocId], vectors: np.ndarray) -> None:
        self.encoder = encoder
        self.ids = ids
        self._base = vectors  # the run's rows; ideas added since live in `_added`, so adding never copies the board
        self._added = np.empty((0, vectors.shape[1]), dtype=vectors.dtype)
        self._rows = {doc_id: row for row, doc_id in enumerate(ids)}

    @property
    def vectors(self) -> np.ndarray:
        """One unit row per indexed idea, in ``ids`` order."""
        extra = len(self.ids) - len(self._base)
        return np.vstack([self._base, self._added[:extra]]) if extra else self._base

    @classmethod
    def build(cls, docs: Sequence[Document]) -> SimilarityIndex:
        """Fit the encoder on the corpus and index every document."""
        if not docs:
            raise ValueError("cannot build a similarity index from no documents")
        encoder, vectors, _ = TextEncoder.fit(docs)
        return cls(encoder, [d.id for d in docs], vectors)

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, doc: Document) -> np.ndarray:
        """Cosine of ``doc`` against every indexed row (row order = ``self.ids``)."""
        vector = self.encoder.encode([doc])[0]
        extra = len(self.ids) - len(self._base)
        if not extra:
            return self._base @ vector
        return np.concatenate([self._base @ vector, self._added[:extra] @ vector])

    def query(
        self, text: str, k: int = 5, *, exclude: Collection[DocId] = (), min_score: float = DEFAULT_MIN_SCORE
    ) -> list[tuple[DocId, float]]:
        """Most similar ideas to typed text, best first, cosine in [0, 1]."""
        return self._top(self.scores(Document(id="", title=text)), k, exclude, min_score)

    def similar_to(
        self, doc: Document, k: int = 5, *, min_score: float = DEFAULT_MIN_SCORE
    ) -> list[tuple[DocId, float]]:
        """Most similar other ideas to a full document (title and body), e.g. duplicate candidates."""
        return self._top(self.scores(doc), k, (doc.id,), min_score)

    def _top(
        self, scores: np.ndarray, k: int, exclude: Collection[DocId], min_score: float
    ) -> list[tuple[DocId, float]]:
        """Best-first ids above ``min_score``, skipping excluded ones."""
        blocked = [self._rows[i] for i in exclude if i in self._rows]
        scores = scores.copy()
        scores[blocked] = -np.inf
        take = min(k, len(scores))
        if take <= 0:
            return []
        top = np.argpartition(-scores, take - 1)[:take]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(min(scores[i], 1.0))) for i in top if scores[i] >= min_score]

    def add(self, doc: Document) -> None:
        """Index a new or edited idea with the already-fitted encoder (replaces an existing row)."""
        vector = self.encoder.encode([doc])[0]
        row = self._rows.get(doc.id)
        if row is None:
            row = len(self.ids)
            self._rows[doc.id] = row
            self.ids.append(doc.id)
        base = len(self._base)
        if row < base:
            self._base[row] = vector
            return
        if row - base == len(self._added):
            room = np.empty((max(ADD_ROOM, 2 * len(self._added)), self._base.shape[1]), dtype=self._base.dtype)
            room[: len(self._added)] = self._added
            self._added = room
        self._added[row - base] = vector

    def remove(self, doc_id: DocId) -> None:
        """Drop an idea; unknown ids are ignored so deletes are idempotent."""
        row = self._rows.pop(doc_id, None)
        if row is None:
            return
        self._base = np.delete(self.vectors, row, axis=0)
        self._added = self._added[:0]
        del self.ids[row]
        self._rows = {i: r for r, i in enumerate(self.ids)}

    def to_bytes(self) -> bytes:
        """Compact npz (float32, ids as JSON, no pickle) for Redis or disk."""
        buffer = io.BytesIO()
        header = json.dumps({"format": _FORMAT, "ids": self.ids}).encode()
        arrays: dict[str, Any] = {"header": np.frombuffer(header, dtype=np.uint8), "vectors": self.vectors,
                                  **self.encoder.arrays()}
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SimilarityIndex:
        """Load what ``to_bytes`` wrote; never unpickles."""
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            loaded = {name: arrays[name] for name in arrays.files}
        header = json.loads(loaded.pop("header").tobytes())
        if header.get("format") != _FORMAT:
            raise ValueError(f"not a similarity index: {header.get('format')!r}")
        vectors = loaded.pop("vectors")
        return cls(TextEncoder.from_arrays(loaded), list(header["ids"]), vectors)


def nearest_cluster(
    index: SimilarityIndex,
    doc: Document,
    labels: Mapping[DocId, int],
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    neighbours: int = NEIGHBOURS,
) -> int | None:
    """Cluster a new or edited idea joins, or None to start a new one (``cluster_of_neighbours`` of its neighbours)."""
    return cluster_of_neighbours(neighbours_of(index, doc, min_score=min_score, neighbours=neighbours), labels)


def neighbours_of(index: SimilarityIndex, doc: Document, *, min_score: float = DEFAULT_MIN_SCORE,
                  neighbours: int = NEIGHBOURS) -> list[tuple[DocId, float]]:
    """The idea's ``neighbours`` most similar indexed ideas with cosine >= ``min_score``, itself excluded."""
    return index.similar_to(doc, neighbours + 1, min_score=min_score)[:neighbours]


def cluster_of_neighbours(near: Sequence[tuple[DocId, float]], labels: Mapping[DocId, int]) -> int | None:
    """Mirrors the SNN clustering locally: the cluster holding most of the neighbours wins, ties broken by summed
    cosine; None when no neighbour is in a cluster. ``labels`` need only hold the neighbours' clusters."""
    votes: dict[int, tuple[int, float]] = {}
    for other, score in near:
        if other in labels:
            count, total = votes.get(labels[other], (0, 0.0))
            votes[labels[other]] = (count + 1, total + score)
    if not votes:
        return None
    return max(votes, key=lambda c: (votes[c], -c))
