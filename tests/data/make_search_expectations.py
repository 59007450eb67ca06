"""Write the rankings the search-parity test expects on both databases: `ideaboard search` over the review sample.

Run from the repository root after a deliberate change to ranking: `python tests/data/make_search_expectations.py`
(on SQLite; tests/test_search.py then checks PostgreSQL gives the very same ids and scores). Review the change in
`python bench/search_quality.py` first: the sample is for mechanics, not for tuning.
"""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent
sys.path.insert(0, str(DATA.parents[1]))

from ideaboard.search_cli import run_search  # noqa: E402


def sample() -> tuple[list[dict], list[dict]]:
    """The sample's reviews as documents and its judged queries, in a fixed order."""
    with (DATA / "app_reviews_sample.csv").open(newline="", encoding="utf-8") as fh:
        docs = [{"id": f"{r['app_id']}:{r['review_id']}", "text": r["review_text"]} for r in csv.DictReader(fh)]
    with (DATA / "app_reviews_judgements.csv").open(newline="", encoding="utf-8") as fh:
        queries = sorted({r["query"] for r in csv.DictReader(fh)})
    return docs, [{"id": q, "query": q} for q in queries]


def main() -> None:
    docs, queries = sample()
    answers = asyncio.run(run_search(docs, queries, 10, ""))
    path = DATA / "app_reviews_expected_rankings.json"
    path.write_text(json.dumps({a["id"]: a["results"] for a in answers}, indent=1) + "\n", encoding="utf-8")
    print(f"{path.name}: {len(answers)} queries")


if __name__ == "__main__":
    main()
