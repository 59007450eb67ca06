"""Rules for X in the product: storing and linking tweets, the social signal, tweet → idea, announcing launches.

The web app and the worker both use this module; it never imports workers/ (the worker imports it).
"""

from __future__ import annotations

import asyncio
import functools
import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import cast

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from ideaboard import audit, reads, share, sql, statuses, webhooks
from ideaboard.forms import IdeaForm
from ideaboard.i18n import gettext as _
from ideaboard.ideas import submit_idea
from ideaboard.models import Conversation, Idea, IdeaTag, IdeaTweet, Space, Status, Tweet, User
from ideaboard.settings import Settings
from ideaboard.urls import urls
from ideaboard.x_api import Tweet as ApiTweet
from ideaboard.x_api import XApiError, XClient

PANEL_SIZE = 5
METRICS = ["like_count", "retweet_count", "reply_count", "quote_count", "author_username", "author_name",
           "conversation_id"]


class ShareError(Exception):
    """Posting to X failed; the message is written for the marketing person who clicked."""


def feature_mode(settings: Settings) -> str:
    """'api' with a bearer token, 'file' with only X_TWEETS_FILE, else 'off'."""
    if settings.x_bearer_token:
        return "api"
    return "file" if settings.x_tweets_file else "off"


def x_client(settings: Settings) -> XClient:
    """An X client configured from the settings (caller closes it)."""
    return XClient(settings.x_api_base_url, bearer_token=settings.x_bearer_token or None,
                   user_token=settings.x_user_token or None)


async def store_tweets(tweets: Sequence[ApiTweet]) -> None:
    """Insert new tweets and refresh metrics of known ones: each tweet is stored once, however often it is fetched."""
    rows = {t.id: _row(t) for t in tweets}
    if rows:
        await Tweet.bulk_create(list(rows.values()), on_conflict=["id"], update_fields=METRICS)
        await file_conversations({row.conversation_id or row.id for row in rows.values()})


async def file_conversations(x_conversation_ids: set[str]) -> None:
    """Give each thread its desk conversation (created once) and refresh its counts from the stored tweets."""
    from ideaboard import desk  # desk builds on this module; it decides what a follow-up does

    ids = sorted(x_conversation_ids)
    known = {c.x_conversation_id: c for c in await Conversation.filter(x_conversation_id__in=ids)}
    tweets = await Tweet.filter(Q(conversation_id__in=ids) | Q(id__in=ids)).order_by("created_at", "id")
    threads: dict[str, list[Tweet]] = {}
    for tweet in tweets:
        threads.setdefault(tweet.conversation_id or tweet.id, []).append(tweet)
    fresh = []
    for cid, posts in threads.items():
        root = next((t for t in posts if t.id == cid), posts[0])
        stats = {"tweet_count": len(posts), "first_tweet_at": posts[0].created_at,
                 "last_tweet_at": posts[-1].created_at,
                 "engagement": max(t.like_count + t.retweet_count + t.reply_count + t.quote_count for t in posts)}
        if cid in known:
            await Conversation.filter(x_conversation_id=cid).update(**stats)
            await desk.follow_up(known[cid], posts)
        else:
            fresh.append(Conversation(x_conversation_id=cid, author_id=root.author_id,
                                      author_username=root.author_username, author_name=root.author_name, **stats))
    if fresh:
        await Conversation.bulk_create(fresh, ignore_conflicts=True)  # a concurrent worker may have filed it first


def _row(t: ApiTweet) -> Tweet:
    """The ORM row for an API tweet (metrics default to 0 when X left them out)."""
    return Tweet(id=t.id, text=t.text, author_id=t.author_id or "", author_username=t.author_username,
                 author_name=(t.author_name or "")[:100] or None, created_at=t.created_at, lang=t.lang,
                 like_count=t.like_count or 0, retweet_count=t.retweet_count or 0, reply_count=t.reply_count or 0,
                 quote_count=t.quote_count or 0, url=t.url[:200], fetched_at=datetime.now(UTC),
                 conversation_id=t.conversation_id)


async def link_tweets(idea_id: int, scores: dict[str, float]) -> int:
    """Link tweets to an idea with their relevance score; returns how many links are new (re-runs add none)."""
    linked = IdeaTweet.filter(idea_id=idea_id, tweet_id__in=list(scores))
    known = set(cast(list[str], await linked.values_list("tweet_id", flat=True)))
    new = [IdeaTweet(idea_id=idea_id, tweet_id=tid, score=round(score, 4))
           for tid, score in scores.items() if tid not in known]
    if new:
        await IdeaTweet.bulk_create(new, ignore_conflicts=True)
        await webhooks.tweets_linked(await Idea.get(id=idea_id), await Tweet.filter(id__in=[n.tweet_id for n in new]))
    return len(new)


async def related_tweets(idea_id: int, limit: int = PANEL_SIZE) -> list[Tweet]:
    """The newest tweets linked to an idea, in one query, for the idea page."""
    return tweets_from_rows(await sql.fetch(reads.related_tweets(idea_id, limit)))


def tweets_from_rows(rows) -> list[Tweet]:
    load = sql.loader_of(Tweet, reads.columns_of(Tweet))
    return [load(row) for row in rows]


async def open_ideas_for_linking() -> list[tuple[int, str, str]]:
    """Open public ideas as (id, title, body): what a post heard on X may be linked to."""
    open_ideas = Idea.filter(hidden=False, space=Space.PUBLIC, status__in=list(statuses.keys_where("is_closed", False)))
    return cast(list[tuple[int, str, str]], await open_ideas.order_by("id").values_list("id", "title", "body"))


@dataclass(frozen=True)
class IdeaVolume:
    """An idea's related tweets per day over the window: the social signal next to its votes."""

    idea: Idea
    days: list[int]

    @property
    def total(self) -> int:
        return sum(self.days)


async def tweet_volume(
    days: int = 14, today: date | None = None, limit: int = 15
) -> tuple[list[date], list[IdeaVolume]]:
    """Tweets per idea per day for the last `days` days, ideas ranked by volume (two queries)."""
    today = today or datetime.now(UTC).date()
    dates = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    start = datetime.combine(dates[0], datetime.min.time(), UTC)
    rows = await IdeaTweet.filter(tweet__created_at__gte=start).values_list("idea_id", "tweet__created_at")
    counts: dict[int, list[int]] = {}
    for idea_id, created in rows:
        day = created.astimezone(UTC).date()
        if day in dates:
            counts.setdefault(idea_id, [0] * days)[dates.index(day)] += 1
    ranked = sorted(counts, key=lambda i: (-sum(counts[i]), i))[:limit]
    ideas = {i.id: i for i in await Idea.filter(id__in=ranked)}
    return dates, [IdeaVolume(ideas[i], counts[i]) for i in ranked if i in ideas]


async def latest_tweets(limit: int = 20) -> list[Tweet]:
    """The newest stored tweets, for staff to turn into ideas."""
    return await Tweet.all().order_by("-created_at", "-id").limit(limit)


def tweet_title(text: str) -> str:
    """A starting title from a tweet: its first sentence without links, mentions or hashtags, within 120 chars."""
    clean = " ".join(re.sub(r"https?://\S+|[@#]\w+", " ", text).split())
    first = re.split(r"(?<=[.!?])\s", clean, maxsplit=1)[0].strip(" .!?") or clean
    return share.truncate(first[:1].upper() + first[1:], 120)


async def idea_from_tweet(tweet: Tweet, staff: User, form: IdeaForm) -> Idea:
    """Publish a tweet as an idea: the staff member is the author, the tweet is linked and credited, audited."""
    async with in_transaction():
        idea = await submit_idea(staff, form, Space.PUBLIC)
        idea.source_tweet_id = tweet.id
        await idea.save(update_fields=["source_tweet_id"])
        await IdeaTweet.create(idea=idea, tweet=tweet, score=1.0)
        await audit.record(staff, "idea.from_tweet", "idea", idea.id, tweet_id=tweet.id,
                           tweet_author=tweet.author_username or tweet.author_id)
    return idea


def idea_url(idea: Idea, settings: Settings) -> str:
    """The public, absolute address of an idea."""
    return settings.base_url.rstrip("/") + urls.idea(idea.id)


def hashtags(settings: Settings, tags: Sequence[str]) -> list[str]:
    """Brand hashtags from X_BRAND_HANDLES, else the idea's first two tags."""
    brand = [h for h in settings.x_brand_handles if h.startswith("#")]
    return brand or list(tags[:2])


async def launch_post(idea: Idea, settings: Settings) -> str:
    """The pre-filled announcement: 'Shipped: title link #tags', always within 280 weighted characters."""
    tags = cast(list[str], await IdeaTag.filter(idea_id=idea.id).values_list("tag__name", flat=True))
    return share.compose_launch_post(f"Shipped: {idea.title}", idea_url(idea, settings), hashtags(settings, tags))


def plain_text(body_html: str) -> str:
    """Idea text without markup, for card descriptions."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body_html)).split())


def card(idea: Idea, settings: Settings) -> dict[str, str]:
    """What X shows in the link preview: title, description, image, domain (limits from share.card_meta)."""
    description = plain_text(idea.body_html) or f"An idea on {settings.site_name}, with {idea.upvotes} votes."
    image = idea.image_url or ""
    if image.startswith("/"):
        image = settings.base_url.rstrip("/") + image
    return {"title": idea.title, "description": description, "image": image, "url": idea_url(idea, settings),
            "domain": re.sub(r"^https?://", "", settings.base_url).split("/")[0]}


def card_meta(idea: Idea, settings: Settings) -> list[share.MetaTag]:
    """Open Graph and X Card meta tags for an idea page."""
    c = card(idea, settings)
    handle = next((h for h in settings.x_brand_handles if h.startswith("@")), None)
    return share.card_meta(title=c["title"], description=c["description"], url=c["url"], image_url=c["image"] or None,
                           site_handle=handle)


def customer_share(idea: Idea, settings: Settings) -> dict[str, str] | None:
    """The idea page's share control: its link and an X intent pre-filled with title and link (none if private)."""
    if share_refusal(idea):
        return None
    url = idea_url(idea, settings)
    return {"url": url, "intent": _intent(idea.title, url)}


@functools.lru_cache(maxsize=1024)
def _intent(title: str, url: str) -> str:
    """Made once per title and link: measuring the post as X weighs it was a twentieth of an idea page."""
    return share.intent_url(share.compose_launch_post(title, url))


def share_refusal(idea: Idea) -> str | None:
    """Why this idea may never be announced publicly (its title and link would leak), or None."""
    if idea.space == Space.INTERNAL:
        return "Internal ideas are for employees only; they cannot be announced on X."
    if idea.hidden:
        return "Hidden ideas cannot be announced on X; restore the idea first."
    return None


async def announce(idea: Idea, staff: User, text: str, settings: Settings) -> Idea:
    """Post a launched idea to X and record the post on the idea; ShareError explains any refusal."""
    if refusal := share_refusal(idea):
        raise ShareError(refusal)
    if idea.status != Status.LAUNCHED:
        raise ShareError(_('Only launched ideas can be announced on X.'))
    text = text.strip()
    if not text:
        raise ShareError(_('Write something to post.'))
    length = share.weighted_length(text)
    if length > share.MAX_POST_LENGTH:
        raise ShareError(_('The post is %(length)s characters as X counts them; the limit is %(MAX_POST_LENGTH)s.',
                           length=length, MAX_POST_LENGTH=share.MAX_POST_LENGTH))
    if not settings.x_user_token:
        raise ShareError(_('Posting needs X_USER_TOKEN; use the “Open in X” link instead.'))
    try:
        async with asyncio.timeout(settings.x_deadline_seconds), x_client(settings) as client:
            posted = await client.create_post(text)
    except TimeoutError as exc:
        raise ShareError(_('X did not answer within %(x_deadline_seconds)s s. Check the account on X before posting '
                           'again (the post may have gone out).',
                           x_deadline_seconds=settings.x_deadline_seconds)) from exc
    except XApiError as exc:
        raise ShareError(exc.message) from exc
    idea.x_post_id, idea.x_post_url = posted.id, posted.url
    await idea.save(update_fields=["x_post_id", "x_post_url"])
    await audit.record(staff, "idea.share_x", "idea", idea.id, post_id=posted.id, url=posted.url)
    return idea


DEMO_TWEETS = Path(__file__).parent / "demo_tweets.jsonl"
TWITTER_EPOCH_MS = 1288834974657


def prepare_demo_tweets(data_dir: str, now: datetime | None = None) -> str:
    """Copy the demo tweets into the data dir once, moved in time so the newest is an hour old (charts look alive).

    Ids are re-minted as snowflakes of the new times, so since_id keeps working; the copy is kept across restarts.
    """
    target = Path(data_dir) / "demo_tweets.jsonl"
    if target.exists():
        return str(target)
    posts = [json.loads(line) for line in DEMO_TWEETS.read_text(encoding="utf-8").splitlines() if line.strip()]
    newest = max(datetime.fromisoformat(p["created_at"]) for p in posts)
    shift = (now or datetime.now(UTC)) - timedelta(hours=1) - newest
    for post in posts:
        moved = datetime.fromisoformat(post["created_at"]) + shift
        post["created_at"] = moved.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        post["id"] = str(((int(moved.timestamp() * 1000) - TWITTER_EPOCH_MS) << 22) | (int(post["id"]) & 0xFFF))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in posts), encoding="utf-8")
    return str(target)
