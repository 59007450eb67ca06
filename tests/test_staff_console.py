"""Sam triages the review queue: sorting, filters, his own ideas, bulk actions, ownership, decisions and merges."""

from bs4 import BeautifulSoup

from ideaboard.errors import Conflict
from ideaboard.models import AuditEntry, EventKind, Idea, IdeaEvent, IdeaTweet, Status, Tweet


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def queue_titles(page: BeautifulSoup) -> list[str]:
    return [a.text for a in page.select("#queue-list .q-title a")]


async def test_the_queue_lists_waiting_ideas_sorted_and_filtered(browser_for, alice, bob, sam, categories, make_idea):
    popular = await make_idea(alice, "Oat milk at no extra charge", category=categories["In the store"])
    chatty = await make_idea(bob, "Birthday reward for a week", category=categories["Rewards"])
    quiet = await make_idea(alice, "Quieter music in the mornings", category=categories["In the store"])
    planned = await make_idea(bob, "Dark mode for the mobile app", category=categories["Mobile app"])
    await Idea.filter(id=popular.id).update(score=9)
    await Idea.filter(id=chatty.id).update(score=2, comment_count=7, status=Status.UNDER_REVIEW)
    await Idea.filter(id=planned.id).update(status=Status.PLANNED)
    client = await browser_for(sam)

    page = soup(await client.get("/staff/"))
    assert queue_titles(page) == [popular.title, chatty.title, quiet.title]  # by score; planned is not waiting
    assert page.select_one(f"#queue-idea-{popular.id} .q-owner").text == "Unassigned"
    assert queue_titles(soup(await client.get("/staff/?sort=comments")))[0] == chatty.title
    assert queue_titles(soup(await client.get("/staff/?sort=oldest"))) == [popular.title, chatty.title, quiet.title]
    assert queue_titles(soup(await client.get("/staff/?category=in-the-store"))) == [popular.title, quiet.title]
    assert queue_titles(soup(await client.get("/staff/?status=under_review"))) == [chatty.title]
    assert queue_titles(soup(await client.get("/staff/?sort=nonsense&status=shipped&owner=x")))[0] == popular.title

    partial = await client.get("/staff/?sort=comments", headers={"HX-Request": "true"})
    assert soup(partial).html is None and soup(partial).select_one("#queue-list")


async def test_the_queue_shows_each_ideas_tweets_and_sorts_by_them(browser_for, alice, sam, make_idea):
    quiet = await make_idea(alice, "Compostable lids", "Lids cannot be composted.")
    talked_about = await make_idea(alice, "Oat milk at no extra charge", "Plant milk costs more.")
    for n in range(2):
        tweet = await Tweet.create(id=str(7000 + n), text="oat milk costs extra", author_id="42",
                                   url=f"https://x.com/i/status/{7000 + n}")
        await IdeaTweet.create(idea=talked_about, tweet=tweet, score=0.7)
    client = await browser_for(sam)
    page = soup(await client.get("/staff/?sort=tweets"))
    assert queue_titles(page) == [talked_about.title, quiet.title]
    assert page.select_one(f"#queue-idea-{talked_about.id} .q-tweets").text == "2"
    assert page.select_one(f"#queue-idea-{quiet.id} .q-tweets").text == "0"


async def test_the_queue_lists_planned_in_progress_and_launched_ideas_when_asked(browser_for, alice, sam, make_idea):
    waiting = await make_idea(alice, "Oat milk at no extra charge")
    later = {status: await make_idea(alice, f"An idea that is {status.label.lower()}")
             for status in (Status.PLANNED, Status.IN_PROGRESS, Status.LAUNCHED)}
    for status, idea in later.items():
        await Idea.filter(id=idea.id).update(status=status)
    client = await browser_for(sam)
    for status, idea in later.items():
        page = soup(await client.get(f"/staff/?status={status.value}"))
        assert queue_titles(page) == [idea.title], status
        assert page.select_one(f"#q-status option[value={status.value}]").has_attr("selected")
        assert page.select_one(".bulkbar .count").text == "1 idea"  # not "waiting": the team already decided
    assert queue_titles(soup(await client.get("/staff/"))) == [waiting.title]  # the default is still what waits


async def test_mine_and_unassigned_views_follow_claims(browser_for, alice, sam, make_idea):
    first = await make_idea(alice, "Save my usual order")
    second = await make_idea(alice, "Split the bill in the app")
    client = await browser_for(sam)
    response = await client.post(f"/staff/ideas/{first.id}/owner", {"owner": "me", "version": "0"})
    assert response.status_code == 303
    assert queue_titles(soup(await client.get("/staff/?owner=mine"))) == [first.title]
    assert queue_titles(soup(await client.get("/staff/?owner=unassigned"))) == [second.title]
    mine = soup(await client.get("/staff/?owner=mine"))
    assert mine.select_one(f"#queue-idea-{first.id} .q-owner").text == "Sam Rivera"
    assert mine.select_one(".staffnav a[aria-current='page']").text == "Mine"


async def test_bulk_move_reports_what_happened_to_each_idea(browser_for, alice, sam, make_idea):
    a, b, c = [await make_idea(alice, f"Idea number {n}") for n in (1, 2, 3)]
    planned = await make_idea(alice, "Already on the roadmap")
    await Idea.filter(id=planned.id).update(status=Status.PLANNED)
    client = await browser_for(sam)
    form = {"csrf_token": await client.csrf("/staff/"), "action": "review",
            "idea": [str(a.id), str(b.id), str(c.id), str(planned.id)],
            **{f"v{i.id}": "0" for i in (a, b, c, planned)}}
    response = await client.http.post("/staff/bulk", data=form, headers={"referer": "http://testserver/staff/"})
    assert response.status_code == 303 and response.headers["location"] == "/staff/"
    page = soup(await client.get("/staff/"))
    assert page.select_one(".flash").text == f"3 moved, 1 skipped: #{planned.id} already planned."
    assert [i.status for i in await Idea.filter(id__in=[a.id, b.id, c.id])] == [Status.UNDER_REVIEW] * 3
    assert await IdeaEvent.filter(kind=EventKind.STATUS, to_status=Status.UNDER_REVIEW).count() == 3


async def test_bulk_claim_skips_ideas_changed_meanwhile(browser_for, alice, sam, ada, make_idea):
    fresh, stale = await make_idea(alice, "Free refills"), await make_idea(alice, "Cold brew all year")
    await (await browser_for(ada)).post(f"/staff/ideas/{stale.id}/owner", {"owner": "me", "version": "0"})
    client = await browser_for(sam)
    form = {"csrf_token": await client.csrf("/staff/"), "action": "claim", "idea": [str(fresh.id), str(stale.id)],
            f"v{fresh.id}": "0", f"v{stale.id}": "0"}
    await client.http.post("/staff/bulk", data=form)
    flash = soup(await client.get("/staff/")).select_one(".flash").text
    assert flash == f"1 claimed, 1 skipped: #{stale.id} changed by someone else meanwhile."
    assert (await Idea.get(id=fresh.id)).owner_id == sam.id
    assert (await Idea.get(id=stale.id)).owner_id == ada.id


async def test_bulk_review_says_the_same_when_the_workflow_finds_a_conflict(browser_for, alice, sam, make_idea):
    stale = await make_idea(alice, "Cold brew all year")
    await Idea.filter(id=stale.id).update(version=3)  # a teammate claimed it after sam loaded the queue
    client = await browser_for(sam)
    form = {"csrf_token": await client.csrf("/staff/"), "action": "review", "idea": [str(stale.id)],
            f"v{stale.id}": "0"}
    await client.http.post("/staff/bulk", data=form)
    flash = soup(await client.get("/staff/")).select_one(".flash").text
    assert flash == f"0 moved, 1 skipped: #{stale.id} changed by someone else meanwhile."
    assert (await Idea.get(id=stale.id)).status == Status.NEW


async def test_bulk_without_a_selection_says_so(browser_for, sam):
    client = await browser_for(sam)
    await client.post("/staff/bulk", {"action": "claim"})
    assert "Select at least one idea" in soup(await client.get("/staff/")).select_one(".flash-error").text


async def test_two_teammates_assigning_at_once_the_second_sees_a_conflict(browser_for, alice, sam, ada, make_idea):
    idea = await make_idea(alice)
    sam_client, ada_client = await browser_for(sam), await browser_for(ada)
    sam_page = soup(await sam_client.get(f"/staff/ideas/{idea.id}"))
    ada_page = soup(await ada_client.get(f"/staff/ideas/{idea.id}"))
    version = sam_page.select_one("#status-panel input[name=version]")["value"]
    assert version == ada_page.select_one("#status-panel input[name=version]")["value"] == "0"

    claimed = await sam_client.post(f"/staff/ideas/{idea.id}/owner", {"owner": "me", "version": version}, htmx=True)
    assert soup(claimed).select_one(".owner-now").text == "Sam Rivera"
    late = await ada_client.post(f"/staff/ideas/{idea.id}/owner", {"owner": str(ada.id), "version": version},
                                 htmx=True)
    assert late.status_code == 422
    assert "Someone else changed this idea" in soup(late).select_one("#owner-error").text
    assert soup(late).select_one(".owner-now").text == "Sam Rivera"  # she now sees the current owner
    assert (await Idea.get(id=idea.id)).owner_id == sam.id
    assert await AuditEntry.filter(action="idea.assign").count() == 1


async def test_only_team_members_can_own_ideas(browser_for, alice, sam, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(sam)
    response = await client.post(f"/staff/ideas/{idea.id}/owner", {"owner": str(alice.id), "version": "0"})
    assert response.status_code == 422
    assert "not on the product team" in soup(response).select_one("#owner-error").text
    assert (await Idea.get(id=idea.id)).owner_id is None


async def test_status_change_without_javascript_redirects_and_records_everything(browser_for, alice, sam, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(sam)
    page = soup(await client.get(f"/staff/ideas/{idea.id}"))
    assert [o["value"] for o in page.select("#to-status option")] == ["under_review", "declined", "archived"]
    response = await client.post(f"/staff/ideas/{idea.id}/status",
                                 {"to_status": "under_review", "message": "Looking into it **now**", "version": "0"})
    assert response.status_code == 303 and response.headers["location"] == f"/staff/ideas/{idea.id}"
    page = soup(await client.get(f"/staff/ideas/{idea.id}"))
    assert "Moved to Under review" in page.select_one(".flash").text
    assert page.select_one(".timeline strong").text == "now"
    idea = await Idea.get(id=idea.id)
    assert (idea.status, idea.version) == (Status.UNDER_REVIEW, 1)
    assert await AuditEntry.filter(action="status.change", target_id=idea.id, actor_id=sam.id).exists()


async def test_status_change_with_htmx_swaps_the_panel(browser_for, alice, sam, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(sam)
    response = await client.post(f"/staff/ideas/{idea.id}/status", {"to_status": "under_review", "version": "0"},
                                 htmx=True)
    panel = soup(response)
    assert panel.html is None and panel.select_one("#status-panel .status").text == "Under review"
    assert panel.select_one("input[name=version]")["value"] == "1"
    assert [o["value"] for o in panel.select("#to-status option")] == ["planned", "declined", "archived"]


async def test_an_illegal_move_is_explained_and_the_message_kept(browser_for, alice, sam, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(sam)
    for htmx in (False, True):
        response = await client.post(f"/staff/ideas/{idea.id}/status",
                                     {"to_status": "launched", "message": "Shipped it!", "version": "0"}, htmx=htmx)
        assert response.status_code == 422
        page = soup(response)
        assert "can move to Under review" in page.select_one("#status-error").text
        assert page.select_one("#status-message").text == "Shipped it!"
        assert (page.html is None) is htmx
    assert (await Idea.get(id=idea.id)).status == Status.NEW


async def test_a_stale_status_form_gets_a_conflict_and_nothing_changes(browser_for, alice, sam, ada, make_idea):
    idea = await make_idea(alice)
    await (await browser_for(ada)).post(f"/staff/ideas/{idea.id}/status",
                                        {"to_status": "under_review", "version": "0"})
    client = await browser_for(sam)
    response = await client.post(f"/staff/ideas/{idea.id}/status",
                                 {"to_status": "declined", "message": "Not for now", "version": "0"}, htmx=True)
    assert response.status_code == 422
    page = soup(response)
    assert "Someone changed this idea" in page.select_one("#status-error").text
    assert page.select_one("#status-message").text == "Not for now"
    assert page.select_one("input[name=version]")["value"] == "1"
    assert (await Idea.get(id=idea.id)).status == Status.UNDER_REVIEW
    assert await IdeaEvent.filter(idea_id=idea.id).count() == 1


async def test_official_response_is_published_on_the_timeline(browser_for, alice, sam, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(sam)
    empty = await client.post(f"/staff/ideas/{idea.id}/respond", {"response": "  ", "version": "0"})
    assert empty.status_code == 422 and "Write a response" in soup(empty).select_one("#response-error").text
    response = await client.post(f"/staff/ideas/{idea.id}/respond",
                                 {"response": "We *love* this <script>x</script>", "version": "0"}, htmx=True)
    panel = soup(response)
    assert panel.select_one(".timeline-response em").text == "love"
    assert not panel.select("script")
    event = await IdeaEvent.get(idea_id=idea.id)
    assert event.kind == EventKind.RESPONSE and event.actor_id == sam.id


async def test_merging_a_duplicate_from_the_staff_page(browser_for, alice, bob, sam, make_idea):
    original = await make_idea(alice, "Dark mode for the mobile app")
    duplicate = await make_idea(bob, "Night theme for the app please")
    client = await browser_for(sam)
    search = soup(await client.get(f"/staff/ideas/{duplicate.id}?merge_q=dark"))
    assert [li.text.split()[0] for li in search.select(".candidates li")] == [f"#{original.id}"]

    itself = await client.post(f"/staff/ideas/{duplicate.id}/merge", {"target": str(duplicate.id)})
    assert itself.status_code == 422 and "into itself" in soup(itself).select_one("#merge-error").text
    nowhere = await client.post(f"/staff/ideas/{duplicate.id}/merge", {"target": "tea"})
    assert nowhere.status_code == 422 and soup(nowhere).select_one("#merge-target")["value"] == "tea"

    response = await client.post(f"/staff/ideas/{duplicate.id}/merge", {"target": f"#{original.id}"})
    assert response.status_code == 303 and response.headers["location"] == f"/staff/ideas/{original.id}"
    merged = await Idea.get(id=duplicate.id)
    assert (merged.status, merged.merged_into_id) == (Status.DUPLICATE, original.id)
    assert "Merged #" in soup(await client.get(f"/staff/ideas/{original.id}")).select_one(".flash").text


async def test_ada_manages_categories(browser_for, ada, alice, categories, make_idea):
    from ideaboard.models import Category

    idea = await make_idea(alice, category=categories["Rewards"])
    client = await browser_for(ada)
    bad = await client.post("/staff/admin/categories", {"name": "Mobile app"})
    assert bad.status_code == 422
    assert "already a category" in soup(bad).select_one("#name-error").text
    assert soup(bad).select_one("#new-category")["value"] == "Mobile app"
    await client.post("/staff/admin/categories", {"name": "Drinks & food"})
    created = await Category.get(name="Drinks & food")
    assert (created.slug, created.position) == ("drinks-food", 3)

    rewards = categories["Rewards"]
    await client.post(f"/staff/admin/categories/{rewards.id}/rename", {"name": "Loyalty"})
    await client.post(f"/staff/admin/categories/{rewards.id}/move", {"direction": "up"})
    names = [c.name for c in await Category.all()]
    assert names == ["Mobile app", "Loyalty", "In the store", "Drinks & food"]
    page = soup(await client.get("/staff/admin/categories"))
    assert [i["value"] for i in page.select("form.rename input[name=name]")] == names

    await client.post(f"/staff/admin/categories/{rewards.id}/delete")
    assert not await Category.filter(id=rewards.id).exists()
    assert (await Idea.get(id=idea.id)).category_id is None  # the idea stays, uncategorised
    actions = await AuditEntry.all().order_by("id").values_list("action", flat=True)
    assert actions == ["category.create", "category.rename", "category.move", "category.delete"]


async def test_ada_changes_roles_but_not_her_own(browser_for, ada, erin):
    from ideaboard.models import Role, User

    client = await browser_for(ada)
    await client.post(f"/staff/admin/users/{erin.id}/role", {"role": "staff"})
    assert (await User.get(id=erin.id)).role == Role.STAFF
    await client.post(f"/staff/admin/users/{ada.id}/role", {"role": "customer"})
    assert (await User.get(id=ada.id)).role == Role.ADMIN
    assert "cannot change your own role" in soup(await client.get("/staff/admin/users")).select_one(".flash-error").text
    await client.post(f"/staff/admin/users/{erin.id}/role", {"role": "emperor"})
    assert (await User.get(id=erin.id)).role == Role.STAFF
    entry = await AuditEntry.get(action="user.role")
    assert entry.detail == {"from_role": "employee", "to_role": "staff"}


async def test_simultaneous_claims_with_the_same_version_let_exactly_one_win(alice, sam, ada, make_idea):
    import asyncio

    from ideaboard import assignment

    idea = await make_idea(alice)
    copies = [await Idea.get(id=idea.id) for _ in range(2)]
    results = await asyncio.gather(assignment.claim(copies[0], sam, 0), assignment.claim(copies[1], ada, 0),
                                   return_exceptions=True)
    assert sum(isinstance(r, Conflict) for r in results) == 1
    fresh = await Idea.get(id=idea.id)
    assert fresh.version == 1 and fresh.owner_id in (sam.id, ada.id)
    assert await AuditEntry.filter(action="idea.assign").count() == 1
