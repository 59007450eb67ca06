"""Jinja2 with named-block rendering (jinja2-fragments): each page one template, each swapped region a block."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import markupsafe
from jinja2 import Template, pass_context, pass_eval_context
from jinja2.environment import TemplateModule
from jinja2.nodes import EvalContext
from jinja2_fragments.starlette import Jinja2Blocks
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from ideaboard import campaigns, comments, i18n, live, notice_text, statuses
from ideaboard.csrf import session_token
from ideaboard.models import Role, Status
from ideaboard.urls import urls

_escape_inner = getattr(markupsafe, "_escape_inner", None)  # markupsafe's C escaping, without the Markup around it


def escape_output(value: Any) -> str:
    """`{{ value }}` escaped as markupsafe.escape does, but as a plain str: the pieces of a page are only joined, and
    wrapping each in a Markup (a Python-level __new__) is work for nothing."""
    if _escape_inner is None:
        return str(markupsafe.escape(value))
    kind = value.__class__
    if kind is str:
        return _escape_inner(value)
    if kind is Markup:  # translated words, badges, filled sentences: already safe
        return value
    if kind is int:  # ids and counts: nothing in their digits to escape
        return str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape_inner(str(value))


_safe = functools.partial(str.__new__, Markup)
"""Markup(text) for a text that is already a str, without markupsafe's Python-level __new__."""


class OutputTemplate(Template):
    """A compiled template whose `{{ }}` outputs go through escape_output (its code looks `escape` up by name)."""

    @classmethod
    def _from_namespace(cls, environment: Any, namespace: Any, globals: Any) -> Template:
        namespace["escape"] = escape_output
        return super()._from_namespace(environment, namespace, globals)


templates = Jinja2Blocks(directory=str(Path(__file__).parent / "templates"))
templates.env.template_class = OutputTemplate


@functools.lru_cache(maxsize=256)
def _slots(text: str) -> tuple[str, ...]:
    """A translated sentence split at its %(name)s placeholders: literal, name, literal, ... (made once per text)."""
    return tuple(_SLOT.split(text))


_SLOT = re.compile(r"%\((\w+)\)s")


def fill(sentence: Any, **values: Any) -> Markup:
    """`t|fill(name=value)`: a sentence translated once with its placeholders kept, its values escaped into it in one
    pass (as newstyle gettext would, without its call through the template context and its Markup %)."""
    parts = _slots(str(sentence))
    return _safe("".join(escape_output(values[part]) if i % 2 else part for i, part in enumerate(parts)))


def comment_count(n: int) -> str:
    """'3 comments' for a card, by the reader's catalogue's plural rule, made once per count and language."""
    return _comment_count(n, i18n.current())


@functools.lru_cache(maxsize=4096)
def _comment_count(n: int, locale: str) -> str:
    with i18n.speaking(locale):
        return i18n.ngettext("%(count)s comment", "%(count)s comments", n, count=i18n.number(n))


def _escaped(variables: dict[str, Any]) -> dict[str, Any]:
    """The values as Markup's `%` would put them in: numbers as they are (`%d` still works), the rest escaped."""
    return {name: value if value.__class__ in (int, float) else escape_output(value)
            for name, value in variables.items()}


@functools.lru_cache(maxsize=4096)
def _sentence(message: str, locale: str, autoescape: bool) -> str:
    """A sentence without variables, translated and `%`-formatted once per language (`%%` becomes `%`)."""
    text = i18n.catalogue(locale).gettext(message)
    return Markup(text) % {} if autoescape else text % {}


@pass_eval_context
def gettext(eval_ctx: EvalContext, message: str, /, **variables: Any) -> str:
    """Jinja's newstyle gettext, same output: the translation is a format string whose variables are escaped under
    autoescape. Jinja's own goes through the template context three times a call (`_` looks `gettext` up, which
    calls the translator through it) and escapes with Markup's `%`, and a page says `_()` some thirty times."""
    if not variables:
        return _sentence(message, i18n.current(), eval_ctx.autoescape)
    text = i18n.plain_gettext(message)
    return _safe(text % _escaped(variables)) if eval_ctx.autoescape else text % variables


@pass_eval_context
def ngettext(eval_ctx: EvalContext, singular: str, plural: str, n: int, /, **variables: Any) -> str:
    """Jinja's newstyle ngettext (`num` is n unless given), without its trips through the context."""
    variables.setdefault("num", n)
    text = i18n.plain_ngettext(singular, plural, n)
    return _safe(text % _escaped(variables)) if eval_ctx.autoescape else text % variables


templates.env.add_extension("jinja2.ext.i18n")
# newstyle: `_("Hello %(name)s", name=x)` escapes x under autoescape; the locale is the request's (i18n.current)
templates.env.install_gettext_callables(i18n.plain_gettext, i18n.plain_ngettext, newstyle=True)  # type: ignore[attr-defined]
templates.env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)  # the same, cheaper per call
timeago = i18n.timeago  # '3 hours ago' reads better than a timestamp in a community feed


def voting_closed(idea: Any) -> bool:
    """`idea is voting_closed`: the widget shows no buttons where votes would be refused (a Tally has no status)."""
    status = getattr(idea, "status", None)
    return status is not None and not Status(status).accepts_votes


def N_(message: str) -> str:
    """Marks a message for extraction where it is translated later (a status's label)."""
    return message


STATUS_LABELS = [N_("New"), N_("Under review"), N_("Planned"), N_("In progress"), N_("Launched"), N_("Declined"),
                 N_("Duplicate"), N_("Archived")]


def status_label(value: str) -> str:
    """The status's name as the reader's board shows it (built-in names translated until an admin renames them)."""
    return Status(value).label


def status_description(value: str) -> str:
    """The public description an admin gave the status (the badge's tooltip), translated while it is the built-in
    one."""
    return Status(value).definition.shown_description


@pass_context
def static_url(context: Any, path: str) -> str:
    """A static file's URL under the app's root path (inside a Mount root_path grows (/staff), app_root_path not)."""
    scope = context["request"].scope
    return scope.get("app_root_path", scope.get("root_path", "")) + urls.static(path)


templates.env.auto_reload = False  # templates only change on deploy: no stat() per render (see `configure`)
templates.env.globals["static_url"] = static_url
templates.env.globals["urls"] = urls
templates.env.filters["timeago"] = timeago
templates.env.filters["date"] = i18n.date
templates.env.filters["month_year"] = i18n.month_year
templates.env.filters["datetime_utc"] = i18n.datetime_utc
templates.env.filters["number"] = i18n.number
templates.env.filters["fill"] = fill
templates.env.globals["comment_count"] = comment_count
templates.env.globals["html_lang"] = i18n.html_lang
templates.env.globals["live_event"] = live.in_language  # the page hears HTML pushes in its reader's language
templates.env.filters["status_label"] = status_label
templates.env.filters["status_description"] = status_description
templates.env.filters["notice_text"] = notice_text.text  # a notification in its reader's language
templates.env.globals["Role"] = Role
templates.env.tests["voting_closed"] = voting_closed
templates.env.filters["campaign_time"] = campaigns.when
templates.env.filters["campaign_countdown"] = campaigns.countdown
templates.env.globals["live_since"] = live.since_now
templates.env.tests["editable_by"] = comments.editable  # {% if c is editable_by(user) %}


def configure(*, debug: bool) -> None:
    """Follow the app's settings: with debug on, an edited template shows on the next request."""
    templates.env.auto_reload = debug


class Macros:
    """_macros.html as `ui`: the module made once (the macros take what they need as arguments), and its badges
    rendered once per role or status, since a list page shows dozens and a macro call costs more than its markup."""

    def __init__(self) -> None:
        self._module: TemplateModule | None = None
        # per status, loaded workflow and locale: an admin's rename or new colour shows at once, in the reader's words
        self._status_badge = functools.lru_cache(maxsize=128)(
            lambda status, _generation, _locale: self._macros.status_badge(status))
        self._role_badge = functools.lru_cache(maxsize=16)(lambda role, _locale: self._macros.role_badge(role))

    @property
    def _macros(self):
        if self._module is None:  # made on first use, so the module's globals include `ui` itself
            self._module = templates.env.get_template("_macros.html").module
        return self._module

    def status_badge(self, status: Any) -> Any:
        return self._status_badge(str(status), statuses.generation(), i18n.current())

    def role_badge(self, person: Any) -> Any:
        return self._role_badge(person.role, i18n.current())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._macros, name)


MACROS = Macros()
templates.env.globals["ui"] = MACROS


def card_rows(ideas: Any, tags: Any, passages: Any, visitor: bool) -> list[tuple]:
    """idea_cards' values of each card, worked out in Python and unpacked into the loop's own variables: from a
    template each would be a call through its context or an attribute lookup, and a list shows twenty cards.

    (idea, id, title, URL, login URL (visitors only), voting closed, status badge, tags, profile URL, role badge,
    time ago, comment count, score, upvotes, downvotes, passage)
    """
    ui = MACROS
    number = i18n.number
    rows = []
    for idea in ideas:
        idea_id, author = idea.id, idea.author
        url = urls.idea(idea_id)
        rows.append((idea, idea_id, idea.title, url, urls.login(next=url) if visitor else None, voting_closed(idea),
                     ui.status_badge(idea.status), tags.get(idea_id, ()), urls.profile(author.id),
                     ui.role_badge(author), timeago(idea.created_at), comment_count(idea.comment_count),
                     number(idea.score), number(idea.upvotes), number(idea.downvotes), passages.get(idea_id)))
    return rows


templates.env.globals["card_rows"] = card_rows


def flash(request: Request, message: str, kind: str = "success") -> None:
    """A one-time message shown on the next page the user sees."""
    request.session.setdefault("flash", []).append([kind, message])


class LazyToken:
    """The session's CSRF token, made only when a page prints it: pages without forms then set no cookie."""

    __slots__ = ("session",)

    def __init__(self, session: dict) -> None:
        self.session = session

    def __str__(self) -> str:
        return session_token(self.session)

    __html__ = __str__

    def __bool__(self) -> bool:
        return True


def _context(request: Request, context: dict[str, Any], take_flashes: bool) -> dict[str, Any]:
    user = request.scope.get("user")
    session = request.scope.get("session", {})
    settings = request.state.settings
    return {
        "request": request,
        "user": user,
        "is_staff": bool(user and Role(user.role).is_staff),
        "is_employee": bool(user and Role(user.role).is_employee),
        "csrf_token": LazyToken(session),
        "flashes": session.pop("flash", []) if take_flashes else [],
        "site_name": settings.site_name,
        "unread_count": request.scope.get("unread_count", 0),
        **context,
    }


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, block: str | None = None,
    status_code: int = 200, headers: dict[str, str] | None = None,
) -> Response:
    """Render a whole page, or only one named block of it for an htmx swap."""
    ctx = _context(request, context or {}, take_flashes=block is None)
    if block is not None:
        return templates.TemplateResponse(request, name, ctx, block_name=block, status_code=status_code,
                                          headers=headers)
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)


ERROR_HEADINGS = {
    400: i18n.lazy_gettext("That request was not understood"),
    403: i18n.lazy_gettext("That was not allowed"),
    405: i18n.lazy_gettext("That does not work here"),
    413: i18n.lazy_gettext("That is too much at once"),
    503: i18n.lazy_gettext("Back in a moment"),
}


def error_page(request: Request, status_code: int, detail: str) -> Response:
    """An error in the site's normal layout (the 404 page has its own template)."""
    if status_code == 404:
        return render(request, "errors/404.html", {"detail": detail}, status_code=404)
    heading = ERROR_HEADINGS.get(status_code) or i18n.gettext("That did not work")
    return render(request, "errors/error.html", {"heading": heading, "detail": detail}, status_code=status_code)
