"""Input from outside (path, query string, form body) is checked here once, so views and SQL only see sane values.

Numbers are ASCII digits only ("²" and "①" pass str.isdigit() but are not numbers) and ids fit the database's
integer column, so an id nothing can have is a 404, not an OverflowError or an int32 error from Postgres. Text
never carries NUL or other control characters (Postgres refuses 0x00 in text). Malformed input raises `Invalid`,
which the app shows as a 400 page in the normal layout; `NoSuchId` is shown as the 404 page, `TooLarge` as 413.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import parse_qsl

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request

from ideaboard.i18n import gettext as _
from ideaboard.i18n import number

INT_MAX = 2**31 - 1  # ids are Postgres `integer` (SQLite would take 2**63 - 1: the smaller range holds for both)
MAX_FIELDS = 1000  # form fields per request
MAX_BODY_BYTES = 1_000_000  # a form body without files
PAGE_MAX = 1_000_000
# C0 and C1 control characters, DEL, and the lone surrogates some decoders let through; tab and newlines are text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_ANY = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # one-line values (query strings): no newlines either


class Invalid(ValueError):
    """Malformed input: a 400 page that names the parameter and says what it accepts."""

    status_code = 400

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


class NoSuchId(Invalid):
    """A well-formed number that no row can have (beyond the id range): the 404 page."""

    status_code = 404


class TooLarge(Invalid):
    """A body over the size limit or with too many fields: 413, nothing read or stored."""

    status_code = 413


def is_digits(raw: object) -> bool:
    """ASCII digits only, and not absurdly long (int() of a 100,000-digit string is slow)."""
    return isinstance(raw, str) and 0 < len(raw) <= 20 and raw.isascii() and raw.isdigit()


def to_int(raw: object, name: str, *, low: int = 0, high: int = INT_MAX) -> int:
    """A whole number from `low` to `high`, else Invalid naming the parameter."""
    text = raw.strip() if isinstance(raw, str) else ""
    negative = text.startswith("-") and low < 0
    digits = text[1:] if negative else text
    if is_digits(digits) and low <= (value := -int(digits) if negative else int(digits)) <= high:
        return value
    raise Invalid(name, _("“%(name)s” must be a whole number from %(low)s to %(high)s.", name=name,
                              low=number(low), high=number(high)))


def int_or(raw: object, default: int, *, low: int = 0, high: int = INT_MAX) -> int:
    """A whole number in range, or `default` (for fields where junk has an obvious meaning, like a stale version)."""
    try:
        return to_int(raw, "value", low=low, high=high)
    except Invalid:
        return default


def to_id(raw: object, name: str = "id") -> int:
    """A row id: malformed is Invalid (400), beyond the id range NoSuchId (404)."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not (text.isascii() and text.isdigit()):
        raise Invalid(name, _("“%(name)s” must be a number.", name=name))
    if len(text) > 10 or int(text) > INT_MAX:
        raise NoSuchId(name, f"There is no {name} with that number.")
    return int(text)


def id_or_none(raw: object) -> int | None:
    """A row id, or None for anything that cannot be one (the caller says 'choose one from the list')."""
    try:
        return to_id(raw)
    except Invalid:
        return None


def ids(values: Iterable[object]) -> list[int]:
    """The valid row ids among submitted values (checkbox lists), in order, without repeats."""
    seen: dict[int, None] = {}
    for value in values:
        if (number := id_or_none(value)) is not None:
            seen.setdefault(number, None)
    return list(seen)


def has_control(text: str, *, multiline: bool = False) -> bool:
    return bool((_CONTROL if multiline else _CONTROL_ANY).search(text))


def strip_control(text: str) -> str:
    """The text without NUL and other control characters (tabs and newlines stay)."""
    return _CONTROL.sub("", text)


def to_text(raw: object, name: str, *, max_length: int = 200) -> str:
    """A one-line text parameter, trimmed and cut to `max_length`; control characters are Invalid."""
    text = raw.strip() if isinstance(raw, str) else ""
    if has_control(text):
        raise Invalid(name, _("“%(name)s” contains a control character (such as NUL); remove it and try again.",
                              name=name))
    return text[:max_length]


def query_text(request: Request, name: str, *, max_length: int = 200) -> str:
    return to_text(request.query_params.get(name, ""), name, max_length=max_length)


def query_int(request: Request, name: str, *, default: int, low: int = 1, high: int = PAGE_MAX) -> int:
    """A number parameter; absent or empty is the default, anything else must be in range."""
    raw = request.query_params.get(name, "")
    return default if raw == "" else to_int(raw, name, low=low, high=high)


def query_page(request: Request, name: str = "page") -> int:
    return query_int(request, name, default=1, low=1, high=PAGE_MAX)


def query_id(request: Request, name: str) -> int | None:
    """An optional id filter (?actor=3): absent is None, malformed 400, beyond the range 404."""
    raw = request.query_params.get(name, "")
    return None if raw == "" else to_id(raw, name)


def parse_urlencoded(body: bytes) -> list[tuple[str, str]]:
    """An application/x-www-form-urlencoded body as (name, value) pairs: UTF-8 (raw or percent-encoded), bounded."""
    if len(body) > MAX_BODY_BYTES:
        raise TooLarge("body", _("This form is too large (the limit is %(size)s kB).",
                                 size=number(MAX_BODY_BYTES // 1000)))
    try:
        text = body.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise Invalid("body", _("This form was not sent as UTF-8 text. Reload the page and try again.")) from None
    except ValueError:  # parse_qsl: "Max number of fields exceeded"
        raise TooLarge("body", _("This form has more than %(count)s fields.", count=number(MAX_FIELDS))) from None


def clean_pairs(pairs: Sequence[tuple[str, str]]) -> tuple[list[tuple[str, str]], bool]:
    """The fields without control characters in names or values, and whether any had to be removed."""
    clean = [(strip_control(name), strip_control(value)) for name, value in pairs]
    return clean, any(c != p for c, p in zip(clean, pairs, strict=True))


def _up_to(limit: int) -> str:
    """A regex for the decimal numbers 0..limit, without leading zeros (so the router itself refuses bigger ones)."""
    digits = str(limit)
    options = ["0", f"[1-9][0-9]{{0,{len(digits) - 2}}}"]
    for i, digit in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            options.append(f"{digits[:i]}[{low}-{int(digit) - 1}][0-9]{{{len(digits) - i - 1}}}")
    options.append(digits)
    return "(?:" + "|".join(options) + ")"


class IdConvertor(Convertor[int]):
    """`{idea_id:id}`: a row id in the database's range; any other path does not match, so it is a 404."""

    regex = _up_to(INT_MAX)

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        if not 0 <= int(value) <= INT_MAX:
            raise ValueError(f"{value} is not a row id")
        return str(int(value))


register_url_convertor("id", IdConvertor())  # before any Route("/ideas/{idea_id:id}") is built
