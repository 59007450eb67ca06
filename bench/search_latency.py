"""One search at a time on a seeded board: each query's text ranking repeated, min / median / p99 (issue 19).

    python bench/search_latency.py --database-url postgres://postgres@127.0.0.1:5432/ideaboard_bench100 [--repeat 30]

The site's own search.search_hits for a visitor's first page, in-process on one connection, without the reranker
(its cost is the model's, not the database's); common, rare, several and typed words of bench/seed.py's board.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ideaboard import ideas, search
from ideaboard.db import connect

QUERIES = [("common", "order"), ("common", "every store"), ("rare", "decaf"), ("rare", "allergen filter"),
           ("several", "order mornings faster"), ("bench", "tipping dark"), ("bench", "orders rewards"),
           ("typing", "oat mil")]


async def run(url: str, repeat: int) -> None:
    async with connect(url):
        visible = ideas.searchable_sql(None)
        print(f"load average {os.getloadavg()[0]:.1f}")
        for kind, text in QUERIES:
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                _, total = await search.search_hits(text, visible_sql=visible, limit=20, offset=0,
                                                    typing=kind == "typing")
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            print(f"{kind:8} {text!r:26} min {times[0]:7.1f}  median {statistics.median(times):7.1f}  "
                  f"p99 {p99:7.1f} ms  ({total} found)", flush=True)
        print(f"load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(run(args.database_url, args.repeat))


if __name__ == "__main__":
    main()
