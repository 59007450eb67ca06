"""Job functions, registered by name: the web app enqueues them with ideaboard.jobs.enqueue(name, ...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arq.cron import CronJob, cron
from arq.worker import Function, func

from ideaboard.settings import Settings
from workers import locks
from workers.cluster_jobs import place_idea, recluster_ideas
from workers.listen import StreamOptions, listen, listen_stream, poll_x
from workers.retry import retried
from workers.suggest_index import index_idea, rebuild_suggest_index

# A full run of a million ideas takes over ten minutes: at arq's default limit of 300 s it would never finish.
RECLUSTER_SECONDS = 3600
RECLUSTER_LOCK = "ideaboard:lock:recluster"


async def email_notifications(ctx: dict[str, Any]) -> int:
    """Send instant notification emails that are still unsent (safe to run twice)."""
    from ideaboard.notification_mail import email_instant

    return await email_instant(ctx["settings"])


async def email_digests(ctx: dict[str, Any]) -> int:
    """The daily digest: one email per person with what they chose to hear about daily (safe to run twice)."""
    from ideaboard.notification_mail import send_digests

    return await send_digests(ctx["settings"])


async def deliver_webhooks(ctx: dict[str, Any]) -> int:
    """POST the webhook deliveries that are due, signed; failures are retried on later runs (safe to run twice)."""
    from ideaboard.webhooks import deliver_due

    settings = ctx["settings"]
    return await deliver_due(settings.base_url, settings.webhooks_allow_private)


async def auto_archive(ctx: dict[str, Any]) -> int:
    """Daily: archive ideas still new after IDEABOARD_AUTO_ARCHIVE_MONTHS (off at 0; safe to run twice)."""
    from datetime import UTC, datetime

    from ideaboard.archive import archive_stale

    return len(await archive_stale(ctx["settings"].auto_archive_months, datetime.now(UTC)))


async def score_spam(ctx: dict[str, Any], kind: str, target_id: int) -> int | None:
    """A new idea or comment gets its spam score; at IDEABOARD_SPAM_HOLD_SCORE or more it waits for review."""
    from datetime import UTC, datetime

    from ideaboard.review import score_post

    row = await score_post(kind, target_id, ctx["settings"].spam_hold_score, datetime.now(UTC))
    return round(row.score) if row else None

async def campaign_notices(ctx: dict[str, Any]) -> int:
    """Tell campaign followers it opened, closes tomorrow, or has results: once each (safe to run twice)."""
    from ideaboard.campaign_notices import send_due

    return await send_due()


async def update_idea_cluster(ctx: dict[str, Any], idea_id: int) -> int | None:
    """A new or edited idea: suggestable at once, and placed in the nearest cluster (or a new one)."""
    await index_idea(ctx, idea_id)
    return await place_idea(ctx, idea_id)


async def recluster(ctx: dict[str, Any]) -> int:
    """The periodic full run: re-cluster everything and refit the similar-ideas index, on one worker at a time."""
    async with locks.held(ctx["redis"], RECLUSTER_LOCK, RECLUSTER_SECONDS) as mine:
        if not mine:
            return 0  # another worker is running it: every worker starts with one
        await rebuild_suggest_index(ctx)
        return await recluster_ideas(ctx)


# Every job is retried with backoff when it fails on a transient database or Redis error (workers/retry.py).
JOBS: dict[str, Callable] = {f.__name__: retried(f) for f in (
    email_notifications, email_digests, deliver_webhooks, auto_archive, score_spam, campaign_notices,
    update_idea_cluster, recluster, rebuild_suggest_index, index_idea, listen, poll_x, listen_stream)}
# The stream job holds its connection for a session, longer than any other job may run.
STREAM_JOB = func(JOBS["listen_stream"], name="listen_stream", timeout=StreamOptions().session_seconds + 120,
                  max_tries=1)
RECLUSTER_JOB = func(JOBS["recluster"], name="recluster", timeout=RECLUSTER_SECONDS)
# In their own queue (social.X_QUEUE): X may be slow.
X_JOBS: list[Callable | Function] = [JOBS["poll_x"], STREAM_JOB]
PRODUCT: list[Callable | Function] = [RECLUSTER_JOB if name == "recluster" else job for name, job in JOBS.items()
                                      if name not in ("poll_x", "listen_stream")]
FUNCTIONS: list[Callable | Function] = [*PRODUCT, *X_JOBS]
CRON: dict[str, Callable] = {"email": JOBS["email_notifications"], "webhooks": JOBS["deliver_webhooks"],
                             "recluster": JOBS["recluster"], "tweets": JOBS["listen"],
                             "campaigns": JOBS["campaign_notices"]}


def _every(minutes: int) -> set[int]:
    return set(range(0, 60, max(1, min(minutes, 60))))


def cron_jobs(settings: Settings) -> list[CronJob]:
    """The schedule, the same under `ideaboard worker` and plain arq: the periodic jobs, the digest, the archive."""
    return [cron(fn, minute=_every(settings.cluster_interval_minutes if name == "recluster" else 1),
                 run_at_startup=(name == "recluster"),
                 timeout=RECLUSTER_SECONDS if name == "recluster" else None)
            for name, fn in CRON.items()] + [
        cron(JOBS["email_digests"], hour={settings.digest_hour}, minute={0}),  # once a day, in UTC
        cron(JOBS["auto_archive"], hour={3}, minute={30})]
