"""The review queue: which ideas wait for the team, in which order, and bulk actions with per-idea outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tortoise.functions import Count

from ideaboard import assignment, captured, statuses, workflow
from ideaboard.errors import Conflict, IllegalTransition, NotAllowed
from ideaboard.i18n import gettext as _
from ideaboard.models import Idea, IdeaTweet, Status, User
from ideaboard.paging import Page

SORTS = {
    "score": ("-score", "-id"),
    "oldest": ("created_at", "id"),
    "newest": ("-created_at", "-id"),
    "comments": ("-comment_count", "-id"),
    "category": ("category__position", "category__name", "-score", "id"),
    "tweets": ("-tweet_count", "-score", "-id"),  # the social signal: posts on X linked to the idea
    "revenue": ("-score", "-id"),  # then by the company revenue behind each idea (captured.by_revenue)
}
OWNERS = ("anyone", "mine", "unassigned")


@dataclass(frozen=True)
class QueueFilters:
    sort: str = "score"
    status: str = ""
    category: str = ""
    owner: str = "anyone"

    @classmethod
    def parse(cls, q: Mapping[str, str]) -> QueueFilters:
        """Unknown values fall back to defaults instead of failing."""
        status = q.get("status", "")  # any status can be listed: planned, in progress and launched ones too
        sort, owner = q.get("sort", ""), q.get("owner", "")
        return cls(sort=sort if sort in SORTS else "score",
                   status=status if statuses.parse(status) else "",
                   category=(q.get("category") or "")[:60],
                   owner=owner if owner in OWNERS else "anyone")


async def review_queue(actor: User, filters: QueueFilters, *, page: int = 1, size: int = 50) -> Page[Idea]:
    """Waiting ideas (or those of one status) of both spaces; hidden ones live in the flag queue."""
    waiting = [filters.status] if filters.status else list(statuses.keys_where("in_review_queue"))
    query = Idea.filter(hidden=False, status__in=waiting)
    if filters.category:
        query = query.filter(category__slug=filters.category)
    if filters.owner == "mine":
        query = query.filter(owner_id=actor.id)
    elif filters.owner == "unassigned":
        query = query.filter(owner_id__isnull=True)
    total = await query.count()
    if filters.sort == "revenue":
        ids = (await captured.by_revenue(query))[(page - 1) * size:page * size]
        found = {i.id: i for i in await Idea.filter(id__in=ids).select_related("author", "category", "owner")}
        items = [found[i] for i in ids if i in found]
    elif filters.sort == "tweets":  # rank ids by their linked tweets first: a grouped query selects only the id
        ranked: list[int] = await (query.annotate(tweet_count=Count("idea_tweets")).order_by(*SORTS["tweets"])
                        .offset((page - 1) * size).limit(size).values_list("id", flat=True))  # type: ignore[assignment]
        found = {i.id: i for i in await Idea.filter(id__in=ranked).select_related("author", "category", "owner")}
        items = [found[i] for i in ranked if i in found]
    else:
        items = await (query.order_by(*SORTS[filters.sort]).offset((page - 1) * size).limit(size)
                       .select_related("author", "category", "owner"))
    await _count_tweets(items)
    return Page(items=items, number=page, size=size, total=total)


async def _count_tweets(ideas: list[Idea]) -> None:
    """Each idea's linked tweets (`idea.tweet_count`), in one grouped query, for the queue's Tweets column."""
    rows = await (IdeaTweet.filter(idea_id__in=[i.id for i in ideas]).annotate(n=Count("id")).group_by("idea_id")
                  .values_list("idea_id", "n"))
    counts = dict(rows)
    for idea in ideas:
        idea.tweet_count = counts.get(idea.id, 0)


@dataclass
class BulkResult:
    """What happened to each selected idea, summarised as '3 moved, 1 skipped: already planned'."""

    verb: str
    done: list[Idea] = field(default_factory=list)
    skipped: list[tuple[Idea | int, str]] = field(default_factory=list)

    def summary(self) -> str:
        done = len(self.done)
        text = _("%(count)s claimed", count=done) if self.verb == "claimed" else _("%(count)s moved", count=done)
        if self.skipped:
            reasons = "; ".join(f"#{getattr(i, 'id', i)} {why}" for i, why in self.skipped)
            text += _(", %(count)s skipped: %(reasons)s", count=len(self.skipped), reasons=reasons)
        return text + "."


async def bulk_apply(actor: User, action: str, selected: Mapping[int, int]) -> BulkResult:
    """Apply 'claim' or 'review' to {idea_id: version seen}; each idea succeeds or is skipped with a reason."""
    result = BulkResult("claimed" if action == "claim" else "moved")
    ideas = {i.id: i for i in await Idea.filter(id__in=list(selected))}
    for idea_id, version in selected.items():
        idea = ideas.get(idea_id)
        if idea is None:
            result.skipped.append((idea_id, _("no longer exists")))
            continue
        try:
            if action == "claim":
                if idea.owner_id == actor.id:
                    raise NotAllowed(_('already yours'))
                await assignment.claim(idea, actor, version)
            else:
                if idea.status != Status.NEW:
                    raise NotAllowed(_('already %(lower)s', lower=Status(idea.status).label.lower()))
                await workflow.transition(idea, actor, Status.UNDER_REVIEW, expected_version=version)
        except (NotAllowed, IllegalTransition, Conflict) as exc:
            result.skipped.append((idea, _short(exc)))
        else:
            result.done.append(idea)
    return result


def _short(exc: Exception) -> str:
    """One line per skipped idea: a conflict's long advice is for the one-idea page, not a bulk summary."""
    return _("changed by someone else meanwhile") if isinstance(exc, Conflict) else str(exc).rstrip(".")
