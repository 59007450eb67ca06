"""One declaration per API route: method, path, scope, query, body and response models, and the errors it answers.

The declaration makes the Starlette Route (app.py lists them), checks the key's scope, counts the key's rate limit,
validates input into the models, turns domain refusals into problem documents, adds ETags to reads, and is what
openapi.py describes. Handlers receive a Call and return a Reply; they do HTTP only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ideaboard import api_keys, i18n, inputs, ratelimit
from ideaboard.accounts import VerifyFirst
from ideaboard.api import schemas
from ideaboard.api.problems import problem
from ideaboard.errors import Conflict, IllegalTransition, NotAllowed, NotFound
from ideaboard.forms import FormErrors
from ideaboard.i18n import gettext as _
from ideaboard.i18n import lazy_gettext
from ideaboard.models import ApiKey, ApiScope, User
from ideaboard.suspensions import Suspended

JSON = "application/json"
BEARER = 'Bearer realm="ideaboard"'


@dataclass
class Call:
    """One API request, parsed: who (the key and its person, or nobody), the query and the body as models."""

    request: Request
    key: ApiKey | None
    query: Any = None
    body: Any = None

    @property
    def user(self) -> User | None:
        return self.key.user if self.key is not None else None

    @property
    def me(self) -> User:
        """The key's person; operations that need a key never reach their handler without one."""
        assert self.key is not None
        return self.key.user


@dataclass
class Reply:
    model: BaseModel | None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class Refused(Exception):
    """A handler's own refusal, answered as this problem document."""

    def __init__(self, status: int, detail: str, code: str | None = None, fields: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.code, self.fields, self.headers = status, detail, code, fields, headers


Handler = Callable[[Call], Awaitable[Reply]]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # below /api/v1, with Starlette convertors ({idea_id:id})
    name: str
    summary: str
    tag: str
    scope: ApiScope  # what a key needs; reads marked `anonymous` also work without any key (as a visitor)
    handler: Handler
    anonymous: bool = False
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    description: str = ""

    def route(self) -> Route:
        async def endpoint(request: Request) -> Response:
            return await self.serve(request)

        endpoint.operation = self  # type: ignore[attr-defined]  # what openapi.py reads off the route table
        endpoint.__doc__ = self.summary
        return Route(self.path, endpoint, methods=[self.method], name=self.name)

    @property
    def all_errors(self) -> list[int]:
        """Every problem status this operation may answer, for the document."""
        found = {400, 401, 403, 429, *self.errors}  # 401 for a bad key and 403 for a missing scope, even on open reads
        if self.query or self.body:
            found.add(422)
        if self.body:
            found |= {413, 415}
        if "{" in self.path:
            found.add(404)
        return sorted(found)

    async def serve(self, request: Request) -> Response:
        key: ApiKey | None = request.scope.get("api_key")
        try:
            self._check_key(key)
            await _count(request, key)
            call = Call(request, key, query=_query(self.query, request))
            if self.body is not None:
                call.body = await _body(self.body, request)
            reply = await self.handler(call)
        except Refused as exc:
            return problem(exc.status, exc.detail, code=exc.code, fields=exc.fields, headers=exc.headers)
        except (FormErrors, ValidationError) as exc:
            return problem(422, _("Some fields are not valid; `fields` says what each needs."), fields=_fields(exc))
        except VerifyFirst as exc:
            return problem(403, str(exc), code="verify_email")
        except ratelimit.RateLimited as exc:
            return problem(429, exc.message, headers={"Retry-After": str(exc.retry_after)})
        except NotFound:
            return problem(404, _("This does not exist, or this key cannot see it."))
        except IllegalTransition as exc:
            return problem(422, str(exc), code="illegal_transition", fields={"status": str(exc)})
        except Conflict as exc:
            return problem(412 if request.headers.get("if-match") else 409, str(exc), code="conflict")
        except Suspended as exc:
            return problem(403, str(exc), code="suspended")
        except NotAllowed as exc:
            return problem(403, str(exc))
        except inputs.Invalid as exc:
            return problem(exc.status_code, exc.message, fields={exc.name: exc.message})
        return _respond(request, reply)

    def _check_key(self, key: ApiKey | None) -> None:
        if key is None:
            if not self.anonymous:
                raise Refused(401, _("Send an API key: `Authorization: Bearer <key>`."), headers={
                    "WWW-Authenticate": BEARER})
            return
        if not api_keys.has_scope(key, self.scope):
            raise Refused(403, _("This key lacks the “%(scope)s” scope.", scope=self.scope.value),
                          code="insufficient_scope",
                          headers={"WWW-Authenticate": f'{BEARER}, error="insufficient_scope", '
                                                       f'scope="{self.scope.value}"'})


def operation(method: str, path: str, *, name: str, tag: str, scope: ApiScope, anonymous: bool = False,
              query: type[BaseModel] | None = None, body: type[BaseModel] | None = None,
              response: type[BaseModel] | None = None, status: int = 200, errors: tuple[int, ...] = ()
              ) -> Callable[[Handler], Operation]:
    """Declare a handler as an API operation (its docstring's first line is the summary, the rest the description)."""
    def declare(handler: Handler) -> Operation:
        summary, _nl, description = (handler.__doc__ or name).strip().partition("\n")
        return Operation(method, path, name, summary.strip(), tag, scope, handler, anonymous, query, body, response,
                         status, errors, description.strip())
    return declare


async def _count(request: Request, key: ApiKey | None) -> None:
    """The per-key limit (per client address without a key), before any other work."""
    settings = request.state.settings
    who = f"key:{key.id}" if key is not None else f"ip:{request.client.host if request.client else 'unknown'}"
    verdict = await ratelimit.hit(request.state.redis, f"api:{who}", settings.api_requests_per_minute, 60)
    if not verdict:
        raise ratelimit.RateLimited(_("This key made more than %(limit)s requests this minute. Wait %(wait)s.",
                                      limit=settings.api_requests_per_minute,
                                      wait=ratelimit.wait_words(verdict.retry_after)), verdict.retry_after)


def _query(model: type[BaseModel] | None, request: Request) -> BaseModel | None:
    params = request.query_params
    if model is None:
        if params:
            raise Refused(422, _("This operation takes no query parameters."),
                          fields={name: _("Unknown parameter.") for name in params})
        return None
    return model.model_validate({name: params[name] for name in params if params[name] != ""})  # empty: unset


async def _body(model: type[BaseModel], request: Request) -> BaseModel:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != JSON:
        raise Refused(415, _("Send the body as JSON, with `Content-Type: application/json`."))
    length = request.headers.get("content-length", "")
    if length.isascii() and length.isdigit() and int(length) > inputs.MAX_BODY_BYTES:
        raise Refused(413, _body_too_large())
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > inputs.MAX_BODY_BYTES:
            raise Refused(413, _body_too_large())
        chunks.append(chunk)
    return model.model_validate_json(b"".join(chunks) or b"null")


def _body_too_large() -> str:
    return _("The body is over %(size)s kB.", size=i18n.number(inputs.MAX_BODY_BYTES // 1000))


# pydantic's complaints, each kind our request models can give, said in the caller's language (English keeps
# pydantic's own words); tests/test_api.py feeds every model bad values and fails on a kind missing here.
_PYDANTIC = {
    "missing": lazy_gettext("Field required"),
    "extra_forbidden": lazy_gettext("Extra inputs are not permitted"),
    "string_type": lazy_gettext("Input should be a valid string"),
    "int_type": lazy_gettext("Input should be a valid integer"),
    "int_parsing": lazy_gettext("Input should be a valid integer, unable to parse string as an integer"),
    "int_parsing_size": lazy_gettext("Input should be a whole number of a sensible size"),
    "int_from_float": lazy_gettext("Input should be a whole number, without a fractional part"),
    "finite_number": lazy_gettext("Input should be a finite number"),
    "bool_type": lazy_gettext("Input should be a valid boolean"),
    "bool_parsing": lazy_gettext("Input should be a valid boolean, unable to interpret input"),
    "list_type": lazy_gettext("Input should be a valid list"),
    "model_type": lazy_gettext("Input should be an object"),
    "model_attributes_type": lazy_gettext("Input should be an object"),
    "dict_type": lazy_gettext("Input should be an object"),
    "is_instance_of": lazy_gettext("Input should be one of the allowed values"),
    "json_invalid": lazy_gettext("The body is not valid JSON"),
    "json_type": lazy_gettext("The body is not valid JSON"),
    "string_too_long": lazy_gettext("Should have at most %(max_length)s characters"),
    "string_too_short": lazy_gettext("Should have at least %(min_length)s characters"),
    "too_long": lazy_gettext("Should have at most %(max_length)s items"),
    "too_short": lazy_gettext("Should have at least %(min_length)s items"),
    "greater_than_equal": lazy_gettext("Should be at least %(ge)s"),
    "less_than_equal": lazy_gettext("Should be at most %(le)s"),
    "greater_than": lazy_gettext("Should be greater than %(gt)s"),
    "less_than": lazy_gettext("Should be less than %(lt)s"),
    "enum": lazy_gettext("Should be one of: %(expected)s"),
    "literal_error": lazy_gettext("Should be one of: %(expected)s"),
    schemas.CONTROL_IN_LINE: lazy_gettext("Contains a control character (such as NUL or a newline)"),
    schemas.CONTROL_IN_TEXT: lazy_gettext("Contains a control character (such as NUL)"),
    schemas.UNKNOWN_STATUS: lazy_gettext("Is not one of this board's statuses (%(keys)s)"),
    "value_error": lazy_gettext("This value is not valid"),
}
_ANY_OTHER = lazy_gettext("This value is not valid")  # a kind pydantic may add one day: still not English
_QUOTED = re.compile(r"'([^']*)'")


def _context(error: Any) -> dict[str, str]:
    """pydantic's numbers written the caller's way, and its 'a', 'b' or 'c' without the English 'or'."""
    ctx = dict(error.get("ctx") or {})
    found = {k: i18n.number(v) if isinstance(v, int) and not isinstance(v, bool) else str(v) for k, v in ctx.items()}
    if "expected" in ctx:
        found["expected"] = ", ".join(f"'{value}'" for value in _QUOTED.findall(str(ctx["expected"])))
    return found


def _pydantic_message(error: Any) -> str:
    """pydantic's message in English; in another language ours, for every kind (a generic one for a new kind)."""
    if i18n.current() == i18n.DEFAULT:
        return error["msg"]
    kind = error["type"]
    if kind in ("too_long", "too_short") and (error.get("ctx") or {}).get("field_type") != "List":
        kind = f"string_{kind}"  # a text's length checked after our validators: characters, not items
    try:
        return str(_PYDANTIC.get(kind, _ANY_OTHER)) % _context(error)
    except (KeyError, TypeError, ValueError):
        return str(_ANY_OTHER)


def _fields(exc: FormErrors | ValidationError) -> dict[str, str]:
    """{field: message}: pydantic's locations joined with dots (`tags.2`), the form rules' messages as they are."""
    if isinstance(exc, FormErrors):
        return dict(exc.errors)
    found: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "body"
        found.setdefault(where, _pydantic_message(error))
    return found


def _respond(request: Request, reply: Reply) -> Response:
    if reply.model is None:
        return Response(status_code=reply.status, headers=reply.headers)
    response = JSONResponse(reply.model.model_dump(mode="json"), status_code=reply.status, headers=reply.headers)
    if request.method in ("GET", "HEAD") and reply.status == 200:
        tag = f'W/"{hashlib.sha256(response.body).hexdigest()[:32]}"'
        response.headers["ETag"] = tag
        response.headers["Cache-Control"] = "private, no-cache"
        if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers={"ETag": tag, "Cache-Control": "private, no-cache"})
    return response


def if_match_version(request: Request) -> int | None:
    """The idea version an `If-Match: "<version>"` header expects, None without one; anything else is a 400."""
    raw = request.headers.get("if-match")
    if raw is None:
        return None
    text = raw.strip().removeprefix("W/").strip('"')
    if not inputs.is_digits(text) or int(text) > inputs.INT_MAX:
        raise Refused(400, _('If-Match takes the idea\'s version in quotes, such as `If-Match: "3"`.'),
                      code="bad_if_match")
    return int(text)


class BearerAuth:
    """Mount middleware for /api/v1: the caller is whoever the bearer key acts as; the session cookie never counts.

    A request without Authorization is a visitor; a bad, revoked or expired key is a 401 before anything runs.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        scope["api_key"], scope["user"] = None, None
        header = Headers(scope=scope).get("authorization")
        if header is not None:
            kind, _sp, token = header.partition(" ")
            key = await api_keys.authenticate(token.strip()) if kind.lower() == "bearer" else None
            if key is None:
                response = problem(401, _("This API key is not valid: it may have been revoked."), code="invalid_key",
                                   headers={"WWW-Authenticate": f'{BEARER}, error="invalid_token"'})
                return await response(scope, receive, send)
            scope["api_key"], scope["user"] = key, key.user
        await self.app(scope, receive, send)
