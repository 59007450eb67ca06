"""Staff clusters view: groups of similar ideas found by the worker, merged in one click."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import clusters, inputs
from ideaboard.auth import staff_user
from ideaboard.errors import NotAllowed
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import form_data, form_list, see_other


async def cluster_list(request: Request) -> Response:
    sort = request.query_params.get("sort")
    sort = sort if sort in ("growth", "tweets") else "votes"
    run, ranked = await clusters.ranked_clusters(sort=sort)
    themes = await clusters.ranked_themes(run, sort="growth" if sort == "growth" else "votes")
    return render(request, "staff/clusters.html", {"run": run, "clusters": ranked, "themes": themes, "sort": sort,
                                                   "section": "clusters"})


async def merge_cluster(request: Request) -> Response:
    """Merge the checked ideas into the chosen canonical idea (the staff merge rules apply to each)."""
    canonical = inputs.id_or_none((await form_data(request)).get("canonical"))
    selected = inputs.ids(await form_list(request, "idea"))
    if canonical is None or len(selected) < 2:
        flash(request, "Tick at least two ideas and choose the one to keep.", "error")
        return see_other(urls.staff_clusters())
    try:
        merged, problems = await clusters.merge_selected(canonical, selected, staff_user(request))
    except NotAllowed as exc:
        flash(request, str(exc), "error")
        return see_other(urls.staff_clusters())
    message = f"Merged {merged} idea{'s' if merged != 1 else ''} into #{canonical}."
    flash(request, " ".join([message, *problems]), "error" if problems else "success")
    return see_other(urls.staff_clusters())
