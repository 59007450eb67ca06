"""Full-text search quality on real judged app-review queries, on SQLite and PostgreSQL, beside two baselines.

Usage: python bench/search_quality.py [--datasets DIR] [--postgres URL] [--scope app|board|both]
(datasets default: $IDEABOARD_DATASETS or <repo>/../shared/datasets; --postgres defaults to $DATABASE_URL when it names
PostgreSQL, else only SQLite runs).

The data is app_review_feature_search (Dabrowski et al. 2023, MIT): real reviews of five apps and judged feature
queries. "app" scope searches each query in its own app's 1,250 reviews (the study's setting); "board" puts all
6,250 reviews on one board. Unjudged reviews count as not relevant. Systems:
- ideaboard: the `ideaboard search` command (the site's own code over a scratch database) per backend;
- AND (before): the search this replaced, every word required (FTS5 porter + bm25 on SQLite,
  websearch_to_tsquery + ts_rank on PostgreSQL), rebuilt here from its SQL;
- TF-IDF: scikit-learn TfidfVectorizer (English stop words) cosine, in memory.
Exits 1 when ideaboard's P@10 is below TARGET on a backend (app scope), or the backends' rankings differ.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ideaboard import embedding  # noqa: E402
from ideaboard.search_cli import scratch_database  # noqa: E402

TARGET = 0.74
K = 10


def default_datasets() -> Path:
    """Datasets dir: env override, else the shared folder beside the repo."""
    env = os.environ.get("IDEABOARD_DATASETS")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "datasets"


@dataclass
class Collection:
    """Documents {id, text}, queries {id, query} and the relevant document ids of each query."""

    name: str
    docs: list[dict]
    queries: list[dict]
    relevant: dict[str, set[str]]


def load(root: Path) -> tuple[list[Collection], Collection]:
    """One collection per app (its reviews and judged queries), and one board with every app's reviews."""
    folder = root / "app_review_feature_search"
    with open(folder / "reviews_corpus.csv", newline="", encoding="utf-8") as fh:
        reviews = list(csv.DictReader(fh))
    with open(folder / "qrels_judged_pool.csv", newline="", encoding="utf-8") as fh:
        judged = list(csv.DictReader(fh))
    relevant: dict[str, set[str]] = defaultdict(set)
    app_of: dict[str, str] = {}
    for row in judged:  # queries are joined by text (the two files number them differently)
        app_of[row["query"]] = row["app_id"]
        if row["judge"] == "Y":
            relevant[row["query"]].add(f"{row['app_id']}:{row['review_id']}")
    docs = [{"id": f"{r['app_id']}:{r['review_id']}", "app": r["app_id"], "text": r["review_text"]} for r in reviews]
    queries = [{"id": text, "query": text, "app": app} for text, app in sorted(app_of.items())]
    apps = [Collection(app, [d for d in docs if d["app"] == app], [q for q in queries if q["app"] == app], relevant)
            for app in sorted({d["app"] for d in docs})]
    return apps, Collection("board", docs, queries, relevant)


def precision(ranked: list[str], relevant: set[str]) -> float:
    return sum(doc in relevant for doc in ranked[:K]) / K


def ndcg(ranked: list[str], relevant: set[str]) -> float:
    gain = sum(1 / math.log2(n + 2) for n, doc in enumerate(ranked[:K]) if doc in relevant)
    ideal = sum(1 / math.log2(n + 2) for n in range(min(K, len(relevant))))
    return gain / ideal if ideal else 0.0


def ideaboard_rankings(collection: Collection, database_url: str, *, meaning: bool = True) -> dict[str, list[str]]:
    """`ideaboard search` run as an operator would (a process per run: Tortoise binds its SQL dialect once); with
    meaning=False it is told IDEABOARD_SEMANTIC=off, the text-only search of a site without the model."""
    with tempfile.TemporaryDirectory(prefix="search-quality-") as folder:
        docs, queries = Path(folder) / "docs.jsonl", Path(folder) / "queries.jsonl"
        docs.write_text("".join(json.dumps({"id": d["id"], "text": d["text"]}) + "\n" for d in collection.docs))
        queries.write_text("".join(json.dumps({"id": q["id"], "query": q["query"]}) + "\n"
                                   for q in collection.queries))
        env = {**os.environ, "DATABASE_URL": database_url, **({} if meaning else {"IDEABOARD_SEMANTIC": "off"})}
        done = subprocess.run([sys.executable, "-m", "ideaboard.cli", "search", str(docs), "--queries", str(queries),
                               "-k", str(K)], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"ideaboard search failed: {done.stderr}")
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    return {a["id"]: [str(r["id"]) for r in a["results"]] for a in answers}


def and_sqlite(collection: Collection) -> dict[str, list[str]]:
    """The replaced SQLite search: FTS5 porter unicode61, every word quoted (AND), bm25 with titles 4x."""
    import re

    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='porter unicode61')")
    db.executemany("INSERT INTO fts (rowid, title, body) VALUES (?, '', ?)",
                   [(n, d["text"]) for n, d in enumerate(collection.docs)])
    out = {}
    for q in collection.queries:
        match = " ".join(f'"{w}"' for w in re.findall(r"\w+", q["query"]))
        rows = db.execute("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, 4.0, 1.0), rowid DESC LIMIT ?",
                          (match, K)).fetchall()
        out[q["id"]] = [collection.docs[r[0]]["id"] for r in rows]
    return out


async def _and_postgres(collection: Collection, database_url: str) -> dict[str, list[str]]:
    """The replaced PostgreSQL search: english tsvector, websearch_to_tsquery, ts_rank."""
    import asyncpg

    async with scratch_database(database_url) as url:
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute("CREATE TABLE docs (id int PRIMARY KEY, body text, v tsvector GENERATED ALWAYS AS "
                               "(setweight(to_tsvector('english', body), 'B')) STORED)")
            await conn.copy_records_to_table("docs", records=[(n, d["text"]) for n, d in enumerate(collection.docs)],
                                             columns=["id", "body"])
            out = {}
            for q in collection.queries:
                rows = await conn.fetch("SELECT id FROM docs, websearch_to_tsquery('english', $1) q WHERE v @@ q "
                                        "ORDER BY ts_rank(v, q) DESC, id DESC LIMIT $2", q["query"], K)
                out[q["id"]] = [collection.docs[r["id"]]["id"] for r in rows]
            return out
        finally:
            await conn.close()


def and_postgres(collection: Collection, database_url: str) -> dict[str, list[str]]:
    return asyncio.run(_and_postgres(collection, database_url))


def tfidf(collection: Collection) -> dict[str, list[str]]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    matrix = vectorizer.fit_transform([d["text"] for d in collection.docs])
    out = {}
    for q in collection.queries:
        scores = (matrix @ vectorizer.transform([q["query"]]).T).toarray().ravel()
        order = sorted((n for n in range(len(scores)) if scores[n] > 0), key=lambda n: (-scores[n], n))[:K]
        out[q["id"]] = [collection.docs[n]["id"] for n in order]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=default_datasets())
    env = os.environ.get("DATABASE_URL", "")
    parser.add_argument("--postgres", default=env if env.startswith("postgres") else "",
                        help="a PostgreSQL URL to create scratch databases beside (default: $DATABASE_URL)")
    parser.add_argument("--scope", choices=("app", "board", "both"), default="both")
    parser.add_argument("--per-query", action="store_true", help="print each query's P@10")
    args = parser.parse_args(argv)
    if not (args.datasets / "app_review_feature_search").is_dir():
        print(f"missing {args.datasets / 'app_review_feature_search'} (set IDEABOARD_DATASETS)", file=sys.stderr)
        return 2
    apps, board = load(args.datasets)
    scopes = {"app": apps, "board": [board]}
    systems: list[tuple[str, object]] = [("ideaboard sqlite", lambda c: ideaboard_rankings(c, ""))]
    if args.postgres:
        systems.append(("ideaboard postgres", lambda c: ideaboard_rankings(c, args.postgres)))
    if embedding.enabled():  # the model is here: also the text-only search (before re-ranking by meaning)
        systems.append(("text only sqlite", lambda c: ideaboard_rankings(c, "", meaning=False)))
    systems.append(("AND (before) sqlite", and_sqlite))
    if args.postgres:
        systems.append(("AND (before) postgres", lambda c: and_postgres(c, args.postgres)))
    systems.append(("TF-IDF cosine", tfidf))
    failed = False
    for scope, collections in scopes.items():
        if args.scope not in (scope, "both"):
            continue
        queries = sum(len(c.queries) for c in collections)
        print(f"\n{scope} scope: {queries} judged queries over {sum(len(c.docs) for c in collections)} reviews "
              f"({'each in its own app' if scope == 'app' else 'one board'})")
        print(f"{'system':<24} {'P@10':>6} {'nDCG@10':>8} {'<10 results':>12} {'seconds':>8}")
        rankings: dict[str, dict[str, list[str]]] = {}
        for name, run in systems:
            started = time.perf_counter()
            ranked: dict[str, list[str]] = {}
            for collection in collections:
                ranked.update(run(collection))  # type: ignore[operator]
            rankings[name] = ranked
            rel = collections[0].relevant
            p = sum(precision(ranked[q], rel[q]) for q in ranked) / len(ranked)
            n = sum(ndcg(ranked[q], rel[q]) for q in ranked) / len(ranked)
            short = sum(len(r) < K for r in ranked.values())
            print(f"{name:<24} {p:6.3f} {n:8.3f} {short:12d} {time.perf_counter() - started:8.1f}")
            if args.per_query:
                for q in sorted(ranked):
                    print(f"    {precision(ranked[q], rel[q]):.1f}  {q}")
            if scope == "app" and name.startswith("ideaboard") and p < TARGET:
                print(f"  below the target P@10 {TARGET}")
                failed = True
        if "ideaboard postgres" in rankings:
            differ = [q for q in rankings["ideaboard sqlite"]
                      if rankings["ideaboard sqlite"][q] != rankings["ideaboard postgres"][q]]
            print(f"SQLite and PostgreSQL rankings differ on {len(differ)} of {queries} queries"
                  + (f": {differ}" if differ else ""))
            failed = failed or bool(differ)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
