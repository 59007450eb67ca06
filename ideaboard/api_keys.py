"""API keys: bearer tokens for the REST API, each acting as one person with the scopes it was given.

Stored like sessions (auth.py): the row keeps the SHA-256 of a random token, which is shown once when the key is
made and never again. Revoking sets revoked_at, and the very next request with the token is a 401. A key never
grants more than its person may do: the staff and admin scopes need that role when the key is made and on every
request (a demoted teammate's key loses them at once).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ideaboard import audit, inputs
from ideaboard.auth import token_hash
from ideaboard.errors import NotAllowed
from ideaboard.i18n import gettext as _
from ideaboard.i18n import lazy_gettext
from ideaboard.models import ApiKey, ApiScope, Role, User

TOKEN_PREFIX = "ib_"
NAME_MAX = 80
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per key, not on every request
SCOPE_HELP = {
    ApiScope.READ: lazy_gettext("read what this person can see"),
    ApiScope.WRITE: lazy_gettext("post ideas, vote and comment as this person"),
    ApiScope.STAFF: lazy_gettext("move statuses and publish official responses (staff only)"),
    ApiScope.ADMIN: lazy_gettext("manage the site (admins only)"),
}


def scopes_for(user: User) -> list[ApiScope]:
    """The scopes a key acting as this person may hold now: staff and admin only while they have that role."""
    role = Role(user.role)
    return [s for s in ApiScope if s in (ApiScope.READ, ApiScope.WRITE) or (s is ApiScope.STAFF and role.is_staff)
            or (s is ApiScope.ADMIN and role is Role.ADMIN)]


@dataclass(frozen=True)
class NewKey:
    """A key just made: `token` is the only time anyone sees the secret."""

    key: ApiKey
    token: str


def clean_name(raw: str) -> str:
    """A key's name, or NotAllowed saying what it needs."""
    name = (raw or "").strip()
    if not name or len(name) > NAME_MAX or inputs.has_control(name):
        raise NotAllowed(_('Give the key a name of 1 to %(NAME_MAX)s characters, such as “Jira sync”.',
                           NAME_MAX=NAME_MAX))
    return name


async def create_key(actor: User, user: User, name: str, scopes: Iterable[str], *, personal: bool = False) -> NewKey:
    """A new key acting as `user`; admins make service keys for anyone, people personal tokens for themselves."""
    if personal and actor.id != user.id:
        raise NotAllowed(_('A personal token acts as the person who makes it.'))
    if not personal and Role(actor.role) is not Role.ADMIN:
        raise NotAllowed(_('Only admins create service keys.'))
    if not user.is_active:
        raise NotAllowed(_("%(name)s's account is deactivated.", name=user.name))
    wanted = {s for s in scopes if s in ApiScope.__members__.values()}
    if not wanted:
        raise NotAllowed(_('Choose at least one scope.'))
    allowed = scopes_for(user)
    if extra := sorted(wanted - set(allowed)):
        raise NotAllowed(_('%(name)s cannot be given the %(value)s scope (their role is %(role)s).',
                           name=user.name, value=', '.join(extra), role=user.role))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = await ApiKey.create(token_hash=token_hash(token), prefix=token[:10], name=clean_name(name), user=user,
                              created_by=actor, scopes=" ".join(s.value for s in allowed if s in wanted),
                              personal=personal)
    await audit.record(actor, "apikey.create", "user", user.id, key_id=key.id, name=key.name, scopes=key.scopes,
                       personal=personal)
    return NewKey(key, token)


async def revoke_key(actor: User, key: ApiKey) -> bool:
    """Revoke a key (admins any key, people their own); True if it was still active."""
    if Role(actor.role) is not Role.ADMIN and key.user_id != actor.id:
        raise NotAllowed(_('You can only revoke your own tokens.'))
    revoked = await ApiKey.filter(id=key.id, revoked_at=None).update(revoked_at=datetime.now(UTC))
    if revoked:
        await audit.record(actor, "apikey.revoke", "user", key.user_id, key_id=key.id, name=key.name)
    return bool(revoked)


async def authenticate(token: str) -> ApiKey | None:
    """The active key with this token, its person attached and active; None for anything else."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100 or not token.isascii():
        return None
    key = await ApiKey.filter(token_hash=token_hash(token), revoked_at=None).select_related("user").first()
    if key is None or not key.user.is_active:
        return None
    now = datetime.now(UTC)
    if key.last_used_at is None or now - key.last_used_at > TOUCH_EVERY:
        await ApiKey.filter(id=key.id).update(last_used_at=now)
        key.last_used_at = now
    return key


def has_scope(key: ApiKey, scope: ApiScope) -> bool:
    """Whether the key holds this scope and its person still may use it (scopes_for, read now)."""
    return scope in key.scope_set and scope in scopes_for(key.user)


async def list_keys(*, user: User | None = None) -> list[ApiKey]:
    """Keys newest first (one person's, or every key for the admin page), with whom they act as."""
    query = ApiKey.all() if user is None else ApiKey.filter(user_id=user.id)
    return await query.order_by("-created_at", "-id").select_related("user", "created_by")
