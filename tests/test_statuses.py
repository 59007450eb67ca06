"""A workflow each company shapes (issue 18): Ada the admin defines statuses and the moves between them, the
validator refuses every table that would strand ideas, and the board, the console, the roadmap and the API follow."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from ideaboard import clock, status_store, statuses
from ideaboard.campaign_forms import parse_campaign
from ideaboard.campaigns import create_campaign
from ideaboard.models import AuditEntry, Idea, IdeaEvent, Notification, StatusDefinition, VoteBudget, WorkflowRevision
from ideaboard.status_rules import table_errors
from ideaboard.statuses import DEFAULT, Phase, StatusDef, Table
from ideaboard.votes import cast_vote
from ideaboard.workflow import transition

PAGE = "/staff/admin/statuses"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def _with(extra: StatusDef | None = None, add: set | frozenset = frozenset(), drop: set | frozenset = frozenset(),
          without: str = "", **changed: StatusDef) -> Table:
    """Today's table with one status added, moves added or dropped, a status removed or redefined."""
    defs = [changed.get(s.key, s) for s in DEFAULT.statuses if s.key != without] + ([extra] if extra else [])
    moves = frozenset(m for m in (DEFAULT.transitions | frozenset(add)) - frozenset(drop) if without not in m)
    return Table(tuple(defs), moves)


HOLD = StatusDef("on_hold", "On hold", "#0e7490", "Waiting for a partner.", Phase.OPEN)
BROKEN = {
    "a status nothing reaches": (_with(HOLD, add={("on_hold", "declined")}), "No idea can reach On hold from New"),
    "a status that never closes": (_with(HOLD, add={("under_review", "on_hold"), ("on_hold", "under_review")},
                                         drop={(k, b) for k, b in DEFAULT.transitions if k == "under_review"
                                               and b not in ("planned",)} | {("planned", "declined"),
                                                                             ("planned", "archived"),
                                                                             ("in_progress", "launched")}),
                                   "could never be closed"),
    "a bad colour": (_with(replace(HOLD, colour="teal"), add={("new", "on_hold"), ("on_hold", "declined")}),
                     "A colour is written like #2563eb"),
    "an empty name": (_with(replace(HOLD, name=" "), add={("new", "on_hold"), ("on_hold", "declined")}),
                      "needs a name"),
    "a name used twice": (_with(replace(HOLD, name="planned"), add={("new", "on_hold"), ("on_hold", "declined")}),
                          "Two statuses are called “planned”"),
    "a key used twice": (_with(replace(HOLD, key="planned", name="Planned again")), "Two statuses have the key"),
    "a bad key": (_with(replace(HOLD, key="On Hold!"), add={("new", "On Hold!"), ("On Hold!", "declined")}),
                  "A key has 1 to 16 lower-case letters"),
    "a built-in removed": (_with(without="launched", add={("in_progress", "archived")}),
                           "“Launched” is built in"),
    "a move back to new": (_with(add={("declined", "new")}), "no status leads back to it"),
    "a move out of duplicate": (_with(add={("duplicate", "under_review")}), "only by being unmerged"),
    "new in another phase": (_with(new=replace(DEFAULT.get("new"), phase=Phase.PLANNED)),
                             "always stays in the open phase"),
}


def test_todays_table_is_a_workable_one():
    assert table_errors(DEFAULT) == []


@pytest.mark.parametrize("case", list(BROKEN))
def test_the_validator_refuses_each_broken_table_with_a_clear_message(case):
    table, message = BROKEN[case]
    problems = table_errors(table)
    assert any(message in p for p in problems), problems


def _needs_design_form(**extra: object) -> dict:
    return {"name": "Needs design", "key": "", "colour": "#0E7490", "phase": "planned",
            "description": "Our designers are sketching it.", "after": "under_review",
            "from": ["under_review"], "to": ["planned", "declined"], **extra}


async def test_ada_adds_needs_design_and_sam_moves_an_idea_through_it_onto_the_roadmap(
        browser_for, visitor, ada, sam, alice, make_idea):
    admin, staff = await browser_for(ada), await browser_for(sam)
    page = soup(await admin.get(PAGE))
    assert [r["id"] for r in page.select(".status-table tbody tr")][:3] == [
        "status-new", "status-under_review", "status-planned"]
    assert page.select_one("#add-status") and page.select_one("#transitions")

    added = await admin.post(PAGE, _needs_design_form())
    assert added.status_code == 303
    page = soup(await admin.get(PAGE))
    assert "Status “Needs design” added." in page.text
    assert [r["id"] for r in page.select(".status-table tbody tr")][:4] == [
        "status-new", "status-under_review", "status-needs_design", "status-planned"]
    assert page.select_one("#move-under_review-needs_design").has_attr("checked")
    assert page.select_one("#move-needs_design-planned").has_attr("checked")
    entry = await AuditEntry.filter(action="workflow.status_add").get()
    assert (entry.actor_id, entry.detail["key"], entry.detail["phase"]) == (ada.id, "needs_design", "planned")

    idea = await make_idea(alice, "Seasonal cup designs")

    async def move(step: str) -> None:
        version = (await Idea.get(id=idea.id)).version
        moved = await staff.post(f"/staff/ideas/{idea.id}/status", {"to_status": step, "version": str(version)})
        assert moved.status_code in (200, 303) and "field-error" not in moved.text

    for step in ("under_review", "needs_design"):
        await move(step)
    assert (await Idea.get(id=idea.id)).status == "needs_design"
    console = soup(await staff.get(f"/staff/ideas/{idea.id}"))
    assert console.select_one("#status-panel .status-needs_design").text == "Needs design"
    assert [o["value"] for o in console.select("#to-status option")] == ["planned", "declined"]
    queue = soup(await staff.get("/staff/?status=needs_design"))
    assert "Needs design" in [o.text for o in queue.select("#q-status option")]
    assert [a.text for a in queue.select(".q-title a")] == ["Seasonal cup designs"]

    roadmap = soup(await visitor.get("/roadmap"))
    columns = {c["aria-labelledby"]: c for c in roadmap.select(".roadmap-col")}
    assert list(columns) == ["col-planned", "col-in_progress", "col-launched"]
    planned = columns["col-planned"]
    assert [a.text for a in planned.select(".roadmap-title")] == ["Seasonal cup designs"]
    assert planned.select_one(".roadmap-card .status-needs_design").text == "Needs design"

    public = soup(await visitor.get(f"/ideas/{idea.id}"))
    assert "Needs design" in public.select_one(".timeline, #timeline, main").text
    css = await visitor.get(roadmap.select('link[rel="stylesheet"]')[1]["href"])
    assert ".status-needs_design { background: #0e7490; color: #ffffff; }" in css.text
    assert css.headers["content-type"].startswith("text/css")

    api = (await visitor.get("/api/v1/statuses")).json()["items"]
    design = next(s for s in api if s["key"] == "needs_design")
    assert design == {"key": "needs_design", "name": "Needs design", "colour": "#0e7490",
                      "description": "Our designers are sketching it.", "phase": "planned",
                      "next": ["planned", "declined"]}
    assert (await visitor.get(f"/api/v1/ideas/{idea.id}")).json()["status"] == "needs_design"
    listed = (await visitor.get("/api/v1/ideas?status=needs_design")).json()["items"]
    assert [i["id"] for i in listed] == [idea.id]
    assert (await visitor.get("/api/v1/ideas?status=nonsense")).status_code == 422

    await move("planned")
    assert (await Idea.get(id=idea.id)).status == "planned"


async def test_ada_cannot_add_a_status_nothing_leads_to(browser_for, ada):
    admin = await browser_for(ada)
    refused = await admin.post(PAGE, _needs_design_form(**{"from": []}))
    assert refused.status_code == 422
    problems = soup(refused).select_one("#problems-add").text
    assert "No idea can reach Needs design from New" in problems
    assert soup(refused).select_one("#new-name")["value"] == "Needs design"  # what she typed stays
    assert not await StatusDefinition.filter(key="needs_design").exists()
    bad = await admin.post(PAGE, _needs_design_form(colour="blue", name="Planned"))
    assert bad.status_code == 422
    assert soup(bad).select_one("#colour-error").text.startswith("A colour is written like")


async def test_ada_edits_the_grid_and_a_broken_grid_is_refused(browser_for, ada):
    admin = await browser_for(ada)
    page = soup(await admin.get(PAGE))
    ticked = [box["value"] for box in page.select("#transitions input[name=move][checked]")]
    assert len(ticked) == len(DEFAULT.transitions)
    without_planned = [m for m in ticked if not m.endswith(">planned")]
    refused = await admin.post(f"{PAGE}/transitions", {"move": without_planned})
    assert refused.status_code == 422
    assert "No idea can reach Planned, In progress and Launched from New" in soup(refused).select_one(
        "#problems-grid").text
    assert not soup(refused).select_one("#move-under_review-planned").has_attr("checked")  # her grid, kept
    assert statuses.current().transitions == DEFAULT.transitions

    saved = await admin.post(f"{PAGE}/transitions", {"move": [*ticked, "launched>under_review"]})
    assert saved.status_code == 303
    assert ("launched", "under_review") in statuses.current().transitions
    entry = await AuditEntry.filter(action="workflow.transitions").get()
    assert entry.detail == {"added": "launched>under_review", "removed": ""}


async def test_deleting_a_status_that_ideas_hold_asks_where_they_go(browser_for, ada, sam, alice, make_idea):
    admin = await browser_for(ada)
    await admin.post(PAGE, {"name": "On hold", "colour": "#a16207", "phase": "open", "description": "",
                            "after": "under_review", "from": ["under_review"], "to": ["under_review", "declined"]})
    ideas = [await make_idea(alice, f"Loyalty idea {n}") for n in range(2)]
    for idea in ideas:
        await transition(idea, sam, "under_review")
        await transition(idea, sam, "on_hold")

    ask = soup(await admin.get(f"{PAGE}/on_hold/delete"))
    assert "2 ideas are On hold now" in ask.text
    assert [o["value"] for o in ask.select("#move-to option")][1:4] == ["new", "under_review", "planned"]
    refused = await admin.post(f"{PAGE}/on_hold/delete", {"move_to": ""})
    assert refused.status_code == 422
    assert "choose the status to move them to first" in soup(refused).select_one("#move_to-error").text
    assert await Idea.filter(status="on_hold").count() == 2

    deleted = await admin.post(f"{PAGE}/on_hold/delete", {"move_to": "under_review"})
    assert deleted.status_code == 303
    assert "2 ideas moved to Under review" in (await admin.get(PAGE)).text
    assert await Idea.filter(status="under_review").count() == 2 and not statuses.current().has("on_hold")
    assert not await StatusDefinition.filter(key="on_hold").exists()
    entry = await AuditEntry.filter(action="workflow.status_delete").get()
    assert entry.detail["moved_to"] == "under_review" and entry.detail["ideas_moved"] == 2
    history = await IdeaEvent.filter(idea_id=ideas[0].id).order_by("id").values_list("to_status", flat=True)
    assert list(history) == ["under_review", "on_hold"]  # the timeline keeps the steps that were

    built_in = await admin.post(f"{PAGE}/planned/delete", {"move_to": "under_review"})
    assert built_in.status_code == 422 and "Planned is built in" in built_in.text
    assert "Delete…" not in str(soup(await admin.get(PAGE)).select_one("#status-planned"))


@pytest.fixture
def stopped_clock():
    opens = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    clock.set_now(opens + timedelta(hours=1))
    yield opens
    clock.set_now(None)


async def test_a_custom_closed_status_gives_budget_votes_back(browser_for, ada, sam, alice, bob, make_idea,
                                                              stopped_clock):
    data = {"title": "Greener coffee cups", "space": "public", "opens_at": "2026-12-07T09:00",
            "closes_at": "2026-12-14T17:00", "vote_budget": "3", "max_votes_per_idea": "2"}
    campaign = await create_campaign(sam, parse_campaign(data, [], set()))
    idea = await make_idea(alice, "Paper straws that last")
    await Idea.filter(id=idea.id).update(campaign_id=campaign.id)
    await cast_vote(idea.id, bob, 1)
    await cast_vote(idea.id, bob, 1)
    assert (await VoteBudget.get(campaign_id=campaign.id, user_id=bob.id)).spent == 2

    admin = await browser_for(ada)
    await admin.post(PAGE, {"name": "Not this year", "colour": "#4b5563", "phase": "closed",
                            "description": "Good idea, wrong year.", "after": "declined",
                            "from": ["under_review"], "to": ["under_review"]})
    idea = await Idea.get(id=idea.id)
    await transition(idea, sam, "under_review")
    await transition(idea, sam, "not_this_year")
    assert (await VoteBudget.get(campaign_id=campaign.id, user_id=bob.id)).spent == 0
    told = await Notification.filter(user_id=bob.id, message__contains="budget").values_list("message", flat=True)
    assert told == ["“Paper straws that last” is not this year: your 2 votes went back to your budget in "
                    "“Greener coffee cups”"]

    # Ada decides "Not this year" is still open after all: the ideas it holds spend their votes again
    reopened = await admin.post(f"{PAGE}/not_this_year/edit", {"name": "Not this year", "colour": "#4b5563",
                                                               "phase": "open", "description": ""})
    assert reopened.status_code == 303
    assert (await VoteBudget.get(campaign_id=campaign.id, user_id=bob.id)).spent == 2
    assert Idea and statuses.current().get("not_this_year").phase is Phase.OPEN


async def test_only_admins_shape_the_workflow(browser_for, sam, alice):
    for person in (sam, alice):
        client = await browser_for(person)
        assert (await client.get(PAGE)).status_code == 403
        assert (await client.post(f"{PAGE}/planned/edit", {"name": "Soon", "colour": "#000000",
                                                           "phase": "planned"})).status_code == 403
        assert (await client.post(PAGE, _needs_design_form())).status_code == 403
        assert (await client.post(f"{PAGE}/transitions", {"move": ["new>planned"]})).status_code == 403
    assert statuses.current().get("planned").name == "Planned" and not statuses.current().has("needs_design")
    assert not await AuditEntry.filter(action__startswith="workflow.").exists()


async def test_another_process_picks_up_an_admins_save_within_a_second(visitor, alice, make_idea):
    """Another web process (or a worker) saved: this one sees the revision move on and reloads."""
    idea = await make_idea(alice, "Oat milk everywhere")
    await StatusDefinition.filter(key="new").update(name="Fresh")
    await WorkflowRevision.filter(id=1).update(revision=7)
    status_store._checked_at = 0.0  # a second has passed
    page = soup(await visitor.get(f"/ideas/{idea.id}"))
    assert page.select_one(".status-new").text == "Fresh"
    assert statuses.current().revision == 7
