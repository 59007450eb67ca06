"""Display-name rules: what people see next to every idea and comment must be readable and must not pass for the team.

Used at sign-up, for name changes in settings and for names an identity provider sends.
"""

from __future__ import annotations

import unicodedata

from ideaboard.models import Role, User

NAME_MAX = 80
# Right-to-left/left-to-right embeddings, overrides and isolates, and the implicit marks: they reorder what follows.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters that render as nothing (Hangul fillers, braille blank) besides the format (Cf) characters.
INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def clean_name(raw: str) -> str:
    """Trimmed, with runs of spaces (of any width) made one space."""
    return " ".join((raw or "").split())


def name_problem(name: str) -> str | None:
    """What to change about a (cleaned) display name, or None when it is fine."""
    if any(ch in BIDI_CONTROLS for ch in name):
        return "Remove the text-direction control characters from your name."
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "Remove the control characters (like tabs or line breaks) from your name."
    if not name:
        return "Enter the name other people will see (up to 80 characters)."
    if not any(_visible(ch) for ch in name):
        return "Your name needs at least one visible letter, digit or symbol."
    if len(name) > NAME_MAX:
        return f"Use at most {NAME_MAX} characters for your name (this one has {len(name)})."
    return None


def _visible(ch: str) -> bool:
    category = unicodedata.category(ch)
    return not (ch.isspace() or ch in INVISIBLE or category in ("Cf", "Mn", "Me", "Zs", "Zl", "Zp"))


def skeleton(name: str) -> str:
    """A name as people read it: compatibility-normalised (full-width letters, ligatures), case-folded, without
    spaces or invisible characters, so a full-width 'Sam Rivera', 'SAM RIVERA' and 'Sam\u200bRivera' are all
    'samrivera'."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return "".join(ch for ch in folded if _visible(ch))


async def imitates_staff(name: str, *, person_id: int | None = None) -> bool:
    """True when this name reads exactly like a team member's (other than the person themselves)."""
    wanted = skeleton(name)
    team = User.filter(role__in=[Role.STAFF, Role.ADMIN], is_active=True)
    if person_id is not None:
        team = team.exclude(id=person_id)
    return any(skeleton(person.name) == wanted for person in await team.only("id", "name"))
