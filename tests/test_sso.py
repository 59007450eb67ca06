"""Single sign-on with OpenID Connect against a fake provider over real HTTP: Erin signs in with her company account
and is an employee because the directory says so; a forged, replayed or misdirected token gets a friendly refusal."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from bs4 import BeautifulSoup

from ideaboard import sso
from ideaboard.models import AuditEntry, LinkedIdentity, Role, User
from tests.conftest import Browserless
from tests.fake_oidc import CLIENT_ID, CLIENT_SECRET, fake_oidc  # noqa: F401  (fixture)


@pytest.fixture
def settings(settings, fake_oidc):  # noqa: F811
    return replace(settings, oidc_issuer=fake_oidc.base_url, oidc_client_id=CLIENT_ID,
                   oidc_client_secret=CLIENT_SECRET, oidc_button_label="Brewline SSO")


async def start(browser: Browserless, next_path: str = "/") -> str:
    """Press the login page's SSO button; returns where our site sends the browser (the provider's authorize URL)."""
    response = await browser.post("/login/oidc", {"next": next_path})
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def through_provider(authorize_url: str) -> str:
    """The provider's side, over real HTTP: it approves and sends the browser back to our callback."""
    async with httpx.AsyncClient() as http:
        response = await http.get(authorize_url)
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def sign_in(browser: Browserless, next_path: str = "/") -> httpx.Response:
    callback = await through_provider(await start(browser, next_path))
    return await browser.get(callback)


async def set_rule(ada_browser: Browserless, claim: str = "", value: str = "", domains: str = "") -> None:
    response = await ada_browser.post("/staff/admin/sso", {"claim": claim, "value": value, "domains": domains})
    assert response.status_code == 303


async def test_the_login_page_offers_the_configured_provider(visitor):
    soup = BeautifulSoup((await visitor.get("/login")).text, "html.parser")
    button = soup.select_one("form[action='/login/oidc'] button")
    assert button.text.strip() == "Sign in with Brewline SSO"


async def test_erin_signs_in_and_the_groups_claim_makes_her_an_employee(browser_for, ada, fake_oidc):  # noqa: F811
    await set_rule(await browser_for(ada), claim="groups", value="employees")
    erin = await browser_for()
    response = await sign_in(erin, "/internal")
    assert response.status_code == 303 and response.headers["location"] == "/internal"
    assert (await erin.get("/internal")).status_code == 200
    user = await User.get(email="erin.cho@brewline.example")
    assert (user.name, user.role) == ("Erin Cho", Role.EMPLOYEE)
    identity = await LinkedIdentity.get(user=user)
    assert (identity.issuer, identity.subject) == (fake_oidc.base_url, "emp-1001")
    # the flow used PKCE (S256) and a nonce; the provider checked the verifier before answering
    authorize = fake_oidc.authorize_requests[-1]
    assert authorize["code_challenge_method"] == "S256" and authorize["nonce"]
    assert fake_oidc.token_requests[-1]["code_verifier"]
    assert await AuditEntry.filter(action="user.role", target_id=user.id).exists()


async def test_without_the_claim_the_person_stays_a_customer(browser_for, ada, fake_oidc):  # noqa: F811
    await set_rule(await browser_for(ada), claim="groups", value="employees")
    fake_oidc.person = {**fake_oidc.person, "sub": "contractor-7", "email": "kai@contractor.example",
                        "name": "Kai Lee", "groups": ["contractors"]}
    kai = await browser_for()
    await sign_in(kai)
    assert (await User.get(email="kai@contractor.example")).role == Role.CUSTOMER
    assert (await kai.get("/internal")).status_code == 404


async def test_a_verified_company_domain_can_make_employees_but_an_unverified_one_cannot(
        browser_for, ada, fake_oidc):  # noqa: F811
    await set_rule(await browser_for(ada), domains="brewline.example")
    fake_oidc.person = {"sub": "u-1", "email": "mallory@brewline.example", "email_verified": False, "name": "Mal"}
    await sign_in(await browser_for())
    assert (await User.get(email="mallory@brewline.example")).role == Role.CUSTOMER
    fake_oidc.person = {"sub": "u-2", "email": "noor@brewline.example", "email_verified": True, "name": "Noor"}
    await sign_in(await browser_for())
    assert (await User.get(email="noor@brewline.example")).role == Role.EMPLOYEE


async def test_the_next_sign_in_finds_the_account_by_issuer_and_subject_even_if_the_email_changed(
        browser_for, fake_oidc):  # noqa: F811
    await sign_in(await browser_for())
    first = await User.get(email="erin.cho@brewline.example")
    fake_oidc.person = {**fake_oidc.person, "email": "erin@brewline.example"}
    again = await browser_for()
    await sign_in(again)
    page = await again.get(f"/users/{first.id}")
    assert "Linked sign-in methods" in page.text  # her own profile: she is signed in as the same person
    assert await User.all().count() == 1


async def test_an_existing_account_is_joined_only_when_the_provider_verifies_the_email(
        browser_for, alice, fake_oidc):  # noqa: F811
    fake_oidc.person = {"sub": "alice-idp", "email": "alice@example.com", "email_verified": False, "name": "Alice"}
    mallory = await browser_for()
    refused = await sign_in(mallory)
    assert refused.status_code == 400
    assert "does not confirm the address is yours" in refused.text
    assert "Log out" not in (await mallory.get("/")).text
    assert not await LinkedIdentity.exists()

    fake_oidc.person = {**fake_oidc.person, "email_verified": True}
    real_alice = await browser_for()
    await sign_in(real_alice)
    assert (await LinkedIdentity.get(subject="alice-idp")).user_id == alice.id


@pytest.mark.parametrize(("misbehaviour", "reason"), [
    ("tampered", "bad_signature"), ("unknown_key", "bad_signature"), ("wrong_nonce", "'nonce'"),
    ("wrong_audience", "'aud'"), ("other_client", "'aud'"), ("wrong_issuer", "'iss'"), ("expired", "expired")])
async def test_a_forged_or_misdirected_id_token_is_refused_with_a_friendly_page(
        browser_for, fake_oidc, misbehaviour, reason, caplog):  # noqa: F811
    fake_oidc.misbehave = misbehaviour
    mallory = await browser_for()
    response = await sign_in(mallory)
    assert reason in caplog.text  # refused for the right reason, not by accident
    assert response.status_code == 400
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("h1").text == "We couldn't sign you in with Brewline SSO"
    assert "not accepted" in soup.select_one(".error-page [role=alert]").text
    assert soup.select_one("header.topbar") is not None
    assert "Log out" not in (await mallory.get("/")).text
    assert not await User.exists()


async def test_a_callback_url_works_once(browser_for, fake_oidc):  # noqa: F811
    erin = await browser_for()
    callback = await through_provider(await start(erin))
    assert (await erin.get(callback)).status_code == 303
    await erin.post("/logout")
    replay = await erin.get(callback)
    assert replay.status_code == 400 and "not accepted" in replay.text


async def test_a_callback_without_the_flow_started_in_this_browser_is_refused(browser_for, fake_oidc):  # noqa: F811
    """Mallory starts a sign-in herself and sends Alice the callback link: Alice's browser has no such flow."""
    mallory = await browser_for()
    callback = await through_provider(await start(mallory))
    alice = await browser_for()
    response = await alice.get(callback)
    assert response.status_code == 400
    assert "Log out" not in (await alice.get("/")).text


async def test_a_deactivated_person_cannot_come_back_through_the_provider(browser_for, fake_oidc):  # noqa: F811
    await sign_in(await browser_for())
    await User.filter(email="erin.cho@brewline.example").update(is_active=False)
    response = await sign_in(await browser_for())
    assert response.status_code == 400 and "deactivated" in response.text


async def test_a_provider_name_that_imitates_staff_is_not_used(browser_for, sam, fake_oidc):  # noqa: F811
    fake_oidc.person = {"sub": "x-9", "email": "imposter@example.com", "email_verified": True, "name": "SAM RIVERA"}
    await sign_in(await browser_for())
    assert (await User.get(email="imposter@example.com")).name == "imposter"


async def test_alice_links_her_company_account_from_her_profile_and_can_unlink_it(
        browser_for, alice, fake_oidc):  # noqa: F811
    fake_oidc.person = {"sub": "alice-idp", "email": "alice.m@corp.example", "email_verified": True, "name": "A"}
    alice_browser = await browser_for(alice)
    profile = BeautifulSoup((await alice_browser.get(f"/users/{alice.id}")).text, "html.parser")
    assert profile.select_one("#linked-sign-in form[action='/login/oidc'] button").text.strip() == "Link Brewline SSO"
    linked = await sign_in(alice_browser)
    assert linked.headers["location"] == f"/users/{alice.id}"
    identity = await LinkedIdentity.get(subject="alice-idp")
    assert identity.user_id == alice.id
    assert not await User.filter(email="alice.m@corp.example").exists()  # linked, not a second account
    again = await browser_for()
    await sign_in(again)
    assert "Alice Martin" in (await again.get("/")).text
    await alice_browser.post(f"/account/identities/{identity.id}/unlink")
    assert not await LinkedIdentity.exists()


async def test_an_account_made_through_the_provider_cannot_unlink_its_only_way_in(browser_for, fake_oidc):  # noqa: F811
    erin = await browser_for()
    await sign_in(erin)
    user = await User.get(email="erin.cho@brewline.example")
    identity = await LinkedIdentity.get(user=user)
    await erin.post(f"/account/identities/{identity.id}/unlink")
    assert await LinkedIdentity.filter(id=identity.id).exists()
    assert "only way you can sign in" in (await erin.get(f"/users/{user.id}")).text


async def test_without_configuration_there_is_no_sso(app, settings):
    """Checked on the domain object: an app without OIDC_ISSUER registers no provider."""
    from redis.asyncio import Redis

    redis = Redis.from_url(settings.redis_url)
    try:
        assert sso.Providers(replace(settings, oidc_issuer="", oidc_client_id=""), redis).get(sso.OIDC) is None
    finally:
        await redis.aclose()

