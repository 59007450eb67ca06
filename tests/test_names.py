"""Display names: trimmed, no control or direction-override characters, something visible, and nobody passes for
the team (Sam Rivera is staff; mallory tries 'SAM rivera' in full-width letters)."""

import pytest
from bs4 import BeautifulSoup

from ideaboard.models import User
from ideaboard.names import clean_name, imitates_staff, name_problem


def test_names_are_trimmed_and_inner_spaces_collapsed():
    assert clean_name("  Nina \u3000 Park  ") == "Nina Park"


@pytest.mark.parametrize(("name", "advice"), [
    ("Nina\u202eetsiS", "text-direction control"),
    ("Nina\u2066Park", "text-direction control"),
    ("Nina\x07Park", "control characters"),
    ("\u200b\u200b\u200d", "at least one visible"),
    ("\u3164", "at least one visible"),
    ("", "Enter the name"),
    ("N" * 81, "at most 80"),
])
def test_unreadable_names_are_refused_with_advice(name, advice):
    assert advice in name_problem(clean_name(name))


@pytest.mark.parametrize("name", ["Nina Park", "José Álvarez", "李小龍", "Zoë 👩\u200d💻", "O'Brien-Smith"])
def test_ordinary_names_from_anywhere_pass(name):
    assert name_problem(clean_name(name)) is None


@pytest.mark.parametrize("copy", ["Sam Rivera", "sam rivera", "\uff33\uff21\uff2d \uff32\uff29\uff36\uff25\uff32\uff21",
                                  "Sam\u200bRivera", "SamRivera"])
async def test_a_name_that_reads_like_a_staff_members_is_detected(sam, copy):
    assert await imitates_staff(copy)
    assert not await imitates_staff(copy, person_id=sam.id)  # Sam may keep his own name
    assert not await imitates_staff("Sam Riviera")


async def test_mallory_cannot_sign_up_as_a_staff_member(visitor, sam):
    response = await visitor.post("/signup", {"name": "\uff33\uff21\uff2d rivera", "email": "mallory@example.com",
                                              "password": "a fine long passphrase"})
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert "belongs to a member of our team" in soup.select_one("#name-error").text
    assert not await User.filter(email="mallory@example.com").exists()


async def test_a_name_with_a_direction_override_is_refused_at_sign_up(visitor):
    response = await visitor.post("/signup", {"name": "Bob\u202e moc.elgoog", "email": "m@example.com",
                                              "password": "a fine long passphrase"})
    assert response.status_code == 422
    assert "text-direction control" in response.text
