"""A day in the life (issue 19): a mixed load on 4 web processes and 2 workers, clustering and tweet linking on.

    python bench/day.py [--database-url postgres://…/ideaboard_bench] [--duration 600] [--web 4] [--workers 2]

Four wrk processes run at once against the same app, one per kind of traffic, their connections sized so the mix is
about 90% visitor reads (board, idea pages, search), 6% member reads, 3% votes and 1% comments; the run prints the mix
it really got, throughput and p50/p99 per kind, and the errors. Meanwhile, every 20 s, a member shares a new idea and
the bench times how long until "similar ideas" suggests it to someone typing its words (the worker's queue latency).
Seed the database first (bench/seed.py). Every figure is printed with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from load import (  # noqa: E402
    LOGS,
    LUA_COMMON,
    LUA_PATHS,
    LUA_VOTES,
    WARMUP_SECONDS,
    Result,
    app_env,
    free_port,
    log_in_users,
    run_wrk,
    sample_paths,
    server,
    vote_pairs,
)
from seed import DEFAULT_URL, FEATURES, PASSWORD  # noqa: E402

MIX = {"visitor": 0.90, "member": 0.06, "vote": 0.03, "write": 0.01}
CONNECTIONS = {"visitor": 48, "member": 4, "vote": 2, "write": 1}  # closed loops: the mix follows their speeds
DELAY_MS = {"visitor": 0, "member": 10, "vote": 25, "write": 120}  # think time, so the rarer kinds stay rare
TARGETS = {"errors": 0, "similar_seconds": 30}

LUA_MEMBER = r"""
function init(args)
  users, paths = {}, {}
  for line in io.lines(dir .. "/users.txt") do
    local cookie = line:match("(%%S+) ")
    users[#users + 1] = cookie
  end
  for line in io.lines(dir .. "/paths.txt") do paths[#paths + 1] = line end
  i = (tid * 7919) %% #paths
end
function request()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], {["Cookie"] = "ideaboard_session=" .. users[i %% #users + 1]})
end
function delay() return %(delay)d end
"""

LUA_WRITE = r"""
function init(args)
  users, ideas = {}, {}
  for line in io.lines(dir .. "/users.txt") do
    local cookie, token = line:match("(%%S+) (%%S+)")
    users[#users + 1] = {cookie, token}
  end
  for line in io.lines(dir .. "/ideas.txt") do ideas[#ideas + 1] = line end
  n, codes = 0, {}
end
function request()
  n = n + 1
  local u = users[n %% #users + 1]
  local idea = ideas[n %% #ideas + 1]
  return wrk.format("POST", "/ideas/" .. idea .. "/comments", {
    ["Cookie"] = "ideaboard_session=" .. u[1],
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "csrf_token=" .. u[2] .. "&body=Same+here%%2C+this+would+help+me+every+week+" .. n)
end
function response(status, headers, body) codes[status] = (codes[status] or 0) + 1 end
function delay() return %(delay)d end
"""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--duration", type=int, default=600, help="seconds of mixed load (the issue asks for 600)")
    parser.add_argument("--web", type=int, default=4, help="web processes")
    parser.add_argument("--workers", type=int, default=2, help="arq worker processes")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads per kind")
    args = parser.parse_args(argv)
    args.page_cache_seconds, args.serve_args = None, "--no-access-log"
    return args


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def start_workers(args, env: dict[str, str]) -> list[subprocess.Popen]:
    """The real worker processes (arq), with clustering on its schedule and tweets read from a file (linking)."""
    env = {**env, "X_TWEETS_FILE": str(HERE.parent / "ideaboard" / "demo_tweets.jsonl")}
    procs = []
    for n in range(args.workers):
        log = (LOGS / f"day-worker-{n}.log").open("w")
        procs.append(subprocess.Popen([sys.executable, "-m", "arq", "workers.settings.WorkerSettings"], env=env,
                                      stdout=log, stderr=subprocess.STDOUT, cwd=HERE.parent, start_new_session=True))
    return procs


def kind_dir(work: Path, kind: str) -> Path:
    path = work / kind
    path.mkdir(exist_ok=True)
    return path


async def prepare(db: asyncpg.Connection, work: Path, base: str, args) -> list[int]:
    """Paths for visitors and members, logged-in members, fresh vote pairs, ideas to comment on."""
    rng = random.Random(11)
    lines: list[str] = []
    for endpoint in ("detail", "search"):
        await sample_paths(db, work, endpoint)
        lines += (work / "paths.txt").read_text().split()
    lines += ["/", "/?sort=top", "/?sort=new", "/roadmap"] * 200
    rng.shuffle(lines)
    for kind in ("visitor", "member"):
        (kind_dir(work, kind) / "paths.txt").write_text("\n".join(lines) + "\n")
    users = [r["id"] for r in await db.fetch(
        "SELECT id FROM users WHERE role = 'customer' AND is_active ORDER BY id LIMIT 40")]
    logins = await log_in_users(base, [f"user{u}@bench.example" for u in users])
    for kind in ("member", "vote", "write"):
        (kind_dir(work, kind) / "users.txt").write_text("".join(f"{c} {t}\n" for c, t in logins))
    pairs = await vote_pairs(db, users, 3000 * max(1, args.duration // 10))
    (kind_dir(work, "vote") / "pairs_0.txt").write_text("".join(f"{k} {i} {s}\n" for k, i, s in pairs))
    ideas = [r["id"] for r in await db.fetch(
        "SELECT id FROM ideas WHERE space = 'public' AND NOT hidden AND status IN ('new', 'under_review') "
        "ORDER BY random() LIMIT 500")]
    (kind_dir(work, "write") / "ideas.txt").write_text("\n".join(map(str, ideas)) + "\n")
    return users


def wrk_command(kind: str, base: str, work: Path, args) -> list[str]:
    script = {"visitor": LUA_PATHS, "member": LUA_MEMBER, "vote": LUA_VOTES, "write": LUA_WRITE}[kind]
    folder = kind_dir(work, kind)
    lua = folder / "mix.lua"
    lua.write_text((LUA_COMMON + script) % {"dir": str(folder), "delay": DELAY_MS[kind]})
    return ["wrk", "-t", str(args.threads), "-c", str(CONNECTIONS[kind]), "-d", f"{args.duration}s",
            "--timeout", "30s", "--latency", "-s", str(lua), base + "/"]


def result_of(kind: str, out: str) -> Result:
    import json

    match = re.search(r"^BENCH_JSON (.*)$", out, re.M)
    if not match:
        raise SystemExit(f"wrk printed no result for {kind}:\n{out}")
    data = json.loads(match.group(1))
    seconds = data["duration_us"] / 1e6
    return Result(kind, CONNECTIONS[kind], rps=data["requests"] / seconds, p50_ms=data["p50_us"] / 1000,
                  p99_ms=data["p99_us"] / 1000, requests=data["requests"], errors=data["errors"],
                  bad_status=data["bad_status"], codes=data["codes"])


async def time_similar(base: str, email: str, until: float) -> list[float]:
    """Every 20 s a member shares an idea; seconds until /ideas/similar suggests it for its own words."""
    token_re = re.compile(r'name="csrf_token" value="([^"]+)"')
    waits: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        page = await client.get("/login")
        await client.post("/login", data={"email": email, "password": PASSWORD,
                                          "csrf_token": token_re.search(page.text).group(1)})
        n = 0
        while time.monotonic() + 45 < until:
            n += 1
            feature = FEATURES[n % len(FEATURES)]
            title = f"{feature.capitalize()} for night-shift baristas {n} zephyrine"
            form = await client.get("/ideas/new")
            posted = await client.post("/ideas/new", data={
                "csrf_token": token_re.search(form.text).group(1), "title": title, "body": f"Please, {feature}."})
            idea = re.search(r"/ideas/(\d+)", posted.headers.get("location", ""))
            if posted.status_code != 303 or not idea:
                print(f"  (similar-ideas probe: sharing an idea answered {posted.status_code})", flush=True)
                waits.append(float("inf"))
                continue
            started = time.monotonic()
            while time.monotonic() - started < 40:
                found = await client.get("/ideas/similar", params={"title": title})
                if f"/ideas/{idea.group(1)}" in found.text:
                    waits.append(time.monotonic() - started)
                    break
                await asyncio.sleep(0.5)
            else:
                print(f"  (similar-ideas probe: idea {idea.group(1)} not suggested within 40 s)", flush=True)
                waits.append(float("inf"))
            await asyncio.sleep(max(0.0, 20 - (time.monotonic() - started)))
    return waits


async def run(args) -> bool:
    db = await asyncpg.connect(args.database_url)
    try:
        if not await db.fetchval("SELECT count(*) FROM ideas"):
            raise SystemExit(f"{args.database_url} holds no ideas: run bench/seed.py first")
        with tempfile.TemporaryDirectory(prefix="ideaboard-day-") as tmp:
            work = Path(tmp)
            env = app_env(args, str(work))
            port = free_port()
            cmd = [sys.executable, "-m", "ideaboard.cli", "serve", "--workers", str(args.web), "--no-worker",
                   "--port", str(port), "--no-access-log"]
            workers: list[subprocess.Popen] = []
            try:
                with server(cmd, env, port, LOGS / "day-app.log", timeout=180) as base:
                    workers = start_workers(args, env)  # after the web processes are up: both start heavy
                    users = await prepare(db, work, base, args)
                    run_wrk("warmup", base, "/", "", work, 16, args, duration=WARMUP_SECONDS)
                    print(f"mixed load for {args.duration} s on {args.web} web + {args.workers} workers "
                          f"(load average {load_average()})", flush=True)
                    until = time.monotonic() + args.duration
                    procs = {kind: subprocess.Popen(wrk_command(kind, base, work, args), stdout=subprocess.PIPE,
                                                    text=True) for kind in MIX}
                    waits = await time_similar(base, f"user{users[-1]}@bench.example", until)
                    results = [result_of(kind, proc.communicate(timeout=args.duration + 90)[0])
                               for kind, proc in procs.items()]
                    after = load_average()
            finally:
                for proc in workers:
                    os.killpg(proc.pid, 15)
                for proc in workers:
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:  # a re-cluster mid-way: its next run redoes it (idempotent)
                        os.killpg(proc.pid, 9)
                        proc.wait()
    finally:
        await db.close()
    return report(results, waits, after, args)


def report(results: list[Result], waits: list[float], load: str, args) -> bool:
    total = sum(r.requests for r in results)
    print(f"\n== a day in the life: {args.web} web processes, {args.workers} workers, {args.duration} s "
          f"(load average at the end {load})")
    print(f"  {'kind':<8} {'share':>6} {'target':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for r in results:
        print(f"  {r.name:<8} {r.requests / max(total, 1):>6.1%} {MIX[r.name]:>7.0%} {r.rps:>8.0f} "
              f"{r.p50_ms:>8.1f} {r.p99_ms:>8.1f} {r.errors + r.bad_status:>7}")
    print(f"  all      {sum(r.rps for r in results):>23.0f} req/s")
    done = [w for w in waits if w != float("inf")]
    if done:
        print(f"  similar ideas: {len(done)}/{len(waits)} new ideas suggested, median {statistics.median(done):.1f} s, "
              f"slowest {max(done):.1f} s")
    errors = sum(r.errors + r.bad_status for r in results)
    checks = [(f"no errors in {total:,} requests", f"{errors}", errors == TARGETS["errors"]),
              (f"each new idea suggested within {TARGETS['similar_seconds']} s",
               f"{max(waits):.1f} s" if waits else "no sample",
               bool(waits) and max(waits) <= TARGETS["similar_seconds"])]
    print("\n== targets")
    for target, measured, passed in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {target:<44} {measured}")
    return all(p for _, _, p in checks)


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(run(parse_args())) else 1)
