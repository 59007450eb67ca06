"""Feed readers and crawlers: Dana follows the board and its launches in her feed reader; a search engine finds every
public idea through the sitemap, and nothing hidden, internal or merged."""

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from ideaboard import feeds
from ideaboard.models import Idea, Space, Status
from ideaboard.workflow import respond, transition

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


async def test_the_board_feed_lists_new_public_ideas_newest_first(visitor, alice, erin, sam, make_idea):
    await make_idea(alice, "Oat milk at no extra charge", "Please <b>no</b> surcharge")
    await make_idea(alice, "Save my usual order", "One tap to reorder")
    await make_idea(erin, "A better rota tool for baristas", space=Space.INTERNAL)
    hidden = await make_idea(alice, "Buy cheap watches here")
    await Idea.filter(id=hidden.id).update(hidden=True)
    response = await visitor.get("/feeds/ideas.atom")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.text)
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert titles == ["Save my usual order", "Oat milk at no extra charge"]
    entry = next(feed.iter(f"{ATOM}entry"))
    assert entry.find(f"{ATOM}link").get("href").startswith("http") and "/ideas/" in entry.findtext(f"{ATOM}id")
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Alice Martin"
    assert "<b>" not in response.text  # text summaries are escaped, never markup


async def test_the_launched_feed_carries_the_teams_launch_message(visitor, alice, sam, make_idea):
    idea = await make_idea(alice, "Save my usual order")
    for status in (Status.UNDER_REVIEW, Status.PLANNED, Status.IN_PROGRESS, Status.LAUNCHED):
        await transition(await Idea.get(id=idea.id), sam, status, f"Now {status.label.lower()}")
    await respond(await Idea.get(id=idea.id), sam, "Reorder is live in version 5.2")
    await make_idea(alice, "Not shipped yet")
    feed = ET.fromstring((await visitor.get("/feeds/launched.atom")).text)
    entries = list(feed.iter(f"{ATOM}entry"))
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Save my usual order"]
    assert entries[0].findtext(f"{ATOM}summary") == "Reorder is live in version 5.2"


async def test_the_sitemap_names_every_public_idea_and_robots_points_to_it(visitor, alice, erin, sam, make_idea,
                                                                        monkeypatch):
    monkeypatch.setattr(feeds, "SITEMAP_CHUNK", 2)  # small chunks, so the index has several files
    public = [await make_idea(alice, f"Public idea number {n}") for n in range(3)]
    internal = await make_idea(erin, "Internal idea", space=Space.INTERNAL)
    robots = (await visitor.get("/robots.txt")).text
    assert "Disallow: /staff/" in robots and "Disallow: /settings" in robots
    sitemap_url = next(line.split(" ", 1)[1] for line in robots.splitlines() if line.startswith("Sitemap: "))
    assert sitemap_url.endswith("/sitemap.xml")
    index = ET.fromstring((await visitor.get("/sitemap.xml")).text)
    parts = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert len(parts) == public[-1].id // 2 + 1  # chunks of two ids, up to the newest public idea
    listed = []
    for part in parts:
        response = await visitor.get(urlsplit(part).path)
        assert response.status_code == 200
        listed += [loc.text for loc in ET.fromstring(response.text).iter(f"{SITEMAP}loc")]
    ideas = sorted(int(url.rsplit("/", 1)[1]) for url in listed if "/ideas/" in url)
    assert ideas == [i.id for i in public] and internal.id not in ideas
    assert (await visitor.get(f"/sitemaps/{len(parts)}.xml")).status_code == 404


async def test_every_page_names_its_icon_and_feeds_and_favicon_ico_finds_it(visitor):
    page = (await visitor.get("/")).text
    assert 'rel="icon"' in page and 'type="application/atom+xml"' in page
    response = await visitor.get("/favicon.ico", follow_redirects=True)
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
