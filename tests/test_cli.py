"""The `ideaboard` command as an operator uses it: migrate, refuse an unmigrated database, seed, create users."""

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import POSTGRES

pytestmark = pytest.mark.skipif(POSTGRES, reason="runs on its own SQLite files; the Postgres run covers the app")


def run(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environ.update(IDEABOARD_DATA_DIR=str(data_dir), **env)
    return subprocess.run([sys.executable, "-m", "ideaboard.cli", *args], env=environ, capture_output=True,
                          text=True, timeout=120)


def test_serve_refuses_an_unmigrated_database_with_a_clear_message(tmp_path):
    result = run("serve", "--no-worker", data_dir=tmp_path)
    assert result.returncode == 2
    assert "not migrated" in result.stderr and "ideaboard migrate" in result.stderr


def test_migrate_then_create_users_with_roles(tmp_path):
    assert "Applied: models.0001_initial" in run("migrate", data_dir=tmp_path).stdout
    assert "up to date" in run("migrate", data_dir=tmp_path).stdout
    created = run("create-user", "--email", "sam@brewline.example", "--name", "Sam", "--role", "staff",
                  data_dir=tmp_path, IDEABOARD_PASSWORD="long enough password")
    assert created.returncode == 0 and "Created staff sam@brewline.example" in created.stdout
    again = run("create-user", "--email", "sam@brewline.example", "--name", "Sam", data_dir=tmp_path,
                IDEABOARD_PASSWORD="long enough password")
    assert again.returncode == 2 and "already exists" in again.stderr
    weak = run("create-user", "--email", "x@example.com", "--name", "X", data_dir=tmp_path, IDEABOARD_PASSWORD="short")
    assert weak.returncode == 2 and "10 characters" in weak.stderr


def test_seed_demo_loads_a_community_once(tmp_path):
    run("migrate", data_dir=tmp_path)
    assert "Demo content loaded" in run("seed", "--demo", data_dir=tmp_path).stdout
    assert "already has content" in run("seed", "--demo", data_dir=tmp_path).stdout
    with sqlite3.connect(tmp_path / "ideaboard.sqlite3") as db:  # the team's work shows as each idea's Progress
        planned = db.execute("SELECT e.kind, e.to_status FROM idea_events e JOIN ideas i ON i.id = e.idea_id "
                             "WHERE i.title = 'Dark mode for the mobile app' ORDER BY e.created_at").fetchall()
        statuses = dict(db.execute("SELECT title, status FROM ideas WHERE status <> 'new'").fetchall())
    assert planned == [("status", "under_review"), ("status", "planned"), ("response", "planned")]
    assert statuses["Reusable cup discount in every store"] == "launched"
    assert statuses["Tip the barista in the app"] == "declined"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_demo_starts_the_site_with_embedded_redis_and_prints_logins(tmp_path):
    """The README's first command, as a new user runs it: no Postgres, no Redis, just the package."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environ["IDEABOARD_DATA_DIR"] = str(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "ideaboard.cli", "serve", "--demo", "--port", str(port)],
                            env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        page = _wait_for(f"http://127.0.0.1:{port}/")
        assert "Shape what we build next" in page.text and "Dark mode" in page.text
        # the worker that `serve` started builds the similar-ideas index without any extra step
        deadline = time.monotonic() + 60
        while "Dark mode for the mobile app" not in (similar := httpx.get(
                f"http://127.0.0.1:{port}/ideas/similar", params={"title": "dark theme for the app"})).text:
            assert time.monotonic() < deadline, similar.text
            time.sleep(0.5)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=90)[0]
    assert f"http://127.0.0.1:{port}/" in output
    assert "ada@brewline.example" in output and "password for all" in output


def _wait_for(url: str, timeout: float = 90) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
