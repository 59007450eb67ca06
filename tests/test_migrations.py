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


async def test_custom_statuses_keep_every_idea_and_the_search_triggers(tmp_path) -> None:
    """0025 seeds today's eight statuses and moves, and retypes ideas.status without rebuilding the table: ideas keep
    their status, and on SQLite the ideas' search triggers and list indexes survive (a table rebuild drops them)."""
    import os
    import uuid

    from tortoise import Tortoise
    from tortoise.connection import get_connection
    from tortoise.migrations.executor import MigrationTarget

    from ideaboard.db import _executor
    from ideaboard.models import Idea
    from ideaboard.statuses import DEFAULT
    from tests.conftest import _admin_sql, _with_db

    base = os.environ.get("DATABASE_URL", "")
    name = f"ideaboard_statuses_{uuid.uuid4().hex[:8]}"
    url = _with_db(base, name) if base.startswith("postgres") else f"sqlite://{tmp_path / 'board.sqlite3'}"
    if base.startswith("postgres"):
        await _admin_sql(base, f'CREATE DATABASE "{name}"')
    try:
        executor = await _executor(url)
        await executor.migrate([MigrationTarget("models", "0024_user_locale")])
        db = get_connection("default")
        sqlite = not base.startswith("postgres")
        schema = "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'index') AND tbl_name = 'ideas'"
        before = sorted((r["type"], r["name"]) for r in (await db.execute_query(schema))[1]) if sqlite else []
        # Alice as 0024 knew her (today's User has columns 0024 lacks, so not through the model)
        await db.execute_script("INSERT INTO users (email, name, password_hash, role, is_active, banned, "
                                "deactivation_reason, theme, created_at) VALUES ('alice@example.com', 'Alice Martin',"
                                " '', 'customer', TRUE, FALSE, '', 'system', CURRENT_TIMESTAMP)")
        [alice] = (await db.execute_query("SELECT id FROM users"))[1]
        for title, status in (("Oat milk", "planned"), ("Dark mode", "launched"), ("Old idea", "archived")):
            await Idea.create(title=title, body="", author_id=alice["id"], status=status)
        await executor.migrate()
        assert sorted(await Idea.all().values_list("title", "status")) == [
            ("Dark mode", "launched"), ("Oat milk", "planned"), ("Old idea", "archived")]
        _, rows = await db.execute_query("SELECT key, name, phase FROM statuses ORDER BY position")
        assert [(r["key"], r["name"], r["phase"]) for r in rows] == [
            (s.key, s.name, s.phase.value) for s in DEFAULT.statuses]
        _, moves = await db.execute_query("SELECT from_key, to_key FROM status_transitions")
        assert {(r["from_key"], r["to_key"]) for r in moves} == DEFAULT.transitions
        if sqlite:
            after = sorted((r["type"], r["name"]) for r in (await db.execute_query(schema))[1])
            added_since = {("index", f"ideas_past_new_{sort}") for sort in ("hot", "score", "new")}  # 0030
            assert sorted(set(after) - added_since) == before and ("trigger", "search_idea_insert") in after
    finally:
        await Tortoise.close_connections()
        if base.startswith("postgres"):
            await _admin_sql(base, f'DROP DATABASE IF EXISTS "{name}"')
