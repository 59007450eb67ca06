"""The one password policy, used wherever a password is chosen: sign-up, password change and password reset.

The common-password list is Django's (`data/common-passwords.txt.gz`, copied unchanged from Django 5.2.19; BSD
licence and origin in `data/common-passwords.LICENSE`): 20,000 passwords seen most often in breaches, lower-cased.
"""

from __future__ import annotations

import functools
import gzip
import re
from pathlib import Path

MIN_LENGTH, MAX_LENGTH = 10, 256
COMMON_LIST = Path(__file__).parent / "data" / "common-passwords.txt.gz"


@functools.cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_LIST, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def _plain(text: str) -> str:
    """Letters and digits only, case-folded: 'Alice.Martin' and 'alicemartin' are the same guess."""
    return re.sub(r"[\W_]+", "", text.casefold())


def _personal(email: str, name: str) -> set[str]:
    local = email.split("@", 1)[0]
    return {p for p in (_plain(email), _plain(local), _plain(name), *map(_plain, name.split())) if len(p) >= 3}


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password is refused, said as what to change; None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters for your password (this one has {len(password)})."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters for your password."
    if len(set(password)) == 1:
        return "Your password is one character repeated; mix in other characters or words."
    plain = _plain(password)
    if plain and any(plain == p or (plain.startswith(p) and plain[len(p):].isdigit()) for p in _personal(email, name)):
        return "Your password is your email address or name, which is the first thing anyone tries; choose another."
    if password.casefold() in common_passwords() or password.strip().casefold() in common_passwords():
        return ("That password is on a list of commonly used passwords, so it is guessed early; "
                "add a few unrelated words or choose another.")
    return None
