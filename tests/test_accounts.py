"""Sign up, log in, log out: what a new member and a returning one experience."""

from bs4 import BeautifulSoup

from ideaboard.models import Role, User
from tests.conftest import PASSWORD
from tests.mailbox import last_link_to, outbox, text_of


async def test_a_customer_signs_up_and_is_asked_to_confirm_their_email(visitor, settings):
    response = await visitor.post("/signup", {"name": "Nina Park", "email": "Nina@Example.com", "password": PASSWORD})
    assert response.status_code == 200 and "Check your inbox" in response.text and "nina@example.com" in response.text
    nina = await User.get(email="nina@example.com")
    assert nina.role == Role.CUSTOMER and nina.email_verified_at is None
    assert nina.password_hash.startswith("$argon2id$") and PASSWORD not in nina.password_hash
    [mail] = outbox(settings)
    assert mail["To"] == "nina@example.com" and "Confirm your email" in mail["Subject"]

    response = await visitor.get(last_link_to(settings, "nina@example.com"))  # she follows the link
    assert response.status_code == 303
    page = await visitor.get("/")
    assert "Nina Park" in page.text and "Log out" in page.text and "your email address is confirmed" in page.text
    assert (await User.get(id=nina.id)).email_verified_at is not None


async def test_signing_up_with_the_company_domain_makes_an_employee_only_once_verified(visitor, settings):
    await visitor.post("/signup", {"name": "Erin Cho", "email": "erin@brewline.example", "password": PASSWORD})
    erin = await User.get(email="erin@brewline.example")
    assert erin.role == Role.CUSTOMER  # anyone can type a company address
    await visitor.get(last_link_to(settings, "erin@brewline.example"))
    erin = await User.get(email="erin@brewline.example")
    assert erin.role == Role.EMPLOYEE
    profile = BeautifulSoup((await visitor.get(f"/users/{erin.id}")).text, "html.parser")
    assert profile.select_one("h1 .badge-employee").text == "Employee"


async def test_an_invalid_signup_shows_every_problem_and_keeps_what_was_typed(visitor):
    response = await visitor.post("/signup", {"name": "Nina Park", "email": "not-an-email", "password": "short"})
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert "valid email" in soup.select_one("#email-error").text
    assert "10 characters" in soup.select_one("#password-error").text
    assert soup.select_one("#name")["value"] == "Nina Park"
    assert soup.select_one("#email")["value"] == "not-an-email"
    assert soup.select_one("#password").get("value") is None  # passwords are never echoed back
    assert await User.all().count() == 0


async def test_signing_up_with_a_taken_address_answers_the_same_and_tells_only_its_owner(visitor, alice, settings):
    fresh = await visitor.post("/signup", {"name": "Nina Park", "email": "nina@example.com", "password": PASSWORD})
    taken = await visitor.post("/signup", {"name": "Other Alice", "email": "alice@example.com",
                                           "password": "another long password"})
    assert taken.status_code == fresh.status_code == 200
    assert taken.text.replace("alice@example.com", "X") == fresh.text.replace("nina@example.com", "X")
    assert "Log out" not in (await visitor.get("/")).text  # signing up logs nobody in: the link does
    assert await User.filter(email="alice@example.com").count() == 1
    alice_again = await User.get(email="alice@example.com")
    assert alice_again.name == "Alice Martin" and alice_again.password_hash == alice.password_hash
    [mail] = [m for m in outbox(settings) if m["To"] == "alice@example.com"]
    assert "already have" in mail["Subject"] and "/password-reset/" in text_of(mail)
    assert "you already have an account" in text_of(mail)


async def test_login_with_a_wrong_password_is_refused_without_saying_which_part_was_wrong(visitor, alice):
    response = await visitor.post("/login", {"email": "alice@example.com", "password": "wrong password!"})
    assert response.status_code == 422
    assert "do not match an account" in response.text
    assert "Log out" not in response.text


async def test_login_goes_back_to_the_page_the_visitor_wanted_but_never_off_site(visitor, alice):
    response = await visitor.post("/login", {"email": "alice@example.com", "password": PASSWORD, "next": "/search"})
    assert response.headers["location"] == "/search"
    await visitor.post("/logout")
    response = await visitor.post("/login", {"email": "alice@example.com", "password": PASSWORD,
                                             "next": "//evil.example/phish"})
    assert response.headers["location"] == "/"


async def test_logout_ends_the_session(browser_for, alice):
    client = await browser_for(alice)
    assert "Log out" in (await client.get("/")).text
    await client.post("/logout")
    assert "Log out" not in (await client.get("/")).text


async def test_repeated_failed_logins_are_rate_limited_even_with_the_right_password(visitor, alice, settings):
    for _ in range(settings.login_attempts_per_minute):
        await visitor.post("/login", {"email": "alice@example.com", "password": "guess guess guess"})
    response = await visitor.post("/login", {"email": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many login attempts" in response.text


async def test_the_session_cookie_is_http_only_and_same_site(visitor):
    response = await visitor.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


async def test_a_profile_shows_a_persons_ideas_comments_and_supported_ideas(browser_for, alice, bob, make_idea):
    idea = await make_idea(alice, "Save my usual order")
    bob_client = await browser_for(bob)
    await bob_client.post(f"/ideas/{idea.id}/vote", {"value": "up"})
    await bob_client.post(f"/ideas/{idea.id}/comments", {"body": "Yes, every single morning."})
    visitor = await browser_for()
    soup = BeautifulSoup((await visitor.get(f"/users/{bob.id}")).text, "html.parser")
    sections = {s.h2.text: s.text for s in soup.select("section.card") if s.h2}
    assert "Save my usual order" in sections["Comments"]
    assert "Save my usual order" in sections["Supports"]
    alice_page = BeautifulSoup((await visitor.get(f"/users/{alice.id}")).text, "html.parser")
    assert "Save my usual order" in alice_page.select("section.card")[1].text
