"""The launch-day spike: nginx (Debian's) caching in front of two web processes, visitors hammering the hot board
while members vote behind it. Prints throughput and p99 of both, how many requests reached the app, PASS/FAIL.

    python bench/proxy.py [--database-url postgres://postgres@127.0.0.1:5432/ideaboard_bench] [--duration 15]
                          [--visitors 256] [--voters 32]

Seed the database first (bench/seed.py). The nginx configuration is NGINX_CONF below, the one README "Running at
scale" shows. Rounds, all in this run: the board straight from the app (baseline), the board through the proxy,
votes alone through the proxy, then visitors and votes at once. Votes are checked in the database to be exact.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import asyncpg
import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from load import (  # noqa: E402
    LOGS,
    LUA_VOTES,
    Result,
    app_env,
    check_votes,
    fmt,
    free_port,
    log_in_users,
    run_wrk,
    server,
    settle,
    vote_pairs,
)
from seed import DEFAULT_URL  # noqa: E402

TARGETS = {"proxy_rps": 50_000, "origin_per_second": 20, "votes_kept": 0.8}

# The configuration README "Running at scale" documents: visitors (no session cookie) are served from the cache for
# what the app's Cache-Control allows (s-maxage, then stale-while-revalidate while one request refreshes it);
# anyone with a session cookie always reaches the app, and nothing they get is stored.
NGINX_CONF = r"""
worker_processes auto;
pid %(work)s/nginx.pid;
error_log %(work)s/nginx-error.log warn;
events { worker_connections 8192; }
http {
  log_format origin '$upstream_cache_status $status';
  access_log %(work)s/origin.log origin if=$upstream_addr;
  proxy_cache_path %(work)s/cache levels=1:2 keys_zone=ideaboard:20m max_size=1g inactive=10m use_temp_path=off;
  proxy_temp_path %(work)s/tmp;
  client_body_temp_path %(work)s/body;
  upstream ideaboard { server 127.0.0.1:%(app_port)s; keepalive 128; }
  map $cookie_ideaboard_session $member { default 1; "" 0; }
  server {
    listen 127.0.0.1:%(port)s;
    location /static/ { proxy_pass http://ideaboard; proxy_cache ideaboard; proxy_cache_valid 200 1h; }
    location / {
      proxy_pass http://ideaboard;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_buffering on;
      proxy_cache ideaboard;
      proxy_cache_key "$scheme$http_host$request_uri|$http_hx_request|$http_hx_target|$http_hx_boosted";
      proxy_cache_bypass $member;
      proxy_no_cache $member;
      proxy_cache_lock on;
      proxy_cache_use_stale updating error timeout http_502 http_503;
      proxy_cache_background_update on;
      proxy_cache_revalidate on;
      add_header X-Cache $upstream_cache_status always;
    }
  }
}
"""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--visitors", type=int, default=256, help="wrk connections of visitors")
    parser.add_argument("--voters", type=int, default=32, help="wrk connections of voting members")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    args.page_cache_seconds = None
    args.serve_args = "--no-access-log"
    return args


def start_nginx(work: Path, app_port: int) -> tuple[subprocess.Popen, str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("nginx is not installed: apt-get install nginx-light")
    port = free_port()
    work.chmod(0o755)  # nginx's workers drop root (to www-data) and must reach their cache
    for sub in ("cache", "tmp", "body"):
        (work / sub).mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(work / sub, "www-data", "www-data")
    conf = work / "nginx.conf"
    conf.write_text(NGINX_CONF % {"work": work, "app_port": app_port, "port": port})
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(work), "-g", "daemon off;"],
                            stderr=subprocess.STDOUT, stdout=(work / "nginx.out").open("w"))
    base = f"http://127.0.0.1:{port}"
    wait_for_http(base + "/static/css/app.css", timeout=15)
    return proc, base


def wait_for_http(url: str, timeout: float) -> None:
    for _ in range(int(timeout * 10)):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            threading.Event().wait(0.1)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def origin_hits(work: Path) -> dict[str, int]:
    """Requests nginx sent to the app, by cache status (MISS, EXPIRED, UPDATING, BYPASS; "-" for a POST)."""
    log = work / "origin.log"
    counts: dict[str, int] = {}
    for line in log.read_text().splitlines() if log.exists() else []:
        status = line.split()[0]
        counts[status] = counts.get(status, 0) + 1
    log.write_text("")
    return counts


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def prepare_votes(args, work: Path, db: asyncpg.Connection, base: str) -> tuple[list[int], list]:
    users = [r["id"] for r in await db.fetch(
        "SELECT id FROM users WHERE role = 'customer' AND is_active ORDER BY id LIMIT $1", args.voters)]
    logins = await log_in_users(base, [f"user{u}@bench.example" for u in users])
    (work / "users.txt").write_text("".join(f"{c} {t}\n" for c, t in logins))
    pairs = await vote_pairs(db, users, 4000 * args.duration)
    threads = min(args.threads, args.voters)
    for t in range(threads):
        (work / f"pairs_{t}.txt").write_text("".join(f"{k} {i} {s}\n" for k, i, s in pairs[t::threads]))
    for name in ("accepted.txt", "sent.txt"):
        (work / name).unlink(missing_ok=True)
    return users, pairs


async def votes_round(args, work: Path, db, base: str, name: str, visitors: bool) -> list[Result]:
    """Members vote through the proxy; with `visitors`, the spike hits the board at the same time."""
    users, pairs = await prepare_votes(args, work, db, base)
    before = await db.fetchval("SELECT count(*) FROM votes WHERE user_id = ANY($1::int[])", users)
    results: list[Result] = []
    spike = threading.Thread(target=lambda: results.append(
        run_wrk("visitors+votes", base, "/", "", work / "v", args.visitors, args))) if visitors else None
    if spike:
        (work / "v").mkdir(exist_ok=True)
        spike.start()
    vote = run_wrk(name, base, "/", LUA_VOTES, work, args.voters, args)
    if spike:
        spike.join()
    await settle(db, users)
    ok, text = await check_votes(db, work, pairs, users, before)
    vote.note = ("votes exact: " if ok else "VOTES WRONG: ") + text
    return [vote, *results]


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="ideaboard-proxy-"))
    db = await asyncpg.connect(args.database_url)
    app_port = free_port()
    env = app_env(args, str(work))
    cmd = [sys.executable, "-m", "ideaboard.cli", "serve", "--workers", str(args.workers), "--no-worker",
           "--port", str(app_port), "--no-access-log"]
    results: list[Result] = []
    rows: list[tuple[str, str, bool]] = []
    with server(cmd, env, app_port, LOGS / "proxy-app.log") as origin:
        nginx, proxy = start_nginx(work, app_port)
        try:
            await asyncio.sleep(1)
            run_wrk("warmup", origin, "/", "", work, 16, args, duration=2)
            results.append(run_wrk("board, app alone", origin, "/", "", work, 64, args))
            print(fmt(results[-1]), f"load {load_average()}", flush=True)
            origin_hits(work)
            results.append(run_wrk("board, through nginx", proxy, "/", "", work, args.visitors, args))
            hits = origin_hits(work)
            print(fmt(results[-1]), f"origin {hits}", f"load {load_average()}", flush=True)
            proxied, per_second = results[-1], sum(hits.values()) / args.duration
            alone = await votes_round(args, work, db, proxy, "votes alone", visitors=False)
            print(fmt(alone[0]), f"load {load_average()}", flush=True)
            origin_hits(work)
            both = await votes_round(args, work, db, proxy, "votes during the spike", visitors=True)
            hits = origin_hits(work)
            for r in both:
                print(fmt(r), f"load {load_average()}", flush=True)
            results += [*alone, *both]
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
    await db.close()
    spike_votes, spike_board = both[0], both[1]
    board_origin = sum(v for k, v in hits.items() if k not in ("BYPASS", "-")) / args.duration  # "-": POSTs
    rows = [
        (f"board through nginx {proxied.rps:,.0f} req/s (app alone {results[0].rps:,.0f})",
         f">= {TARGETS['proxy_rps']:,}", proxied.rps >= TARGETS["proxy_rps"]),
        (f"board requests reaching the app {per_second:.1f}/s (during the spike {board_origin:.1f}/s)",
         f"<= {TARGETS['origin_per_second']}/s", max(per_second, board_origin) <= TARGETS["origin_per_second"]),
        (f"votes during the spike {spike_votes.rps:,.0f}/s vs alone {alone[0].rps:,.0f}/s, board "
         f"{spike_board.rps:,.0f}/s", f">= {TARGETS['votes_kept']:.0%} of alone",
         spike_votes.rps >= TARGETS["votes_kept"] * alone[0].rps),
        ("votes exact: " + spike_votes.note, "exact", spike_votes.note.startswith("votes exact")
         and alone[0].note.startswith("votes exact")),
        ("no errors", "0", all(r.errors == 0 and r.bad_status == 0 for r in results if "votes" not in r.name)),
    ]
    print(f"\n== the launch-day spike (load {load_average()}, {os.cpu_count()} cores)")
    for text, target, ok in rows:
        print(f"{'PASS' if ok else 'FAIL'}  {text}  (target {target})")
    return 0 if all(ok for _, _, ok in rows) else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
