"""Parse and validate form input into small dataclasses; errors come back as {field: message}."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ideaboard import inputs
from ideaboard.accounts import SignUp
from ideaboard.i18n import gettext as _
from ideaboard.i18n import number
from ideaboard.names import clean_name, name_problem
from ideaboard.passwords import password_problem

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TAG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
TITLE_MIN, TITLE_MAX = 5, 120
BODY_MAX = 10_000
COMMENT_MAX = 5_000
MAX_TAGS = 5


class FormErrors(Exception):
    """Invalid input: the messages per field, and the values to put back in the form."""

    def __init__(self, errors: dict[str, str], values: Mapping[str, str]):
        super().__init__(errors)
        self.errors = errors
        self.values = dict(values)


@dataclass(frozen=True)
class IdeaForm:
    title: str
    body: str
    category_id: int | None
    tags: list[str] = field(default_factory=list)


def _text(data: Mapping[str, str], name: str) -> str:
    return (data.get(name) or "").strip()


def parse_tags(raw: str) -> list[str]:
    """Free tags typed as 'a, b c' become ['a', 'b', 'c'], lower-case, deduplicated, in order."""
    seen: dict[str, None] = {}
    for part in re.split(r"[,\s]+", raw.lower()):
        if part := part.strip("#"):
            seen.setdefault(part, None)
    return list(seen)


def parse_idea(data: Mapping[str, str], category_ids: set[int]) -> IdeaForm:
    """A valid idea submission, or FormErrors with a message for each bad field."""
    errors: dict[str, str] = {}
    title, body = _text(data, "title"), _text(data, "body")
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        errors["title"] = _('The title needs %(TITLE_MIN)s to %(TITLE_MAX)s characters (it has %(count)s).',
                            TITLE_MIN=TITLE_MIN, TITLE_MAX=TITLE_MAX, count=len(title))
    if len(body) > BODY_MAX:
        errors["body"] = _('The description can have at most %(BODY_MAX)s characters.', BODY_MAX=number(BODY_MAX))
    category_id = _parse_category(_text(data, "category"), category_ids, errors)
    tags = parse_tags(_text(data, "tags"))
    if len(tags) > MAX_TAGS:
        errors["tags"] = _('Use at most %(MAX_TAGS)s tags.', MAX_TAGS=MAX_TAGS)
    elif bad := [t for t in tags if not TAG.match(t)]:
        errors["tags"] = _('Tags are letters, digits and dashes, up to 40 characters: %(value)s', value=', '.join(bad))
    if errors:
        raise FormErrors(errors, data)
    return IdeaForm(title=title, body=body, category_id=category_id, tags=tags)


def _parse_category(raw: str, category_ids: set[int], errors: dict[str, str]) -> int | None:
    if not raw:
        return None
    if (category_id := inputs.id_or_none(raw)) in category_ids:
        return category_id
    errors["category"] = _('Choose a category from the list.')
    return None


def email_problem(email: str) -> str | None:
    if not EMAIL.match(email) or len(email) > 254:
        return _('Enter a valid email address, like you@example.com.')
    return None


def _collect(errors: dict[str, str], field_name: str, problem: str | None) -> None:
    if problem:
        errors[field_name] = problem


def parse_signup(data: Mapping[str, str]) -> SignUp:
    """A valid sign-up, or FormErrors; the password is never echoed back."""
    errors: dict[str, str] = {}
    email, name, password = _text(data, "email").lower(), clean_name(data.get("name") or ""), data.get("password") or ""
    _collect(errors, "email", email_problem(email))
    _collect(errors, "name", name_problem(name))
    _collect(errors, "password", password_problem(password, email=email, name=name))
    if errors:
        raise FormErrors(errors, {"email": email, "name": name})
    return SignUp(email=email, name=name, password=password)


def parse_email(data: Mapping[str, str], field_name: str = "email") -> str:
    email = _text(data, field_name).lower()
    if problem := email_problem(email):
        raise FormErrors({field_name: problem}, {field_name: email})
    return email


def parse_name(data: Mapping[str, str]) -> str:
    name = clean_name(data.get("name") or "")
    if problem := name_problem(name):
        raise FormErrors({"name": problem}, {"name": name})
    return name


def parse_new_password(data: Mapping[str, str], *, email: str, name: str, field_name: str = "password") -> str:
    """A new password (reset, change); never echoed back."""
    password = data.get(field_name) or ""
    if problem := password_problem(password, email=email, name=name):
        raise FormErrors({field_name: problem}, {})
    return password


def parse_comment(data: Mapping[str, str]) -> str:
    """A comment's markdown text, or FormErrors."""
    body = _text(data, "body")
    if not body:
        raise FormErrors({"body": _('Write something before posting your comment.')}, data)
    if len(body) > COMMENT_MAX:
        raise FormErrors({"body": _('Comments can have at most %(COMMENT_MAX)s characters.',
                                    COMMENT_MAX=number(COMMENT_MAX))}, data)
    return body


def parse_vote(data: Mapping[str, str]) -> int:
    """+1 promote, -1 demote, 0 withdraw."""
    value = {"up": 1, "down": -1, "none": 0}.get(_text(data, "value"))
    if value is None:
        raise FormErrors({"value": _('A vote is up, down or none.')}, data)
    return value
