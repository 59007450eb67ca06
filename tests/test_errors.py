"""Error pages (a friendly 404 and 500 that never leak a traceback) and the stylesheet on every page."""

import httpx
from starlette.routing import Route

from ideaboard.app import create_app


async def test_an_unexpected_error_shows_the_friendly_500_page_without_a_traceback(settings):
    from asgi_lifespan import LifespanManager

    async def explode(request):
        raise RuntimeError("secret internals")

    app = create_app(settings)
    app.router.routes.append(Route("/explode", explode))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get("/explode")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text and "secret internals" not in response.text


async def test_unknown_urls_get_the_404_page(visitor):
    response = await visitor.get("/no/such/page")
    assert response.status_code == 404 and "Back to ideas" in response.text


async def test_pages_inside_the_staff_console_link_the_same_stylesheet(browser_for, sam):
    client = await browser_for(sam)
    for path in ("/", "/staff/", "/staff/audit"):
        page = (await client.get(path)).text
        assert 'href="/static/css/app.css"' in page, path
    assert (await client.get("/static/css/app.css")).status_code == 200


async def test_access_denied_is_a_page_of_the_site_with_its_layout(browser_for, alice):
    from bs4 import BeautifulSoup

    response = await (await browser_for(alice)).get("/staff/")
    assert response.status_code == 403
    page = BeautifulSoup(response.text, "html.parser")
    assert page.html["lang"] == "en" and page.title.text == "That was not allowed · ideaboard"
    assert page.select_one("main h1").text == "That was not allowed"
    assert "for the product team" in page.select_one("main").text
    assert page.select_one("header nav[aria-label=Main] a[href='/roadmap']")  # the way back is right there
    assert 'href="/static/css/app.css"' in response.text


async def test_the_500_page_speaks_the_browsers_language_and_a_garbled_header_still_gets_a_page(settings):
    from asgi_lifespan import LifespanManager

    async def explode(request):
        raise RuntimeError("secret internals")

    app = create_app(settings)
    app.router.routes[:0] = [Route("/explode", explode), Route("/api/v1/explode", explode)]
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            german = await client.get("/explode", headers={"Accept-Language": "de-DE,de;q=0.9"})
            garbled = await client.get("/explode", headers={"Accept-Language": ";q=x,,\x7f;;=,de;q=nan"})
            api = await client.get("/api/v1/explode", headers={"Accept-Language": "de"})
    assert german.status_code == 500 and '<html lang="de"' in german.text
    assert "Bei uns ist etwas schiefgelaufen" in german.text and "secret internals" not in german.text
    assert garbled.status_code == 500 and "<h1>" in garbled.text
    assert api.status_code == 500 and api.json()["title"] == "Interner Serverfehler"
    assert api.json()["code"] == "server_error"
