"""Rate limits on the API count per key: Alice's busy integration is slowed down, Bob's is not."""

from dataclasses import replace

import httpx
import pytest

from ideaboard import api_keys
from ideaboard.urls import urls


@pytest.fixture
def settings(settings):
    return replace(settings, api_requests_per_minute=3)


async def test_each_key_has_its_own_rate_limit(app, alice, bob, ada):
    tokens = [(await api_keys.create_key(ada, who, "limited", ["read"])).token for who in (alice, bob)]
    alices, bobs = ({"Authorization": f"Bearer {token}"} for token in tokens)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        answers = [(await http.get(urls.api_ideas(), headers=alices)).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        limited = await http.get(urls.api_ideas(), headers=alices)
        assert int(limited.headers["retry-after"]) > 0 and limited.json()["code"] == "rate_limited"
        assert limited.headers["content-type"] == "application/problem+json"
        assert (await http.get(urls.api_ideas(), headers=bobs)).status_code == 200
