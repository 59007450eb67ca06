"""Jobs that meet a transient failure (a locked database, a lost connection) come back later and finish."""

import sqlite3
import threading

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from redis.exceptions import ConnectionError as RedisConnectionError
from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError

from ideaboard.models import IdeaVector
from tests.conftest import POSTGRES
from tests.test_worker import IDEAS, run_worker_burst
from workers.retry import is_transient
from workers.suggest_index import rebuild_suggest_index


@pytest.mark.skipif(POSTGRES, reason="holds SQLite's write lock from another connection")
async def test_a_new_idea_is_indexed_even_though_another_process_held_the_database(alice, make_idea, settings,
                                                                                  worker_ctx):
    for title, body in IDEAS:
        await make_idea(alice, title, body)
    await rebuild_suggest_index(worker_ctx)
    idea = await make_idea(alice, "Reusable cup discount", "Bring my own cup.")
    await connections.get("default").execute_script("PRAGMA busy_timeout = 100")  # give up quickly on the lock
    other = sqlite3.connect(settings.database_url.removeprefix("sqlite://"), isolation_level=None,
                            check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process is writing, for longer than a busy wait
    release = threading.Timer(1.5, other.rollback)
    redis = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    try:
        await redis.enqueue_job("update_idea_cluster", idea.id)
        release.start()
        worker = await run_worker_burst(settings, worker_ctx)
    finally:
        release.cancel()
        other.close()
        await redis.aclose()
    assert worker.jobs_retried >= 1 and worker.jobs_failed == 0 and worker.jobs_complete == 1
    assert await IdeaVector.filter(idea_id=idea.id).exists()  # suggestable, not left out until the next full run


def test_what_counts_as_transient():
    locked = OperationalError(sqlite3.OperationalError("database is locked"))
    assert is_transient(locked)
    assert is_transient(RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."))
    assert is_transient(ConnectionResetError())
    assert not is_transient(OperationalError("no such column: ideas.colour"))  # a bug: retrying cannot help
    assert not is_transient(IntegrityError("UNIQUE constraint failed"))
    assert not is_transient(ValueError("bad input"))
