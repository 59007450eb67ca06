"""Pure helpers for sharing shipped ideas on X: post length, launch-post text, Web Intent links, card meta tags.

No I/O and no imports from workers/: the web app imports this module. Rules: shared/contracts/x-api-notes.md
§3.4 (weighted length) and §4 (share links and cards).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from urllib.parse import quote, urlencode

from ideaboard import post_length

MAX_POST_LENGTH = post_length.MAX_WEIGHTED_LENGTH  # URLs count 23, emoji/CJK count 2 (notes §3.4)
ELLIPSIS = "…"
# Notes §4.1: the documented Web Intent endpoint is /intent/tweet; /intent/post appears nowhere in X's docs.
INTENT_URL = "https://x.com/intent/tweet"
# Notes §4.2 (developer.x.com/cards/markup): twitter:title max 70 characters, twitter:description max 200.
CARD_TITLE_MAX = 70
CARD_DESCRIPTION_MAX = 200

MetaTag = tuple[str, str, str]


def weighted_length(text: str) -> int:
    """Length as X counts it, so the UI and the API agree on what fits."""
    return post_length.weighted_length(text)


def is_valid_post(text: str) -> bool:
    """Whether X would accept the text (non-empty, within 280 weighted characters, no invalid characters)."""
    return post_length.is_valid(text)


def compose_launch_post(title: str, url: str, hashtags: Sequence[str] = ()) -> str:
    """Pre-fill "title link #tags", shortening the title with an ellipsis so the post stays valid."""
    tags = " ".join(f"#{tag.strip().lstrip('#')}" for tag in hashtags if tag.strip().lstrip("#"))
    suffix = " ".join(filter(None, [url, tags]))
    title = " ".join(title.split())
    if is_valid_post(f"{title} {suffix}"):
        return f"{title} {suffix}"
    best, low, high = None, 1, len(title)
    while low <= high:  # binary search on the title length; every candidate is checked, so the result is valid
        mid = (low + high) // 2
        candidate = f"{_shorten(title, mid)} {suffix}"
        if is_valid_post(candidate):
            best, low = candidate, mid + 1
        else:
            high = mid - 1
    if best is None:
        raise ValueError(f"link and hashtags alone exceed {MAX_POST_LENGTH} weighted characters")
    return best


def intent_url(text: str) -> str:
    """Web Intent link that opens X's composer pre-filled (notes §4.1); works without any API key."""
    return f"{INTENT_URL}?{urlencode({'text': text}, quote_via=quote)}"


def card_meta(
    *,
    title: str,
    description: str,
    url: str,
    image_url: str | None = None,
    site_handle: str | None = None,
) -> list[MetaTag]:
    """(attribute, name, content) triples for Open Graph and X Card tags; the template escapes the content."""
    title, description = " ".join(title.split()), " ".join(description.split())
    tags: list[MetaTag] = [
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("property", "og:url", url),
        ("property", "og:type", "website"),
    ]
    if image_url:
        tags.append(("property", "og:image", image_url))
    tags += [
        ("name", "twitter:card", "summary_large_image" if image_url else "summary"),
        ("name", "twitter:title", truncate(title, CARD_TITLE_MAX)),
        ("name", "twitter:description", truncate(description, CARD_DESCRIPTION_MAX)),
    ]
    if site_handle and site_handle.lstrip("@"):
        tags.append(("name", "twitter:site", f"@{site_handle.lstrip('@')}"))
    return [tag for tag in tags if tag[2]]


def truncate(text: str, limit: int) -> str:
    """Fit text into `limit` characters, ending in an ellipsis when it had to be shortened."""
    return text if len(text) <= limit else _shorten(text, limit - len(ELLIPSIS))


def _shorten(text: str, length: int) -> str:
    """First `length` characters plus an ellipsis, cut at a word boundary when one is near enough."""
    head = text[:length].rstrip()
    word_end = head.rfind(" ")
    if length < len(text) and not text[length].isspace() and word_end > length // 2:
        head = head[:word_end].rstrip()
    while head and (head[-1] in "\u200d\ufe0f" or unicodedata.combining(head[-1])):
        head = head[:-1]  # never leave a dangling joiner, variation selector or combining mark
    return head + ELLIPSIS
