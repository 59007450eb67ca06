"""Seed a PostgreSQL database with community-scale data, fast (asyncpg COPY), for the benchmarks.

    python bench/seed.py [--database-url postgres://postgres@127.0.0.1:5432/ideaboard_bench] [--scale 1] [--reset]

Scale 1 is 1,000 users, 10,000 ideas, 100,000 votes and 20,000 comments; --scale N multiplies all four. Every
user's password is PASSWORD (hashed once with argon2 and reused), so the load generator can log in as anyone.
Counters on ideas (upvotes, downvotes, score, hot, comment_count) are computed from the generated rows, so they
match what the app would have stored.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ideaboard.accounts import hash_password  # noqa: E402
from ideaboard.db import migrate_database  # noqa: E402
from ideaboard.ideas import HOT_EPOCH, HOT_SECONDS_PER_DECADE  # noqa: E402
from ideaboard.markdown import render_markdown  # noqa: E402

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
            "Would love this, but keep the old way as an option too.", "This is the one feature I miss from other apps.",
            "Agree. In my local store this is a real problem.", "Good idea, and it would help the staff too.",
            "We are looking into this with the store team. Thanks for the detail!", "Not sure about this one; "
            "what happens at rush hour?"]
STATUSES = ["new", "under_review", "planned", "in_progress", "launched", "declined", "duplicate", "archived"]
STATUS_WEIGHTS = [0.78, 0.07, 0.04, 0.03, 0.03, 0.03, 0.01, 0.01]
ROLES = ["customer", "employee", "staff", "admin"]
ROLE_WEIGHTS = [0.9, 0.08, 0.015, 0.005]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies 10k ideas / 100k votes (max 100)")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database first")
    parser.add_argument("--seed", type=int, default=5, help="random seed, so runs are repeatable")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 100:
        parser.error("--scale must be in (0, 100]")
    return args


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
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
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
               created[i])


def idea_rows(d: Data) -> Iterator[tuple]:
    bodies = {}
    created = timestamps(d.idea_created)
    for i in range(d.n["ideas"]):
        f, p = FEATURES[d.idea_feature[i]], PLACES[d.idea_place[i]]
        title = TITLES[d.idea_title[i]].format(f=f, F=f[0].upper() + f[1:], p=p)[:120]
        key = (d.idea_body[i], d.idea_feature[i], d.idea_place[i])
        if key not in bodies:
            body = BODIES[key[0]].format(f=f, p=p)
            bodies[key] = (body, render_markdown(body))
        body, html = bodies[key]
        cat = int(d.idea_category[i]) or None
        yield (i + 1, title, body, html, STATUSES[d.idea_status[i]], "internal" if d.idea_internal[i] else "public",
               int(d.upvotes[i]), int(d.downvotes[i]), int(d.score[i]), float(d.hot[i]), int(d.comment_count[i]),
               bool(d.idea_hidden[i]), 0, created[i], created[i], int(d.idea_author[i]), cat)


IDEA_COLUMNS = ["id", "title", "body", "body_html", "status", "space", "upvotes", "downvotes", "score", "hot",
                "comment_count", "hidden", "version", "created_at", "updated_at", "author_id", "category_id"]


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


async def copy(conn: asyncpg.Connection, table: str, columns: list[str], rows: Iterable[tuple], bar: tqdm) -> None:
    for batch in chunks(rows):
        await conn.copy_records_to_table(table, records=batch, columns=columns)
        bar.update(len(batch))


async def load(url: str, d: Data) -> None:
    """COPY every table in dependency order inside one transaction, then fix sequences, vacuum and analyze."""
    conn = await asyncpg.connect(url)
    total = d.n["users"] + d.n["ideas"] + len(d.vote_idea) + len(d.comment_idea) + int(d.tag_count.sum()) + 50
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
                await copy(conn, "users", ["id", "email", "name", "password_hash", "role", "is_active", "created_at"],
                           user_rows(d, password_hash), bar)
                await copy(conn, "ideas", IDEA_COLUMNS, idea_rows(d), bar)
                await copy(conn, "idea_tags", ["id", "idea_id", "tag_id"], idea_tag_rows(d), bar)
                await copy(conn, "votes", ["id", "value", "created_at", "idea_id", "user_id"], vote_rows(d), bar)
                await copy(conn, "comments", ["id", "body", "body_html", "is_official", "hidden", "created_at",
                                              "author_id", "idea_id"], comment_rows(d), bar)
                bar.set_description("indexing")
                for definition in indexes:
                    await conn.execute(definition)
                for table in ("categories", "tags", "users", "ideas", "idea_tags", "votes", "comments"):
                    await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"(SELECT coalesce(max(id), 1) FROM {table}))")
        # VACUUM as autovacuum would in steady state: sets the visibility map, so index-only scans skip the heap.
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


async def drop_plain_indexes(conn: asyncpg.Connection) -> list[str]:
    """Drop the secondary indexes (not those behind keys) of the big tables; building them once after is faster."""
    rows = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
        "AND i.tablename IN ('ideas', 'votes', 'comments', 'idea_tags') "
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
    counts = counts_for(args.scale)
    print("generating " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    data = Data(counts, args.seed)
    await load(args.database_url, data)
    print(f"seeded {args.database_url} in {time.perf_counter() - started:.1f} s "
          f"(log in as user<N>@bench.example / {PASSWORD})")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
