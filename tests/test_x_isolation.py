"""A hanging X API never delays the product's own jobs: a new idea becomes suggestable while every X call hangs.

Before, X jobs shared the worker's four slots and each waited 4 x 10 s: a new idea waited 87 s to be indexed.
The listening polls (recent search on the brand's rules) run in X's own queue with X_MAX_JOBS slots.
"""

import asyncio

from arq import create_pool
from arq.connections import RedisSettings

from ideaboard.models import ClusterRun, IdeaVector, ListenCursor
from tests.processes import base_env, ideaboard, wait_until
from tests.test_worker import IDEAS
from workers.social import X_MAX_JOBS, X_QUEUE

pytest_plugins = ["fake_x_api"]  # the fake_x fixture: a fake X API over real HTTP
DEADLINE = 90  # longer than this test: every X job is still waiting when the new idea's job runs


async def poll(check, timeout: float, what: str):
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.2)
    assert result, what
    return result


async def test_a_new_idea_is_indexed_while_every_x_call_hangs(
        app, alice, make_idea, fake_x, settings, tmp_path):
    ideas = [await make_idea(alice, title, body) for title, body in IDEAS * 3]
    fake_x.hang(120)
    env = base_env(tmp_path, DATABASE_URL=settings.database_url, REDIS_URL=settings.redis_url,
                   X_API_BASE_URL=fake_x.base_url, X_BEARER_TOKEN=fake_x.bearer_token,
                   X_DEADLINE_SECONDS=str(DEADLINE), X_BRAND_HANDLES="@brewline")
    redis = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    try:
        for n in range(len(ideas)):  # a dozen polls of the brand's rules that will all hang
            await redis.enqueue_job("poll_x", _job_id=f"x:poll_x:{n}", _queue_name=X_QUEUE)
        with ideaboard("worker", data_dir=tmp_path, env=env) as worker:
            await poll(lambda: ClusterRun.filter(finished=True).exists(), 90, "the worker's first full run")
            await asyncio.to_thread(wait_until, lambda: len(fake_x.search_requests()) >= 2, 30, "X jobs to start")
            new = await make_idea(alice, "Reusable cup discount", "Bring my own cup and pay less.")
            await redis.enqueue_job("update_idea_cluster", new.id)
            await poll(lambda: IdeaVector.filter(idea_id=new.id).exists(), 30, "the new idea to be indexed")
            assert not await ListenCursor.exclude(last_run_at=None).exists()  # ... while every X call still hangs
            assert fake_x.most_in_flight == X_MAX_JOBS  # X jobs are capped at their own slots
            assert worker.proc.poll() is None
    finally:
        fake_x.hang(0)
        await redis.aclose()
