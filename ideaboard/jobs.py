"""Enqueue background jobs by name (the web app never imports the worker or scikit-learn)."""

from __future__ import annotations

import logging
from typing import Any

from arq.connections import ArqRedis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


async def enqueue(redis: ArqRedis | None, name: str, *args: Any, job_id: str | None = None) -> bool:
    """Queue a job; if Redis is down the user's action still succeeds and the next full run catches up."""
    if redis is None:
        return False
    try:
        return await redis.enqueue_job(name, *args, _job_id=job_id) is not None
    except (RedisError, OSError) as exc:
        log.warning("job %s not queued, Redis unavailable: %s", name, exc)
        return False


WEBHOOKS_JOB_ID = "deliver_webhooks"  # one queued run at a time: it sends everything that is due


def idea_job_id(idea) -> str:
    """One job per idea version: a double submit is deduplicated, a later edit is not."""
    return f"update_idea_cluster:{idea.id}:{idea.updated_at.timestamp():.3f}"
