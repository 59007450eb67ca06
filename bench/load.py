"""Drive a real ideaboard (uvicorn, N workers) with wrk from loopback and print throughput, latency and PASS/FAIL.

    python bench/load.py [--database-url postgres://postgres@127.0.0.1:5432/ideaboard_bench] [--workers 2]
                         [--duration 10] [--connections 16,64] [--only list,detail,vote,similar,search,bare]
    python bench/load.py --large --database-url postgres://postgres@127.0.0.1:5432/ideaboard_bench100

Seed the database first (bench/seed.py). Every run is bounded: each endpoint gets --duration seconds per connection
count, servers are stopped at the end. After the vote runs it checks in the database that every accepted vote is
stored and counted exactly once.

--large (a --scale 100 database) reads the pages that get slow with size instead: the first list page, deep pages
(?page=N with the keyset cursor the pager links to), filtered lists (category, tag, status), random idea pages, the
pages of the most commented ideas, and search; each list and detail p99 is judged against 100 ms, search against
150 ms (issue 19).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from seed import DEFAULT_URL, FEATURES, PASSWORD  # noqa: E402

CLOSED = ("launched", "declined", "duplicate", "archived")
ENDPOINTS = ("list", "detail", "vote", "similar", "search", "bare", "deep", "filtered", "popular")
DEFAULT_ENDPOINTS = ("list", "detail", "vote", "similar", "search", "bare")
LARGE_ENDPOINTS = ("list", "deep", "filtered", "detail", "popular", "search")
LARGE_JUDGED = ("list", "deep", "filtered", "detail", "popular", "search")  # issue 19, at 1M ideas
LISTED = ("space = 'public' AND NOT hidden "  # the board's default filter: open ideas
          "AND status NOT IN ('launched', 'declined', 'duplicate', 'archived')")
TARGETS = {"list_rps": 400, "list_p99_ms": 100, "list_vs_bare": 0.60, "vote_rps": 2000, "large_p99_ms": 100,
           "search_p99_ms": 150}  # issue 19: every list, filter, deep page and idea page, and search, at 1M ideas

LOGS = Path(tempfile.gettempdir()) / "ideaboard-bench-logs"
WARMUP_SECONDS = 10  # both systems are measured after the same warm-up (and with the same 30 s wrk timeout)

LUA_COMMON = r"""
local dir = "%(dir)s"
threads = {}
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
local function json_num(x) return string.format("%%.3f", x) end
function done(summary, latency, requests)
  local e = summary.errors
  local codes, accepted, sent = {}, {}, 0
  for _, t in ipairs(threads) do
    local c = t:get("codes") or {}
    for k, v in pairs(c) do codes[k] = (codes[k] or 0) + v end
    local a = t:get("accepted") or {}
    for _, k in ipairs(a) do accepted[#accepted + 1] = k end
    local s = t:get("sent_list") or {}
    for _, k in ipairs(s) do sent = sent + 1 end
  end
  if #accepted > 0 or sent > 0 then
    local f = io.open(dir .. "/accepted.txt", "w")
    for _, k in ipairs(accepted) do f:write(k, "\n") end
    f:close()
    f = io.open(dir .. "/sent.txt", "w")
    for _, t in ipairs(threads) do
      for _, k in ipairs(t:get("sent_list") or {}) do f:write(k, "\n") end
    end
    f:close()
  end
  local parts = {}
  for k, v in pairs(codes) do parts[#parts + 1] = '"' .. k .. '":' .. v end
  io.write("BENCH_JSON {",
    '"requests":', summary.requests, ',"duration_us":', summary.duration,
    ',"p50_us":', json_num(latency:percentile(50)), ',"p99_us":', json_num(latency:percentile(99)),
    ',"errors":', e.connect + e.read + e.write + e.timeout, ',"bad_status":', e.status,
    ',"codes":{', table.concat(parts, ","), '}}\n')
end
"""

LUA_PATHS = r"""
function init(args)
  paths = {}
  for line in io.lines(dir .. "/paths.txt") do paths[#paths + 1] = line end
  i = (tid * 7919) %% #paths
end
function request()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""

LUA_VOTES = r"""
function init(args)
  users = {}
  for line in io.lines(dir .. "/users.txt") do
    local cookie, token = line:match("(%%S+) (%%S+)")
    users[#users + 1] = {cookie, token}
  end
  todo = {}
  for line in io.lines(dir .. "/pairs_" .. tid .. ".txt") do
    local k, idea, u = line:match("(%%d+) (%%d+) (%%d+)")
    todo[#todo + 1] = {k, idea, tonumber(u)}
  end
  n, accepted, sent_list, codes = 0, {}, {}, {}
end
function request()
  n = n + 1
  local p = todo[n]
  if p == nil then return wrk.format("GET", "/static/css/app.css") end
  sent_list[#sent_list + 1] = p[1]
  local u = users[p[3]]
  return wrk.format("POST", "/ideas/" .. p[2] .. "/vote", {
    ["Cookie"] = "ideaboard_session=" .. u[1],
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Referer"] = "/ideas/" .. p[2] .. "?pair=" .. p[1],
  }, "csrf_token=" .. u[2] .. "&value=up")
end
function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
  if status == 303 then
    local loc = headers["location"] or headers["Location"] or ""
    local k = loc:match("pair=(%%d+)")
    if k then accepted[#accepted + 1] = k end
  end
end
"""


@dataclass
class Result:
    name: str
    connections: int
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    errors: int = 0
    bad_status: int = 0
    codes: dict = field(default_factory=dict)
    note: str = ""
    cpu: tuple[float, float] | None = None  # ms of CPU per request in the app and in Postgres (bench/compare.py)
    waited: float | None = None  # ms per request the server's processes were ready to run but had no core


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes for the app and bare")
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint and connection count")
    parser.add_argument("--connections", default="16,64", help="comma-separated connection counts")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--only", help="comma-separated subset of " + ",".join(ENDPOINTS) + " (default: "
                        + ",".join(DEFAULT_ENDPOINTS) + "; with --large: " + ",".join(LARGE_ENDPOINTS) + ")")
    parser.add_argument("--serve-args", default="--no-access-log", help="extra `ideaboard serve` flags")
    parser.add_argument("--large", action="store_true",
                        help="judge the 1M-idea targets (lists and idea pages p99 < 100 ms, search < 150 ms)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--page-cache-seconds", type=int,
                        help="IDEABOARD_PAGE_CACHE_SECONDS for the app (0 measures the database, not the cache)")
    args = parser.parse_args(argv)
    args.connections = [int(c) for c in args.connections.split(",")]
    args.only = [e for e in (args.only or ",".join(LARGE_ENDPOINTS if args.large else DEFAULT_ENDPOINTS)).split(",")
                 if e]
    if unknown := set(args.only) - set(ENDPOINTS):
        parser.error(f"unknown endpoints: {', '.join(sorted(unknown))}")
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk)")
    return args


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(cmd: list[str], env: dict[str, str], port: int, log: Path, timeout: float = 40,
           cwd: Path = ROOT) -> Iterator[str]:
    """Start a web server, wait until it answers, and always stop it (its whole process group)."""
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"server exited early ({' '.join(cmd)}); see {log}:\n{log.read_text()[-2000:]}")
            try:
                if httpx.get(base + "/", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"server did not start within {timeout:.0f} s; see {log}")
            time.sleep(0.3)
        yield base
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def run_wrk(name: str, base: str, path: str, script: str, work: Path, conns: int, args: argparse.Namespace,
            duration: int | None = None) -> Result:
    """One bounded wrk run; its Lua done() prints a BENCH_JSON line that becomes a Result."""
    lua = work / f"{name}.lua"
    lua.write_text((LUA_COMMON + script) % {"dir": str(work)})
    duration = duration or args.duration
    cmd = ["wrk", "-t", str(min(args.threads, conns)), "-c", str(conns), "-d", f"{duration}s", "--timeout", "30s",
           "--latency", "-s", str(lua), base + path]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    match = re.search(r"^BENCH_JSON (.*)$", out, re.M)
    if not match:
        raise SystemExit(f"wrk printed no result for {name}:\n{out}")
    data = json.loads(match.group(1))
    seconds = data["duration_us"] / 1e6
    return Result(name, conns, rps=data["requests"] / seconds, p50_ms=data["p50_us"] / 1000,
                  p99_ms=data["p99_us"] / 1000, requests=data["requests"], errors=data["errors"],
                  bad_status=data["bad_status"], codes=data["codes"])


async def sample_paths(db: asyncpg.Connection, work: Path, endpoint: str) -> str:
    """Write the request paths one endpoint cycles through; returns a label of what they are."""
    rng = random.Random(3)
    if endpoint == "detail":
        ids = [r["id"] for r in await db.fetch(
            "SELECT id FROM ideas WHERE space = 'public' AND NOT hidden ORDER BY random() LIMIT 5000")]
        lines = [f"/ideas/{i}" for i in ids]
    elif endpoint == "popular":  # the most commented ideas: the detail page at its heaviest
        lines = [f"/ideas/{r['id']}" for r in await db.fetch(
            "SELECT id FROM ideas WHERE space = 'public' AND NOT hidden ORDER BY comment_count DESC LIMIT 100")]
    elif endpoint == "deep":
        lines = await deep_paths(db, rng)
    elif endpoint == "filtered":
        lines = await filtered_paths(db, rng)
    elif endpoint == "search":
        words = sorted({w for f in FEATURES for w in f.split() if len(w) > 3})
        lines = [f"/search?q={rng.choice(words)}+{rng.choice(words)}" for _ in range(2000)]
    else:  # similar
        lines = [f"/ideas/similar?title={f.replace(' ', '+')}+please" for f in FEATURES]
    (work / "paths.txt").write_text("\n".join(lines) + "\n")
    return endpoint


async def deep_paths(db: asyncpg.Connection, rng: random.Random, size: int = 20, count: int = 200) -> list[str]:
    """Pages far down the hot and new lists, as the pager links them: ?page=N plus the keyset cursor of page N-1.

    The cursor is the last idea of the previous page, `after=<sort value>:<id>` (hot as the float's repr, new as
    microseconds since the epoch); without keyset support the same URL is an OFFSET query for page N.
    """
    total = await db.fetchval(f"SELECT count(*) FROM ideas WHERE {LISTED}")
    pages = sorted(rng.sample(range(100, max(101, total // size)), min(count, max(1, total // size - 100))))
    lines = []
    for sort, key in (("hot", "hot"), ("new", "created_at")):
        rows = await db.fetch(
            f"SELECT * FROM (SELECT {key} AS value, id, row_number() OVER (ORDER BY {key} DESC, id DESC) AS n "
            f"FROM ideas WHERE {LISTED}) s WHERE n = ANY($1::bigint[])", [(p - 1) * size for p in pages])
        for r in rows:
            value = repr(r["value"]) if sort == "hot" else str(int(r["value"].timestamp() * 1_000_000))
            lines.append(f"/?sort={sort}&page={r['n'] // size + 1}&after={value}:{r['id']}")
    rng.shuffle(lines)
    return lines


async def filtered_paths(db: asyncpg.Connection, rng: random.Random, count: int = 400) -> list[str]:
    """First pages of the board filtered by category, tag or status (and sometimes two of them), in every sort."""
    cats = [r["slug"] for r in await db.fetch("SELECT slug FROM categories")]
    tags = [r["name"] for r in await db.fetch("SELECT name FROM tags")]
    statuses = ["under_review", "planned", "in_progress", "launched", "declined", "duplicate"]
    lines = []
    for _ in range(count):
        kinds = rng.sample([("category", cats), ("tag", tags), ("status", statuses)], rng.choice([1, 1, 1, 2]))
        query = "&".join(f"{name}={rng.choice(values)}" for name, values in kinds)
        lines.append(f"/?sort={rng.choice(['hot', 'top', 'new'])}&{query}")
    return lines


async def log_in_users(base: str, emails: list[str]) -> list[tuple[str, str]]:
    """Log each user in like a browser would: (session cookie, CSRF token) for the vote script."""
    token_re = re.compile(r'name="csrf_token" value="([^"]+)"')
    sem = asyncio.Semaphore(4)

    async def one(email: str) -> tuple[str, str]:
        async with sem, httpx.AsyncClient(base_url=base, timeout=30) as client:
            page = await client.get("/login")
            token = token_re.search(page.text).group(1)
            resp = await client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
            if resp.status_code != 303:
                raise SystemExit(f"could not log in {email}: {resp.status_code}")
            home = await client.get("/")  # the fresh session's CSRF token
            return client.cookies["ideaboard_session"], token_re.search(home.text).group(1)

    return list(await asyncio.gather(*(one(e) for e in emails)))


async def vote_pairs(db: asyncpg.Connection, user_ids: list[int], count: int) -> list[tuple[int, int, int]]:
    """(pair number, idea id, user slot) for votes nobody has cast yet, spread over ideas to avoid lock queues."""
    ideas = [r["id"] for r in await db.fetch(
        "SELECT id FROM ideas WHERE space = 'public' AND NOT hidden AND status <> ALL($1::text[]) "
        "ORDER BY random() LIMIT 20000", list(CLOSED))]
    voted = {(r["idea_id"], r["user_id"]) for r in await db.fetch(
        "SELECT idea_id, user_id FROM votes WHERE user_id = ANY($1::int[])", user_ids)}
    pairs: list[tuple[int, int, int]] = []
    for shift in range(len(user_ids)):  # consecutive requests go to different ideas and users
        for j, idea in enumerate(ideas):
            slot = (j + shift) % len(user_ids)
            if (idea, user_ids[slot]) not in voted:
                pairs.append((len(pairs) + 1, idea, slot + 1))
                if len(pairs) >= count:
                    return pairs
    return pairs


async def settle(db: asyncpg.Connection, user_ids: list[int], limit: float = 15) -> None:
    """Requests still in flight when wrk stopped may commit after it: wait until the vote count stops moving."""
    last, deadline = -1, time.monotonic() + limit
    while time.monotonic() < deadline:
        count = await db.fetchval("SELECT count(*) FROM votes WHERE user_id = ANY($1::int[])", user_ids)
        if count == last:
            return
        last = count
        await asyncio.sleep(1)


async def check_votes(db: asyncpg.Connection, work: Path, pairs: list[tuple[int, int, int]], user_ids: list[int],
                      rows_before: int) -> tuple[bool, str]:
    """Every accepted vote stored once, nothing stored that was never sent, counters equal to the rows."""
    accepted_file = work / "accepted.txt"
    accepted = {int(k) for k in accepted_file.read_text().split()} if accepted_file.exists() else set()
    sent = {int(k) for k in (work / "sent.txt").read_text().split()} if (work / "sent.txt").exists() else set()
    by_k = {k: (idea, user_ids[slot - 1]) for k, idea, slot in pairs}
    stored = {(r["idea_id"], r["user_id"]) for r in await db.fetch(
        "SELECT idea_id, user_id FROM votes WHERE user_id = ANY($1::int[]) AND idea_id = ANY($2::int[])",
        user_ids, list({idea for _, idea, _ in pairs}))}
    lost = sum(1 for k in accepted if by_k[k] not in stored)
    phantom = sum(1 for k, pair in by_k.items() if k not in sent and pair in stored)
    in_flight = sent - accepted
    in_flight_stored = sum(1 for k in in_flight if by_k[k] in stored)
    rows_after = await db.fetchval("SELECT count(*) FROM votes WHERE user_id = ANY($1::int[])", user_ids)
    touched = list({by_k[k][0] for k in sent})
    mismatched = await db.fetchval(
        "SELECT count(*) FROM ideas i LEFT JOIN (SELECT idea_id, count(*) FILTER (WHERE value = 1) AS up, "
        "count(*) FILTER (WHERE value = -1) AS down FROM votes WHERE idea_id = ANY($1::int[]) GROUP BY idea_id) v "
        "ON v.idea_id = i.id WHERE i.id = ANY($1::int[]) AND (i.upvotes <> coalesce(v.up, 0) "
        "OR i.downvotes <> coalesce(v.down, 0) OR i.score <> i.upvotes - i.downvotes)", touched)
    new_rows = rows_after - rows_before
    exact = new_rows == len(accepted) + in_flight_stored
    ok = lost == 0 and phantom == 0 and mismatched == 0 and exact
    text = (f"{len(accepted):,} accepted, {new_rows:,} new rows, lost {lost}, phantom {phantom}, "
            f"in flight at cut-off {len(in_flight)} (stored {in_flight_stored}), "
            f"{len(touched):,} ideas re-counted: {mismatched} counter mismatches")
    return ok, text


def app_env(args: argparse.Namespace, data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDEABOARD_")}
    env.update(DATABASE_URL=args.database_url, REDIS_URL=args.redis_url, SECRET_KEY="bench-secret-key-not-for-prod",
               IDEABOARD_DATA_DIR=data_dir, PYTHONPATH=str(ROOT))
    env.update({f"IDEABOARD_{name}": "1000000" for name in (  # the load comes from one address: never throttled
        "LOGIN_ATTEMPTS_PER_MINUTE", "LOGIN_ATTEMPTS_PER_IP_PER_HOUR", "VOTES_PER_MINUTE", "COMMENTS_PER_MINUTE",
        "SEARCHES_PER_MINUTE", "SIGNUPS_PER_HOUR", "IDEAS_PER_HOUR", "FOLLOWS_PER_MINUTE", "REPORTS_PER_HOUR")})
    if args.page_cache_seconds is not None:
        env["IDEABOARD_PAGE_CACHE_SECONDS"] = str(args.page_cache_seconds)
    return env


async def bench_app(args: argparse.Namespace, work: Path, db: asyncpg.Connection) -> tuple[list[Result], list[str]]:
    results, notes = [], []
    port = free_port()
    env = app_env(args, str(work))
    cmd = [sys.executable, "-m", "ideaboard.cli", "serve", "--workers", str(args.workers), "--no-worker",
           "--port", str(port), *args.serve_args.split()]
    with server(cmd, env, port, LOGS / "app.log") as base:
        run_wrk("warmup", base, "/", "", work, 16, args, duration=WARMUP_SECONDS)
        for endpoint in [e for e in args.only if e not in ("bare", "vote")]:
            if endpoint == "similar" and httpx.get(base + "/ideas/similar?title=dark+mode").status_code == 404:
                notes.append("similar: /ideas/similar answers 404 (not built yet), skipped")
                continue
            script = "" if endpoint == "list" else LUA_PATHS
            if script:
                await sample_paths(db, work, endpoint)
            run_wrk("warmup", base, "/", script, work, 16, args, duration=WARMUP_SECONDS)  # caches warm, plans made
            for conns in args.connections:
                results.append(run_wrk(endpoint, base, "/", script, work, conns, args))
                print(fmt(results[-1]), flush=True)
        if "vote" in args.only:
            results += await bench_votes(args, work, db, base, notes)
    return results, notes


async def bench_votes(args, work: Path, db: asyncpg.Connection, base: str, notes: list[str],
                      wrap=lambda run: run()) -> list[Result]:
    users = [r["id"] for r in await db.fetch(
        "SELECT id FROM users WHERE role = 'customer' AND is_active ORDER BY id LIMIT $1", max(args.connections))]
    emails = [f"user{u}@bench.example" for u in users]
    logins = await log_in_users(base, emails)
    (work / "users.txt").write_text("".join(f"{c} {t}\n" for c, t in logins))
    results = []
    for conns in args.connections:
        pairs = await vote_pairs(db, users, 6000 * args.duration)
        for t in range(min(args.threads, conns)):
            chunk = pairs[t::min(args.threads, conns)]
            (work / f"pairs_{t}.txt").write_text("".join(f"{k} {i} {s}\n" for k, i, s in chunk))
        for name in ("accepted.txt", "sent.txt"):
            (work / name).unlink(missing_ok=True)
        before = await db.fetchval("SELECT count(*) FROM votes WHERE user_id = ANY($1::int[])", users)
        last_id = await db.fetchval("SELECT coalesce(max(id), 0) FROM votes")
        result = wrap(lambda: run_wrk("vote", base, "/", LUA_VOTES, work, conns, args))  # noqa: B023
        await settle(db, users)
        ok, text = await check_votes(db, work, pairs, users, before)
        await reset_votes(db, last_id)  # the next connection count starts from the same board
        result.note = ("votes exact: " if ok else "VOTES WRONG: ") + text
        if len((work / "sent.txt").read_text().split()) >= len(pairs):
            result.note += " (ran out of fresh pairs: raise the pool)"
        results.append(result)
        print(fmt(result), flush=True)
    return results


async def reset_votes(db: asyncpg.Connection, last_id: int) -> None:
    """Remove the votes a run added and put the touched ideas' counters back (as the app computes them)."""
    from ideaboard.ideas import HOT_EPOCH, HOT_SECONDS_PER_DECADE

    touched = [r["idea_id"] for r in await db.fetch("DELETE FROM votes WHERE id > $1 RETURNING idea_id", last_id)]
    await db.execute(
        "UPDATE ideas i SET upvotes = c.up, downvotes = c.down, score = c.up - c.down, "
        "hot = round((sign(c.up - c.down) * log(greatest(abs(c.up - c.down), 1)) "
        "+ (extract(epoch from i.created_at) - $2) / $3)::numeric, 7) "
        "FROM (SELECT i2.id, count(*) FILTER (WHERE v.value = 1) AS up, count(*) FILTER (WHERE v.value = -1) AS down "
        "      FROM ideas i2 LEFT JOIN votes v ON v.idea_id = i2.id WHERE i2.id = ANY($1::int[]) GROUP BY i2.id) c "
        "WHERE i.id = c.id", list(set(touched)), HOT_EPOCH, HOT_SECONDS_PER_DECADE)


def bench_bare(args: argparse.Namespace, work: Path) -> list[Result]:
    port = free_port()
    cmd = [sys.executable, str(HERE / "bare.py"), "--port", str(port), "--workers", str(args.workers)]
    results = []
    with server(cmd, app_env(args, str(work)), port, LOGS / "bare.log") as base:
        run_wrk("warmup", base, "/", "", work, 16, args, duration=WARMUP_SECONDS)
        for conns in args.connections:
            results.append(run_wrk("bare", base, "/", "", work, conns, args))
            print(fmt(results[-1]), flush=True)
    return results


def fmt(r: Result) -> str:
    bad = f"  errors {r.errors} non-2xx/3xx {r.bad_status}" if r.errors or r.bad_status else ""
    return (f"  {r.name:<8} c={r.connections:<4} {r.rps:>8.0f} req/s  p50 {r.p50_ms:>7.1f} ms  "
            f"p99 {r.p99_ms:>7.1f} ms{bad}")


def verdicts(results: list[Result], args: argparse.Namespace) -> list[tuple[str, str, bool]]:
    """(target, measured, passed) for each target the run can judge."""
    get = {(r.name, r.connections): r for r in results}
    top = max(args.connections)
    out = []
    if (lst := get.get(("list", top))) is not None:
        target = TARGETS["list_rps"]
        out.append((f"list >= {target} req/s at c={top}", f"{lst.rps:.0f}", lst.rps >= target))
        limit = TARGETS["large_p99_ms"] if args.large else TARGETS["list_p99_ms"]
        out.append((f"list p99 < {limit} ms at c={top}", f"{lst.p99_ms:.1f} ms", lst.p99_ms < limit))
        if (bare := get.get(("bare", top))) is not None:
            ratio = lst.rps / bare.rps if bare.rps else 0
            out.append((f"list >= {TARGETS['list_vs_bare']:.0%} of bare at c={top}", f"{ratio:.0%}",
                        ratio >= TARGETS["list_vs_bare"]))
    if not args.large and (page := get.get(("detail", top))) is not None:  # issue 19: "idea page likewise"
        out.append((f"detail p99 < {TARGETS['list_p99_ms']} ms at c={top}", f"{page.p99_ms:.1f} ms",
                    page.p99_ms < TARGETS["list_p99_ms"]))
        if (bare := get.get(("bare", top))) is not None:
            ratio = page.rps / bare.rps if bare.rps else 0
            out.append((f"detail >= {TARGETS['list_vs_bare']:.0%} of bare at c={top}", f"{ratio:.0%}",
                        ratio >= TARGETS["list_vs_bare"]))
    for name in LARGE_JUDGED[1:] if args.large else ():
        if (r := get.get((name, top))) is not None:
            limit = TARGETS["search_p99_ms" if name == "search" else "large_p99_ms"]
            out.append((f"{name} p99 < {limit} ms at c={top}",
                        f"{r.p99_ms:.1f} ms" if r.requests else "no response in time",
                        r.requests > 0 and r.p99_ms < limit))
    votes = [r for r in results if r.name == "vote"]
    if votes:
        best = max(votes, key=lambda r: r.rps)
        out.append((f"vote >= {TARGETS['vote_rps']} req/s", f"{best.rps:.0f} (c={best.connections})",
                    best.rps >= TARGETS["vote_rps"]))
        exact = all(r.note.startswith("votes exact") for r in votes)
        out.append(("votes: none lost or double-counted", "exact" if exact else "WRONG", exact))
    for r in results:
        if r.errors or r.bad_status:
            out.append((f"{r.name} c={r.connections}: no errors", f"{r.errors} errors, {r.bad_status} bad status",
                        False))
    return out


def report(results: list[Result], notes: list[str], args: argparse.Namespace) -> bool:
    print("\n== results (" + f"{args.workers} workers, {args.duration} s per run, {args.database_url})")
    print(f"  {'endpoint':<8} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9}")
    for r in results:
        print(f"  {r.name:<8} {r.connections:>5} {r.rps:>9.0f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} {r.requests:>9}")
    bare = {r.connections: r.rps for r in results if r.name == "bare"}
    for r in results:
        if r.name == "list" and bare.get(r.connections):
            print(f"  list / bare at c={r.connections}: {r.rps / bare[r.connections]:.0%}")
    for r in results:
        if r.note:
            print(f"  {r.name} c={r.connections}: {r.note}")
    for note in notes:
        print("  note: " + note)
    print("\n== targets")
    judged = verdicts(results, args)
    for target, measured, passed in judged:
        print(f"  {'PASS' if passed else 'FAIL'}  {target:<42} {measured}")
    return all(p for _, _, p in judged)


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    db = await asyncpg.connect(args.database_url)
    try:
        ideas = await db.fetchval("SELECT count(*) FROM ideas")
        if not ideas:
            raise SystemExit(f"{args.database_url} holds no ideas: run bench/seed.py first")
        print(f"{ideas:,} ideas in {args.database_url}; wrk -t{args.threads}, {args.duration} s per run")
        with tempfile.TemporaryDirectory(prefix="ideaboard-bench-") as tmp:
            work = Path(tmp)
            results, notes = await bench_app(args, work, db)
            if "bare" in args.only:
                results += bench_bare(args, work)
            ok = report(results, notes, args)
    finally:
        await db.close()
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in results], indent=2))
    print(f"\n(finished in {time.monotonic() - started:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
