"""Linking posts to ideas on real labelled data, end to end through the fake X server, beside a plain TF-IDF baseline.

Usage: nice python bench/link_quality.py [--datasets DIR] [--sweep]
(datasets default: $IDEABOARD_DATASETS or <repo>/../shared/datasets)

Each dataset becomes one board in a scratch SQLite database: its ideas are created, its posts are put on the fake X
server (tests/fake_x_api.py, real HTTP) as tweets addressed to the brand ("@netflix <review>"), and the listening
worker's recent-search path (workers.listen.poll_x, no stream, no mentions) reads, stores and links them, polling
until X has nothing new. The links it wrote are scored against the labels:
- app_review_feature_search: ideas = the 15 judged feature queries, posts = the 590 judged reviews; a pair is
  relevant when judged Y (a review linked to a query it was not judged for counts as wrong);
- feedback_issue_matching: ideas = the 192 candidate issue titles, posts = the 100 reviews; relevant = fitting_issue.
Recall = relevant pairs linked / relevant pairs; precision = relevant links / links; P@1 = share of the posts with a
relevant idea whose best-scored idea is one. Baseline: scikit-learn TfidfVectorizer (English stop words) fitted on the
run's ideas and stored posts, linking each post's top 3 at the old fixed 0.08. "light" is ours without the model
(IDEABOARD_SEMANTIC=off: TF-IDF fitted on the ideas, its own threshold) on the same stored posts.
PASS needs recall >= 0.5 at precision >= 0.7 and P@1 >= 0.55 (issue 14); exits 1 when a dataset fails.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

RECALL_TARGET, PRECISION_TARGET, P1_TARGET = 0.5, 0.7, 0.55
BASELINE_THRESHOLD = 0.08  # the per-batch TF-IDF relevance cut the per-idea search used
MAX_TITLE = 120  # Idea.title's length
ARRIVALS = 100  # posts put on X between two polls (a poll reads at most 5 pages of 100 per rule)


def default_datasets() -> Path:
    """Datasets dir: env override, else the shared folder beside the repo."""
    env = os.environ.get("IDEABOARD_DATASETS")
    return Path(env) if env else REPO.parent / "shared" / "datasets"


@dataclass
class LinkSet:
    """A board's ideas (key, title), posts (key, brand handle, text) and relevant (post key, idea key) pairs."""

    name: str
    ideas: list[tuple[str, str]]
    posts: list[tuple[str, str, str]]
    relevant: set[tuple[str, str]]


def load_app_reviews(root: Path) -> LinkSet:
    """Judged reviews and the 15 judged feature queries of five apps."""
    with open(root / "app_review_feature_search" / "qrels_judged_pool.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    queries = sorted({(r["app_folder"], r["query"]) for r in rows})
    key = {query: f"q{n}" for n, (_, query) in enumerate(queries)}
    posts = {r["review_id"]: ("@" + r["app_folder"].lower(), r["review_text"]) for r in rows}
    relevant = {(r["review_id"], key[r["query"]]) for r in rows if r["judge"] == "Y"}
    return LinkSet("app_review_feature_search", [(key[q], q) for _, q in queries],
                   [(k, h, t) for k, (h, t) in posts.items()], relevant)


def load_feedback(root: Path) -> LinkSet:
    """Reviews of Firefox and VLC and the candidate issues labelled fitting or not (ICSE 2021)."""
    path = root / "feedback_issue_matching" / "review_issue_candidate_pairs_labeled.csv"
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    handle = {"org.mozilla.firefox": "@firefox", "org.videolan.vlc": "@vlc"}
    issues = {r["issue_id"]: r["issue_text"][:MAX_TITLE] for r in rows}
    posts = {r["user_feedback_id"]: (handle[r["app"]], r["user_feedback"]) for r in rows}
    relevant = {(r["user_feedback_id"], r["issue_id"]) for r in rows if r["fitting_issue"] == "TRUE"}
    return LinkSet("feedback_issue_matching", list(issues.items()), [(k, h, t) for k, (h, t) in posts.items()],
                   relevant)


@dataclass
class Scores:
    recall: float
    precision: float
    p1: float
    links: int

    def passed(self) -> bool:
        return self.recall >= RECALL_TARGET and self.precision >= PRECISION_TARGET and self.p1 >= P1_TARGET

    def line(self, label: str) -> str:
        return (f"  {label:<22} recall {self.recall:.3f}  precision {self.precision:.3f}  P@1 {self.p1:.3f}"
                f"  links {self.links}")


def score(links: set[tuple[str, str]], best: dict[str, str], relevant: set[tuple[str, str]]) -> Scores:
    """Recall and precision of the links; P@1 of each post's best idea, over posts that have a relevant idea."""
    hits = len(links & relevant)
    with_answer = {post for post, _ in relevant}
    p1 = sum((post, best.get(post)) in relevant for post in with_answer) / len(with_answer)
    return Scores(hits / len(relevant), hits / len(links) if links else 0.0, p1, len(links))


def baseline(ideas: Sequence[tuple[str, str]], posts: Sequence[tuple[str, str]]
             ) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """Plain TF-IDF fitted on the run (ideas + posts), top 3 per post at the old fixed cut; and each post's best."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    matrix = vectorizer.fit_transform([t for _, t in ideas] + [t for _, t in posts])
    sims = (matrix[len(ideas):] @ matrix[:len(ideas)].T).toarray()
    links, best = set(), {}
    for (post, _), row in zip(posts, sims, strict=True):
        order = np.argsort(-row, kind="stable")
        best[post] = ideas[order[0]][0]
        links |= {(post, ideas[j][0]) for j in order[:3] if row[j] >= BASELINE_THRESHOLD}
    return links, best


def offline(matcher, posts: Sequence[tuple[str, str]]) -> tuple[set[tuple[str, str]], dict[str, str], np.ndarray]:
    """The matcher's links and best idea per post (as `ideaboard link` prints them), and its score matrix."""
    texts = [t for _, t in posts]
    matches = matcher.match(texts)
    links = {(post, m.idea) for (post, _), found in zip(posts, matches, strict=True) for m in found if m.linked}
    best = {post: found[0].idea for (post, _), found in zip(posts, matches, strict=True) if found}
    return links, best, matcher.scores(texts)


async def run_board(data: LinkSet, sweep: bool) -> bool:
    """Ingest through the fake X server and the worker, link, score; True when the dataset passes."""
    from fake_x_api import FakeXServer, LoopbackServer

    from ideaboard.accounts import create_user
    from ideaboard.db import connect, migrate_database
    from ideaboard.models import Idea, IdeaTweet, Role, Tweet
    from ideaboard.settings import Settings
    from workers import linking
    from workers.listen import poll_x

    handles = tuple(sorted({h for _, h, _ in data.posts}))
    with tempfile.TemporaryDirectory(prefix="ideaboard-link-") as folder, LoopbackServer(FakeXServer().app) as http:
        fake = FakeXServer(base_url=http.base_url)
        http.app = fake.app
        url = f"sqlite://{folder}/link.sqlite3"
        await migrate_database(url)
        settings = Settings(database_url=url, x_api_base_url=fake.base_url, x_bearer_token=fake.bearer_token,
                            x_brand_handles=handles, x_brand_keywords=(), x_brand_user_id="",
                            x_monthly_read_budget=1_000_000, x_deadline_seconds=120)
        tweet_post: dict[str, str] = {}
        async with connect(url):
            author = await create_user("pm@example.com", "Priya", "correct horse battery", Role.ADMIN)
            idea_key = {(await Idea.create(title=title, author=author)).id: key for key, title in data.ideas}
            started = time.perf_counter()
            polls = reads = 0
            with ThreadPoolExecutor(2) as pool:
                ctx = {"settings": settings, "pool": pool}
                for start in range(0, len(data.posts), ARRIVALS):  # posts arrive between the worker's minutes
                    for n, (key, handle, text) in enumerate(data.posts[start:start + ARRIVALS], start=start):
                        tweet_post[fake.add_tweet(f"{handle} {text}", author_username=f"user{n}")] = key
                    polls, reads = polls + 1, reads + await poll_x(ctx)
            elapsed = time.perf_counter() - started
            stored = await Tweet.all().values_list("id", "text")
            linked = {(tweet_post[t], idea_key[i]) for i, t in await IdeaTweet.all().values_list("idea_id", "tweet_id")}
            ideas_db = [(i, t, "") for i, t in await Idea.all().order_by("id").values_list("id", "title")]
        posts = [(tweet_post[tid], text) for tid, text in stored]
        matcher = linking.IdeaMatcher([(idea_key[i], t, b) for i, t, b in ideas_db], handles)
        light = linking.IdeaMatcher([(idea_key[i], t, b) for i, t, b in ideas_db], handles, semantic=False)
    ours_links, ours_best, ours_scores = offline(matcher, posts)
    light_links, light_best, _ = offline(light, posts)
    base_links, base_best = baseline(data.ideas, posts)
    ours = score(linked, ours_best, data.relevant)
    print(f"{data.name}: {len(data.ideas)} ideas, {len(data.posts)} posts put on X, {len(stored)} stored by "
          f"{polls} polls ({reads} reads, {elapsed:.1f} s), {len(data.relevant)} relevant pairs")
    print(ours.line(f"ideaboard ({'semantic' if matcher.semantic else 'light'})"))
    print(score(light_links, light_best, data.relevant).line("ideaboard light"))
    print(score(base_links, base_best, data.relevant).line("plain TF-IDF baseline"))
    if ours_links != linked:
        print(f"  MISMATCH: the worker linked {len(linked)} pairs, the same matcher offline {len(ours_links)}")
    if sweep:
        print_sweep(posts, matcher.ids, ours_scores, data.relevant)
    verdict = ours.passed() and ours_links == linked
    print(f"  {'PASS' if verdict else 'FAIL'}: recall >= {RECALL_TARGET} at precision >= {PRECISION_TARGET}, "
          f"P@1 >= {P1_TARGET}")
    return verdict


def print_sweep(posts: Sequence[tuple[str, str]], ids: Sequence[str], scores: np.ndarray,
                relevant: set[tuple[str, str]]) -> None:
    """Recall / precision of ours at other thresholds (what LINK_THRESHOLD was chosen from)."""
    from workers.linking import MAX_LINKS

    cells = []
    for cut in np.arange(0.36, 0.62, 0.02):
        links = {(post, ids[j]) for (post, _), row in zip(posts, scores, strict=True)
                 for j in np.argsort(-row, kind="stable")[:MAX_LINKS] if row[j] >= cut}
        hits = len(links & relevant)
        cells.append(f"{cut:.2f}: {hits / len(relevant):.2f}/{hits / len(links) if links else 0:.2f}")
    print("  sweep (threshold: recall/precision) " + "  ".join(cells))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=default_datasets())
    parser.add_argument("--sweep", action="store_true", help="also print recall/precision at other thresholds")
    args = parser.parse_args(argv)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = [asyncio.run(run_board(loader(args.datasets), args.sweep))
               for loader in (load_app_reviews, load_feedback)]
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
