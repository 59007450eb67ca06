"""The embedded default under a crowd: `ideaboard serve --demo` (SQLite, embedded Redis, its worker) while members
vote and submit ideas over real HTTP; prints the status codes and checks nothing acknowledged was lost.

    python bench/sqlite_contention.py [--voters 30] [--votes 20] [--submitters 10] [--ideas 5] [--web-workers 1]

Issue 12 item 5: before WAL + BEGIN IMMEDIATE, 30 voters x 20 votes with 10 submitters gave 500 "database is locked".
Issue 19: at least VOTES_PER_SECOND votes a second (over the whole crowd run, ideas being submitted beside them).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.crowd import board_idea_ids, run_crowd, sign_up_many
from tests.processes import UNTHROTTLED, base_env, free_port, ideaboard, wait_for_http, wait_until

VOTES_PER_SECOND = 300  # issue 19, on the embedded default


def clustered(db: Path, idea_ids: list[int]) -> int:
    """How many of these ideas the worker placed in the current cluster run."""
    with sqlite3.connect(db) as conn:
        run = conn.execute("SELECT max(id) FROM cluster_runs WHERE finished").fetchone()[0]
        marks = ",".join("?" * len(idea_ids))
        return conn.execute(f"SELECT count(DISTINCT idea_id) FROM idea_clusters WHERE run_id = ? "
                            f"AND idea_id IN ({marks})", [run, *idea_ids]).fetchone()[0]


def lost_votes(db: Path, last_vote: dict[tuple[str, int], int]) -> list[str]:
    """Accepted votes the database does not hold, and ideas whose counters disagree with their votes."""
    with sqlite3.connect(db) as conn:
        stored = {(email, idea): value for email, idea, value in conn.execute(
            "SELECT u.email, v.idea_id, v.value FROM votes v JOIN users u ON u.id = v.user_id")}
        wrong = [f"idea {i}: counters {up}/{down}, votes {vu}/{vd}" for i, up, down, vu, vd in conn.execute(
            "SELECT i.id, i.upvotes, i.downvotes, "
            "(SELECT count(*) FROM votes WHERE idea_id = i.id AND value = 1), "
            "(SELECT count(*) FROM votes WHERE idea_id = i.id AND value = -1) FROM ideas i")
            if (up, down) != (vu, vd)]
    missing = [f"{email} on {idea}: sent {value}, stored {stored.get((email, idea), 0)}"
               for (email, idea), value in last_vote.items() if stored.get((email, idea), 0) != value]
    return missing + wrong


async def main(args: argparse.Namespace) -> int:
    data = Path(tempfile.mkdtemp(prefix="ideaboard-contention-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve_args = ["--demo", "--port", str(port), "--no-access-log", "--workers", str(args.web_workers)]
    with ideaboard("serve", *serve_args, data_dir=data, env=base_env(data, **UNTHROTTLED)) as serve:
        wait_for_http(base + "/", 90)
        db = data / "ideaboard.sqlite3"
        wait_until(lambda: clustered(db, [1]), 90, "the worker's first cluster run")
        voters = await sign_up_many(base, args.voters, "voter", data / "outbox")
        submitters = await sign_up_many(base, args.submitters, "submitter", data / "outbox")
        ideas = await board_idea_ids(base)
        started = time.monotonic()
        result = await run_crowd(base, voters, submitters, ideas, votes_each=args.votes, ideas_each=args.ideas)
        took = time.monotonic() - started
        for member in voters + submitters:
            await member.http.aclose()
        print(f"{sum(result.codes.values())} requests in {took:.1f} s")
        for (kind, code), count in sorted(result.codes.items()):
            print(f"  {kind:<7} {code}: {count}")
        for error in sorted(set(result.errors))[:10]:
            print("  !", error)
        deadline = time.monotonic() + 60
        while (placed := clustered(db, result.ideas)) < len(result.ideas) and time.monotonic() < deadline:
            time.sleep(0.5)
        print(f"new ideas placed in a cluster by the worker: {placed} of {len(result.ideas)}")
        lost = lost_votes(db, result.last_vote)
        print(f"accepted votes lost or miscounted: {len(lost)}", *lost[:5], sep="\n  ")
        log = serve.output()
        print(f"'database is locked' in the serve log: {log.count('database is locked')}")
    votes = sum(count for (kind, _), count in result.codes.items() if kind == "vote")
    rate = votes / took if took else 0.0
    checks = [(f"votes >= {VOTES_PER_SECOND}/s with the worker running", f"{votes} in {took:.1f} s: {rate:.0f}/s",
               rate >= VOTES_PER_SECOND),
              ("no failed request", f"{result.failures()} failures", result.failures() == 0),
              ("no accepted vote lost or miscounted", f"{len(lost)}", not lost),
              ("every new idea clustered by the worker", f"{placed} of {len(result.ideas)}",
               placed == len(result.ideas))]
    print(f"\n== targets (load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    for target, measured, passed in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {target:<45} {measured}")
    ok = all(passed for _, _, passed in checks)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=30)
    parser.add_argument("--votes", type=int, default=20)
    parser.add_argument("--submitters", type=int, default=10)
    parser.add_argument("--ideas", type=int, default=5)
    parser.add_argument("--web-workers", type=int, default=1)
    sys.exit(asyncio.run(main(parser.parse_args())))
