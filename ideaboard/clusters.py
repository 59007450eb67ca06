"""Reading the worker's clusters: the current run, clusters ranked for triage, related ideas, cluster merges."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ideaboard import reads, sql
from ideaboard.errors import NotAllowed
from ideaboard.i18n import gettext as _
from ideaboard.merge import merge_ideas
from ideaboard.models import Cluster, ClusterRun, Idea, IdeaCluster, IdeaTweet, Space, Status, Theme, User

TREND_DAYS = 7  # the clusters view compares the linked tweets of the last 7 days with the 7 before


@dataclass
class RankedCluster:
    cluster: Cluster
    ideas: list[Idea] = field(default_factory=list)
    tweets: int = 0  # distinct posts on X linked to any of its ideas (the social signal)
    tweets_week: int = 0  # ... posted in the last TREND_DAYS days
    tweets_before: int = 0  # ... in the TREND_DAYS days before that
    theme: Theme | None = None  # the broad topic it lies in

    @property
    def trend(self) -> int:
        """Tweets this week minus the week before: positive when the conversation grows."""
        return self.tweets_week - self.tweets_before


async def current_run() -> ClusterRun | None:
    """The newest finished run; a run being written is invisible until its transaction commits."""
    return await ClusterRun.filter(finished=True).order_by("-id").first()


async def ranked_clusters(*, sort: str = "votes", limit: int = 30,
                          theme: int | None = None) -> tuple[ClusterRun | None, list[RankedCluster]]:
    """Clusters with two or more open ideas (of one theme, by its number, if given), most voted (or fastest growing)
    first, each with its ideas."""
    run = await current_run()
    if run is None:
        return None, []
    if sort == "tweets":
        clusters = await _most_tweeted(run, limit, theme)
    else:
        order = ("-growth", "-total_votes") if sort == "growth" else ("-total_votes", "-growth")
        clusters = await _of_theme(Cluster.filter(run=run, size__gte=2), theme).order_by(*order, "id").limit(limit)
    ranked = {c.id: RankedCluster(c) for c in clusters}
    members = await IdeaCluster.filter(cluster_id__in=list(ranked)).select_related("idea")
    for member in members:
        idea = member.idea
        if not idea.hidden and Status(idea.status).clusterable:
            ranked[member.cluster_id].ideas.append(idea)
    for item in ranked.values():
        item.ideas.sort(key=lambda i: (-i.score, i.id))
    await _tweet_signal(list(ranked.values()))
    themes = {t.number: t for t in await Theme.filter(run=run)}
    for item in ranked.values():
        item.theme = themes.get(item.cluster.theme)
    return run, [r for r in ranked.values() if len(r.ideas) >= 2]


async def ranked_themes(run: ClusterRun | None, *, sort: str = "votes", limit: int = 40) -> list[Theme]:
    """The run's broad topics, most voted (or fastest growing) first: the theme map above the clusters."""
    if run is None:
        return []
    order = ("-growth", "-total_votes") if sort == "growth" else ("-total_votes", "-growth")
    return await Theme.filter(run=run).order_by(*order, "-size", "number").limit(limit)


async def _tweet_signal(items: list[RankedCluster], now: datetime | None = None) -> None:
    """Each cluster's linked tweets: in all, this week and the week before (a tweet about two of its ideas once)."""
    cluster_of = {idea.id: item for item in items for idea in item.ideas}
    week = (now or datetime.now(UTC)) - timedelta(days=TREND_DAYS)
    seen: dict[int, dict[str, datetime | None]] = {}
    rows = await IdeaTweet.filter(idea_id__in=list(cluster_of)).values_list("idea_id", "tweet_id", "tweet__created_at")
    for idea_id, tweet_id, created in rows:
        seen.setdefault(id(cluster_of[idea_id]), {})[tweet_id] = created
    for item in items:
        times = seen.get(id(item), {})
        item.tweets = len(times)
        item.tweets_week = sum(1 for t in times.values() if t is not None and t >= week)
        item.tweets_before = sum(1 for t in times.values()
                                 if t is not None and week - timedelta(days=TREND_DAYS) <= t < week)


def _of_theme(query, theme: int | None):
    return query if theme is None else query.filter(theme=theme)


async def _most_tweeted(run: ClusterRun, limit: int, theme: int | None = None) -> list[Cluster]:
    """The run's clusters whose ideas were linked to the most tweets posted this week (then the most voted)."""
    week = datetime.now(UTC) - timedelta(days=TREND_DAYS)
    recent = await IdeaTweet.filter(tweet__created_at__gte=week).values_list("idea_id", "tweet_id")
    ideas = {idea_id for idea_id, _unused in recent}
    cluster_of = dict(await IdeaCluster.filter(run=run, idea_id__in=list(ideas)).values_list("idea_id", "cluster_id"))
    tweets: dict[int, set[str]] = {}
    for idea_id, tweet_id in recent:
        if idea_id in cluster_of:
            tweets.setdefault(cluster_of[idea_id], set()).add(tweet_id)
    clusters = await _of_theme(Cluster.filter(run=run, size__gte=2), theme).order_by("-total_votes", "id")
    clusters.sort(key=lambda c: -len(tweets.get(c.id, ())))  # stable: votes break ties
    return clusters[:limit]


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
        raise NotAllowed(_('Choose which idea the others should be merged into.'))
    merged, problems = 0, []
    for idea_id in idea_ids:
        if idea_id == canonical_id:
            continue
        source = await Idea.get_or_none(id=idea_id)
        try:
            if source is None:
                raise NotAllowed(_('Idea #%(idea_id)s no longer exists.', idea_id=idea_id))
            await merge_ideas(source, await Idea.get(id=canonical_id), actor)
            merged += 1
        except NotAllowed as exc:
            problems.append(str(exc))
    return merged, problems


__all__ = ["RankedCluster", "Space", "current_run", "merge_selected", "ranked_clusters", "ranked_themes",
           "related_ideas"]
