"""The worker process (`ideaboard worker`): two arq loops, product jobs and X jobs, that outlive Redis outages.

- The product's jobs (clustering, suggestions, email) and the X jobs run in separate queues with their own job
  limits, so a hanging X API can hold at most its own slots (issue 12 item 8).
- When Redis goes away both loops stop, and the process reconnects with backoff and carries on (item 7); jobs
  that were running are cancelled and run again (they are idempotent).
- Started by `serve` (IDEABOARD_PARENT_PID), it stops by itself once `serve` is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import logging.config
import os
import signal
import time
from dataclasses import replace
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.cron import CronJob
from arq.logs import default_log_config
from arq.worker import Worker
from redis.exceptions import RedisError
from tortoise import Tortoise

from ideaboard import status_store
from ideaboard.settings import Settings
from workers import tasks
from workers.pools import close_pools, open_pools
from workers.retry import MAX_TRIES
from workers.settings import job_start
from workers.social import X_MAX_JOBS, X_QUEUE

log = logging.getLogger("workers.runner")
PRODUCT_QUEUE = "arq:queue"
PRODUCT_MAX_JOBS = 4
MAX_RECONNECT_DELAY = 30.0
PARENT_CHECK_SECONDS = 1.0


def redis_settings(settings: Settings) -> RedisSettings:
    """REDIS_URL, or the embedded server in the data dir (started if nothing answers there)."""
    url = settings.redis_url
    if not url:
        from ideaboard.redis_embedded import start_embedded_redis

        _, url = start_embedded_redis(settings.data_dir)
    return replace(RedisSettings.from_dsn(url), conn_retries=0)  # our loop retries, with backoff


async def open_context(settings: Settings) -> dict[str, Any]:
    """The ORM and the thread pools (scikit-learn work never blocks the event loop), shared by both loops."""
    await Tortoise.init(config=settings.tortoise_config())
    await status_store.load()
    return {"settings": settings, **open_pools()}


async def close_context(ctx: dict[str, Any]) -> None:
    close_pools(ctx)
    await Tortoise.close_connections()


def _workers(redis: ArqRedis, ctx: dict[str, Any], crons: list[CronJob], settings: Settings) -> list[Worker]:
    common: dict[str, Any] = {"redis_pool": redis, "ctx": ctx, "handle_signals": False, "max_tries": MAX_TRIES,
                              "keep_result": 60, "on_job_start": job_start}
    product = Worker(functions=tasks.PRODUCT, cron_jobs=crons, queue_name=PRODUCT_QUEUE, max_jobs=PRODUCT_MAX_JOBS,
                     **common)
    x = Worker(functions=tasks.X_JOBS, queue_name=X_QUEUE, max_jobs=X_MAX_JOBS,
               job_timeout=settings.x_deadline_seconds + 60, **common)
    return [product, x]


async def serve_until_redis_fails(settings: Settings, ctx: dict[str, Any], crons: list[CronJob],
                                  stop: asyncio.Event) -> None:
    """Run both loops on one connection until `stop` is set (returns) or Redis fails (raises)."""
    redis = await create_pool(redis_settings(settings), default_queue_name=PRODUCT_QUEUE)
    workers = _workers(redis, ctx, crons, settings)
    loops = [asyncio.create_task(w.main(), name=f"arq {w.queue_name}") for w in workers]
    stopping = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait([*loops, stopping], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopping and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        for task in [*loops, stopping]:
            task.cancel()
        running = [t for w in workers for t in w.tasks.values()]
        for task in running:
            task.cancel()
        await asyncio.gather(*loops, stopping, *running, return_exceptions=True)
        with contextlib.suppress(RedisError, OSError):
            await redis.aclose()


async def run(settings: Settings, stop: asyncio.Event) -> None:
    """Serve jobs until stopped, reconnecting to Redis with backoff (1 s, doubling to 30 s) whenever it fails."""
    ctx = await open_context(settings)
    crons = tasks.cron_jobs(settings)  # created once per process: their next run survives reconnects
    delay = 1.0
    try:
        while not stop.is_set():
            started = time.monotonic()
            try:
                await serve_until_redis_fails(settings, ctx, crons, stop)
            except (RedisError, OSError) as exc:
                log.warning("Redis is unavailable (%s: %s); reconnecting in %.0f s", type(exc).__name__, exc, delay)
            if stop.is_set():
                break
            if time.monotonic() - started > 60:
                delay = 1.0  # it had been working: the first retry is quick again
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(MAX_RECONNECT_DELAY, delay * 2)
    finally:
        await close_context(ctx)


async def watch_parent(parent_pid: int, stop: asyncio.Event) -> None:
    """Stop once the `serve` that started us is gone (its pid is no longer our parent)."""
    while not stop.is_set():
        if os.getppid() != parent_pid:
            log.warning("ideaboard serve (pid %s) is gone; stopping the worker", parent_pid)
            stop.set()
        await asyncio.sleep(PARENT_CHECK_SECONDS)


async def main(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    parent = os.environ.get("IDEABOARD_PARENT_PID", "")
    watcher = asyncio.create_task(watch_parent(int(parent), stop)) if parent.isdigit() else None
    try:
        await run(settings, stop)
    finally:
        if watcher is not None:
            watcher.cancel()


def run_worker() -> int:
    """Entry point for `ideaboard worker`."""
    logging.config.dictConfig(default_log_config(verbose=False))
    logging.getLogger("workers").setLevel(logging.INFO)
    asyncio.run(main(Settings.from_env()))
    return 0
