"""htmx's side of the HTTP contract: redirects htmx can follow, a Vary that names every htmx header, one module."""

import re
from pathlib import Path

from ideaboard.htmx import HEADERS

PACKAGE = Path(__file__).parent.parent / "ideaboard"


def vary_of(response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("vary", "").split(",") if v.strip()}


async def test_pages_and_fragments_name_every_htmx_header_in_vary(visitor, browser_for, alice, make_idea):
    idea = await make_idea(alice)
    wanted = {h.lower() for h in HEADERS}
    assert wanted == {"hx-request", "hx-boosted", "hx-history-restore-request", "hx-request-type", "hx-trigger"}
    assert wanted <= vary_of(await visitor.get("/"))
    assert wanted <= vary_of(await visitor.get("/", headers={"HX-Request": "true"}))
    assert wanted <= vary_of(await visitor.get(f"/ideas/{idea.id}"))  # the bell is counted on full pages only
    member = await browser_for(alice)
    assert wanted <= vary_of(await member.post(f"/ideas/{idea.id}/follow", {"follow": "1"}, htmx=True))
    assert vary_of(await visitor.get("/static/css/app.css")) == set()


async def test_a_page_kept_by_the_visitor_cache_still_says_vary(visitor):
    first, second = await visitor.get("/search?q=oat"), await visitor.get("/search?q=oat")
    assert vary_of(first) == vary_of(second) and {h.lower() for h in HEADERS} <= vary_of(second)
    assert [v.strip() for v in second.headers["vary"].split(",")].count("HX-Request") == 1


async def test_log_in_first_is_a_redirect_for_forms_and_an_hx_redirect_for_htmx(visitor, alice, make_idea):
    idea = await make_idea(alice)
    plain = await visitor.post(f"/ideas/{idea.id}/comments", {"body": "Yes please"})
    assert plain.status_code == 303 and plain.headers["location"] == f"/login?next=/ideas/{idea.id}"
    swapped = await visitor.post(f"/ideas/{idea.id}/comments", {"body": "Yes please"}, htmx=True)
    assert swapped.status_code == 200 and swapped.headers["hx-redirect"] == f"/login?next=/ideas/{idea.id}"
    assert "location" not in swapped.headers and swapped.text == ""


def test_only_htmx_py_knows_the_hx_header_names():
    spelled = re.compile(r"['\"]HX-", re.IGNORECASE)
    found = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
             if p.name != "htmx.py" and spelled.search(p.read_text())]
    assert found == []
