"""Mentions: which member `@name` means, and which texts are not mentions at all."""

from ideaboard.accounts import create_user
from ideaboard.markdown import render_markdown
from ideaboard.mentions import handles, resolve
from ideaboard.models import Role


def test_handles_are_found_after_an_at_sign_but_not_inside_email_addresses():
    text = "Hi @Bob, ask @alice.martin. Mail bob@example.com or @Bob again; @@x and @-no"
    assert handles(text) == ["Bob", "alice.martin"]


async def test_a_first_name_or_a_whole_name_resolves_and_case_does_not_matter(alice, bob, erin):
    found = await resolve("@bob @Alice_Martin @ERIN.cho @nobody")
    assert {k: u.id for k, u in found.items()} == {"bob": bob.id, "alice martin": alice.id, "erin cho": erin.id}


async def test_two_people_with_one_first_name_need_the_whole_name(app, bob):
    other = await create_user("bob.h@example.com", "Bob Harris", "correct horse battery", Role.CUSTOMER)
    assert await resolve("@Bob") == {}  # ambiguous: nobody is notified, it stays text
    found = await resolve("@Bob.Harris @bob_nguyen")
    assert {k: u.id for k, u in found.items()} == {"bob harris": other.id, "bob nguyen": bob.id}


async def test_deactivated_members_are_not_mentionable(bob):
    bob.is_active = False
    await bob.save(update_fields=["is_active"])
    assert await resolve("@Bob") == {}


def test_mentions_link_in_text_but_not_in_code_or_inside_links():
    html = render_markdown("@Bob and `@Bob` and [see @Bob](https://example.com)", {"bob": "/users/2"})
    assert html.count('class="mention"') == 1 and "<code>@Bob</code>" in html
