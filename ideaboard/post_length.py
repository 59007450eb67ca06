"""X's weighted post length, so the share panel, the launch post and X's API agree on what fits in a post.

X's published rules (docs.x.com "Counting characters", twitter-text configuration v3): the text is NFC-normalised
(and CRLF counts as one line break); every URL counts 23 however long it is; every emoji counts 2, a whole sequence
(ZWJ joins, skin tones, variation selectors, keycaps, flags, tag sequences) being one emoji; any other code point
counts 1 in U+0000-U+10FF, U+2000-U+200D, U+2010-U+201F and U+2032-U+2037, else 2 (CJK, most other scripts). A post
is valid when it weighs 1 to 280 and holds none of U+FFFE, U+FEFF, U+FFFF.

URLs are found the way X's extractor does for everything we write: any http(s):// link, and bare domains under a
country code or a common generic top-level domain (`example.com`, `docs.python.org/3`), not after `@`, `#`, `$`,
a letter, a digit or `./-_`. A bare domain under a rarer generic TLD (`acme.photography`) is counted by its characters.
"""

from __future__ import annotations

import re
import unicodedata

MAX_WEIGHTED_LENGTH = 280
URL_LENGTH = 23
EMOJI_WEIGHT = 2
LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))  # weight 1
INVALID_CHARACTERS = frozenset("\ufffe\ufeff\uffff")

# Every country-code TLD in the root zone (IANA), and the generic ones people actually type without https://.
CCTLDS = (  # space-separated
    "ac ad ae af ag ai al am an ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo bq br bs bt bv bw by "
    "bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg eh er es et eu fi fj fk fm "
    "fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je "
    "jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mf mg mh mk ml mm mn mo mp "
    "mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa "
    "re ro rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to "
    "tp tr tt tv tw tz ua ug uk um us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw"
)
GTLDS = (
    "com net org edu gov mil int info biz name pro aero coop museum mobi asia tel travel jobs cat xxx app dev page "
    "blog shop store online site tech website xyz club news live cloud design email link space top world life today "
    "agency digital media network solutions company global group studio services"
)


def _ranges(spec: str) -> frozenset[int]:
    """Code points from "00A9 2194-2199 ..." (hex, inclusive ranges)."""
    points: set[int] = set()
    for item in spec.split():
        low, _, high = item.partition("-")
        points.update(range(int(low, 16), int(high or low, 16) + 1))
    return frozenset(points)


# Unicode emoji-data: Emoji=Yes, Emoji_Presentation=No. Only these take a U+FE0F into the emoji (❤️ is one emoji,
# 😀 + U+FE0F is two characters to X).
TEXT_STYLE_EMOJI = _ranges(
    "00A9 00AE 203C 2049 2122 2139 2194-2199 21A9-21AA 2328 23CF 23ED-23EF 23F1-23F2 23F8-23FA 24C2 25AA-25AB 25B6 "
    "25C0 25FB-25FC 2600-2604 260E 2611 2618 261D 2620 2622-2623 2626 262A 262E-262F 2638-263A 2640 2642 265F-2660 "
    "2663 2665-2666 2668 267B 267E 2692 2694-2697 2699 269B-269C 26A0 26B0-26B1 26C8 26CF 26D1 26D3 26E9 26F0-26F1 "
    "26F4 26F7-26F9 2702 2708-2709 270C-270D 270F 2712 2714 2716 271D 2721 2733-2734 2744 2747 2763-2764 27A1 "
    "2934-2935 2B05-2B07 3030 303D 3297 3299 1F170-1F171 1F17E-1F17F 1F202 1F237 1F321 1F324-1F32C 1F336 1F37D "
    "1F396-1F397 1F399-1F39B 1F39E-1F39F 1F3CB-1F3CE 1F3D4-1F3DF 1F3F3 1F3F5 1F3F7 1F43F 1F441 1F4FD 1F549-1F54A "
    "1F56F-1F570 1F573-1F579 1F587 1F58A-1F58D 1F590 1F5A5 1F5A8 1F5B1-1F5B2 1F5BC 1F5C2-1F5C4 1F5D1-1F5D3 "
    "1F5DC-1F5DE 1F5E1 1F5E3 1F5E8 1F5EF 1F5F3 1F5FA 1F6CB 1F6CD-1F6CF 1F6E0-1F6E5 1F6E9 1F6F0 1F6F3"
)
_TLD = "(?:" + "|".join(sorted(f"{CCTLDS} {GTLDS}".split(), key=len, reverse=True)) + r")(?![a-z0-9-])"
_LETTERS = r"a-z0-9\u00c0-\u024f"  # X's domains and paths take Latin letters with accents; paths Cyrillic too
_LABEL = rf"[{_LETTERS}](?:[{_LETTERS}-]*[{_LETTERS}])?"
_PATH = r"(?:/(?:\([^\s()]*\)|[-a-z0-9\u00c0-\u024f\u0400-\u04ff!*';:=+,.$/%#\[\]_~&|@])*)?"
_QUERY = r"(?:\?[-a-z0-9!?*'();:&=+$/%#\[\]_.,~|@]*)?"
_MARKS = r"@\uff20$#\uff03\u202a-\u202e"  # a URL never starts inside a mention, a hashtag or a cashtag
_WITH_SCHEME = re.compile(rf"(?<![a-z0-9{_MARKS}])https?://(?:[^\W_](?:[\w-]*[^\W_])?\.)+"
                          + _TLD + r"(?::\d{1,5})?" + _PATH + _QUERY, re.I)
_BARE = re.compile(rf"(?<![{_LETTERS}_{_MARKS}./-])(?:{_LABEL}\.)+" + _TLD
                   + r"(?P<port>:\d{1,5})?(?P<rest>" + _PATH + _QUERY + ")", re.I)
# Characters that weigh 1 and start no emoji (a digit, # or * only when no keycap follows), counted a run at a time:
# most of a title is these, and the loop's per-character calls were most of an idea page's share link.
_PLAIN = re.compile(r"(?:[\x00-\x22\x24-\x29\x2b-\x2f\x3a-\xa8\xaa-\xad\xaf-\u10ff\u2000-\u200d\u2010-\u201f"
                    r"\u2032-\u2037]|[0-9#*](?![\ufe0f\u20e3]))+")
_NOT_AN_END = ".,:;!?'*$%[]~|@("  # X ends a URL on a letter, digit, =_#/+- or a closing bracket that closes one


def weighted_length(text: str) -> int:
    """Length as X counts it (see the module docstring)."""
    text = _normalise(text)
    total, i = 0, 0
    urls = _url_spans(text)
    starts = iter(sorted(urls))
    stop = next(starts, len(text))  # the next URL's start: a run of plain characters ends before it
    while i < len(text):
        if i in urls:
            total, i = total + URL_LENGTH, urls[i]
            stop = next(starts, len(text))
        elif run := _PLAIN.match(text, i, stop):
            total, i = total + run.end() - i, run.end()
        elif (end := _emoji_end(text, i)) > i:
            total, i = total + EMOJI_WEIGHT, end
        else:
            total, i = total + _weight(ord(text[i])), i + 1
    return total


def is_valid(text: str) -> bool:
    """Whether X would accept the text: 1 to 280 weighted characters and no invalid characters."""
    return 0 < weighted_length(text) <= MAX_WEIGHTED_LENGTH and not INVALID_CHARACTERS.intersection(text)


def _normalise(text: str) -> str:
    return re.sub(r"\r\n?", "\n", unicodedata.normalize("NFC", text))


def _weight(code_point: int) -> int:
    return 1 if any(low <= code_point <= high for low, high in LIGHT_RANGES) else 2


def _url_spans(text: str) -> dict[int, int]:
    """start -> end of every URL, trailing punctuation left out (a bare domain keeps a port only before a path)."""
    spans: dict[int, int] = {}
    taken = -1
    for match in sorted([*_WITH_SCHEME.finditer(text), *_BARE.finditer(text)], key=lambda m: m.start()):
        if match.start() < taken:
            continue
        bare_port = match.re is _BARE and match["port"] and not match["rest"]
        url = match.group()[: match.start("port") - match.start()] if bare_port else match.group()
        while url[-1] in _NOT_AN_END or (url[-1] == ")" and url.count("(") < url.count(")")):
            url = url[:-1]
        spans[match.start()] = match.start() + len(url)
        taken = match.end() if bare_port else spans[match.start()]
    return spans


def _emoji_end(text: str, i: int) -> int:
    """Where the emoji sequence starting at i ends (i itself if none starts there)."""
    first = ord(text[i])
    if 0x1F1E6 <= first <= 0x1F1FF:  # regional indicators: a pair is one flag
        return i + 2 if i + 1 < len(text) and 0x1F1E6 <= ord(text[i + 1]) <= 0x1F1FF else i + 1
    if text[i] in "0123456789#*":  # keycap: digit, optional U+FE0F, U+20E3
        j = i + 1 + (text[i + 1 : i + 2] == "\ufe0f")
        return j + 1 if text[j : j + 1] == "\u20e3" else i
    if not _is_pictographic(first):
        return i
    j = i + 1
    while True:  # base [variation selector] [skin tone] [keycap] [tags], then ZWJ + another base, and so on
        j += text[j : j + 1] in ("\ufe0e", "\ufe0f") and ord(text[j - 1]) in TEXT_STYLE_EMOJI
        j += j < len(text) and 0x1F3FB <= ord(text[j]) <= 0x1F3FF
        j += text[j : j + 1] == "\u20e3"
        while j < len(text) and 0xE0020 <= ord(text[j]) <= 0xE007F:
            j += 1
        if text[j : j + 1] != "\u200d" or j + 1 >= len(text) or not _is_pictographic(ord(text[j + 1])):
            return j
        j += 2


def _is_pictographic(code: int) -> bool:
    """Emoji that can start a sequence: the pictographic blocks plus the older symbols X's emoji list includes."""
    return (
        code in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x24C2, 0x3030, 0x303D, 0x3297, 0x3299)
        or 0x2194 <= code <= 0x21AA
        or 0x231A <= code <= 0x23FF
        or 0x25AA <= code <= 0x25FE
        or 0x2600 <= code <= 0x27BF
        or 0x2934 <= code <= 0x2935
        or 0x2B05 <= code <= 0x2B55
        or 0x1F000 <= code <= 0x1FAFF
    )
