"""Live-update fan-out: N open board pages on one web process, and the time from a vote being accepted to the new
score arriving at each of them (ideaboard/live.py: one Redis subscription per process, its hub writing every page).

    python bench/live_fanout.py [--subscribers 1000,10000] [--votes 20] [--redis-url redis://127.0.0.1:6379/7]

Starts `ideaboard serve --no-worker` (one web process, SQLite in a temporary data dir, the given Redis), opens the
subscribers as raw HTTP/1.1 EventSource-like connections (`GET /live?board=public`, as visitors' cached boards do),
then Bob votes (plain form POSTs, alternating up and withdraw); for each vote the clock starts when its response has
arrived (the vote is accepted and committed) and stops when a subscriber has read the `votes-<id>` event. Prints
p50/p95/p99/max over every (vote, subscriber), the server's RSS per connection and CPU, and the load average.
The subscribers are one C process (bench/live_client.c, compiled at start with the machine's cc into a temporary
dir: N sockets on one epoll, next to nothing of the CPU), or with `--clients python` (or when no compiler is found)
`--client-processes` Python processes; they share the machine with the server either way, so the figures are an
upper bound of what the server alone adds.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # --rate publishes through ideaboard.live itself
TREE = ROOT  # the ideaboard served (--baseline: that tree too, alternating)
CLIENT: Path | None = None  # the compiled bench/live_client.c; None: the Python clients
PY_SPY: Path | None = None  # --py-spy: where the server's profiles go
PASSWORD = "bench-password-1"
VOTE_EVENT = re.compile(rb"event: (votes-[0-9]+)\ndata: ([0-9]+)\n")
# 2026-12-04, a quiet 2-core machine (load 1.1-2.0), the C subscribers, --rate 1000 --sample 500 (README):
BASELINE = ("at 1,000 votes/s, 10,000 boards p50 58 / p95 104 / p99 112 ms, 1,000 boards p95 104 ms; "
            "24.6 KiB per connection")


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
    subprocess.run([sys.executable, "-m", "ideaboard.cli", "migrate"], env=env, cwd=TREE, check=True,
                   stdout=subprocess.DEVNULL)
    script = f"""
import asyncio
import itertools
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
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=TREE, check=True, capture_output=True,
                         text=True)
    return int(out.stdout.strip().splitlines()[-1])


class Subscriber:
    """One open board: a raw socket reading the event stream, noting when each vote event arrives."""

    def __init__(self, event: str) -> None:
        self.event = event.encode()
        self.arrivals: list[float] = []
        self.scores: list[tuple[float, str, int]] = []  # --rate: (arrival, event name, the score it carried)
        self.connected = asyncio.Event()

    async def run(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /live?board=public HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        await writer.drain()
        pending = b""  # read in chunks, scanned by one regex (a client reading line by line was the bottleneck)
        try:
            while chunk := await reader.read(1 << 16):
                now = time.perf_counter()
                pending += chunk
                cut = pending.rfind(b"\n\n") + 2 if b"\n\n" in pending else 0  # an event not yet whole waits
                whole, pending = pending[:cut], pending[cut:]
                if not self.connected.is_set() and b": connected" in whole:
                    self.connected.set()
                if self.event == b"*":
                    self.scores += [(now, m[1].decode(), int(m[2])) for m in VOTE_EVENT.finditer(whole)]
                else:
                    self.arrivals += [now] * whole.count(b"event: " + self.event + b"\n")
        finally:
            writer.close()


class Drain(asyncio.Protocol):
    """--sample: one of the other open boards, its bytes read and dropped (what a parsing client costs would
    otherwise be measured, not the server: 10,000 pages of scores are more than two shared cores can parse)."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.arrivals: list[float] = []
        self.scores: list[tuple[float, str, int]] = []

    async def run(self, port: int) -> None:
        loop = asyncio.get_running_loop()
        self.lost = loop.create_future()
        transport, _ = await loop.create_connection(lambda: self, "127.0.0.1", port)
        transport.write(b"GET /live?board=public HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        try:
            await self.lost
        finally:
            transport.close()

    def data_received(self, data: bytes) -> None:
        if not self.connected.is_set() and b": connected" in data:
            self.connected.set()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)


async def open_all(subs: list, port: int, batch: int = 250) -> list[asyncio.Task]:
    tasks = []
    for start in range(0, len(subs), batch):
        tasks += [asyncio.create_task(s.run(port)) for s in subs[start:start + batch]]
        await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in subs[start:start + batch])), 60)
    return tasks


def client_process(port: int, event: str, n: int, conn, sample: int | None = None) -> None:
    """One of the client processes: opens `n` subscribers, then answers the parent's "count" and "stop"; on uvloop
    where installed (cheaper clients leave more of a shared machine to the server)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(_client(port, event, n, conn, sample))
    else:
        uvloop.run(_client(port, event, n, conn, sample))


async def _client(port: int, event: str, n: int, conn, sample: int | None = None) -> None:
    step = 1 if sample is None else n // sample if sample else n + 1  # the parsing ones spread among the others
    subs = [Subscriber(event) if k % step == 0 else Drain() for k in range(n)]
    tasks = await open_all(subs, port)
    conn.send("ready")
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, conn.recv) != "stop":
        conn.send(sum(len(s.arrivals) for s in subs))
    conn.send([s.scores if event == "*" else s.arrivals for s in subs if isinstance(s, Subscriber)])
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class PythonClients:
    """The subscribers in `processes` Python processes (on uvloop), each answering over a pipe."""

    def __init__(self, port: int, event: str, n: int, processes: int, sample: int | None) -> None:
        self.label = f"{processes} Python client processes"
        context = multiprocessing.get_context("spawn")
        self.pipes, self.processes = [], []
        for share in _shares(n, processes):
            parent, child = context.Pipe()
            parsed = None if not sample else min(share, sample // processes)
            client = context.Process(target=client_process, args=(port, event, share, child, parsed))
            client.start()
            self.pipes.append(parent)
            self.processes.append(client)

    def wait_ready(self, timeout: float) -> None:
        for conn in self.pipes:
            assert conn.poll(timeout) and conn.recv() == "ready"

    def heard(self) -> int:
        """How many vote events the parsing subscribers read so far."""
        for conn in self.pipes:
            conn.send("count")
        return sum(conn.recv() for conn in self.pipes)

    def cpu_seconds(self) -> float:
        return sum(_cpu_seconds(client.pid) for client in self.processes if client.pid is not None)

    def collect(self) -> list[list]:
        """Per parsing subscriber: its (arrival, event, score) with event "*", else its arrivals; they stop."""
        found = []
        for conn in self.pipes:
            conn.send("stop")
            found += conn.recv()
        for client in self.processes:
            client.join(30)
        return found


class CClients:
    """The subscribers in one C process (bench/live_client.c): N sockets on one epoll, reading at a small fraction
    of a core what the Python clients needed both cores for; same request, same parse, same clock."""

    def __init__(self, binary: Path, port: int, event: str, n: int, sample: int | None) -> None:
        parsed = n if not sample else min(n, sample)
        step = n // parsed if parsed else n + 1  # the parsing ones spread among the others, as _client does
        self.label = "1 C client process"
        self.event = event
        self.process = subprocess.Popen([str(binary), str(port), str(n), str(step)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, bufsize=1)

    def _line(self) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"live_client exited ({self.process.wait()}), see its message above")
        return line.rstrip("\n")

    def _ask(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def wait_ready(self, timeout: float) -> None:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        assert ready and self._line() == "ready", "live_client did not connect its subscribers"

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.process.pid)

    def heard(self) -> int:
        self._ask("count")
        return int(self._line())

    def collect(self) -> list[list]:
        self._ask("stop")
        found: list[list] = []
        while (line := self._line()) != "end":
            if line.startswith("= "):
                found.append([])
                continue
            at, name, score = line.split()
            found[-1].append((float(at), name, int(score)))
        self.process.wait(30)
        if self.event == "*":
            return found
        return [[at for at, name, _score in scores if name == self.event] for scores in found]


def build_c_client(required: bool) -> Path | None:
    """bench/live_client.c compiled with the machine's cc into a temporary dir; None (the Python clients) if there
    is no compiler or it fails, unless `--clients c` asked for it."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    why = "no C compiler found (cc, gcc or $CC)"
    if cc:
        binary = Path(tempfile.mkdtemp(prefix="live-client-")) / "live_client"
        try:
            built = subprocess.run([cc, "-O2", "-o", str(binary), str(ROOT / "bench" / "live_client.c")],
                                   capture_output=True, text=True)
        except OSError as exc:
            why = f"the C compiler {cc} did not run ({exc})"
        else:
            if built.returncode == 0:
                return binary
            why = f"{cc} could not compile bench/live_client.c:\n{built.stderr}"
    if required:
        sys.exit(f"--clients c: {why}")
    print(f"{why}; the subscribers are Python processes instead, and they take much of the CPU the server "
          "would have: the latencies then measure the clients as much as the server", flush=True)
    return None


def start_clients(port: int, event: str, n: int, processes: int, sample: int | None) -> PythonClients | CClients:
    if CLIENT is None:
        return PythonClients(port, event, n, processes, sample)
    return CClients(CLIENT, port, event, n, sample)


def vote_round(base: str, idea_id: int, votes: int, n: int, clients: PythonClients | CClients) -> list[float]:
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
            while time.perf_counter() < deadline and clients.heard() < n * (k + 1):
                time.sleep(0.01)
            time.sleep(0.2)
    latencies: list[float] = []
    extra = 0
    for arrivals in clients.collect():
        latencies += [arrivals[k] - accepted[k] for k in range(min(len(arrivals), votes))]
        extra += len(arrivals) > votes
    if extra:
        print(f"({extra} subscribers heard more vote events than votes were made)", end=" ")
    return latencies


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
           "IDEABOARD_BASE_URL": f"http://127.0.0.1:{port}", "PYTHONPATH": str(TREE)}
    idea_id = prepare(env)
    server = subprocess.Popen([sys.executable, "-m", "ideaboard.cli", "serve", "--no-worker", "--no-access-log",
                               "--port", str(port)], env=env, cwd=TREE, stdout=subprocess.DEVNULL,
                              stderr=(data / "server.log").open("w"))  # kept in the temporary data dir
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
        clients = start_clients(port, f"votes-{idea_id}", n, processes, None)
        clients.wait_ready(120)
        opened = time.perf_counter() - started
        time.sleep(1)
        busy = rss_kib(server.pid)
        cpu_before, clock = _cpu_seconds(server.pid), time.perf_counter()
        latencies = vote_round(base, idea_id, votes, n, clients)
        cpu = (_cpu_seconds(server.pid) - cpu_before) / (time.perf_counter() - clock)
        missed = votes * n - len(latencies)
        load = os.getloadavg()
        print(f"{n:>6} subscribers ({clients.label})  opened in {opened:5.1f} s  "
              f"vote→client p50 {pct(latencies, 50):7.1f} ms  p95 {pct(latencies, 95):7.1f} ms  "
              f"p99 {pct(latencies, 99):7.1f} ms  max {max(latencies) * 1000:7.1f} ms  "
              f"(mean {statistics.fmean(latencies) * 1000:.1f} ms, {len(latencies)} deliveries, {missed} missed)  "
              f"RSS {idle / 1024:.0f} → {busy / 1024:.0f} MiB = {(busy - idle) / n:.1f} KiB per connection  "
              f"server CPU {cpu:.2f} cores  load avg {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


async def publish_votes(redis_url: str, rate: int, seconds: float, ideas: int) -> dict[str, list[float]]:
    """What web processes accepting `rate` votes a second tell the boards (live_events.vote_counted: a score and a
    tally per vote), through the same live.publish_all; the k-th vote on an idea carries score k. Returns, per
    `votes-<id>`, when each score was published."""
    from redis.asyncio import Redis

    from ideaboard import live

    redis = Redis.from_url(redis_url)
    published: dict[str, list[float]] = {f"votes-{i}": [] for i in range(1, ideas + 1)}
    tick, start, sent = 0.01, time.perf_counter(), 0
    while (now := time.perf_counter()) < start + seconds:
        due = int((now - start) * rate) - sent
        events = []
        for k in range(sent, sent + due):
            name = f"votes-{k % ideas + 1}"
            score = len(published[name]) + 1
            events += [("board:public", name, str(score)), ("board:public", f"tally-{k % ideas + 1}", f"{score}↑ 0↓")]
            published[name].append(time.perf_counter())
        if events:
            await live.publish_all(redis, events)
        sent += due
        await asyncio.sleep(tick)
    await redis.aclose()
    return published


def staleness(published: dict[str, list[float]], scores: list[tuple[float, str, int]]) -> list[float]:
    """For each vote, how long until this page showed its score or a newer one (a newer score includes it)."""
    waits = []
    for name, times in published.items():
        arrivals = sorted((score, at) for at, n, score in scores if n == name)
        j, best = len(arrivals) - 1, None
        first_at: dict[int, float] = {}
        for score in range(len(times), 0, -1):  # earliest arrival of a score >= k, from the newest down
            while j >= 0 and arrivals[j][0] >= score:
                best = arrivals[j][1] if best is None else min(best, arrivals[j][1])
                j -= 1
            if best is not None:
                first_at[score] = best
        waits += [first_at[k] - times[k - 1] for k in range(1, len(times) + 1) if k in first_at]
    return waits


def measure_rate(n: int, rate: int, seconds: float, ideas: int, redis_url: str, processes: int,
                 sample: int = 0) -> None:
    """N boards open while votes arrive at `rate` a second on `ideas` ideas of that board."""
    data = Path(tempfile.mkdtemp(prefix="live-fanout-"))
    port = free_port()
    env = {**os.environ, "IDEABOARD_DATA_DIR": str(data), "DATABASE_URL": f"sqlite://{data}/bench.sqlite3",
           "REDIS_URL": redis_url, "IDEABOARD_LIVE_STREAM_SECONDS": "3600",
           "IDEABOARD_BASE_URL": f"http://127.0.0.1:{port}", "PYTHONPATH": str(TREE)}
    subprocess.run([sys.executable, "-m", "ideaboard.cli", "migrate"], env=env, cwd=TREE, check=True,
                   stdout=subprocess.DEVNULL)
    server = subprocess.Popen([sys.executable, "-m", "ideaboard.cli", "serve", "--no-worker", "--no-access-log",
                               "--port", str(port)], env=env, cwd=TREE, stdout=subprocess.DEVNULL,
                              stderr=(data / "server.log").open("w"))  # kept in the temporary data dir
    try:
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/robots.txt", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        idle = rss_kib(server.pid)
        clients = start_clients(port, "*", n, processes, sample)
        clients.wait_ready(180)
        time.sleep(1)
        busy = rss_kib(server.pid)
        times_before, clients_before = _cpu_times(server.pid), clients.cpu_seconds()
        spy = _py_spy(server.pid, seconds + 1, PY_SPY) if PY_SPY else None
        published = asyncio.run(publish_votes(redis_url, rate, seconds, ideas))
        time.sleep(3)  # the last ones arrive
        user, system = (after - before for after, before in zip(_cpu_times(server.pid), times_before, strict=True))
        cpu = user + system
        clients_cpu = clients.cpu_seconds() - clients_before
        if spy is not None:
            spy.wait(60)
        waits: list[float] = []
        pages = writes = 0
        gaps: list[float] = []  # between a page's writes (a read with scores in it: one write, nearly always)
        for scores in clients.collect():
            waits += staleness(published, scores)
            pages += 1
            reads = sorted({at for at, _name, _score in scores})
            writes += len(reads)
            gaps += [later - at for at, later in itertools.pairwise(reads)]
        votes = sum(len(t) for t in published.values())
        missed = votes * pages - len(waits)
        load = os.getloadavg()
        verdict = "PASS" if waits and pct(waits, 95) < 250 and not missed else "FAIL"
        sampled = f" ({pages:,} of them read, {clients.label})"
        print(f"{n:>6} boards{sampled}, {votes / seconds:,.0f} votes/s on {ideas} ideas for {seconds:.0f} s: vote→page "
              f"p50 {pct(waits, 50):7.1f} ms  p95 {pct(waits, 95):7.1f} ms  p99 {pct(waits, 99):7.1f} ms "
              f"({len(waits):,} votes seen, {missed} never)  a page written every p50 {pct(gaps or [0], 50):.0f} / "
              f"p95 {pct(gaps or [0], 95):.0f} ms ({writes / max(pages, 1):.0f} times)  server CPU "
              f"{cpu / (seconds + 3):.2f} cores ({system / max(cpu, 1e-9):.0%} kernel, "
              f"{cpu / max(writes / max(pages, 1) * n, 1) * 1e6:.1f} µs a page's write)  "
              f"clients {clients_cpu / (seconds + 3):.2f} cores  "
              f"RSS {idle / 1024:.0f} → {busy / 1024:.0f} MiB = {(busy - idle) / n:.1f} KiB per connection  "
              f"target p95 < 250 ms: {verdict}  load avg {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _py_spy(pid: int, seconds: float, into: Path) -> subprocess.Popen:
    """py-spy sampling the server for the vote phase, its collapsed stacks written under --py-spy."""
    into.mkdir(parents=True, exist_ok=True)
    out = into / f"serve-{pid}.txt"
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    print(f"(py-spy: {out})", end=" ", flush=True)
    return subprocess.Popen([spy, "record", "--nonblocking", "--format", "raw", "--rate", "200", "--duration",
                             str(round(seconds)), "--pid", str(pid), "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of the server and its children so far."""
    return sum(_cpu_times(pid))


def _cpu_times(pid: int) -> tuple[float, float]:
    """User and system (the kernel's: socket writes) CPU of a process and its children so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    user = system = 0.0
    for child in [pid, *_descendants(pid)]:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            user, system = user + int(fields[11]) / ticks, system + int(fields[12]) / ticks
        except FileNotFoundError:
            pass
    return user, system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", default="1000,10000", help="comma-separated counts, one run each")
    parser.add_argument("--votes", type=int, default=20)
    parser.add_argument("--clients", choices=("auto", "c", "python"), default="auto",
                        help="the subscribers: one C process (bench/live_client.c, built with cc), Python processes, "
                             "or (auto) C when it compiles")
    parser.add_argument("--client-processes", type=int, default=2,
                        help="--clients python: the subscribers are shared among these")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7"))
    parser.add_argument("--rate", type=int, default=0,
                        help="instead of Bob's votes one by one: vote events at this rate (as web processes "
                             "accepting that many votes a second publish them), p95 of vote→page staleness")
    parser.add_argument("--seconds", type=float, default=10, help="--rate: how long")
    parser.add_argument("--ideas", type=int, default=20, help="--rate: the votes go round this many ideas")
    parser.add_argument("--sample", type=int, default=0, help="--rate: only this many boards parse what they read, "
                        "the others drop it (the clients share the machine; parsing 10,000 would measure them)")
    parser.add_argument("--py-spy", type=Path, help="--rate: profile the server with py-spy during the votes "
                        "(collapsed stacks, one file per run, in this dir)")
    parser.add_argument("--baseline", type=Path, help="another ideaboard tree (git archive of main), served and "
                        "measured before this one at each count, with the same clients")
    parser.add_argument("--rounds", type=int, default=1, help="with --baseline: alternate this many times")
    args = parser.parse_args()
    print(f"live fan-out on one web process; baseline: {BASELINE}")
    global TREE, CLIENT, PY_SPY
    PY_SPY = args.py_spy
    CLIENT = None if args.clients == "python" else build_c_client(required=args.clients == "c")
    trees = [("baseline", args.baseline.resolve()), ("this tree", ROOT)] if args.baseline else [("", ROOT)]
    for n in (int(x) for x in args.subscribers.split(",")):
        for k in range(args.rounds if args.baseline else 1):
            for label, TREE in trees[k % 2:] + trees[:k % 2]:  # the order turns round by round
                if label:
                    print(f"{label} ({TREE}):", end=" ", flush=True)
                if args.rate:
                    measure_rate(n, args.rate, args.seconds, args.ideas, args.redis_url, args.client_processes,
                                 args.sample)
                else:
                    measure(n, args.votes, args.redis_url, args.client_processes)


if __name__ == "__main__":
    main()
