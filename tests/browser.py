"""Real-browser helpers: the app served by uvicorn in a subprocess, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest

from ideaboard.settings import Settings
from tests.test_cli import _wait_for, free_port

CHROMIUM = os.environ.get("IDEABOARD_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("IDEABOARD_SCREENSHOTS", Path(__file__).parent.parent / "screenshots"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"  # see tests/vendor/README.md

needs_chromium = pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"{CHROMIUM} is not installed")


@contextmanager
def live_server(settings: Settings) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port, against the test's database and Redis."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url,
           "IDEABOARD_DATA_DIR": settings.data_dir, "SECRET_KEY": settings.secret_key,
           "IDEABOARD_EMPLOYEE_DOMAINS": ",".join(settings.employee_domains),
           "X_API_BASE_URL": settings.x_api_base_url, "X_BEARER_TOKEN": settings.x_bearer_token,
           "X_USER_TOKEN": settings.x_user_token}
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
