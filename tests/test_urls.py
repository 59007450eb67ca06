"""One URL builder: every path it makes is one the route table serves, and templates and views link only through it."""

import inspect
import re
from pathlib import Path

import pytest
from starlette.routing import Match, Mount, compile_path

from ideaboard.app import HOT_FIRST, build_routes
from ideaboard.urls import Urls, urls

TEMPLATES = Path(__file__).parent.parent / "ideaboard" / "templates"
VIEWS = Path(__file__).parent.parent / "ideaboard" / "views"


def served(routes=None, prefix: str = "") -> list[tuple[re.Pattern, set[str]]]:
    """(path regex, methods) for every endpoint in the route table; static files as one prefix."""
    found = []
    for route in build_routes() if routes is None else routes:
        if isinstance(route, Mount) and route.routes:
            found += served(route.routes, prefix + route.path)
        elif isinstance(route, Mount):
            found.append((re.compile(re.escape(prefix + route.path) + "/.+"), {"GET"}))
        else:
            found.append((compile_path(prefix + route.path)[0], set(route.methods or ())))
    return found


SERVED = served()


def sample_call(name: str) -> str:
    """Call a builder method with made-up arguments of the right kinds."""
    method = getattr(urls, name)
    args = []
    for param in inspect.signature(method).parameters.values():
        if param.kind is param.VAR_KEYWORD or param.default is not param.empty:
            continue
        args.append({"hide": True, "path": "css/app.css", "tweet_id": "1790000000000000001"}.get(param.name, 7))
    return method(*args)


BUILDERS = sorted(name for name, _ in inspect.getmembers(Urls, inspect.isfunction) if not name.startswith("_"))


@pytest.mark.parametrize("name", BUILDERS)
def test_every_builder_makes_a_path_the_route_table_serves(name):
    path = sample_call(name).split("?")[0]
    assert any(pattern.fullmatch(path) for pattern, _ in SERVED), f"urls.{name}() -> {path} is not served"


def test_every_route_has_a_builder():
    made = [sample_call(name).split("?")[0] for name in BUILDERS]
    made += [urls.staff_idea_hidden(7, False), urls.staff_comment_hidden(7, False)]
    unreached = [p.pattern for p, _ in SERVED if not any(p.fullmatch(path) for path in made)]
    assert unreached == []


def test_query_strings_are_encoded_and_empty_ones_left_out():
    assert urls.login(next="/ideas/7") == "/login?next=/ideas/7"
    assert urls.login(next="/search?q=a&b") == "/login?next=/search%3Fq%3Da%26b"
    assert urls.board(tag="café", category=None) == "/?tag=caf%C3%A9"
    assert urls.new_idea("internal") == "/ideas/new?space=internal" and urls.new_idea("public") == "/ideas/new"
    assert urls.staff_queue() == "/staff/" and urls.staff_queue(owner="mine") == "/staff/?owner=mine"


def test_no_template_writes_a_path_by_hand():
    literal = re.compile(r'(?:href|action|hx-get|hx-post|src)="/|\{\{[^}]*\'/')
    found = [f"{p.relative_to(TEMPLATES)}: {m.group(0)}" for p in TEMPLATES.rglob("*.html")
             for m in literal.finditer(p.read_text())]
    assert found == []


def test_no_view_redirects_to_a_path_written_by_hand():
    literal = re.compile(r'(?:see_other|back|redirect|RedirectResponse)\((?:request, )?f?["\']/')
    found = [f"{p.name}: {m.group(0)}" for p in VIEWS.glob("*.py") for m in literal.finditer(p.read_text())]
    assert found == []


def test_no_other_route_serves_the_paths_of_the_routes_tried_first():
    """The vote's route is tried before the rest of the table: it must be the only one that would answer a vote."""
    routes = build_routes()
    assert [getattr(route, "name", None) for route in routes[:len(HOT_FIRST)]] == list(HOT_FIRST)
    for name, path in [("vote", "/ideas/123/vote"), ("vote", "/ideas/123/vote/")]:
        for method in ("POST", "GET"):
            scope = {"type": "http", "path": path, "method": method, "root_path": "", "headers": []}
            answering = [getattr(route, "name", None) for route in routes[len(HOT_FIRST):]
                         if route.matches(scope)[0] != Match.NONE]
            assert answering == [], (name, path, method)
