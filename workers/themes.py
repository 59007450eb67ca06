"""Themes: the broad topics a product team plans around (10-40 on a large board), each made of whole clusters
(the near-duplicates merging acts on), so a cluster never straddles two themes. The worker's full run
(workers/cluster_jobs.py) and `ideaboard cluster` both call this module.

Grouping: the board's common subject is taken out (vectors minus their mean: every idea is "about the app"), then a
shared-nearest-neighbour average-linkage tree over ``neighbours(n)`` neighbours (wide, so a topic's members vouch for
each other) is cut into ``theme_count(n)`` groups, about sqrt(n) / 2: 2 on a 20-idea board, 22 on 2,000, 40 from
6,400. The tree is built on at most ``SAMPLE`` ideas spread evenly through the board; every other idea joins the
theme whose centre is nearest, so no theme depends on an arbitrary bucket. Each cluster then goes wholly to the
theme most of its ideas fell in. Measured in bench/cluster_quality.py --themes: app_review_feature_search (2,000
reviews, 5 apps as coarse labels) ARI 0.52 without k, where MiniLM + KMeans told k = 5 gets 0.44.

Names: the most representative idea's title (nearest the theme's centre) plus the 2-3 word phrases most
over-represented in the theme. Brand words never define a theme: handles, brand keywords, the site name and any word
in more than half of the ideas are left out of the phrases (the board-wide direction they add is what centring takes
out of the vectors).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster

from workers.clustering import DocId, Document, jaccard_tree

SAMPLE = 3000  # ideas the tree is built on (O(n^2) memory: 3,000^2 float64 is 72 MB)
MAX_THEMES = 40
MIN_THEMES = 2
MAX_NEIGHBOURS = 100
KEY_PHRASES = 3
COMMON_SHARE = 0.5  # a word in more than half of the ideas names no theme
PHRASE_VOCABULARY = 50_000  # the most frequent words and pairs: keeps the per-theme means small at 100k ideas


@dataclass(frozen=True)
class Theme:
    """One broad topic: its number, readable name, size, distinguishing phrases and the idea that stands for it."""

    number: int
    name: str
    size: int
    terms: tuple[str, ...]
    representative: DocId


def theme_count(n: int) -> int:
    """How many themes a board of n ideas gets: about sqrt(n) / 2, within MIN_THEMES..MAX_THEMES (and n)."""
    return max(1, min(n, max(MIN_THEMES, min(MAX_THEMES, round(math.sqrt(n) / 2)))))


def neighbours(n: int) -> int:
    """Neighbourhood size for the theme tree: a twentieth of the board up to MAX_NEIGHBOURS, at least 10 (half of
    a small board, so its neighbourhoods still tell topics apart)."""
    return max(1, min(n, max(min(10, n // 2), min(MAX_NEIGHBOURS, n // 20))))


def centred(vectors: np.ndarray) -> np.ndarray:
    """Unit rows minus the board's mean, renormalised: what every idea shares says nothing about its theme."""
    out = vectors - vectors.mean(axis=0, keepdims=True)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def theme_labels(vectors: np.ndarray, clusters: np.ndarray | None = None, *, sample: int = SAMPLE) -> np.ndarray:
    """Theme number (0..k-1) per row of unit vectors; with cluster labels, each cluster lands in one theme."""
    n = len(vectors)
    if n < 3:
        return np.zeros(n, dtype=np.int64)
    space = centred(vectors)
    picked = np.linspace(0, n - 1, min(n, sample)).round().astype(np.int64)
    tree_labels = _snn_tree_cut(space[picked], theme_count(n))
    labels = _nearest_centre(space, picked, tree_labels)
    if clusters is not None:
        labels = _whole_clusters(labels, clusters)
    return _renumber_by_size(labels)


def _snn_tree_cut(space: np.ndarray, k: int) -> np.ndarray:
    """Average linkage on 1 - Jaccard overlap of each row's nearest neighbours, cut into at most k groups."""
    n = len(space)
    nn = neighbours(n)
    sims = space @ space.T
    rows = np.repeat(np.arange(n), nn)
    cols = np.argpartition(-sims, nn - 1, axis=1)[:, :nn].ravel()
    hood = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n, n))
    return fcluster(jaccard_tree(hood), k, criterion="maxclust").astype(np.int64) - 1


def _nearest_centre(space: np.ndarray, picked: np.ndarray, tree_labels: np.ndarray) -> np.ndarray:
    """Sampled ideas keep their theme; the others join the theme whose mean vector is nearest."""
    k = int(tree_labels.max()) + 1
    centres = np.vstack([space[picked[tree_labels == t]].mean(axis=0) for t in range(k)])
    centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    labels = np.argmax(space @ centres.T, axis=1).astype(np.int64)
    labels[picked] = tree_labels
    return labels


def _whole_clusters(labels: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Move each cluster wholly into the theme most of its ideas are in (ties: the lower theme number)."""
    ids, rows = np.unique(clusters, return_inverse=True)
    counts = sp.csr_matrix((np.ones(len(labels)), (rows.ravel(), labels)), shape=(len(ids), int(labels.max()) + 1))
    return np.asarray(counts.argmax(axis=1)).ravel()[rows.ravel()].astype(np.int64)  # one pass, even at 100k ideas


def _renumber_by_size(labels: np.ndarray) -> np.ndarray:
    """Themes numbered 0.. by size, largest first (ties by first appearance), none empty."""
    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(values)), key=lambda i: (-counts[i], first[i]))
    mapping = {int(values[i]): rank for rank, i in enumerate(order)}
    return np.array([mapping[int(v)] for v in labels], dtype=np.int64)


def brand_stop_words(brand: Sequence[str]) -> frozenset[str]:
    """Handles, hashtags, brand keywords and the site name as lower-case words, which never name a theme."""
    return frozenset(w for b in brand for w in re.findall(r"[a-z0-9][a-z0-9'-]*", b.lower().lstrip("@#")))


def common_words(texts: Sequence[str]) -> frozenset[str]:
    """Words in more than COMMON_SHARE of the ideas (on boards of 4 or more): the board's subject, not a theme's.
    They are dropped before phrases are formed, so no phrase carries one either."""
    if len(texts) < 4:
        return frozenset()
    counts: dict[str, int] = {}
    for text in texts:
        for word in set(re.findall(r"(?u)\b\w\w+\b", text.lower())):
            counts[word] = counts.get(word, 0) + 1
    return frozenset(w for w, c in counts.items() if c > COMMON_SHARE * len(texts))


def describe(docs: Sequence[Document], labels: np.ndarray, vectors: np.ndarray,
             brand: Sequence[str] = ()) -> dict[int, Theme]:
    """Each theme's name (its most representative title + key phrases), size and phrases."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    texts = [f"{d.title} {d.body}" for d in docs]
    stop = sorted(ENGLISH_STOP_WORDS | brand_stop_words(brand) | common_words(texts))
    k = int(labels.max()) + 1 if len(labels) else 0
    phrases: dict[int, list[str]] = {t: [] for t in range(k)}
    try:
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), stop_words=stop, sublinear_tf=True,
                                     min_df=2 if len(docs) >= 20 else 1, max_features=PHRASE_VOCABULARY)
        x = vectorizer.fit_transform(texts)
        phrases = _phrases(x, labels, vectorizer.get_feature_names_out(), k)
    except ValueError:  # every word is a stop word, a brand word or in most ideas
        pass
    space = centred(vectors) if len(vectors) >= 3 else vectors
    themes = {}
    for t in range(k):
        members = np.flatnonzero(labels == t)
        centre = space[members].mean(axis=0)
        best = members[int(np.argmax(space[members] @ centre))]
        title = docs[best].title.strip()
        title_words = set(re.findall(r"[a-z0-9']+", title.lower()))
        terms = tuple([p for p in phrases[t] if not set(p.split()) <= title_words][:KEY_PHRASES])
        name = f"{title} ({', '.join(terms)})" if terms else title
        themes[t] = Theme(t, name, len(members), terms, docs[best].id)
    return themes


def _phrases(x: sp.csr_matrix, labels: np.ndarray, terms: Sequence[str], k: int) -> dict[int, list[str]]:
    """Per theme, terms by how much more weight they have in it than on the whole board (distinct words)."""
    from sklearn.preprocessing import normalize

    unit = normalize(x)
    sizes = np.bincount(labels, minlength=k)
    member = sp.csr_matrix((1.0 / sizes[labels], (labels, np.arange(len(labels)))), shape=(k, len(labels)))
    means = (member @ unit).toarray() - np.asarray(unit.mean(axis=0)).ravel()[None, :]
    means *= np.array([len(t.split()) for t in terms], dtype=np.float64)[None, :]  # a phrase says more than a word
    out: dict[int, list[str]] = {}
    for t in range(k):
        chosen: list[str] = []
        used: set[str] = set()
        for col in np.argsort(-means[t], kind="stable")[:50]:
            words = set(terms[col].split())
            if means[t, col] <= 0 or words & used:
                continue
            chosen.append(terms[col])
            used |= words
            if len(chosen) == KEY_PHRASES + 2:
                break
        out[t] = chosen
    return out


CARRY_MIN_OVERLAP = 0.3  # Jaccard of members: a new theme below it is a new topic, not the old one continued
SLUG_MAX = 60


def carry_over(new: Mapping[int, Collection[DocId]], old: Mapping[str, Collection[DocId]],
               min_overlap: float = CARRY_MIN_OVERLAP) -> dict[int, str]:
    """Which old theme (by slug) each new theme continues: pairs by Jaccard overlap of their ideas, best first, each
    used once, so a published theme keeps its URL across re-clustering."""
    new_sets = {number: set(ids) for number, ids in new.items()}
    old_sets = {slug: set(ids) for slug, ids in old.items()}
    pairs = []
    for number, members in new_sets.items():
        for slug, before in old_sets.items():
            shared = len(members & before)
            if shared:
                pairs.append((shared / len(members | before), shared, number, slug))
    chosen: dict[int, str] = {}
    for overlap, _, number, slug in sorted(pairs, key=lambda p: (-p[0], -p[1], p[2], p[3])):
        if overlap >= min_overlap and number not in chosen and slug not in chosen.values():
            chosen[number] = slug
    return chosen


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens, at most SLUG_MAX characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:SLUG_MAX].strip("-")


def theme_slugs(themes: Mapping[int, Theme], kept: Mapping[int, str], taken: Collection[str]) -> dict[int, str]:
    """A slug per theme: the one it continues (``kept``), else one made from its first phrase (or its title) that no
    theme of a kept run has had, so a retired URL never points at another topic while it is remembered."""
    used = set(taken) - set(kept.values())
    out = dict(kept)
    for number in sorted(themes):
        if number in out:
            continue
        info = themes[number]
        base = slugify(info.terms[0] if info.terms else info.name) or "theme"
        if base.isdigit():
            base = f"theme-{base}"
        slug, n = base, 1
        while slug in used or slug in out.values():
            n += 1
            slug = f"{base}-{n}"
        out[number] = slug
    return out


@dataclass
class Board:
    """A board grouped at both levels: theme and cluster per idea, with names."""

    themes: dict[DocId, int]
    clusters: dict[DocId, int]
    cluster_names: dict[int, str]
    theme_info: dict[int, Theme]


def group_board(docs: Sequence[Document], embeddings: np.ndarray | None = None, brand: Sequence[str] = (), *,
                threshold: float | None = None) -> Board:
    """Clusters exactly as the worker's full run makes them, then the themes they fall in (semantic when given
    embeddings, else the TF-IDF LSA vectors); ``threshold`` re-cuts the light path's clusters."""
    from workers.cluster_jobs import cluster_and_index
    from workers.clustering import cluster_documents

    clustering, index = cluster_and_index(docs, embeddings, brand)
    if threshold is not None:
        clustering = cluster_documents(docs, threshold=threshold)
    vectors = embeddings if embeddings is not None else index.vectors
    clusters = np.array([clustering.labels[d.id] for d in docs], dtype=np.int64)
    labels = theme_labels(vectors, clusters)
    return Board({d.id: int(t) for d, t in zip(docs, labels, strict=True)}, clustering.labels, clustering.names,
                 describe(docs, labels, vectors, brand))
