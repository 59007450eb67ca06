"""Marketing share helpers: X's weighted length, launch posts, Web Intent links and card meta tags."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from ideaboard.share import card_meta, compose_launch_post, intent_url, is_valid_post, truncate, weighted_length

LINK = "https://ideas.acme.com/i/1234/a-rather-long-slug-that-would-count-fully-without-tco"


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("a" * 280, 280),
        ("Hello, world! 👋", 16),  # emoji count 2
        ("日本語", 6),  # CJK count 2
        (f"see {LINK}", 4 + 23),  # every URL counts 23
        ("👨‍👩‍👧", 2),  # a ZWJ family is one emoji
    ],
)
def test_weighted_length(text: str, length: int) -> None:
    assert weighted_length(text) == length


def test_is_valid_post() -> None:
    assert is_valid_post("a" * 280) and is_valid_post("x" * 256 + f" {LINK}")  # 256 + 1 + 23 = 280
    assert not is_valid_post("x" * 257 + f" {LINK}") and not is_valid_post("日本語" * 47) and not is_valid_post("")


def test_compose_launch_post_keeps_short_titles() -> None:
    post = compose_launch_post("Dark mode is here!", LINK, ["AcmeIdeas", "#shipped", " "])
    assert post == f"Dark mode is here! {LINK} #AcmeIdeas #shipped"


@pytest.mark.parametrize("title", ["Dark mode everywhere " * 30, "夜間モード" * 80, "🌙" * 300, "x" * 1000])
def test_compose_launch_post_trims_title_to_fit(title: str) -> None:
    post = compose_launch_post(title, LINK, ["AcmeIdeas"])

    assert is_valid_post(post) and weighted_length(post) > 270  # trimmed, not gutted
    head, _, tail = post.partition("… ")
    assert tail == f"{LINK} #AcmeIdeas" and title.startswith(head)


def test_compose_launch_post_cuts_at_a_word_boundary() -> None:
    post = compose_launch_post("Dark mode everywhere " * 30, LINK)
    assert post.split("… ")[0].endswith("everywhere")


def test_compose_launch_post_rejects_impossible_suffix() -> None:
    with pytest.raises(ValueError):
        compose_launch_post("Dark mode", LINK, ["a" * 260])


def test_intent_url_encodes_everything() -> None:
    text = "Shipped: Dark mode 🌙 & more? #AcmeIdeas https://ideas.acme.example/i/1?a=b"
    url = intent_url(text)

    assert url.startswith("https://x.com/intent/tweet?text=Shipped%3A%20Dark%20mode%20%F0%9F%8C%99%20%26%20more")
    assert " " not in url and "#" not in url and url.count("?") == 1
    assert parse_qs(urlsplit(url).query) == {"text": [text]}


def test_card_meta_with_image_uses_large_card_and_limits() -> None:
    tags = card_meta(title="Dark mode " * 20, description="Voted by 312 customers. " * 20, url=LINK,
                     image_url="https://ideas.acme.example/og/1234.png", site_handle="acmeapp")
    by_name = {name: (attr, content) for attr, name, content in tags}

    assert by_name["twitter:card"] == ("name", "summary_large_image")
    assert by_name["og:image"] == ("property", "https://ideas.acme.example/og/1234.png")
    assert by_name["og:type"] == ("property", "website") and by_name["og:url"] == ("property", LINK)
    assert by_name["twitter:site"] == ("name", "@acmeapp")
    title, description = by_name["twitter:title"][1], by_name["twitter:description"][1]
    assert len(title) <= 70 and title.endswith("mode…") and len(description) <= 200 and description.endswith("…")
    assert by_name["og:title"][1] == ("Dark mode " * 20).strip()  # OG has no documented limit


def test_card_meta_without_image_is_a_summary_card() -> None:
    tags = card_meta(title="Dark mode", description="", url=LINK, site_handle="@acmeapp")
    names = [name for _, name, _ in tags]

    assert ("name", "twitter:card", "summary") in tags and ("name", "twitter:site", "@acmeapp") in tags
    assert "og:image" not in names and "og:description" not in names and "twitter:description" not in names
    assert ("name", "twitter:title", "Dark mode") in tags


def test_truncate() -> None:
    assert truncate("short", 70) == "short"
    assert truncate("word " * 30, 20) == "word word word word…"
    assert len(truncate("x" * 300, 200)) == 200
