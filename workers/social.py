"""X's own queue: listening jobs (workers/listen.py) run in it, in a worker loop of their own, so a slow or hanging X
never delays the product's jobs."""

from __future__ import annotations

X_QUEUE = "arq:x"  # X jobs run in their own queue and worker loop, so a slow X never delays the product's jobs
X_MAX_JOBS = 2
