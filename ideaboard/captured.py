"""Feedback the team hears elsewhere (sales calls, tickets), recorded on an idea for the customer who gave it.

Canny's "vote on behalf" and UserVoice's contributors: the vote counts like the customer's own, the customer is told
and can withdraw it, and staff always see who recorded it and from where. A customer without an account gets an
unclaimed one ("Forgot your password?" at that address claims it). Their company, if given, is what the staff
idea page's reach counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.expressions import Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from ideaboard import audit, follows, forms, notice_text, vote_records
from ideaboard.accounts import normalize_email
from ideaboard.errors import NotAllowed
from ideaboard.i18n import gettext as _
from ideaboard.i18n import number
from ideaboard.models import (
    CapturedFeedback,
    Company,
    CompanyMember,
    Delivery,
    Idea,
    Notification,
    NotificationKind,
    Role,
    User,
    Vote,
)
from ideaboard.names import clean_name, name_problem

SOURCE_MAX, NOTE_MAX, COMPANY_MAX, SEGMENT_MAX = 120, 2000, 120, 60
REVENUE_MAX = 10**15


@dataclass(frozen=True)
class Capture:
    """A checked capture form: who said it, where, and whether it counts as their vote."""

    email: str
    name: str
    source: str
    note: str
    vote: bool
    company: str = ""
    segment: str = ""
    revenue: int | None = None


@dataclass(frozen=True)
class Reach:
    """Who an idea's supporters are: people, the companies they belong to, and those companies' revenue."""

    members: int
    companies: int
    revenue: int


def parse_capture(data: dict[str, str]) -> Capture:
    """A valid capture, or FormErrors with a message per field."""
    errors: dict[str, str] = {}
    email = normalize_email(data.get("email", ""))
    if problem := forms.email_problem(email):
        errors["email"] = problem
    name = clean_name(data.get("name", ""))[:80]
    if name and (problem := name_problem(name)):
        errors["name"] = problem
    source = " ".join(data.get("source", "").split())
    if not source or len(source) > SOURCE_MAX:
        errors["source"] = (_('Say where you heard it, like “sales call” or “ticket #123” (up to %(SOURCE_MAX)s '
                              'characters).', SOURCE_MAX=SOURCE_MAX))
    note = data.get("note", "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = _('The note can have at most %(NOTE_MAX)s characters.', NOTE_MAX=number(NOTE_MAX))
    company = " ".join(data.get("company", "").split())
    if len(company) > COMPANY_MAX:
        errors["company"] = _('A company name has at most %(COMPANY_MAX)s characters.', COMPANY_MAX=COMPANY_MAX)
    revenue = _revenue(data.get("revenue", ""), errors)
    if errors:
        raise forms.FormErrors(errors, data)
    return Capture(email, name or email.split("@", 1)[0], source, note, data.get("vote", "") == "1", company,
                   " ".join(data.get("segment", "").split())[:SEGMENT_MAX], revenue)


def _revenue(raw: str, errors: dict[str, str]) -> int | None:
    digits = raw.replace(",", "").replace(" ", "").strip()
    if not digits:
        return None
    if not (digits.isascii() and digits.isdigit()) or int(digits[:16]) > REVENUE_MAX:
        errors["revenue"] = _('Annual revenue is a whole number, like 250000.')
        return None
    return int(digits)


async def capture(idea: Idea, staff: User, form: Capture) -> CapturedFeedback:
    """Record it, make it the customer's vote if asked, tell them; all in one transaction, audited."""
    if not Role(staff.role).is_staff:
        raise NotAllowed(_('Only the product team records feedback for customers.'))
    async with in_transaction():
        customer = await _customer(form)
        if Role(customer.role).is_staff:
            raise NotAllowed(_('That address belongs to the team; record feedback for customers.'))
        if form.company:
            await _join(customer, form)
        if form.vote:
            await vote_records.set_vote(idea.id, customer.id, 1)
        await follows.follow_implicitly(customer.id, idea.id)
        feedback = await CapturedFeedback.create(idea_id=idea.id, customer=customer, captured_by=staff,
                                                 source=form.source, note=form.note, voted=form.vote)
        await _tell(customer, idea, staff, form)
        await audit.record(staff, "feedback.capture", "idea", idea.id, customer=customer.id, source=form.source,
                           vote=form.vote)
    return feedback


async def _customer(form: Capture) -> User:
    """The person with this address, or a new unclaimed account nobody can sign in to until its owner resets it."""
    found = await User.get_or_none(email=form.email)
    return found or await User.create(email=form.email, name=form.name, password_hash="", role=Role.CUSTOMER)


async def _join(customer: User, form: Capture) -> None:
    company, _unused = await Company.get_or_create(name=form.company)
    changed = [f for f, v in (("segment", form.segment), ("annual_revenue", form.revenue)) if v]
    if changed:
        company.segment = form.segment or company.segment
        company.annual_revenue = form.revenue if form.revenue is not None else company.annual_revenue
        await company.save(update_fields=changed)
    await CompanyMember.update_or_create({"company_id": company.id}, user_id=customer.id)


async def _tell(customer: User, idea: Idea, staff: User, form: Capture) -> None:
    params = {"text": "captured_vote" if form.vote else "captured", "name": staff.name, "title": idea.title[:120],
              "source": form.source}
    await Notification.create(user_id=customer.id, idea_id=idea.id, kind=NotificationKind.UPDATES,
                              delivery=Delivery.INSTANT, message=notice_text.english(params), params=params)


async def withdraw(feedback: CapturedFeedback, customer: User) -> bool:
    """The customer takes back what was recorded for them (and the vote it cast); False if it already was."""
    if feedback.customer_id != customer.id:
        raise NotAllowed(_('Only the person it was recorded for can take it back.'))
    async with in_transaction():
        taken = await CapturedFeedback.filter(id=feedback.id, withdrawn_at=None).update(
            withdrawn_at=datetime.now(UTC))
        if not taken:
            return False
        if feedback.voted:
            await vote_records.set_vote(feedback.idea_id, customer.id, 0)
        await audit.record(customer, "feedback.withdraw", "idea", feedback.idea_id, feedback=feedback.id)
    return True


async def for_idea(idea_id: int) -> list[CapturedFeedback]:
    """Everything recorded on an idea, newest first, with who said it and who wrote it down (staff only)."""
    return await (CapturedFeedback.filter(idea_id=idea_id).order_by("-created_at", "-id")
                  .select_related("customer", "captured_by"))


async def mine(idea_id: int, customer: User) -> list[CapturedFeedback]:
    """What the team recorded for this customer on this idea, still standing, with who recorded it."""
    return await (CapturedFeedback.filter(idea_id=idea_id, customer_id=customer.id, withdrawn_at=None)
                  .order_by("created_at").select_related("captured_by"))


async def reach(idea_id: int) -> Reach:
    """The people who voted for an idea, their companies and those companies' annual revenue."""
    members = await Vote.filter(idea_id=idea_id, value=1, user_id__not_isnull=True).count()
    return (await reach_by_idea([idea_id], members={idea_id: members}))[idea_id]


async def reach_by_idea(idea_ids: Sequence[int], members: Mapping[int, int] | None = None) -> dict[int, Reach]:
    """reach() of many ideas (a queue page) in three queries; `members` if the caller already counted supporters."""
    supporters = await _company_supporters(Vote.filter(idea_id__in=list(idea_ids)))
    companies = {c.id: c.annual_revenue or 0 for c in await Company.filter(
        id__in=list({c for pairs in supporters.values() for c in pairs}))}
    if members is None:
        counted = await (Vote.filter(idea_id__in=list(idea_ids), value=1, user_id__not_isnull=True)
                         .group_by("idea_id").annotate(n=Count("id")).values_list("idea_id", "n"))
        members = dict(counted)
    return {i: Reach(members.get(i, 0), len(supporters.get(i, ())), sum(companies[c] for c in supporters.get(i, ())))
            for i in idea_ids}


async def _company_supporters(votes: QuerySet[Vote]) -> dict[int, set[int]]:
    """idea id -> the companies of its up-voters, for the votes of people who belong to one."""
    pairs = await (votes.filter(value=1, user_id__in=Subquery(CompanyMember.all().values("user_id")))
                   .values_list("idea_id", "user_id"))
    users = list({u for _unused, u in pairs})
    company_of: dict[int, int] = {}
    for start in range(0, len(users), 500):
        company_of.update(await CompanyMember.filter(user_id__in=users[start:start + 500])
                          .values_list("user_id", "company_id"))
    found: dict[int, set[int]] = {}
    for idea_id, user_id in pairs:
        found.setdefault(idea_id, set()).add(company_of[user_id])
    return found


async def by_revenue(ideas: QuerySet[Idea]) -> list[int]:
    """The ideas' ids, the most company revenue behind them first (then by score), for the queue's reach sort."""
    ids = await ideas.order_by("-score", "-id").values_list("id", flat=True)
    supporters = await _company_supporters(Vote.filter(idea_id__in=Subquery(ideas.values("id"))))
    revenue = {c.id: c.annual_revenue or 0 for c in await Company.filter(
        id__in=list({c for pairs in supporters.values() for c in pairs}))}
    total = {i: sum(revenue[c] for c in companies) for i, companies in supporters.items()}
    return sorted(ids, key=lambda i: -total.get(i, 0))  # type: ignore[arg-type]  # stable: score order kept
