"""Reading the worker's clusters: the current run, clusters ranked for triage, related ideas, cluster merges."""

from __future__ import annotations

from dataclasses import dataclass, field

from ideaboard import reads, sql
from ideaboard.errors import NotAllowed
from ideaboard.merge import merge_ideas
from ideaboard.models import Cluster, ClusterRun, Idea, IdeaCluster, Space, Status, User


@dataclass
class RankedCluster:
    cluster: Cluster
    ideas: list[Idea] = field(default_factory=list)


async def current_run() -> ClusterRun | None:
    """The newest finished run; a run being written is invisible until its transaction commits."""
    return await ClusterRun.filter(finished=True).order_by("-id").first()


async def ranked_clusters(*, sort: str = "votes", limit: int = 30) -> tuple[ClusterRun | None, list[RankedCluster]]:
    """Clusters with two or more open ideas, most voted (or fastest growing) first, each with its ideas."""
    run = await current_run()
    if run is None:
        return None, []
    order = ("-growth", "-total_votes") if sort == "growth" else ("-total_votes", "-growth")
    clusters = await Cluster.filter(run=run, size__gte=2).order_by(*order, "id").limit(limit)
    ranked = {c.id: RankedCluster(c) for c in clusters}
    members = await IdeaCluster.filter(cluster_id__in=list(ranked)).select_related("idea")
    for member in members:
        idea = member.idea
        if not idea.hidden and Status(idea.status).clusterable:
            ranked[member.cluster_id].ideas.append(idea)
    for item in ranked.values():
        item.ideas.sort(key=lambda i: (-i.score, i.id))
    return run, [r for r in ranked.values() if len(r.ideas) >= 2]


RELATED_SIZE = 5  # related ideas on an idea page


async def related_ideas(idea: Idea, limit: int = RELATED_SIZE) -> list[Idea]:
    """Other visible ideas of this idea's space in its cluster of the current run, most voted first."""
    return related_from_rows(await sql.fetch(reads.related_ideas(idea.id, limit)))


def related_from_rows(rows) -> list[Idea]:
    load = sql.loader_of(Idea, reads.RELATED_COLUMNS)
    return [load(row) for row in rows]


async def merge_selected(canonical_id: int, idea_ids: list[int], actor: User) -> tuple[int, list[str]]:
    """Merge each selected idea into the canonical one; returns how many merged and why others were skipped."""
    target = await Idea.get_or_none(id=canonical_id)
    if target is None:
        raise NotAllowed("Choose which idea the others should be merged into.")
    merged, problems = 0, []
    for idea_id in idea_ids:
        if idea_id == canonical_id:
            continue
        source = await Idea.get_or_none(id=idea_id)
        try:
            if source is None:
                raise NotAllowed(f"Idea #{idea_id} no longer exists.")
            await merge_ideas(source, await Idea.get(id=canonical_id), actor)
            merged += 1
        except NotAllowed as exc:
            problems.append(str(exc))
    return merged, problems


__all__ = ["RankedCluster", "Space", "current_run", "merge_selected", "ranked_clusters", "related_ideas"]
