"""The REST API as its users meet it: Ada makes keys in the console, Alice's integration posts and votes with hers,
Sam's staff key moves statuses, and a revoked key is refused on its very next request.

Every JSON answer the `Api` client receives here is validated against /api/v1/openapi.json, so the document and
the responses cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pytest
from jsonschema import Draft202012Validator
from starlette.routing import Mount

from ideaboard import api_keys
from ideaboard.api import openapi
from ideaboard.app import build_routes
from ideaboard.models import ApiKey, AuditEntry, Comment, Idea, IdeaEvent, Space, Status, User, Vote
from ideaboard.urls import urls
from ideaboard.workflow import transition

PARAM = re.compile(r"{(\w+)}")


@dataclass
class Api:
    """An integration calling the API with one key; checks each JSON answer against the OpenAPI document."""

    http: httpx.AsyncClient
    token: str | None
    document: dict

    async def call(self, method: str, path: str, *, json: object = None, headers: dict | None = None,
                   content: bytes | None = None) -> httpx.Response:
        sent = {**({"Authorization": f"Bearer {self.token}"} if self.token else {}), **(headers or {})}
        if content is not None:
            response = await self.http.request(method, path, content=content, headers=sent)
        else:
            response = await self.http.request(method, path, json=json, headers=sent)
        self.check(method, path, response)
        return response

    def check(self, method: str, path: str, response: httpx.Response) -> None:
        """The answer is JSON matching the document's schema for this operation and status (or a bodiless 304)."""
        if response.status_code in (204, 304):
            return
        assert response.headers["content-type"].startswith(("application/json", "application/problem+json"))
        template = _template(self.document, path.split("?")[0])
        if template is None or method.lower() not in self.document["paths"][template]:  # still a problem document
            schema = {"$ref": "#/components/schemas/Problem"}
        else:
            answers = self.document["paths"][template][method.lower()]["responses"]
            assert str(response.status_code) in answers, f"{method} {template} answered {response.status_code}"
            schema = next(iter(answers[str(response.status_code)]["content"].values()))["schema"]
        Draft202012Validator({**schema, "components": self.document["components"]}).validate(response.json())

    async def get(self, path: str, **kwargs) -> httpx.Response:
        return await self.call("GET", path, **kwargs)

    async def post(self, path: str, json: object = None, **kwargs) -> httpx.Response:
        return await self.call("POST", path, json=json, **kwargs)


def _template(document: dict, path: str) -> str | None:
    for template in document["paths"]:
        if re.fullmatch(PARAM.sub(r"[^/]+", template), path):
            return template
    return None


@pytest.fixture
async def api_for(app, settings, ada):
    """An Api client acting as a persona through a service key Ada made with these scopes (None: no key)."""
    clients: list[httpx.AsyncClient] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        document = (await http.get(urls.api_openapi())).json()

    async def make(user: User | None, *scopes: str, token: str | None = None) -> Api:
        if user is not None and token is None:
            token = (await api_keys.create_key(ada, user, f"{user.name}'s integration", scopes or ("read", "write"))
                     ).token
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        clients.append(http)
        return Api(http, token, document)

    yield make
    for http in clients:
        await http.aclose()


async def test_ada_makes_a_key_for_sam_sees_it_once_and_revoking_it_refuses_the_next_request(browser_for, ada,
                                                                                            sam, api_for):
    console = await browser_for(ada)
    page = await console.post(urls.admin_api_keys(), {"name": "Jira sync", "user": sam.email,
                                                      "scope": ["read", "staff"]})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    token = re.search(r'id="new-key-token">(ib_[\w-]+)<', page.text).group(1)
    key = await ApiKey.get(name="Jira sync")
    assert key.token_hash != token and token not in (await console.get(urls.admin_api_keys())).text  # shown once
    assert key.scopes == "read staff" and key.user_id == sam.id and key.last_used_at is None

    jira = await api_for(None, token=token)
    me = await jira.get(urls.api_me())
    assert me.status_code == 200
    assert me.json() | {"id": 0} == {"id": 0, "name": "Sam Rivera", "email": sam.email, "role": "staff",
                                     "email_verified": True, "key_name": "Jira sync", "scopes": ["read", "staff"]}
    assert (await ApiKey.get(id=key.id)).last_used_at is not None

    revoked = await console.post(urls.admin_api_key_revoke(key.id))
    assert revoked.status_code == 303
    refused = await jira.get(urls.api_me())
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_key"
    assert "invalid_token" in refused.headers["www-authenticate"]
    actions = await AuditEntry.filter(actor=ada).order_by("id").values_list("action", flat=True)
    assert actions == ["apikey.create", "apikey.revoke"]


async def test_alice_makes_a_personal_token_in_settings_uses_it_and_revokes_it(browser_for, alice, bob, api_for):
    browser = await browser_for(alice)
    settings_page = await browser.get(urls.settings())
    assert 'value="staff"' not in settings_page.text  # a customer is offered only read and write
    refused = await browser.post(urls.settings_tokens(), {"token_name": "Sneaky", "token_scope": ["read", "staff"]})
    assert refused.status_code == 422 and "cannot be given the staff scope" in refused.text
    made = await browser.post(urls.settings_tokens(), {"token_name": "Report script", "token_scope": "read"})
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    token = re.search(r'id="new-token">(ib_[\w-]+)<', made.text).group(1)
    assert token not in (await browser.get(urls.settings())).text
    script = await api_for(None, token=token)
    assert (await script.get(urls.api_me())).json()["key_name"] == "Report script"
    key = await ApiKey.get(name="Report script")
    assert key.personal and key.created_by_id == alice.id

    bobs = await browser_for(bob)
    assert (await bobs.post(urls.settings_token_revoke(key.id))).status_code == 404
    assert (await script.get(urls.api_me())).status_code == 200
    assert (await browser.post(urls.settings_token_revoke(key.id))).status_code == 303
    assert (await script.get(urls.api_me())).status_code == 401


async def test_a_deactivated_persons_keys_stop_working(api_for, alice):
    alices = await api_for(alice)
    await User.filter(id=alice.id).update(is_active=False)
    assert (await alices.get(urls.api_ideas())).status_code == 401


async def test_a_key_never_holds_more_than_its_person_may(browser_for, ada, alice, sam):
    console = await browser_for(ada)
    page = await console.post(urls.admin_api_keys(), {"name": "Too much", "user": alice.email,
                                                      "scope": ["read", "staff"]})
    assert page.status_code == 422 and "cannot be given the staff scope" in page.text
    assert await ApiKey.all().count() == 0
    sams = await console.post(urls.admin_api_keys(), {"name": "Nobody", "user": "nobody@example.com", "scope": "read"})
    assert sams.status_code == 422 and await ApiKey.all().count() == 0
    made = await console.post(urls.admin_api_keys(), {"name": "Queue bot", "user": sam.email, "scope": "staff"})
    assert made.status_code == 200
    staff_console = await browser_for(sam)  # staff, not admin: the keys page is not theirs
    assert (await staff_console.get(urls.admin_api_keys())).status_code == 403


async def test_alice_reads_the_board_page_by_page_with_cursors_and_link_headers(api_for, alice, bob, make_idea):
    made = [await make_idea(bob, f"Idea number {n:02d} for the board") for n in range(5)]
    alices = await api_for(alice)
    seen, path = [], urls.api_ideas(sort="new", limit=2)
    while path:
        page = await alices.get(path)
        assert page.status_code == 200
        seen += [item["id"] for item in page.json()["items"]]
        path = page.links.get("next", {}).get("url")
        assert (page.json()["next_cursor"] is None) == (path is None)
    assert seen == [i.id for i in reversed(made)]
    first = (await alices.get(urls.api_ideas(sort="new", limit=2))).json()
    assert first["total"] == 5 and first["items"][0]["my_vote"] == 0 and first["items"][0]["author"]["name"] == \
        "Bob Nguyen"
    visitor = await api_for(None)
    anonymous = (await visitor.get(urls.api_ideas())).json()
    assert {i["id"] for i in anonymous["items"]} == {i.id for i in made} and anonymous["items"][0]["my_vote"] is None


async def test_bad_query_parameters_are_named_in_a_422(api_for, alice):
    alices = await api_for(alice)
    for query, field in [({"sort": "best"}, "sort"), ({"limit": "1000"}, "limit"), ({"colour": "red"}, "colour"),
                         ({"tag": "a\x00b"}, "tag"), ({"limit": "²"}, "limit")]:
        response = await alices.get(urls.api_ideas(**query))
        assert response.status_code == 422 and field in response.json()["fields"], query


async def test_alice_posts_an_idea_votes_and_comments_through_her_integration(api_for, alice, bob, categories):
    alices = await api_for(alice)
    created = await alices.post(urls.api_ideas(), {"title": "Oat milk in every store", "body": "**Please**",
                                                   "category_id": categories["In the store"].id, "tags": ["milk"]})
    assert created.status_code == 201, created.text
    idea = created.json()
    assert created.headers["location"] == urls.api_idea(idea["id"])
    assert idea["body_html"] == "<p><strong>Please</strong></p>\n" and idea["tags"] == ["milk"]
    assert idea["category"]["slug"] == "in-the-store" and idea["status"] == "new" and idea["my_vote"] == 0

    bobs = await api_for(bob)
    voted = await bobs.call("PUT", urls.api_idea_vote(idea["id"]), json={"value": 1})
    assert voted.json() == {"idea_id": idea["id"], "upvotes": 1, "downvotes": 0, "score": 1, "my_vote": 1}
    again = await bobs.call("PUT", urls.api_idea_vote(idea["id"]), json={"value": 1})
    assert again.json()["score"] == 1
    assert (await bobs.call("DELETE", urls.api_idea_vote(idea["id"]))).json()["score"] == 0
    assert not await Vote.filter(idea_id=idea["id"]).exists()

    comment = await bobs.post(urls.api_idea_comments(idea["id"]), {"body": "Yes, @Alice Martin!"})
    assert comment.status_code == 201 and comment.json()["author"]["name"] == "Bob Nguyen"
    listed = (await alices.get(urls.api_idea_comments(idea["id"]))).json()
    assert [c["body"] for c in listed["items"]] == ["Yes, @Alice Martin!"] and listed["earlier_cursor"] is None
    assert (await alices.get(urls.api_idea(idea["id"]))).json()["comment_count"] == 1


async def test_bad_bodies_get_field_messages_and_nothing_is_written(api_for, alice):
    alices = await api_for(alice)
    cases = [({"title": "Hi"}, "title"), ({"title": "A fine title", "surprise": 1}, "surprise"),
             ({"title": "A fine title", "category_id": 99}, "category"), ({"title": 12345}, "title"),
             ({"title": "A fine title", "tags": ["a", "b", "c", "d", "e", "f"]}, "tags"),
             ({"title": "A fine \x00 title"}, "title"), ([], "body")]
    for body, field in cases:
        response = await alices.post(urls.api_ideas(), body)
        assert response.status_code == 422 and field in response.json()["fields"], (body, response.json())
    assert (await alices.post(urls.api_ideas(), content=b"{not json", headers={
        "Content-Type": "application/json"})).status_code == 422
    assert (await alices.post(urls.api_ideas(), content=b"title=x", headers={
        "Content-Type": "application/x-www-form-urlencoded"})).status_code == 415
    vote = await alices.call("PUT", urls.api_idea_vote(1), json={"value": True})
    assert vote.status_code == 422
    assert await Idea.all().count() == 0


async def test_scopes_are_checked_and_a_read_key_cannot_write(api_for, alice, make_idea):
    idea = await make_idea(alice)
    reader = await api_for(alice, "read")
    refused = await reader.call("PUT", urls.api_idea_vote(idea.id), json={"value": 1})
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"
    assert "write" in refused.json()["detail"] and 'scope="write"' in refused.headers["www-authenticate"]
    status = await (await api_for(alice)).post(urls.api_idea_status(idea.id), {"status": "planned"})
    assert status.status_code == 403 and "staff" in status.json()["detail"]
    nobody = await api_for(None)
    assert (await nobody.post(urls.api_ideas(), {"title": "Anonymous idea"})).status_code == 401
    assert (await nobody.get(urls.api_me())).status_code == 401


async def test_a_demoted_teammates_key_loses_its_staff_scope_at_once(api_for, sam, make_idea, alice):
    idea = await make_idea(alice)
    sams = await api_for(sam, "read", "staff")
    await User.filter(id=sam.id).update(role="customer")
    refused = await sams.post(urls.api_idea_status(idea.id), {"status": "under_review"})
    assert refused.status_code == 403 and await Idea.get(id=idea.id).values_list("status", flat=True) == "new"


async def test_sam_moves_an_idea_with_if_match_and_a_stale_version_is_a_412(api_for, sam, alice, make_idea):
    idea = await make_idea(alice)
    sams = await api_for(sam, "read", "staff")
    version = (await sams.get(urls.api_idea(idea.id))).json()["version"]
    moved = await sams.post(urls.api_idea_status(idea.id), {"status": "under_review", "message": "Looking at it"},
                            headers={"If-Match": f'"{version}"'})
    assert moved.status_code == 201, moved.text
    assert moved.json()["to_status"] == "under_review" and moved.json()["idea_version"] == version + 1
    stale = await sams.post(urls.api_idea_status(idea.id), {"status": "planned"}, headers={"If-Match": f'"{version}"'})
    assert stale.status_code == 412 and stale.json()["code"] == "conflict"
    illegal = await sams.post(urls.api_idea_status(idea.id), {"status": "launched"})
    assert illegal.status_code == 422 and illegal.json()["code"] == "illegal_transition"
    malformed = await sams.post(urls.api_idea_status(idea.id), {"status": "planned"}, headers={"If-Match": "soon"})
    assert malformed.status_code == 400
    response = await sams.post(urls.api_idea_responses(idea.id), {"message": "We *will* do it."})
    assert response.status_code == 201 and response.json()["kind"] == "response"
    blank = await sams.post(urls.api_idea_responses(idea.id), {"message": "   "})
    assert blank.status_code == 422 and "message" in blank.json()["fields"]
    detail = (await (await api_for(None)).get(urls.api_idea(idea.id))).json()
    assert [e["kind"] for e in detail["timeline"]] == ["status", "response"] and detail["status"] == "under_review"
    assert await IdeaEvent.filter(idea_id=idea.id).count() == 2


async def test_internal_and_hidden_ideas_never_leak_through_the_api(api_for, alice, erin, sam, make_idea):
    internal = await make_idea(erin, "Internal roadmap tool", space=Space.INTERNAL)
    hidden = await make_idea(alice, "Hidden idea about wifi")
    await Idea.filter(id=hidden.id).update(hidden=True)
    visitor, alices, erins, sams = (await api_for(None), await api_for(alice), await api_for(erin),
                                    await api_for(sam, "read", "staff"))
    for client in (visitor, alices):
        for idea in (internal, hidden):
            assert (await client.get(urls.api_idea(idea.id))).status_code == 404
            assert (await client.get(urls.api_idea_comments(idea.id))).status_code == 404
        assert (await client.get(urls.api_ideas(space="internal"))).status_code == 404
    assert (await alices.call("PUT", urls.api_idea_vote(internal.id), json={"value": 1})).status_code == 404
    assert (await alices.post(urls.api_idea_comments(hidden.id), {"body": "hello"})).status_code == 404
    assert (await erins.get(urls.api_idea(internal.id))).status_code == 200
    assert [i["id"] for i in (await erins.get(urls.api_ideas(space="internal"))).json()["items"]] == [internal.id]
    assert (await erins.get(urls.api_idea(hidden.id))).status_code == 404
    assert (await sams.get(urls.api_idea(hidden.id))).status_code == 200
    assert not await Comment.all().exists() and not await Vote.all().exists()


async def test_a_browser_session_alone_never_writes_through_the_api(browser_for, alice, make_idea):
    idea = await make_idea(alice)
    browser = await browser_for(alice)
    no_token = await browser.http.put(urls.api_idea_vote(idea.id), json={"value": 1})
    assert no_token.status_code == 403 and no_token.headers["content-type"] == "application/problem+json"
    token = await browser.csrf()
    with_token = await browser.http.put(urls.api_idea_vote(idea.id), json={"value": 1},
                                        headers={"X-CSRF-Token": token})
    assert with_token.status_code == 401  # the cookie is not a key
    assert (await browser.get(urls.api_me())).status_code == 401
    assert not await Vote.all().exists()


async def test_every_api_error_is_a_problem_document_never_a_page(api_for, alice):
    alices = await api_for(alice)
    for method, path, status in [("GET", "/api/v1/nothing-here", 404), ("DELETE", urls.api_ideas(), 405),
                                 ("GET", urls.api_idea(2_147_483_647), 404),
                                 ("GET", urls.api_idea_comments(1, before="x\x00"), 422)]:
        response = await alices.call(method, path)
        assert response.status_code == status, (method, path)
        assert response.json()["status"] == status and response.json()["title"]
    garbage = await (await api_for(None, token="ib_not-a-real-key")).get(urls.api_ideas())
    assert garbage.status_code == 401


async def test_reads_carry_an_etag_and_answer_304_when_nothing_changed(api_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    alices = await api_for(alice)
    first = await alices.get(urls.api_idea(idea.id))
    tag = first.headers["etag"]
    assert (await alices.get(urls.api_idea(idea.id), headers={"If-None-Match": tag})).status_code == 304
    await (await api_for(bob)).call("PUT", urls.api_idea_vote(idea.id), json={"value": 1})
    changed = await alices.get(urls.api_idea(idea.id), headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.json()["score"] == 1


async def test_search_finds_what_the_caller_may_see(api_for, alice, erin, make_idea):
    await make_idea(alice, "Dark mode for the mobile app")
    await make_idea(erin, "Dark mode for the internal dashboard", space=Space.INTERNAL)
    found = (await (await api_for(alice)).get(urls.api_search(q="dark mode"))).json()
    assert [i["title"] for i in found["items"]] == ["Dark mode for the mobile app"]
    assert found["total"] == 1 and found["more"] is False
    assert len((await (await api_for(erin)).get(urls.api_search(q="dark"))).json()["items"]) == 2
    assert (await (await api_for(None)).get(urls.api_search())).status_code == 422


def test_every_api_route_is_in_the_openapi_document_and_nothing_else(settings):
    from ideaboard.app import create_app

    app = create_app(settings)
    document = openapi.document(app.routes, settings)
    mount = next(r for r in build_routes() if isinstance(r, Mount) and r.path == "/api/v1")
    served = {(m, "/api/v1" + openapi.PARAM.sub(r"{\1}", r.path)) for r in mount.routes
              for m in (r.methods or ()) - {"HEAD"} if r.name != "api_openapi"}
    described = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert served == described
    assert document["openapi"] == "3.1.0" and all(
        op["summary"] and op["responses"] for ops in document["paths"].values() for op in ops.values())


async def test_the_document_is_served_at_both_addresses_and_the_reference_page_lists_every_operation(visitor):
    document = (await visitor.get(urls.api_openapi())).json()
    assert (await visitor.get(urls.openapi())).json() == document
    page = await visitor.get(urls.api_reference())
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for path, ops in document["paths"].items():
        for op in ops.values():
            assert f'id="{op["operationId"]}"' in page.text and path in page.text


async def test_a_closed_idea_refuses_votes_with_the_reason(api_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    await Idea.filter(id=idea.id).update(status=Status.LAUNCHED)
    refused = await (await api_for(bob)).call("PUT", urls.api_idea_vote(idea.id), json={"value": 1})
    assert refused.status_code == 403 and "Voting is closed" in refused.json()["detail"]


async def test_alice_rewords_her_idea_until_review_starts_and_bob_cannot(api_for, alice, bob, sam, make_idea,
                                                                         categories):
    idea = await make_idea(alice)
    alices, bobs = await api_for(alice), await api_for(bob)
    edited = await alices.call("PATCH", urls.api_idea(idea.id), json={
        "title": "Dark mode, also for the menu board", "category_id": categories["Mobile app"].id, "tags": ["ui"]})
    assert edited.status_code == 200 and edited.json()["title"] == "Dark mode, also for the menu board"
    assert edited.json()["tags"] == ["ui"] and edited.json()["category"]["slug"] == "mobile-app"
    refused = await bobs.call("PATCH", urls.api_idea(idea.id), json={"title": "Bob's version of it"})
    assert refused.status_code == 403 and "author" in refused.json()["detail"]
    await transition(idea, sam, Status.UNDER_REVIEW)
    late = await alices.call("PATCH", urls.api_idea(idea.id), json={"title": "Too late to reword"})
    assert late.status_code == 403 and await Idea.get(id=idea.id).values_list("title", flat=True) == \
        "Dark mode, also for the menu board"


async def test_bob_follows_an_idea_hears_about_it_and_marks_his_bell_read(api_for, alice, bob, sam, make_idea):
    idea = await make_idea(alice)
    bobs = await api_for(bob)
    followed = await bobs.call("PUT", urls.api_idea_follow(idea.id))
    assert followed.json() == {"idea_id": idea.id, "following": True}
    await transition(idea, sam, Status.UNDER_REVIEW, "We are looking at it")
    bell = (await bobs.get(urls.api_notifications())).json()
    assert bell["unread"] == 1 and bell["items"][0]["kind"] == "updates" and bell["items"][0]["idea_id"] == idea.id
    assert bell["items"][0]["url"].startswith(urls.idea(idea.id)) and not bell["items"][0]["read"]
    assert (await bobs.post(urls.api_notifications_read())).json() == {"marked": 1}
    assert (await bobs.get(urls.api_notifications())).json()["unread"] == 0
    unfollowed = await bobs.call("DELETE", urls.api_idea_follow(idea.id))
    assert unfollowed.json()["following"] is False


async def test_categories_and_public_profiles_are_open_reads(api_for, alice, categories):
    visitor = await api_for(None)
    listed = (await visitor.get(urls.api_categories())).json()["items"]
    assert [c["slug"] for c in listed] == ["mobile-app", "in-the-store", "rewards"]
    profile = (await visitor.get(urls.api_profile(alice.id))).json()
    assert profile["name"] == "Alice Martin" and profile["is_staff"] is False and "email" not in profile
    await User.filter(id=alice.id).update(is_active=False)
    assert (await visitor.get(urls.api_profile(alice.id))).status_code == 404


async def test_sams_key_assigns_merges_and_hides_ideas(api_for, alice, bob, sam, erin, make_idea):
    original, duplicate, spam = (await make_idea(alice), await make_idea(bob, "Dark mode please, at night"),
                                 await make_idea(bob, "Buy cheap watches here"))
    sams = await api_for(sam, "read", "staff")
    version = (await sams.get(urls.api_idea(original.id))).json()["version"]
    owned = await sams.call("PUT", urls.api_idea_owner(original.id), json={"owner_id": sam.id},
                            headers={"If-Match": f'"{version}"'})
    assert owned.status_code == 200 and await Idea.get(id=original.id).values_list("owner_id", flat=True) == sam.id
    stale = await sams.call("PUT", urls.api_idea_owner(original.id), json={"owner_id": None},
                            headers={"If-Match": f'"{version}"'})
    assert stale.status_code == 412
    customer = await sams.call("PUT", urls.api_idea_owner(original.id), json={"owner_id": erin.id})
    assert customer.status_code == 422 and "owner_id" in customer.json()["fields"]

    merged = await sams.post(urls.api_idea_merge(duplicate.id), {"into_id": original.id})
    assert merged.status_code == 200 and merged.json()["id"] == original.id
    assert await Idea.get(id=duplicate.id).values_list("status", flat=True) == "duplicate"
    again = await sams.post(urls.api_idea_merge(duplicate.id), {"into_id": original.id})
    assert again.status_code == 422 and again.json()["code"] == "not_mergeable"

    hidden = await sams.call("PUT", urls.api_idea_hidden(spam.id), json={"hidden": True})
    assert hidden.status_code == 200
    assert (await (await api_for(alice)).get(urls.api_idea(spam.id))).status_code == 404


async def test_the_crm_records_a_customers_feedback_through_sams_staff_key(api_for, sam, alice, make_idea):
    idea = await make_idea(alice, "Oat milk at every store")
    crm = await api_for(sam, "read", "write", "staff")
    made = await crm.post(urls.api_idea_feedback(idea.id),
                          {"email": "carol@bigco.example", "name": "Carol Diaz", "source": "Salesforce opportunity",
                           "company": "BigCo", "annual_revenue": 2500000})
    assert made.status_code == 201
    assert made.json()["customer"]["name"] == "Carol Diaz" and made.json()["captured_by"]["name"] == "Sam Rivera"
    assert (await Idea.get(id=idea.id)).score == 1
    listed = await crm.get(urls.api_idea_feedback(idea.id))
    assert [f["source"] for f in listed.json()["items"]] == ["Salesforce opportunity"]
    bad = await crm.post(urls.api_idea_feedback(idea.id), {"email": "nope", "source": "x", "colour": "red"})
    assert bad.status_code == 422 and "colour" in bad.text
    customer = await api_for(alice, "read", "write")
    assert (await customer.get(urls.api_idea_feedback(idea.id))).status_code == 403


async def test_a_dashboard_reads_the_clusters_with_a_staff_key(api_for, sam, alice, make_idea, worker_ctx):
    from workers.cluster_jobs import recluster_ideas

    for title in ("Dark mode for the app", "A dark mode for the mobile app", "Dark mode at night in the app",
                  "Oat milk at no extra charge", "Make oat milk free"):
        await make_idea(alice, title)
    dashboard = await api_for(sam, "read", "staff")
    empty = await dashboard.get(urls.api_clusters())
    assert empty.json() == {"items": [], "clustered_at": None}
    await recluster_ideas(worker_ctx)
    found = (await dashboard.get(urls.api_clusters(sort="growth"))).json()
    assert found["clustered_at"] is not None
    groups = [sorted(i["title"] for i in c["ideas"]) for c in found["items"]]
    assert ["A dark mode for the mobile app", "Dark mode at night in the app", "Dark mode for the app"] in groups
    assert (await (await api_for(alice, "read")).get(urls.api_clusters())).status_code == 403


async def test_the_desk_through_the_api_claims_once_and_says_who_has_it(api_for, sam, ada, app):
    from ideaboard import social
    from tests.test_desk import api_tweet

    await social.store_tweets([api_tweet("1800000000000000001", "Your app logged me out again")])
    sams, adas = await api_for(sam, "read", "staff"), await api_for(ada, "read", "staff")
    [waiting] = (await sams.get(urls.api_conversations())).json()["items"]
    assert waiting["state"] == "open" and waiting["assignee"] is None
    assert waiting["first_text"] == "Your app logged me out again"
    path = urls.api_conversation_assignee(waiting["id"])
    mine = await sams.call("PUT", path, json={"assignee_id": sam.id}, headers={"If-Match": f'"{waiting["version"]}"'})
    assert mine.status_code == 200 and mine.json()["assignee"]["name"] == "Sam Rivera"
    late = await adas.call("PUT", path, json={"assignee_id": ada.id}, headers={"If-Match": f'"{waiting["version"]}"'})
    assert late.status_code == 412  # Ada's view was from before Sam's claim
    taken = await adas.call("PUT", path, json={"assignee_id": ada.id})
    assert taken.status_code == 409 and "Sam Rivera" in taken.json()["detail"]
    mine_only = (await sams.get(urls.api_conversations(who="mine"))).json()
    assert [c["id"] for c in mine_only["items"]] == [waiting["id"]] and mine_only["mine"] == 1
    assert (await sams.get(urls.api_conversations(who="everyone"))).status_code == 422


GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


async def test_jonas_integration_asks_for_german_and_gets_its_problems_in_german_with_the_same_codes(
        api_for, alice, visitor):
    alices = await api_for(alice)
    missing = await alices.get(urls.api_idea(2_147_483_647), headers=GERMAN)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert missing.json()["title"] == "Nicht gefunden"
    assert missing.json()["detail"] == "Das gibt es nicht, oder dieser Schlüssel kann es nicht sehen."
    english = (await alices.get(urls.api_idea(2_147_483_647))).json()
    assert english["title"] == "Not found" and english["detail"] == "This does not exist, or this key cannot see it."
    bad = await alices.post(urls.api_ideas(), {"body": "Kein Titel"}, headers=GERMAN)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    assert bad.json()["title"] == "Nicht verarbeitbarer Inhalt" and bad.json()["fields"]["title"] == "Pflichtfeld"
    assert (await alices.post(urls.api_ideas(), {"body": "No title"})).json()["fields"]["title"] == "Field required"
    wrong_method = await alices.call("DELETE", urls.api_ideas(), headers=GERMAN)
    assert wrong_method.status_code == 405 and wrong_method.json()["detail"] == "Methode nicht erlaubt"
    reference = await visitor.get(urls.api_reference(), headers=GERMAN)
    assert '<html lang="de"' in reference.text and "Schlüssel und Berechtigungen" in reference.text
    assert "Ungültige Eingabe: <code>fields</code> nennt jedes Problem." in reference.text
    assert "Keys and scopes" in (await visitor.get(urls.api_reference())).text


async def test_lena_reads_every_operation_of_the_reference_in_german_while_openapi_json_stays_english(visitor):
    english = (await visitor.get(urls.api_openapi())).json()
    assert (await visitor.get(urls.api_openapi(), headers=GERMAN)).json() == english
    assert english["paths"]["/api/v1/ideas/{idea_id}/vote"]["delete"]["summary"] == "Withdraw the person's vote."
    page = (await visitor.get(urls.api_reference(), headers=GERMAN)).text
    for ops in english["paths"].values():
        for op in ops.values():
            section = page.split(f'id="{op["operationId"]}"', 1)[1].split("</section>", 1)[0]
            assert str(openapi.code_spans(op["summary"])) not in section, op["operationId"]
    assert "Die Stimme der Person zurückziehen." in page
    assert "Der Slug einer Kategorie." in page  # a query parameter
    assert "Auch als Stimme des Kunden für die Idee zählen." in page  # a body field
    assert "<code>earlier_cursor</code> blättert in der Unterhaltung zurück." in page
    assert "Withdraw the person&#39;s vote." in (await visitor.get(urls.api_reference())).text


def test_a_new_handler_docstring_cannot_reach_the_reference_page_unmarked_for_the_translators():
    from ideaboard.api.docstrings import DOCSTRINGS
    for _path, op in openapi.operations(build_routes()):
        assert op.summary in DOCSTRINGS and (not op.description or op.description in DOCSTRINGS), op.name


async def test_jonas_integration_sends_odd_values_and_every_complaint_is_german(api_for, alice):
    alices = await api_for(alice)
    odd = f"?campaign={'9' * 4400}&tag=a%00b&sort=best&category={'x' * 61}&limit=1000"
    german = (await alices.get(urls.api_ideas() + odd, headers=GERMAN)).json()["fields"]
    assert german == {"campaign": "Erwartet wird eine ganze Zahl in vernünftiger Größe",
                      "tag": "Enthält ein Steuerzeichen (etwa NUL oder einen Zeilenumbruch)",
                      "sort": "Einer dieser Werte: 'hot', 'top', 'new'", "category": "Höchstens 60 Zeichen",
                      "limit": "Höchstens 100"}
    english = (await alices.get(urls.api_ideas() + odd)).json()["fields"]
    assert english["tag"] == "contains a control character (such as NUL or a newline)"
    assert english["sort"] == "Input should be 'hot', 'top' or 'new'"
    unknown_status = await alices.get(urls.api_ideas() + "?status=shipped", headers=GERMAN)
    assert unknown_status.json()["fields"]["status"].startswith("Ist keiner der Status dieses Boards (new, ")


def test_every_kind_of_complaint_our_request_models_can_make_has_german_words():
    """A battery of odd values for every field of every request model: each complaint has our German, and a kind
    pydantic may add later still gets a German sentence, never English."""
    import itertools
    import json

    from pydantic import ValidationError

    from ideaboard import i18n
    from ideaboard.api import operations, schemas

    models = {op.query for op in operations_of()} | {op.body for op in operations_of()}
    odd = [None, True, 0, -1, 2, 1.5, 10**30, "", "x", "1.5", "\x00", "a\nb", "9" * 4400, "x" * 5000, [], ["x"] * 50,
           {}, {"a": 1}]
    kinds = set()
    for model in filter(None, models):
        for name in model.model_fields:
            for value, way in itertools.product(odd, ("json", "query string")):
                try:
                    if way == "json":
                        model.model_validate_json(json.dumps({name: value}))
                    elif isinstance(value, str):
                        model.model_validate({name: value})
                except ValidationError as exc:
                    kinds |= {error["type"] for error in exc.errors()}
        for raw in (b"null", b"[]", b"{", b'{"unknown": 1}'):
            try:
                model.model_validate_json(raw)
            except ValidationError as exc:
                kinds |= {error["type"] for error in exc.errors()}
    assert {"int_parsing_size", schemas.CONTROL_IN_LINE, "too_long", "json_invalid"} <= kinds
    assert kinds <= set(operations._PYDANTIC), kinds - set(operations._PYDANTIC)
    with i18n.speaking("de"):
        assert operations._pydantic_message({"type": "a_kind_from_pydantic_4", "msg": "Input is odd"}) == \
            "Dieser Wert ist ungültig"
        german = {kind: str(operations._PYDANTIC[kind]) for kind in kinds}
    with i18n.speaking("en"):
        assert not [kind for kind in kinds if str(operations._PYDANTIC[kind]) == german[kind]]  # all translated


def operations_of():
    return [op for _, op in openapi.operations(build_routes())]
