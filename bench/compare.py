"""Baseline against change in the same run: two ideaboard trees (and the bare page) served side by side, measured in
alternating rounds, each figure printed with the machine's load average, then medians and PASS/FAIL (issue 19).

    git archive <baseline commit> | tar -x -C /tmp/base
    python bench/compare.py --baseline /tmp/base [--database-url postgres://...] [--workers 2] [--rounds 3]
                            [--duration 10] [--connections 16,64] [--only list,detail,vote]
    python bench/compare.py --baseline /tmp/base --database-url postgres://.../ideaboard_bench100 \
                            --only deep,filtered,popular,search    # bench/load.py --large's pages, at 1M ideas

On a shared machine a neighbour's load moves every figure; alternating the systems within each round (the order
rotates from round to round) puts the same noise on both sides, so the ratios mean something where the absolute
figures do not. The bare page (bench/bare.py) is served from this tree (--bare-baseline: the baseline's too); the
list and idea pages are judged against it. The CPU each request cost (the server's processes, and the Postgres
backends of the bench database) is printed beside its throughput: a busy neighbour moves it least.
Votes are checked exactly as bench/load.py does (none lost, none double-counted) and reset after every run.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import shutil
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from load import LOGS, LUA_PATHS, Result, app_env, bench_votes, free_port, run_wrk, sample_paths, server  # noqa: E402
from seed import DEFAULT_URL  # noqa: E402

TARGETS = {"vs_bare": 0.60, "p99_ms": 100, "search_p99_ms": 150, "vote_rps": 2000}  # issue 19
PAGES = ("list", "detail", "deep", "filtered", "popular", "search")  # the last four need a --scale 100 board


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", required=True, type=Path, help="the baseline tree (git archive of a commit)")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per server and page")
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default="list,detail,vote", help="of " + ",".join((*PAGES, "vote")))
    parser.add_argument("--serve-args", default="--no-access-log")
    parser.add_argument("--bare-baseline", action="store_true", help="also serve the baseline tree's bare page")
    parser.add_argument("--page-cache-seconds", type=int, default=0, help="0: measure the pages, not the cache")
    args = parser.parse_args(argv)
    args.connections = [int(c) for c in args.connections.split(",")]
    args.only = [e for e in args.only.split(",") if e]
    if unknown := set(args.only) - {*PAGES, "vote"}:
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk)")
    return args


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def start_all(stack: ExitStack, args: argparse.Namespace, work: Path) -> dict[str, str]:
    """base and new apps, bare pages from both trees; their base URLs by label."""
    urls = {}
    for label, root, bare in (("bare", ROOT, True), ("bare@base", args.baseline, True),
                              ("base", args.baseline, False), ("new", ROOT, False)):
        if bare and ("list" not in args.only or (root != ROOT and not args.bare_baseline)):
            continue
        port = free_port()
        env = app_env(args, str(work / label))
        env["PYTHONPATH"] = str(root)
        (work / label).mkdir()
        if bare:
            cmd = [sys.executable, str(root / "bench" / "bare.py"), "--port", str(port), "--workers", str(args.workers)]
        else:
            cmd = [sys.executable, "-m", "ideaboard.cli", "serve", "--workers", str(args.workers), "--no-worker",
                   "--port", str(port), *args.serve_args.split()]
        urls[label] = stack.enter_context(server(cmd, env, port, LOGS / f"compare-{label}.log", timeout=180,
                                                 cwd=root))  # a busy machine starts them slowly
    return urls


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(port: int, database: str) -> tuple[float, float, float]:
    """CPU time used so far by the server on `port` (its process group) and by Postgres backends on `database`, and
    the time the server's processes waited in the run queue (ready, but every core busy: /proc/PID/schedstat).

    Per request CPU is the figure a busy neighbour moves least: throughput on a shared machine follows its load; the
    wait says how much of a page's latency (and of its p99) was the machine's, not the server's.
    """
    app = pg = waited = 0.0
    leader = None
    stats = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[proc.name] = (cmd, int(fields[2]), (int(fields[11]) + int(fields[12])) / TICK)
        if f"--port {port} " in cmd + " ":
            leader = int(proc.name) if leader is None else min(leader, int(proc.name))
    for pid, (cmd, pgrp, seconds) in stats.items():
        if leader is not None and pgrp == leader:
            app += seconds
            waited += _run_queue_seconds(pid)
        elif cmd.startswith("postgres: ") and f" {database} " in cmd:
            pg += seconds
    return app, pg, waited


def _run_queue_seconds(pid: str) -> float:
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def line(label: str, r: Result, load: str) -> str:
    bad = f"  errors {r.errors} bad {r.bad_status}" if r.errors or r.bad_status else ""
    cpu = getattr(r, "cpu", None)
    cost = f"  cpu/req app {cpu[0]:.2f} pg {cpu[1]:.2f} ms" if cpu else ""
    if r.waited is not None:
        cost += f"  run-queue wait/req {r.waited:.2f} ms"
    return (f"  {label:<10} {r.name:<7} c={r.connections:<3} {r.rps:>7.0f} req/s  p50 {r.p50_ms:>6.1f}  "
            f"p99 {r.p99_ms:>6.1f} ms{cost}  load {load}{bad}")


def timed(args: argparse.Namespace, label: str, url: str, run) -> Result:
    """run() (a wrk run against url), with the CPU it cost per request on the server and in Postgres."""
    port, database = int(url.rsplit(":", 1)[1]), args.database_url.rsplit("/", 1)[1]
    app0, pg0, waited0 = cpu_seconds(port, database)
    result = run()
    app1, pg1, waited1 = cpu_seconds(port, database)
    if result.requests:
        result.cpu = ((app1 - app0) * 1000 / result.requests, (pg1 - pg0) * 1000 / result.requests)
        result.waited = (waited1 - waited0) * 1000 / result.requests
    return result


async def measure(args: argparse.Namespace, work: Path, db: asyncpg.Connection, urls: dict[str, str]) -> list:
    """(round, label, Result, load) for every run, the systems alternating inside each round."""
    runs = []
    labels = list(urls)
    for page in [p for p in PAGES if p in args.only]:
        script = "" if page == "list" else LUA_PATHS
        if script:
            await sample_paths(db, work, page)
        systems = labels if page == "list" else [x for x in labels if not x.startswith("bare")]
        for label in systems:
            run_wrk("warmup", urls[label], "/", script, work, 16, args, duration=args.warmup)
        for rnd in range(args.rounds):
            order = systems[rnd % len(systems):] + systems[:rnd % len(systems)]
            for conns in args.connections:
                for label in order:
                    load = load_average()
                    r = timed(args, label, urls[label],
                              lambda: run_wrk(page, urls[label], "/", script, work, conns, args))  # noqa: B023
                    runs.append((rnd, label, r, load))
                    print(f"r{rnd + 1}" + line(label, r, load), flush=True)
    if "vote" in args.only:
        notes: list[str] = []
        for rnd in range(args.rounds):
            for label in (["base", "new"] if rnd % 2 == 0 else ["new", "base"]):
                load = load_average()
                wrap = functools.partial(timed, args, label, urls[label])
                for r in await bench_votes(args, work, db, urls[label], notes, wrap):
                    runs.append((rnd, label, r, load))
                    print(f"r{rnd + 1}" + line(label, r, load) + f"\n      {r.note}", flush=True)
    return runs


def median(runs: list, label: str, name: str, conns: int, attr: str) -> float | None:
    values = [getattr(r, attr) for _, lab, r, _ in runs if lab == label and r.name == name and r.connections == conns]
    return statistics.median(values) if values else None


def report(runs: list, args: argparse.Namespace) -> bool:
    print(f"\n== medians of {args.rounds} rounds ({args.workers} workers, {args.duration} s per run, "
          f"load at the end {load_average()})")
    labels = sorted({lab for _, lab, _, _ in runs}, key=["base", "new", "bare@base", "bare"].index)  # report order
    for name in [p for p in (*PAGES, "vote") if p in args.only]:
        for conns in args.connections:
            for label in labels:
                rps = median(runs, label, name, conns, "rps")
                if rps is not None:
                    p99 = median(runs, label, name, conns, "p99_ms")
                    cpus = [r.cpu for _, lab, r, _ in runs if lab == label and r.name == name
                            and r.connections == conns and r.cpu]
                    cost = (f"  cpu/req app {statistics.median(c[0] for c in cpus):.2f} "
                            f"pg {statistics.median(c[1] for c in cpus):.2f} ms" if cpus else "")
                    if waits := [r.waited for _, lab, r, _ in runs if lab == label and r.name == name
                                 and r.connections == conns and r.waited is not None]:
                        cost += f"  run-queue wait/req {statistics.median(waits):.2f} ms"
                    print(f"  {label:<10} {name:<7} c={conns:<3} {rps:>7.0f} req/s  p99 {p99:>6.1f} ms{cost}")
    top = max(args.connections)
    verdicts = []
    bare = median(runs, "bare", "list", top, "rps")
    for name in [p for p in PAGES if p in args.only]:
        for label in ("base", "new"):
            rps, p99 = median(runs, label, name, top, "rps"), median(runs, label, name, top, "p99_ms")
            if rps is None:
                continue
            if bare and name in ("list", "detail"):
                ratio = rps / bare
                verdicts.append((label, f"{name} >= {TARGETS['vs_bare']:.0%} of bare at c={top}", f"{ratio:.0%}",
                                 ratio >= TARGETS["vs_bare"]))
            limit = TARGETS["search_p99_ms" if name == "search" else "p99_ms"]
            verdicts.append((label, f"{name} p99 < {limit} ms at c={top}", f"{p99:.1f} ms", p99 < limit))
    for label in ("base", "new"):
        votes = [r for _, lab, r, _ in runs if lab == label and r.name == "vote"]
        if votes:
            per_round = [max(r.rps for rnd_, lab, r, _ in runs if lab == label and r.name == "vote" and rnd_ == rnd)
                         for rnd in range(args.rounds)]
            verdicts.append((label, f"vote >= {TARGETS['vote_rps']} req/s in every round",
                             " / ".join(f"{v:.0f}" for v in per_round), min(per_round) >= TARGETS["vote_rps"]))
            exact = all(r.note.startswith("votes exact") for r in votes)
            verdicts.append((label, "votes: none lost or double-counted", "exact" if exact else "WRONG", exact))
    for _, label, r, _ in runs:
        if r.errors or r.bad_status:
            verdicts.append((label, f"{r.name} c={r.connections}: no errors", f"{r.errors}/{r.bad_status}", False))
    print("\n== targets (issue 19)")
    for label, target, measured, passed in verdicts:
        print(f"  {'PASS' if passed else 'FAIL'}  {label:<5} {target:<40} {measured}")
    return all(p for label, _, _, p in verdicts if label == "new")


async def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    db = await asyncpg.connect(args.database_url)
    try:
        with tempfile.TemporaryDirectory(prefix="ideaboard-compare-") as tmp, ExitStack() as stack:
            work = Path(tmp)
            urls = start_all(stack, args, work)
            print(f"serving {', '.join(urls)}; load {load_average()}", flush=True)
            runs = await measure(args, work, db, urls)
        ok = report(runs, args)
    finally:
        await db.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
