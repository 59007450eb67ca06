"""Search re-ranked by meaning: the best text matches (search.RERANK_DEPTH) are re-ordered by how close each idea is
in meaning to the query, where the MiniLM model is installed (ideaboard.embedding); without it, search stays text only.

Idea vectors are the worker's (the Redis hash embedding.CACHE_KEY, also read for similar-while-typing); an idea the
worker has not embedded yet is embedded here with the query, in the same call, so a fresh board is re-ranked too, and
its vector is stored there as the worker stores it, so neither the next search nor the worker embeds it again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ideaboard import embedding, search
from ideaboard.models import Idea
from ideaboard.suggest import sentence_vectors

log = logging.getLogger(__name__)


def idea_text(title: str, body: str) -> str:
    """The text the worker embeds for an idea (workers/semantic.document_text): title first, then the body."""
    return f"{title.strip()}\n{body.strip()}".strip()


def reranker(redis: Any | None) -> search.Reranker:
    """A search.Reranker over the worker's vectors in this Redis (None: embed every idea asked about)."""

    async def meaning(text: str, idea_ids: Sequence[int]) -> Mapping[int, float]:
        try:
            return await similarities(redis, text, idea_ids)
        except Exception:  # a broken model install must not break search: the text ranking stands
            log.exception("re-ranking search by meaning failed; text ranking only")
            return {}

    return meaning


async def similarities(redis: Any | None, text: str, idea_ids: Sequence[int]) -> dict[int, float]:
    """Each idea's cosine to the query (0..1; unrelated is 0)."""
    if not idea_ids:
        return {}
    vectors = await sentence_vectors(redis, list(idea_ids)) if redis is not None else {}
    missing = [i for i in idea_ids if i not in vectors]
    rows = await Idea.filter(id__in=missing).values_list("id", "title", "body") if missing else []
    texts = [idea_text(title, body) for _, title, body in rows]
    encoded = await embedding.encode_async([text, *texts])
    fresh = {idea_id: encoded[n + 1] for n, (idea_id, _, _) in enumerate(rows)}
    vectors.update(fresh)
    if redis is not None and fresh:
        await redis.hset(embedding.CACHE_KEY, mapping={str(idea_id): embedding.pack(texts[n], fresh[idea_id])
                                                       for n, (idea_id, _, _) in enumerate(rows)})
    query = encoded[0]
    return {idea_id: max(0.0, float(np.dot(vector, query))) for idea_id, vector in vectors.items()}


def install(redis: Any | None) -> bool:
    """Re-rank this process's searches by meaning when the model is installed and switched on; True if it is."""
    if not embedding.enabled():
        search.use_reranker(None)
        return False
    search.use_reranker(reranker(redis))
    return True


def uninstall() -> None:
    search.use_reranker(None)
