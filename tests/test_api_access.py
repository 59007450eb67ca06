"""The API's authorization matrix: every operation in the route table, for every kind of caller, on a public, an
internal and a hidden idea. Nothing is listed by hand: a new API route is covered the moment it is declared.

Denied means exactly the browser's answer: no key 401, a key without the scope 403 (`insufficient_scope`), an idea
the person may not see 404 (never a 403 that would confirm it exists). Allowed means anything else, including a
domain rule's own refusal once past the access check (only the author edits an idea).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ideaboard import api_keys, comments
from ideaboard.api.openapi import operations
from ideaboard.app import build_routes
from ideaboard.models import ApiKey, Campaign, Conversation, Idea, Role, Space
from ideaboard.urls import urls
from tests.test_api import Api

PARAM = re.compile(r"{(\w+)(?::\w+)?}")
BODIES = {"api_new_idea": {"title": "An idea from the matrix"}, "api_edit_idea": {"title": "Edited by the matrix"},
          "api_vote": {"value": 1}, "api_owner": {"owner_id": None}, "api_hidden": {"hidden": False},
          "api_merge": {"into_id": 2_147_483_647},
          "api_new_comment": {"body": "From the matrix"}, "api_edit_comment": {"body": "Edited in the matrix"},
          "api_status": {"status": "under_review"},
          "api_respond": {"message": "From the matrix"}, "api_conversation_assignee": {"assignee_id": None},
          "api_capture_feedback": {"email": "carol@bigco.example", "source": "the matrix"}}
QUERIES = {"api_search": "?q=matrix"}
# caller: (persona, scopes); None persona is no key at all
CALLERS = {"visitor": (None, ()), "alice reading": ("alice", ("read",)), "alice": ("alice", ("read", "write")),
           "erin": ("erin", ("read", "write")), "sam": ("sam", ("read", "write", "staff")),
           "revoked": ("alice", ("read", "write"))}
DENIED = {401, 403, 404}


def expected(op, caller: str, role: Role | None, scopes: tuple, target: str | None) -> int | None:
    """The status a denial must have, or None when the call must get through."""
    if caller == "revoked":
        return 401
    if role is None:
        return None if op.anonymous and target in (None, "public") else 401 if not op.anonymous else 404
    if op.scope.value not in scopes:
        return 403
    if (target == "internal" and not role.is_employee) or (target == "hidden" and not role.is_staff):
        return 404
    return None


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_every_operation_refuses_exactly_who_the_site_refuses(app, caller, alice, erin, sam, ada, make_idea):
    people = {"alice": alice, "erin": erin, "sam": sam}
    ideas = {"public": await make_idea(alice, "A public idea for the matrix"),
             "internal": await make_idea(erin, "An internal idea for the matrix", space=Space.INTERNAL),
             "hidden": await make_idea(alice, "A hidden idea for the matrix")}
    await Idea.filter(id=ideas["hidden"].id).update(hidden=True)
    conversation = await Conversation.create(x_conversation_id="1800000000000000009", author_username="dana")
    opens = datetime.now(UTC)
    campaigns = {space.value: await Campaign.create(slug=f"matrix-{space.value}", title="A campaign", space=space,
                                                    opens_at=opens, closes_at=opens + timedelta(days=1))
                 for space in Space}
    comment = await comments.add_comment(ideas["public"], alice, "A comment for the matrix")
    persona, scopes = CALLERS[caller]
    headers = {}
    if persona is not None:
        new = await api_keys.create_key(ada, people[persona], caller, scopes)
        headers = {"Authorization": f"Bearer {new.token}"}
        if caller == "revoked":
            await api_keys.revoke_key(ada, await ApiKey.get(id=new.key.id))
    role = Role(people[persona].role) if persona else None
    wrong = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as plain:
        document = (await plain.get(urls.api_openapi())).json()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                 headers=headers) as http:
        checker = Api(http, None, document)  # and every answer matches the document
        for path, op in operations(build_routes()):
            targets = ["public", "internal", "hidden"] if "{idea_id" in path else [None]
            targets = ["public", "internal"] if "{campaign_id" in path else targets
            for target in targets:
                fill = {"idea_id": str(ideas[target].id) if target and "{idea_id" in path else "",
                        "user_id": str(alice.id), "conversation_id": str(conversation.id),
                        "campaign_id": str(campaigns[target].id) if target and "{campaign_id" in path else "",
                        "comment_id": str(comment.id)}
                url = PARAM.sub(lambda m, fill=fill: fill[m.group(1)], path) + QUERIES.get(op.name, "")
                response = await http.request(op.method, url, json=BODIES.get(op.name))
                checker.check(op.method, url, response)
                want = expected(op, caller, role, scopes, target)
                got = response.status_code
                if got == 403 and response.json()["code"] != "insufficient_scope":
                    got = 200  # a rule of the domain (only authors edit), past the access check: the same as allowed
                if (want is None and got in DENIED) or (want is not None and got != want) or got >= 500:
                    wrong.append(f"{op.method} {path} on {target}: {got}, expected {want or 'allowed'}")
    assert not wrong, "\n".join(wrong)
