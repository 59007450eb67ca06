"""Moving a board in and out: Ada imports ideas and votes from her old tool (checked first, all or nothing), and Sam
exports the board to a spreadsheet, where nothing a customer wrote can run as a formula."""

import csv
import io

from bs4 import BeautifulSoup

from ideaboard import vote_records
from ideaboard.models import AuditEntry, Idea, Space, Status, User, Vote
from tests.conftest import PASSWORD

IDEAS_CSV = """title,body,author_email,author_name,category,status,created_at
Oat milk at every store,Please,olga@oldtool.example,Olga Old,In the store,planned,2023-04-01
Pay with the watch,NFC please,alice@example.com,,,new,
Oat milk at every store,Same again,olga@oldtool.example,Olga Old,In the store,planned,2023-04-01
"""


def soup(response):
    return BeautifulSoup(response.text, "html.parser")


async def upload(browser, kind: str, text: str, action: str = "check"):
    token = await browser.csrf("/staff/admin/data")
    return await browser.http.post("/staff/admin/data", data={"csrf_token": token, "kind": kind, "action": action},
                                   files={"file": ("board.csv", text.encode(), "text/csv")})


async def test_a_dry_run_shows_what_would_happen_and_writes_nothing(browser_for, ada, alice, categories):
    admin = await browser_for(ada)
    response = await upload(admin, "ideas", IDEAS_CSV)
    assert response.status_code == 200
    report = soup(response).select_one("#import-report")
    assert "Dry run" in report.text
    assert ("2 ideas would be imported, 1 rows would be skipped and 1 new unclaimed accounts would be made"
            in report.text)
    assert await Idea.all().count() == 0 and not await User.filter(email="olga@oldtool.example").exists()


async def test_ada_imports_ideas_keeping_their_age_status_and_authors(browser_for, ada, alice, categories):
    admin = await browser_for(ada)
    response = await upload(admin, "ideas", IDEAS_CSV, action="import")
    assert response.status_code == 200 and "2 ideas were imported" in response.text
    oat = await Idea.get(title="Oat milk at every store").select_related("author", "category")
    assert (oat.status, oat.category.name, oat.author.name) == (Status.PLANNED, "In the store", "Olga Old")
    assert oat.created_at.year == 2023
    assert (await Idea.get(title="Pay with the watch")).author_id == alice.id
    # Olga's account is unclaimed: no password works until she resets it through her mailbox
    olga = oat.author
    assert olga.email_verified_at is None
    assert (await (await browser_for()).post("/login", {"email": olga.email, "password": PASSWORD})).status_code == 422
    assert (await AuditEntry.get(action="import.ideas")).detail == {"ideas": 2, "accounts": 1}
    again = await upload(admin, "ideas", IDEAS_CSV, action="import")
    assert "0 ideas were imported, 3 rows were skipped" in again.text
    assert await Idea.all().count() == 2


async def test_one_bad_row_imports_nothing_and_names_the_line(browser_for, ada, categories):
    text = IDEAS_CSV + "Hi,x,not-an-email,,Nowhere,shipped,tomorrow\n"
    response = await upload(await browser_for(ada), "ideas", text, action="import")
    assert response.status_code == 422
    row = soup(response).select("#import-report tbody tr")[0]
    assert row.select_one("td").text == "5"
    for part in ("title: The title needs 5", "author_email: Enter a valid email", "no category is called “Nowhere”",
                 "status: use one of", "“tomorrow” is not a date"):
        assert part in row.text
    assert await Idea.all().count() == 0


async def test_files_that_are_not_an_import_get_a_clear_message(browser_for, ada):
    admin = await browser_for(ada)
    cases = {"title,colour\nx,y\n": "Unknown columns: colour",
             "body\nhello\n": "missing: title, author_email",
             "title,author_email\n": "no rows",
             "\x00\x01binary": "not a CSV text file"}
    for text, message in cases.items():
        response = await upload(admin, "ideas", text)
        assert response.status_code == 422 and message in soup(response).select_one("#import-error").text, text
    not_utf8 = await admin.http.post("/staff/admin/data", data={"csrf_token": await admin.csrf("/staff/admin/data"),
                                                                 "kind": "ideas"},
                                     files={"file": ("x.csv", "title\nCafé".encode("latin-1"), "text/csv")})
    assert "not UTF-8" in not_utf8.text
    nothing = await admin.post("/staff/admin/data", {"kind": "ideas"})  # a plain form with no file
    assert nothing.status_code == 422 and "Choose a CSV file" in nothing.text


async def test_votes_import_sets_counts_exactly_and_twice_changes_nothing(browser_for, ada, alice, bob, make_idea):
    idea = await make_idea(alice, "Pay with the watch")
    other = await make_idea(alice, "Oat milk at every store")
    await Vote.create(idea_id=idea.id, user_id=bob.id, value=-1)
    await vote_records.recount(idea.id)
    text = (f"idea_id,idea_title,voter_email,value\n{idea.id},,bob@example.com,1\n"
            f",Oat milk at every store,carol@oldtool.example,-1\n{idea.id},,carol@oldtool.example,up\n"
            f"{idea.id},,carol@oldtool.example,1\n")
    admin = await browser_for(ada)
    for _ in range(2):
        response = await upload(admin, "votes", text, action="import")
        assert "3 votes were imported" in response.text
    fresh, oat = await Idea.get(id=idea.id), await Idea.get(id=other.id)
    assert (fresh.upvotes, fresh.downvotes, fresh.score) == (2, 0, 2)  # Bob's -1 became +1, Carol +1
    assert (oat.upvotes, oat.downvotes, oat.score) == (0, 1, -1)
    assert await Vote.all().count() == 3
    bad = await upload(admin, "votes", "idea_id,voter_email,value\n999999,x@y.example,2\n")
    assert "there is no idea 999999" in bad.text and "value: use 1 (up) or -1 (down)" in bad.text


async def test_sam_exports_ideas_and_votes_and_formulas_stay_text(browser_for, sam, alice, bob, make_idea):
    await make_idea(alice, "=HYPERLINK(\"http://evil.example\",\"x\")")
    internal = await make_idea(sam, "Internal tooling idea", space=Space.INTERNAL)
    await Vote.create(idea_id=internal.id, user_id=bob.id, value=1)
    staff = await browser_for(sam)
    response = await staff.get("/staff/export/ideas.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="ideas-')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["title"] for r in rows] == ["'=HYPERLINK(\"http://evil.example\",\"x\")", "Internal tooling idea"]
    assert rows[1]["space"] == "internal" and rows[1]["author_email"] == sam.email
    assert rows[1]["url"].endswith(f"/ideas/{internal.id}")
    votes = list(csv.DictReader(io.StringIO((await staff.get("/staff/export/votes.csv")).text)))
    assert [(v["idea_id"], v["voter_email"], v["value"]) for v in votes] == [(str(internal.id), bob.email, "1")]
    assert await AuditEntry.filter(action__startswith="export.").count() == 2


async def test_the_export_is_read_a_page_at_a_time(browser_for, sam, alice, monkeypatch):
    from ideaboard import exports
    monkeypatch.setattr(exports, "PAGE", 2)
    await Idea.bulk_create([Idea(title=f"Idea number {n}", author_id=alice.id) for n in range(5)])
    rows = list(csv.DictReader(io.StringIO((await (await browser_for(sam)).get("/staff/export/ideas.csv")).text)))
    assert [r["title"] for r in rows] == [f"Idea number {n}" for n in range(5)]


async def test_only_staff_export_and_only_admins_import(browser_for, alice, sam):
    customer, staff = await browser_for(alice), await browser_for(sam)
    assert (await customer.get("/staff/export/ideas.csv")).status_code == 403
    assert (await staff.get("/staff/admin/data")).status_code == 403
    assert (await (await browser_for()).get("/staff/export/votes.csv")).status_code == 303  # to the login page


async def test_a_file_upload_without_the_forms_token_is_refused(browser_for, ada):
    admin = await browser_for(ada)
    for token in ({}, {"csrf_token": "forged"}):
        response = await admin.http.post("/staff/admin/data", data={"kind": "ideas", "action": "import", **token},
                                         files={"file": ("x.csv", IDEAS_CSV.encode(), "text/csv")})
        assert response.status_code == 403
    assert await Idea.all().count() == 0
