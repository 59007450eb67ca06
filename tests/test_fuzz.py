"""Mallory fuzzes every route: whatever arrives in the path, the query string or the body, nobody gets a 500.

Hypothesis draws requests over the whole route table (walked from the app, Mounts included), every method, and
every query parameter and form field the views read (FIELDS, which a test keeps equal to the route table), as a
visitor, a customer, staff and the admin, each with a valid CSRF token so the request reaches the view. Values are
huge, negative and unicode-digit numbers, NUL and control characters, very long text, 1,001 fields, wrong content
types, invalid UTF-8 and repeated fields. The answer must never be a 5xx, and nothing may be logged at ERROR.

IDEABOARD_FUZZ_EXAMPLES sets the number of requests (default 2,000 per backend, about a minute).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from starlette.routing import Mount, Route

from ideaboard.app import create_app
from ideaboard.models import (
    ApiKey,
    CapturedFeedback,
    Conversation,
    Flag,
    LinkedIdentity,
    NotificationKind,
    Role,
    Tweet,
    User,
)
from ideaboard.settings import _replace
from tests.conftest import PASSWORD, Browserless

EXAMPLES = int(os.environ.get("IDEABOARD_FUZZ_EXAMPLES", "2000"))
ROOT = Path(__file__).parent.parent / "ideaboard"
PARAM = re.compile(r"{(\w+)(?::\w+)?}")

IDEA_FORM = ("title", "body", "category", "tags")
BOARD = ("sort", "category", "tag", "status", "page", "after", "before", "campaign", "theme")
API_BOARD = ("sort", "category", "tag", "status", "space", "after", "before", "limit", "campaign")
CAMPAIGN_FORM = ("title", "brief", "space", "categories", "opens_at", "closes_at", "voting_closes_at",
                 "needs_approval", "vote_budget", "max_votes_per_idea")
STATUS_FORM = ("name", "colour", "description", "phase")
# "METHOD /path" -> (query parameters, form fields) the view reads. A new route needs its line here.
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "GET /": (BOARD, ()),
    "GET /internal": (BOARD, ()),
    "GET /search": (("q", "page"), ()),
    "GET /ideas/similar": (("title", "body"), ()),
    "GET /ideas/new": (("space", "campaign"), ()),
    "POST /ideas/new": (("space", "campaign"), (*IDEA_FORM, "campaign", "resend_verification", "image")),
    "GET /campaigns": ((), ()),
    "GET /campaigns/{key}": (("sort", "page", "after", "before"), ()),
    "GET /campaigns/{key}/results": ((), ()),
    "POST /campaigns/{key}/follow": ((), ("follow",)),
    "POST /staff/ideas/{idea_id}/campaign": ((), ("campaign",)),
    "GET /staff/campaigns": ((), ()),
    "POST /staff/campaigns": ((), CAMPAIGN_FORM),
    "GET /staff/campaigns/{campaign_id}": ((), ()),
    "POST /staff/campaigns/{campaign_id}": ((), CAMPAIGN_FORM),
    "GET /api/v1/campaigns": ((), ()),
    "GET /api/v1/campaigns/{campaign_id}": ((), ()),
    "GET /ideas/{idea_id}": (("comments_before",), ()),
    "GET /ideas/{idea_id}/edit": ((), ()),
    "POST /ideas/{idea_id}/edit": ((), IDEA_FORM),
    "POST /ideas/{idea_id}/vote": ((), ("value",)),
    "POST /ideas/{idea_id}/comments": ((), ("body", "resend_verification", "preview", "image")),
    "POST /ideas/{idea_id}/follow": ((), ("follow",)),
    "GET /ideas/{idea_id}/report": ((), ()),
    "POST /ideas/{idea_id}/report": ((), ("reason",)),
    "POST /comments/{comment_id}/delete": ((), ()),
    "GET /comments/{comment_id}/edit": ((), ()),
    "POST /comments/{comment_id}/edit": ((), ("body", "preview")),
    "POST /comments/{comment_id}/image": ((), ("image",)),
    "POST /ideas/{idea_id}/image": ((), ("image",)),
    "POST /staff/campaigns/{campaign_id}/image": ((), ("image",)),
    "GET /comments/{comment_id}/report": ((), ()),
    "POST /comments/{comment_id}/report": ((), ("reason",)),
    "GET /roadmap": ((), ()),
    "GET /launched": ((), ()),
    "GET /feeds/ideas.atom": ((), ()),
    "GET /feeds/launched.atom": ((), ()),
    "GET /robots.txt": ((), ()),
    "GET /sitemap.xml": ((), ()),
    "GET /sitemaps/{chunk}.xml": ((), ()),
    "GET /favicon.ico": ((), ()),
    "GET /statuses.css": ((), ()),
    "GET /live": (("board", "idea", "queue", "desk", "since"), ()),
    "GET /images/{key}": ((), ()),
    "GET /images/{key}/thumb": ((), ()),
    "POST /settings/theme": ((), ("theme",)),
    "POST /settings/language": ((), ("locale",)),
    "GET /notifications": ((), ()),
    "GET /notifications/bell": ((), ()),
    "GET /mentions": (("body", "idea"), ()),
    "GET /settings/notifications": ((), ()),
    "POST /settings/notifications": ((), ("updates", "comments", "mentions", "assignments", "campaigns")),
    "GET /unsubscribe/{token}": ((), ()),
    "POST /unsubscribe/{token}": ((), ("List-Unsubscribe",)),
    "GET /users/{user_id}": ((), ()),
    "GET /signup": ((), ()),
    "POST /signup": ((), ("email", "name", "password", "next")),
    "GET /login": (("next",), ()),
    "POST /login": (("next",), ("email", "password", "next")),
    "POST /logout": ((), ()),
    "POST /verify/resend": ((), ("next",)),
    "GET /verify/{token}": ((), ()),
    "GET /forgot": ((), ()),
    "POST /forgot": ((), ("email",)),
    "GET /password-reset/{token}": ((), ()),
    "POST /password-reset/{token}": ((), ("password", "username")),
    "GET /settings": ((), ()),
    "POST /settings/name": ((), ("name",)),
    "POST /settings/email": ((), ("new_email", "email_password")),
    "GET /settings/email/{token}": ((), ()),
    "POST /settings/password": ((), ("current_password", "new_password", "username")),
    "POST /settings/logout-everywhere": ((), ()),
    "GET /settings/export": ((), ()),
    "POST /settings/delete": ((), ("delete_password",)),
    "GET /staff/": (("sort", "status", "category", "owner", "page"), ()),
    "POST /staff/bulk": ((), ("action", "idea", "v{idea_id}")),
    "GET /staff/ideas/{idea_id}": (("merge_q",), ()),
    "POST /staff/ideas/{idea_id}/status": ((), ("to_status", "message", "version")),
    "POST /staff/ideas/{idea_id}/respond": ((), ("response", "version")),
    "POST /staff/ideas/{idea_id}/owner": ((), ("owner", "version")),
    "POST /staff/ideas/{idea_id}/merge": (("merge_q",), ("target",)),
    "POST /staff/ideas/{idea_id}/hide": ((), ()),
    "POST /staff/ideas/{idea_id}/restore": ((), ()),
    "POST /staff/ideas/{idea_id}/unmerge": ((), ()),
    "POST /staff/ideas/{idea_id}/redact": ((), ("title", "body")),
    "POST /staff/ideas/{idea_id}/notes": ((), ("note",)),
    "GET /staff/comments/{comment_id}/redact": ((), ()),
    "POST /staff/comments/{comment_id}/redact": ((), ("body",)),
    "GET /staff/ideas/{idea_id}/share": ((), ()),
    "POST /staff/ideas/{idea_id}/share": ((), ("text",)),
    "POST /staff/ideas/{idea_id}/share/preview": ((), ("text",)),
    "POST /staff/comments/{comment_id}/hide": ((), ()),
    "POST /staff/comments/{comment_id}/restore": ((), ()),
    "GET /staff/flags": ((), ()),
    "POST /staff/flags/{flag_id}/dismiss": ((), ()),
    "GET /staff/reviews": ((), ()),
    "POST /staff/reviews/{review_id}/approve": ((), ("reason",)),
    "POST /staff/reviews/{review_id}/reject": ((), ("reason",)),
    "GET /staff/audit": (("action", "actor"), ()),
    "GET /staff/export/ideas.csv": ((), ()),
    "POST /staff/ideas/{idea_id}/feedback": ((), ("email", "name", "source", "note", "vote", "company", "segment",
                                                  "revenue")),
    "POST /feedback/{feedback_id}/withdraw": ((), ()),
    "GET /staff/export/votes.csv": ((), ()),
    "GET /staff/analytics": ((), ()),
    "GET /staff/clusters": (("sort", "theme"), ()),
    "GET /staff/themes": (("sort",), ()),
    "POST /staff/themes/{slug}/publish": ((), ("published",)),
    "POST /staff/clusters/merge": ((), ("canonical", "idea")),
    "GET /staff/tweets": ((), ()),
    "GET /staff/tweets/{tweet_id}/idea": ((), ()),
    "POST /staff/tweets/{tweet_id}/idea": ((), IDEA_FORM),
    "GET /staff/desk": (("who", "state", "idea", "sort", "page"), ()),
    "POST /staff/desk/saved-replies": ((), ("title", "body", "conversation")),
    "POST /staff/desk/saved-replies/{reply_id}/delete": ((), ("conversation",)),
    "GET /staff/desk/people/{handle}": ((), ()),
    "GET /staff/desk/{conversation_id}": (("template", "compose"), ()),
    "POST /staff/desk/{conversation_id}/assign": ((), ("owner", "version")),
    "POST /staff/desk/{conversation_id}/reply": ((), ("text", "version", "key", "in_reply_to")),
    "POST /staff/desk/{conversation_id}/reply/preview": ((), ("text",)),
    "POST /staff/desk/{conversation_id}/link": ((), ("idea", "version", "then_reply")),
    "GET /staff/desk/{conversation_id}/idea": ((), ()),
    "POST /staff/desk/{conversation_id}/idea": ((), (*IDEA_FORM, "version", "then_reply")),
    "POST /staff/desk/{conversation_id}/ticket": ((), ("note", "version")),
    "POST /staff/desk/{conversation_id}/dismiss": ((), ("reason", "note", "version", "reopen")),
    "GET /staff/admin/categories": ((), ()),
    "POST /staff/admin/categories": ((), ("name",)),
    "POST /staff/admin/categories/{category_id}/rename": ((), ("name",)),
    "POST /staff/admin/categories/{category_id}/move": ((), ("direction",)),
    "POST /staff/admin/categories/{category_id}/delete": ((), ()),
    "GET /staff/admin/statuses": ((), ()),
    "POST /staff/admin/statuses": ((), (*STATUS_FORM, "key", "after", "from", "to")),
    "POST /staff/admin/statuses/transitions": ((), ("move",)),
    "POST /staff/admin/statuses/{key}/edit": ((), STATUS_FORM),
    "POST /staff/admin/statuses/{key}/move": ((), ("direction",)),
    "GET /staff/admin/statuses/{key}/delete": ((), ()),
    "POST /staff/admin/statuses/{key}/delete": ((), ("move_to",)),
    "GET /staff/admin/users": (("q",), ()),
    "POST /staff/admin/users/{user_id}/role": ((), ("role",)),
    "POST /staff/admin/users/{user_id}/deactivate": ((), ("kind", "reason", "hide_content", "q")),
    "POST /staff/admin/users/{user_id}/reactivate": ((), ("q",)),
    "POST /staff/admin/users/{user_id}/suspend": ((), ("reason", "until", "q")),
    "POST /staff/admin/users/{user_id}/unsuspend": ((), ("q",)),
    "GET /staff/admin/vote-budgets": ((), ()),
    "POST /staff/admin/vote-budgets": ((), ("space", "vote_budget", "max_votes_per_idea", "demotes")),
    "GET /staff/admin/sso": ((), ()),
    "POST /staff/admin/sso": ((), ("claim", "value", "domains")),
    "POST /login/oidc": ((), ("next",)),
    "GET /login/oidc/callback": (("code", "state", "error", "error_description"), ()),
    "POST /login/x": ((), ("next",)),
    "GET /login/x/callback": (("code", "state", "error", "error_description"), ()),
    "POST /account/identities/{identity_id}/unlink": ((), ()),
    "POST /settings/tokens": ((), ("token_name", "token_scope")),
    "POST /settings/tokens/{key_id}/revoke": ((), ()),
    "GET /staff/admin/data": ((), ()),
    "POST /staff/admin/data": ((), ("kind", "action", "file")),
    "GET /staff/admin/webhooks": ((), ()),
    "POST /staff/admin/webhooks/{endpoint_id}/rotate": ((), ()),
    "POST /staff/admin/webhooks": ((), ("url", "event", "description", "kind", "include_internal")),
    "GET /staff/admin/webhooks/{endpoint_id}": ((), ()),
    "POST /staff/admin/webhooks/{endpoint_id}/enabled": ((), ("enabled",)),
    "POST /staff/admin/webhooks/deliveries/{delivery_id}/resend": ((), ()),
    "GET /staff/admin/api-keys": ((), ()),
    "POST /staff/admin/api-keys": ((), ("name", "user", "scope")),
    "POST /staff/admin/api-keys/{key_id}/revoke": ((), ()),
    # the API: "form" fields are its JSON body's members (sent as JSON by the json_fields body)
    "GET /api": ((), ()),
    "GET /openapi.json": ((), ()),
    "GET /api/v1/openapi.json": ((), ()),
    "GET /api/v1/ideas": ((*API_BOARD,), ()),
    "POST /api/v1/ideas": ((), ("title", "body", "category_id", "tags", "space", "campaign_id")),
    "GET /api/v1/ideas/{idea_id}": ((), ()),
    "PATCH /api/v1/ideas/{idea_id}": ((), ("title", "body", "category_id", "tags")),
    "PUT /api/v1/ideas/{idea_id}/follow": ((), ()),
    "DELETE /api/v1/ideas/{idea_id}/follow": ((), ()),
    "GET /api/v1/categories": ((), ()),
    "GET /api/v1/statuses": ((), ()),
    "GET /api/v1/notifications": ((), ()),
    "POST /api/v1/notifications/read": ((), ()),
    "GET /api/v1/users/{user_id}": ((), ()),
    "PATCH /api/v1/comments/{comment_id}": ((), ("body",)),
    "PUT /api/v1/ideas/{idea_id}/vote": ((), ("value",)),
    "DELETE /api/v1/ideas/{idea_id}/vote": ((), ()),
    "GET /api/v1/ideas/{idea_id}/comments": (("before",), ()),
    "POST /api/v1/ideas/{idea_id}/comments": ((), ("body",)),
    "POST /api/v1/ideas/{idea_id}/status": ((), ("status", "message")),
    "POST /api/v1/ideas/{idea_id}/responses": ((), ("message",)),
    "PUT /api/v1/ideas/{idea_id}/owner": ((), ("owner_id",)),
    "POST /api/v1/ideas/{idea_id}/merge": ((), ("into_id",)),
    "POST /api/v1/ideas/{idea_id}/feedback": ((), ("email", "name", "source", "note", "vote", "company", "segment",
                                                   "annual_revenue")),
    "GET /api/v1/ideas/{idea_id}/feedback": ((), ()),
    "GET /api/v1/clusters": (("sort", "limit"), ()),
    "GET /api/v1/desk/conversations": (("who", "state", "idea", "sort", "page"), ()),
    "PUT /api/v1/desk/conversations/{conversation_id}/assignee": ((), ("assignee_id",)),
    "PUT /api/v1/ideas/{idea_id}/hidden": ((), ("hidden",)),
    "GET /api/v1/search": (("q", "page"), ()),
    "GET /api/v1/users/me": ((), ()),
}
SKIP_PREFIXES = ("/static",)  # files, not views
URL_VALUE_MAX = 2000
URL_QUERY_MAX = 60_000
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")  # a failing 6,000-character value


def endpoints(routes, prefix: str = "") -> list[tuple[str, str]]:
    """(method, path template without convertor names) for every route, walking nested Mounts."""
    found = []
    for route in routes:
        if isinstance(route, Mount):
            if not (prefix + route.path).startswith(SKIP_PREFIXES):
                found += endpoints(route.routes or [], prefix + route.path)
        elif isinstance(route, Route):
            path = PARAM.sub(r"{\1}", prefix + route.path)
            found += [(method, path) for method in sorted((route.methods or {"GET"}) - {"HEAD"})]
    return found


def test_every_route_is_fuzzed_with_the_fields_its_view_reads(settings):
    table = {f"{m} {p}" for m, p in endpoints(create_app(settings).routes)}
    missing = sorted(table - FIELDS.keys())
    assert not missing, f"add these routes to FIELDS in tests/test_fuzz.py, with the fields they read: {missing}"
    assert not FIELDS.keys() - table, f"these FIELDS entries have no route any more: {sorted(FIELDS.keys() - table)}"


def test_every_field_a_template_or_view_names_is_fuzzed():
    """Form inputs in the templates and parameters the views read by name are all in FIELDS."""
    fuzzed = {name for query, form in FIELDS.values() for name in (*query, *form)} | {"csrf_token"}
    named = set()
    for template in (ROOT / "templates").rglob("*.html"):
        named |= set(re.findall(r'<(?:input|select|textarea|button)[^>]*\bname="([\w{}. ]+)"', template.read_text()))
    for module in ROOT.rglob("views/*.py"):
        source = module.read_text()
        named |= set(re.findall(r'(?:query_params|data|form|q|\))\.get(?:list)?\("(\w+)"', source))
        named |= set(re.findall(r'(?:query_\w+|form_list)\(request, "(\w+)"', source))
    named = {"v{idea_id}" if n.startswith("v{{") else n for n in named}
    if "{{ kind.value }}" in named:  # the notification preferences form: one radio group per kind
        named = (named - {"{{ kind.value }}"}) | {kind.value for kind in NotificationKind}
    assert not named - fuzzed, f"add these fields to FIELDS in tests/test_fuzz.py: {sorted(named - fuzzed)}"


# ---- what Mallory sends

NASTY_NUMBERS = ["0", "-1", "2147483647", "2147483648", "-2147483649", "4294967296", "9223372036854775808",
                 "99999999999999999999", "9" * 400, "²", "①", "١٢", "\U0001d7d7", "1e999", "nan", "inf", "1.5",
                 "0x1f", " 7", "7 ", "+7", "1_000", "#3"]
NASTY_TEXT = ["", " ", "\x00", "a\x00b", "dark\x00", "\x1b[31mred", "\x7f", "\u0085", "\u202e", "\ufeff", "é" * 3,
              "1.0:2147483648", "1:2147483648", "1e999:x", "nan:1", "-1:-1", ":", "%", "%00", "%ff", "<script>",
              "../../etc/passwd", "//evil.example", "/\\evil.example", "javascript:alert(1)", "'; DROP TABLE", "@"]
ENUMS = ["up", "down", "none", "0", "1", "claim", "review", "me", "under_review", "planned", "launched", "declined",
         "archived", "new", "hot", "top", "score", "oldest", "comments", "category", "growth", "mine", "unassigned",
         "internal", "public", "admin", "staff", "customer", "employee", "status.", "idea.", "user.", "x" * 5]
CHARS = st.characters(exclude_categories=("Cs",))  # lone surrogates cannot be sent as UTF-8 at all


def values(ids: dict[str, list[str]]) -> st.SearchStrategy[str]:
    real = [v for group in ids.values() for v in group]
    return st.one_of(
        st.sampled_from(NASTY_NUMBERS), st.sampled_from(NASTY_TEXT), st.sampled_from(ENUMS), st.sampled_from(real),
        st.integers(-(10**25), 10**25).map(str), st.text(CHARS, max_size=40),
        st.tuples(st.text(CHARS, min_size=1, max_size=3), st.integers(100, 6000)).map(lambda t: t[0] * t[1]),
    )


BODIES = ["form", "form", "form", "htmx", "duplicates", "many_fields", "json", "json_fields", "json_fields", "text",
          "none", "invalid_utf8", "raw_utf8", "multipart", "huge"]
PERSONAS = ["visitor", "customer", "staff", "admin", "customer_key", "staff_key"]  # *_key: API keys, no cookie


@dataclass
class Shot:
    persona: str
    method: str
    path: str
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]
    body: str
    hx: str

    def __repr__(self) -> str:  # values can be 6,000 characters long: show their start
        def short(pairs):
            return [(k, v if len(v) < 60 else f"{v[:40]!r}...({len(v)} chars)") for k, v in pairs]
        return (f"{self.persona} {self.method} {self.path[:200]} query={short(self.query)} form={short(self.form)} "
                f"body={self.body} hx={self.hx}")


def shots(ids: dict[str, list[str]], table: list[tuple[str, str]]) -> st.SearchStrategy[Shot]:
    value = values(ids)

    @st.composite
    def draw(draw) -> Shot:
        method, template = draw(st.sampled_from(table))
        method = draw(st.sampled_from([method] * 8 + ["PUT", "DELETE", "PATCH", "GET", "POST"]))
        query_names, form_names = FIELDS.get(f"{method} {template}", ((), ()))
        path = PARAM.sub(lambda m: quote(draw(st.one_of(st.sampled_from(ids.get(m.group(1), ["1"])), value))
                                         [:URL_VALUE_MAX], safe=""), template)
        pick = st.lists(st.sampled_from(query_names), max_size=4) if query_names else st.just([])
        query = [(name, draw(value)) for name in draw(pick)]
        names = [n.replace("{idea_id}", draw(st.sampled_from(ids["idea_id"]))) for n in form_names]
        pick = st.lists(st.sampled_from(names), max_size=6) if names else st.just([])
        form = [(name, draw(value)) for name in draw(pick)]
        body = draw(st.sampled_from(BODIES)) if method != "GET" else "none"
        hx = draw(st.sampled_from(["", "", "partial", "boosted", "history"]))
        return Shot(draw(st.sampled_from(PERSONAS)), method, path, query, form, body, hx)

    return draw()


def request_args(shot: Shot, token: str) -> dict:
    """httpx.request keyword arguments for a shot, with the persona's CSRF token where a browser would put it."""
    headers = {"HX-Request": "true"} if shot.hx else {}
    if shot.hx == "boosted":
        headers["HX-Boosted"] = "true"
    elif shot.hx == "history":
        headers["HX-History-Restore-Request"] = "true"
    fields = [*shot.form, ("csrf_token", token)]
    query = [(k, v[:URL_VALUE_MAX]) for k, v in shot.query]  # servers refuse request lines past ~64 kB anyway
    while query and len(shot.path) + len(urlencode(query)) > URL_QUERY_MAX:  # httpx refuses URLs past 64 kB
        query = query[:-1]
    url = shot.path + ("?" + urlencode(query) if query else "")
    kinds = {
        "form": {"content": urlencode(fields).encode()},
        "htmx": {"content": urlencode(shot.form).encode(), "token": True},
        "duplicates": {"content": urlencode(fields + shot.form + shot.form).encode()},
        "many_fields": {"content": urlencode(fields + [(f"f{n}", "x") for n in range(1001)]).encode()},
        "json": {"content": b'{"title": "json"}', "type": "application/json", "token": True},
        "json_fields": {"content": json.dumps({k: _json_value(v) for k, v in shot.form}).encode(),
                        "type": "application/json", "token": True},
        "text": {"content": b"title=plain text", "type": "text/plain", "token": True},
        "none": {"content": b"", "token": True},
        "invalid_utf8": {"content": urlencode(fields).encode() + b"&title=caf\xe9\xff&body=%ff%fe"},
        "raw_utf8": {"content": "&".join(f"{k}={v}" for k, v in fields).encode("utf-8", "replace")},
        "multipart": {"files": {"upload": ("a.txt", b"hello")}, "data": dict(fields), "token": True},
        "huge": {"content": urlencode([*fields, ("body", "x" * 1_100_000)]).encode()},
    }
    kind = kinds[shot.body]
    if kind.get("token"):
        headers["X-CSRF-Token"] = token
    args: dict = {"headers": headers}
    if "files" in kind:
        args.update(files=kind["files"], data=kind["data"])
    elif kind["content"]:
        args["content"] = kind["content"]
        headers["Content-Type"] = kind.get("type", "application/x-www-form-urlencoded")
    return {"method": shot.method, "url": url, **args}


def _json_value(value: str) -> object:
    """Numbers as JSON numbers (huge ones too), a few as lists or booleans, the rest as strings."""
    if value.lstrip("-").isascii() and value.lstrip("-").isdigit() and len(value) < 400:
        return int(value)
    return {"true": True, "[]": [], "x" * 5: [value] * 3}.get(value, value)


# ---- the run

SESSION_CHANGING = ("/login", "/logout", "/signup", "/settings")


@pytest.fixture
async def fuzz_app(settings, tmp_path):
    """The app with limits that would otherwise turn Mallory's flood into 429s before it reaches the views."""
    from asgi_lifespan import LifespanManager

    from tests.conftest import _reset_state

    generous = _replace(settings, **{name: 10**6 for name in (
        "login_attempts_per_minute", "login_attempts_per_ip_per_hour", "login_failures_per_account_per_hour",
        "ideas_per_hour", "signups_per_hour", "password_resets_per_hour", "comments_per_minute", "votes_per_minute",
        "reports_per_hour", "follows_per_minute", "searches_per_minute", "api_requests_per_minute",
        "edits_per_minute")})
    application = create_app(generous)
    async with LifespanManager(application) as manager:
        await _reset_state(generous)
        yield manager.app, application


async def _world(make_idea) -> tuple[dict[str, User], dict[str, list[str]]]:
    """The cast, and real ids for every kind of path parameter (ideas public, internal, hidden and launched)."""
    from ideaboard.accounts import create_user
    from ideaboard.api_keys import create_key
    from ideaboard.comments import add_comment
    from ideaboard.models import Campaign, Category, Idea, Space, Status

    people = {
        "customer": await create_user("alice@example.com", "Alice Martin", PASSWORD, Role.CUSTOMER),
        "staff": await create_user("sam@brewline.example", "Sam Rivera", PASSWORD, Role.STAFF),
        "admin": await create_user("ada@brewline.example", "Ada Okafor", PASSWORD, Role.ADMIN),
        "employee": await create_user("erin@brewline.example", "Erin Cho", PASSWORD, Role.EMPLOYEE),
    }
    category = await Category.create(name="Mobile app", slug="mobile-app", position=0)
    ideas = [await make_idea(people["customer"], "Dark mode for the mobile app", category=category),
             await make_idea(people["employee"], "Internal roadmap tool", space=Space.INTERNAL),
             await make_idea(people["customer"], "Hidden idea about wifi"),
             await make_idea(people["customer"], "Launched loyalty card")]
    await Idea.filter(id=ideas[2].id).update(hidden=True)
    await Idea.filter(id=ideas[3].id).update(status=Status.LAUNCHED)
    comment = await add_comment(ideas[0], people["customer"], "Yes please")
    flag = await Flag.create(reporter=people["customer"], idea=ideas[0], reason="Looks like spam")
    tweet = await Tweet.create(id="1790000000000000001", text="dark mode please", author_id="42",
                               url="https://x.com/someone/status/1790000000000000001",
                               conversation_id="1790000000000000001")
    linked = await LinkedIdentity.create(user=people["customer"], provider="x", issuer="https://x.com", subject="42",
                                         username="alice_sips")
    conversation = await Conversation.create(x_conversation_id=tweet.id, author_id="42", author_username="someone")
    keys = {"customer_key": await create_key(people["admin"], people["customer"], "fuzz", ["read", "write"]),
            "staff_key": await create_key(people["admin"], people["staff"], "fuzz", ["read", "write", "staff"])}
    spare = await create_key(people["admin"], people["employee"], "spare", ["read"])
    feedback = await CapturedFeedback.create(idea=ideas[0], customer=people["customer"], captured_by=people["staff"],
                                             source="sales call")
    opens = datetime.now(UTC) - timedelta(days=1)
    campaigns = [await Campaign.create(slug="greener-cups", title="Greener cups", opens_at=opens,
                                       closes_at=opens + timedelta(days=7), vote_budget=3),
                 await Campaign.create(slug="rota-tools", title="Rota tools", space=Space.INTERNAL, opens_at=opens,
                                       closes_at=opens + timedelta(hours=1))]
    await Idea.filter(id=ideas[0].id).update(campaign_id=campaigns[0].id)
    slugs = await _themes(ideas)
    ids = {"feedback_id": [str(feedback.id)], "idea_id": [str(i.id) for i in ideas],
           "campaign_id": [str(c.id) for c in campaigns], "key": ["greener-cups", "rota-tools", "1", "under_review"],
           "comment_id": [str(comment.id)], "key_id": [str(spare.key.id)],
           "user_id": [str(p.id) for p in people.values()], "category_id": [str(category.id)],
           "flag_id": [str(flag.id)], "tweet_id": [tweet.id],
           "conversation_id": [str(conversation.id)],
           "identity_id": [str(linked.id)], "chunk": ["0", "1"], "slug": slugs}
    people_and_keys: dict = {**people, **{name: new.token for name, new in keys.items()}}
    return people_and_keys, ids


async def _themes(ideas) -> list[str]:
    """A clustering run with a published theme (the public and internal ideas) and an unpublished one; their slugs."""
    from ideaboard.models import Cluster, ClusterRun, IdeaCluster, Theme

    run = await ClusterRun.create(method="fuzz", idea_count=len(ideas), cluster_count=2, finished=True)
    for number, slug, published, members in ((0, "dark-mode", True, ideas[:2]), (1, "loyalty", False, ideas[3:])):
        await Theme.create(run=run, number=number, name=slug, slug=slug, published=published, size=len(members))
        cluster = await Cluster.create(run=run, number=number, label=slug, size=len(members), theme=number)
        for idea in members:
            await IdeaCluster.create(run=run, cluster=cluster, idea=idea)
    return ["dark-mode", "loyalty"]


async def _client(asgi, person: User | str | None) -> tuple[Browserless, str]:
    """A persona's browser (logged in), or for an API key (a str) a client that sends only the key."""
    key = {"Authorization": f"Bearer {person}"} if isinstance(person, str) else {}
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi, raise_app_exceptions=False),
                             base_url="http://testserver", timeout=60, headers=key)
    client = Browserless(http)
    if isinstance(person, str):
        return client, ""
    if person is not None:
        await client.login(person.email)
    return client, await client.csrf("/login" if person is None else "/")


async def test_no_input_anywhere_makes_a_500_or_an_error_in_the_log(fuzz_app, make_idea, caplog):
    asgi, application = fuzz_app
    people, ids = await _world(make_idea)
    roles = {p.id: p.role for p in people.values() if isinstance(p, User)}
    table = endpoints(application.routes)
    clients = {name: await _client(asgi, people.get(name)) for name in PERSONAS}
    loop = asyncio.get_running_loop()
    failures: list[str] = []
    caplog.set_level(logging.WARNING)

    async def fire(shot: Shot) -> None:
        client, token = clients[shot.persona]
        response = await client.http.request(**request_args(shot, token))
        if response.status_code >= 500 or "Traceback" in response.text:
            failures.append(f"{response.status_code} {shot}")
        if shot.method != "GET" and "/admin/users" in shot.path:  # Mallory-as-admin may demote the cast
            for uid, role in roles.items():
                await User.filter(id=uid).update(role=role, is_active=True)
        if shot.method != "GET" and ("/api-keys" in shot.path or "/tokens" in shot.path):  # she may revoke her keys
            await ApiKey.filter(name="fuzz").update(revoked_at=None)
        if shot.path.startswith(SESSION_CHANGING) and response.status_code == 303:  # logged in, out or as another
            await clients[shot.persona][0].http.aclose()
            clients[shot.persona] = await _client(asgi, people.get(shot.persona))

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    @given(shots(ids, table))
    def run(shot: Shot) -> None:
        asyncio.run_coroutine_threadsafe(fire(shot), loop).result()

    await asyncio.to_thread(run)
    for client, _ in clients.values():
        await client.http.aclose()
    errors = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not failures, f"{len(failures)} server errors, first ones:\n" + "\n".join(failures[:10])
    assert not errors, f"{len(errors)} errors logged, first ones:\n" + "\n".join(errors[:10])

