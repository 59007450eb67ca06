"""`@name` mentions in comments: which member a mention means.

The rule (also in README): after `@` come letters, digits and inner `.`, `_` or `-`; those three stand for spaces,
and case does not matter. `@Bob` means the one active member whose first name is Bob; `@Bob.Nguyen` (or
`@bob_nguyen`) the one whose whole name is "Bob Nguyen". A whole-name match wins over a first-name match; when two
members fit equally (two Bobs), the mention stays plain text and nobody is notified, so write the whole name.
An `@` inside a word (an email address) is not a mention. At most MAX_MENTIONS people per comment.
"""

from __future__ import annotations

import re

from tortoise.expressions import Q

from ideaboard.models import Role, User

MENTION = re.compile(r"(?<![\w@.])@(\w(?:[\w.-]{0,38}\w)?)")
MAX_MENTIONS = 10


def handles(text: str) -> list[str]:
    """The distinct handles written in a text, in order, as written (at most MAX_MENTIONS)."""
    seen: dict[str, str] = {}
    for match in MENTION.finditer(text or ""):
        seen.setdefault(key(match.group(1)), match.group(1))
    return list(seen.values())[:MAX_MENTIONS]


def key(handle_or_name: str) -> str:
    """What a handle and a name are compared by: case-folded words."""
    return " ".join(re.sub(r"[._\-\s]+", " ", handle_or_name).casefold().split())


async def resolve(text: str) -> dict[str, User]:
    """Each handle in the text that names exactly one active member, by its `key`."""
    found: dict[str, User] = {}
    for handle in handles(text):
        member = await _member(key(handle))
        if member is not None:
            found[key(handle)] = member
    return found


async def _member(wanted: str) -> User | None:
    if not wanted:
        return None
    candidates = await User.filter(Q(name__iexact=wanted) | Q(name__istartswith=wanted + " "), is_active=True) \
        .limit(50)
    whole = [u for u in candidates if key(u.name) == wanted]
    first = [u for u in candidates if key(u.name).split(" ")[0] == wanted]
    for matches in (whole, first):
        if len(matches) == 1:
            return matches[0]
        if matches:
            return None  # two people fit equally: not a mention
    return None


SUGGESTIONS = 8
TYPING = re.compile(r"(?<![\w@.])@([\w.-]{1,40})$")  # the `@name` being typed at the end of the text


def typed_handle(text: str) -> str | None:
    """The partial `@name` at the end of what has been typed, if any (what autocomplete completes)."""
    match = TYPING.search(text or "")
    return match.group(1) if match else None


def handle_of(member: User) -> str:
    """The whole-name handle that means exactly this member (`@Bob.Nguyen`)."""
    return ".".join(re.sub(r"[^\w]+", " ", member.name).split())


async def suggest(partial: str, viewer: User, *, employees_only: bool = False) -> list[User]:
    """Active members whose name (or a word of it) starts with the partial handle; only employees on internal
    ideas (nobody else would be told), never the viewer."""
    wanted = key(partial)
    if not wanted:
        return []
    query = User.filter(Q(name__istartswith=wanted) | Q(name__icontains=" " + wanted), is_active=True) \
        .exclude(id=viewer.id)
    if employees_only:
        query = query.filter(role__in=[r for r in Role if r.is_employee])
    return await query.order_by("name").limit(SUGGESTIONS)
