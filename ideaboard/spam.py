"""Spam scoring of new ideas and comments: a few signals plus a naive Bayes text classifier, 0 to 100.

The classifier was trained on the SpamAssassin public corpus (tests/data/README.md) and ships as
ideaboard/data/spam_model.json.gz; rebuild it with `python -m ideaboard.spam train CORPUS.jsonl`.
bench/spam_quality.py reports its precision and recall on held-back messages.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path

MODEL_PATH = Path(__file__).parent / "data" / "spam_model.json.gz"
TOKEN = re.compile(r"[a-z0-9$€£%!]+(?:'[a-z]+)?")
LINK = re.compile(r"https?://|www\.", re.IGNORECASE)
VOCABULARY = 6000  # the most frequent tokens kept in the shipped model
MAX_TOKENS = 300


def tokens(text: str) -> list[str]:
    """Lower-case words, numbers and money/shouting marks; an ALL-CAPS word also counts as a marker."""
    words = TOKEN.findall(text.lower())[:MAX_TOKENS]
    shouting = sum(1 for w in re.findall(r"\b[A-Z]{4,}\b", text))
    return words + ["__caps__"] * min(shouting, 5) + ["__link__"] * min(len(LINK.findall(text)), 5)


@dataclass
class NaiveBayes:
    """Multinomial naive Bayes over tokens with add-one smoothing: log P(token | class) per class."""

    prior_spam: float = 0.0
    spam_log: dict[str, float] = field(default_factory=dict)
    ham_log: dict[str, float] = field(default_factory=dict)
    unseen_spam: float = 0.0
    unseen_ham: float = 0.0

    @classmethod
    def train(cls, examples: Iterable[tuple[str, bool]], vocabulary: int = VOCABULARY) -> NaiveBayes:
        counts = {True: Counter[str](), False: Counter[str]()}
        docs = Counter[bool]()
        for text, is_spam in examples:
            counts[is_spam].update(set(tokens(text)))  # a word counted once per message: robust to repetition
            docs[is_spam] += 1
        kept = [w for w, _ in (counts[True] + counts[False]).most_common(vocabulary)]
        model = cls(prior_spam=math.log((docs[True] + 1) / (docs[False] + 1)))
        for is_spam, logs in ((True, model.spam_log), (False, model.ham_log)):
            total = sum(counts[is_spam][w] for w in kept) + len(kept)
            for w in kept:
                logs[w] = math.log((counts[is_spam][w] + 1) / total)
            if is_spam:
                model.unseen_spam = math.log(1 / total)
            else:
                model.unseen_ham = math.log(1 / total)
        return model

    def probability(self, text: str) -> float:
        """P(spam | text), from 0 to 1."""
        odds = self.prior_spam
        for w in set(tokens(text)):
            if w in self.spam_log:
                odds += self.spam_log[w] - self.ham_log[w]
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, odds))))

    def to_json(self) -> dict:
        return {"prior_spam": self.prior_spam, "tokens": {w: [round(self.spam_log[w], 4), round(self.ham_log[w], 4)]
                                                          for w in self.spam_log}}

    @classmethod
    def from_json(cls, data: dict) -> NaiveBayes:
        model = cls(prior_spam=data["prior_spam"])
        for w, (spam_log, ham_log) in data["tokens"].items():
            model.spam_log[w], model.ham_log[w] = spam_log, ham_log
        return model


@cache
def shipped_model() -> NaiveBayes:
    with gzip.open(MODEL_PATH, "rt") as f:
        return NaiveBayes.from_json(json.load(f))


@dataclass(frozen=True)
class Post:
    """What the score looks at: the text, and facts about its author and the board around it."""

    text: str
    account_age: timedelta
    recent_posts: int  # by the same author in the last RATE_WINDOW, this one included
    same_text_elsewhere: int  # other accounts that posted the same text lately
    is_staff: bool = False


RATE_WINDOW = timedelta(minutes=10)


def score(post: Post, model: NaiveBayes | None = None) -> tuple[int, dict[str, int]]:
    """0 (clean) to 100 (spam), and the points each signal gave; the team is never scored."""
    if post.is_staff:
        return 0, {}
    links = len(LINK.findall(post.text))
    points = {
        "classifier": round(55 * (model or shipped_model()).probability(post.text)),
        "links": 0 if links == 0 else 10 if links == 1 else 25,
        "repeated_text": 30 if post.same_text_elsewhere else 0,
        "new_account": 15 if post.account_age < timedelta(days=1) else 5 if post.account_age < timedelta(days=7)
        else 0,
        "posting_rate": 20 if post.recent_posts >= 5 else 10 if post.recent_posts >= 3 else 0,
    }
    points = {k: v for k, v in points.items() if v}
    return min(100, sum(points.values())), points


def describe(points: dict[str, int]) -> str:
    """The signals, for the review queue: 'classifier 50, links 25'."""
    return ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in sorted(points.items(),
                                                                                   key=lambda kv: -kv[1]))


def fingerprint(text: str) -> str:
    """What counts as 'the same text': words only, lower case, the first 200 characters."""
    return " ".join(TOKEN.findall(text.lower()))[:200]


def read_corpus(path: Path) -> list[tuple[str, bool]]:
    """A JSONL corpus of {"text", "spam"} rows (tests/data/make_spam_sample.py writes them)."""
    return [(row["text"], bool(row["spam"])) for row in map(json.loads, path.read_text().splitlines()) if row]


def held_back(text: str) -> bool:
    """Whether a message is in the fixed held-back part (about 3 in 10, by a hash of its text): never trained on."""
    import hashlib

    return hashlib.sha256(text.encode()).digest()[0] < 77


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "train":
        model = NaiveBayes.train(read_corpus(Path(argv[1])))
        with gzip.open(MODEL_PATH, "wt") as f:
            json.dump(model.to_json(), f, separators=(",", ":"))
        print(f"wrote {MODEL_PATH} ({len(model.spam_log)} tokens)")
        return 0
    print("usage: python -m ideaboard.spam train CORPUS.jsonl", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
