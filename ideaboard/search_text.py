"""Words as search sees them: one analyzer in Python for the index and the query, so both databases see the same terms.

Lowercased, accents dropped, split on anything that is not a letter or digit, stop words left out, stemmed with the
Snowball English stemmer (the algorithm PostgreSQL's `english` configuration uses). User input is only ever words:
quotes, `*`, `-`, `NEAR`, `OR` are punctuation or plain words, never query syntax.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import snowballstemmer

# Snowball's English stop list, the one PostgreSQL ships as english.stop.
STOP_WORDS = frozenset((
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours", "yourself", "yourselves",
    "he", "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself", "they", "them", "their",
    "theirs", "themselves", "what", "which", "who", "whom", "this", "that", "these", "those", "am", "is", "are",
    "was", "were", "be", "been", "being", "have", "has", "had", "having", "do", "does", "did", "doing", "a", "an",
    "the", "and", "but", "if", "or", "because", "as", "until", "while", "of", "at", "by", "for", "with", "about",
    "against", "between", "into", "through", "during", "before", "after", "above", "below", "to", "from", "up",
    "down", "in", "out", "on", "off", "over", "under", "again", "further", "then", "once", "here", "there", "when",
    "where", "why", "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "no",
    "nor", "not", "only", "own", "same", "so", "than", "too", "very", "s", "t", "can", "will", "just", "don",
    "should", "now",
))

MAX_WORD = 40  # longer "words" are pasted junk (hashes, URLs without punctuation); they are not indexed
MAX_QUERY_WORDS = 32  # a pasted paragraph searches by its first words, not by hundreds of OR'd terms
MIN_PREFIX = 3  # a last word shorter than this is taken as typed, not as the start of longer words

_WORD = re.compile(r"[^\W_]+")
_STEMMER = snowballstemmer.stemmer("english")


def words(text: str) -> list[str]:
    """The text's words, lowercased and without accents, stop words included."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return [word for word in _WORD.findall(plain) if len(word) <= MAX_WORD]


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball English stem of one lowercased word (cached: the same words recur in every document)."""
    return _STEMMER.stemWord(word)


def terms(text: str) -> list[str]:
    """The indexed terms of a text, in order, repeats kept (their count is the term frequency)."""
    return [stem(word) for word in words(text) if word not in STOP_WORDS]


@dataclass(frozen=True, slots=True)
class QueryTerms:
    """A query's distinct terms; `prefix` is what the last term's word begins with, to match longer words too."""

    terms: tuple[str, ...]
    prefix: str | None = None

    def __bool__(self) -> bool:
        return bool(self.terms)


def query_terms(text: str, *, typing: bool = True) -> QueryTerms:
    """A search box's text as terms; while typing, the last word also stands for the longer words it begins.

    A last word that is a stop word ("turn off") is not taken as the start of another ("offline").
    """
    typed = words(text)
    found = [word for word in typed if word not in STOP_WORDS][:MAX_QUERY_WORDS]
    distinct = tuple(dict.fromkeys(stem(word) for word in found))
    prefix = None
    if typing and found and typed[-1] == found[-1] and len(found[-1]) >= MIN_PREFIX:
        prefix = _common_start(found[-1], stem(found[-1]))
    return QueryTerms(distinct, prefix if prefix and len(prefix) >= MIN_PREFIX else None)


def _common_start(word: str, root: str) -> str:
    """What the word and its stem begin with ("notify", "notifi": "notif"): the words both begin share it."""
    length = 0
    while length < min(len(word), len(root)) and word[length] == root[length]:
        length += 1
    return word[:length]
