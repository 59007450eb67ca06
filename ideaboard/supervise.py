"""What `ideaboard serve` runs beside the web site: it restarts its embedded Redis and its worker when they die."""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("ideaboard.serve")
CHECK_EVERY = 0.5  # seconds
MAX_BACKOFF = 30.0


def die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the thread that started it dies, however it dies (no orphans)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Supervisor(threading.Thread):
    """Watches the embedded Redis and the worker; restarts whichever died, with backoff if it keeps dying.

    The children are (re)started from this thread, which lives as long as `serve`: PR_SET_PDEATHSIG follows the
    thread that forked, so they still die with `serve`.
    """

    def __init__(self, redis: Any | None, start_worker: Callable[[], subprocess.Popen | None] | None) -> None:
        super().__init__(name="ideaboard-supervisor", daemon=True)
        self.redis, self._start_worker = redis, start_worker
        self.worker: subprocess.Popen | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._started_worker = threading.Event()

    def run(self) -> None:
        if self._start_worker is not None:
            self.worker = self._start_worker()
        self._started_worker.set()
        backoff = 1.0
        while not self._stopping.wait(CHECK_EVERY):
            try:
                restarted = self._check()
            except Exception:  # a failed restart is tried again later, never the end of supervision
                log.exception("could not restart a background service; trying again in %.0f s", backoff)
                restarted = True
            if restarted:
                self._stopping.wait(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)
            else:
                backoff = max(1.0, backoff / 2)

    def _check(self) -> bool:
        """Restart what died; True if anything did."""
        restarted = False
        if self.redis is not None and self.redis.owned and not self.redis.alive():
            log.warning("the embedded Redis stopped (exit %s); restarting it", self.redis.process.returncode)
            self.redis.restart()
            restarted = True
        if self.worker is not None and self.worker.poll() is not None and self._start_worker is not None:
            log.warning("the background worker stopped (exit %s); restarting it", self.worker.returncode)
            self.worker = self._start_worker()
            restarted = True
        self.restarts += restarted
        return restarted

    def stop(self) -> None:
        """Stop watching, then stop the worker (forcefully if it lingers) and the embedded Redis."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout=15)
        worker = self.worker
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        if self.redis is not None:
            self.redis.shutdown()

    def wait_started(self, timeout: float = 10) -> None:
        self._started_worker.wait(timeout)
