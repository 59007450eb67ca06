"""Migrations are history: what an old migration does never changes when today's code does."""

from __future__ import annotations

import ast
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent.parent / "ideaboard" / "migrations"


def test_no_migration_imports_the_application() -> None:
    """`tortoise makemigrations` writes `from ideaboard.models import Status` for enum fields: copy the enum into the
    migration instead, as 0001_initial does, so editing models.py or search.py cannot rewrite an applied migration."""
    found = []
    for path in sorted(MIGRATIONS.glob("[0-9]*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                found += [(path.name, node.module or "")]
            elif isinstance(node, ast.Import):
                found += [(path.name, alias.name) for alias in node.names]
    assert [(name, module) for name, module in found if module.split(".")[0] in ("ideaboard", "workers")] == []


LAST_RELEASE = "0014_listen_at_the_brand_level"  # the schema the previous stop shipped


async def test_a_board_with_data_from_the_last_release_upgrades(tmp_path) -> None:
    """Columns added since (NOT NULL ones included) must not trip over the rows a running board already has."""
    import os
    import uuid

    from tortoise import Tortoise
    from tortoise.connection import get_connection
    from tortoise.migrations.executor import MigrationTarget

    from ideaboard.db import _executor
    from tests.conftest import _admin_sql, _with_db

    base = os.environ.get("DATABASE_URL", "")
    name = f"ideaboard_upgrade_{uuid.uuid4().hex[:8]}"
    url = _with_db(base, name) if base.startswith("postgres") else f"sqlite://{tmp_path / 'board.sqlite3'}"
    if base.startswith("postgres"):
        await _admin_sql(base, f'CREATE DATABASE "{name}"')
    try:
        executor = await _executor(url)
        await executor.migrate([MigrationTarget("models", LAST_RELEASE)])
        db = get_connection("default")
        await db.execute_script(
            "INSERT INTO webhook_endpoints (url, secret, events, description, kind, created_at, disabled_reason) "
            "VALUES ('https://hooks.example/x', 'whsec_x', 'idea.created', '', 'standard', CURRENT_TIMESTAMP, '');"
            "INSERT INTO cluster_runs (method, finished, idea_count, cluster_count, created_at) "
            "VALUES ('tfidf', TRUE, 2, 1, CURRENT_TIMESTAMP);"
            "INSERT INTO clusters (run_id, number, label, size, total_votes, growth) "
            "VALUES (1, 1, 'oat milk', 2, 3, 1);")
        await executor.migrate()
        _, endpoints = await db.execute_query("SELECT include_internal FROM webhook_endpoints")
        _, clusters = await db.execute_query("SELECT theme FROM clusters")
        assert [bool(r["include_internal"]) for r in endpoints] == [False] and [r["theme"] for r in clusters] == [0]
    finally:
        await Tortoise.close_connections()
        if base.startswith("postgres"):
            await _admin_sql(base, f'DROP DATABASE IF EXISTS "{name}"')
