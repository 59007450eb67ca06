"""Real-browser helpers: the app served by uvicorn in a subprocess, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ideaboard.settings import Settings, env_name
from tests.mailbox import links_in, outbox
from tests.test_cli import _wait_for, free_port

CHROMIUM = os.environ.get("IDEABOARD_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("IDEABOARD_SCREENSHOTS", Path(__file__).parent.parent / "screenshots"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"  # see tests/vendor/README.md

needs_chromium = pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"{CHROMIUM} is not installed")


def _changed_settings(settings: Settings) -> dict[str, str]:
    """The test's settings as the environment variables that set them (those that differ from the defaults)."""
    from dataclasses import fields

    env = {}
    for f in fields(Settings):
        value = getattr(settings, f.name)
        if value != f.default:
            env[env_name(f.name)] = ",".join(value) if isinstance(value, tuple) else str(value).lower() \
                if isinstance(value, bool) else str(value)
    return env


@contextmanager
def live_server(settings: Settings) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port, against the test's database and Redis."""
    port = free_port()
    env = {**os.environ, **_changed_settings(settings), "IDEABOARD_BASE_URL": f"http://127.0.0.1:{port}"}
    proc = subprocess.Popen([sys.executable, "-m", "ideaboard.cli", "serve", "--no-worker", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(f"http://127.0.0.1:{port}/")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@asynccontextmanager
async def chromium() -> AsyncIterator:
    """One headless Chromium (Debian's binary; Playwright's own download is not used) for many contexts."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def chromium_page() -> AsyncIterator:
    """A fresh headless Chromium page at a desktop size."""
    async with chromium() as browser:
        yield await browser.new_page(viewport={"width": 1280, "height": 900})


async def axe_violations(page) -> list[str]:
    """axe-core's findings (its default rules: WCAG 2 A/AA and best practices), one line per rule: id, count, where."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text())  # evaluated, not a <script>: the site's CSP has no say
    return await page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => `${v.id} x${v.nodes.length} ${v.nodes[0].target.join(" ")}`);
    }""")


async def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Keep a picture of what the user saw (screenshots/ by default) so people can look at it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path


async def outbox_link(settings: Settings, address: str, number: int = 1) -> str:
    """The path of the first link in the `number`-th email to this address (the server sends it after answering)."""
    for _ in range(100):
        mails = [m for m in outbox(settings) if m["To"] == address]
        if len(mails) >= number:
            return urlsplit(links_in(mails[number - 1])[0]).path
        await asyncio.sleep(0.1)
    raise AssertionError(f"no email number {number} to {address} in the outbox")
