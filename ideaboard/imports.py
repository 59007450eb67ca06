"""Moving in from another idea board: ideas and votes from CSV, checked in full first (a dry run shows the result).

A file applies all or nothing: any row with an error and nothing is written. People named by address who have no
account get an unclaimed one (no password, unverified): "Forgot your password?" with that address claims it.
Importing the same file again changes nothing (ideas already there are skipped, votes are set, not added).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from ideaboard import audit, forms, ideas, statuses, vote_records
from ideaboard.accounts import normalize_email
from ideaboard.i18n import gettext as _
from ideaboard.i18n import number
from ideaboard.markdown import render_markdown
from ideaboard.models import Category, Idea, Role, Space, Status, User
from ideaboard.names import clean_name, name_problem

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_ERRORS_SHOWN = 50
IDEA_COLUMNS = ("title", "body", "author_email", "author_name", "category", "status", "space", "created_at")
VOTE_COLUMNS = ("idea_id", "idea_title", "voter_email", "voter_name", "value")
KINDS = {"ideas": IDEA_COLUMNS, "votes": VOTE_COLUMNS}
_VOTE_VALUES = {"1": 1, "+1": 1, "up": 1, "-1": -1, "down": -1}


class ImportRefused(Exception):
    """The file as a whole cannot be read (not CSV, too big, missing columns): nothing was looked at further."""


@dataclass
class Report:
    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0  # ideas added, or votes set
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, why): already there, nothing to do
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, what to fix)
    new_people: list[str] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return not self.dry_run and not self.errors

    def summary(self) -> str:
        if self.errors:
            return (f"Nothing was imported: {len(self.errors)} of {self.rows} rows need fixing first "
                    "(listed below).")
        verb = "would be" if self.dry_run else "were"
        noun = "ideas" if self.kind == "ideas" else "votes"
        return (f"{self.created} {noun} {verb} imported, {len(self.skipped)} rows {verb} skipped and "
                f"{len(self.new_people)} new unclaimed accounts {verb} made, from {self.rows} rows.")


@dataclass(frozen=True)
class _Person:
    email: str
    name: str


@dataclass(frozen=True)
class _IdeaRow:
    line: int
    title: str
    body: str
    author: _Person
    category_id: int | None
    status: Status
    space: Space
    created_at: datetime | None


@dataclass(frozen=True)
class _VoteRow:
    line: int
    idea_id: int
    voter: _Person
    value: int


def read_rows(data: bytes, kind: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV file with a header naming at least the kind's required columns."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(_('The file is larger than %(MAX_BYTES)s MB; split it into parts.',
                              MAX_BYTES=MAX_BYTES // (1024 * 1024)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(_('The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”.')) from exc
    if "\x00" in text:
        raise ImportRefused(_('The file is not a CSV text file.'))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    _check_header(header, kind)
    reader.fieldnames = header
    try:
        for line_number, row in enumerate(reader, start=2):
            if line_number - 1 > MAX_ROWS:
                raise ImportRefused(_('The file has more than %(MAX_ROWS)s rows; split it into parts.',
                                      MAX_ROWS=number(MAX_ROWS)))
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}
    except csv.Error as exc:
        raise ImportRefused(_('Line %(line_num)s is not valid CSV (%(exc)s).',
                              line_num=reader.line_num, exc=exc)) from exc


def _check_header(header: Sequence[str], kind: str) -> None:
    known = KINDS[kind]
    if unknown := [h for h in header if h not in known]:
        raise ImportRefused(_('Unknown columns: %(value)s. The columns are: %(value2)s.',
                              value=', '.join(unknown), value2=', '.join(known)))
    required = ("title", "author_email") if kind == "ideas" else ("voter_email",)
    if missing := [c for c in required if c not in header]:
        raise ImportRefused(_('The first line must name the columns; missing: %(value)s.', value=', '.join(missing)))
    if kind == "votes" and "idea_id" not in header and "idea_title" not in header:
        raise ImportRefused(_("Name each vote's idea with an idea_id or an idea_title column."))


async def import_csv(actor: User, kind: str, data: bytes, *, dry_run: bool) -> Report:
    """Check every row, then (unless a dry run, and only if every row is fine) write them all in one transaction."""
    if kind not in KINDS:
        raise ImportRefused(_('Choose what the file holds: ideas or votes.'))
    report = Report(kind=kind, dry_run=dry_run)
    rows = list(read_rows(data, kind))
    report.rows = len(rows)
    if not rows:
        raise ImportRefused(_('The file has a header but no rows.'))
    people = {p.email: p for p in await User.filter(email__in=_emails(rows, kind)).all()}
    if kind == "ideas":
        await _import_ideas(actor, rows, people, report)
    else:
        await _import_votes(actor, rows, people, report)
    return report


def _emails(rows: Sequence[tuple[int, Mapping[str, str]]], kind: str) -> list[str]:
    column = "author_email" if kind == "ideas" else "voter_email"
    return list({normalize_email(row.get(column, "")) for _unused, row in rows})


def _person(row: Mapping[str, str], prefix: str, errors: list[str]) -> _Person | None:
    email = normalize_email(row.get(f"{prefix}_email", ""))
    if problem := forms.email_problem(email):
        errors.append(f"{prefix}_email: {problem}")
        return None
    name = clean_name(row.get(f"{prefix}_name", "")) or email.split("@", 1)[0]
    if problem := name_problem(name[:80]):
        errors.append(f"{prefix}_name: {problem}")
        return None
    return _Person(email, name[:80])


def _when(raw: str, errors: list[str]) -> datetime | None:
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        errors.append(f"created_at: “{raw[:40]}” is not a date like 2024-05-31 or 2024-05-31T14:00:00Z.")
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when > datetime.now(UTC):
        errors.append("created_at: the date is in the future.")
    return when


def _idea_row(line: int, row: Mapping[str, str], categories: Mapping[str, int]) -> _IdeaRow | str:
    errors: list[str] = []
    try:
        form = forms.parse_idea({"title": row.get("title", ""), "body": row.get("body", "")}, set())
    except forms.FormErrors as exc:
        errors.extend(f"{name}: {message}" for name, message in exc.errors.items())
        form = None
    author = _person(row, "author", errors)
    category = row.get("category", "")
    if category and category.lower() not in categories:
        errors.append(f"category: no category is called “{category[:60]}”; create it first or leave it empty.")
    status = row.get("status", "").lower().replace(" ", "_") or Status.NEW.value
    importable = [k for k in statuses.current().all_keys() if k != Status.DUPLICATE]  # duplicates come from merging
    if status not in importable:
        errors.append(f"status: use one of {', '.join(importable)}.")
    space = row.get("space", "").lower() or Space.PUBLIC.value
    if space not in (Space.PUBLIC.value, Space.INTERNAL.value):
        errors.append("space: use public or internal.")
    created_at = _when(row.get("created_at", ""), errors)
    if errors or form is None or author is None:
        return "; ".join(errors)
    return _IdeaRow(line, form.title, form.body, author, categories.get(category.lower()), Status(status),
                    Space(space), created_at)


async def _import_ideas(actor: User, rows, people: dict[str, User], report: Report) -> None:
    categories = {c.name.lower(): c.id for c in await Category.all()}
    checked: list[_IdeaRow] = []
    for line, row in rows:
        parsed = _idea_row(line, row, categories)
        if isinstance(parsed, str):
            report.errors.append((line, parsed))
        else:
            checked.append(parsed)
    existing = await _existing_ideas(checked, people)
    fresh, seen = [], set(existing)
    for row in checked:
        key = (row.author.email, row.title.lower())
        if key in seen:
            report.skipped.append((row.line, "this author already has an idea with this title"))
        else:
            seen.add(key)
            fresh.append(row)
    report.created = len(fresh)
    report.new_people = sorted({r.author.email for r in fresh} - set(people))
    if report.dry_run or report.errors:
        return
    async with in_transaction():
        for row in fresh:
            author = people.get(row.author.email) or await _unclaimed(row.author, people)
            await _create_idea(row, author)
        await audit.record(actor, "import.ideas", "idea", None, ideas=len(fresh), accounts=len(report.new_people))


async def _existing_ideas(rows: Sequence[_IdeaRow], people: Mapping[str, User]) -> set[tuple[str, str]]:
    authors = {p.id: p.email for p in people.values()}
    titles = list({r.title for r in rows})
    found = await Idea.filter(author_id__in=list(authors), title__in=titles).values_list("author_id", "title")
    return {(authors[author_id], title.lower()) for author_id, title in found}


async def _unclaimed(person: _Person, people: dict[str, User]) -> User:
    """An account nobody can sign in to until the address's owner sets a password through "Forgot your password?"."""
    user = await User.create(email=person.email, name=person.name, password_hash="", role=Role.CUSTOMER)
    people[person.email] = user
    return user


async def _create_idea(row: _IdeaRow, author: User) -> Idea:
    created = row.created_at or datetime.now(UTC)
    idea = await Idea.create(title=row.title, body=row.body, body_html=render_markdown(row.body), author=author,
                             category_id=row.category_id, status=row.status, space=row.space,
                             hot=ideas.hot_score(0, created))
    if row.created_at:  # auto_now_add sets the time of the insert; the idea keeps its age from the old board
        await Idea.filter(id=idea.id).update(created_at=row.created_at)
    return idea


def _vote_row(line: int, row: Mapping[str, str], by_id: Mapping[int, int],
              by_title: Mapping[str, list[int]]) -> _VoteRow | str:
    errors: list[str] = []
    voter = _person(row, "voter", errors)
    idea_id = _vote_idea(row, by_id, by_title, errors)
    value = _VOTE_VALUES.get(row.get("value", "").lower() or "1")
    if value is None:
        errors.append("value: use 1 (up) or -1 (down).")
    if errors or voter is None or idea_id is None or value is None:
        return "; ".join(errors)
    return _VoteRow(line, idea_id, voter, value)


def _vote_idea(row: Mapping[str, str], by_id: Mapping[int, int], by_title: Mapping[str, list[int]],
               errors: list[str]) -> int | None:
    raw_id, title = row.get("idea_id", ""), row.get("idea_title", "")
    if raw_id:
        idea_id = int(raw_id) if raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 10 else None
        if idea_id is None or idea_id not in by_id:
            errors.append(f"idea_id: there is no idea {raw_id[:20]} on this board.")
        return idea_id if idea_id in by_id else None
    matches = by_title.get(title.lower(), [])
    if len(matches) != 1:
        errors.append(f"idea_title: {'no' if not matches else 'more than one'} idea is called “{title[:120]}”"
                      + ("; use idea_id instead." if matches else "."))
        return None
    return matches[0]


async def _import_votes(actor: User, rows, people: dict[str, User], report: Report) -> None:
    ids = {int(r["idea_id"]) for _unused, r in rows if r.get("idea_id", "").isascii() and r.get("idea_id", "").isdigit()
           and len(r["idea_id"]) < 10}
    titles = list({r["idea_title"] for _unused, r in rows if r.get("idea_title")})
    found = await Idea.filter(id__in=list(ids)).values_list("id", "status") if ids else []
    by_id = {i: i for i, status in found if status != Status.DUPLICATE}
    by_title: dict[str, list[int]] = {}
    for idea_id, title in await Idea.filter(title__in=titles).exclude(status=Status.DUPLICATE).values_list(
            "id", "title") if titles else []:
        by_title.setdefault(title.lower(), []).append(idea_id)
    checked: dict[tuple[str, int], _VoteRow] = {}
    for line, row in rows:
        parsed = _vote_row(line, row, by_id, by_title)
        if isinstance(parsed, str):
            report.errors.append((line, parsed))
        elif (parsed.voter.email, parsed.idea_id) in checked:
            report.skipped.append((line, "the same person's vote on this idea is on an earlier line"))
        else:
            checked[(parsed.voter.email, parsed.idea_id)] = parsed
    report.created = len(checked)
    report.new_people = sorted({r.voter.email for r in checked.values()} - set(people))
    if report.dry_run or report.errors:
        return
    async with in_transaction():
        for row in checked.values():
            voter = people.get(row.voter.email) or await _unclaimed(row.voter, people)
            await vote_records.store(row.idea_id, voter.id, row.value)
        for idea_id in {r.idea_id for r in checked.values()}:
            await vote_records.recount(idea_id)
        await audit.record(actor, "import.votes", "idea", None, votes=len(checked), accounts=len(report.new_people))
