"""Auto-archive (IdeaStorm's rule): ideas still "new" N months after they were posted are archived by a daily job."""

from __future__ import annotations

from datetime import datetime

from ideaboard import workflow
from ideaboard.errors import DomainError
from ideaboard.models import Idea, Status

MESSAGE = ("Archived automatically: this idea stayed new for {months} months without the team taking it up. "
           "It keeps its votes and comments; the team can bring it back for review.")


def months_before(now: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (the last day of a shorter month when needed)."""
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    month += 1
    for day in range(now.day, 0, -1):
        try:
            return now.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


async def archive_stale(months: int, now: datetime) -> list[int]:
    """Archive every public-or-internal idea that is still new and older than `months` (0: off); returns their ids.

    Each goes through the workflow as a system action (no actor): a timeline message, followers told, audited.
    Running it twice archives nothing more (archived ideas are no longer new)."""
    if months <= 0:
        return []
    cutoff = months_before(now, months)
    stale = await Idea.filter(status=Status.NEW, hidden=False, created_at__lt=cutoff).order_by("id")
    archived = []
    for idea in stale:
        try:
            await workflow.transition(idea, None, Status.ARCHIVED, MESSAGE.format(months=months))
        except DomainError:  # the team moved it meanwhile
            continue
        archived.append(idea.id)
    return archived
