"""The password policy: one function for sign-up, password change and reset; each refusal says what to change."""

import pytest
from bs4 import BeautifulSoup

from ideaboard import demo
from ideaboard.models import User
from ideaboard.passwords import common_passwords, password_problem
from tests.conftest import PASSWORD

ALICE = {"email": "alice@example.com", "name": "Alice Martin"}


@pytest.mark.parametrize(("password", "advice"), [
    ("short", "at least 10 characters"),
    ("aaaaaaaaaa", "one character repeated"),
    (" " * 10, "one character repeated"),
    ("alice@example.com", "your email address or name"),
    ("Alice.Martin", "your email address or name"),
    ("alicemartin2026", "your email address or name"),
    ("1234567890", "commonly used passwords"),
    ("Password123", "commonly used passwords"),
    ("qwertyuiop", "commonly used passwords"),
    ("x" * 257, "at most 256"),
])
def test_weak_passwords_are_refused_with_advice(password, advice):
    assert advice in password_problem(password, **ALICE)


@pytest.mark.parametrize("password", [PASSWORD, demo.PASSWORD, "a long secret pass", "martin's cat is loud"])
def test_the_suites_and_the_demos_passwords_and_ordinary_passphrases_pass(password):
    assert password_problem(password, **ALICE) is None


def test_the_shipped_common_list_is_the_twenty_thousand_from_django():
    common = common_passwords()
    assert 19_000 < len(common) < 21_000
    assert {"password", "123456", "iloveyou", "qwertyuiop"} <= common


async def test_sign_up_with_a_common_password_keeps_the_form_and_says_what_to_change(visitor):
    response = await visitor.post("/signup", {"name": "Nina Park", "email": "nina@example.com",
                                              "password": "iloveyou123"})
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert "commonly used passwords" in soup.select_one("#password-error").text
    assert soup.select_one("#email")["value"] == "nina@example.com"
    assert not await User.filter(email="nina@example.com").exists()


async def test_sign_up_with_ten_spaces_is_refused(visitor):
    response = await visitor.post("/signup", {"name": "Nina Park", "email": "nina@example.com", "password": " " * 10})
    assert response.status_code == 422
    assert "one character repeated" in response.text
