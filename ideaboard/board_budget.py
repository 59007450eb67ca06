"""Vote budgets per board (space): the admin's setting, this process's copy of it, and the admin's save.

Each process keeps the boards' rules in memory (so a vote on a board without a budget asks the database nothing
more); status_store.load reads them with the workflow, and a save bumps the workflow's revision, so every web
process and worker reloads within status_store.CHECK_SECONDS.

Turning a budget on counts each member's promotes on the board's open ideas (outside budget campaigns) against it
the first time they vote or look: a member already over N keeps those votes but can't give another until they take
some back. Existing demotes are kept and cost nothing. Turning it off keeps every vote, counted as one promote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from ideaboard import audit, inputs
from ideaboard.forms import FormErrors
from ideaboard.i18n import gettext as _
from ideaboard.ideas import hot_score
from ideaboard.models import (
    BoardBudget,
    BoardVoteBudget,
    Campaign,
    DemoteRule,
    Idea,
    Space,
    User,
    Vote,
    WorkflowRevision,
)

BUDGET_MAX = 1000
FIELDS = ("vote_budget", "max_votes_per_idea", "demotes")


@dataclass(frozen=True)
class Rule:
    """A board's budget: N votes per member, at most M on one idea, demotes off or free."""

    space: str
    total: int
    per_idea: int
    demotes_free: bool


_rules: dict[str, Rule] = {}
_spaces: list[str] = []


def rule(space: str | None) -> Rule | None:
    """The board's budget in this process (None: promote and demote as usual)."""
    return _rules.get(str(space)) if _rules else None


def spaces() -> list[str]:
    """The boards with a budget (the Postgres vote statement leaves their ideas to the budget path)."""
    return _spaces


def install(rules: Mapping[str, Rule]) -> None:
    global _rules, _spaces
    _rules, _spaces = dict(rules), sorted(rules)


async def load(conn=None) -> None:
    """Read every board's budget and make it this process's (with the workflow: startup and a newer revision)."""
    rows = await BoardBudget.filter(vote_budget__not_isnull=True).using_db(conn)
    install({str(r.space): Rule(str(r.space), int(r.vote_budget or 0), r.max_votes_per_idea,
                                DemoteRule(r.demotes) is DemoteRule.FREE) for r in rows})


@dataclass(frozen=True)
class BoardBudgetForm:
    vote_budget: int | None
    max_votes_per_idea: int
    demotes: DemoteRule


def parse(data: Mapping[str, str]) -> BoardBudgetForm:
    """A valid setting, or FormErrors naming each bad field."""
    errors: dict[str, str] = {}
    raw_budget, raw_per_idea = (data.get("vote_budget") or "").strip(), (data.get("max_votes_per_idea") or "").strip()
    budget = inputs.int_or(raw_budget, -1, low=1, high=BUDGET_MAX) if raw_budget else None
    if budget == -1:
        errors["vote_budget"] = _('A budget is 1 to %(BUDGET_MAX)s votes, or empty for promote/demote.',
                                  BUDGET_MAX=BUDGET_MAX)
    per_idea = inputs.int_or(raw_per_idea, -1, low=1, high=BUDGET_MAX) if raw_per_idea else 1
    if per_idea == -1:
        errors["max_votes_per_idea"] = _('Give a whole number of votes, at least 1.')
    elif budget and budget > 0 and per_idea > budget:
        errors["max_votes_per_idea"] = _('At most the budget itself (%(total)s), and at least 1.', total=budget)
    demotes = data.get("demotes") or DemoteRule.OFF.value
    if demotes not in {d.value for d in DemoteRule}:
        errors["demotes"] = _('Choose whether demotes are off or free.')
    if errors:
        raise FormErrors(errors, data)
    return BoardBudgetForm(budget, per_idea, DemoteRule(demotes))


async def settings() -> dict[str, dict[str, str]]:
    """Each board's stored setting, as the admin form shows it."""
    rows = {str(r.space): r for r in await BoardBudget.all()}
    return {space.value: {"vote_budget": str(rows[space.value].vote_budget or "") if space.value in rows else "",
                          "max_votes_per_idea": str(rows[space.value].max_votes_per_idea) if space.value in rows
                          else "1",
                          "demotes": str(rows[space.value].demotes) if space.value in rows else DemoteRule.OFF.value}
            for space in Space}


async def save(actor: User, space: Space, form: BoardBudgetForm) -> None:
    """Store a board's budget (audited), settle what turning it off means, and have every process reload it."""
    async with in_transaction() as conn:
        await WorkflowRevision.filter(id=1).using_db(conn).select_for_update().first()  # one rules save at a time
        old = await BoardBudget.get_or_none(space=space, using_db=conn)
        was = old.vote_budget if old else None
        if old is None:
            await BoardBudget.create(space=space, vote_budget=form.vote_budget, using_db=conn,
                                     max_votes_per_idea=form.max_votes_per_idea, demotes=form.demotes)
        else:
            await BoardBudget.filter(space=space).using_db(conn).update(
                vote_budget=form.vote_budget, max_votes_per_idea=form.max_votes_per_idea, demotes=form.demotes)
        if was and not form.vote_budget:
            await _turn_off(space, conn)
        await WorkflowRevision.filter(id=1).using_db(conn).update(revision=F("revision") + 1)
        await audit.record(actor, "board.vote_budget", "board", None, space=space.value, vote_budget=form.vote_budget,
                           was=was, max_votes_per_idea=form.max_votes_per_idea, demotes=form.demotes.value)
    await load()


async def _turn_off(space: Space, conn) -> None:
    """Back to promote/demote: the spending rows go, and a vote worth several counts as one promote again."""
    await BoardVoteBudget.filter(space=space).using_db(conn).delete()
    budgeted = list(await Campaign.filter(vote_budget__not_isnull=True).using_db(conn).values_list("id", flat=True))
    heavy = Vote.filter(value__gt=1, idea__space=space).using_db(conn)
    ids = {i for i, c in await heavy.values_list("idea_id", "idea__campaign_id") if c is None or c not in budgeted}
    if not ids:
        return
    locked = await Idea.filter(id__in=list(ids)).using_db(conn).select_for_update()  # ideas first, as votes lock
    await Vote.filter(value__gt=1, idea_id__in=list(ids)).using_db(conn).update(value=1)
    for idea in locked:
        up = await Vote.filter(idea_id=idea.id, value=1).using_db(conn).count()
        down = await Vote.filter(idea_id=idea.id, value=-1).using_db(conn).count()
        idea.upvotes, idea.downvotes, idea.score = up, down, up - down
        idea.hot = hot_score(idea.score, idea.created_at)
        await idea.save(update_fields=["upvotes", "downvotes", "score", "hot"], using_db=conn)
