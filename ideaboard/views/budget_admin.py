"""The admin's vote budgets page: per board (space), N votes per member, at most M on one idea, demotes off or free."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import board_budget
from ideaboard.auth import staff_user
from ideaboard.forms import FormErrors
from ideaboard.i18n import gettext as _
from ideaboard.models import Space
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import form_data, see_other


async def _page(request: Request, status_code: int = 200, space: str = "", values: dict | None = None,
                errors: dict | None = None) -> Response:
    stored = await board_budget.settings()
    if space:
        stored[space] = {k: (values or {}).get(k, "") for k in board_budget.FIELDS}
    return render(request, "staff/vote_budgets.html", {
        "section": "admin", "boards": [(s.value, stored[s.value]) for s in Space], "error_space": space,
        "errors": errors or {}}, status_code=status_code)


async def vote_budgets_page(request: Request) -> Response:
    """GET: each board's setting; POST: save one board's (the /staff/admin Mount lets only admins in)."""
    if request.method == "GET":
        return await _page(request)
    data = await form_data(request)
    values = {k: (data.get(k) or "")[:20] for k in board_budget.FIELDS}
    space = data.get("space") or ""
    if space not in {s.value for s in Space}:
        return await _page(request, 422, errors={"space": _("Choose the public or the internal board.")})
    try:
        form = board_budget.parse(values)
    except FormErrors as exc:
        return await _page(request, 422, space, values, exc.errors)
    await board_budget.save(staff_user(request), Space(space), form)
    board = _("The internal board") if space == Space.INTERNAL.value else _("The public board")
    if form.vote_budget:
        flash(request, _("%(board)s now gives each member %(total)s votes, at most %(per_idea)s on one idea.",
                         board=board, total=form.vote_budget, per_idea=form.max_votes_per_idea))
    else:
        flash(request, _("%(board)s is back to promote and demote.", board=board))
    return see_other(urls.admin_vote_budgets())
