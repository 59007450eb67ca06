"""Signing in with an outside account: OpenID Connect (a company's identity provider) and X, through Authlib.

Authlib does the protocol: discovery, the authorization code flow with PKCE (S256), state and nonce, and the ID
token's signature (against the provider's JWKS), issuer, audience, expiry and nonce. The flow's state lives in
Redis and is deleted when the provider sends the person back, so a callback URL works once. This module holds our
rules: accounts are linked by the provider's (issuer, subject) pair, an email links an existing account only when
the provider says it is verified, and an admin-set rule decides who the provider makes an employee.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App  # type: ignore[import-untyped]
from redis.asyncio import Redis
from redis.exceptions import RedisError

from ideaboard import audit, names
from ideaboard.i18n import gettext as _
from ideaboard.models import LinkedIdentity, Role, SiteSetting, User

if TYPE_CHECKING:
    from ideaboard.settings import Settings

OIDC, X = "oidc", "x"
X_ISSUER = "https://x.com"  # LinkedIdentity.issuer for X accounts; subject is the X user id
EMPLOYEE_RULE_KEY = "sso.employee_rule"
UNUSABLE_PASSWORD = "!sso"  # not an argon2 hash: no password ever matches it
STATE_SECONDS = 600


class SignInRefused(Exception):
    """The outside account cannot sign in here; the message says why and what to do."""


class StateCache:
    """Authlib's cache interface over Redis: the flow's state, nonce and PKCE verifier, kept server-side."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def get(self, key: str) -> str | None:
        value = await self.redis.get("ideaboard:sso:" + key)
        return value.decode() if isinstance(value, bytes) else value

    async def set(self, key: str, value: str, expires: int | None = None) -> None:
        await self.redis.set("ideaboard:sso:" + key, value, ex=expires or STATE_SECONDS)

    async def delete(self, key: str) -> None:
        await self.redis.delete("ideaboard:sso:" + key)


class Providers:
    """The configured providers for one app (made once, so discovery and JWKS are fetched once and cached)."""

    def __init__(self, settings: Settings, redis: Redis) -> None:
        self.settings = settings
        self.oauth = OAuth(cache=StateCache(redis))
        if settings.oidc_issuer and settings.oidc_client_id:
            self.oauth.register(
                OIDC, client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret or None,
                server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
                client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256", "timeout": 10},
            )
        if settings.x_client_id:
            self.oauth.register(
                X, client_id=settings.x_client_id, client_secret=settings.x_client_secret or None,
                authorize_url=settings.x_authorize_url, access_token_url=settings.x_api_base_url + "/2/oauth2/token",
                api_base_url=settings.x_api_base_url,
                client_kwargs={"scope": "users.read tweet.read", "code_challenge_method": "S256", "timeout": 10,
                               "token_endpoint_auth_method": "client_secret_basic" if settings.x_client_secret
                               else "none"},
            )

    def get(self, name: str) -> StarletteOAuth2App | None:
        client = self.oauth.create_client(name)
        return client if isinstance(client, StarletteOAuth2App) else None


def checked_issuer(metadata: Mapping[str, Any], configured: str) -> str:
    """The discovery document must name the issuer we were configured with (OpenID Connect Discovery 4.3)."""
    issuer = str(metadata.get("issuer") or "")
    if issuer.rstrip("/") != configured.rstrip("/"):
        raise ValueError(f"discovery document names issuer {issuer!r}, configured {configured!r}")
    return issuer


def id_token_rules(issuer: str, client_id: str) -> dict[str, Any]:
    """Claims an ID token must carry, checked by Authlib besides signature, expiry and nonce: our issuer, and us
    among its audiences (Authlib's default checks only `azp` for the audience)."""
    return {"iss": {"essential": True, "values": [issuer]}, "aud": {"essential": True, "values": [client_id]}}


PROTOCOL_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError, ValueError, KeyError, TypeError)


def protocol_errors() -> tuple[type[Exception], ...]:
    """Everything a broken, hostile or unreachable provider can make Authlib raise."""
    import httpx
    from authlib.integrations.base_client.errors import OAuthError  # type: ignore[import-untyped]
    from joserfc.errors import JoseError

    return (OAuthError, JoseError, httpx.HTTPError, *PROTOCOL_ERRORS)




@dataclass(frozen=True)
class EmployeeRule:
    """Employee if the ID token's `claim` holds `value` (a string, or a list containing it), or if its verified
    email is at one of `domains`. Empty rule: the provider grants no role."""

    claim: str = ""
    value: str = ""
    domains: tuple[str, ...] = ()

    def matches(self, claims: Mapping[str, Any]) -> bool:
        if self.claim and self.value:
            got = claims.get(self.claim)
            if got == self.value or (isinstance(got, list) and self.value in got):
                return True
        email = str(claims.get("email") or "").lower()
        return bool(self.domains and claims.get("email_verified") is True and email.rsplit("@", 1)[-1] in self.domains)


async def employee_rule() -> EmployeeRule:
    row = await SiteSetting.get_or_none(key=EMPLOYEE_RULE_KEY)
    value = row.value if row else {}
    return EmployeeRule(claim=value.get("claim", ""), value=value.get("value", ""),
                        domains=tuple(value.get("domains", ())))


async def set_employee_rule(actor: User, claim: str, value: str, domains: str) -> EmployeeRule:
    """Save the rule (audited); domains are comma- or space-separated."""
    rule = EmployeeRule(claim=claim.strip()[:60], value=value.strip()[:200],
                        domains=tuple(d.strip().lower().lstrip("@") for d in domains.replace(",", " ").split()))
    await SiteSetting.update_or_create(key=EMPLOYEE_RULE_KEY, defaults={"value": {
        "claim": rule.claim, "value": rule.value, "domains": list(rule.domains)}})
    await audit.record(actor, "settings.sso_employee", "settings", None, rule=json.dumps(rule.__dict__))
    return rule




async def _linked_user(issuer: str, subject: str) -> tuple[LinkedIdentity | None, User | None]:
    identity = await LinkedIdentity.get_or_none(issuer=issuer, subject=subject).select_related("user")
    return identity, identity.user if identity else None


def _usable(user: User) -> User:
    if not user.is_active:
        raise SignInRefused(_('This account is deactivated. Contact the team if you think this is a mistake.'))
    return user


async def oidc_sign_in(issuer: str, claims: Mapping[str, Any], viewer: User | None) -> User:
    """The person these verified ID-token claims belong to: linked, found by verified email, or created."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SignInRefused(_('The identity provider did not say who you are (no subject).'))
    email = str(claims.get("email") or "").strip().lower()
    verified = claims.get("email_verified") is True
    _unused, user = await _linked_user(issuer, subject)
    if viewer is not None:
        user = await link(viewer, OIDC, issuer, subject, email=email, username=str(claims.get("preferred_username")
                                                                                    or ""))
    elif user is None:
        user = await _by_email_or_new(claims, email, verified)
        await LinkedIdentity.create(user=user, provider=OIDC, issuer=issuer, subject=subject, email=email,
                                    username=str(claims.get("preferred_username") or "")[:100])
    user = _usable(user)
    if Role(user.role) is Role.CUSTOMER and (await employee_rule()).matches(claims):
        await User.filter(id=user.id).update(role=Role.EMPLOYEE)
        user.role = Role.EMPLOYEE
        await audit.record(None, "user.role", "user", user.id, from_role="customer", to_role="employee",
                           by="identity provider rule")
    return user


async def _by_email_or_new(claims: Mapping[str, Any], email: str, verified: bool) -> User:
    if not email or "@" not in email:
        raise SignInRefused(_('The identity provider did not share your email address, which an account needs.'))
    existing = await User.get_or_none(email=email)
    if existing is not None:
        if not verified:
            raise SignInRefused(_('An account with this email already exists, and the identity provider does not '
                                  'confirm the address is yours. Log in with your password, then link the provider '
                                  'from your profile.'))
        return existing
    return await User.create(email=email, name=await _display_name(claims, email), password_hash=UNUSABLE_PASSWORD,
                             role=Role.CUSTOMER, email_verified_at=datetime.now(UTC) if verified else None)


async def _display_name(claims: Mapping[str, Any], email: str) -> str:
    """The provider's name if it passes our name rules, else the email's local part, else a neutral one."""
    for raw in (claims.get("name"), claims.get("preferred_username"), email.split("@", 1)[0]):
        name = names.clean_name(str(raw or ""))
        if name and names.name_problem(name) is None and not await names.imitates_staff(name):
            return name
    return "New member"


async def x_sign_in(x_user_id: str, username: str, viewer: User | None) -> User:
    """Link this X account to the signed-in person, or sign in the person it is linked to."""
    if viewer is not None:
        return await link(viewer, X, X_ISSUER, x_user_id, username=username)
    _unused, user = await _linked_user(X_ISSUER, x_user_id)
    if user is None:
        raise SignInRefused(_('No account here is linked to @%(username)s yet. Log in or sign up first, then link '
                              'your X account from your profile.', username=username))
    await LinkedIdentity.filter(issuer=X_ISSUER, subject=x_user_id).update(username=username[:100])
    return _usable(user)


async def link(viewer: User, provider: str, issuer: str, subject: str, *, username: str = "", email: str = "") -> User:
    """Attach an outside account to the signed-in person (refused if it already belongs to someone else)."""
    identity, owner = await _linked_user(issuer, subject)
    if owner is not None and owner.id != viewer.id:
        raise SignInRefused(_('That account is already linked to another member here. Unlink it there first.'))
    if identity is None:
        if provider == X:  # one X account per person: a new one replaces the old
            await LinkedIdentity.filter(user_id=viewer.id, provider=X).delete()
        await LinkedIdentity.create(user=viewer, provider=provider, issuer=issuer, subject=subject,
                                    username=username[:100], email=email[:254])
    else:
        await LinkedIdentity.filter(id=identity.id).update(username=username[:100] or identity.username)
    return viewer


async def identities_of(user: User) -> list[LinkedIdentity]:
    return await LinkedIdentity.filter(user_id=user.id).order_by("provider", "id")


async def unlink(user: User, identity_id: int) -> LinkedIdentity:
    """Remove a linked account, unless it is the only way this person can sign in."""
    identity = await LinkedIdentity.get_or_none(id=identity_id, user_id=user.id)
    if identity is None:
        raise SignInRefused(_('That sign-in method is not linked to your account.'))
    others = await LinkedIdentity.filter(user_id=user.id).exclude(id=identity.id).count()
    if user.password_hash == UNUSABLE_PASSWORD and not others:
        raise SignInRefused(_('This is the only way you can sign in; set a password before unlinking it.'))
    await identity.delete()
    return identity


async def x_handle(user: User) -> LinkedIdentity | None:
    """The person's linked X account, whose tweets are credited to them."""
    return await LinkedIdentity.get_or_none(user_id=user.id, provider=X)
