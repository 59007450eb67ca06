"""The staff's campaign form: text, space, categories, UTC times and the vote budget, checked field by field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from ideaboard import inputs
from ideaboard.campaigns import CampaignForm
from ideaboard.forms import BODY_MAX, TITLE_MAX, TITLE_MIN, FormErrors
from ideaboard.i18n import gettext as _
from ideaboard.i18n import number
from ideaboard.models import Space

BUDGET_MAX = 1000
TIME_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends; read as UTC (the form says so)


def parse_time(raw: str) -> datetime | None:
    try:
        return datetime.strptime(raw.strip()[:16], TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def time_value(moment: datetime | None) -> str:
    """A stored time as the form's field shows it (UTC)."""
    return moment.astimezone(UTC).strftime(TIME_FORMAT) if moment else ""


def _number(raw: str, low: int, high: int) -> int | None:
    return inputs.int_or(raw.strip(), -1, low=low, high=high) if raw.strip() else None


def parse_campaign(data: Mapping[str, str], chosen: Sequence[str], category_ids: set[int]) -> CampaignForm:
    """A valid campaign, or FormErrors naming each bad field (the values are kept for the form)."""
    errors: dict[str, str] = {}
    title, brief = (data.get("title") or "").strip(), (data.get("brief") or "").strip()
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        errors["title"] = _('The title needs %(TITLE_MIN)s to %(TITLE_MAX)s characters (it has %(count)s).',
                            TITLE_MIN=TITLE_MIN, TITLE_MAX=TITLE_MAX, count=len(title))
    if len(brief) > BODY_MAX:
        errors["brief"] = _('The brief can have at most %(BODY_MAX)s characters.', BODY_MAX=number(BODY_MAX))
    space = Space.INTERNAL if data.get("space") == "internal" else Space.PUBLIC
    categories = [c for c in inputs.ids(chosen) if c in category_ids]
    if len(categories) != len(list(chosen)):
        errors["categories"] = _('Choose categories from the list.')
    opens, closes = parse_time(data.get("opens_at") or ""), parse_time(data.get("closes_at") or "")
    voting_raw = (data.get("voting_closes_at") or "").strip()
    voting = parse_time(voting_raw) if voting_raw else None
    if opens is None:
        errors["opens_at"] = _('Give the opening date and time (UTC).')
    if closes is None:
        errors["closes_at"] = _('Give the closing date and time (UTC).')
    elif opens is not None and closes <= opens:
        errors["closes_at"] = _('The campaign must close after it opens.')
    if voting_raw and voting is None:
        errors["voting_closes_at"] = _('Give a date and time (UTC), or leave it empty.')
    elif voting is not None and closes is not None and voting <= closes:
        errors["voting_closes_at"] = _('Voting can only stay open longer than submission: choose a later time.')
    budget = _number(data.get("vote_budget") or "", 1, BUDGET_MAX)
    if budget == -1:
        errors["vote_budget"] = _('A budget is 1 to %(BUDGET_MAX)s votes, or empty for promote/demote.',
                                  BUDGET_MAX=BUDGET_MAX)
    per_idea = _number(data.get("max_votes_per_idea") or "", 1, BUDGET_MAX) or 1
    if per_idea == -1 or (budget and budget > 0 and per_idea > budget):
        errors["max_votes_per_idea"] = _('At most the budget itself, and at least 1.')
    if errors:
        raise FormErrors(errors, data)
    assert opens is not None and closes is not None
    return CampaignForm(title=title, brief=brief, space=space, category_ids=categories, opens_at=opens,
                        closes_at=closes, voting_closes_at=voting, needs_approval=bool(data.get("needs_approval")),
                        vote_budget=budget, max_votes_per_idea=per_idea)
