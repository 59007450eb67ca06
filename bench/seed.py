"""Seed a PostgreSQL database with community-scale data, fast (asyncpg COPY), for the benchmarks.

    python bench/seed.py [--database-url postgres://postgres@127.0.0.1:5432/ideaboard_bench] [--scale 1] [--reset]

Scale 1 is 1,000 users, 10,000 ideas, 100,000 votes and 20,000 comments; --scale N multiplies all four. Every
user's password is PASSWORD (hashed once with argon2 and reused), so the load generator can log in as anyone.
Counters on ideas (upvotes, downvotes, score, hot, comment_count) are computed from the generated rows, so they
match what the app would have stored. So that an idea page does a running board's work, it also seeds what the
worker and the team would have left: one finished cluster run (~40% of the clustered ideas in groups of 2-8, shown
as related ideas), each moved idea's timeline along a legal route from new (an official response on about half,
duplicates merged into an open idea), and tweets linked to ~10% of the public ideas with their tweet searches.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ideaboard.accounts import hash_password
from ideaboard.db import migrate_database
from ideaboard.ideas import HOT_EPOCH, HOT_SECONDS_PER_DECADE
from ideaboard.markdown import render_markdown
from ideaboard.merge import _md_text
from ideaboard.statuses import DEFAULT as WORKFLOW

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ideaboard_bench"
PASSWORD = "bench-password-1"
BASE = {"users": 1_000, "ideas": 10_000, "votes": 100_000, "comments": 20_000}
CHUNK = 20_000

CATEGORIES = ["Mobile app", "In the store", "Drinks & food", "Rewards", "Sustainability", "Payments", "Delivery",
              "Accessibility"]
TAGS = ["ui", "mobile", "ordering", "cups", "queue", "milk", "vegan", "birthday", "packaging", "payments", "seating",
        "menu", "allergens", "wearables", "grounds", "syrups", "pickup", "ambience", "family", "wifi", "music",
        "delivery", "gift-cards", "loyalty", "recycling", "breakfast", "tea", "decaf", "kids", "pets", "parking",
        "drive-thru", "notifications", "privacy", "language", "dark-mode", "receipts", "refunds", "staff", "events"]
FEATURES = ["dark mode", "a saved usual order", "oat milk at no extra charge", "a reusable cup discount",
            "a live queue indicator", "split payments", "an allergen filter", "watch ordering", "free refills",
            "a pickup shelf with names", "sugar-free syrups", "a family rewards account", "compostable lids",
            "quieter mornings", "more power outlets", "a seasonal menu preview", "tipping in the app",
            "digital receipts", "a kids' menu", "pet-friendly patios", "faster wifi", "larger fonts",
            "a decaf of the day", "order tracking", "group orders"]
PLACES = ["the mobile app", "every store", "the drive-thru", "the rewards program", "the website", "airport stores",
          "the delivery service", "weekend mornings", "the loyalty card", "campus stores"]
TITLES = ["Add {f} to {p}", "Please bring {f} to {p}", "{F} in {p}", "Why not {f} for {p}?", "Make {f} standard in {p}",
          "Bring back {f} in {p}", "Test {f} in {p} first"]
BODIES = [
    "I use {p} almost every day and **{f}** is the one thing I miss. Other chains already have it.",
    "Small change, big win: {f} in {p} would save me time every morning.\n\n- faster\n- friendlier\n- cheaper to run",
    "Our team orders through {p} daily. With *{f}* we would order more often, and the baristas would thank you.",
    "Please consider {f}. In {p} this comes up again and again; see the comments below.",
]
COMMENTS = ["+1, this would make my mornings.", "Yes please! I'd use this **every day**.",
            "Would love this, but keep the old way as an option too.",
            "This is the one feature I miss from other apps.",
            "Agree. In my local store this is a real problem.", "Good idea, and it would help the staff too.",
            "We are looking into this with the store team. Thanks for the detail!", "Not sure about this one; "
            "what happens at rush hour?"]
STATUSES = ["new", "under_review", "planned", "in_progress", "launched", "declined", "duplicate", "archived"]
STATUS_WEIGHTS = [0.78, 0.07, 0.04, 0.03, 0.03, 0.03, 0.01, 0.01]
ROLES = ["customer", "employee", "staff", "admin"]
ROLE_WEIGHTS = [0.9, 0.08, 0.015, 0.005]
# Legal routes from new to each status (checked against the default workflow table below); the last step to
# duplicate is a merge, as only merge.py gets there.
PATHS = {
    "under_review": [["under_review"]],
    "planned": [["under_review", "planned"]],
    "in_progress": [["under_review", "planned", "in_progress"], ["under_review", "planned", "in_progress", "planned",
                                                                 "in_progress"]],
    "launched": [["under_review", "planned", "in_progress", "launched"]],
    "declined": [["declined"], ["under_review", "declined"], ["under_review", "planned", "declined"]],
    "archived": [["archived"], ["under_review", "archived"], ["under_review", "planned", "in_progress", "launched",
                                                               "archived"]],
    "duplicate": [["duplicate"], ["under_review", "duplicate"]],
}
RESPONSES = {
    "under_review": "Thanks for raising this! We are reviewing **{f}** for {p} with the product team and will post "
                    "an update here.",
    "planned": "Good news: **{f}** is on the roadmap for {p}.\n\n- design: done\n- next: a pilot in a few stores",
    "in_progress": "We are building **{f}** for {p} right now. Early testers will see it first.",
    "launched": "**{F}** is live in {p}! Thank you to everyone who voted and commented.",
    "declined": "We looked hard at **{f}** for {p}, but it does not fit our plans this year. Thank you for the idea.",
    "archived": "Archiving this one: {f} for {p} has been quiet for a long time. Comment if it still matters to you.",
}
CLUSTER_METHOD = "seed"
GROUPED_SHARE = 0.4  # share of clustered ideas in a group of 2-8; the rest are alone, as in the worker's output
RECENT_VOTES = 7 * 86400  # a cluster's growth counts up-votes of the last 7 days (workers/cluster_jobs.py)
TWEETED_SHARE = 0.1
TWITTER_EPOCH_MS = 1288834974657  # X's snowflake epoch (ideaboard.social has it too, but is slow to import)
TWEETS = ["@brewline please give us {f} in {p}. It's {year} and I'm still waiting",
          "Would use {p} every single day if it had {f}",
          "Is it just me or does {p} really need {f}? #coffee",
          "Ordering through {p} again this morning and still waiting for {f}. Come on @brewline",
          "Heard @brewline might be testing {f} in {p}. About time!",
          "{F} in {p} would honestly make my mornings. Who's with me?",
          "Tried {f} at another chain today. @brewline, your move for {p}",
          "The one thing {p} is missing: {f}. Voted for it on the ideas board",
          "Day 3 of asking @brewline for {f} in {p}. Still waiting"]
FIRST_NAMES = ["Ana", "Ben", "Chloe", "Dev", "Elif", "Femi", "Grace", "Hiro", "Ines", "Jonas", "Kofi", "Lena", "Mateo",
               "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Viktor", "Wen", "Yara", "Zoe"]
LAST_NAMES = ["Kim", "Laurent", "Okafor", "Silva", "Novak", "Haddad", "Berg", "Tanaka", "Costa", "Reyes", "Walsh",
              "Iyer", "Moreau", "Fischer", "Adeyemi", "Larsen", "Russo", "Nakamura", "Duarte", "Quinn"]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies 10k ideas / 100k votes (max 100)")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database first")
    parser.add_argument("--seed", type=int, default=5, help="random seed, so runs are repeatable")
    parser.add_argument("--no-search-index", action="store_true",
                        help="leave the ideas out of the search index, for page benchmarks only (no page but search "
                             "reads it; at 1M ideas indexing takes half an hour)")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 100:
        parser.error("--scale must be in (0, 100]")
    return args


def check_paths() -> None:
    """Every seeded route is one the workflow allows, so the timelines are ones the app could have written."""
    for status, routes in PATHS.items():
        for route in routes:
            assert route[-1] == status, route
            for a, b in itertools.pairwise(["new", *route]):
                assert b in WORKFLOW.next_of(a), f"{a} -> {b}"


def counts_for(scale: float) -> dict[str, int]:
    return {name: max(10, int(n * scale)) for name, n in BASE.items()}


async def ensure_database(url: str, reset: bool) -> None:
    """Create the database (dropping it first with --reset) through the server's maintenance database."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        if reset:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def skewed_counts(rng: np.random.Generator, n: int, total: int, cap: int) -> np.ndarray:
    """Split `total` over n items with a long tail (a few ideas get most votes), each at most `cap`."""
    weights = rng.pareto(1.3, n) + 0.05
    counts = np.minimum(np.floor(weights / weights.sum() * total).astype(np.int64), cap)
    while (missing := total - int(counts.sum())) > 0:
        room = np.flatnonzero(counts < cap)
        pick = rng.choice(room, size=min(missing, len(room)), replace=False)
        counts[pick] += 1
    return counts


def timestamps(seconds: np.ndarray) -> list[datetime]:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return [epoch + timedelta(seconds=float(s)) for s in seconds]


class Data:
    """All generated rows, as column arrays; counters derive from the votes and comments."""

    def __init__(self, counts: dict[str, int], seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.n = counts
        now = time.time()
        self.now = now
        self.user_created = rng.uniform(now - 400 * 86400, now - 370 * 86400, counts["users"])
        self.roles = rng.choice(len(ROLES), counts["users"], p=ROLE_WEIGHTS)
        self.roles[0] = 0  # user 1 is always a customer
        n = counts["ideas"]
        self.idea_created = np.sort(rng.uniform(now - 365 * 86400, now - 60, n))
        self.idea_author = rng.integers(1, counts["users"] + 1, n)
        self.idea_feature = rng.integers(0, len(FEATURES), n)
        self.idea_place = rng.integers(0, len(PLACES), n)
        self.idea_title = rng.integers(0, len(TITLES), n)
        self.idea_body = rng.integers(0, len(BODIES), n)
        self.idea_category = rng.integers(0, len(CATEGORIES) + 1, n)  # 0 = no category
        self.idea_status = rng.choice(len(STATUSES), n, p=STATUS_WEIGHTS)
        self.idea_internal = rng.random(n) < 0.05
        self.idea_hidden = rng.random(n) < 0.005
        self._votes(rng, counts)
        self._comments(rng, counts)
        self.tag_count = rng.choice(4, n, p=[0.3, 0.35, 0.25, 0.1])
        # Later additions draw from their own streams, so the rows above stay what they were for a given --seed.
        self._staff()
        self._clusters(np.random.default_rng([seed, 2]))
        self._events(np.random.default_rng([seed, 3]))
        self._tweets(np.random.default_rng([seed, 4]))

    def _votes(self, rng: np.random.Generator, counts: dict[str, int]) -> None:
        """Distinct voters per idea: user = (start + k*stride) mod users, with stride coprime to the user count."""
        users, n = counts["users"], counts["ideas"]
        per_idea = skewed_counts(rng, n, counts["votes"], users)
        strides = np.array([p for p in (7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47) if users % p], np.int64)
        idea_idx = np.repeat(np.arange(n), per_idea)
        first = np.cumsum(per_idea) - per_idea
        pos = np.arange(len(idea_idx)) - np.repeat(first, per_idea)
        start = rng.integers(0, users, n)
        stride = rng.choice(strides, n)
        self.vote_idea = idea_idx + 1
        self.vote_user = (start[idea_idx] + pos * stride[idea_idx]) % users + 1
        self.vote_value = np.where(rng.random(len(idea_idx)) < 0.85, 1, -1)
        age = self.now - self.idea_created[idea_idx]
        self.vote_created = self.idea_created[idea_idx] + rng.random(len(idea_idx)) * age
        ups = np.bincount(idea_idx, weights=self.vote_value == 1, minlength=n).astype(np.int64)
        downs = np.bincount(idea_idx, weights=self.vote_value == -1, minlength=n).astype(np.int64)
        self.upvotes, self.downvotes, self.score = ups, downs, ups - downs
        order = np.log10(np.maximum(np.abs(self.score), 1))
        hot = np.sign(self.score) * order + (self.idea_created - HOT_EPOCH) / HOT_SECONDS_PER_DECADE
        self.hot = np.round(hot, 7)

    def _comments(self, rng: np.random.Generator, counts: dict[str, int]) -> None:
        n = counts["ideas"]
        per_idea = skewed_counts(rng, n, counts["comments"], 10**9)
        idea_idx = np.repeat(np.arange(n), per_idea)
        self.comment_idea = idea_idx + 1
        self.comment_author = rng.integers(1, counts["users"] + 1, len(idea_idx))
        self.comment_text = rng.integers(0, len(COMMENTS), len(idea_idx))
        age = self.now - self.idea_created[idea_idx]
        self.comment_created = self.idea_created[idea_idx] + rng.random(len(idea_idx)) * age
        self.comment_count = per_idea

    def _staff(self) -> None:
        """Timelines need team members to act; a tiny --scale may have drawn none, so promote one."""
        if not (self.roles >= 2).any():
            self.roles[-1] = ROLES.index("admin")
        self.staff_ids = np.flatnonzero(self.roles >= 2) + 1

    def _clusters(self, rng: np.random.Generator) -> None:
        """One finished run over what the worker clusters: most ideas alone, ~40% in groups of 2-8 on one feature."""
        closed = [STATUSES.index("duplicate"), STATUSES.index("archived")]
        ids = np.flatnonzero(~self.idea_hidden & ~np.isin(self.idea_status, closed))
        order = ids[np.lexsort((rng.random(len(ids)), self.idea_feature[ids]))]
        sizes = rng.choice(np.arange(1, 9), len(ids), p=cluster_size_p())
        chunk = np.repeat(np.arange(len(ids)), sizes)[:len(ids)]
        feature = self.idea_feature[order]
        starts = np.r_[True, (chunk[1:] != chunk[:-1]) | (feature[1:] != feature[:-1])]  # a group keeps to a feature
        label = np.empty(len(self.idea_status), np.int64)
        label[order] = np.cumsum(starts) - 1
        # Numbered by first appearance in id order, as workers.clustering._renumber numbers the worker's clusters.
        _, first, inverse = np.unique(label[ids], return_index=True, return_inverse=True)
        number = np.argsort(np.argsort(first))[inverse]
        self.clustered, self.cluster_number = ids, number
        self.cluster_first = ids[np.sort(first)]  # each cluster's first idea, by number
        self.cluster_size = np.bincount(number)
        self.cluster_votes = np.bincount(number, weights=self.score[ids]).astype(np.int64)
        recent = (self.vote_created >= self.now - RECENT_VOTES) & (self.vote_value == 1)
        ups = np.bincount(self.vote_idea[recent] - 1, minlength=len(self.idea_status))
        self.cluster_growth = np.bincount(number, weights=ups[ids]).astype(np.int64)

    def _events(self, rng: np.random.Generator) -> None:
        """Each moved idea's route from new as timeline events in time order, a team response on about half."""
        n = len(self.idea_status)
        moved = np.flatnonzero(self.idea_status != 0)
        pick = rng.integers(0, 1 << 30, len(moved))
        routes = [PATHS[STATUSES[s]][k % len(PATHS[STATUSES[s]])]
                  for s, k in zip(self.idea_status[moved], pick, strict=True)]
        actors = rng.choice(self.staff_ids, len(moved)).tolist()  # one team member moves each idea along
        self.idea_version = np.zeros(n, np.int64)
        self.idea_version[moved] = [len(r) for r in routes]
        self.merged_into = self._merge_targets(rng, moved)
        duplicate = self.idea_status[moved] == STATUSES.index("duplicate")
        responds = (rng.random(len(moved)) < 0.5) & ~duplicate
        per_idea = self.idea_version[moved] + responds
        idea_idx = np.repeat(moved, per_idea)
        target = self.merged_into[idea_idx] - 1
        since = np.where(target >= 0, np.maximum(self.idea_created[idea_idx], self.idea_created[target]),
                         self.idea_created[idea_idx])
        when = since + rng.random(len(idea_idx)) * (self.now - 60 - since)
        when = when[np.lexsort((when, idea_idx))]  # each idea's events in time order
        slot = np.where(responds, rng.integers(1, self.idea_version[moved] + 1), 0).tolist()
        events = [e for k, i in enumerate(moved.tolist()) for e in route_events(i, actors[k], routes[k], slot[k])]
        times = when.tolist()
        rows = [(*e, times[j], None) for j, e in enumerate(events)]
        # merge_ideas also notes the merge on the idea merged into (always still new here): (…, source idea)
        rows += [(int(self.merged_into[i]) - 1, actor, kind, "new", "new", at, i)
                 for i, actor, kind, _, _, at, _ in rows if kind == "merged" and self.merged_into[i]]
        rows.sort(key=lambda r: r[5])  # ids grow with time, as the app hands them out
        self.events = rows

    def _merge_targets(self, rng: np.random.Generator, moved: np.ndarray) -> np.ndarray:
        """For each duplicate, an open idea (same space, same feature where possible) it was merged into; 0 = none."""
        merged_into = np.zeros(len(self.idea_status), np.int64)
        open_new = np.flatnonzero((self.idea_status == 0) & ~self.idea_hidden)
        space, feature = self.idea_internal[open_new], self.idea_feature[open_new]
        spaces = {s: open_new[space == s] for s in (False, True)}
        alike = {(s, f): open_new[(space == s) & (feature == f)] for s in (False, True) for f in range(len(FEATURES))}
        for i in moved[self.idea_status[moved] == STATUSES.index("duplicate")].tolist():
            key = (bool(self.idea_internal[i]), int(self.idea_feature[i]))
            pool = next((p for p in (alike[key], spaces[key[0]], open_new) if len(p)), None)
            if pool is not None:
                merged_into[i] = int(pool[rng.integers(len(pool))]) + 1
        return merged_into

    def _tweets(self, rng: np.random.Generator) -> None:
        """Tweets on ~10% of the public ideas (1-10 each, a few also linked to a second idea), and their searches."""
        public = np.flatnonzero(~self.idea_hidden & ~self.idea_internal)
        chosen = np.sort(rng.choice(public, min(len(public), round(TWEETED_SHARE * len(self.idea_status))),
                                    replace=False))
        per_idea = np.minimum(rng.geometric(0.3, len(chosen)), 10)
        idea_idx = np.repeat(chosen, per_idea)
        total = len(idea_idx)
        assert total < 1 << 22, "tweet ids use the row number as the snowflake's low 22 bits"
        newest = self.now - 1200  # before the searches' last run, so since_id covers every stored tweet
        since = np.minimum(self.idea_created[idea_idx] - 3 * 86400 * rng.random(total), newest - 60)
        self.tweet_created = since + rng.random(total) * (newest - since)
        ms = (self.tweet_created * 1000).astype(np.int64)
        self.tweet_id = ((ms - TWITTER_EPOCH_MS) << 22) | np.arange(total)
        self.tweet_idea, self.tweet_text = idea_idx, rng.integers(0, len(TWEETS), total)
        self.tweet_author = rng.integers(0, max(20, total // 3), total)  # about three tweets per author
        self.tweet_likes = np.minimum(rng.pareto(1.2, total) * 8, 50_000).astype(np.int64)
        self.tweet_retweets = (self.tweet_likes * rng.random(total) * 0.3).astype(np.int64)
        self.tweet_replies = (self.tweet_likes * rng.random(total) * 0.15).astype(np.int64)
        self.tweet_quotes = (self.tweet_retweets * rng.random(total) * 0.3).astype(np.int64)
        self.tweet_links = self._tweet_links(rng, chosen)

    def _tweet_links(self, rng: np.random.Generator, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(tweet row, idea index, score): every tweet's own idea, plus ~5% also linked to a tweeted look-alike."""
        total = len(self.tweet_idea)
        also = np.flatnonzero(rng.random(total) < 0.05)
        by_feature = {f: chosen[self.idea_feature[chosen] == f] for f in np.unique(self.idea_feature[chosen])}
        pools = [by_feature[self.idea_feature[self.tweet_idea[t]]] for t in also.tolist()]
        picks = rng.integers(0, 1 << 30, len(also))
        second = np.array([p[k % len(p)] for p, k in zip(pools, picks, strict=True)], np.int64)
        keep = second != self.tweet_idea[also]
        rows = np.r_[np.arange(total), also[keep]]
        ideas = np.r_[self.tweet_idea, second[keep]]
        scores = np.round(0.08 + 0.8 * rng.beta(2, 4, len(rows)), 4)  # all above the worker's relevance threshold
        return rows, ideas, scores


def route_events(i: int, actor: int, route: list[str], slot: int) -> list[tuple]:
    """One idea's (idea, actor, kind, from, to) events along its route, the team's response after step `slot` (0 =
    none); the last step to duplicate is a merge, as merge_ideas records it."""
    events, current = [], "new"
    for n, step in enumerate(route, 1):
        events.append((i, actor, "merged" if step == "duplicate" else "status", current, step))
        current = step
        if n == slot:
            events.append((i, actor, "response", current, current))
    return events


def cluster_size_p(grouped: float = GROUPED_SHARE) -> np.ndarray:
    """Chances of sizes 1..8 (groups skew small) such that `grouped` of the ideas end up in a group of 2 or more."""
    sizes = np.arange(2, 9)
    weights = 1.0 / sizes ** 1.5
    weights /= weights.sum()
    mean = float((sizes * weights).sum())
    in_group = grouped / (mean - grouped * mean + grouped)  # solves g*mean / (1 - g + g*mean) = grouped
    return np.r_[1 - in_group, in_group * weights]


def chunks(rows: Iterable[tuple], size: int = CHUNK) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def user_rows(d: Data, password_hash: str) -> Iterator[tuple]:
    created = timestamps(d.user_created)
    for i in range(d.n["users"]):
        yield (i + 1, f"user{i + 1}@bench.example", f"Bench User {i + 1}", password_hash, ROLES[d.roles[i]], True,
               created[i], created[i], False, "", "system")  # verified at sign-up: bench users vote


def capital(text: str) -> str:
    return text[0].upper() + text[1:]


def compose_title(title: int, feature: int, place: int) -> str:
    f = FEATURES[feature]
    return TITLES[title].format(f=f, F=capital(f), p=PLACES[place])[:120]


def compose_body(body: int, feature: int, place: int) -> str:
    return BODIES[body].format(f=FEATURES[feature], p=PLACES[place])


def title_of(d: Data, i: int) -> str:
    return compose_title(d.idea_title[i], d.idea_feature[i], d.idea_place[i])


def body_of(d: Data, i: int) -> str:
    return compose_body(d.idea_body[i], d.idea_feature[i], d.idea_place[i])


def idea_rows(d: Data) -> Iterator[tuple]:
    bodies = {}
    created = timestamps(d.idea_created)
    for i in range(d.n["ideas"]):
        key = (d.idea_body[i], d.idea_feature[i], d.idea_place[i])
        if key not in bodies:
            body = body_of(d, i)
            bodies[key] = (body, render_markdown(body))
        body, html = bodies[key]
        cat = int(d.idea_category[i]) or None
        yield (i + 1, title_of(d, i), body, html, STATUSES[d.idea_status[i]],
               "internal" if d.idea_internal[i] else "public", int(d.upvotes[i]), int(d.downvotes[i]), int(d.score[i]),
               float(d.hot[i]), int(d.comment_count[i]), bool(d.idea_hidden[i]), int(d.idea_version[i]), created[i],
               created[i], int(d.idea_author[i]), cat, int(d.merged_into[i]) or None)


IDEA_COLUMNS = ["id", "title", "body", "body_html", "status", "space", "upvotes", "downvotes", "score", "hot",
                "comment_count", "hidden", "version", "created_at", "updated_at", "author_id", "category_id",
                "merged_into_id"]


def idea_tag_rows(d: Data) -> Iterator[tuple]:
    rng = np.random.default_rng(11)
    row_id = 0
    for i in range(d.n["ideas"]):
        for tag in rng.choice(len(TAGS), int(d.tag_count[i]), replace=False):
            row_id += 1
            yield (row_id, i + 1, int(tag) + 1)


def vote_rows(d: Data) -> Iterator[tuple]:
    idea, user, value = d.vote_idea.tolist(), d.vote_user.tolist(), d.vote_value.tolist()
    for start in range(0, len(idea), CHUNK):
        created = timestamps(d.vote_created[start:start + CHUNK])
        for k, j in enumerate(range(start, min(start + CHUNK, len(idea)))):
            yield (j + 1, value[j], created[k], idea[j], user[j])


def comment_rows(d: Data) -> Iterator[tuple]:
    html = [render_markdown(text) for text in COMMENTS]
    idea, author, text = d.comment_idea.tolist(), d.comment_author.tolist(), d.comment_text.tolist()
    created = timestamps(d.comment_created)
    for j in range(len(idea)):
        staff = d.roles[author[j] - 1] >= 2
        yield (j + 1, COMMENTS[text[j]], html[text[j]], bool(staff), False, created[j], author[j], idea[j])


def cluster_run_rows(d: Data) -> list[tuple]:
    """The run the worker would have left ten minutes ago (ideas posted since were placed into it one by one)."""
    started = datetime.fromtimestamp(d.now - 600, UTC)
    return [(1, CLUSTER_METHOD, True, len(d.clustered), len(d.cluster_size), started, started + timedelta(seconds=30))]


def cluster_label(d: Data, i: int) -> str:
    """Like the worker's top-terms labels: the feature and the place, without articles."""
    words = [w for w in f"{FEATURES[d.idea_feature[i]]} {PLACES[d.idea_place[i]]}".split() if w not in ("a", "an")]
    return " · ".join([" ".join(words[:2]), " ".join(w for w in words[2:] if w != "the")]).strip(" ·")


def cluster_rows(d: Data) -> Iterator[tuple]:
    stats = zip(d.cluster_first.tolist(), d.cluster_size.tolist(), d.cluster_votes.tolist(), d.cluster_growth.tolist(),
                strict=True)
    for number, (first, size, votes, growth) in enumerate(stats):
        yield (number + 1, 1, number, cluster_label(d, first)[:200], size, votes, growth, 0)  # theme 0: no themes run


def idea_cluster_rows(d: Data) -> Iterator[tuple]:
    order = np.argsort(d.cluster_number, kind="stable")  # written cluster by cluster, as _write_clusters does
    for k, (i, number) in enumerate(zip(d.clustered[order].tolist(), d.cluster_number[order].tolist(), strict=True)):
        yield (k + 1, 1, number + 1, i + 1)


def event_message(d: Data, cache: dict, i: int, kind: str, status: str, source: int | None) -> tuple[str, str]:
    """The text and HTML workflow.respond and merge.merge_ideas would have stored (status moves carry none)."""
    if kind == "status":
        return "", ""
    if kind == "response":
        key = (status, d.idea_feature[i], d.idea_place[i])
        if key not in cache:
            f = FEATURES[key[1]]
            text = RESPONSES[status].format(f=f, F=capital(f), p=PLACES[key[2]])
            cache[key] = (text, render_markdown(text))
        return cache[key]
    if source is not None:
        title = title_of(d, source)
        return (f"“{title}” was merged into this idea",
                render_markdown(f"[{_md_text(title)}](/ideas/{source + 1}) was merged into this idea"))
    target = int(d.merged_into[i])
    if not target:
        return "Merged into another idea", render_markdown("Merged into another idea")
    title = title_of(d, target - 1)
    return f"Merged into “{title}”", render_markdown(f"Merged into [{_md_text(title)}](/ideas/{target})")


def event_rows(d: Data) -> Iterator[tuple]:
    cache: dict = {}
    created = timestamps(np.array([e[5] for e in d.events]))
    for j, (i, actor, kind, before, after, _, source) in enumerate(d.events):
        message, html = event_message(d, cache, i, kind, after, source)
        yield (j + 1, i + 1, actor, kind, before, after, message, html, created[j])


EVENT_COLUMNS = ["id", "idea_id", "actor_id", "kind", "from_status", "to_status", "message", "message_html",
                 "created_at"]


def tweet_link_times(d: Data) -> tuple[np.ndarray, np.ndarray]:
    """When each link was made (the idea's next search after both exist) and when each tweet was first fetched."""
    rows, ideas, _ = d.tweet_links
    found = d.tweet_created[rows] + 60 + (d.tweet_id[rows] % 840)  # the cron searches every idea each 15 minutes
    linked = np.minimum(np.maximum(found, d.idea_created[ideas] + 60), d.now - 60)
    fetched = linked[:len(d.tweet_idea)]  # the first links are each tweet's own idea, in tweet order
    return linked, fetched


def tweet_author(j: int) -> tuple[str, str, str]:
    """(author_id, username, name) of the j-th X account."""
    first, last = FIRST_NAMES[j % len(FIRST_NAMES)], LAST_NAMES[j // len(FIRST_NAMES) % len(LAST_NAMES)]
    rounds = j // (len(FIRST_NAMES) * len(LAST_NAMES))
    return str(1_400_000_000_000_000_000 + j), f"{first}_{last}{rounds or ''}".lower(), f"{first} {last}"


def tweet_rows(d: Data) -> Iterator[tuple]:
    created, fetched = timestamps(d.tweet_created), timestamps(tweet_link_times(d)[1])
    columns = (d.tweet_id, d.tweet_idea, d.tweet_text, d.tweet_author, d.tweet_likes, d.tweet_retweets,
               d.tweet_replies, d.tweet_quotes)
    rows = zip(*(c.tolist() for c in columns), strict=True)
    for k, (tid, i, text, author, likes, rts, replies, quotes) in enumerate(rows):
        f, p = FEATURES[d.idea_feature[i]], PLACES[d.idea_place[i]]
        author_id, username, name = tweet_author(author)
        yield (str(tid), TWEETS[text].format(f=f, F=capital(f), p=p, year=created[k].year), author_id, username,
               name, created[k], "en", likes, rts, replies, quotes, f"https://x.com/{username}/status/{tid}",
               fetched[k])


TWEET_COLUMNS = ["id", "text", "author_id", "author_username", "author_name", "created_at", "lang", "like_count",
                 "retweet_count", "reply_count", "quote_count", "url", "fetched_at"]


def idea_tweet_rows(d: Data) -> Iterator[tuple]:
    rows, ideas, scores = d.tweet_links
    linked = timestamps(tweet_link_times(d)[0])
    for k, (row, i, score) in enumerate(zip(rows.tolist(), ideas.tolist(), scores.tolist(), strict=True)):
        yield (k + 1, i + 1, str(int(d.tweet_id[row])), score, linked[k])


async def copy(conn: asyncpg.Connection, table: str, columns: list[str], rows: Iterable[tuple], bar: tqdm) -> None:
    for batch in chunks(rows):
        await conn.copy_records_to_table(table, records=batch, columns=columns)
        bar.update(len(batch))


async def load(url: str, d: Data) -> None:
    """COPY every table in dependency order inside one transaction, then fix sequences, vacuum and analyze."""
    conn = await asyncpg.connect(url)
    total = (d.n["users"] + d.n["ideas"] + len(d.vote_idea) + len(d.comment_idea) + int(d.tag_count.sum()) + 51
             + len(d.cluster_size) + len(d.clustered) + len(d.events) + len(d.tweet_idea) + len(d.tweet_links[0]))
    password_hash = hash_password(PASSWORD)
    try:
        with tqdm(total=total, unit="rows", unit_scale=True, desc="seeding") as bar:
            async with conn.transaction():
                # Foreign-key triggers fire per row and dominate a COPY; the generated rows are consistent by
                # construction, so skip them for this transaction (needs a superuser, as on a dev/bench server).
                await conn.execute("SET LOCAL session_replication_role = replica")
                indexes = await drop_plain_indexes(conn)
                await copy(conn, "categories", ["id", "name", "slug", "position"],
                           [(i + 1, c, slug(c), i) for i, c in enumerate(CATEGORIES)], bar)
                await copy(conn, "tags", ["id", "name"], [(i + 1, t) for i, t in enumerate(TAGS)], bar)
                await copy(conn, "users", ["id", "email", "name", "password_hash", "role", "is_active", "created_at",
                                           "email_verified_at", "banned", "deactivation_reason", "theme"],
                           user_rows(d, password_hash), bar)
                await copy(conn, "ideas", IDEA_COLUMNS, idea_rows(d), bar)
                await copy(conn, "idea_tags", ["id", "idea_id", "tag_id"], idea_tag_rows(d), bar)
                await copy(conn, "votes", ["id", "value", "created_at", "idea_id", "user_id"], vote_rows(d), bar)
                await copy(conn, "comments", ["id", "body", "body_html", "is_official", "hidden", "created_at",
                                              "author_id", "idea_id"], comment_rows(d), bar)
                await copy(conn, "cluster_runs", ["id", "method", "finished", "idea_count", "cluster_count",
                                                  "created_at", "finished_at"], cluster_run_rows(d), bar)
                await copy(conn, "clusters", ["id", "run_id", "number", "label", "size", "total_votes", "growth",
                                              "theme"], cluster_rows(d), bar)
                await copy(conn, "idea_clusters", ["id", "run_id", "cluster_id", "idea_id"], idea_cluster_rows(d), bar)
                await copy(conn, "idea_events", EVENT_COLUMNS, event_rows(d), bar)
                await copy(conn, "tweets", TWEET_COLUMNS, tweet_rows(d), bar)
                await copy(conn, "idea_tweets", ["id", "idea_id", "tweet_id", "score", "created_at"],
                           idea_tweet_rows(d), bar)
                bar.set_description("indexing")
                for definition in indexes:
                    await conn.execute(definition)
                for table in SERIAL_TABLES:
                    await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"(SELECT coalesce(max(id), 1) FROM {table}))")
        # VACUUM as autovacuum would in steady state: sets the visibility map, so index-only scans skip the heap.
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


SERIAL_TABLES = ("categories", "tags", "users", "ideas", "idea_tags", "votes", "comments", "cluster_runs", "clusters",
                 "idea_clusters", "idea_events", "idea_tweets")


async def drop_plain_indexes(conn: asyncpg.Connection) -> list[str]:
    """Drop the secondary indexes (not those behind keys) of the big tables; building them once after is faster."""
    rows = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
        "AND i.tablename IN ('ideas', 'votes', 'comments', 'idea_tags', 'idea_events', 'idea_clusters') "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)")
    for row in rows:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
    return [row["indexdef"] for row in rows]


def slug(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


async def already_seeded(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT count(*) FROM ideas")
    finally:
        await conn.close()


async def index_for_search(database_url: str) -> None:
    """COPY ran with triggers off, so nothing marked the ideas for search: mark them all, and index them as the app
    does (ideaboard.search.refresh)."""
    from tortoise import connections

    from ideaboard import search
    from ideaboard.db import connect

    async with connect(database_url):
        await connections.get("default").execute_script(
            "INSERT INTO search_pending (idea_id) SELECT id FROM ideas ON CONFLICT DO NOTHING")
        await search.refresh(limit=None)


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    await ensure_database(args.database_url, args.reset)
    applied = await migrate_database(args.database_url)
    if applied:
        print("migrated:", ", ".join(applied))
    if existing := await already_seeded(args.database_url):
        print(f"{args.database_url} already holds {existing:,} ideas; pass --reset to reseed.")
        return 0
    check_paths()
    counts = counts_for(args.scale)
    print("generating " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    await load(args.database_url, Data(counts, args.seed))
    if not args.no_search_index:
        indexed = time.perf_counter()
        await index_for_search(args.database_url)
        print(f"search index: {time.perf_counter() - indexed:.1f} s")
    print(f"seeded {args.database_url} in {time.perf_counter() - started:.1f} s "
          f"(log in as user<N>@bench.example / {PASSWORD})")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
