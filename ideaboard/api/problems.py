"""Errors as RFC 9457 problem documents: the same shape for every refusal, never an HTML page."""

from __future__ import annotations

from starlette.responses import JSONResponse

API_PREFIX = "/api/"
PROBLEM_TYPE = "application/problem+json"
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          406: "Not acceptable", 409: "Conflict", 412: "Precondition failed", 413: "Content too large",
          415: "Unsupported media type", 422: "Unprocessable content", 429: "Too many requests",
          500: "Internal server error", 503: "Service unavailable"}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 412: "precondition_failed", 413: "too_large", 415: "unsupported_media_type",
         422: "invalid", 429: "rate_limited", 500: "server_error", 503: "unavailable"}


def is_api(path: str) -> bool:
    """Requests under /api/ get problem documents instead of the site's error pages."""
    return path.startswith(API_PREFIX) or path == "/api"


def problem(status: int, detail: str, *, code: str | None = None, fields: dict[str, str] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    """One problem document: `code` is stable for programs, `detail` for people, `fields` names bad inputs."""
    body: dict[str, object] = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status,
                               "detail": detail, "code": code or CODES.get(status, "error")}
    if fields:
        body["fields"] = fields
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_TYPE)
