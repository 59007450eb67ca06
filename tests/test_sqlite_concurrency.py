"""The embedded default under a crowd: `ideaboard serve` on SQLite with its worker, real HTTP, many writers at once.

Before writes took the lock up front, 30 voters voting 20 times while 10 others submitted ideas got 500
"database is locked" (101 of 600 votes in one run) and the worker lost some of its cluster placements.
"""

import asyncio
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES
from tests.crowd import board_idea_ids, browsers, run_crowd, sign_up_many
from tests.processes import UNTHROTTLED, base_env, free_port, ideaboard, wait_for_http, wait_until

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from sqlite_contention import clustered, lost_votes

pytestmark = pytest.mark.skipif(POSTGRES, reason="the embedded default is SQLite")


async def test_thirty_voters_and_ten_submitters_with_the_worker_writing_get_no_errors(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with ideaboard("serve", "--demo", "--port", str(port), "--no-access-log", data_dir=tmp_path,
                   env=base_env(tmp_path, **UNTHROTTLED)) as serve:  # 30 browsers share one address
        await asyncio.to_thread(wait_for_http, base + "/", 60)
        db = tmp_path / "ideaboard.sqlite3"
        outbox = tmp_path / "outbox"  # where serve writes the verification emails (no SMTP_HOST)
        voters = await browsers(await sign_up_many(base, 6, "voter", outbox), 5)  # 30 browsers, 6 accounts
        submitters = await browsers(await sign_up_many(base, 5, "submitter", outbox), 2)
        await asyncio.to_thread(wait_until, lambda: clustered(db, [1]), 60, "the worker's first cluster run")
        result = await run_crowd(base, voters, submitters, await board_idea_ids(base), votes_each=20, ideas_each=3)
        for member in voters + submitters:
            await member.http.aclose()

        assert result.failures() == 0, (result.codes, result.errors[:3])
        assert result.codes[("vote", 200)] == 600 and result.codes[("submit", 303)] == 30
        assert lost_votes(db, result.last_vote) == []
        await asyncio.to_thread(wait_until, lambda: clustered(db, result.ideas) == 30, 30,
                                "the worker to place every new idea in a cluster")
        assert "database is locked" not in serve.output()


async def test_a_write_transaction_waits_for_another_process_instead_of_failing(database_url):
    """The vote's shape: read, then write, while another process (here: a second connection) writes in between."""
    from tortoise.transactions import in_transaction

    from ideaboard.db import connect
    from ideaboard.models import Category

    path = database_url.removeprefix("sqlite://")

    def other_process_writes() -> None:
        with sqlite3.connect(path, timeout=15) as other:
            other.execute("INSERT INTO categories (name, slug, position) VALUES ('Drinks', 'drinks', 1)")

    async with connect(database_url):
        async with in_transaction():
            await Category.all().count()  # the transaction has read
            writer = asyncio.create_task(asyncio.to_thread(other_process_writes))
            await asyncio.sleep(0.3)  # ... and the other process got its turn
            await Category.create(name="Rewards", slug="rewards", position=2)  # "database is locked" before
        await writer
        assert sorted(await Category.all().values_list("slug", flat=True)) == ["drinks", "rewards"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # readers never block the writer


async def test_a_write_that_gives_up_on_the_lock_leaves_the_connection_usable(database_url):
    """Still locked after busy_timeout: that write fails (and its job is retried), the next ones work."""
    from tortoise import connections
    from tortoise.exceptions import OperationalError
    from tortoise.transactions import in_transaction

    from ideaboard.db import connect
    from ideaboard.models import Category

    async with connect(database_url):
        await connections.get("default").execute_script("PRAGMA busy_timeout = 100")
        other = sqlite3.connect(database_url.removeprefix("sqlite://"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError, match="locked"):
            async with in_transaction():
                await Category.create(name="Rewards", slug="rewards")
        other.rollback()
        other.close()
        async with asyncio.timeout(10):  # the process's connection was given back (it used to hang forever)
            async with in_transaction():
                await Category.create(name="Rewards", slug="rewards")
            assert await Category.all().count() == 1
