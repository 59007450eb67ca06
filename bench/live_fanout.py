"""Live-update fan-out: N open board pages on one web process, and the time from a vote being accepted to the new
score arriving at each of them (ideaboard/live.py: one Redis subscription per process, an asyncio queue per page).

    python bench/live_fanout.py [--subscribers 1000,10000] [--votes 20] [--redis-url redis://127.0.0.1:6379/7]

Starts `ideaboard serve --no-worker` (one web process, SQLite in a temporary data dir, the given Redis), opens the
subscribers as raw HTTP/1.1 EventSource-like connections (`GET /live?board=public`, as visitors' cached boards do),
then Bob votes (plain form POSTs, alternating up and withdraw); for each vote the clock starts when its response has
arrived (the vote is accepted and committed) and stops when a subscriber has read the `votes-<id>` event. Prints
p50/p95/p99/max over every (vote, subscriber), the server's RSS per connection, and the load average.
The clients share the machine (`--client-processes` Python processes read the sockets), so the figures are an upper
bound of what the server alone adds.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1"
# 2026-12-01, the shared 2-core dev box at load average 1.4, 2 client processes on the same machine (README):
BASELINE = ("1,000 subscribers p50 21 / p95 41 / p99 274 ms; 10,000 p50 298 ms / p95 1.50 s / p99 1.57 s; "
            "33 KiB per connection")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (the serve supervisor and its uvicorn)."""
    total = 0
    for child in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def _descendants(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found += [int(entry.name), *_descendants(int(entry.name))]
    return found


def prepare(env: dict[str, str]) -> int:
    """Migrate, create Bob and Alice's idea; returns the idea's id."""
    subprocess.run([sys.executable, "-m", "ideaboard.cli", "migrate"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    script = f"""
import asyncio
from tortoise import Tortoise
from ideaboard.settings import Settings
from ideaboard.accounts import create_user
from ideaboard.forms import IdeaForm
from ideaboard.ideas import submit_idea
from ideaboard.models import Role
async def main():
    await Tortoise.init(config=Settings.from_env().tortoise_config())
    alice = await create_user("alice@example.com", "Alice", {PASSWORD!r}, Role.CUSTOMER)
    await create_user("bob@example.com", "Bob", {PASSWORD!r}, Role.CUSTOMER)
    idea = await submit_idea(alice, IdeaForm(title="Fan-out bench idea", body="Votes here.", category_id=None,
                                              tags=[]))
    print(idea.id)
    await Tortoise.close_connections()
asyncio.run(main())
"""
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True,
                         text=True)
    return int(out.stdout.strip().splitlines()[-1])


class Subscriber:
    """One open board: a raw socket reading the event stream, noting when each vote event arrives."""

    def __init__(self, event: str) -> None:
        self.event = event.encode()
        self.arrivals: list[float] = []
        self.connected = asyncio.Event()

    async def run(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /live?board=public HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        await writer.drain()
        try:
            while line := await reader.readline():
                if line.startswith(b": connected"):
                    self.connected.set()
                elif line.startswith(b"event: ") and line[7:].strip() == self.event:
                    self.arrivals.append(time.perf_counter())
        finally:
            writer.close()


async def open_all(subs: list[Subscriber], port: int, batch: int = 250) -> list[asyncio.Task]:
    tasks = []
    for start in range(0, len(subs), batch):
        tasks += [asyncio.create_task(s.run(port)) for s in subs[start:start + batch]]
        await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in subs[start:start + batch])), 60)
    return tasks


def client_process(port: int, event: str, n: int, conn) -> None:
    """One of the client processes: opens `n` subscribers, then answers the parent's "count" and "stop"."""
    asyncio.run(_client(port, event, n, conn))


async def _client(port: int, event: str, n: int, conn) -> None:
    subs = [Subscriber(event) for _ in range(n)]
    tasks = await open_all(subs, port)
    conn.send("ready")
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, conn.recv) != "stop":
        conn.send(sum(len(s.arrivals) for s in subs))
    conn.send([s.arrivals for s in subs])
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def vote_round(base: str, idea_id: int, votes: int, n: int, pipes: list) -> list[float]:
    """Bob's votes, one at a time; each waits until every subscriber heard it (or 30 s)."""
    accepted: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as bob:
        token = re.search(r'name="csrf_token" value="([^"]+)"', bob.get("/login").text).group(1)  # type: ignore[union-attr]
        bob.post("/login", data={"email": "bob@example.com", "password": PASSWORD, "csrf_token": token})
        token = re.search(r'"X-CSRF-Token": "([^"]+)"', bob.get("/").text).group(1)  # type: ignore[union-attr]
        for k in range(votes):
            response = bob.post(f"/ideas/{idea_id}/vote", data={"value": "up" if k % 2 == 0 else "none",
                                                                "csrf_token": token})
            accepted.append(time.perf_counter())  # CLOCK_MONOTONIC: the same clock in every process
            assert response.status_code in (200, 303), response.status_code
            deadline = accepted[-1] + 30
            while time.perf_counter() < deadline and _heard(pipes) < n * (k + 1):
                time.sleep(0.01)
            time.sleep(0.2)
    latencies: list[float] = []
    for conn in pipes:
        conn.send("stop")
        for arrivals in conn.recv():
            latencies += [arrivals[k] - accepted[k] for k in range(min(len(arrivals), votes))]
    return latencies


def _heard(pipes: list) -> int:
    for conn in pipes:
        conn.send("count")
    return sum(conn.recv() for conn in pipes)


def _shares(n: int, processes: int) -> list[int]:
    return [n // processes + (1 if i < n % processes else 0) for i in range(processes)]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def measure(n: int, votes: int, redis_url: str, processes: int) -> None:
    data = Path(tempfile.mkdtemp(prefix="live-fanout-"))
    port = free_port()
    env = {**os.environ, "IDEABOARD_DATA_DIR": str(data), "DATABASE_URL": f"sqlite://{data}/bench.sqlite3",
           "REDIS_URL": redis_url, "IDEABOARD_LIVE_STREAM_SECONDS": "3600", "IDEABOARD_VOTES_PER_MINUTE": "1000",
           "IDEABOARD_BASE_URL": f"http://127.0.0.1:{port}", "PYTHONPATH": str(ROOT)}
    idea_id = prepare(env)
    server = subprocess.Popen([sys.executable, "-m", "ideaboard.cli", "serve", "--no-worker", "--no-access-log",
                               "--port", str(port)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(base + "/robots.txt", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        idle = rss_kib(server.pid)
        started = time.perf_counter()
        context = multiprocessing.get_context("spawn")
        pipes, clients = [], []
        for share in _shares(n, processes):
            parent, child = context.Pipe()
            client = context.Process(target=client_process, args=(port, f"votes-{idea_id}", share, child))
            client.start()
            pipes.append(parent)
            clients.append(client)
        for conn in pipes:
            assert conn.poll(120) and conn.recv() == "ready"
        opened = time.perf_counter() - started
        time.sleep(1)
        busy = rss_kib(server.pid)
        latencies = vote_round(base, idea_id, votes, n, pipes)
        for client in clients:
            client.join(30)
        missed = votes * n - len(latencies)
        load = os.getloadavg()
        print(f"{n:>6} subscribers ({processes} client processes)  opened in {opened:5.1f} s  "
              f"vote→client p50 {pct(latencies, 50):7.1f} ms  p95 {pct(latencies, 95):7.1f} ms  "
              f"p99 {pct(latencies, 99):7.1f} ms  max {max(latencies) * 1000:7.1f} ms  "
              f"(mean {statistics.fmean(latencies) * 1000:.1f} ms, {len(latencies)} deliveries, {missed} missed)  "
              f"RSS {idle / 1024:.0f} → {busy / 1024:.0f} MiB = {(busy - idle) / n:.1f} KiB per connection  "
              f"load avg {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", default="1000,10000", help="comma-separated counts, one run each")
    parser.add_argument("--votes", type=int, default=20)
    parser.add_argument("--client-processes", type=int, default=2, help="the subscribers are shared among these")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7"))
    args = parser.parse_args()
    print(f"live fan-out on one web process; baseline: {BASELINE}")
    for n in (int(x) for x in args.subscribers.split(",")):
        measure(n, args.votes, args.redis_url, args.client_processes)


if __name__ == "__main__":
    main()
