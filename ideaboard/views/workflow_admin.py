"""The admin's workflow page: the board's statuses (add, edit, reorder, delete) and the grid of allowed moves."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from tortoise.functions import Count

from ideaboard import status_store, statuses
from ideaboard.auth import staff_user
from ideaboard.forms import FormErrors
from ideaboard.i18n import gettext as _
from ideaboard.i18n import ngettext
from ideaboard.models import Idea
from ideaboard.status_store import WorkflowRefused
from ideaboard.statuses import BUILT_IN, DUPLICATE, FIXED_PHASE, Phase
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import form_data, form_list, not_found, see_other

FIELDS = ("key", "name", "colour", "description", "phase", "after")


async def _held() -> dict[str, int]:
    rows = await Idea.all().group_by("status").annotate(n=Count("id")).values_list("status", "n")
    return {str(k): int(n) for k, n in rows}


async def _page(request: Request, status_code: int = 200, **extra: object) -> Response:
    table = statuses.current()
    context = {"table": table, "phases": list(Phase), "held": await _held(), "built_in": BUILT_IN,
               "fixed_phase": FIXED_PHASE, "duplicate": DUPLICATE, "section": "admin",
               "add_values": {}, "add_errors": {}, "add_from": [], "add_to": [], "edit_key": "", "edit_values": {},
               "edit_errors": {}, "problems": [], "problems_at": "", **extra}
    return render(request, "staff/statuses.html", context, status_code=status_code)


def _key(request: Request) -> str:
    key = request.path_params["key"]
    if not statuses.current().has(key):
        raise not_found()
    return key


def _values(data: dict[str, str]) -> dict[str, str]:
    return {name: (data.get(name) or "")[:400] for name in FIELDS}


async def statuses_page(request: Request) -> Response:
    """GET: the page; POST: add a status (with the moves into and out of it, or nothing could reach it)."""
    if request.method == "GET":
        return await _page(request)
    data = _values(await form_data(request))
    came_from, leads_to = await form_list(request, "from"), await form_list(request, "to")
    again = {"add_values": data, "add_from": came_from, "add_to": leads_to}
    try:
        await status_store.add_status(staff_user(request), data, came_from, leads_to)
    except FormErrors as exc:
        return await _page(request, 422, add_errors=exc.errors, **again)
    except WorkflowRefused as exc:
        return await _page(request, 422, problems=exc.problems, problems_at="add", **again)
    flash(request, _("Status “%(name)s” added.", name=data["name"].strip()))
    return see_other(urls.admin_statuses())


async def edit_status(request: Request) -> Response:
    key, data = _key(request), _values(await form_data(request))
    try:
        await status_store.edit_status(staff_user(request), key, data)
    except FormErrors as exc:
        return await _page(request, 422, edit_key=key, edit_values=data, edit_errors=exc.errors)
    except WorkflowRefused as exc:
        return await _page(request, 422, edit_key=key, edit_values=data, problems=exc.problems, problems_at=key)
    flash(request, _("Status “%(name)s” saved.", name=statuses.current().get(key).name))
    return see_other(urls.admin_statuses())


async def move_status(request: Request) -> Response:
    key, data = _key(request), await form_data(request)
    await status_store.move_status(staff_user(request), key, "up" if data.get("direction") == "up" else "down")
    return see_other(urls.admin_statuses())


async def delete_status(request: Request) -> Response:
    """GET: what deleting means (and where the ideas it holds go); POST: move them, then delete."""
    key = _key(request)
    table = statuses.current()
    held = await status_store.held_by(key)
    context = {"status": table.get(key), "held": held, "section": "admin", "errors": {}, "problems": [],
               "built_in": key in BUILT_IN,
               "targets": [s for s in table.statuses if s.key not in (key, DUPLICATE)], "move_to": ""}
    if request.method == "GET":
        return render(request, "staff/status_delete.html", context)
    move_to = ((await form_data(request)).get("move_to") or "")[:40]
    try:
        moved = await status_store.delete_status(staff_user(request), key, move_to)
    except FormErrors as exc:
        return render(request, "staff/status_delete.html", {**context, "errors": exc.errors, "move_to": move_to},
                      status_code=422)
    except WorkflowRefused as exc:
        return render(request, "staff/status_delete.html", {**context, "problems": exc.problems, "move_to": move_to},
                      status_code=422)
    name = table.get(key).name
    flash(request, ngettext("Status “%(name)s” deleted; %(num)s idea moved to %(target)s.",
                            "Status “%(name)s” deleted; %(num)s ideas moved to %(target)s.", moved, name=name,
                            target=table.get(move_to).name) if moved else _("Status “%(name)s” deleted.", name=name))
    return see_other(urls.admin_statuses())


async def save_transitions(request: Request) -> Response:
    """The grid: one checkbox per allowed move, sent as from>to."""
    pairs = {tuple(v.split(">", 1)) for v in await form_list(request, "move") if v.count(">") == 1}
    try:
        await status_store.save_transitions(staff_user(request), {(a, b) for a, b in pairs})
    except WorkflowRefused as exc:
        return await _page(request, 422, problems=exc.problems, problems_at="grid", grid=pairs)
    flash(request, _("Transitions saved."))
    return see_other(urls.admin_statuses())
