"""What the community sees of the workflow: the roadmap, the launched showcase, the timeline, following an idea."""

from bs4 import BeautifulSoup

from ideaboard.models import Follow, Idea, Space, Status
from ideaboard.workflow import respond, transition


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


async def walk(idea, actor, *statuses, message: str = ""):
    for status in statuses:
        await transition(idea, actor, status, message)


async def test_the_roadmap_shows_planned_in_progress_and_launched_columns_with_scores(
        visitor, alice, erin, sam, make_idea):
    planned = await make_idea(alice, "Oat milk everywhere")
    building = await make_idea(alice, "Order ahead for drive-thru")
    shipped = await make_idea(alice, "Dark mode")
    fresh = await make_idea(alice, "Still new")
    staff_only = await make_idea(erin, "Better rota tool", space=Space.INTERNAL)
    await walk(planned, sam, Status.UNDER_REVIEW, Status.PLANNED)
    await walk(building, sam, Status.UNDER_REVIEW, Status.PLANNED, Status.IN_PROGRESS)
    await walk(shipped, sam, Status.UNDER_REVIEW, Status.PLANNED, Status.IN_PROGRESS, Status.LAUNCHED)
    await walk(staff_only, sam, Status.UNDER_REVIEW, Status.PLANNED)
    await Idea.filter(id=planned.id).update(score=42)

    page = soup(await visitor.get("/roadmap"))
    assert page.select_one("h1").text == "Ideas in action"
    columns = {c["aria-labelledby"]: c for c in page.select(".roadmap-col")}
    assert list(columns) == ["col-planned", "col-in_progress", "col-launched"]
    assert [a.text for a in columns["col-planned"].select(".roadmap-title")] == ["Oat milk everywhere"]
    assert [a.text for a in columns["col-in_progress"].select(".roadmap-title")] == ["Order ahead for drive-thru"]
    assert [a.text for a in columns["col-launched"].select(".roadmap-title")] == ["Dark mode"]
    assert columns["col-planned"].select_one(".roadmap-score").text.strip() == "▲ 42"
    assert fresh.title not in page.text and staff_only.title not in page.text
    assert page.select_one('nav a[href="/roadmap"]').text == "Roadmap"


async def test_the_launched_page_shows_newest_launch_first_with_the_launch_message(visitor, alice, sam, make_idea):
    first = await make_idea(alice, "Dark mode")
    second = await make_idea(alice, "Oat milk")
    for idea, message in ((first, "Dark mode is **live** in the app."), (second, "Oat milk in all stores today.")):
        await walk(idea, sam, Status.UNDER_REVIEW, Status.PLANNED, Status.IN_PROGRESS)
        await transition(idea, sam, Status.LAUNCHED, message)

    page = soup(await visitor.get("/launched"))
    launches = page.select(".launch")
    assert [launch.select_one(".idea-title a").text for launch in launches] == ["Oat milk", "Dark mode"]
    assert launches[1].select_one(".launch-message strong").text == "live"
    assert "Sam Rivera" in launches[0].select_one(".launch-message").text


async def test_the_idea_page_timeline_shows_each_step_and_the_official_response(visitor, alice, sam, make_idea):
    idea = await make_idea(alice)
    await transition(idea, sam, Status.UNDER_REVIEW, "Reading every comment.")
    await respond(idea, sam, "We are **testing** this with 500 members.")
    await transition(idea, sam, Status.PLANNED, "Coming this spring.")

    page = soup(await visitor.get(f"/ideas/{idea.id}"))
    events = page.select("#timeline .event")
    assert [e["class"][1] for e in events] == ["event-status", "event-response", "event-status"]
    first = events[0].select_one(".meta")
    assert [s.text for s in first.select(".status")] == ["New", "Under review"]
    assert "Sam Rivera" in first.text and "Team" in first.select_one(".badge-staff").text
    assert events[1].select_one(".event-label").text == "Official response"
    assert events[1].select_one(".prose strong").text == "testing"
    assert events[2].select_one(".prose").text.strip() == "Coming this spring."


async def test_an_idea_without_history_has_no_timeline(visitor, alice, make_idea):
    idea = await make_idea(alice)
    assert soup(await visitor.get(f"/ideas/{idea.id}")).select_one("#timeline") is None


async def test_follow_and_unfollow_with_htmx_swaps_only_the_button(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(bob)
    button = soup(await client.get(f"/ideas/{idea.id}")).select_one(f"#follow-{idea.id} button")
    assert button.text.strip() == "Follow"

    response = await client.post(f"/ideas/{idea.id}/follow", {"follow": "1"}, htmx=True)
    fragment = soup(response)
    assert fragment.html is None and fragment.select_one("button")["aria-pressed"] == "true"
    assert fragment.select_one("button").text.strip() == "✓ Following"
    assert await Follow.filter(idea_id=idea.id, user_id=bob.id).count() == 1
    await client.post(f"/ideas/{idea.id}/follow", {"follow": "1"}, htmx=True)  # a double click follows once
    assert await Follow.filter(idea_id=idea.id, user_id=bob.id).count() == 1

    response = await client.post(f"/ideas/{idea.id}/follow", {"follow": "0"}, htmx=True)
    assert soup(response).select_one("button").text.strip() == "Follow"
    assert not await Follow.filter(idea_id=idea.id, user_id=bob.id, unfollowed_at=None).exists()


async def test_follow_without_javascript_redirects_back_to_the_idea(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(bob)
    response = await client.post(f"/ideas/{idea.id}/follow", {"follow": "1"})
    assert response.status_code == 303 and response.headers["location"] == f"/ideas/{idea.id}"
    button = soup(await client.get(f"/ideas/{idea.id}")).select_one(f"#follow-{idea.id} button")
    assert button.text.strip() == "✓ Following" and button["value"] == "0"


async def test_visitors_are_sent_to_log_in_before_following(visitor, alice, make_idea):
    idea = await make_idea(alice)
    assert soup(await visitor.get(f"/ideas/{idea.id}")).select_one(".follow") is None
    response = await visitor.post(f"/ideas/{idea.id}/follow", {"follow": "1"})
    assert response.status_code == 303 and response.headers["location"] == f"/login?next=/ideas/{idea.id}"
    response = await visitor.post(f"/ideas/{idea.id}/follow", {"follow": "1"}, htmx=True)
    # htmx never sees a 3xx (the browser follows it and htmx would swap the login page into the button): a 200 that
    # tells htmx to go to the login page, with nothing to swap
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/login?next=/ideas/{idea.id}"
    assert response.text == ""
    assert not await Follow.exclude(user_id=alice.id).exists()  # only the author follows it


async def test_customers_cannot_follow_internal_ideas(browser_for, alice, erin, make_idea):
    idea = await make_idea(erin, "Staff room coffee", space=Space.INTERNAL)
    client = await browser_for(alice)
    response = await client.post(f"/ideas/{idea.id}/follow", {"follow": "1"})
    assert response.status_code == 404 and not await Follow.exclude(user_id=erin.id).exists()


async def test_the_launched_page_shows_the_official_response_too(visitor, alice, sam, make_idea):
    idea = await make_idea(alice, "Dark mode")
    await walk(idea, sam, Status.UNDER_REVIEW, Status.PLANNED, Status.IN_PROGRESS)
    await respond(idea, sam, "We heard you: it ships **next month**.")
    await transition(idea, sam, Status.LAUNCHED, "Dark mode is live.")
    await respond(idea, sam, "Thanks for **all the votes**, it is out.")

    launch = soup(await visitor.get("/launched")).select_one(f"#launch-{idea.id}")
    assert "Dark mode is live." in launch.select_one(".launch-message").text
    response = launch.select_one(".launch-response")
    assert "Official response" in response.text and "Sam Rivera" in response.text
    assert response.select_one(".prose strong").text == "all the votes"  # the latest response, not the earlier one
    assert "next month" not in launch.text
