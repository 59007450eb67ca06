"""Similar ideas while typing: query a vector index the worker maintains, with numpy only.

The worker fits TF-IDF + LSA with scikit-learn using `analyze` below as its analyzer, stores the fitted
vocabulary, idf weights and LSA components in Redis (a `SuggestModel`) and one LSA vector per idea in the
`idea_vectors` table. The web process keeps the matrix in memory, tops it up with new rows, and answers a
keystroke with one matrix-vector product: no scikit-learn here, and no recompute per keystroke.
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

MODEL_KEY = "ideaboard:suggest:model"
VERSION_KEY = "ideaboard:suggest:version"
STOP_WORDS = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "could", "do", "for", "from", "has", "have", "i",
    "if", "in", "into", "is", "it", "its", "let", "me", "my", "no", "not", "of", "on", "or", "our", "please", "so",
    "some", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to", "us", "was", "we",
    "were", "what", "when", "which", "while", "who", "will", "with", "would", "you", "your",
])
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
    """Idea vectors held in memory by a web process; rows are appended as the worker writes new ones."""

    def __init__(self, model: SuggestModel) -> None:
        self.model = model
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, model.components.shape[0]), dtype=np.float32)
        self.last_row_id = 0

    def add_rows(self, rows: list[tuple[int, int, bytes]]) -> None:
        """Append (row id, idea id, vector bytes); a later row for the same idea replaces the earlier one."""
        if not rows:
            return
        new_ids = np.array([idea_id for _, idea_id, _ in rows], dtype=np.int64)
        new = np.vstack([np.frombuffer(v, dtype=np.float32) for _, _, v in rows])
        keep = ~np.isin(self.ids, new_ids)
        self.ids = np.concatenate([self.ids[keep], new_ids])
        self.matrix = np.vstack([self.matrix[keep], new])
        self.last_row_id = max(self.last_row_id, max(r for r, _, _ in rows))

    def query(self, text: str, k: int = 5, min_score: float = 0.3) -> list[tuple[int, float]]:
        """The k most similar idea ids with cosine scores, best first."""
        vector = self.model.embed(text)
        if vector is None or not len(self.ids):
            return []
        scores = self.matrix @ vector
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k] if len(scores) > k else np.arange(len(scores))
        ranked = sorted(((int(self.ids[i]), float(scores[i])) for i in top), key=lambda p: -p[1])
        return [(idea_id, score) for idea_id, score in ranked if score >= min_score]


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
        self.index.add_rows(list(rows))
        return self.index


def model_name(version: int) -> str:
    return f"lsa-{version}"

