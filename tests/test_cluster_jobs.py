"""The worker finds the duplicates: full runs switch atomically, new ideas join a cluster, staff merge in a click."""

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from ideaboard.models import Cluster, ClusterRun, Idea, IdeaCluster, IdeaTweet, Status, Theme, Tweet, Vote
from ideaboard.votes import cast_vote
from workers import cluster_jobs
from workers.cluster_jobs import place_idea, recluster_ideas

IDEAS = [
    ("Dark mode for the mobile app", "Ordering at night with a bright screen hurts my eyes."),
    ("Dark mode please, the app is blinding", "A night theme for the app."),
    ("Add a dark theme to the app", "Dark mode at night would be easier on the eyes."),
    ("Oat milk at no extra charge", "Plant milks cost 60 cents more."),
    ("Make oat milk free", "Oat milk should cost the same as dairy milk."),
    ("Compostable lids for cups", "The lids cannot be composted."),
    ("Show how busy a store is", "Quiet or busy indicator per store."),
    ("Save my usual order", "One tap to reorder my daily flat white."),
]


async def seed(make_idea, author) -> dict[str, Idea]:
    return {title: await make_idea(author, title, body) for title, body in IDEAS}


async def cluster_of(title: str) -> int:
    run = await ClusterRun.filter(finished=True).order_by("-id").first()
    idea = await Idea.get(title=title)
    return (await IdeaCluster.get(run=run, idea=idea)).cluster_id


async def test_a_full_run_groups_the_same_wish_and_names_the_group(alice, make_idea, worker_ctx):
    await seed(make_idea, alice)
    assert await recluster_ideas(worker_ctx) >= 3
    dark = {await cluster_of(title) for title, _ in IDEAS[:3]}
    assert len(dark) == 1
    assert await cluster_of("Oat milk at no extra charge") == await cluster_of("Make oat milk free")
    assert await cluster_of("Oat milk at no extra charge") not in dark
    label = (await Cluster.get(id=dark.pop())).label
    assert "dark" in label


async def test_a_new_run_replaces_the_old_one_and_old_runs_are_pruned(alice, make_idea, worker_ctx):
    await seed(make_idea, alice)
    for _ in range(3):
        await recluster_ideas(worker_ctx)
    runs = await ClusterRun.all().order_by("id")
    assert len(runs) == cluster_jobs.KEEP_RUNS and all(r.finished for r in runs)
    newest = runs[-1]
    assert await IdeaCluster.filter(run=newest).count() == len(IDEAS)


async def test_a_run_killed_mid_way_leaves_the_previous_clusters_in_place(alice, make_idea, worker_ctx, monkeypatch):
    await seed(make_idea, alice)
    await recluster_ideas(worker_ctx)
    before = await ClusterRun.filter(finished=True).order_by("-id").first()

    async def dies(*args, **kwargs):
        await Cluster.bulk_create([Cluster(run=args[0], number=99, label="half written")])
        raise RuntimeError("worker killed")

    monkeypatch.setattr(cluster_jobs, "_write_clusters", dies)
    with pytest.raises(RuntimeError):
        await recluster_ideas(worker_ctx)
    current = await ClusterRun.filter(finished=True).order_by("-id").first()
    assert current.id == before.id
    assert not await Cluster.filter(label="half written").exists()
    assert await ClusterRun.all().count() == 1


async def test_a_new_idea_joins_the_nearest_cluster_and_running_twice_changes_nothing(alice, make_idea, worker_ctx):
    await seed(make_idea, alice)
    await recluster_ideas(worker_ctx)
    fresh = await make_idea(alice, "Night mode for the app", "Dark theme please, the app is too bright at night.")
    number = await place_idea(worker_ctx, fresh.id)
    assert number is not None
    assert await cluster_of("Night mode for the app") == await cluster_of("Dark mode for the mobile app")
    await place_idea(worker_ctx, fresh.id)
    assert await IdeaCluster.filter(idea=fresh).count() == 1
    unrelated = await make_idea(alice, "Parking spaces for bikes", "Racks outside every store for cyclists.")
    await place_idea(worker_ctx, unrelated.id)
    assert await cluster_of("Parking spaces for bikes") not in {await cluster_of(t) for t, _ in IDEAS}


async def test_staff_see_clusters_ranked_by_votes_and_merge_them_in_one_click(browser_for, alice, bob, sam, make_idea,
                                                                             worker_ctx):
    ideas = await seed(make_idea, alice)
    for title in ("Dark mode for the mobile app", "Dark mode please, the app is blinding"):
        await cast_vote(ideas[title].id, bob, 1)
    await cast_vote(ideas["Oat milk at no extra charge"].id, alice, 1)
    await recluster_ideas(worker_ctx)
    client = await browser_for(sam)
    page = BeautifulSoup((await client.get("/staff/clusters")).text, "html.parser")
    sections = page.select("section.cluster")
    assert "Dark mode" in sections[0].text  # the most voted group first
    keep = ideas["Dark mode for the mobile app"].id
    dark_ids = [int(box["value"]) for box in sections[0].select("input[name=idea]")]
    response = await client.post("/staff/clusters/merge", {"canonical": str(keep), "idea": [str(i) for i in dark_ids]})
    assert response.status_code == 303
    merged = await Idea.filter(id__in=[i for i in dark_ids if i != keep])
    assert merged and all(i.status == Status.DUPLICATE and i.merged_into_id == keep for i in merged)
    kept = await Idea.get(id=keep)
    assert kept.upvotes == 1 == await Vote.filter(idea_id=keep).count()  # bob voted on two of them: counts once


async def test_staff_see_each_clusters_tweets_and_their_weekly_trend_and_sort_by_them(browser_for, alice, sam,
                                                                                       make_idea, worker_ctx):
    ideas = await seed(make_idea, alice)
    await recluster_ideas(worker_ctx)
    now = datetime.now(UTC)
    oat = [ideas["Oat milk at no extra charge"], ideas["Make oat milk free"]]
    for n, days_ago in enumerate([1, 2, 3, 9]):  # three this week, one the week before
        tweet = await Tweet.create(id=str(9000 + n), text="oat milk costs extra again", author_id="42",
                                   created_at=now - timedelta(days=days_ago), url=f"https://x.com/i/status/{9000 + n}")
        await IdeaTweet.create(idea=oat[n % 2], tweet=tweet, score=0.6)
    await IdeaTweet.create(idea=oat[1], tweet_id="9000", score=0.6)  # about both oat ideas: one tweet for the cluster
    client = await browser_for(sam)
    by_votes = BeautifulSoup((await client.get("/staff/clusters")).text, "html.parser")
    oat_section = next(s for s in by_votes.select("section.cluster") if "Make oat milk free" in s.text)
    assert " ".join(oat_section.select_one(".cluster-tweets").text.split()) == (
        "4 tweets, 3 in the last 7 days (+2 on the 7 before)")
    by_tweets = BeautifulSoup((await client.get("/staff/clusters?sort=tweets")).text, "html.parser")
    assert "Make oat milk free" in by_tweets.select("section.cluster")[0].text


async def test_a_full_run_puts_each_cluster_in_a_named_theme_shown_above_the_clusters(browser_for, alice, sam,
                                                                                       make_idea, worker_ctx):
    await seed(make_idea, alice)
    await recluster_ideas(worker_ctx)
    run = await ClusterRun.filter(finished=True).order_by("-id").first()
    themes = {t.number: t for t in await Theme.filter(run=run)}
    clusters = await Cluster.filter(run=run)
    assert 2 <= len(themes) < len(clusters) and {c.theme for c in clusters} == set(themes)
    assert sum(t.size for t in themes.values()) == len(IDEAS)
    assert all(any(t.name.startswith(title) for title, _ in IDEAS) for t in themes.values())
    page = BeautifulSoup((await (await browser_for(sam)).get("/staff/clusters")).text, "html.parser")
    assert [n.text for n in page.select(".theme-table .theme-name")] == [t.name for t in sorted(
        themes.values(), key=lambda t: (-t.total_votes, -t.growth, -t.size, t.number))]
    dark = next(s for s in page.select("section.cluster") if "Dark mode for the mobile app" in s.text)
    dark_theme = themes[next(c.theme for c in clusters if "dark" in c.label)]
    assert dark.select_one(".cluster-theme").text == f"Theme: {dark_theme.name}"


async def test_customers_cannot_reach_the_clusters_view(browser_for, alice):
    client = await browser_for(alice)
    assert (await client.get("/staff/clusters")).status_code == 403


async def test_an_idea_page_shows_its_cluster_as_related_ideas(visitor, alice, make_idea, worker_ctx):
    ideas = await seed(make_idea, alice)
    await recluster_ideas(worker_ctx)
    page = BeautifulSoup((await visitor.get(f"/ideas/{ideas['Make oat milk free'].id}")).text, "html.parser")
    related = [a.text for a in page.select("#related-ideas a")]
    assert related == ["Oat milk at no extra charge"]


async def test_a_new_idea_is_placed_while_a_full_run_holds_every_batch_thread(alice, make_idea, worker_ctx):
    """A re-cluster of a big board keeps the batch threads for minutes; a member's new idea does not wait for it."""
    import asyncio
    import os
    import threading

    from workers.pools import BATCH

    await seed(make_idea, alice)
    await recluster_ideas(worker_ctx)
    worker_ctx.pop("cluster_index")  # another worker of the fleet: it loads the run's index from Redis
    fresh = await make_idea(alice, "Night mode for the app", "The app is too bright after dark.")
    busy = threading.Event()
    holds = [worker_ctx[BATCH].submit(busy.wait, 60) for _ in range((os.cpu_count() or 2) + 1)]
    try:
        number = await asyncio.wait_for(place_idea(worker_ctx, fresh.id), 20)
    finally:
        busy.set()
    assert all(h.result() for h in holds)
    run = await ClusterRun.filter(finished=True).order_by("-id").first()
    assert (await IdeaCluster.get(run=run, idea=fresh).prefetch_related("cluster")).cluster.number == number
    assert await cluster_of("Night mode for the app") == await cluster_of("Dark mode for the mobile app")


async def test_workers_starting_together_run_one_full_recluster(alice, make_idea, worker_ctx):
    """Every worker starts with a full run; a fleet of them must not each re-cluster the board at once."""
    import asyncio

    from workers import tasks

    await seed(make_idea, alice)
    other = dict(worker_ctx)
    results = await asyncio.gather(tasks.recluster(worker_ctx), tasks.recluster(other))
    assert sorted(results)[0] == 0 and sorted(results)[1] >= 3
    assert await ClusterRun.filter(finished=True).count() == 1
    assert await tasks.recluster(worker_ctx) >= 3  # the lock went with the run that held it
    assert await ClusterRun.filter(finished=True).count() == 2
