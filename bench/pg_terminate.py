"""Postgres connections cut under load: `ideaboard serve` on Postgres while members read and vote over real HTTP,
and every few seconds all of the site's backends are killed with pg_terminate_backend. Prints the status codes,
the errors in the serve log, and checks that every accepted vote is stored.

    python bench/pg_terminate.py [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--redis-url ...]
                                 [--seconds 20] [--every 3] [--browsers 20] [--web-workers 1]

Issue 12 item 9: before, 1.9% of requests failed (500s and resets), many with asyncpg "another operation is in
progress" on a reused pool connection.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.crowd import CrowdResult, Member, board_idea_ids, browsers, sign_up_many
from tests.processes import UNTHROTTLED, base_env, free_port, ideaboard, wait_for_http


def with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name)).replace("postgres://", "postgresql://", 1)


async def terminate_every(dsn: str, database: str, every: float, stop: asyncio.Event) -> int:
    """Kill every backend of the site's database every `every` seconds; returns how many were killed."""
    killed = 0
    conn = await asyncpg.connect(dsn)
    try:
        while not stop.is_set():
            await asyncio.sleep(every)
            killed += await conn.fetchval(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()) t", database)
    finally:
        await conn.close()
    return killed


async def browse_and_vote(result: CrowdResult, member: Member, ideas: list[int], stop: asyncio.Event) -> None:
    """Open an idea, vote on it, repeat: reads and writes, as a member does."""
    from tests.crowd import _send

    k, n = member.share
    mine = ideas[k::n]
    value = 0
    while not stop.is_set():
        for idea_id in mine:
            if stop.is_set():
                return
            await _send(result, "page", member.http.get(f"/ideas/{idea_id}"))
            value = (value + 1) % 3
            vote = ["up", "down", "none"][value]
            headers = {"HX-Request": "true", "X-CSRF-Token": member.token}
            response = await _send(result, "vote", member.http.post(f"/ideas/{idea_id}/vote", data={"value": vote},
                                                                    headers=headers))
            if response is not None and response.status_code == 200:
                result.last_vote[(member.email, idea_id)] = {"up": 1, "down": -1, "none": 0}[vote]


async def lost_votes(dsn: str, last_vote: dict[tuple[str, int], int]) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        stored = {(r["email"], r["idea_id"]): r["value"] for r in await conn.fetch(
            "SELECT u.email, v.idea_id, v.value FROM votes v JOIN users u ON u.id = v.user_id")}
        wrong = await conn.fetch(
            "SELECT i.id FROM ideas i "
            "WHERE i.upvotes <> (SELECT count(*) FROM votes WHERE idea_id = i.id AND value = 1)"
            " OR i.downvotes <> (SELECT count(*) FROM votes WHERE idea_id = i.id AND value = -1)")
    finally:
        await conn.close()
    return [f"{e} on {i}: sent {v}, stored {stored.get((e, i), 0)}" for (e, i), v in last_vote.items()
            if stored.get((e, i), 0) != v] + [f"idea {r['id']}: counters differ from votes" for r in wrong]


async def run(base_url: str, admin_dsn: str, site_dsn: str, database: str, *, seconds: float, every: float,
              accounts: int, per_account: int, outbox: Path) -> tuple[CrowdResult, int, list[str]]:
    """The crowd for `seconds` while backends are killed, then a quiet second so the site recovers."""
    members = await browsers(await sign_up_many(base_url, accounts, "reader", outbox), per_account)
    ideas = await board_idea_ids(base_url)
    result = CrowdResult()
    stop = asyncio.Event()
    killer = asyncio.create_task(terminate_every(admin_dsn, database, every, stop))
    crowd = [asyncio.create_task(browse_and_vote(result, m, ideas, stop)) for m in members]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*crowd)
    killed = await killer
    after = CrowdResult()  # recovery: once the cutting stops, everything works again
    stop_after = asyncio.Event()
    tail = [asyncio.create_task(browse_and_vote(after, m, ideas, stop_after)) for m in members]
    await asyncio.sleep(2)
    stop_after.set()
    await asyncio.gather(*tail)
    for member in members:
        await member.http.aclose()
    result.codes.update(Counter({(f"after {k}", c): n for (k, c), n in after.codes.items()}))
    result.errors += [f"after: {e}" for e in after.errors]
    result.last_vote.update(after.last_vote)
    return result, killed, await lost_votes(site_dsn, result.last_vote)


async def main(args: argparse.Namespace) -> int:
    database = f"ideaboard_pgfault_{uuid.uuid4().hex[:8]}"
    admin = with_db(args.database_url, "postgres")
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{database}"')
    await conn.close()
    data = Path(tempfile.mkdtemp(prefix="ideaboard-pgfault-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    site_url = urlunsplit(urlsplit(args.database_url)._replace(path="/" + database))
    env = base_env(data, DATABASE_URL=site_url, REDIS_URL=args.redis_url, **UNTHROTTLED)
    try:
        serve_args = ["--demo", "--port", str(port), "--no-access-log", "--workers", str(args.web_workers)]
        with ideaboard("serve", *serve_args, data_dir=data, env=env) as serve:
            wait_for_http(base + "/", 90)
            started = time.monotonic()
            result, killed, lost = await run(base, admin, with_db(args.database_url, database), database,
                                             seconds=args.seconds, every=args.every, accounts=4,
                                             per_account=args.browsers // 4, outbox=data / "outbox")
            took = time.monotonic() - started
            log = serve.output()
        total = sum(result.codes.values())
        print(f"{total} requests in {took:.0f} s, {killed} backends terminated")
        for (kind, code), count in sorted(result.codes.items()):
            print(f"  {kind:<12} {code}: {count}")
        for error in sorted(set(e[:160] for e in result.errors))[:8]:
            print("  !", error)
        for needle in ("another operation is in progress", "connection was closed", "terminating connection",
                       "Traceback"):
            print(f"  serve log: {needle!r} x {log.count(needle)}")
        print(f"accepted votes lost or miscounted: {len(lost)}", *lost[:5], sep="\n  ")
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.close()
    ok = result.failures() == 0 and not lost
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--every", type=float, default=3)
    parser.add_argument("--browsers", type=int, default=20)
    parser.add_argument("--web-workers", type=int, default=1)
    sys.exit(asyncio.run(main(parser.parse_args())))
