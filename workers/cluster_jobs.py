"""Cluster jobs: a full run writes a new ClusterRun and switches to it in one transaction; new ideas join the
nearest cluster of the current run in between."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import numpy as np
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from ideaboard import statuses
from ideaboard.models import Cluster, ClusterRun, Idea, IdeaCluster, Status, Theme, Vote
from workers import semantic
from workers.clustering import (
    DEFAULT_THRESHOLD,
    Clustering,
    DocId,
    Document,
    SimilarityIndex,
    TextEncoder,
    _renumber,
    cluster_names,
    cluster_of_neighbours,
    cluster_vectors,
    neighbours_of,
)
from workers.pools import BATCH, QUICK
from workers.themes import Theme as ThemeInfo
from workers.themes import brand_stop_words, carry_over, common_words, describe, theme_labels, theme_slugs

INDEX_KEY = "ideaboard:cluster:index:{run}"
KEEP_RUNS = 2
NO_THEME = -1  # the theme number of a cluster placed between runs that joined no theme
LIGHT_METHOD = "word+char tf-idf, lsa, snn average linkage"
log = logging.getLogger(__name__)


def cluster_and_index(
    docs: Sequence[Document], embeddings: np.ndarray | None = None, brand: Sequence[str] = ()
) -> tuple[Clustering, SimilarityIndex]:
    """One encoder fit serves the index, the cluster names and (without embeddings) the clustering itself; brand
    words and words in most ideas never name a cluster."""
    encoder, vectors, word_x = TextEncoder.fit(docs)
    if embeddings is None:
        labels = _renumber(cluster_vectors(vectors, threshold=DEFAULT_THRESHOLD))
    else:
        labels = _renumber(semantic.cluster(embeddings))
    skip = brand_stop_words(brand) | common_words([f"{d.title} {d.body}" for d in docs])
    names = cluster_names(word_x, labels, encoder.word.get_feature_names_out(), skip)
    clustering = Clustering({d.id: int(c) for d, c in zip(docs, labels, strict=True)}, names)
    return clustering, SimilarityIndex(encoder, [d.id for d in docs], vectors)


async def recluster_ideas(ctx: dict[str, Any]) -> int:
    """Cluster every open idea off the event loop, then publish the new run atomically; returns #clusters."""
    clusterable = list(statuses.keys_where("clusterable"))
    rows = await Idea.filter(hidden=False, status__in=clusterable).values_list("id", "title", "body", "score")
    docs = [Document(id=i, title=t, body=b) for i, t, b, _ in rows]
    if len(docs) < 2:
        return 0
    loop = asyncio.get_running_loop()
    embeddings = await _semantic_vectors(ctx, docs)
    brand = [*ctx["settings"].x_brand_handles, *ctx["settings"].x_brand_keywords, ctx["settings"].site_name]
    result, index = await loop.run_in_executor(ctx[BATCH], cluster_and_index, docs, embeddings, brand)
    themes = await loop.run_in_executor(ctx[BATCH], themes_of, docs, result,
                                        embeddings if embeddings is not None else index.vectors, brand)
    growth = await _recent_votes([i for i, *_ in rows])
    scores = {i: s for i, _, _, s in rows}
    async with in_transaction():  # a worker killed before the commit leaves the previous run in place
        identity = await _theme_identity(themes)
        method = LIGHT_METHOD if embeddings is None else semantic.METHOD
        run = await ClusterRun.create(method=method, idea_count=len(docs))
        await _write_clusters(run, result, scores, growth, themes, identity)
        run.finished, run.finished_at = True, datetime.now(UTC)
        run.cluster_count = len(set(result.labels.values()))
        await run.save()
    await ctx["redis"].set(INDEX_KEY.format(run=run.id), index.to_bytes(), ex=7 * 24 * 3600)
    ctx["cluster_index"] = (run.id, index)
    await _prune_old_runs()
    return run.cluster_count


async def _semantic_vectors(ctx: dict[str, Any], docs: Sequence[Document]) -> np.ndarray | None:
    """Sentence embeddings (cached ones reused) when the model is installed; None keeps the light TF-IDF path."""
    if not semantic.available():
        return None
    loop = asyncio.get_running_loop()

    def run(fn: Any, arg: Any) -> Any:
        return loop.run_in_executor(ctx[BATCH], fn, arg)

    try:
        vectors = await semantic.document_vectors(ctx["redis"], docs, run)
        await semantic.forget_others(ctx["redis"], docs)
    except Exception:  # a broken model install must not stop clustering altogether
        log.exception("semantic embeddings failed; clustering with TF-IDF instead")
        return None
    return vectors


async def place_idea(ctx: dict[str, Any], idea_id: int) -> int | None:
    """Put a new or edited idea into the current run's nearest cluster, or a new one; safe to run twice."""
    run = await ClusterRun.filter(finished=True).order_by("-id").first()
    idea = await Idea.get_or_none(id=idea_id)
    if run is None or idea is None or idea.hidden or not Status(idea.status).clusterable:
        return None
    index = await _run_index(ctx, run.id)
    if index is None:
        return None
    doc = Document(id=idea.id, title=idea.title, body=idea.body)
    near = neighbours_of(index, doc)
    labels = dict(await IdeaCluster.filter(run=run, idea_id__in=[i for i, _ in near]).exclude(idea_id=idea.id)
                  .values_list("idea_id", "cluster__number"))  # the neighbours' only: a big board has a million
    number = cluster_of_neighbours(near, labels)
    async with in_transaction():
        if number is None:
            last = await Cluster.filter(run=run).order_by("-number").first()
            number = (last.number + 1) if last else 0
            # like nothing on the board: no theme until the next full run (never the largest one by default)
            cluster = await Cluster.create(run=run, number=number, label=idea.title[:200], theme=NO_THEME)
        else:
            cluster = await Cluster.get(run=run, number=number)
        await _leave_current_cluster(run, idea.id)
        await IdeaCluster.create(run=run, cluster=cluster, idea_id=idea.id)
        await Cluster.filter(id=cluster.id).update(size=F("size") + 1, total_votes=F("total_votes") + idea.score)
    index.add(doc)
    return number


async def _leave_current_cluster(run: ClusterRun, idea_id: int) -> None:
    for member in await IdeaCluster.filter(run=run, idea_id=idea_id).select_related("idea"):
        await Cluster.filter(id=member.cluster_id).update(size=F("size") - 1,
                                                          total_votes=F("total_votes") - member.idea.score)
        await member.delete()


async def _run_index(ctx: dict[str, Any], run_id: int) -> SimilarityIndex | None:
    """The run's index: cached in this worker, else loaded from Redis where the full run left it."""
    cached = ctx.get("cluster_index")
    if cached and cached[0] == run_id:
        return cached[1]
    blob = await ctx["redis"].get(INDEX_KEY.format(run=run_id))
    if blob is None:
        return None
    index = await asyncio.get_running_loop().run_in_executor(ctx[QUICK], SimilarityIndex.from_bytes, blob)
    ctx["cluster_index"] = (run_id, index)
    return index


def themes_of(docs: Sequence[Document], result: Clustering, vectors: np.ndarray,
              brand: Sequence[str]) -> tuple[dict[DocId, int], dict[int, ThemeInfo]]:
    """The run's themes (whole clusters each) and their names, from the vectors the clusters were made from."""
    labels = np.array([result.labels[d.id] for d in docs], dtype=np.int64)
    themes = theme_labels(vectors, labels)
    return {d.id: int(t) for d, t in zip(docs, themes, strict=True)}, describe(docs, themes, vectors, brand)


async def _theme_identity(themes: tuple[dict[DocId, int], dict[int, ThemeInfo]]) -> dict[int, tuple[str, bool]]:
    """(slug, published) per new theme: a theme continuing one of the current run (by shared ideas) keeps its slug
    and whether it is published; the others get a fresh slug, unpublished."""
    theme_of, infos = themes
    previous = await ClusterRun.filter(finished=True).order_by("-id").first()
    old: dict[str, list[int]] = defaultdict(list)
    published: dict[str, bool] = {}
    if previous is not None:
        by_number = {t.number: t for t in await Theme.filter(run=previous)}
        published = {t.slug: t.published for t in by_number.values()}
        for idea_id, number in await IdeaCluster.filter(run=previous).values_list("idea_id", "cluster__theme"):
            if number in by_number:
                old[by_number[number].slug].append(idea_id)
    new: dict[int, list[DocId]] = defaultdict(list)
    for idea_id, number in theme_of.items():
        new[number].append(idea_id)
    taken = cast(list[str], await Theme.all().values_list("slug", flat=True))
    slugs = theme_slugs(infos, carry_over(new, old), taken)
    return {number: (slug, published.get(slug, False)) for number, slug in slugs.items()}


async def _write_clusters(run: ClusterRun, result: Clustering, scores: dict[int, int], growth: dict[int, int],
                          themes: tuple[dict[DocId, int], dict[int, ThemeInfo]],
                          identity: dict[int, tuple[str, bool]]) -> None:
    members: dict[int, list[int]] = defaultdict(list)
    for idea_id, number in result.labels.items():
        members[number].append(int(idea_id))
    theme_of, infos = themes
    await Cluster.bulk_create([
        Cluster(run=run, number=number, label=result.names.get(number, "")[:200], size=len(ids),
                total_votes=sum(scores.get(i, 0) for i in ids), growth=sum(growth.get(i, 0) for i in ids),
                theme=theme_of.get(ids[0], 0))
        for number, ids in members.items()], batch_size=1000)
    in_theme: dict[int, list[int]] = defaultdict(list)
    for idea_id, number in theme_of.items():
        in_theme[number].append(int(idea_id))
    await Theme.bulk_create([
        Theme(run=run, number=number, name=info.name[:300], terms=" · ".join(info.terms)[:300], size=info.size,
              total_votes=sum(scores.get(i, 0) for i in in_theme[number]),
              growth=sum(growth.get(i, 0) for i in in_theme[number]), slug=identity[number][0],
              published=identity[number][1])
        for number, info in infos.items()], batch_size=1000)
    saved = dict(await Cluster.filter(run=run).values_list("number", "id"))
    await IdeaCluster.bulk_create(
        [IdeaCluster(run=run, cluster_id=saved[number], idea_id=i) for number, ids in members.items() for i in ids],
        batch_size=2000)


async def _recent_votes(idea_ids: list[int]) -> dict[int, int]:
    """Up-votes cast in the last 7 days per idea: a cluster's growth."""
    since = datetime.now(UTC) - timedelta(days=7)
    counts: dict[int, int] = defaultdict(int)
    voted = Vote.filter(idea_id__in=idea_ids, created_at__gte=since, value=1).values_list("idea_id", flat=True)
    for idea_id in cast(list[int], await voted):
        counts[idea_id] += 1
    return counts


async def _prune_old_runs() -> None:
    """Keep the newest finished runs (and drop unfinished leftovers of killed jobs)."""
    keep = await ClusterRun.filter(finished=True).order_by("-id").limit(KEEP_RUNS).values_list("id", flat=True)
    await ClusterRun.exclude(id__in=list(keep)).delete()
