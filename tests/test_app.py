"""The route table in app.py is the access map: who may reach which URL is read, and checked, in one place."""

import gc

from asgi_lifespan import LifespanManager
from starlette.routing import Mount, Route

from ideaboard.app import ADMINS, STAFF, build_routes, create_app
from ideaboard.auth import RequireRole
from ideaboard.models import Role


def role_checks(mount: Mount) -> tuple:
    """The roles each RequireRole wrapped around this Mount lets through, outermost first."""
    checks, app = [], mount.app
    while isinstance(app, RequireRole):
        checks.append(app.roles)
        app = app.app
    return tuple(checks)


def walk(routes, prefix: str = "", guards: tuple = (), names: str = ""):
    """(full path, full name, route, the role checks of every Mount above it) for each endpoint."""
    for route in routes:
        if isinstance(route, Mount) and route.routes:
            yield from walk(route.routes, prefix + route.path, guards + role_checks(route), f"{names}{route.name}:")
        else:
            yield prefix + route.path, names + (route.name or ""), route, guards


ROUTES = list(walk(build_routes()))


def test_every_staff_url_is_behind_the_staff_role_check():
    staff_urls = [(path, guards) for path, _, _, guards in ROUTES if path.startswith("/staff")]
    assert len(staff_urls) > 20
    assert all(guards and guards[0] == STAFF for _, guards in staff_urls), [p for p, g in staff_urls if not g]
    assert Role.CUSTOMER not in STAFF and Role.EMPLOYEE not in STAFF


def test_every_admin_url_also_needs_the_admin_role():
    admin_urls = [(path, guards) for path, _, _, guards in ROUTES if path.startswith("/staff/admin")]
    assert {p for p, _ in admin_urls} >= {"/staff/admin/categories", "/staff/admin/users/{user_id:id}/role"}
    assert all(guards == (STAFF, ADMINS) for _, guards in admin_urls)


def test_nothing_outside_staff_carries_a_role_check_or_hides_a_staff_page():
    outside = [(path, guards) for path, _, _, guards in ROUTES if not path.startswith("/staff")]
    assert all(guards == () for _, guards in outside)


def test_every_route_has_a_unique_name_and_an_endpoint_in_a_view_module():
    names = [name for _, name, _, _ in ROUTES]
    assert all(not name.endswith(":") for name in names), "every route is named"
    assert len(names) == len(set(names))
    endpoints = [route.endpoint for _, _, route, _ in ROUTES if isinstance(route, Route)]
    assert len(endpoints) == len(ROUTES) - 1  # all but the static files
    # HTML views live in ideaboard/views/, the REST API's (wrapped by api.operations.operation) in ideaboard/api/
    assert all(endpoint.__module__.startswith(("ideaboard.views.", "ideaboard.api.")) for endpoint in endpoints)


def test_view_modules_keep_no_route_lists():
    from ideaboard.views import account, clusters, community, flags, public, similar, social, staff

    for module in (account, clusters, community, flags, public, similar, social, staff):
        assert not [name for name in vars(module) if name.endswith("routes")], module.__name__


async def test_a_served_app_freezes_its_started_heap_out_of_the_collector_until_it_stops(settings):
    assert gc.get_freeze_count() == 0
    async with LifespanManager(create_app(settings, freeze_heap=True)):
        assert gc.get_freeze_count() > 10_000  # modules, templates, the ORM's tables: never walked by a full pass
    assert gc.get_freeze_count() == 0
