"""The staff theme map: the current run's themes ranked by how fast they grow (new ideas and up-votes in the last
7 days against the 7 before) or by the tweets linked to their ideas, each with its clusters.

Counted live from the run's memberships, so ideas placed since the run count too; a staff page, read on demand.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tortoise.functions import Count

from ideaboard.models import Cluster, ClusterRun, Idea, IdeaCluster, IdeaTweet, Theme, Vote
from ideaboard.theme_board import short_name

WINDOW_DAYS = 7
SORTS = ("growth", "tweets")


@dataclass
class ThemeActivity:
    """One theme's last two weeks: ideas, up-votes and linked tweets this week and the week before."""

    theme: Theme
    clusters: list[Cluster] = field(default_factory=list)
    ideas_week: int = 0
    ideas_before: int = 0
    votes_week: int = 0
    votes_before: int = 0
    tweets: int = 0
    tweets_week: int = 0
    tweets_before: int = 0
    singles: int = 0  # ideas alone in their cluster (the clusters view lists groups of two or more)

    @property
    def name(self) -> str:
        return short_name(self.theme)

    @property
    def activity_week(self) -> int:
        return self.ideas_week + self.votes_week

    @property
    def activity_before(self) -> int:
        return self.ideas_before + self.votes_before

    @property
    def growth(self) -> int:
        """New ideas and votes this week minus the week before: positive when the theme is picking up."""
        return self.activity_week - self.activity_before

    @property
    def tweet_trend(self) -> int:
        return self.tweets_week - self.tweets_before


def _rank_key(sort: str):
    if sort == "tweets":
        return lambda a: (-a.tweets_week, -a.tweet_trend, -a.tweets, -a.growth, a.theme.number)
    return lambda a: (-a.growth, -a.activity_week, -a.theme.size, a.theme.number)


async def theme_map(sort: str = "growth", now: datetime | None = None) -> tuple[ClusterRun | None, list[ThemeActivity]]:
    """The current run and its themes, fastest growing (or most tweeted this week) first."""
    run = await ClusterRun.filter(finished=True).order_by("-id").first()
    if run is None:
        return None, []
    items = {t.number: ThemeActivity(t) for t in await Theme.filter(run=run)}
    for cluster in await Cluster.filter(run=run, size__gte=1).order_by("-total_votes", "-size", "id"):
        if cluster.theme in items and cluster.size >= 2:
            items[cluster.theme].clusters.append(cluster)
        elif cluster.theme in items:
            items[cluster.theme].singles += 1
    theme_of = dict(await IdeaCluster.filter(run=run).values_list("idea_id", "cluster__theme"))
    week = (now or datetime.now(UTC)) - timedelta(days=WINDOW_DAYS)
    before = week - timedelta(days=WINDOW_DAYS)
    await _count_ideas(items, theme_of, week, before)
    await _count_votes(items, theme_of, week, before)
    await _count_tweets(items, theme_of, week, before)
    return run, sorted(items.values(), key=_rank_key(sort if sort in SORTS else "growth"))


def _add(items: dict[int, ThemeActivity], theme: int | None, attr: str, n: int = 1) -> None:
    if theme in items:
        setattr(items[theme], attr, getattr(items[theme], attr) + n)


async def _count_ideas(items, theme_of, week: datetime, before: datetime) -> None:
    for idea_id, created in await Idea.filter(created_at__gte=before, hidden=False).values_list("id", "created_at"):
        _add(items, theme_of.get(idea_id), "ideas_week" if created >= week else "ideas_before")


async def _count_votes(items, theme_of, week: datetime, before: datetime) -> None:
    for attr, start, end in (("votes_week", week, None), ("votes_before", before, week)):
        query = Vote.filter(created_at__gte=start, value=1)
        if end is not None:
            query = query.filter(created_at__lt=end)
        per_idea = await query.annotate(n=Count("id")).group_by("idea_id").values_list("idea_id", "n")
        for idea_id, n in per_idea:
            _add(items, theme_of.get(idea_id), attr, int(n))


async def _count_tweets(items, theme_of, week: datetime, before: datetime) -> None:
    """Distinct linked tweets per theme (one about two of its ideas counts once)."""
    seen: dict[int, dict[str, datetime | None]] = defaultdict(dict)
    for idea_id, tweet_id, created in await IdeaTweet.all().values_list("idea_id", "tweet_id", "tweet__created_at"):
        theme = theme_of.get(idea_id)
        if theme in items:
            seen[theme][tweet_id] = created
    for theme, times in seen.items():
        item = items[theme]
        item.tweets = len(times)
        item.tweets_week = sum(1 for t in times.values() if t is not None and t >= week)
        item.tweets_before = sum(1 for t in times.values() if t is not None and before <= t < week)
