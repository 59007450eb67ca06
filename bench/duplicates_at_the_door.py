"""Benchmark: does similar-while-typing show the existing duplicate before someone posts it again?

Every SeaMonkey report (1,076, title + description) is an idea on the board; each report of a recorded duplicate
group is then typed again as a new post, first its title alone, then title and description, and counts as caught when
another report of its group is among the top 10 suggestions (itself excluded). Rows: the TF-IDF/LSA index the site
uses today (workers/suggest_index.py), MiniLM sentence vectors (ideaboard/embedding.py), and both scores added.
Target: caught for >= 82% of titles. Datasets from $IDEABOARD_DATASETS (default ../shared/datasets). Not a test.

    python bench/duplicates_at_the_door.py [-k 10]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ideaboard import embedding
from ideaboard.suggest import MEANING_WEIGHT, SuggestModel
from workers.suggest_index import fit_model, idea_text

ROOT = Path(__file__).resolve().parent.parent

Scorer = Callable[[str], np.ndarray]


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def caught(score: Scorer, queries: list[tuple[int, str]], groups: list[set[int]], k: int) -> float:
    """Share of queries whose top k (the query's own report excluded) holds another report of its group."""
    hits = 0
    for (row, text), group in zip(queries, groups, strict=True):
        scores = score(text)
        scores[row] = -np.inf
        top = np.argpartition(-scores, k)[:k]
        hits += bool(group - {row} & set(top.tolist()))
    return hits / len(queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", type=int, default=10)
    args = parser.parse_args()
    datasets = Path(os.environ.get("IDEABOARD_DATASETS") or ROOT.parent / "shared" / "datasets")
    folder = datasets / "bug_duplicates_seamonkey"
    bugs = read(folder / "SeaMonkey_bugs.csv")
    row_of = {bug["Issue id"]: i for i, bug in enumerate(bugs)}
    members: dict[str, set[int]] = {}
    for pair in read(folder / "derived_duplicate_pairs_in_file.csv"):
        members.setdefault(pair["group_id"], set()).update({row_of[pair["issue_id_a"]], row_of[pair["issue_id_b"]]})
    rows = sorted({row for group in members.values() for row in group})
    groups = [next(g for g in members.values() if row in g) for row in rows]
    titles = [(row, bugs[row]["Summary"].strip()) for row in rows]
    full = [(row, f"{bugs[row]['Summary'].strip()}\n{bugs[row]['Description'].strip()}") for row in rows]
    print(f"{len(bugs)} reports on the board, {len(rows)} typed again ({len(members)} duplicate groups), top {args.k}")

    started = time.perf_counter()
    model, lsa = fit_model([idea_text(b["Summary"], b["Description"]) for b in bugs], version=1)
    index = SuggestModel.from_bytes(model.to_bytes())
    print(f"TF-IDF/LSA index fitted in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    minilm = embedding.encode([f"{b['Summary'].strip()}\n{b['Description'].strip()}" for b in bugs])
    print(f"MiniLM vectors for the board in {time.perf_counter() - started:.1f} s")

    def tfidf(text: str) -> np.ndarray:
        vector = index.embed(idea_text(text.split("\n", 1)[0], text.split("\n", 1)[-1] if "\n" in text else ""))
        return lsa @ vector if vector is not None else np.zeros(len(bugs), dtype=np.float32)

    def semantic(text: str) -> np.ndarray:
        return minilm @ embedding.encode([text])[0]

    def blend(weight: float) -> Scorer:
        return lambda text: (1 - weight) * tfidf(text) + weight * semantic(text)

    rows_to_print: list[tuple[str, Scorer]] = [("TF-IDF/LSA index (words only)", tfidf), ("MiniLM, numpy", semantic)]
    rows_to_print += [(f"blend, meaning weight {w:.2f}{' (site)' if w == MEANING_WEIGHT else ''}", blend(w))
                      for w in (0.35, 0.5, 0.65)]
    print(f"\n{'suggestions from':40} {'title':>8} {'title+description':>18}")
    for name, score in rows_to_print:
        print(f"{name:40} {caught(score, titles, groups, args.k):8.3f} {caught(score, full, groups, args.k):18.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
