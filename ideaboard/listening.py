"""Listening on X at the brand level: the rules (brand words plus the open ideas' topics), where each source stands
(since_id per rule and for mentions) and the monthly read budget.

The worker (workers/listen.py) streams or polls with these rules; the staff console shows the cursors and usage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from tortoise.expressions import F

from ideaboard import search_text, statuses
from ideaboard.models import Idea, ListenCursor, Space, XReadMonth
from ideaboard.settings import Settings
from ideaboard.x_api import StreamRule, all_of_operands, brand_operands, pack_rules

BRAND_TAG = "brand"
TOPIC_TAG = "topics-{n}"
TERMS_PER_IDEA = 2
MIN_TERM_LENGTH = 3
# Words that say what kind of request it is, not what it is about: as X keywords they would match everything.
VAGUE_WORDS = frozenset((
    "please", "want", "need", "add", "allow", "make", "better", "faster", "easier", "option", "options", "support",
    "feature", "features", "ability", "able", "improve", "improved", "new", "more", "less", "like", "would", "could",
    "app", "use", "using", "way", "get", "let", "show", "also", "really", "every", "without", "instead",
))
SEARCH_MIN_RESULTS, MENTIONS_MIN_RESULTS = 10, 5  # the smallest pages X serves (OpenAPI max_results minimums)


def rule_key(tag: str) -> str:
    return f"rule:{tag}"


def mentions_key(user_id: str) -> str:
    return f"mentions:{user_id}"


STREAM_KEY = "stream"


async def open_idea_topics() -> list[tuple[str, str]]:
    """Open public ideas, most voted first, as (title, body): the topics the rules listen for."""
    open_ideas = Idea.filter(hidden=False, space=Space.PUBLIC, status__in=list(statuses.keys_where("is_closed", False)))
    rows = await open_ideas.order_by("-upvotes", "id").values_list("title", "body")
    return cast(list[tuple[str, str]], rows)


def topic_terms(titles: Sequence[str], per_idea: int = TERMS_PER_IDEA) -> list[list[str]]:
    """Each title's most telling words, ideas in order: words fewer titles share first, then the title's own order
    (a request's subject comes early: "Dark mode for ...", "Oat milk at ...").

    Words, not two-word phrases: customers rarely repeat an idea's wording, but they do name its subject; a rule
    asks for all of an idea's words anywhere in the post, which keeps a bare "dark" or "cup" from reading all of X.
    """
    words = [[w for w in dict.fromkeys(search_text.words(t)) if _telling(w)] for t in titles]
    shared = Counter(stem for ws in words for stem in {search_text.stem(w) for w in ws})
    chosen: list[list[str]] = []
    for ws in words:
        ranked = sorted(range(len(ws)), key=lambda i: (shared[search_text.stem(ws[i])], i))[:per_idea]
        if ranked:
            chosen.append([ws[i] for i in sorted(ranked)])
    return chosen


def _telling(word: str) -> bool:
    return (len(word) >= MIN_TERM_LENGTH and not word.isdigit() and word not in search_text.STOP_WORDS
            and word not in VAGUE_WORDS)


def build_rules(settings: Settings, titles: Sequence[str]) -> list[StreamRule]:
    """The brand rule (handles, hashtags, brand words) and as many topic rules as the plan allows, in that order."""
    lang, length = settings.x_lang or None, settings.x_rule_max_length
    brand = brand_operands(settings.x_brand_handles, settings.x_brand_keywords)
    rules = [StreamRule(value, BRAND_TAG) for value in pack_rules(brand, lang=lang, max_length=length, max_rules=1)]
    brand_words = {o.strip('"').lstrip("@#").casefold() for o in brand}
    groups = [[w for w in ws if w not in brand_words] for ws in topic_terms(titles)]
    slots = settings.x_max_rules - len(rules)
    topics = pack_rules(all_of_operands([g for g in groups if g]), lang=lang, max_length=length, max_rules=slots)
    return rules + [StreamRule(value, TOPIC_TAG.format(n=n)) for n, value in enumerate(topics, start=1)]


async def current_rules(settings: Settings) -> list[StreamRule]:
    """The rules for the ideas open right now."""
    return build_rules(settings, [title for title, _ in await open_idea_topics()])


async def cursor_for(key: str, query: str = "") -> ListenCursor:
    """The source's cursor; a rule whose text changed starts over (no since_id), like an edited search did."""
    cursor, created = await ListenCursor.get_or_create(key=key, defaults={"query": query})
    if not created and cursor.query != query:
        cursor.query, cursor.since_id, cursor.next_token, cursor.walk_newest_id = query, None, None, None
        await cursor.save(update_fields=["query", "since_id", "next_token", "walk_newest_id"])
    return cursor


async def advance(cursor: ListenCursor, since_id: str | None, read: int, error: str = "", *,
                  walk: tuple[str | None, str | None] | None = None) -> None:
    """Record a run: the cursor moves only as far as fully fetched, the error (or none) is shown on the console;
    `walk` is (newest id, next page token) of a walk back through pages that the next run finishes."""
    cursor.since_id, cursor.last_run_at, cursor.last_error = since_id, datetime.now(UTC), error[:300]
    cursor.posts_read += read
    fields = ["since_id", "last_run_at", "last_error", "posts_read"]
    if walk is not None:
        cursor.walk_newest_id, cursor.next_token = walk
        fields += ["walk_newest_id", "next_token"]
    await cursor.save(update_fields=fields)


async def advance_to_newest(keys: Sequence[str], tweet_id: str) -> None:
    """The stream delivered tweet_id for these rules: polling, when it takes over, starts after it."""
    for cursor in await ListenCursor.filter(key__in=list(keys)):
        if cursor.since_id is None or int(tweet_id) > int(cursor.since_id):
            cursor.since_id, cursor.posts_read = tweet_id, cursor.posts_read + 1
            await cursor.save(update_fields=["since_id", "posts_read"])


def month_of(now: datetime | None = None) -> str:
    return f"{(now or datetime.now(UTC)).astimezone(UTC):%Y-%m}"


async def reads_this_month(now: datetime | None = None) -> int:
    row = await XReadMonth.get_or_none(month=month_of(now))
    return row.posts if row else 0


async def reads_left(settings: Settings, now: datetime | None = None) -> int:
    """Posts the worker may still read this month (never below 0)."""
    return max(0, settings.x_monthly_read_budget - await reads_this_month(now))


async def count_reads(posts: int, now: datetime | None = None) -> None:
    """Add posts read to this month's count (an atomic increment: the stream and polls count at once)."""
    if posts <= 0:
        return
    month = month_of(now)
    await XReadMonth.get_or_create(month=month)
    await XReadMonth.filter(month=month).update(posts=F("posts") + posts)


def page_plan(left: int, smallest: int, largest: int = 100, max_pages: int = 5) -> tuple[int, int] | None:
    """(max_results, max_pages) that read at most `left` posts, or None when not even the smallest page fits."""
    if left < smallest:
        return None
    size = min(largest, left)
    return size, max(1, min(max_pages, left // size))


@dataclass(frozen=True)
class Usage:
    """This month's reads against the budget, and every source's state, for the staff console."""

    month: str
    read: int
    budget: int
    cursors: list[ListenCursor]

    @property
    def percent(self) -> int:
        return 100 if not self.budget else min(100, round(100 * self.read / self.budget))

    @property
    def exhausted(self) -> bool:
        return self.read >= self.budget


async def usage(settings: Settings, now: datetime | None = None) -> Usage:
    cursors = await ListenCursor.all().order_by("key")
    return Usage(month_of(now), await reads_this_month(now), settings.x_monthly_read_budget, cursors)
