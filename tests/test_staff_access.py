"""Who may use the staff console: every staff URL and method, generated from the route table, refuses the public.

Nothing here lists URLs by hand: a new staff route is covered the moment it is added to app.py's staff group.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from starlette.routing import Mount, Route

from ideaboard.app import build_routes
from ideaboard.models import (
    ApiKey,
    AuditEntry,
    Campaign,
    Category,
    Comment,
    Conversation,
    Flag,
    Idea,
    IdeaEvent,
    IdeaTweet,
    Notification,
    Review,
    SavedReply,
    StatusDefinition,
    StatusTransition,
    Tweet,
    User,
    Vote,
    WebhookDelivery,
    WebhookEndpoint,
)

PARAM = re.compile(r"{(\w+)(?::\w+)?}")


def staff_routes() -> list:
    return next(r for r in build_routes() if isinstance(r, Mount) and r.path == "/staff").routes


def staff_endpoints(routes=None, prefix: str = "/staff") -> list[tuple[str, str, bool]]:
    """(method, path template, admin only) for every route under /staff, walking nested Mounts."""
    found = []
    for route in staff_routes() if routes is None else routes:
        if isinstance(route, Mount):
            for method, path, _ in staff_endpoints(route.routes, prefix + route.path):
                found.append((method, path, prefix + route.path == "/staff/admin" or path.startswith("/staff/admin")))
        elif isinstance(route, Route):
            for method in sorted(route.methods - {"HEAD"}):
                found.append((method, prefix + route.path, (prefix + route.path).startswith("/staff/admin")))
    return found


ENDPOINTS = staff_endpoints()
GETS = [(m, p) for m, p, _ in ENDPOINTS if m == "GET"]


def test_the_route_walk_finds_the_whole_console():
    paths = {p for _, p, _ in ENDPOINTS}
    assert {"/staff/", "/staff/ideas/{idea_id:id}/status", "/staff/flags/{flag_id:id}/dismiss",
            "/staff/admin/categories", "/staff/admin/users/{user_id:id}/role"} <= paths
    assert len(ENDPOINTS) >= 20
    assert not [p for m, p, _ in ENDPOINTS if "audit" in p and m != "GET"], "the audit log is read-only"


async def _theme() -> str:
    """A clustering run with one (unpublished) theme: its slug, for the publish route."""
    from ideaboard.models import ClusterRun, Theme

    run = await ClusterRun.create(method="access", idea_count=0, finished=True)
    return (await Theme.create(run=run, number=0, name="Dark mode", slug="dark-mode")).slug


@pytest.fixture
async def world(alice, bob, sam, ada, categories, make_idea):
    """An idea with a vote, a comment and a report, a second idea to merge into, and ids for every path param."""
    from ideaboard import api_keys, webhooks
    from ideaboard.comments import add_comment
    from ideaboard.votes import cast_vote

    idea = await make_idea(alice, "Dark mode for the mobile app", category=categories["Mobile app"])
    other = await make_idea(bob, "Night theme in the app")
    await cast_vote(idea.id, bob, 1)
    comment = await add_comment(idea, bob, "Yes please")
    flag = await Flag.create(reporter=bob, idea=idea, reason="Looks like spam")
    tweet = await Tweet.create(id="1790000000000000001", text="dark mode please @brewline", author_id="42",
                               author_username="someone",
                               url="https://x.com/someone/status/1790000000000000001")
    conversation = await Conversation.create(x_conversation_id=tweet.id, author_id="42", author_username="someone")
    saved = await SavedReply.create(title="Thanks", body="Thanks {handle}, we track it here: {idea_link}")
    key = await api_keys.create_key(ada, sam, "Jira sync", ["read", "staff"])
    endpoint = await webhooks.create_endpoint(ada, "https://hooks.example.com/in", ["comment.created"])
    await add_comment(other, alice, "A comment the webhook delivers")
    delivery = await WebhookDelivery.get(endpoint=endpoint)
    held = await add_comment(idea, bob, "Held for review", hold="new member")
    review = await Review.get(comment_id=held.id)
    opens = datetime.now(UTC)
    campaign = await Campaign.create(slug="greener-cups", title="Greener cups", opens_at=opens,
                                     closes_at=opens + timedelta(days=1))
    ids = {"review_id": review.id, "tweet_id": tweet.id, "idea_id": idea.id, "comment_id": comment.id,
           "user_id": bob.id, "category_id": categories["Mobile app"].id, "flag_id": flag.id,
           "conversation_id": conversation.id, "reply_id": saved.id, "handle": "someone", "key_id": key.key.id,
           "endpoint_id": endpoint.id, "delivery_id": delivery.id, "campaign_id": campaign.id,
           "key": "under_review",  # a status key
           "slug": await _theme()}
    form = {"to_status": "under_review", "version": "0", "message": "hi", "response": "We hear you", "owner": "me",
            "target": str(other.id), "name": "Hijacked", "role": "admin", "direction": "down", "action": "claim",
            "idea": str(idea.id), f"v{idea.id}": "0", "reason": "spam spam"}
    return ids, form


def fill(path: str, ids: dict[str, int | str]) -> str:
    """A real URL; a new kind of path parameter needs a real row in `world` first."""
    missing = [m.group(1) for m in PARAM.finditer(path) if m.group(1) not in ids]
    assert not missing, f"add a {missing} to the world fixture for {path}"
    return PARAM.sub(lambda m: str(ids[m.group(1)]), path)


async def snapshot() -> dict:
    """Everything a staff action could change."""
    return {
        "counts": [await m.all().count() for m in (Idea, Comment, Flag, AuditEntry, IdeaEvent, Category, Vote,
                                                   Notification, User, Tweet, IdeaTweet)],
        "ideas": await Idea.all().order_by("id").values_list("status", "version", "owner_id", "hidden",
                                                              "merged_into_id", "score", "comment_count"),
        "comments": await Comment.all().order_by("id").values_list("idea_id", "hidden"),
        "flags": await Flag.all().order_by("id").values_list("resolved_at", "resolution"),
        "categories": await Category.all().order_by("id").values_list("name", "position"),
        "roles": await User.all().order_by("id").values_list("role"),
        "keys": await ApiKey.all().order_by("id").values_list("name", "scopes", "revoked_at"),
        "webhooks": await WebhookEndpoint.all().order_by("id").values_list("url", "events", "disabled_at"),
        "deliveries": await WebhookDelivery.all().order_by("id").values_list("next_attempt_at", "given_up_at"),
        "statuses": await StatusDefinition.all().order_by("key").values_list("name", "phase", "position"),
        "moves": await StatusTransition.all().order_by("from_key", "to_key").values_list("from_key", "to_key"),
    }


@pytest.mark.parametrize("who", ["anonymous", "alice", "erin"])
async def test_the_public_is_refused_everywhere_and_nothing_changes(who, browser_for, world, alice, erin):
    ids, form = world
    client = await browser_for({"anonymous": None, "alice": alice, "erin": erin}[who])
    token = await client.csrf()
    before = await snapshot()
    for method, template, _ in ENDPOINTS:
        path = fill(template, ids)
        if method == "GET":
            response = await client.get(path)
            expected = 303 if who == "anonymous" else 403
        else:  # a valid CSRF token, as a form field and as htmx sends it: only the role check may refuse
            response = await client.http.post(path, data={**form, "csrf_token": token})
            expected = 401 if who == "anonymous" else 403
            htmx_response = await client.http.post(path, data=form, headers={"HX-Request": "true",
                                                                             "X-CSRF-Token": token})
            assert htmx_response.status_code == expected
        assert response.status_code == expected, f"{who} {method} {path} -> {response.status_code}"
        if who == "anonymous" and method == "GET":
            assert response.headers["location"] == f"/login?next={path}"
    assert await snapshot() == before


async def test_staff_sam_reaches_every_console_page_but_not_admin(browser_for, sam, world):
    ids, form = world
    client = await browser_for(sam)
    for method, template, admin_only in ENDPOINTS:
        path = fill(template, ids)
        if method == "GET":
            response = await client.get(path)
            # the desk's event stream answers only an EventSource (406 to a page request): past the role check
            reached = 406 if template.endswith("/live") else 200
            assert response.status_code == (403 if admin_only else reached), f"sam GET {path}"
    before = await snapshot()
    for method, template, admin_only in ENDPOINTS:
        if admin_only and method == "POST":
            response = await client.post(fill(template, ids), form)
            assert response.status_code == 403, f"sam POST {template}"
    assert await snapshot() == before


async def test_admin_ada_reaches_the_admin_pages(browser_for, ada, world):
    ids, _ = world
    client = await browser_for(ada)
    for method, template, admin_only in ENDPOINTS:
        if admin_only and method == "GET":
            assert (await client.get(fill(template, ids))).status_code == 200


async def test_the_staff_link_shows_only_for_the_team(browser_for, alice, erin, sam, ada):
    from bs4 import BeautifulSoup

    for person, sees in ((alice, False), (erin, False), (sam, True), (ada, True)):
        page = BeautifulSoup((await (await browser_for(person)).get("/")).text, "html.parser")
        assert bool(page.select_one("nav a[href='/staff/']")) is sees, person.name
    sam_console = BeautifulSoup((await (await browser_for(sam)).get("/staff/")).text, "html.parser")
    assert "Admin" not in [a.text for a in sam_console.select(".staffnav a")]
    ada_console = BeautifulSoup((await (await browser_for(ada)).get("/staff/")).text, "html.parser")
    assert "Admin" in [a.text for a in ada_console.select(".staffnav a")]
