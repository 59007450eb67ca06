"""arq settings: `ideaboard worker` runs both queues; plain arq runs `WorkerSettings` and `XWorkerSettings` apart."""

from __future__ import annotations

import functools
from typing import Any, ClassVar

from arq.connections import RedisSettings
from arq.cron import CronJob
from tortoise import Tortoise

from ideaboard import status_store
from ideaboard.settings import Settings
from workers import tasks
from workers.pools import close_pools, open_pools


def redis_connection(settings: Settings) -> RedisSettings:
    """REDIS_URL, or the embedded server in the data dir (shared with `ideaboard serve`)."""
    url = settings.redis_url
    if not url:
        from ideaboard.redis_embedded import start_embedded_redis

        global _embedded
        _embedded, url = start_embedded_redis(settings.data_dir)
    return RedisSettings.from_dsn(url)


_embedded = None


async def startup(ctx: dict[str, Any]) -> None:
    """Open the ORM and the thread pools so CPU-heavy scikit-learn work never blocks the event loop."""
    settings = ctx["settings"]
    ctx["tortoise"] = await Tortoise.init(config=settings.tortoise_config())
    await status_store.load()  # the board's statuses; each job start checks for an admin's newer save
    ctx.update(open_pools())


async def job_start(ctx: dict[str, Any]) -> None:
    """An admin may have changed the workflow since the last job (at most one tiny query a second)."""
    await status_store.refresh()


async def shutdown(ctx: dict[str, Any]) -> None:
    close_pools(ctx)
    await ctx["tortoise"].close_connections()  # a global close leaves aiosqlite's thread alive and hangs exit


def worker_settings(settings: Settings) -> type:
    """arq's WorkerSettings for these settings; building it may start the embedded Redis, importing this never does."""

    class WorkerSettings:
        functions = tasks.FUNCTIONS
        cron_jobs: ClassVar[list[CronJob]] = tasks.cron_jobs(settings)
        on_startup = startup
        on_job_start = job_start
        on_shutdown = shutdown
        ctx: ClassVar[dict[str, Any]] = {"settings": settings}
        redis_settings = redis_connection(settings)
        queue_name = "arq:queue"
        keep_result = 60
        max_jobs = 4

    return WorkerSettings


def x_worker_settings(settings: Settings) -> type:
    """arq's settings for the X queue alone, so plain arq deployments run X jobs apart from the product's."""
    from workers.social import X_MAX_JOBS, X_QUEUE

    class XWorkerSettings:
        functions = tasks.X_JOBS
        on_startup = startup
        on_job_start = job_start
        on_shutdown = shutdown
        ctx: ClassVar[dict[str, Any]] = {"settings": settings}
        redis_settings = redis_connection(settings)
        queue_name = X_QUEUE
        keep_result = 60
        max_jobs = X_MAX_JOBS
        job_timeout = settings.x_deadline_seconds + 60

    return XWorkerSettings


@functools.cache
def _from_env(name: str) -> type:
    build = worker_settings if name == "WorkerSettings" else x_worker_settings
    return build(Settings.from_env())


def __getattr__(name: str) -> Any:
    """`WorkerSettings` / `XWorkerSettings` (what `arq workers.settings.…` loads) are built from the environment."""
    if name in ("WorkerSettings", "XWorkerSettings"):
        return _from_env(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run_worker() -> int:
    """Entry point for `ideaboard worker`: the reconnecting two-queue runner (workers/runner.py)."""
    from workers.runner import run_worker as run

    return run()
