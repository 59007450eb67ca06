"""In a real browser: Erin presses "Sign in with Brewline SSO", the fake provider (real HTTP) sends her back, and she
is an employee because her directory groups say so."""

from dataclasses import replace

import pytest

from ideaboard import sso
from ideaboard.models import LinkedIdentity, Role, User
from tests.browser import chromium_page, live_server, needs_chromium, screenshot
from tests.fake_oidc import CLIENT_ID, CLIENT_SECRET, fake_oidc  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, needs_chromium]


async def test_erin_signs_in_with_her_company_account_and_sees_the_internal_board(
        app, settings, ada, fake_oidc):  # noqa: F811
    await sso.set_employee_rule(ada, claim="groups", value="employees", domains="")
    configured = replace(settings, oidc_issuer=fake_oidc.base_url, oidc_client_id=CLIENT_ID,
                         oidc_client_secret=CLIENT_SECRET, oidc_button_label="Brewline SSO")
    with live_server(configured) as base:
        async with chromium_page() as page:
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.goto(base + "/login")
            await screenshot(page, "login-sso-390")
            await page.set_viewport_size({"width": 1280, "height": 900})
            await screenshot(page, "login-sso-1280")
            await page.click("button:has-text('Sign in with Brewline SSO')")
            await page.wait_for_selector("text=Welcome back, Erin Cho.")
            assert page.url.startswith(base)
            await page.click("nav a:has-text('Internal')")
            await page.wait_for_selector("h1")
            assert (await page.evaluate("location.pathname")) == "/internal"
            await screenshot(page, "sso-employee-internal")
    erin = await User.get(email="erin.cho@brewline.example")
    assert erin.role == Role.EMPLOYEE
    assert await LinkedIdentity.filter(user=erin, issuer=fake_oidc.base_url, subject="emp-1001").exists()
