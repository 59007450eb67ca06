"""Which ideas a post is about: the one decision the listening worker and `ideaboard link` share.

The TF-IDF model is fitted on the ideas alone, so a post's score does not depend on how many posts came with it
(the old per-batch fit gave the same tweet different scores at batch sizes 50 and 8,000).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from workers.suggest_index import idea_text

LINK_THRESHOLD = 0.25  # cosine similarity with the idea; not yet calibrated on labelled data (issue 14, "Linking")
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


class IdeaMatcher:
    """Fitted once on the open ideas; then scores any number of posts against them (CPU work: run it in a pool)."""

    def __init__(self, ideas: Sequence[tuple[Any, str, str]], brand: Sequence[str] = ()) -> None:
        """ideas: (id, title, body); brand: handles and brand words, which say nothing about which idea."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.ids = [idea_id for idea_id, _, _ in ideas]
        ignore = frozenset(w.lstrip("@#").lower() for b in brand for w in b.split())
        self._vectorizer = TfidfVectorizer(analyzer=lambda t: _features(t, ignore), sublinear_tf=True)
        texts = [idea_text(title, body) for _, title, body in ideas]
        try:
            self._ideas = self._vectorizer.fit_transform(texts) if texts else None
        except ValueError:  # nothing but stop words in every idea
            self._ideas = None

    def match(self, texts: Sequence[str], k: int = MAX_LINKS, threshold: float = LINK_THRESHOLD) -> list[list[Match]]:
        """Each post's top k ideas by score, best first; `linked` for its best MAX_LINKS reaching the threshold
        (the same whatever k is shown)."""
        if self._ideas is None or not texts:
            return [[] for _ in texts]
        from sklearn.metrics.pairwise import cosine_similarity

        scores = cosine_similarity(self._vectorizer.transform(list(texts)), self._ideas)
        results = []
        for row in scores:
            best = sorted(range(len(self.ids)), key=lambda i: (-row[i], i))[:k]
            results.append([Match(self.ids[i], round(float(row[i]), 4), bool(rank < MAX_LINKS and row[i] >= threshold))
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
