"""Faults an operator would otherwise fix by hand: Redis restarts, a dead embedded Redis, a killed `serve`.

Real processes throughout: `ideaboard worker` / `ideaboard serve` and a redis-server started here on a free port.
"""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from arq import create_pool
from arq.connections import RedisSettings

from ideaboard.redis_embedded import socket_path
from tests.conftest import POSTGRES
from tests.processes import (
    RedisServer,
    alive,
    base_env,
    children,
    cmdline,
    free_port,
    ideaboard,
    wait_for_http,
    wait_until,
)

pytestmark = pytest.mark.skipif(POSTGRES, reason="each runs on its own SQLite file; the service code is the same")


async def a_job_runs(redis_url: str, timeout: float = 30) -> bool:
    """Queue a job the way the site does and wait for a worker to finish it."""
    redis = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name="arq:queue")
    try:
        job = await redis.enqueue_job("email_notifications")
        assert job is not None
        return await job.result(timeout=timeout, poll_delay=0.2) == 0
    finally:
        await redis.aclose()


def migrated(data_dir: Path) -> dict[str, str]:
    env = base_env(data_dir)
    subprocess.run([sys.executable, "-m", "ideaboard.cli", "migrate"], env=env, check=True, capture_output=True,
                   timeout=120)
    return env


def child_running(parent: int, word: str) -> int | None:
    return next((pid for pid in children(parent) if word in cmdline(pid) and alive(pid)), None)


async def test_the_worker_rides_out_a_redis_restart_and_runs_what_is_queued_after(tmp_path):
    redis = RedisServer(tmp_path)
    redis.start()
    env = {**migrated(tmp_path), "REDIS_URL": redis.url}
    try:
        with ideaboard("worker", data_dir=tmp_path, env=env) as worker:
            assert await a_job_runs(redis.url, timeout=60)
            redis.stop()  # an external Redis stopped (a restart, a failover)
            await asyncio.sleep(3)
            assert worker.proc.poll() is None, worker.output()  # it used to exit with ConnectionError
            redis.start()  # empty: --save ''
            assert await a_job_runs(redis.url, timeout=45), worker.output()
            assert "reconnecting" in worker.output()
    finally:
        redis.stop()


async def test_serve_restarts_its_embedded_redis_and_jobs_run_again(tmp_path):
    port = free_port()
    with ideaboard("serve", "--migrate", "--port", str(port), data_dir=tmp_path) as serve:
        await asyncio.to_thread(wait_for_http, f"http://127.0.0.1:{port}/", 60)
        url = f"unix://{socket_path(tmp_path.resolve())}"
        assert await a_job_runs(url, timeout=60), serve.output()
        first = child_running(serve.pid, "redis-server")
        assert first is not None
        os.kill(first, signal.SIGKILL)
        second = await asyncio.to_thread(
            wait_until, lambda: (pid := child_running(serve.pid, "redis-server")) not in (None, first) and pid, 20,
            "serve to restart its embedded Redis")
        assert second != first
        assert await a_job_runs(url, timeout=45), serve.output()  # the worker reconnected on its own
        assert "restarting it" in serve.output()
        page = await asyncio.to_thread(wait_for_http, f"http://127.0.0.1:{port}/", 10)
        assert page.status_code == 200


async def test_a_worker_never_outlives_its_serve(tmp_path):
    port = free_port()
    with ideaboard("serve", "--migrate", "--port", str(port), data_dir=tmp_path) as serve:
        await asyncio.to_thread(wait_for_http, f"http://127.0.0.1:{port}/", 60)
        worker = await asyncio.to_thread(wait_until, lambda: child_running(serve.pid, "worker"), 20, "the worker")
        redis = child_running(serve.pid, "redis-server")
        os.kill(serve.pid, signal.SIGKILL)  # no chance to clean up
        await asyncio.to_thread(wait_until, lambda: not alive(worker) and not alive(redis), 20,
                                "the worker and the embedded Redis to stop")
