"""Postgres connections cut under load (pg_terminate_backend every 1.5 s while members read and vote over real HTTP):
no 500 at any time, everything answers again once the cutting stops, and no accepted vote is lost.

Before: 500s with asyncpg "another operation is in progress" on a pool connection whose backend was gone.
"""

import os
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from tests.conftest import POSTGRES
from tests.processes import UNTHROTTLED, base_env, free_port, ideaboard, wait_for_http

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from pg_terminate import run, with_db

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not POSTGRES, reason="terminates Postgres backends")]


@pytest.fixture
async def site_database():
    """A private database for the site under test (the suite's own keeps its connections)."""
    name = f"ideaboard_cut_{uuid.uuid4().hex[:8]}"
    admin = with_db(os.environ["DATABASE_URL"], "postgres")
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    yield name, admin
    conn = await asyncpg.connect(admin)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def test_cut_connections_give_no_500_and_lose_no_vote(site_database, redis_url, tmp_path):
    name, admin = site_database
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    site_url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + name))
    env = base_env(tmp_path, DATABASE_URL=site_url, REDIS_URL=redis_url, **UNTHROTTLED)
    with ideaboard("serve", "--demo", "--port", str(port), "--no-access-log", data_dir=tmp_path, env=env) as serve:
        wait_for_http(base + "/", 60)
        result, killed, lost = await run(base, admin, with_db(os.environ["DATABASE_URL"], name), name,
                                         seconds=8, every=1.5, accounts=2, per_account=5,
                                         outbox=tmp_path / "outbox")
        log = serve.output()
    assert killed > 0
    assert not [key for key in result.codes if key[1] == 500], (result.codes, log[-3000:])
    assert all(code == 200 for (kind, code) in result.codes if kind.startswith("after")), result.codes
    assert lost == []
    assert "another operation is in progress" not in log
