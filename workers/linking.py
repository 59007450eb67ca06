"""Which ideas a post is about: the one decision the listening worker and `ideaboard link` share.

A post's score for an idea is the mean of two cosines: all-MiniLM-L6-v2 sentence embeddings (meaning: "can't find
the show I typed" meets "Search for titles"), of the whole post or of its closest sentence, whichever is higher (a
review about three things meets each idea by the sentence about it), and a TF-IDF over words and word pairs
(naming: "shuffle", "playlist"). Both are fitted on the ideas alone, so a post's score does not depend on how many
posts came with it (the old per-batch fit gave the same tweet different scores at batch sizes 50 and 8,000). Without
the model files (or with IDEABOARD_SEMANTIC=off) the TF-IDF cosine alone decides, against its own threshold.

Calibration (bench/link_quality.py, end to end through the fake X server; recall / precision of the links; each
set's posts split in two halves by a hash of their id, the threshold read off the tune half of the larger set):
- app_review_feature_search, 590 judged reviews x 15 feature queries (329 relevant pairs), tune half: 0.60 / 0.70
  at 0.51 (0.697), 0.58 / 0.72 at 0.52; held-out half at 0.52: 0.73 / 0.79; whole 0.65 / 0.75 (P@1 0.882).
  TF-IDF alone 0.56 / 0.77 at 0.56 (whole set).
- feedback_issue_matching, 100 reviews x 194 issues (64 matches; only each review's 3 candidates, the paper's own
  top 3, were judged, so precision counts judged links only): 0.08 / 1.00 at 0.52, 0.25 / 0.73 at 0.39 (P@1 0.65):
  the fitting issues of this set mostly score below a cut that is precise on the other.
LINK_THRESHOLD is the lowest cut (in steps of 0.01) whose precision reaches 0.7 on the tune half (a link shown to
staff should be right more often than not, and 0.7 is the issue's bar); the fallback's is chosen the same way (on
the whole set, before the halves).
Tried and dropped (measured on both sets): a per-idea CSLS hub correction (as workers/clustering.hub_corrected,
each idea's hubness from its nearest other ideas) and per-post z-scores over the ideas (AUC on the judged pairs no
better, recall at precision 0.7 lower on app reviews), a margin to the post's best idea (fewer links, no recall
gained), a lower cut for a best idea that leads the second by a margin (0.49 and 0.05: app reviews 0.70 / 0.72, the
issue set no recall gained), sentence cosines alone instead of the best of whole post and sentences (no better),
BM25, character n-grams or a logistic regression over the cosines and lexical scores in place of the mean
(app-review recall gained at the cost of precision there or of P@1 on the issue set; issue recall at most 0.23);
WordLlama's static token embeddings (the wordllama wheel's weights) alone, beside or mixed into this score, cuts and
weights read off both sets' tune halves (issue held-out recall at most 0.15 at precision 0.7; README).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from workers.suggest_index import idea_text

LINK_THRESHOLD = 0.52  # mean of the semantic (best sentence) and TF-IDF cosines; calibrated above
TFIDF_LINK_THRESHOLD = 0.56  # TF-IDF cosine alone, when there is no model; calibrated above
SEMANTIC_WEIGHT = 0.5  # 0.7 or 1.0 lost recall at the same precision on both sets (0.60 and 0.18 on app reviews)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
MIN_SENTENCE_WORDS = 3
MAX_LINKS = 3  # a post is linked to at most its three best ideas
STOP_WORDS = frozenset((
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does",
    "doing", "down", "during", "each", "even", "every", "few", "for", "from", "further", "get", "gets", "had", "has",
    "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its",
    "itself", "just", "let", "lets", "like", "make", "me", "more", "most", "my", "no", "nor", "not", "now", "of", "off",
    "on", "once", "only", "or", "other", "our", "out", "over", "own", "please", "same", "she", "should", "so", "some",
    "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "through", "to",
    "too", "under", "until", "up", "us", "very", "via", "was", "we", "were", "what", "when", "where", "which", "while",
    "who", "why", "will", "with", "would", "you", "your", "yours", "new", "use", "using", "really", "still", "much",
    "many", "want", "need", "one", "way", "show", "give", "last", "part", "half", "comes", "others", "asked",
    "everything", "simple", "used", "already",
))


@dataclass(frozen=True, slots=True)
class Match:
    """One idea for one post: its score and whether the worker links them."""

    idea: Any
    score: float
    linked: bool


def _features(text: str, ignore: frozenset[str]) -> list[str]:
    """Words (crudely singularised, so "cups" meets "cup") and word pairs."""
    words = [w.rstrip("s") if len(w) > 3 else w for w in re.findall(r"[a-z0-9][a-z0-9'-]*", text.lower())
             if w not in STOP_WORDS and w not in ignore]
    return [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]


def brand_words(brand: Sequence[str]) -> frozenset[str]:
    """Handles, hashtags and brand words, lower-cased without @/#: they say nothing about which idea."""
    return frozenset(w.lstrip("@#").lower() for b in brand for w in b.split())


def without_brand(text: str, ignore: frozenset[str]) -> str:
    """The post as the model reads it: brand handles and words taken out ("@netflix" tells no idea apart)."""
    if not ignore:
        return text
    return re.sub(r"[@#]?[\w'-]+", lambda m: "" if m.group().lstrip("@#").lower() in ignore else m.group(), text)


def sentences(text: str) -> list[str]:
    """A post's sentences of three words or more (shorter ones, "Love it!", match everything a little)."""
    return [s for s in SENTENCE_END.split(text) if len(s.split()) >= MIN_SENTENCE_WORDS]


def semantic_text(title: str, body: str) -> str:
    """What the model embeds for an idea: the same text as the clustering cache (workers/semantic.py)."""
    return f"{title.strip()}\n{body.strip()}".strip()


class IdeaMatcher:
    """Fitted once on the open ideas; then scores any number of posts against them (CPU work: run it in a pool)."""

    def __init__(self, ideas: Sequence[tuple[Any, str, str]], brand: Sequence[str] = (), *,
                 semantic: bool | None = None, vectors: np.ndarray | None = None) -> None:
        """ideas: (id, title, body); brand: handles and brand words; semantic: default when the model is installed;
        vectors: the ideas' embeddings of ``semantic_text`` if already computed (the worker's Redis cache)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        from ideaboard import embedding

        self.ids = [idea_id for idea_id, _, _ in ideas]
        self.ignore = brand_words(brand)
        self._vectorizer = TfidfVectorizer(analyzer=lambda t: _features(t, self.ignore), sublinear_tf=True)
        texts = [idea_text(title, body) for _, title, body in ideas]
        try:
            self._ideas = self._vectorizer.fit_transform(texts) if texts else None
        except ValueError:  # nothing but stop words in every idea
            self._ideas = None
        self.semantic = embedding.enabled() if semantic is None else semantic
        self._vectors: np.ndarray | None = None
        if self.semantic and ideas:
            self._vectors = vectors if vectors is not None else embedding.encode(
                [semantic_text(t, b) for _, t, b in ideas])
        self.threshold = LINK_THRESHOLD if self.semantic else TFIDF_LINK_THRESHOLD

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """posts x ideas: the mean of the semantic and TF-IDF cosines (TF-IDF alone without the model)."""
        from sklearn.metrics.pairwise import cosine_similarity

        lexical = (cosine_similarity(self._vectorizer.transform(list(texts)), self._ideas)
                   if self._ideas is not None else np.zeros((len(texts), len(self.ids))))
        if self._vectors is None:
            return lexical
        return SEMANTIC_WEIGHT * self.meaning(texts) + (1 - SEMANTIC_WEIGHT) * lexical

    def meaning(self, texts: Sequence[str]) -> np.ndarray:
        """posts x ideas: the sentence cosine of the whole post or of its closest sentence, whichever is higher
        (a review that complains about three things matches each of them by the sentence about it)."""
        from ideaboard import embedding

        assert self._vectors is not None
        pieces, owner = [], []
        for n, text in enumerate(texts):
            clean = without_brand(text, self.ignore)
            parts = sentences(clean)
            for piece in [clean, *(parts if len(parts) > 1 else ())]:
                pieces.append(piece)
                owner.append(n)
        cosines = embedding.encode(pieces) @ self._vectors.T
        best = np.full((len(texts), len(self.ids)), -np.inf, dtype=cosines.dtype)
        np.maximum.at(best, np.asarray(owner), cosines)
        return best

    def match(self, texts: Sequence[str], k: int = MAX_LINKS, threshold: float | None = None) -> list[list[Match]]:
        """Each post's top k ideas by score, best first; `linked` for its best MAX_LINKS reaching the threshold
        (the same whatever k is shown)."""
        if not self.ids or not texts:
            return [[] for _ in texts]
        cut = self.threshold if threshold is None else threshold
        results = []
        for row in self.scores(texts):
            best = sorted(range(len(self.ids)), key=lambda i: (-row[i], i))[:k]
            results.append([Match(self.ids[i], round(float(row[i]), 4), bool(rank < MAX_LINKS and row[i] >= cut))
                            for rank, i in enumerate(best) if row[i] > 0])
        return results

    def links(self, posts: Sequence[tuple[str, str]]) -> dict[Any, dict[str, float]]:
        """{idea id: {post id: score}} of the linked pairs, ready for social.link_tweets."""
        found: dict[Any, dict[str, float]] = {}
        for (post_id, _), matches in zip(posts, self.match([text for _, text in posts]), strict=True):
            for m in matches:
                if m.linked:
                    found.setdefault(m.idea, {})[post_id] = m.score
        return found
