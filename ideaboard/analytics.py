"""Numbers for the staff analytics page, computed from the database; charts.py draws them."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ideaboard import statuses
from ideaboard.models import Conversation, DeskReply, EventKind, Idea, IdeaEvent, ReplyStatus, Role, Status, Vote


@dataclass(frozen=True)
class Report:
    by_status: list[tuple[str, int]]
    median_first_response: timedelta | None
    median_decision: timedelta | None
    votes_per_day: list[tuple[str, int]]
    top_by_ideas: list[tuple[str, int]]
    top_by_votes: list[tuple[str, int]]
    total_ideas: int


async def ideas_by_status() -> list[tuple[str, int]]:
    """Every status in workflow order, zeros included, so the chart's shape is stable."""
    rows = await Idea.filter(hidden=False).values_list("status", flat=False)
    counts = {s: 0 for s in statuses.ordered()}
    for (status,) in rows:
        counts[Status(status)] = counts.get(Status(status), 0) + 1
    return [(s.label, n) for s, n in counts.items()]


async def _median_delay(events: list[tuple[int, datetime]]) -> timedelta | None:
    """Median of (first qualifying event - idea creation) over the ideas that have one."""
    first: dict[int, datetime] = {}
    for idea_id, at in events:
        if idea_id not in first or at < first[idea_id]:
            first[idea_id] = at
    if not first:
        return None
    created = dict(await Idea.filter(id__in=list(first)).values_list("id", "created_at"))
    delays = [(at - created[i]).total_seconds() for i, at in first.items() if i in created]
    return timedelta(seconds=statistics.median(delays)) if delays else None


async def median_first_response() -> timedelta | None:
    """How long the community waits for the team: first timeline event by a staff member or admin."""
    events = await IdeaEvent.filter(actor__role__in=[Role.STAFF, Role.ADMIN]).values_list("idea_id", "created_at")
    return await _median_delay(events)


async def median_decision() -> timedelta | None:
    """How long until an idea is planned or declined (its first such transition)."""
    decisions = statuses.where("is_decision")
    events = await IdeaEvent.filter(kind=EventKind.STATUS, to_status__in=decisions).values_list(
        "idea_id", "created_at")
    return await _median_delay(events)


async def votes_per_day(days: int = 30, today: date | None = None) -> list[tuple[str, int]]:
    """Votes cast on each of the last `days` days (today included), oldest first."""
    today = today or datetime.now(UTC).date()
    start = today - timedelta(days=days - 1)
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    counts = {start + timedelta(days=n): 0 for n in range(days)}
    for (at,) in await Vote.filter(created_at__gte=since).values_list("created_at", flat=False):
        day = at.astimezone(UTC).date()
        if day in counts:
            counts[day] += 1
    return [(d.strftime("%b %d"), n) for d, n in counts.items()]


async def top_categories(limit: int = 8) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Categories ranked by number of ideas, and by votes (promotions plus demotions) on their ideas."""
    ideas: dict[str, int] = {}
    votes: dict[str, int] = {}
    rows = await Idea.filter(hidden=False).values_list("category__name", "upvotes", "downvotes")
    for name, up, down in rows:
        key = name or "Uncategorised"
        ideas[key] = ideas.get(key, 0) + 1
        votes[key] = votes.get(key, 0) + up + down

    def top(d: dict[str, int]) -> list[tuple[str, int]]:
        return sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

    return top(ideas), top(votes)


async def report() -> Report:
    by_ideas, by_votes = await top_categories()
    by_status = await ideas_by_status()
    return Report(by_status=by_status, median_first_response=await median_first_response(),
                  median_decision=await median_decision(), votes_per_day=await votes_per_day(),
                  top_by_ideas=by_ideas, top_by_votes=by_votes, total_ideas=sum(n for _, n in by_status))


def humanize(delta: timedelta | None) -> str:
    """'2.5 days', '3 hours', or '—' when nothing happened yet."""
    if delta is None:
        return "—"
    hours = delta.total_seconds() / 3600
    if hours >= 48:
        return f"{hours / 24:.1f} days"
    if hours >= 1:
        return f"{hours:.1f} hours"
    return f"{max(1, round(hours * 60))} minutes"


@dataclass(frozen=True)
class ReplyTimes:
    """Time from a conversation's first post on X to the desk's first reply: overall and per teammate."""

    count: int
    median: timedelta | None
    p90: timedelta | None
    by_teammate: list[tuple[str, int, timedelta]]  # name, conversations answered first, median


def _p90(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=10, method="inclusive")[8] if len(seconds) > 1 else seconds[0]


async def x_reply_times() -> ReplyTimes:
    """Two queries: answered conversations, then who sent each one's first reply."""
    answered = await Conversation.exclude(first_reply_at=None).exclude(first_tweet_at=None).values_list(
        "id", "first_tweet_at", "first_reply_at")
    waits = {cid: max(0.0, (replied - first).total_seconds()) for cid, first, replied in answered}
    first_by: dict[int, str] = {}
    for cid, name in await DeskReply.filter(conversation_id__in=list(waits), status=ReplyStatus.SENT).order_by(
            "sent_at", "id").values_list("conversation_id", "author__name"):
        first_by.setdefault(cid, name or "Someone")
    people: dict[str, list[float]] = {}
    for cid, wait in waits.items():
        people.setdefault(first_by.get(cid, "Someone"), []).append(wait)
    values = list(waits.values())
    return ReplyTimes(
        count=len(values),
        median=timedelta(seconds=statistics.median(values)) if values else None,
        p90=timedelta(seconds=_p90(values)) if values else None,
        by_teammate=sorted(((name, len(w), timedelta(seconds=statistics.median(w))) for name, w in people.items()),
                           key=lambda row: (row[2], row[0])),
    )
