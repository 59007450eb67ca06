"""Schema management through Tortoise's built-in migrations, used by the CLI, the app and the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor

from ideaboard import search
from ideaboard.settings import tortoise_config


async def _executor(database_url: str) -> MigrationExecutor:
    config = tortoise_config(database_url)
    await Tortoise.init(config=config)
    return MigrationExecutor(get_connection("default"), config["apps"])


async def pending_migrations(database_url: str) -> list[str]:
    """Names of migrations not yet applied; empty means the schema is current."""
    try:
        steps = await (await _executor(database_url)).plan()
        return [f"{step.migration.app_label}.{step.migration.name}" for step in steps]
    finally:
        await Tortoise.close_connections()


async def migrate_database(database_url: str) -> list[str]:
    """Apply every pending migration and say which ones ran."""
    try:
        executor = await _executor(database_url)
        steps = await executor.plan()
        await executor.migrate()
        await search.refresh(limit=None)  # a migration may mark every idea for re-indexing (its words change)
        return [f"{step.migration.app_label}.{step.migration.name}" for step in steps]
    finally:
        await Tortoise.close_connections()


@asynccontextmanager
async def connect(database_url: str) -> AsyncIterator[None]:
    """The ORM for a command-line task (the web app uses RegisterTortoise in its lifespan instead)."""
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        yield
    finally:
        await Tortoise.close_connections()
