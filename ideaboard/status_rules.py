"""What makes a transition table workable, checked before any admin's change is saved."""

from __future__ import annotations

from collections import deque

from ideaboard.i18n import gettext as _
from ideaboard.statuses import (
    BUILT_IN,
    COLOUR_RE,
    DESCRIPTION_MAX,
    DUPLICATE,
    FIXED_PHASE,
    KEY_RE,
    NAME_MAX,
    NEW,
    StatusDef,
    Table,
)


def _reachable(table: Table, start: str) -> set[str]:
    seen, todo = {start}, deque([start])
    while todo:
        for nxt in table.next_of(todo.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _names(keys: list[str] | set[str], table: Table) -> str:
    names = [table.get(k).name for k in table.all_keys() if k in keys]
    return names[0] if len(names) == 1 else _("%(names)s and %(last)s", names=", ".join(names[:-1]), last=names[-1])


def definition_errors(status: StatusDef) -> dict[str, str]:
    """One status on its own: its key, name, colour, description and phase."""
    errors = {}
    if not KEY_RE.match(status.key):
        errors["key"] = _("A key has 1 to 16 lower-case letters, digits or underscores, starting with a letter "
                           "(it appears in links and the API).")
    if not status.name.strip() or len(status.name) > NAME_MAX:
        errors["name"] = _("A status needs a name of 1 to %(max)s characters.", max=NAME_MAX)
    if not COLOUR_RE.match(status.colour):
        errors["colour"] = _("A colour is written like #2563eb (a # and six hexadecimal digits).")
    if len(status.description) > DESCRIPTION_MAX:
        errors["description"] = _("A description has at most %(max)s characters.", max=DESCRIPTION_MAX)
    if status.key in FIXED_PHASE and status.phase is not FIXED_PHASE[status.key]:
        errors["phase"] = _("%(name)s always stays in the %(phase)s phase.", name=status.name,
                             phase=FIXED_PHASE[status.key].label.lower())
    return errors


def table_errors(table: Table) -> list[str]:
    """Every reason this table cannot be saved, in words an admin can act on (empty: it is fine)."""
    problems: list[str] = []
    keys = table.all_keys()
    for key in BUILT_IN:
        if key not in keys:
            problems.append(_("“%(name)s” is built in (the board relies on it): rename it if you like, but it "
                              "cannot be removed.", name=key.replace("_", " ").capitalize()))
    seen_keys: set[str] = set()
    seen_names: set[str] = set()
    for s in table.statuses:
        problems += [_("%(name)s: %(problem)s", name=s.name or s.key, problem=problem)
                     for problem in definition_errors(s).values()]
        if s.key in seen_keys:
            problems.append(_("Two statuses have the key “%(key)s”; each key is used once.", key=s.key))
        if s.name.strip().casefold() in seen_names:
            problems.append(_("Two statuses are called “%(name)s”; give each its own name.", name=s.name.strip()))
        seen_keys.add(s.key)
        seen_names.add(s.name.strip().casefold())
    if problems:
        return problems
    return _flow_errors(table)


def _flow_errors(table: Table) -> list[str]:
    problems = []
    into_new = {a for a, b in table.transitions if b == NEW}
    if into_new:
        problems.append(_("Ideas start as %(new)s; no status leads back to it (remove the moves from %(names)s).",
                          new=table.get(NEW).name, names=_names(into_new, table)))
    if table.next_of(DUPLICATE):
        problems.append(_("An idea leaves %(duplicate)s only by being unmerged; remove the moves out of it.",
                          duplicate=table.get(DUPLICATE).name))
    if any(a == b for a, b in table.transitions):
        problems.append(_("A status cannot move to itself."))
    unreachable = set(table.all_keys()) - _reachable(table, NEW)
    if unreachable:
        problems.append(_("No idea can reach %(names)s from %(new)s: allow a move into it.",
                          names=_names(unreachable, table), new=table.get(NEW).name))
    closed = {s.key for s in table.statuses if s.is_closed}
    stuck = {k for k in table.all_keys() if not _reachable(table, k) & closed}
    if stuck:
        problems.append(_("Ideas in %(names)s could never be closed: allow a move towards a status in the done or "
                          "closed phase.", names=_names(stuck, table)))
    return problems
