"""arq WorkerSettings: `arq workers.settings.WorkerSettings` or `ideaboard worker` runs this."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from tortoise import Tortoise

from ideaboard.settings import Settings
from workers import tasks


def redis_settings(settings: Settings) -> RedisSettings:
    """REDIS_URL, or the embedded server in the data dir (shared with `ideaboard serve`)."""
    url = settings.redis_url
    if not url:
        from ideaboard.redis_embedded import start_embedded_redis

        global _embedded
        _embedded, url = start_embedded_redis(settings.data_dir)
    return RedisSettings.from_dsn(url)


_embedded = None
SETTINGS = Settings.from_env()


async def startup(ctx: dict[str, Any]) -> None:
    """Open the ORM and a thread pool so CPU-heavy scikit-learn work never blocks the event loop."""
    ctx["settings"] = SETTINGS
    ctx["tortoise"] = await Tortoise.init(config=SETTINGS.tortoise_config())
    ctx["pool"] = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) - 1))


async def shutdown(ctx: dict[str, Any]) -> None:
    ctx["pool"].shutdown(wait=True)
    await ctx["tortoise"].close_connections()  # a global close leaves aiosqlite's thread alive and hangs exit


def _every(minutes: int) -> set[int]:
    return set(range(0, 60, max(1, min(minutes, 60))))


class WorkerSettings:
    functions = tasks.FUNCTIONS
    cron_jobs = [cron(fn, minute=_every(SETTINGS.cluster_interval_minutes if name == "recluster" else 1),
                      run_at_startup=(name == "recluster"))
                 for name, fn in tasks.CRON.items()]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = redis_settings(SETTINGS)
    queue_name = "arq:queue"
    keep_result = 60
    max_jobs = 4


def run_worker() -> int:
    """Entry point for `ideaboard worker`: the reconnecting two-queue runner (workers/runner.py)."""
    from workers.runner import run_worker as run

    return run()
