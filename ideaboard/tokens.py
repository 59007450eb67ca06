"""Signed, expiring links for email verification, password reset and email change.

A token is `itsdangerous`-signed (HMAC, compared in constant time) with a purpose-specific salt and carries a
fingerprint of the account state it may change (the password hash, or the current email): once used, that state
has changed, so the same link stops working without any table of used tokens.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ideaboard.i18n import gettext as _
from ideaboard.models import User

VERIFY_SECONDS = 3 * 24 * 3600
RESET_SECONDS = 3600
EMAIL_CHANGE_SECONDS = 24 * 3600


class InvalidToken(Exception):
    """The link is malformed, tampered with, expired or already used; `reason` is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Purpose:
    salt: str
    max_age: int


VERIFY = Purpose("ideaboard.verify-email", VERIFY_SECONDS)
RESET = Purpose("ideaboard.password-reset", RESET_SECONDS)
EMAIL_CHANGE = Purpose("ideaboard.email-change", EMAIL_CHANGE_SECONDS)


def fingerprint(*parts: str) -> str:
    """A short digest of account state: it changes when the state does, and reveals nothing of it."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def password_fingerprint(user: User) -> str:
    return fingerprint(str(user.id), user.password_hash)


def make(secret: str, purpose: Purpose, user: User, state: str, **extra: str) -> str:
    """A token for this user, valid while `state` (a fingerprint) stays the same, for purpose.max_age seconds."""
    return URLSafeTimedSerializer(secret, salt=purpose.salt).dumps({"u": user.id, "s": state, **extra})


def read(secret: str, purpose: Purpose, token: str) -> dict:
    """The token's payload if its signature is good and it has not expired (state is checked by `check_state`)."""
    try:
        data = URLSafeTimedSerializer(secret, salt=purpose.salt).loads(token, max_age=purpose.max_age)
    except SignatureExpired:
        raise InvalidToken(_('This link has expired.')) from None
    except BadSignature:
        raise InvalidToken(_('This link is not valid. Check that you copied all of it.')) from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("s"), str):
        raise InvalidToken(_('This link is not valid. Check that you copied all of it.'))
    return data


def check_state(data: dict, state: str) -> None:
    """Refuse a token whose account state changed since it was made (it was used, or superseded)."""
    if not hmac.compare_digest(data["s"], state):
        raise InvalidToken(_('This link was already used, or a newer one replaced it.'))
