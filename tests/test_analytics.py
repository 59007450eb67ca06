"""Analytics on a small known community: the numbers are exact and the charts are safe inline SVG."""

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup

from ideaboard import analytics, charts
from ideaboard.models import Category, EventKind, Idea, IdeaEvent, Status, Vote

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def event(idea, actor, kind=EventKind.STATUS, to_status=None, after=timedelta()):
    e = await IdeaEvent.create(idea=idea, actor=actor, kind=kind, from_status=Status.NEW, to_status=to_status)
    await IdeaEvent.filter(id=e.id).update(created_at=T0 + after)


async def known_community(alice, bob, erin, sam, ada, make_idea):
    """Three answered ideas (2h, 4h, 6h to the first team reply), two decided (1 and 3 days), one untouched."""
    tea = await Category.create(name="<b>Tea & co</b>", slug="tea", position=0)
    app = await Category.create(name="Mobile app", slug="app", position=1)
    ideas = [await make_idea(alice, f"Idea {n}", category=tea if n < 2 else app) for n in range(4)]
    await Idea.filter(id__in=[i.id for i in ideas]).update(created_at=T0)
    await event(ideas[0], sam, to_status=Status.UNDER_REVIEW, after=timedelta(hours=2))
    await event(ideas[0], sam, to_status=Status.PLANNED, after=timedelta(days=1))
    await event(ideas[1], erin, kind=EventKind.RESPONSE, after=timedelta(hours=1))  # not the team: ignored
    await event(ideas[1], sam, kind=EventKind.RESPONSE, after=timedelta(hours=4))
    await event(ideas[1], ada, to_status=Status.DECLINED, after=timedelta(days=3))
    await event(ideas[2], ada, to_status=Status.UNDER_REVIEW, after=timedelta(hours=6))
    await Idea.filter(id=ideas[0].id).update(status=Status.PLANNED, upvotes=3, downvotes=1)
    await Idea.filter(id=ideas[1].id).update(status=Status.DECLINED)
    await Idea.filter(id=ideas[2].id).update(status=Status.UNDER_REVIEW, upvotes=10)
    return ideas


async def test_the_numbers_on_a_known_dataset(alice, bob, erin, sam, ada, make_idea):
    ideas = await known_community(alice, bob, erin, sam, ada, make_idea)
    assert await analytics.median_first_response() == timedelta(hours=4)
    assert await analytics.median_decision() == timedelta(days=2)
    by_status = dict(await analytics.ideas_by_status())
    assert (by_status["New"], by_status["Under review"], by_status["Planned"], by_status["Declined"]) == (1, 1, 1, 1)
    by_ideas, by_votes = await analytics.top_categories()
    assert by_ideas == [("<b>Tea & co</b>", 2), ("Mobile app", 2)]
    assert by_votes == [("Mobile app", 10), ("<b>Tea & co</b>", 4)]

    today = datetime.now(UTC)
    for voter, days_ago in ((bob, 0), (erin, 0), (sam, 2), (ada, 40)):
        v = await Vote.create(idea=ideas[3], user=voter, value=1)
        await Vote.filter(id=v.id).update(created_at=today - timedelta(days=days_ago))
    per_day = await analytics.votes_per_day()
    assert len(per_day) == 30 and per_day[-1][1] == 2 and per_day[-3][1] == 1 and sum(n for _, n in per_day) == 3
    assert analytics.humanize(timedelta(hours=4)) == "4.0 hours" and analytics.humanize(None) == "—"


async def test_the_analytics_page_shows_numbers_and_escaped_svg_charts(browser_for, alice, bob, erin, sam, ada,
                                                                       make_idea):
    await known_community(alice, bob, erin, sam, ada, make_idea)
    response = await (await browser_for(sam)).get("/staff/analytics")
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one("#total-ideas").text == "4"
    assert page.select_one("#first-response").text == "4.0 hours"
    assert page.select_one("#decision").text == "2.0 days"
    for chart in ("#chart-status", "#chart-votes", "#chart-categories", "#chart-category-votes"):
        assert page.select_one(f"{chart} svg[role=img] title"), chart
    labels = [t.text for t in page.select("#chart-categories svg text.label")]
    assert "<b>Tea & co</b>" in labels  # shown as text...
    assert "&lt;b&gt;Tea &amp; co&lt;/b&gt;" in response.text and "<b>Tea" not in response.text  # ...never as markup


def test_charts_escape_labels_and_scale_bars():
    svg = charts.bar_chart([("<script>alert(1)</script>", 10), ("Half", 5)], title="T & <x>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "<title>T &amp; &lt;x&gt;</title>" in svg
    widths = [float(r["width"]) for r in BeautifulSoup(svg, "html.parser").select("rect")]
    assert widths == [330.0, 165.0]
    line = charts.line_chart([("Mar 01", 0), ("Mar 02", 4), ("<i>", 2)], title="Votes")
    assert "&lt;i&gt;" in line and "<i>" not in line
    assert BeautifulSoup(line, "html.parser").select_one("polyline")["points"].count(",") == 3
    assert "No data yet" in charts.bar_chart([], title="Empty")
