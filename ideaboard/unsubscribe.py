"""One-click unsubscribe: a signed token in every email names the person and the kinds that email was about.

The token is signed with the site's secret (itsdangerous, HMAC-SHA1 compared in constant time) and expires after
MAX_AGE; it needs no login, because whoever holds the email may stop it. It is not single-use: using it again
changes nothing (the kinds are already off), and it grants nothing but switching those emails off.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from ideaboard import notification_prefs
from ideaboard.models import Delivery, NotificationKind, User
from ideaboard.settings import Settings
from ideaboard.urls import urls

SALT = "ideaboard.unsubscribe.v1"
MAX_AGE = 180 * 24 * 3600  # an email may be acted on months later


@dataclass(frozen=True)
class Unsubscribe:
    """What a valid token asks for."""

    user: User
    kinds: tuple[NotificationKind, ...]

    @property
    def labels(self) -> list[str]:
        return [kind.label for kind in self.kinds]


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=SALT)


def make_token(settings: Settings, user_id: int, kinds: tuple[NotificationKind, ...]) -> str:
    return _serializer(settings).dumps({"u": user_id, "k": sorted(k.value for k in kinds)})


def url(settings: Settings, user_id: int, kinds: tuple[NotificationKind, ...]) -> str:
    """The absolute link for the email footer and the List-Unsubscribe header."""
    return settings.base_url.rstrip("/") + urls.unsubscribe(make_token(settings, user_id, kinds))


def headers(link: str) -> dict[str, str]:
    """RFC 8058: a mail client may POST `List-Unsubscribe=One-Click` to the link, no page, no login."""
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


async def read_token(settings: Settings, token: str) -> Unsubscribe | None:
    """The request a token carries, or None for a forged, expired, malformed or orphaned one."""
    try:
        data = _serializer(settings).loads(token, max_age=MAX_AGE)
        kinds = tuple(NotificationKind(k) for k in data["k"])
        user_id = int(data["u"])
    except (BadSignature, KeyError, TypeError, ValueError):  # SignatureExpired is a BadSignature
        return None
    user = await User.get_or_none(id=user_id, is_active=True)
    return Unsubscribe(user, kinds) if user is not None and kinds else None


async def apply(request: Unsubscribe) -> None:
    """Switch the token's kinds off for its person (email and bell alike: see notification_prefs)."""
    await notification_prefs.set_preferences(request.user, dict.fromkeys(request.kinds, Delivery.OFF))
