"""X's weighted length: Sam's launch post and the share panel count a post the way X will.

The expectations are X's published rules (docs.x.com "Counting characters") and the kind of examples its
twitter-text conformance suite gives (WeightedTweetsCounterTest), written out here by hand.
"""

from __future__ import annotations

import pytest

from ideaboard.post_length import MAX_WEIGHTED_LENGTH, is_valid, weighted_length

LINK = "https://ideas.acme.com/i/1234/a-rather-long-slug-that-would-count-fully-without-tco"


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("a" * 280, 280),
        ("Hello, world! 👋", 16),
        # scripts: Latin, Greek, Cyrillic, Hebrew and the like count 1; CJK, Hangul, Thai and the rest count 2
        ("Ça coûte 5 € — vraiment?", 25),  # € (U+20AC) counts 2
        ("Привет", 6),
        ("日本語", 6),
        ("한국어", 6),
        # punctuation: U+2010-U+201F and U+2032-U+2037 count 1, other general punctuation counts 2
        ("\u201cquoted\u201d \u2013 \u2018single\u2019", 19),  # curly quotes, en dash
        ("\u2032\u2033", 2),  # primes
        ("…", 2),
        # emoji count 2 each, a whole sequence once
        ("😷👾😡🔥💩", 10),
        ("🙋🏽👨‍🎤", 4),  # skin tone; ZWJ profession
        ("H🐱☺👨‍👩‍👧‍👦", 7),  # a ZWJ family is one emoji; ☺ is an emoji though it sits among symbols
        ("🇯🇵🇫🇷", 4),  # flags from regional-indicator pairs
        ("1️⃣ #️⃣", 5),  # keycaps
        ("❤️", 2),  # a text-style emoji with its emoji selector is one emoji
        ("🏳️‍🌈", 2),
        ("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", 2),  # a tag sequence (Scotland)
        ("© ®", 5),  # emoji, although their code points would weigh 1
        ("½ ß", 3),
        # URLs count 23 however long, with or without https://, and only where X would link them
        (LINK, 23),
        (f"see {LINK}", 4 + 23),
        ("english text 日本語 😷 https://example.com", 46),
        ("Visit https://x.com/a, then (https://x.com/b).", 6 + 23 + 8 + 23 + 2),
        ("docs.python.org/3/library", 23),
        ("example.com.", 24),
        ("file.txt", 8),  # not a top-level domain
        ("@example.com #example.com $example.com", 38),  # a mention, a hashtag, a cashtag
        ("http://127.0.0.1:8000/ideas/1", 29),  # X links no bare IP address
        # text is NFC-normalised and a CRLF is one line break
        ("e\u0301", 1),
        ("a\r\nb", 3),
    ],
)
def test_weighted_length_follows_xs_rules(text: str, length: int) -> None:
    assert weighted_length(text) == length


def test_a_post_is_valid_from_one_to_280_weighted_characters() -> None:
    assert is_valid("a") and is_valid("a" * MAX_WEIGHTED_LENGTH) and not is_valid("a" * 281)
    assert is_valid("日" * 140) and not is_valid("日" * 141)
    assert is_valid("x" * 256 + f" {LINK}") and not is_valid("x" * 257 + f" {LINK}")  # 256 + 1 + 23 = 280
    assert not is_valid("")


def test_a_post_with_a_character_x_refuses_is_invalid() -> None:
    assert not is_valid("dark mode\ufeff") and not is_valid("\ufffe") and not is_valid("\uffff")
