"""The community's view of the workflow: the "Ideas in action" roadmap and the launched showcase."""

from __future__ import annotations

from dataclasses import dataclass

from ideaboard import statuses
from ideaboard.models import EventKind, Idea, IdeaEvent, Space, Status
from ideaboard.statuses import ROADMAP_PHASES, Phase


@dataclass(frozen=True)
class Launch:
    idea: Idea
    event: IdeaEvent | None
    response: IdeaEvent | None = None  # the team's latest official response, shown beside the launch message


def _public():
    return Idea.filter(space=Space.PUBLIC, hidden=False)


@dataclass(frozen=True)
class Column:
    """One phase of the roadmap (planned, in progress, done) and every status the board put in it."""
    phase: Phase
    statuses: list[Status]
    ideas: list[Idea]

    @property
    def anchor(self) -> str:
        """The column's id: its first status's key on a board with one status per phase (today's: planned…)."""
        return self.statuses[0].value if len(self.statuses) == 1 else self.phase.value


async def roadmap_columns(per_column: int = 50) -> list[Column]:
    """Public ideas by phase (planned, in progress, done), best score first: custom statuses join their phase."""
    columns = []
    for phase, members in statuses.by_phase(ROADMAP_PHASES).items():
        ideas = await (_public().filter(status__in=[s.value for s in members]).order_by("-score", "-id")
                       .limit(per_column).select_related("category")) if members else []
        columns.append(Column(phase, members, ideas))
    return columns


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
