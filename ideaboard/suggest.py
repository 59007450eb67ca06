"""Similar ideas while typing: query a vector index the worker maintains, with numpy only.

The worker fits TF-IDF + LSA with scikit-learn using `analyze` below as its analyzer, stores the fitted
vocabulary, idf weights and LSA components in Redis (a `SuggestModel`) and one LSA vector per idea in the
`idea_vectors` table. The web process keeps the matrix in memory, tops it up with new rows, and answers a
keystroke with one matrix-vector product: no scikit-learn here, and no recompute per keystroke.

Where the model is installed, each idea's MiniLM sentence vector (kept in Redis by the worker, ``embedding.CACHE_KEY``)
sits beside its LSA row, and a keystroke's score is the mean of the two cosines: words catch half-typed and misspelt
titles, meaning catches paraphrases. On SeaMonkey's duplicate reports typed again (bench/duplicates_at_the_door.py)
the duplicate was in the top 10 for 85% of titles with LSA alone, 83% with MiniLM alone and 88% with both.

A big board's vectors are not held per process: the machine maps one shared file (suggest_file.py) and each process
keeps only the rows published since that file was built.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import itertools
import json
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ideaboard import embedding, suggest_file

if TYPE_CHECKING:
    from ideaboard.settings import Settings
    from ideaboard.suggest_file import MappedVectors

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


def rank(ids: np.ndarray, matrix: np.ndarray, meaning_rows: np.ndarray, has_meaning: np.ndarray,
         vector: np.ndarray | None, meaning: np.ndarray | None, k: int, min_score: float) -> list[tuple[int, float]]:
    """The k best (idea id, score) of these rows, best first: the LSA cosine, or its blend with the sentence cosine
    where both the idea and the query have one; the in-memory index and the shared file's re-scoring both use it."""
    if not len(ids) or (vector is None and meaning is None):
        return []
    scores = matrix @ vector if vector is not None else np.zeros(len(ids), dtype=np.float32)
    shown = scores >= min_score
    if meaning is not None:
        sentence = meaning_rows @ meaning
        scores = np.where(has_meaning, (1 - MEANING_WEIGHT) * scores + MEANING_WEIGHT * sentence, scores)
        shown = (scores >= max(min_score, BLEND_MIN)) | (has_meaning & (sentence >= SAME_MEANING))
    top = np.argpartition(-scores, min(k, len(scores) - 1))[:k] if len(scores) > k else np.arange(len(scores))
    return sorted(((int(ids[i]), float(scores[i])) for i in top if shown[i]), key=lambda p: -p[1])


_query_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ideaboard-suggest")


class _Lookup:
    """What the view calls on either kind of index: the query's sentence vector and the lookup, both off-loop."""

    knows_meaning: bool

    def query(self, text: str, k: int = 5, min_score: float = 0.3,
              meaning: np.ndarray | None = None) -> list[tuple[int, float]]:
        raise NotImplementedError

    async def query_async(self, text: str, k: int = 5, min_score: float = 0.3,
                          meaning: np.ndarray | None = None) -> list[tuple[int, float]]:
        """``query`` on the process's lookup thread: at 1M ideas a keystroke's search must not hold the event loop."""
        return await asyncio.get_running_loop().run_in_executor(
            _query_thread, functools.partial(self.query, text, k, min_score, meaning))

    async def meaning_of(self, text: str) -> np.ndarray | None:
        """The query's sentence vector, computed off the event loop, when ideas have sentence vectors to meet it."""
        if not self.knows_meaning or not embedding.enabled():
            return None
        return (await embedding.encode_async([text]))[0]


class VectorIndex(_Lookup):
    """Idea vectors held in memory by a web process; rows are appended as the worker writes new ones.

    ``meaning`` holds each idea's sentence vector where the worker has computed one (zeros, and ``has_meaning``
    False, where not: those ideas are scored on words alone). A small board's whole index; a big board's rows newer
    than the machine's shared file (``SharedIndex``)."""

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
    def knows_meaning(self) -> bool:  # type: ignore[override]
        """True when any idea has a sentence vector, so a query is worth embedding."""
        return bool(self.has_meaning.any())

    def query(self, text: str, k: int = 5, min_score: float = 0.3,
              meaning: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The k most similar idea ids with scores, best first: the LSA cosine, or its mean with the sentence
        cosine where both the idea and the query (``meaning``, its unit sentence vector) have one."""
        return self.query_vectors(self.model.embed(text), meaning, k, min_score)

    def query_vectors(self, vector: np.ndarray | None, meaning: np.ndarray | None, k: int,
                      min_score: float) -> list[tuple[int, float]]:
        return rank(self.ids, self.matrix, self.meaning, self.has_meaning, vector, meaning, k, min_score)


class SharedIndex(_Lookup):
    """A big board: the machine's memory-mapped file (approximate search, re-scored exactly) plus this process's
    rows newer than the file, merged by score; an idea in both is taken from the newer rows."""

    def __init__(self, recent: VectorIndex, mapped: MappedVectors | None) -> None:
        self.recent = recent
        self.mapped = mapped
        self.model = recent.model

    @property
    def knows_meaning(self) -> bool:  # type: ignore[override]
        return self.recent.knows_meaning or bool(self.mapped is not None and self.mapped.manifest.has_meaning)

    def query(self, text: str, k: int = 5, min_score: float = 0.3,
              meaning: np.ndarray | None = None) -> list[tuple[int, float]]:
        vector = self.recent.model.embed(text)
        found = self.recent.query_vectors(vector, meaning, k, min_score)
        if self.mapped is not None:
            if self.mapped.model.version != self.recent.model.version:  # the machine is still building the new file
                vector = self.mapped.model.embed(text)
            found += self.mapped.query_vectors(vector, meaning, k, min_score, self.recent.ids)
        return sorted(found, key=lambda p: -p[1])[:k]


class SuggestCache:
    """One web process's view of the index: reloaded when the worker publishes a new model, topped up with
    vectors of ideas added since (at most once a second, so a burst of keystrokes costs no extra queries).

    Given the settings (the app does), a board of ``suggest_file.mapped_above()`` ideas or more is served from the
    machine's shared file, which one process of the machine builds in a child process when it is missing or when
    this process holds more than ``suggest_file.delta_max()`` newer rows."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.index: VectorIndex | SharedIndex | None = None
        self.checked_at = 0.0
        self.root = Path(settings.data_dir) / "suggest" if settings is not None else None
        self.urls = (settings.database_url, settings.redis_url) if settings is not None else ("", "")
        self.recent: VectorIndex | None = None
        self.mapped: MappedVectors | None = None
        self.shared = False
        self.builder: asyncio.Task | None = None
        self.builds = 0  # child builds this process started (a second process of a machine starts none)
        self.next_build_at = 0.0
        self.rejected: set[tuple[Path, int]] = set()

    async def current(self, redis) -> VectorIndex | SharedIndex | None:
        now = time.monotonic()
        if self.index is not None and now - self.checked_at < 1.0:
            return self.index
        self.checked_at = now
        version = await redis.get(VERSION_KEY)
        if version is None:  # no index published (yet, or any more)
            self.index = self.recent = None
            return None
        version = int(version)
        if self.recent is None or self.recent.model.version != version:
            blob = await redis.get(f"{MODEL_KEY}:{version}")
            if blob is None:
                return self.index
            self.recent = VectorIndex(SuggestModel.from_bytes(blob))
            self.shared = await self._worth_sharing(version)
            if self.shared:
                await self._refresh_mapped(redis, version)
                if self.mapped is None or self.mapped.version != version:  # the rows so far go into a new file
                    self.recent.last_row_id = await _last_row_id(version)
        elif self.shared:
            await self._refresh_mapped(redis, version)
        await self._top_up(redis, self.recent)
        if not self.shared:
            self.index = self.recent
            return self.index
        self._maybe_build(version)
        self.index = SharedIndex(self.recent, self.mapped)
        return self.index

    async def _top_up(self, redis, index: VectorIndex) -> None:
        from ideaboard.models import IdeaVector

        rows = await IdeaVector.filter(model=model_name(index.model.version), id__gt=index.last_row_id) \
            .order_by("id").values_list("id", "idea_id", "vector")
        index.add_rows(list(rows), await sentence_vectors(redis, [idea_id for _, idea_id, _ in rows]))

    async def _worth_sharing(self, version: int) -> bool:
        from ideaboard.models import IdeaVector

        if self.root is None or not suggest_file.available():
            return False
        threshold = suggest_file.mapped_above()
        return threshold <= 0 or await IdeaVector.filter(model=model_name(version)).count() >= threshold

    async def _refresh_mapped(self, redis, version: int) -> None:
        """Map the machine's newest verified file when one newer than ours appears (verified off the event loop)."""
        assert self.root is not None and self.recent is not None
        newest = suggest_file.candidates(self.root, version)
        if not newest and self.mapped is None:
            newest = suggest_file.candidates(self.root)  # an older version's file serves until this one's is built
        if not newest:
            return
        file_version, upto, folder = newest[0]
        if self.mapped is not None and (self.mapped.version, self.mapped.upto) >= (file_version, upto):
            return
        with contextlib.suppress(OSError):
            stamp = (folder, (folder / suggest_file.MANIFEST).stat().st_mtime_ns)
            if stamp in self.rejected:
                return
            model = self.recent.model
            if file_version != version:
                blob = await redis.get(f"{MODEL_KEY}:{file_version}")
                if blob is None:
                    return
                model = SuggestModel.from_bytes(blob)
            mapped = await asyncio.to_thread(suggest_file.open_newest, self.root, file_version, model)
            if mapped is None:
                self.rejected.add(stamp)
                return
            self.mapped = mapped
            if file_version == version:  # the file now holds what this process kept in memory
                self.recent = VectorIndex(self.recent.model)
                self.recent.last_row_id = mapped.upto

    def _maybe_build(self, version: int) -> None:
        """Start this machine's build in a child process when the file is missing or behind, unless one runs."""
        assert self.root is not None and self.recent is not None
        stale = self.mapped is None or self.mapped.version != version or len(self.recent.ids) > suggest_file.delta_max()
        if not stale or (self.builder is not None and not self.builder.done()) or time.monotonic() < self.next_build_at:
            return
        if suggest_file.someone_builds(self.root):
            return
        self.builds += 1
        self.builder = asyncio.create_task(self._build(version))

    async def _build(self, version: int) -> None:
        assert self.root is not None
        code = await suggest_file.build_in_child(self.root, version, *self.urls)
        self.next_build_at = time.monotonic() + (5 if code in (0, 3) else 60)
        self.checked_at = 0.0  # look for the new file at the next keystroke


async def _last_row_id(version: int) -> int:
    from ideaboard.models import IdeaVector

    last = await IdeaVector.filter(model=model_name(version)).order_by("-id").limit(1).values_list("id", flat=True)
    return int(last[0]) if last else 0  # type: ignore[call-overload]


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

