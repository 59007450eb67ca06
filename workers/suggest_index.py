"""Build the similar-ideas index the web app queries while customers type (see ideaboard/suggest.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from tortoise.transactions import in_transaction

from ideaboard import statuses
from ideaboard.models import Idea, IdeaVector
from ideaboard.suggest import MODEL_KEY, VERSION_KEY, SuggestModel, analyze, model_name
from workers import semantic
from workers.clustering import Document
from workers.pools import BATCH, QUICK

log = logging.getLogger(__name__)

MAX_FEATURES = 60_000
DIMENSIONS = 128


def idea_text(title: str, body: str) -> str:
    """Titles carry the intent, so they count twice."""
    return f"{title}\n{title}\n{body[:2000]}"


def fit_model(texts: list[str], version: int) -> tuple[SuggestModel, np.ndarray]:
    """TF-IDF (our analyzer) reduced by LSA; returns the model and unit-length vectors for `texts`."""
    vectorizer = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, max_features=MAX_FEATURES, dtype=np.float32)
    tfidf = vectorizer.fit_transform(texts)
    k = max(1, min(DIMENSIONS, tfidf.shape[0], tfidf.shape[1] - 1))  # full rank on a small board
    svd = TruncatedSVD(n_components=k, random_state=0, algorithm="randomized", n_iter=4)
    vectors = svd.fit_transform(tfidf).astype(np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    vocabulary = {term: int(col) for term, col in vectorizer.vocabulary_.items()}
    model = SuggestModel(version, vocabulary, vectorizer.idf_.astype(np.float32), svd.components_.astype(np.float32))
    return model, vectors


async def rebuild_suggest_index(ctx: dict[str, Any]) -> int:
    """Refit on every open idea, write the vectors, then publish the model: readers switch in one step."""
    suggestable = list(statuses.keys_where("clusterable"))
    rows = await Idea.filter(hidden=False, status__in=suggestable).values_list("id", "title", "body")
    if len(rows) < 2:
        return 0
    version = int(time.time() * 1000)
    loop = asyncio.get_running_loop()
    model, vectors = await loop.run_in_executor(
        ctx[BATCH], fit_model, [idea_text(t, b) for _, t, b in rows], version)
    last_read = max(i for i, _, _ in rows)
    if semantic.available() and await ctx["redis"].get(VERSION_KEY) is None:
        await _publish(ctx, model, rows, vectors)  # nothing served yet: words now, meaning once it is embedded
        await _index_newcomers(ctx, last_read, suggestable)
        model = dataclasses.replace(model, version=max(int(time.time() * 1000), version + 1))
    await _sentence_vectors(ctx, [Document(i, t, b) for i, t, b in rows])  # cached before readers see the rows
    await _publish(ctx, model, rows, vectors)
    await _index_newcomers(ctx, last_read, suggestable)
    return len(rows)


async def _publish(ctx: dict[str, Any], model: SuggestModel, rows: Sequence[tuple[int, str, str]],
                   vectors: np.ndarray) -> None:
    """Replace every vector row with this model's, then point readers at it."""
    async with in_transaction():
        await IdeaVector.all().delete()
        await IdeaVector.bulk_create(
            [IdeaVector(idea_id=i, model=model_name(model.version), text_hash=_hash(t, b), vector=v.tobytes())
             for (i, t, b), v in zip(rows, vectors, strict=True)], batch_size=2000)
    redis = ctx["redis"]
    await redis.set(f"{MODEL_KEY}:{model.version}", model.to_bytes(), ex=7 * 24 * 3600)
    await redis.set(VERSION_KEY, model.version)


async def _index_newcomers(ctx: dict[str, Any], last_read: int, suggestable: list[str]) -> None:
    """Ideas shared while the refit ran got no vector of the new model (their own job had the old one, or none on a
    board's first run, and the refit replaced every row): index them now, not at the next full run."""
    for idea_id in await Idea.filter(id__gt=last_read, hidden=False, status__in=suggestable) \
            .order_by("id").values_list("id", flat=True):
        await index_idea(ctx, int(idea_id))  # type: ignore[call-overload]


async def index_idea(ctx: dict[str, Any], idea_id: int) -> bool:
    """Add or refresh one idea's vector with the current model (a new or edited idea is suggestable at once)."""
    model = await _current_model(ctx)
    idea = await Idea.get_or_none(id=idea_id)
    if model is None or idea is None:
        return False
    digest = _hash(idea.title, idea.body)
    existing = await IdeaVector.get_or_none(idea_id=idea_id)
    if existing and existing.text_hash == digest and existing.model == model_name(model.version):
        return False  # already indexed: running the job twice changes nothing
    vector = model.embed(idea_text(idea.title, idea.body))
    if vector is not None and not idea.hidden:
        await _sentence_vectors(ctx, [Document(idea.id, idea.title, idea.body)], QUICK)
    async with in_transaction():
        await IdeaVector.filter(idea_id=idea_id).delete()  # a fresh row id lets web processes pick it up
        if vector is not None and not idea.hidden:
            await IdeaVector.create(idea_id=idea_id, model=model_name(model.version), text_hash=digest,
                                    vector=vector.tobytes())
    return vector is not None


async def _sentence_vectors(ctx: dict[str, Any], docs: Sequence[Document], pool: str = BATCH) -> None:
    """Make sure the ideas' sentence vectors are in the cache web processes read (new or edited texts embedded)."""
    if not semantic.available():
        return
    loop = asyncio.get_running_loop()

    def run(fn: Any, arg: Any) -> Any:
        return loop.run_in_executor(ctx[pool], fn, arg)

    try:
        await semantic.document_vectors(ctx["redis"], docs, run)
    except Exception:  # a broken model install must not stop suggestions on words
        log.exception("sentence vectors failed; suggestions use words alone")


async def _current_model(ctx: dict[str, Any]) -> SuggestModel | None:
    version = await ctx["redis"].get(VERSION_KEY)
    if version is None:
        return None
    cached = ctx.get("suggest_model")
    if cached is None or cached.version != int(version):
        blob = await ctx["redis"].get(f"{MODEL_KEY}:{int(version)}")
        cached = ctx["suggest_model"] = SuggestModel.from_bytes(blob) if blob else None
    return cached


def _hash(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\0{body}".encode()).hexdigest()
