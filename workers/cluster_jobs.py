"""Cluster jobs: a full run writes a new ClusterRun and switches to it in one transaction."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from tortoise.transactions import in_transaction

from ideaboard.models import Cluster, ClusterRun, Idea, IdeaCluster, Status, Vote
from workers.clustering import Clustering, Document, cluster_documents

CLUSTERABLE = [s for s in Status if s not in (Status.DUPLICATE, Status.ARCHIVED)]
KEEP_RUNS = 2


async def recluster_ideas(ctx: dict[str, Any]) -> int:
    """Cluster every open idea off the event loop, then publish the new run atomically; returns #clusters."""
    rows = await Idea.filter(hidden=False, status__in=CLUSTERABLE).values_list("id", "title", "body", "score")
    docs = [Document(id=i, title=t, body=b) for i, t, b, _ in rows]
    if len(docs) < 2:
        return 0
    result: Clustering = await asyncio.get_running_loop().run_in_executor(ctx["pool"], cluster_documents, docs)
    growth = await _recent_votes([i for i, *_ in rows])
    scores = {i: s for i, _, _, s in rows}
    async with in_transaction():  # a worker killed before commit leaves the previous run in place
        run = await ClusterRun.create(method="tfidf-lsa-threshold", idea_count=len(docs))
        await _write_clusters(run, result, scores, growth)
        run.finished, run.finished_at = True, datetime.now(timezone.utc)
        run.cluster_count = len(set(result.labels.values()))
        await run.save()
    await _prune_old_runs()
    return run.cluster_count


async def _write_clusters(run: ClusterRun, result: Clustering, scores: dict[int, int], growth: dict[int, int]) -> None:
    members: dict[int, list[int]] = defaultdict(list)
    for idea_id, number in result.labels.items():
        members[number].append(int(idea_id))
    clusters = {
        number: Cluster(run=run, number=number, label=result.names.get(number, ""), size=len(ids),
                        total_votes=sum(scores.get(i, 0) for i in ids), growth=sum(growth.get(i, 0) for i in ids))
        for number, ids in members.items()
    }
    await Cluster.bulk_create(list(clusters.values()), batch_size=1000)
    saved = {c.number: c.id for c in await Cluster.filter(run=run)}
    await IdeaCluster.bulk_create(
        [IdeaCluster(run=run, cluster_id=saved[number], idea_id=i) for number, ids in members.items() for i in ids],
        batch_size=2000)


async def _recent_votes(idea_ids: list[int]) -> dict[int, int]:
    """Votes cast in the last 7 days per idea: a cluster's growth."""
    since = datetime.now(timezone.utc) - timedelta(days=7)
    rows = await Vote.filter(idea_id__in=idea_ids, created_at__gte=since, value=1).values_list("idea_id", flat=True)
    counts: dict[int, int] = defaultdict(int)
    for idea_id in rows:
        counts[idea_id] += 1
    return counts


async def _prune_old_runs() -> None:
    """Keep the newest finished runs (and drop unfinished leftovers of killed jobs)."""
    keep = await ClusterRun.filter(finished=True).order_by("-id").limit(KEEP_RUNS).values_list("id", flat=True)
    await ClusterRun.exclude(id__in=list(keep)).delete()
