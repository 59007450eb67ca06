"""Languages (issue 16): the request's locale, its gettext catalogue, and dates and numbers written its way.

The locale is the signed-in person's setting, else the best match for the browser's Accept-Language, else English.
It lives in a context variable set by LocaleMiddleware, so templates, views and domain modules translate with the
plain `gettext` here (lazily with `lazy_gettext` for messages made at import time) without passing it around.
Catalogues: ideaboard/translations/<locale>/LC_MESSAGES/messages.po, compiled to .mo (README "Translating").
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from babel import dates, numbers
from babel.support import LazyProxy, NullTranslations, Translations
from starlette.types import ASGIApp, Receive, Scope, Send

TRANSLATIONS = Path(__file__).parent / "translations"
DEFAULT = "en"
LOCALES = {"en": "English", "de": "Deutsch"}  # each name in its own language, as the settings select shows it
SCOPE_KEY = "locale"

_current: ContextVar[str] = ContextVar("locale", default=DEFAULT)


def current() -> str:
    """The locale of the request being served (English outside one)."""
    return _current.get()


def use(locale: str) -> Any:
    """Make `locale` current (an email to a person in theirs); returns the token for `_current.reset`."""
    return _current.set(locale if locale in LOCALES else DEFAULT)


def reset(token: Any) -> None:
    _current.reset(token)


@contextlib.contextmanager
def speaking(locale: str | None) -> Iterator[None]:
    """Within the block, `locale` is current (an email in its reader's language); None keeps the request's."""
    token = use(locale) if locale else None
    try:
        yield
    finally:
        if token is not None:
            reset(token)


@functools.cache
def catalogue(locale: str) -> NullTranslations:
    """The compiled catalogue, read once per process (English is the source language: no catalogue)."""
    if locale == DEFAULT:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [locale])


def gettext(message: str, **variables: Any) -> str:
    text = catalogue(current()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    text = catalogue(current()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def plain_gettext(message: str) -> str:
    """For Jinja's newstyle gettext, which fills in (and escapes) the variables itself."""
    return catalogue(current()).gettext(message)


def plain_ngettext(singular: str, plural: str, n: int) -> str:
    return catalogue(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for extraction and returns it as it is: English where it is defined, translated where shown."""
    return message


def lazy_gettext(message: str, **variables: Any) -> LazyProxy:
    """A message defined at import time, translated when it is shown (in the locale of that request)."""
    return LazyProxy(gettext, message, enable_cache=False, **variables)


def accepted(header: str) -> list[str]:
    """Accept-Language's tags, most wanted first ('de-DE,de;q=0.9,en;q=0.5' -> de_DE, de, en)."""
    weighted = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag.replace("-", "_")))
    return [tag for _, _, tag in sorted(weighted)]


@functools.lru_cache(maxsize=256)
def from_header(header: str) -> str:
    """The supported locale a browser asks for (Babel's negotiation: de_DE matches de), else English."""
    from babel import negotiate_locale

    return negotiate_locale(accepted(header), list(LOCALES), sep="_") or DEFAULT


def header_of(scope: Scope) -> str:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k == b"accept-language"), "")


def from_environment(environ: Mapping[str, str]) -> str:
    """An operator's language as POSIX reads it (LC_ALL, else LC_MESSAGES, else LANG; 'de_DE.UTF-8' is German):
    for messages before any request, such as bad settings. English for C, POSIX, or a language we lack."""
    from babel import Locale, UnknownLocaleError, negotiate_locale

    value = next((environ[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(name)), "")
    if value.split(".")[0] in ("", "C", "POSIX"):
        return DEFAULT
    try:
        tag = str(Locale.parse(value))
    except (ValueError, TypeError, UnknownLocaleError):
        return DEFAULT
    return negotiate_locale([tag], list(LOCALES), sep="_") or DEFAULT


def choose(person_locale: str | None, accept_language: str) -> str:
    """The person's own choice wins; a visitor (or someone who never chose) gets what the browser asks for."""
    if person_locale in LOCALES:
        return person_locale
    return from_header(accept_language[:500])


def of_request(scope: Scope) -> str:
    """The locale of a request seen from outside LocaleMiddleware (the 500 page): what the middleware chose, else the
    member's setting and the browser's header again; English if even that fails, since this must never raise."""
    try:
        chosen = scope.get(SCOPE_KEY)
        if chosen in LOCALES:
            return chosen
        return choose(getattr(scope.get("user"), "locale", None), header_of(scope))
    except Exception:  # a broken request still gets its error page, in English
        return DEFAULT


def of_person(user: Any, otherwise: str | None = DEFAULT) -> str | None:
    """The language to write to someone in outside their own page (an email): their choice, else the language of
    their latest request, else `otherwise` (the site's default; None: the current request's, when they asked)."""
    for locale in (getattr(user, "locale", None), getattr(user, "last_locale", None)):
        if locale in LOCALES:
            return locale
    return otherwise


class LocaleMiddleware:
    """Sets the request's locale; sits inside LoadUserMiddleware, since a member's setting comes first. `remember`
    keeps a member's locale on their account when it changed (accounts.remember_locale: emails read it)."""

    def __init__(self, app: ASGIApp, remember: Callable[[Any, str], Awaitable[None]] | None = None) -> None:
        self.app = app
        self.remember = remember

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        user = scope.get("user")
        locale = choose(getattr(user, "locale", None), header_of(scope))
        scope[SCOPE_KEY] = locale
        if user is not None and self.remember is not None and getattr(user, "last_locale", locale) != locale:
            await self.remember(user, locale)
        token = _current.set(locale)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)


def html_lang() -> str:
    """`<html lang>`: BCP 47 spelling (de, en; pt-BR if it ever comes)."""
    return current().replace("_", "-")


Unit = Literal["year", "month", "day", "hour", "minute"]
_UNITS: tuple[tuple[Unit, int], ...] = (
    ("year", 31_536_000), ("month", 2_592_000), ("day", 86_400), ("hour", 3_600), ("minute", 60))


def timeago(value: datetime | None, now: datetime | None = None) -> str:
    """'3 hours ago' / 'vor 3 Stunden': whole units, counted down (a 10-day-old idea is '10 days', not '1 week')."""
    if value is None:
        return ""
    seconds = int(((now or datetime.now(value.tzinfo)) - value).total_seconds())
    for unit, size in _UNITS:
        if seconds >= size:
            return _ago(seconds // size, unit, size, current())
    return gettext("just now")


@functools.lru_cache(maxsize=4096)
def _ago(count: int, unit: Unit, size: int, locale: str) -> str:
    """Babel's wording of a whole count of units, made once per count (a list page has forty of them)."""
    return dates.format_timedelta(timedelta(seconds=-count * size), granularity=unit, threshold=10**9,
                                  add_direction=True, locale=locale)


ENGLISH_DATES = {"long": "d MMMM y", "medium": "d MMM y"}  # day first, as the site always wrote dates


def date(value: datetime | None, form: str = "medium") -> str:
    """A calendar date the locale's way ('1 Dec 2026' / '01.12.2026'; long: '8 December 2026' / '8. Dezember 2026')."""
    if value is None:
        return ""
    pattern = ENGLISH_DATES.get(form, form) if current() == DEFAULT else form
    return dates.format_date(value, format=pattern, locale=current())


def month_year(value: datetime | None) -> str:
    """'December 2026' / 'Dezember 2026' (a profile's 'member since')."""
    return dates.format_skeleton("yMMMM", value, locale=current()) if value else ""


def datetime_utc(value: datetime | None) -> str:
    """A moment with its time, in UTC, as the locale writes them ('1 Dec 2026, 14:00 UTC')."""
    if value is None:
        return ""
    if current() == DEFAULT:  # day first, as the site always wrote it: '7 Dec 2026, 09:00 UTC'
        return dates.format_datetime(value, "d MMM y, HH:mm", tzinfo=dates.UTC, locale=DEFAULT) + " UTC"
    moment = value.astimezone(dates.UTC)
    return f"{dates.format_date(moment, 'medium', locale=current())}, {moment:%H:%M} UTC"


def number(value: int | float | None) -> str:
    """1234 -> '1,234' in English, '1.234' in German."""
    if value.__class__ is int:  # scores and counts: each formatted once (Babel's formatting is slow)
        return _integer(value, current())
    return numbers.format_decimal(value or 0, locale=current())


@functools.lru_cache(maxsize=8192)
def _integer(value: int, locale: str) -> str:
    return numbers.format_decimal(value, locale=locale)


__all__ = ["DEFAULT", "LOCALES", "N_", "LocaleMiddleware", "accepted", "catalogue", "choose", "current", "date",
           "datetime_utc", "from_environment", "from_header", "gettext", "html_lang", "lazy_gettext", "month_year",
           "ngettext", "number", "of_person", "timeago", "use"]
