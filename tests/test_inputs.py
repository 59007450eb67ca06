"""Input from outside: numbers are ASCII and in range, text has no control characters, form bodies are bounded UTF-8.

Mallory sends what no form would; every answer is a page in the normal layout (400, 404, 413, 422), never a 500.
"""

import pytest
from starlette.convertors import IntegerConvertor
from starlette.routing import Mount, Route

from ideaboard import inputs
from ideaboard.app import build_routes
from ideaboard.models import AuditEntry, Comment, Idea, User, Vote

BIG_IDS = ["2147483648", "99999999999999999999", "9" * 400]


def all_routes(routes, prefix=""):
    for route in routes:
        if isinstance(route, Mount):
            yield from all_routes(route.routes or [], prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path, route


def test_every_route_takes_its_ids_through_the_range_checked_convertor():
    unchecked = [path for path, route in all_routes(build_routes())
                 if any(isinstance(c, IntegerConvertor) for c in route.param_convertors.values())]
    assert not unchecked, f"use {{name:id}}, not :int, in {unchecked}"
    assert any(isinstance(c, inputs.IdConvertor) for _, r in all_routes(build_routes())
               for c in r.param_convertors.values())


@pytest.mark.parametrize("raw", ["²", "①", "١٢", "1e3", " ", "", "-1", "0x10", "1_000", "9" * 30])
def test_numbers_are_ascii_digits_in_range(raw):
    with pytest.raises(inputs.Invalid) as caught:
        inputs.to_int(raw, "page", low=1, high=1000)
    assert "“page” must be a whole number from 1 to 1,000" in caught.value.message


def test_ids_beyond_the_database_range_are_nothing_rather_than_malformed():
    assert inputs.to_id("2147483647") == inputs.INT_MAX
    with pytest.raises(inputs.NoSuchId):
        inputs.to_id("2147483648")
    with pytest.raises(inputs.Invalid):
        inputs.to_id("²")
    assert inputs.ids(["3", "①", "2147483648", "3", "4"]) == [3, 4]


def test_control_characters_are_refused_in_parameters_and_stripped_from_forms():
    with pytest.raises(inputs.Invalid, match="control character"):
        inputs.to_text("dark\x00", "q")
    assert inputs.to_text("  dark mode ", "q") == "dark mode"
    pairs, stripped = inputs.clean_pairs([("title", "Dark\x00 mode\x1b"), ("body", "line one\nline\ttwo")])
    assert pairs == [("title", "Dark mode"), ("body", "line one\nline\ttwo")] and stripped


@pytest.mark.parametrize("big", BIG_IDS)
async def test_ids_nothing_can_have_are_404_pages_everywhere(browser_for, visitor, sam, alice, big):
    for path in (f"/ideas/{big}", f"/users/{big}", f"/ideas/{big}/edit", f"/comments/{big}/report"):
        response = await visitor.get(path)
        assert response.status_code == 404 and "We couldn't find that" in response.text, path
    staff = await browser_for(sam)
    for path in (f"/staff/ideas/{big}", f"/staff/ideas/{big}/share"):
        assert (await staff.get(path)).status_code == 404, path
    for path in (f"/staff/ideas/{big}/status", f"/staff/comments/{big}/hide", f"/staff/flags/{big}/dismiss"):
        assert (await staff.post(path, {"to_status": "planned"})).status_code == 404, path
    customer = await browser_for(alice)
    for path in (f"/ideas/{big}/vote", f"/ideas/{big}/comments", f"/ideas/{big}/follow"):
        assert (await customer.post(path, {"value": "up", "body": "hi"})).status_code == 404, path
    assert not await Vote.exists() and not await Comment.exists()


async def test_oversized_cursors_fall_back_to_the_first_page(visitor, alice, make_idea):
    idea = await make_idea(alice)
    for query in ("/?after=1.0:2147483648", "/?before=1.0:99999999999999999999", "/?sort=top&after=2147483648:1",
                  "/?sort=new&after=99999999999999999999999:1", "/?after=1.0:%C2%B2"):
        response = await visitor.get(query)
        assert response.status_code == 200 and idea.title in response.text, query
    page = await visitor.get(f"/ideas/{idea.id}?comments_before=1:2147483648")
    assert page.status_code == 200 and idea.title in page.text


@pytest.mark.parametrize("query", ["/?page=%C2%B2", "/?page=%E2%91%A0", "/?page=-1", "/?page=99999999999",
                                   "/search?q=dark&page=%C2%B2", "/search?q=dark%00", "/?tag=a%00b",
                                   "/?category=a%00"])
async def test_malformed_parameters_get_a_400_page_in_the_normal_layout(visitor, query):
    response = await visitor.get(query)
    assert response.status_code == 400, query
    assert "That request was not understood" in response.text and 'href="/static/css/app.css"' in response.text


async def test_the_staff_console_refuses_unicode_digits_and_huge_numbers(browser_for, sam, alice, make_idea):
    idea = await make_idea(alice)
    other = await make_idea(alice, "Night theme in the app")
    staff = await browser_for(sam)
    assert (await staff.get("/staff/audit?actor=%C2%B2")).status_code == 400
    assert (await staff.get("/staff/audit?actor=2147483648")).status_code == 404
    assert (await staff.get(f"/staff/audit?actor={sam.id}")).status_code == 200
    for owner in ("²", "2147483648", "99999999999999999999"):
        response = await staff.post(f"/staff/ideas/{idea.id}/owner", {"owner": owner, "version": "0"})
        assert response.status_code == 422 and "Choose a teammate" in response.text
    for target in ("①", "2147483648"):
        response = await staff.post(f"/staff/ideas/{idea.id}/merge", {"target": target})
        assert response.status_code == 422 and "existing idea" in response.text
    for version in ("²", "99999999999999999999"):
        response = await staff.post(f"/staff/ideas/{idea.id}/status", {"to_status": "under_review",
                                                                       "version": version})
        assert response.status_code == 422
    response = await staff.post("/staff/bulk", {"action": "claim", "idea": "²"})
    assert response.status_code == 303
    await staff.post("/staff/clusters/merge", {"canonical": "2147483648", "idea": [str(idea.id), str(other.id)]})
    assert (await Idea.get(id=idea.id)).status == "new" and (await Idea.get(id=other.id)).merged_into_id is None


async def test_a_unicode_digit_category_is_a_form_error_with_the_text_kept(browser_for, alice, categories):
    client = await browser_for(alice)
    response = await client.post("/ideas/new", {"title": "Dark mode for the app", "category": "①"})
    assert response.status_code == 422 and "Choose a category from the list" in response.text
    assert "Dark mode for the app" in response.text and not await Idea.exists()


async def test_nul_and_control_characters_are_removed_from_what_people_type(browser_for, alice):
    client = await browser_for(alice)
    response = await client.post("/ideas/new", {"title": "Dark\x00 mode\x1b for the app", "body": "Night\x00\nshift"})
    assert response.status_code == 303
    idea = await Idea.get()
    assert (idea.title, idea.body) == ("Dark mode for the app", "Night\nshift")
    assert "Invisible control characters were removed" in (await client.get(response.headers["location"])).text


async def test_a_nul_in_the_login_email_or_signup_name_is_no_500(visitor):
    token = await visitor.csrf("/login")
    response = await visitor.http.post("/login", data={"email": "a\x00@example.com", "password": "x" * 12,
                                                       "csrf_token": token})
    assert response.status_code == 422
    response = await visitor.http.post("/signup", data={"email": "nul@example.com", "name": "\x00Nul\x00",
                                                        "password": "a long secret pass", "csrf_token": token})
    assert response.status_code == 200 and (await User.get(email="nul@example.com")).name == "Nul"  # check your inbox


async def test_more_than_a_thousand_fields_is_a_413_page_not_a_500(visitor, browser_for, alice):
    token = await visitor.csrf("/login")
    fields = {"email": "a@example.com", "csrf_token": token, **{f"f{n}": "x" for n in range(1001)}}
    response = await visitor.http.post("/login", data=fields)
    assert response.status_code == 413 and "more than 1,000 fields" in response.text
    client = await browser_for(alice)
    token = await client.csrf()
    response = await client.http.post("/ideas/new", data=fields, headers={"X-CSRF-Token": token})
    assert response.status_code == 413 and not await Idea.exists()


async def test_a_body_over_the_limit_is_refused_with_413_not_truncated(browser_for, alice, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(alice)
    token = await client.csrf()
    body = "x" * (inputs.MAX_BODY_BYTES + 10)
    response = await client.http.post(f"/ideas/{idea.id}/comments", data={"csrf_token": token, "body": body})
    assert response.status_code == 413 and "too large" in response.text and body[:5000] not in response.text
    assert not await Comment.exists()


async def test_a_raw_utf8_form_body_is_read_as_utf8_and_invalid_utf8_is_a_400(browser_for, alice):
    client = await browser_for(alice)
    token = await client.csrf()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": token}
    body = "title=Caf\u00e9 cr\u00e8me for everyone&body=Ol\u00e1".encode()
    response = await client.http.post("/ideas/new", content=body, headers=headers)
    assert response.status_code == 303 and (await Idea.get()).title == "Café crème for everyone"
    for bad in (b"title=Caf\xe9 au lait please", b"title=Caf%E9 au lait please"):
        response = await client.http.post("/ideas/new", content=bad, headers=headers)
        assert response.status_code == 400 and "UTF-8" in response.text
    assert await Idea.all().count() == 1


async def test_unknown_methods_and_content_types_are_pages_not_500s(browser_for, alice, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(alice)
    token = await client.csrf()
    response = await client.http.put(f"/ideas/{idea.id}", headers={"X-CSRF-Token": token})
    assert response.status_code == 405 and "That does not work here" in response.text
    response = await client.http.post(f"/ideas/{idea.id}/comments", content=b'{"body": "json"}',
                                      headers={"X-CSRF-Token": token, "Content-Type": "application/json"})
    assert response.status_code == 422 and not await Comment.exists()
    assert not await AuditEntry.exists()


async def test_an_email_longer_than_any_account_is_a_failed_login_not_a_500(visitor):
    token = await visitor.csrf("/login")
    response = await visitor.http.post("/login", data={"email": "a" * 1500 + "@example.com", "password": "x" * 12,
                                                       "csrf_token": token})
    assert response.status_code == 422 and "do not match an account" in response.text
