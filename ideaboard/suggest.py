"""Similar ideas while typing: query a vector index the worker maintains, with numpy only.

The worker fits TF-IDF + LSA with scikit-learn using `analyze` below as its analyzer, stores the fitted
vocabulary, idf weights and LSA components in Redis (a `SuggestModel`) and one LSA vector per idea in the
`idea_vectors` table. The web process keeps the matrix in memory, tops it up with new rows, and answers a
keystroke with one matrix-vector product: no scikit-learn here, and no recompute per keystroke.

Where the model is installed, each idea's MiniLM sentence vector (kept in Redis by the worker, ``embedding.CACHE_KEY``)
sits beside its LSA row, and a keystroke's score is the mean of the two cosines: words catch half-typed and misspelt
titles, meaning catches paraphrases. On SeaMonkey's duplicate reports typed again (bench/duplicates_at_the_door.py)
the duplicate was in the top 10 for 85% of titles with LSA alone, 83% with MiniLM alone and 88% with both.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ideaboard import embedding

MODEL_KEY = "ideaboard:suggest:model"
VERSION_KEY = "ideaboard:suggest:version"
STOP_WORDS = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "could", "do", "for", "from", "has", "have", "i",
    "if", "in", "into", "is", "it", "its", "let", "me", "my", "no", "not", "of", "on", "or", "our", "please", "so",
    "some", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to", "us", "was", "we",
    "were", "what", "when", "which", "while", "who", "will", "with", "would", "you", "your",
])
# Share of the sentence cosine in a blended score: SeaMonkey duplicates typed again are caught as often at 0.5 as at
# 0.65 (88% of titles, bench/duplicates_at_the_door.py), and on the 20-idea demo board 0.65 ranks paraphrases
# ("Is the shop crowded right now" -> "Show how busy a store is") above LSA's chance matches of letter groups.
MEANING_WEIGHT = 0.65
BLEND_MIN = 0.35  # blended scores of unrelated demo ideas reach 0.32 ("oat milk price" / "Let me save my usual order")
SAME_MEANING = 0.5  # a sentence cosine this high is shown even with no word in common (unrelated ideas: 0.0-0.35)
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def analyze(text: str) -> list[str]:
    """Features of a text: words and word pairs, plus character 3-4-grams inside words (robust to typos and
    half-typed words)."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in STOP_WORDS]
    features = [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]
    for word in words:
        padded = f" {word} "
        features.extend(f"#{padded[i:i + n]}" for n in (3, 4) for i in range(len(padded) - n + 1))
    return features


@dataclass
class SuggestModel:
    """The fitted projection: feature -> column, idf weight per column, LSA components (k x features)."""

    version: int
    vocabulary: dict[str, int]
    idf: np.ndarray
    components: np.ndarray

    def embed(self, text: str) -> np.ndarray | None:
        """The unit-length LSA vector of a text, or None when no known feature occurs in it."""
        counts = Counter(f for f in analyze(text) if f in self.vocabulary)
        if not counts:
            return None
        cols = np.fromiter((self.vocabulary[f] for f in counts), dtype=np.int64, count=len(counts))
        tfidf = (1 + np.log(np.fromiter(counts.values(), dtype=np.float32))) * self.idf[cols]
        tfidf /= np.linalg.norm(tfidf) or 1.0
        vector = self.components[:, cols] @ tfidf
        norm = np.linalg.norm(vector)
        return (vector / norm).astype(np.float32) if norm else None

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, idf=self.idf, components=self.components,
                 meta=np.frombuffer(json.dumps({"version": self.version, "vocabulary": self.vocabulary}).encode(),
                                    dtype=np.uint8))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SuggestModel:
        arrays = np.load(io.BytesIO(data), allow_pickle=False)
        meta = json.loads(arrays["meta"].tobytes())
        return cls(meta["version"], meta["vocabulary"], arrays["idf"], arrays["components"])


class VectorIndex:
    """Idea vectors held in memory by a web process; rows are appended as the worker writes new ones.

    ``meaning`` holds each idea's sentence vector where the worker has computed one (zeros, and ``has_meaning``
    False, where not: those ideas are scored on words alone)."""

    def __init__(self, model: SuggestModel) -> None:
        self.model = model
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, model.components.shape[0]), dtype=np.float32)
        self.meaning = np.zeros((0, embedding.DIMENSIONS), dtype=np.float32)
        self.has_meaning = np.zeros(0, dtype=bool)
        self.last_row_id = 0

    def add_rows(self, rows: list[tuple[int, int, bytes]],
                 meaning: dict[int, np.ndarray] | None = None) -> None:
        """Append (row id, idea id, vector bytes) and the ideas' sentence vectors if known; a later row for the
        same idea replaces the earlier one."""
        if not rows:
            return
        meaning = meaning or {}
        new_ids = np.array([idea_id for _, idea_id, _ in rows], dtype=np.int64)
        new = np.vstack([np.frombuffer(v, dtype=np.float32) for _, _, v in rows])
        blank = np.zeros(embedding.DIMENSIONS, dtype=np.float32)
        new_meaning = np.vstack([meaning.get(int(i), blank) for i in new_ids])
        keep = ~np.isin(self.ids, new_ids)
        self.ids = np.concatenate([self.ids[keep], new_ids])
        self.matrix = np.vstack([self.matrix[keep], new])
        self.meaning = np.vstack([self.meaning[keep], new_meaning])
        self.has_meaning = np.concatenate([self.has_meaning[keep], [int(i) in meaning for i in new_ids]])
        self.last_row_id = max(self.last_row_id, max(r for r, _, _ in rows))

    @property
    def knows_meaning(self) -> bool:
        """True when any idea has a sentence vector, so a query is worth embedding."""
        return bool(self.has_meaning.any())

    def query(self, text: str, k: int = 5, min_score: float = 0.3,
              meaning: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The k most similar idea ids with scores, best first: the LSA cosine, or its mean with the sentence
        cosine where both the idea and the query (``meaning``, its unit sentence vector) have one."""
        vector = self.model.embed(text)
        if not len(self.ids) or (vector is None and meaning is None):
            return []
        scores = self.matrix @ vector if vector is not None else np.zeros(len(self.ids), dtype=np.float32)
        shown = scores >= min_score
        if meaning is not None:
            sentence = self.meaning @ meaning
            scores = np.where(self.has_meaning, (1 - MEANING_WEIGHT) * scores + MEANING_WEIGHT * sentence, scores)
            shown = (scores >= max(min_score, BLEND_MIN)) | (self.has_meaning & (sentence >= SAME_MEANING))
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k] if len(scores) > k else np.arange(len(scores))
        ranked = sorted(((int(self.ids[i]), float(scores[i])) for i in top if shown[i]), key=lambda p: -p[1])
        return ranked

    async def meaning_of(self, text: str) -> np.ndarray | None:
        """The query's sentence vector, computed off the event loop, when ideas have sentence vectors to meet it."""
        if not self.knows_meaning or not embedding.enabled():
            return None
        return (await embedding.encode_async([text]))[0]


class SuggestCache:
    """One web process's copy of the index: reloaded when the worker publishes a new model, topped up with
    vectors of ideas added since (at most once a second, so a burst of keystrokes costs no extra queries)."""

    def __init__(self) -> None:
        self.index: VectorIndex | None = None
        self.checked_at = 0.0

    async def current(self, redis) -> VectorIndex | None:
        import time

        from ideaboard.models import IdeaVector

        now = time.monotonic()
        if self.index is not None and now - self.checked_at < 1.0:
            return self.index
        self.checked_at = now
        version = await redis.get(VERSION_KEY)
        if version is None:  # no index published (yet, or any more)
            self.index = None
            return None
        if self.index is None or self.index.model.version != int(version):
            blob = await redis.get(f"{MODEL_KEY}:{int(version)}")
            if blob is None:
                return self.index
            self.index = VectorIndex(SuggestModel.from_bytes(blob))
        rows = await IdeaVector.filter(model=model_name(self.index.model.version), id__gt=self.index.last_row_id) \
            .order_by("id").values_list("id", "idea_id", "vector")
        self.index.add_rows(list(rows), await sentence_vectors(redis, [idea_id for _, idea_id, _ in rows]))
        return self.index


async def sentence_vectors(redis, idea_ids: list[int]) -> dict[int, np.ndarray]:
    """The worker's cached sentence vectors of these ideas (none where the model is not installed or switched off)."""
    found: dict[int, np.ndarray] = {}
    if not idea_ids or not embedding.enabled():
        return found
    for start in range(0, len(idea_ids), 2000):
        chunk = idea_ids[start:start + 2000]
        for idea_id, blob in zip(chunk, await redis.hmget(embedding.CACHE_KEY, [str(i) for i in chunk]), strict=True):
            vector = embedding.cached_vector(blob)
            if vector is not None:
                found[idea_id] = vector
    return found


def model_name(version: int) -> str:
    return f"lsa-{version}"

