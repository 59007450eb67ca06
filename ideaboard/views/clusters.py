"""Staff clusters view: groups of similar ideas found by the worker, merged in one click; themes published on the
board; the theme map."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import clusters, inputs, theme_board, theme_map
from ideaboard.auth import staff_user
from ideaboard.errors import NotAllowed, NotFound
from ideaboard.i18n import gettext as _
from ideaboard.i18n import ngettext
from ideaboard.models import Theme
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import form_data, form_list, not_found, see_other


async def cluster_list(request: Request) -> Response:
    sort = request.query_params.get("sort")
    sort = sort if sort in ("growth", "tweets") else "votes"
    theme = await _theme_of_run(request)
    run, ranked = await clusters.ranked_clusters(sort=sort, theme=theme.number if theme else None)
    themes = await clusters.ranked_themes(run, sort="growth" if sort == "growth" else "votes")
    return render(request, "staff/clusters.html", {"run": run, "clusters": ranked, "themes": themes, "sort": sort,
                                                   "theme": theme, "section": "clusters"})


async def _theme_of_run(request: Request) -> Theme | None:
    """`?theme=` (a slug) on the clusters view: that theme's clusters only; unknown in the current run is a 404."""
    slug = inputs.query_text(request, "theme", max_length=80)
    if not slug:
        return None
    run = await clusters.current_run()
    theme = await Theme.get_or_none(run_id=run.id, slug=slug) if run else None
    if theme is None:
        raise not_found("theme")
    return theme


async def publish_theme(request: Request) -> Response:
    """Show (published=1) or withdraw (published=0) a theme on the board; audited."""
    data = await form_data(request)
    published = data.get("published") == "1"
    try:
        theme = await theme_board.set_published(request.path_params["slug"], published, staff_user(request))
    except NotFound:
        flash(request, _("That theme is no longer in the current clustering run: reload and try again."), "error")
        return see_other(urls.staff_clusters())
    name = theme_board.short_name(theme)
    flash(request, _("“%(name)s” is on the board at %(url)s.", name=name, url=urls.board(theme=theme.slug)) if published
          else _("“%(name)s” is no longer on the board.", name=name), "success")
    return see_other(urls.staff_clusters() + f"#theme-{theme.slug}")


async def theme_map_page(request: Request) -> Response:
    """Themes by growth (or by tweets this week), each opening into its clusters."""
    sort = request.query_params.get("sort")
    sort = sort if sort in theme_map.SORTS else "growth"
    run, items = await theme_map.theme_map(sort)
    return render(request, "staff/theme_map.html", {"run": run, "items": items, "sort": sort,
                                                    "section": "clusters"})


async def merge_cluster(request: Request) -> Response:
    """Merge the checked ideas into the chosen canonical idea (the staff merge rules apply to each)."""
    canonical = inputs.id_or_none((await form_data(request)).get("canonical"))
    selected = inputs.ids(await form_list(request, "idea"))
    if canonical is None or len(selected) < 2:
        flash(request, _("Tick at least two ideas and choose the one to keep."), "error")
        return see_other(urls.staff_clusters())
    try:
        merged, problems = await clusters.merge_selected(canonical, selected, staff_user(request))
    except NotAllowed as exc:
        flash(request, str(exc), "error")
        return see_other(urls.staff_clusters())
    message = ngettext("Merged %(num)s idea into #%(canonical)s.", "Merged %(num)s ideas into #%(canonical)s.", merged,
                       canonical=canonical)
    flash(request, " ".join([message, *problems]), "error" if problems else "success")
    return see_other(urls.staff_clusters())
