"""The session cookie: Starlette's signed cookie, each browser's verified once per process, not on every request.

A browser sends the same signed cookie with every request until the session changes (Starlette signs it anew only
then, so it is not rolling: it expires SESSION_SECONDS after it was last written). Checking its HMAC and decoding it
again on every vote was a few percent of the vote's CPU; the verified cookies are remembered here with the time they
were signed, and the age is still checked against max_age on every request.
"""

from __future__ import annotations

import typing as t
from datetime import UTC, datetime

from itsdangerous import SignatureExpired, TimestampSigner
from itsdangerous.encoding import want_bytes
from starlette.middleware import sessions
from starlette.types import ASGIApp

REMEMBERED = 4096  # cookies per process; forgotten all at once when full (a forgotten one is only verified again)


class RememberingSigner(TimestampSigner):
    """A TimestampSigner that verifies each signed value once and remembers it (only values whose HMAC matched)."""

    def __init__(self, secret_key: str) -> None:
        super().__init__(secret_key)
        self.verified: dict[bytes, tuple[bytes, int]] = {}  # signed value -> (value, when it was signed)

    @t.overload
    def unsign(
        self, signed_value: str | bytes, max_age: int | None = None, return_timestamp: t.Literal[False] = False,
    ) -> bytes: ...

    @t.overload
    def unsign(
        self, signed_value: str | bytes, max_age: int | None = None, return_timestamp: t.Literal[True] = True,
    ) -> tuple[bytes, datetime]: ...

    def unsign(self, signed_value: str | bytes, max_age: int | None = None,
               return_timestamp: bool = False) -> tuple[bytes, datetime] | bytes:
        """The value, if its signature matches and it is at most max_age seconds old (BadSignature if not)."""
        signed = want_bytes(signed_value)
        known = self.verified.get(signed)
        if known is None:
            value, signed_at = super().unsign(signed, return_timestamp=True)  # the HMAC; the age is checked below
            if len(self.verified) >= REMEMBERED:
                self.verified.clear()
            known = self.verified[signed] = (value, int(signed_at.timestamp()))
        value, timestamp = known
        if max_age is not None:
            age = self.get_timestamp() - timestamp
            if age > max_age or age < 0:  # as TimestampSigner says it
                raise SignatureExpired(f"Signature age {age} > {max_age} seconds" if age > 0
                                       else f"Signature age {age} < 0 seconds",
                                       payload=value, date_signed=datetime.fromtimestamp(timestamp, tz=UTC))
        return (value, datetime.fromtimestamp(timestamp, tz=UTC)) if return_timestamp else value


class SessionMiddleware(sessions.SessionMiddleware):
    """Starlette's session middleware (the cookie written only when the session changed) with a RememberingSigner."""

    def __init__(self, app: ASGIApp, secret_key: str, session_cookie: str, max_age: int | None,
                 same_site: t.Literal["lax", "strict", "none"] = "lax", https_only: bool = False) -> None:
        super().__init__(app, secret_key, session_cookie=session_cookie, max_age=max_age, same_site=same_site,
                         https_only=https_only)
        self.signer = RememberingSigner(secret_key)
