"""CSV exports of the board for staff: ideas with their counts and reach, and every vote, in constant memory."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from tortoise.functions import Count

from ideaboard.models import Follow, Idea, Status, User, Vote

PAGE = 1000  # rows read per query: memory stays flat however big the board is
IDEA_COLUMNS = ("id", "url", "title", "status", "space", "hidden", "category", "author", "author_email", "owner",
                "upvotes", "downvotes", "score", "voters", "comments", "followers", "merged_into", "created_at")
VOTE_COLUMNS = ("idea_id", "idea_title", "voter", "voter_email", "value", "created_at")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula (CSV injection)


def cell(value: Any) -> str:
    """A value a spreadsheet shows as text, never evaluates (OWASP's CSV injection advice)."""
    text = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_line(values: Iterable[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([cell(v) for v in values])
    return out.getvalue()


async def idea_lines(site_url: str) -> AsyncIterator[str]:
    """The header, then one line per idea (internal and hidden ones too: staff see them), oldest first."""
    yield csv_line(IDEA_COLUMNS)
    last = 0
    while ideas := await Idea.filter(id__gt=last).order_by("id").limit(PAGE).select_related(
            "author", "owner", "category"):
        last = ideas[-1].id
        voters, followers = await _counts([i.id for i in ideas])
        for idea in ideas:
            yield csv_line(_idea_row(idea, site_url, voters.get(idea.id, 0), followers.get(idea.id, 0)))


def _idea_row(idea: Idea, site_url: str, voters: int, followers: int) -> list[Any]:
    owner: User | None = idea.owner
    return [idea.id, f"{site_url.rstrip('/')}/ideas/{idea.id}", idea.title, Status(idea.status).value,
            idea.space, idea.hidden, idea.category.name if idea.category else "", idea.author.name,
            idea.author.email, owner.name if owner else "", idea.upvotes, idea.downvotes, idea.score, voters,
            idea.comment_count, followers, idea.merged_into_id or "", idea.created_at]


async def _counts(idea_ids: Sequence[int]) -> tuple[dict[int, int], dict[int, int]]:
    """(people who voted, people following) per idea of one page."""
    voters = await (Vote.filter(idea_id__in=idea_ids).exclude(value=0).group_by("idea_id")
                    .annotate(n=Count("id")).values_list("idea_id", "n"))
    followers = await (Follow.filter(idea_id__in=idea_ids, unfollowed_at__isnull=True).group_by("idea_id")
                       .annotate(n=Count("id")).values_list("idea_id", "n"))
    return dict(voters), dict(followers)


async def vote_lines() -> AsyncIterator[str]:
    """The header, then every standing vote (a deleted account's vote counts, with no name)."""
    yield csv_line(VOTE_COLUMNS)
    last = 0
    while votes := await Vote.filter(id__gt=last).exclude(value=0).order_by("id").limit(PAGE).select_related(
            "idea", "user"):
        last = votes[-1].id
        for vote in votes:
            voter: User | None = vote.user
            yield csv_line([vote.idea_id, vote.idea.title, voter.name if voter else "",
                            voter.email if voter else "", vote.value, vote.created_at])
