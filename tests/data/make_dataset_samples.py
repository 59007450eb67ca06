"""Cut the small labelled samples the quality tests use out of the full evaluation datasets.

Run from the repository root: `python tests/data/make_dataset_samples.py [DATASETS_DIR]` (default
../shared/datasets; sources, commits and licences in tests/data/README.md). Rows are copied unmodified, in their
original order; the choice is deterministic, so re-running it on the same inputs changes nothing.

- banking77_sample.csv: every query of 15 of the 77 intents (every fifth intent in sorted order).
- seamonkey_bugs_sample.csv: both reports of every duplicate pair in the file, plus 225 other reports taken evenly
  through the file as distractors; seamonkey_duplicate_pairs.csv: the pairs.
- app_reviews_sample.csv: the Netflix and Spotify reviews judged for any of their queries, plus 100 other reviews of
  each app taken evenly through the file as distractors; app_reviews_judgements.csv: those apps' judgements.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent
INTENTS = 15
DISTRACTORS = 225
REVIEW_APPS = ("B005ZXWMUS", "com.spotify.music")  # Netflix, Spotify
REVIEW_DISTRACTORS = 100


def banking77(source: Path) -> list[dict[str, str]]:
    """All queries of every fifth intent, the first 15 such intents."""
    rows = read(source / "banking77" / "test.csv")
    intents = set(sorted({row["category"] for row in rows})[::5][:INTENTS])
    return [row for row in rows if row["category"] in intents]


def seamonkey(source: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The reports of the duplicate pairs plus evenly spread distractors, and the pairs."""
    folder = source / "bug_duplicates_seamonkey"
    bugs = read(folder / "SeaMonkey_bugs.csv")
    pairs = read(folder / "derived_duplicate_pairs_in_file.csv")
    twins = {row[key] for row in pairs for key in ("issue_id_a", "issue_id_b")}
    others = [bug["Issue id"] for bug in bugs if bug["Issue id"] not in twins]
    step = len(others) / DISTRACTORS
    kept = twins | {others[int(i * step)] for i in range(DISTRACTORS)}
    return [bug for bug in bugs if bug["Issue id"] in kept], pairs


def app_reviews(source: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Two apps' judged reviews plus evenly spread others of each app, and their judgements (without the file paths)."""
    folder = source / "app_review_feature_search"
    reviews = read(folder / "reviews_corpus.csv")
    judged = [{key: row[key] for key in ("app_folder", "app_id", "query", "review_id", "judge")}
              for row in read(folder / "qrels_judged_pool.csv") if row["app_id"] in REVIEW_APPS]
    kept = {(row["app_id"], row["review_id"]) for row in judged}
    for app in REVIEW_APPS:
        others = [(app, r["review_id"]) for r in reviews
                  if r["app_id"] == app and (app, r["review_id"]) not in kept]
        step = len(others) / REVIEW_DISTRACTORS
        kept |= {others[int(i * step)] for i in range(REVIEW_DISTRACTORS)}
    return [r for r in reviews if (r["app_id"], r["review_id"]) in kept], judged


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write(name: str, rows: list[dict[str, str]]) -> None:
    with (DATA / name).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{name}: {len(rows)} rows, {(DATA / name).stat().st_size:,} bytes")


def main(argv: list[str]) -> None:
    source = Path(argv[1]) if len(argv) > 1 else DATA.parents[2] / "shared" / "datasets"
    write("banking77_sample.csv", banking77(source))
    bugs, pairs = seamonkey(source)
    write("seamonkey_bugs_sample.csv", bugs)
    write("seamonkey_duplicate_pairs.csv", pairs)
    reviews, judgements = app_reviews(source)
    write("app_reviews_sample.csv", reviews)
    write("app_reviews_judgements.csv", judgements)


if __name__ == "__main__":
    main(sys.argv)
