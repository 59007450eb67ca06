"""The board's statuses and their transition table, as the admins defined them: every status rule reads this.

A process holds one `Table` (`current()`); status_store.py loads it from the database at startup and again when an
admin's save bumps the revision. Until then, and in code that never touches the database, it is today's eight.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import ClassVar

from ideaboard.i18n import gettext as _


class Phase(StrEnum):
    """Where a status sits in an idea's life; every status predicate is derived from it."""
    OPEN = "open"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """The phase's name in the reader's language (the roadmap's column, the admin's select)."""
        return {"open": _("Open"), "planned": _("Planned"), "in_progress": _("In progress"), "done": _("Done"),
                "closed": _("Closed")}[self.value]


ROADMAP_PHASES = (Phase.PLANNED, Phase.IN_PROGRESS, Phase.DONE)
KEY_MAX, NAME_MAX, DESCRIPTION_MAX = 16, 40, 300
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
COLOUR_RE = re.compile(r"^#[0-9a-f]{6}$")


@dataclass(frozen=True)
class StatusDef:
    """One status as an admin defined it."""
    key: str
    name: str
    colour: str = "#6b7280"
    description: str = ""
    phase: Phase = Phase.OPEN
    position: int = 0

    @property
    def label(self) -> str:
        """The name people read: a built-in status's own name in the reader's language until an admin renames it,
        then the admin's name as they wrote it."""
        return _(self.name) if self.key in BUILT_IN and self.name == _default_name(self.key) else self.name

    @property
    def shown_description(self) -> str:
        """The description people read, by the same rule as `label` (translated until an admin rewrites it)."""
        untouched = self.key in BUILT_IN and self.description == _DESCRIPTIONS.get(self.key)
        return _(self.description) if untouched and self.description else self.description

    @property
    def is_closed(self) -> bool:
        """Decided for good (done or closed): its votes are settled and the open ideas are the others."""
        return self.phase in (Phase.DONE, Phase.CLOSED)

    @property
    def set_aside(self) -> bool:
        """Merged away or archived: no longer an idea of its own, and no answer to its review either."""
        return self.key in (DUPLICATE, ARCHIVED)

    @property
    def clusterable(self) -> bool:
        return not self.set_aside

    @property
    def in_review_queue(self) -> bool:
        return self.phase is Phase.OPEN

    @property
    def on_roadmap(self) -> bool:
        return self.phase in ROADMAP_PHASES

    @property
    def is_decision(self) -> bool:
        """Reaching it answers an idea's review (the analytics' time to decision): planned, or closed with a no."""
        return self.phase is Phase.PLANNED or (self.phase is Phase.CLOSED and not self.set_aside)


NEW, UNDER_REVIEW, PLANNED, IN_PROGRESS = "new", "under_review", "planned", "in_progress"
LAUNCHED, DECLINED, DUPLICATE, ARCHIVED = "launched", "declined", "duplicate", "archived"
# The code relies on these (new ideas, triage, sharing launches, auto-archive, merging): renamed, never deleted.
BUILT_IN = (NEW, UNDER_REVIEW, PLANNED, IN_PROGRESS, LAUNCHED, DECLINED, DUPLICATE, ARCHIVED)
FIXED_PHASE = {NEW: Phase.OPEN, DUPLICATE: Phase.CLOSED}  # the start, and where merging leads


@dataclass(frozen=True)
class Table:
    """Statuses in board order and the moves allowed between them (duplicate is entered only by merging)."""
    statuses: tuple[StatusDef, ...]
    transitions: frozenset[tuple[str, str]]
    revision: int = 0
    _by_key: dict[str, StatusDef] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_key.update({s.key: s for s in self.statuses})

    def has(self, key: object) -> bool:
        return isinstance(key, str) and key in self._by_key

    def get(self, key: str) -> StatusDef:
        """The definition; a key this process has not loaded yet reads as an open status named after it."""
        found = self._by_key.get(key)
        return found if found is not None else StatusDef(str(key), str(key).replace("_", " ").capitalize())

    def all_keys(self) -> list[str]:
        return [s.key for s in self.statuses]

    def next_of(self, key: str) -> list[str]:
        """What may follow `key`, in board order (duplicate included where merging may happen)."""
        return [s.key for s in self.statuses if (key, s.key) in self.transitions]


_COLOURS = {NEW: "#6b7280", UNDER_REVIEW: "#b45309", PLANNED: "#2563eb", IN_PROGRESS: "#7c3aed",
            LAUNCHED: "#15803d", DECLINED: "#b91c1c", DUPLICATE: "#6b7280", ARCHIVED: "#6b7280"}
_PHASES = {NEW: Phase.OPEN, UNDER_REVIEW: Phase.OPEN, PLANNED: Phase.PLANNED, IN_PROGRESS: Phase.IN_PROGRESS,
           LAUNCHED: Phase.DONE, DECLINED: Phase.CLOSED, DUPLICATE: Phase.CLOSED, ARCHIVED: Phase.CLOSED}


def N_(message: str) -> str:
    """Marks a message for extraction; a built-in status's text is translated when it is shown (`label`)."""
    return message


def _default_name(key: str) -> str:
    """A built-in status's name as it was seeded (migration 0025): 'under_review' -> 'Under review'."""
    return key.replace("_", " ").capitalize()


_DESCRIPTIONS = {
    NEW: N_("Just shared, the team has not looked at it yet."),
    UNDER_REVIEW: N_("The team is looking at it."),
    PLANNED: N_("On the roadmap."),
    IN_PROGRESS: N_("Being built now."),
    LAUNCHED: N_("Shipped."),
    DECLINED: N_("The team decided not to do it."),
    DUPLICATE: N_("Merged into another idea."),
    ARCHIVED: N_("Set aside."),
}
_NEXT = {
    NEW: (UNDER_REVIEW, DECLINED, DUPLICATE, ARCHIVED),
    UNDER_REVIEW: (PLANNED, DECLINED, DUPLICATE, ARCHIVED),
    PLANNED: (IN_PROGRESS, DECLINED, ARCHIVED),
    IN_PROGRESS: (LAUNCHED, PLANNED),
    LAUNCHED: (ARCHIVED,),
    DECLINED: (UNDER_REVIEW, ARCHIVED),
    ARCHIVED: (UNDER_REVIEW,),
    DUPLICATE: (),
}
# Today's board, as migration 0025 seeds it (the migration keeps its own copy: migrations never import the app).
DEFAULT = Table(
    tuple(StatusDef(k, _default_name(k), _COLOURS[k], _DESCRIPTIONS[k], _PHASES[k], i)
          for i, k in enumerate(BUILT_IN)),
    frozenset((a, b) for a, nexts in _NEXT.items() for b in nexts))
_current = DEFAULT
_generation = 0


def current() -> Table:
    return _current


def generation() -> int:
    """Counts installs in this process: caches of what statuses look like key on it."""
    return _generation


def install(table: Table) -> None:
    """This process now reads `table` (status_store loads it; tests may install one directly)."""
    global _current, _generation
    _current, _generation = table, _generation + 1


class Status(str):
    """A status key (ideas hold any key the admins defined); what it means comes from `current()`."""
    NEW: ClassVar[Status]
    UNDER_REVIEW: ClassVar[Status]
    PLANNED: ClassVar[Status]
    IN_PROGRESS: ClassVar[Status]
    LAUNCHED: ClassVar[Status]
    DECLINED: ClassVar[Status]
    DUPLICATE: ClassVar[Status]
    ARCHIVED: ClassVar[Status]

    @property
    def value(self) -> str:
        return str(self)

    @property
    def definition(self) -> StatusDef:
        return _current.get(self)

    @property
    def label(self) -> str:
        """The name in the reader's language while it is a built-in one no admin renamed (StatusDef.label)."""
        return self.definition.label

    @property
    def phase(self) -> Phase:
        return self.definition.phase

    @property
    def is_closed(self) -> bool:
        return self.definition.is_closed

    @property
    def accepts_votes(self) -> bool:
        return not self.definition.is_closed

    @property
    def listed_by_default(self) -> bool:
        """A board without a status filter shows open ideas; closed ones are listed under their status."""
        return not self.definition.is_closed

    @property
    def clusterable(self) -> bool:
        """Still an idea of its own: clustered and suggested to people typing."""
        return self.definition.clusterable

    @property
    def in_review_queue(self) -> bool:
        """Waiting for the team's decision: the staff queue lists these."""
        return self.definition.in_review_queue

    @property
    def on_roadmap(self) -> bool:
        return self.definition.on_roadmap

    @property
    def is_decision(self) -> bool:
        return self.definition.is_decision


for _key in BUILT_IN:
    setattr(Status, _key.upper(), Status(_key))


def ordered() -> list[Status]:
    """Every defined status, in board order."""
    return [Status(s.key) for s in _current.statuses]


def where(predicate: str) -> list[Status]:
    """The statuses for which a predicate (e.g. "is_closed") holds, in board order."""
    return [s for s in ordered() if getattr(s, predicate)]


def keys_where(predicate: str, holds: bool = True) -> tuple[str, ...]:
    """The keys of where(), kept per installed table: every vote asks which statuses take none."""
    key = (_generation, predicate, holds)
    found = _keys_where.get(key)
    if found is None:
        if len(_keys_where) > 64:  # tables installed over time (tests): only the current one's matter
            _keys_where.clear()
        found = _keys_where[key] = tuple(s.value for s in ordered() if bool(getattr(s, predicate)) is holds)
    return found


_keys_where: dict[tuple[int, str, bool], tuple[str, ...]] = {}


def parse(value: object) -> Status | None:
    """A defined status, or None for anything else (query strings, forms, API input)."""
    return Status(value) if _current.has(value) else None


def by_phase(phases: Iterable[Phase]) -> dict[Phase, list[Status]]:
    return {p: [s for s in ordered() if s.phase is p] for p in phases}


def with_revision(table: Table, revision: int) -> Table:
    return replace(table, revision=revision, _by_key={})


def _ink(colour: str) -> str:
    """Dark or light text, whichever reads on the badge's colour (WCAG relative luminance)."""
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    return "#111827" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 else "#ffffff"


def stylesheet() -> str:
    """Badge colours the admins chose: app.css themes today's eight; a new status or a changed colour is here."""
    rules = [f".status-{s.key} {{ background: {s.colour}; color: {_ink(s.colour)}; }}"
             for s in _current.statuses
             if COLOUR_RE.match(s.colour) and KEY_RE.match(s.key) and s.colour != DEFAULT.get(s.key).colour]
    return "\n".join(["/* the board's status colours (admin: Statuses) */", *rules]) + "\n"


def style_version() -> str:
    """Changes whenever the stylesheet would, so its URL can be cached for long."""
    return _style_version(_generation)


@functools.lru_cache(maxsize=4)
def _style_version(_generation: int) -> str:
    """Hashed once per installed table, not per page: every page's <head> links the stylesheet by its hash."""
    return hashlib.sha256(stylesheet().encode()).hexdigest()[:10]
