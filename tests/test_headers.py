"""Security headers: every page says what may run, that it may not be framed, and (on HTTPS) to stay on HTTPS."""

import re
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from ideaboard.app import create_app
from ideaboard.settings import _replace

PAGES = ["/", "/login", "/ideas/999", "/static/css/app.css", "/?page=%C2%B2"]


@pytest.mark.parametrize("path", PAGES)
async def test_every_response_carries_the_security_headers(visitor, path):
    response = await visitor.get(path)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers  # plain HTTP on a laptop: no HSTS


async def test_the_staff_console_cannot_be_framed(browser_for, sam):
    client = await browser_for(sam)
    response = await client.get("/staff/")
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_hsts_is_sent_when_the_site_is_https_only(settings):
    app = create_app(_replace(settings, https_only=True))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            response = await client.get("/")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


def test_templates_have_no_inline_script_or_style_that_the_policy_would_block():
    root = Path(__file__).parent.parent / "ideaboard" / "templates"
    for template in root.rglob("*.html"):
        if template.parent == root / "email":  # mail clients need inline styles; no page serves these
            continue
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), f"inline <script> in {template.name}"
        assert not re.search(r"\s(on\w+|style|hx-on[\w:-]*)=", text), f"inline handler or style in {template.name}"
        assert "<style" not in text and "javascript:" not in text, template.name



async def _login_page_csp(settings) -> str:
    async with LifespanManager(create_app(settings)) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return (await client.get("/login")).headers["content-security-policy"]


async def test_forms_may_go_only_to_this_site_and_the_configured_sign_in_providers(settings):
    assert "form-action 'self';" in await _login_page_csp(settings)
    csp = await _login_page_csp(_replace(settings, oidc_issuer="https://id.brewline.example/realms/staff",
                                         oidc_client_id="ib", x_client_id="x-app"))
    assert "form-action 'self' https://id.brewline.example https://x.com;" in csp
