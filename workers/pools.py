"""The worker's thread pools: a full run and one new idea's embedding never wait for each other."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

BATCH = "pool"  # re-clusters, index rebuilds, tweet batches: every core but one
QUICK = "quick_pool"  # one idea at a time: a member waits for its suggestions


def open_pools() -> dict[str, ThreadPoolExecutor]:
    """A job's CPU work runs off the event loop; a new idea gets a thread a re-cluster cannot hold."""
    return {BATCH: ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) - 1), thread_name_prefix="batch"),
            QUICK: ThreadPoolExecutor(max_workers=1, thread_name_prefix="quick")}


def close_pools(ctx: dict[str, Any]) -> None:
    for key in (BATCH, QUICK):
        if key in ctx:
            ctx[key].shutdown(wait=True)
