"""Importing ideaboard's modules does nothing an operator would notice: no server started, no file written, no
setting frozen before the app is made. The web app never loads the worker's scikit-learn."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ideaboard import settings as settings_module
from ideaboard.app import create_app
from ideaboard.settings import Settings
from ideaboard.templating import templates

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, cwd: Path, **env: str) -> dict:
    """Run code in a fresh interpreter in `cwd` without database/Redis settings; it prints one JSON value."""
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "IDEABOARD_DATA_DIR")}
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, env={**clean, "PYTHONPATH": str(ROOT), **env},
                            capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_the_worker_settings_starts_no_redis_and_writes_no_secret_key(tmp_path: Path) -> None:
    seen = run_python(
        "import json, os, workers.settings as w\n"
        "children = open(f'/proc/{os.getpid()}/task/{os.getpid()}/children').read().split()\n"
        "print(json.dumps({'embedded': w._embedded is not None, 'children': children, 'files': os.listdir('.')}))",
        tmp_path,
    )
    assert seen == {"embedded": False, "children": [], "files": []}


def test_the_worker_settings_are_built_when_arq_asks_for_them(tmp_path: Path) -> None:
    seen = run_python(
        "import json, workers.settings as w\n"
        "cls = w.WorkerSettings\n"
        "print(json.dumps({'db': cls.redis_settings.database, 'same': cls is w.WorkerSettings}))",
        tmp_path, REDIS_URL="redis://127.0.0.1:6379/7",
    )
    assert seen["db"] == 7 and seen["same"]


def test_plain_arq_deployments_run_the_x_queue_with_its_own_settings(tmp_path: Path) -> None:
    """Plain arq runs XWorkerSettings beside WorkerSettings, so X jobs are never stranded in their queue."""
    seen = run_python(
        "import json, workers.settings as w\n"
        "p, x = w.WorkerSettings, w.XWorkerSettings\n"
        "names = sorted(getattr(f, 'name', None) or f.__name__ for f in x.functions)\n"
        "print(json.dumps({'queues': [p.queue_name, x.queue_name], 'x_jobs': names,"
        " 'db': x.redis_settings.database}))",
        tmp_path, REDIS_URL="redis://127.0.0.1:6379/7",
    )
    assert seen == {"queues": ["arq:queue", "arq:x"], "x_jobs": ["listen_stream", "poll_x"],
                    "db": 7}


def test_importing_the_app_loads_no_worker_code_and_writes_nothing(tmp_path: Path) -> None:
    seen = run_python(
        "import json, os, sys, ideaboard.app, ideaboard.cli\n"
        "roots = sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'workers', 'torch'})\n"
        "print(json.dumps({'roots': roots, 'files': os.listdir('.')}))",
        tmp_path,
    )
    assert seen == {"roots": [], "files": []}


def test_the_tortoise_cli_config_follows_the_environment_when_read(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path}/one.sqlite3")
    first = settings_module.TORTOISE_ORM
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path}/two.sqlite3")
    second = settings_module.TORTOISE_ORM
    assert first["connections"] != second["connections"]
    assert "two.sqlite3" in json.dumps(second["connections"]["default"])
    assert second["apps"]["models"]["migrations"] == "ideaboard.migrations"


def test_template_reloading_follows_the_apps_settings_not_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    base = Settings(secret_key="k", database_url="sqlite://:memory:", redis_url="redis://127.0.0.1:6379/0")
    try:
        create_app(dataclasses.replace(base, debug=True))
        assert templates.env.auto_reload is True
        monkeypatch.setenv("IDEABOARD_DEBUG", "true")
        create_app(base)
        assert templates.env.auto_reload is False
    finally:
        create_app(base)
