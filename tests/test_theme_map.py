"""Sam's theme map: which broad topics are picking up (new ideas and votes this week against last) and which the
conversation on X is about, each opening into its groups of similar ideas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup

from ideaboard.accounts import create_user
from ideaboard.models import Idea, IdeaTweet, Role, Tweet, Vote
from ideaboard.votes import cast_vote
from tests.conftest import PASSWORD
from tests.test_theme_publishing import IDEAS, themes_by_title
from workers.cluster_jobs import recluster_ideas


async def voters(n: int):
    return [await create_user(f"fan{i}@example.com", f"Fan {i}", PASSWORD, Role.CUSTOMER) for i in range(n)]


async def vote(idea: Idea, people, days_ago: int) -> None:
    for person in people:
        await cast_vote(idea.id, person, 1)
    when = datetime.now(UTC) - timedelta(days=days_ago)
    await Vote.filter(idea_id=idea.id, user_id__in=[p.id for p in people]).update(created_at=when)


def map_names(page: str) -> list[str]:
    return [h.a.text for h in BeautifulSoup(page, "html.parser").select(".theme-card .theme-card-name")]


async def test_the_theme_map_ranks_the_growing_theme_first_and_opens_into_its_clusters(browser_for, alice, sam,
                                                                                       make_idea, worker_ctx):
    ideas = {title: await make_idea(alice, title, body) for title, body in IDEAS}
    await Idea.all().update(created_at=datetime.now(UTC) - timedelta(days=30))  # old ideas: only votes move
    await recluster_ideas(worker_ctx)
    theme_of = await themes_by_title()
    dark, oat = theme_of["Dark mode for the mobile app"], theme_of["Make oat milk free"]
    assert dark.slug != oat.slug
    fans = await voters(4)
    await vote(ideas["Dark mode for the mobile app"], fans, days_ago=10)  # dark mode was hot the week before
    await vote(ideas["Dark mode please, the app is blinding"], fans[:1], days_ago=2)
    await vote(ideas["Make oat milk free"], fans[:3], days_ago=1)  # oat milk is picking up now

    client = await browser_for(sam)
    page = await client.get("/staff/themes")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    cards = soup.select(".theme-card")
    assert cards[0]["id"] == f"theme-{oat.slug}" and cards[-1]["id"] == f"theme-{dark.slug}"
    assert cards[0].select_one(".theme-growth").text == "+3"
    assert " ".join(cards[-1].select_one(".theme-votes").text.split()) == "1 vs 4"
    assert cards[-1].select_one(".theme-growth").text == "-3"
    dark_groups = cards[-1].select(".theme-clusters a")
    assert dark_groups and all(a["href"].startswith(f"/staff/clusters?theme={dark.slug}#cluster-") for a in dark_groups)

    opened = BeautifulSoup((await client.get(f"/staff/clusters?theme={dark.slug}")).text, "html.parser")
    shown = " ".join(s.text for s in opened.select("section.cluster"))
    assert "Dark mode for the mobile app" in shown and "oat milk" not in shown.lower()
    assert (await client.get("/staff/clusters?theme=nope")).status_code == 404


async def test_the_theme_map_sorts_by_tweets_this_week(browser_for, alice, sam, make_idea, worker_ctx):
    ideas = {title: await make_idea(alice, title, body) for title, body in IDEAS}
    await recluster_ideas(worker_ctx)
    theme_of = await themes_by_title()
    dark = theme_of["Dark mode for the mobile app"]
    now = datetime.now(UTC)
    for n, days_ago in enumerate([1, 3, 12, 20]):  # two this week, one the week before, one older
        tweet = await Tweet.create(id=str(7000 + n), text="dark mode please", author_id="42",
                                   created_at=now - timedelta(days=days_ago), url=f"https://x.com/i/status/{7000 + n}")
        await IdeaTweet.create(idea=ideas["Add a dark theme to the app"], tweet=tweet, score=0.6)
    client = await browser_for(sam)
    soup = BeautifulSoup((await client.get("/staff/themes?sort=tweets")).text, "html.parser")
    first = soup.select(".theme-card")[0]
    assert first["id"] == f"theme-{dark.slug}"
    assert " ".join(first.select_one(".theme-tweets").text.split()) == "2 vs 1, 4 in all"


async def test_customers_cannot_open_the_theme_map(browser_for, alice):
    assert (await (await browser_for(alice)).get("/staff/themes")).status_code == 403
