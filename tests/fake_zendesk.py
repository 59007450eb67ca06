"""A fake Zendesk Support API (Tickets: POST /api/v2/tickets.json) served over real HTTP on 127.0.0.1, for tests.

It follows Zendesk's public API reference: API-token authentication is basic auth `{email}/token:{api_token}`
(401 `{"error": "Couldn't authenticate you"}` otherwise); a ticket needs a first comment (`comment.body` or
`comment.html_body`), else 422 RecordInvalid with details; success is 201 Created with the ticket (id, url, status
"new") and a Location header; an `Idempotency-Key` repeated with the same body returns the first ticket with
`x-idempotency-lookup: hit`. `down()` makes it answer 503 (Zendesk's maintenance answer), `rate_limit()` 429 with
Retry-After.

Usage: `def test_x(fake_zendesk): ... settings(zendesk_api_base_url=fake_zendesk.base_url, ...)`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fake_x_api import LoopbackServer


@dataclass
class FakeZendesk:
    """State and ASGI app: the account's credentials, tickets made, scripted outages."""

    base_url: str = ""
    subdomain: str = "brewline"
    email: str = "desk@brewline.example"
    api_token: str = "fake-zendesk-api-token"
    tickets: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    outage: bool = False
    retry_after: int | None = None
    _keys: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[Route("/api/v2/tickets.json", self._create, methods=["POST"])])

    def down(self, outage: bool = True) -> None:
        self.outage = outage

    def rate_limit(self, seconds: int = 60) -> None:
        self.retry_after = seconds

    async def _create(self, request: Request) -> Response:
        raw = await request.body()
        self.requests.append({"headers": dict(request.headers), "body": raw.decode("utf-8", "replace")})
        if self.outage:
            return Response("<html><body>Zendesk is down for maintenance</body></html>", 503,
                            media_type="text/html")
        if not self._authenticated(request.headers.get("authorization", "")):
            return JSONResponse({"error": "Couldn't authenticate you"}, 401)
        if self.retry_after is not None:
            return JSONResponse({"error": "APIRateLimitExceeded", "description": "Number of allowed API requests per "
                                 "minute exceeded"}, 429, headers={"Retry-After": str(self.retry_after)})
        try:
            body = json.loads(raw)
        except ValueError:
            return JSONResponse({"error": "Unprocessable Entity", "description": "Server could not parse JSON"}, 400)
        ticket = body.get("ticket") if isinstance(body, dict) else None
        comment = ticket.get("comment") if isinstance(ticket, dict) else None
        if not isinstance(comment, dict) or not (comment.get("body") or comment.get("html_body")):
            return JSONResponse({"error": "RecordInvalid", "description": "Record validation errors", "details": {
                "base": [{"description": "Description: cannot be blank", "error": "BlankValue"}]}}, 422)
        key = request.headers.get("idempotency-key")
        if key and key in self._keys:
            seen_raw, made = self._keys[key]
            if seen_raw != raw.decode():
                return JSONResponse({"error": "IdempotentRequestError",
                                     "description": "Idempotency key reused with a different payload"}, 400)
            return JSONResponse({"ticket": made}, 201, headers={"x-idempotency-lookup": "hit"})
        number = len(self.tickets) + 1
        made = {"id": number, "url": f"https://{self.subdomain}.zendesk.com/api/v2/tickets/{number}.json",
                "subject": ticket.get("subject"), "description": comment.get("body") or comment.get("html_body"),
                "status": "new", "tags": ticket.get("tags", []), "external_id": ticket.get("external_id")}
        self.tickets.append(made)
        if key:
            self._keys[key] = (raw.decode(), made)
        return JSONResponse({"ticket": made}, 201, headers={"Location": made["url"]})

    def _authenticated(self, header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        try:
            user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == f"{self.email}/token" and secret == self.api_token


_SHARED_SERVER = pytest.StashKey[LoopbackServer]()


@pytest.fixture
def fake_zendesk(request: pytest.FixtureRequest) -> Iterator[FakeZendesk]:
    """A fresh fake Zendesk account per test, behind one loopback server per run."""
    config = request.config
    if _SHARED_SERVER not in config.stash:
        server = LoopbackServer(Starlette())
        server.start()
        config.add_cleanup(server.stop)
        config.stash[_SHARED_SERVER] = server
    server = config.stash[_SHARED_SERVER]
    fake = FakeZendesk(base_url=server.base_url)
    server.app = fake.app
    yield fake
    server.app = Starlette()
