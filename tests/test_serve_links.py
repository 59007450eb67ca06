"""Links that leave the site (og:url, share text, emails) name the address `ideaboard serve` really listens on."""

import httpx
from bs4 import BeautifulSoup

from ideaboard.cli import served_url
from tests.browser import live_server


def test_the_served_url_is_what_people_type():
    assert served_url("127.0.0.1", 8080) == "http://127.0.0.1:8080"
    assert served_url("0.0.0.0", 9000) == "http://localhost:9000"  # a wildcard is this machine
    assert served_url("::1", 8001) == "http://[::1]:8001"


async def test_an_idea_page_on_another_port_links_to_that_port(app, settings, alice, make_idea, monkeypatch):
    monkeypatch.delenv("IDEABOARD_BASE_URL", raising=False)
    idea = await make_idea(alice, "Dark mode for the mobile app")
    with live_server(settings) as base:  # `ideaboard serve --port <a free port>`, no IDEABOARD_BASE_URL
        page = BeautifulSoup(httpx.get(f"{base}/ideas/{idea.id}").text, "html.parser")
    assert base.rsplit(":", 1)[1] != "8000"
    assert page.select_one("meta[property='og:url']")["content"] == f"{base}/ideas/{idea.id}"
