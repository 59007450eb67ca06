"""A small OpenID Connect provider served over real HTTP on 127.0.0.1, for tests.

It does what a real one does for the authorization code flow with PKCE: a discovery document, a JWKS, an authorize
endpoint that sends the person back with a single-use code and the state, and a token endpoint that checks the
client's credentials, the redirect URI and the PKCE verifier before issuing an RS256-signed ID token carrying the
nonce. Tests choose who signs in (`fake.person`) and can make it misbehave (`fake.misbehave`): a tampered
signature, a key not in its JWKS, a wrong nonce, audience or issuer, or an expired token.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fake_x_api import LoopbackServer

Misbehaviour = Literal["", "tampered", "unknown_key", "wrong_nonce", "wrong_audience", "other_client", "wrong_issuer",
                       "expired"]
CLIENT_ID, CLIENT_SECRET = "ideaboard-tests", "fake-oidc-secret"
_KEYS: dict[str, RSAKey] = {}


def _key(kid: str) -> RSAKey:
    """RSA keys are slow to make: one per kid per test run."""
    if kid not in _KEYS:
        _KEYS[kid] = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
    return _KEYS[kid]


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str
    claims: dict[str, Any]


@dataclass
class FakeOIDCProvider:
    base_url: str = ""
    person: dict[str, Any] = field(default_factory=lambda: {
        "sub": "emp-1001", "email": "erin.cho@brewline.example", "email_verified": True, "name": "Erin Cho",
        "groups": ["employees", "coffee-lovers"]})
    misbehave: Misbehaviour = ""
    grants: dict[str, Grant] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
        ])

    async def discovery(self, request: Request) -> Response:
        base = self.base_url
        return JSONResponse({
            "issuer": base, "authorization_endpoint": f"{base}/authorize", "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks", "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "scopes_supported": ["openid", "email", "profile"],
        })

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [_key("fake-1").as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        """Approve at once for `person` (a real provider would show its login page first)."""
        q = dict(request.query_params)
        self.authorize_requests.append(q)
        if q.get("response_type") != "code" or q.get("client_id") != CLIENT_ID or "openid" not in q.get("scope", ""):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge") or not q.get("state"):
            return JSONResponse({"error": "invalid_request", "error_description": "PKCE S256 and state required"},
                                status_code=400)
        code = secrets.token_urlsafe(24)
        self.grants[code] = Grant(CLIENT_ID, q["redirect_uri"], q["code_challenge"], q.get("nonce", ""),
                                  dict(self.person))
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}",
                                status_code=302)

    async def token(self, request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        self.token_requests.append(form)
        if _basic_auth(request) != (CLIENT_ID, CLIENT_SECRET):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.grants.pop(form.get("code", ""), None)  # single use
        if grant is None or form.get("grant_type") != "authorization_code" \
                or form.get("redirect_uri") != grant.redirect_uri:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or not secrets.compare_digest(challenge, grant.code_challenge):
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE verification failed"},
                                status_code=400)
        access_token = secrets.token_urlsafe(24)
        return JSONResponse({"access_token": access_token, "token_type": "Bearer", "expires_in": 3600,
                             "id_token": self.id_token(grant, access_token)})

    def id_token(self, grant: Grant, access_token: str) -> str:
        now = int(time.time())
        claims = {"iss": self.base_url, "aud": grant.client_id, "iat": now, "exp": now + 300, "nonce": grant.nonce,
                  "at_hash": _at_hash(access_token), **grant.claims}
        if self.misbehave == "wrong_nonce":
            claims["nonce"] = "not-the-nonce-you-sent"
        elif self.misbehave == "wrong_audience":
            claims["aud"] = "some-other-client"
        elif self.misbehave == "other_client":  # issued to another client, naming us only as authorized party
            claims.update(aud="some-other-client", azp=grant.client_id)
        elif self.misbehave == "wrong_issuer":
            claims["iss"] = "https://evil.example"
        elif self.misbehave == "expired":
            claims.update(iat=now - 7200, exp=now - 3600)
        key = _key("attacker-1" if self.misbehave == "unknown_key" else "fake-1")
        token = jwt.encode({"alg": "RS256", "kid": "fake-1"}, claims, key)
        if self.misbehave == "tampered":  # change the payload, keep the original signature
            header, _, signature = token.split(".")
            forged = {**claims, "email": "ada@brewline.example", "sub": "admin-1"}
            token = ".".join([header, _b64(jwt_payload(forged)), signature])
        return token


def jwt_payload(claims: dict[str, Any]) -> bytes:
    import json

    return json.dumps(claims, separators=(",", ":")).encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode()).digest()
    return _b64(digest[: len(digest) // 2])


def _basic_auth(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    user, _, password = base64.b64decode(value).decode().partition(":")
    from urllib.parse import unquote_plus

    return unquote_plus(user), unquote_plus(password)


@pytest.fixture
def fake_oidc() -> Iterator[FakeOIDCProvider]:
    """A fresh provider on its own loopback port for one test."""
    fake = FakeOIDCProvider()
    with LoopbackServer(fake.app) as server:
        fake.base_url = server.base_url
        server.app = fake.app
        yield fake
