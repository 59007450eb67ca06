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
