"""Jobs that fail on a transient database or Redis error are retried by arq with backoff (jobs are idempotent)."""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

from arq import Retry

from ideaboard.outage import is_outage as is_transient

log = logging.getLogger(__name__)

MAX_TRIES = 8  # with the backoff below: about four minutes of outage before a job gives up
MAX_DEFER = 120.0  # seconds


def backoff(job_try: int) -> float:
    """1, 2, 4, ... seconds (capped), with jitter so retries after an outage do not arrive all at once."""
    return min(MAX_DEFER, 2.0 ** max(0, job_try - 1)) * random.uniform(0.8, 1.2)


Job = Callable[..., Awaitable[Any]]


def retried(job: Job) -> Job:
    """The job, raising arq's Retry(defer=backoff) instead of failing on a transient error."""

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await job(ctx, *args, **kwargs)
        except Retry:
            raise
        except Exception as exc:
            if not is_transient(exc):
                raise
            delay = backoff(ctx.get("job_try", 1))
            log.warning("%s failed on a transient error (%s: %s); retrying in %.1f s",
                        job.__name__, type(exc).__name__, exc, delay)
            raise Retry(defer=delay) from exc

    return run
