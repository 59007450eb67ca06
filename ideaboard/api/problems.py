"""Errors as RFC 9457 problem documents: the same shape for every refusal, never an HTML page."""

from __future__ import annotations

from starlette.responses import JSONResponse

from ideaboard import i18n
from ideaboard.i18n import gettext as _
from ideaboard.i18n import lazy_gettext

API_PREFIX = "/api/"
PROBLEM_TYPE = "application/problem+json"
# in the caller's language (Accept-Language, i18n.LocaleMiddleware); `type`, `status` and `code` never change
TITLES = {400: lazy_gettext("Bad request"), 401: lazy_gettext("Unauthorized"), 403: lazy_gettext("Forbidden"),
          404: lazy_gettext("Not found"), 405: lazy_gettext("Method not allowed"), 406: lazy_gettext("Not acceptable"),
          409: lazy_gettext("Conflict"), 412: lazy_gettext("Precondition failed"),
          413: lazy_gettext("Content too large"), 415: lazy_gettext("Unsupported media type"),
          422: lazy_gettext("Unprocessable content"), 429: lazy_gettext("Too many requests"),
          500: lazy_gettext("Internal server error"), 503: lazy_gettext("Service unavailable")}
# Starlette's own details (a 405, a 400 from a bad request line) are its reason phrases: said as our titles
_STARLETTE_DETAILS = {"Method Not Allowed": 405, "Bad Request": 400, "Not Found": 404, "Forbidden": 403,
                      "Request Entity Too Large": 413, "Content Too Large": 413, "Unauthorized": 401}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 412: "precondition_failed", 413: "too_large", 415: "unsupported_media_type",
         422: "invalid", 429: "rate_limited", 500: "server_error", 503: "unavailable"}


def is_api(path: str) -> bool:
    """Requests under /api/ get problem documents instead of the site's error pages."""
    return path.startswith(API_PREFIX) or path == "/api"


def problem(status: int, detail: str, *, code: str | None = None, fields: dict[str, str] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    """One problem document: `code` is stable for programs, `detail` for people, `fields` names bad inputs."""
    title = str(TITLES[status]) if status in TITLES else _("Error")
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status, "detail": str(detail),
                               "code": code or CODES.get(status, "error")}
    if fields:
        body["fields"] = fields
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_TYPE)


def starlette_detail(status: int, detail: str) -> str:
    """Starlette's English reason phrase as our title in the caller's language; any other detail as it is."""
    code = _STARLETTE_DETAILS.get(detail)
    if code is None or i18n.current() == i18n.DEFAULT:
        return detail
    return str(TITLES[code])
