"""Themes on the board: Sam publishes a theme, customers filter the board by it, and its URL outlives re-clustering."""

from __future__ import annotations

from bs4 import BeautifulSoup

from ideaboard.accounts import create_user
from ideaboard.models import AuditEntry, Cluster, ClusterRun, Idea, IdeaCluster, Role, Space, Theme
from tests.conftest import PASSWORD
from tests.test_cluster_jobs import IDEAS  # the same eight ideas: three dark-mode requests, two oat-milk ones
from workers.cluster_jobs import place_idea, recluster_ideas
from workers.themes import carry_over

INTERNAL = ("Dark mode for the staff rota app", "The rota app is too bright on night shifts.")


async def carla():
    """Carla, a customer who only ever reads the board."""
    return await create_user("carla@example.com", "Carla Reyes", PASSWORD, Role.CUSTOMER)


async def board_with_themes(make_idea, alice, erin, worker_ctx) -> dict[str, Theme]:
    """Alice's public ideas and Erin's internal one, clustered: each idea's theme (of the current run) by title."""
    for title, body in IDEAS:
        await make_idea(alice, title, body)
    await make_idea(erin, *INTERNAL, space=Space.INTERNAL)
    await recluster_ideas(worker_ctx)
    return await themes_by_title()


async def themes_by_title() -> dict[str, Theme]:
    run = await ClusterRun.filter(finished=True).order_by("-id").first()
    themes = {t.number: t for t in await Theme.filter(run=run)}
    rows = await IdeaCluster.filter(run=run).values_list("idea__title", "cluster__theme")
    return {title: themes[number] for title, number in rows}


def titles(page: str) -> list[str]:
    return [a.text.strip() for a in BeautifulSoup(page, "html.parser").select(".idea-title a")]


async def publish(client, theme: Theme, published: bool = True):
    return await client.post(f"/staff/themes/{theme.slug}/publish", {"published": "1" if published else "0"})


async def test_sam_publishes_a_theme_and_carla_sees_only_its_public_ideas(browser_for, alice, erin, sam,
                                                                           make_idea, worker_ctx):
    theme_of = await board_with_themes(make_idea, alice, erin, worker_ctx)
    dark = theme_of["Dark mode for the mobile app"]
    staff = await browser_for(sam)
    clusters_page = BeautifulSoup((await staff.get("/staff/clusters")).text, "html.parser")
    row = clusters_page.select_one(f"#theme-{dark.slug}")
    assert row.select_one("button").text == "Publish on the board"

    response = await publish(staff, dark)
    assert response.status_code == 303
    entry = await AuditEntry.get(action="theme.publish")
    assert entry.actor_id == sam.id and entry.detail["slug"] == dark.slug
    after = BeautifulSoup((await staff.get("/staff/clusters")).text, "html.parser")
    assert after.select_one(f"#theme-{dark.slug} button").text == "Take off the board"

    reader = await browser_for(await carla())
    page = await reader.get(f"/?theme={dark.slug}")
    assert page.status_code == 200
    expected = sorted(t for t, th in theme_of.items() if th.slug == dark.slug and t != INTERNAL[0])
    assert sorted(titles(page.text)) == expected and "Dark mode for the mobile app" in expected
    assert INTERNAL[0] not in page.text  # Erin's idea may be in the theme; it stays inside the company
    assert not set(titles(page.text)) & {t for t, th in theme_of.items() if th.slug != dark.slug}
    soup = BeautifulSoup(page.text, "html.parser")
    option = soup.select_one(f'#f-theme option[value="{dark.slug}"]')
    assert option.has_attr("selected") and option.text.endswith(f"({len(expected)})")  # public ideas only
    assert soup.select_one(".chip-theme").text.startswith(dark.name.split(" (")[0])

    board = BeautifulSoup((await reader.get("/")).text, "html.parser")
    assert [o["value"] for o in board.select("#f-theme option")] == ["", dark.slug]  # only the published one


async def test_an_unpublished_theme_is_a_clear_404_and_never_listed(browser_for, visitor, alice, erin, sam,
                                                                    make_idea, worker_ctx):
    theme_of = await board_with_themes(make_idea, alice, erin, worker_ctx)
    dark, other = theme_of["Dark mode for the mobile app"], theme_of["Save my usual order"]
    assert dark.slug != other.slug
    missing = await visitor.get(f"/?theme={other.slug}")
    assert missing.status_code == 404 and "This theme does not exist" in missing.text
    assert (await visitor.get("/?theme=no-such-theme")).status_code == 404
    assert 'id="f-theme"' not in (await visitor.get("/")).text  # nothing published: no theme filter at all

    staff = await browser_for(sam)
    await publish(staff, dark)
    await publish(staff, dark, published=False)
    assert await AuditEntry.filter(action="theme.unpublish").count() == 1
    assert (await visitor.get(f"/?theme={dark.slug}")).status_code == 404
    assert 'id="f-theme"' not in (await visitor.get("/")).text
    too_long = "·" * 200  # longer than any slug: a plain "no such theme", never a 500
    assert (await visitor.get(f"/?theme={too_long}")).status_code == 404
    refused = await staff.post(f"/staff/themes/{too_long}/publish", {"published": "1"})
    assert refused.status_code == 303 and "no longer in the current clustering run" in (
        await staff.get(refused.headers["location"])).text


async def test_customers_cannot_publish_a_theme(browser_for, alice, erin, make_idea, worker_ctx):
    theme_of = await board_with_themes(make_idea, alice, erin, worker_ctx)
    dark = theme_of["Dark mode for the mobile app"]
    assert (await publish(await browser_for(alice), dark)).status_code == 403
    assert not (await Theme.get(id=dark.id)).published


async def test_a_recluster_keeps_the_published_themes_url(browser_for, visitor, alice, bob, erin, sam,
                                                          make_idea, worker_ctx):
    theme_of = await board_with_themes(make_idea, alice, erin, worker_ctx)
    dark = theme_of["Dark mode for the mobile app"]
    await publish(await browser_for(sam), dark)
    await make_idea(bob, "Night mode for the app", "Dark theme please, the app is too bright at night.")
    await recluster_ideas(worker_ctx)

    again = await themes_by_title()
    assert again["Dark mode for the mobile app"].id != dark.id  # a new row of the new run ...
    assert again["Dark mode for the mobile app"].slug == dark.slug  # ... that continues the published theme
    assert again["Dark mode for the mobile app"].published
    page = await visitor.get(f"/?theme={dark.slug}")
    assert page.status_code == 200 and "Dark mode for the mobile app" in titles(page.text)
    assert not any(t.published for title, t in again.items() if t.slug != dark.slug)


def test_a_new_theme_continues_the_old_one_it_shares_most_ideas_with():
    old = {"dark-mode": {1, 2, 3, 4}, "oat-milk": {5, 6}, "lids": {7}}
    new = {0: {1, 2, 3, 9}, 1: {5, 6, 7, 8}, 2: {10, 11}}
    assert carry_over(new, old) == {0: "dark-mode", 1: "oat-milk"}  # lids dissolved into oat milk's; 2 is new
    assert carry_over({0: {1, 2, 3, 4, 5, 6}}, old) == {0: "dark-mode"}  # one new theme continues one old theme
    assert carry_over({0: {1, 20, 21, 22, 23}}, old) == {}  # a theme sharing too little is a new topic


async def test_the_board_counts_a_theme_by_the_viewers_space(browser_for, erin, alice, sam, make_idea, worker_ctx):
    theme_of = await board_with_themes(make_idea, alice, erin, worker_ctx)
    internal_theme = theme_of[INTERNAL[0]]
    await publish(await browser_for(sam), internal_theme)
    public = [t for t, th in theme_of.items() if th.slug == internal_theme.slug and t != INTERNAL[0]]
    board = BeautifulSoup((await (await browser_for(alice)).get("/")).text, "html.parser")
    option = board.select_one(f'#f-theme option[value="{internal_theme.slug}"]')
    assert option is not None and option.text.endswith(f"({len(public)})")
    inside = BeautifulSoup((await (await browser_for(erin)).get("/internal")).text, "html.parser")
    assert inside.select_one(f'#f-theme option[value="{internal_theme.slug}"]').text.endswith("(1)")
    assert await Idea.filter(space=Space.INTERNAL).count() == 1
    assert await Cluster.filter(theme=internal_theme.number, run_id=internal_theme.run_id).exists()


async def test_ideas_placed_between_runs_join_their_clusters_theme_or_none(browser_for, visitor, alice, bob, erin,
                                                                          sam, make_idea, worker_ctx):
    theme_of = await board_with_themes(make_idea, alice, erin, worker_ctx)
    dark = theme_of["Dark mode for the mobile app"]
    await publish(await browser_for(sam), dark)
    similar = await make_idea(bob, "Dark mode for the app at night", "A dark theme, the app is blinding at night.")
    unlike = await make_idea(bob, "Parking spaces for bikes", "Racks outside every store.")
    assert await place_idea(worker_ctx, similar.id) is not None
    await place_idea(worker_ctx, unlike.id)
    shown = titles((await visitor.get(f"/?theme={dark.slug}")).text)
    assert "Dark mode for the app at night" in shown  # joined a dark-mode cluster, so the theme
    assert "Parking spaces for bikes" not in shown  # a cluster of its own: in no theme until the next full run
