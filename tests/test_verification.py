"""Email verification: a new member reads at once, confirms before posting, and only a confirmed company address
makes an employee. Mallory types a company address she does not own."""

import re

import pytest
from bs4 import BeautifulSoup

from ideaboard.accounts import create_user
from ideaboard.models import Comment, Idea, Role, Space, User, Vote
from tests.conftest import PASSWORD
from tests.mailbox import last_link_to, outbox, text_of


async def _sign_up(client, name: str, email: str):
    response = await client.post("/signup", {"name": name, "email": email, "password": PASSWORD})
    assert response.status_code == 200 and "Check your inbox" in response.text
    await client.login(email)  # she closed the tab and logs in with her password before reading the email
    return await User.get(email=email)


@pytest.fixture
async def mallory(browser_for):
    """Mallory signs up with a company address she cannot read mail for."""
    client = await browser_for()
    user = await _sign_up(client, "Mallory", "mallory@brewline.example")
    return user, client


async def test_an_unverified_member_reads_but_confirms_before_posting_and_keeps_her_text(browser_for, settings,
                                                                                         categories):
    nina_client = await browser_for()
    nina = await _sign_up(nina_client, "Nina Park", "nina@example.com")
    assert (await nina_client.get("/")).status_code == 200 and "Nina Park" in (await nina_client.get("/")).text

    form = {"title": "Dark mode for the mobile app", "body": "My eyes at 6am.", "category": "", "tags": "ui"}
    response = await nina_client.post("/ideas/new", form)
    assert response.status_code == 403
    page = BeautifulSoup(response.text, "html.parser")
    assert "confirm your email address first" in page.select_one(".verify-notice").text
    assert page.select_one("#title")["value"] == "Dark mode for the mobile app"
    assert page.select_one("#body").text == "My eyes at 6am."
    assert await Idea.all().count() == 0

    before = len(outbox(settings))
    response = await nina_client.post("/ideas/new", {**form, "resend_verification": "1"})  # the form's own button
    page = BeautifulSoup(response.text, "html.parser")
    assert response.status_code == 200 and "We sent a new confirmation link" in page.select_one(".verify-notice").text
    assert page.select_one("#title")["value"] == "Dark mode for the mobile app"
    assert len(outbox(settings)) == before + 1 and await Idea.all().count() == 0

    await nina_client.get(last_link_to(settings, "nina@example.com"))
    response = await nina_client.post("/ideas/new", form)
    assert response.status_code == 303 and await Idea.filter(author_id=nina.id).count() == 1


async def test_an_unverified_vote_or_comment_asks_to_confirm_first(browser_for, settings, alice, make_idea):
    idea = await make_idea(alice)
    nina_client = await browser_for()
    await _sign_up(nina_client, "Nina Park", "nina@example.com")

    response = await nina_client.post(f"/ideas/{idea.id}/vote", {"value": "up"}, htmx=True)
    assert "confirm your email" in BeautifulSoup(response.text, "html.parser").select_one(".vote-error").text
    assert await Vote.all().count() == 0

    response = await nina_client.post(f"/ideas/{idea.id}/comments", {"body": "Yes please!"}, htmx=True)
    assert response.status_code == 422  # swapped in by htmx, with the text kept
    section = BeautifulSoup(response.text, "html.parser")
    assert section.select_one("#comment-body").text == "Yes please!"
    assert section.select_one(".verify-notice button[name=resend_verification]")
    assert await Comment.all().count() == 0


async def test_the_verification_link_works_once_and_a_broken_one_gets_a_friendly_page(visitor, settings):
    await visitor.post("/signup", {"name": "Nina Park", "email": "nina@example.com", "password": PASSWORD})
    link = last_link_to(settings, "nina@example.com")
    assert (await visitor.get(link)).status_code == 303
    await visitor.post("/logout")
    again = await visitor.get(link)  # a second click logs nobody in
    assert again.status_code == 200 and "already confirmed" in again.text and "Log out" not in again.text
    broken = await visitor.get(link[:-3] + "xyz")
    assert broken.status_code == 400 and "This link no longer works" in broken.text
    assert (await visitor.get("/verify/not-even-a-token")).status_code == 400


async def test_mallory_unverified_gets_404_on_every_internal_url_until_she_verifies(mallory, erin, make_idea,
                                                                                    settings):
    user, client = mallory
    assert user.role == Role.CUSTOMER
    idea = await make_idea(erin, "Internal tooling for baristas", "Secret roadmap", space=Space.INTERNAL)
    urls = ["/internal", "/internal?sort=new", f"/ideas/{idea.id}", "/ideas/new?space=internal"]
    for url in urls:
        assert (await client.get(url)).status_code == 404, url
        assert (await client.get(url, headers={"HX-Request": "true"})).status_code == 404, url
    for url, form in [(f"/ideas/{idea.id}/vote", {"value": "up"}), (f"/ideas/{idea.id}/comments", {"body": "hi"}),
                      ("/ideas/new?space=internal", {"title": "Sneaking into internal"}),
                      (f"/ideas/{idea.id}/edit", {"title": "Sneaky edit of it"})]:
        assert (await client.post(url, form)).status_code == 404, url
        assert (await client.post(url, form, htmx=True)).status_code == 404, url
    assert "Internal tooling" not in (await client.get("/search?q=internal+tooling")).text
    assert "Internal tooling" not in (await client.get("/ideas/similar?title=internal+tooling+baristas")).text
    assert 'href="/internal"' not in (await client.get("/")).text

    await client.get(last_link_to(settings, "mallory@brewline.example"))  # she can read that inbox after all
    assert (await User.get(id=user.id)).role == Role.EMPLOYEE
    assert (await client.get("/internal")).status_code == 200
    assert (await client.get(f"/ideas/{idea.id}")).status_code == 200
    assert "Internal tooling" in (await client.get("/search?q=internal+tooling")).text


async def test_accounts_made_by_operators_are_verified(app):
    erin = await create_user("erin2@brewline.example", "Erin Two", PASSWORD, Role.EMPLOYEE)
    assert erin.email_verified_at is not None


async def test_the_verification_email_has_both_parts_and_one_link(visitor, settings):
    await visitor.post("/signup", {"name": "Nina <b>Park</b>", "email": "nina@example.com", "password": PASSWORD})
    [mail] = outbox(settings)
    assert re.search(r"http://testserver/verify/\S+", text_of(mail))
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "Nina &lt;b&gt;Park&lt;/b&gt;" in html and "Confirm my email" in html
