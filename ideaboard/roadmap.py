"""The community's view of the workflow: the "Ideas in action" roadmap and the launched showcase."""

from __future__ import annotations

from dataclasses import dataclass

from ideaboard.models import EventKind, Idea, IdeaEvent, Space, Status

COLUMNS = [s for s in Status if s.on_roadmap]


@dataclass(frozen=True)
class Launch:
    idea: Idea
    event: IdeaEvent | None
    response: IdeaEvent | None = None  # the team's latest official response, shown beside the launch message


def _public():
    return Idea.filter(space=Space.PUBLIC, hidden=False)


async def roadmap_columns(per_column: int = 50) -> dict[Status, list[Idea]]:
    """Planned, in progress and launched public ideas, best score first."""
    return {status: await _public().filter(status=status).order_by("-score", "-id").limit(per_column)
                    .select_related("category") for status in COLUMNS}


async def launched_ideas(limit: int = 50) -> list[Launch]:
    """Shipped public ideas, newest launch first, each with the team's launch message and official response."""
    ideas = await _public().filter(status=Status.LAUNCHED).select_related("author", "category")
    kinds = [EventKind.STATUS, EventKind.RESPONSE]
    events = await (IdeaEvent.filter(idea_id__in=[i.id for i in ideas], kind__in=kinds)
                    .order_by("created_at", "id").select_related("actor"))
    # (idea, is a response) -> the last such event: a relaunch or a newer response wins
    last = {(e.idea_id, e.kind == EventKind.RESPONSE): e for e in events
            if e.kind == EventKind.RESPONSE or e.to_status == Status.LAUNCHED}
    launches = [Launch(i, last.get((i.id, False)), last.get((i.id, True))) for i in ideas]
    launches.sort(key=lambda launch: launch.event.created_at if launch.event else launch.idea.updated_at, reverse=True)
    return launches[:limit]
