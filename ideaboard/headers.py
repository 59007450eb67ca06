"""Security headers on every response: a Content-Security-Policy that runs only the site's own files, no framing
(the staff console's buttons cannot be clickjacked), no MIME sniffing, no referrer to other sites, and HSTS on HTTPS.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ideaboard.settings import Settings

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",  # no inline script, no eval: htmx's hx-on and js: values are off (htmx-config in base.html)
    "style-src 'self'",  # no style attributes or <style> blocks either
    "img-src 'self' data: https:",  # an idea's card image may live on another HTTPS host
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])
HSTS = "max-age=31536000; includeSubDomains"


def sign_in_origins(settings: Settings) -> tuple[str, ...]:
    """Where the sign-in buttons' forms may redirect: the identity provider's and X's authorization pages."""
    urls = [settings.oidc_issuer if settings.oidc_issuer and settings.oidc_client_id else "",
            settings.x_authorize_url if settings.x_client_id else ""]
    return tuple(sorted({f"{p.scheme}://{p.netloc}" for p in map(urlsplit, urls) if p.scheme and p.netloc}))


def content_security_policy(form_origins: tuple[str, ...] = ()) -> str:
    """The CSP; Chromium applies form-action to a form's redirects too, so sign-in providers are named there."""
    return CSP.replace("form-action 'self'", " ".join(("form-action 'self'", *form_origins)))


def security_headers(https_only: bool, form_origins: tuple[str, ...] = ()) -> dict[str, str]:
    """The headers every response carries."""
    headers = {
        "Content-Security-Policy": content_security_policy(form_origins),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if https_only:
        headers["Strict-Transport-Security"] = HSTS
    return headers


class SecurityHeadersMiddleware:
    """Adds the headers to every HTTP response (a view that sets one of them keeps its own)."""

    def __init__(self, app: ASGIApp, https_only: bool = False, form_origins: tuple[str, ...] = ()) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode())
                        for k, v in security_headers(https_only, form_origins).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    if name.decode() not in headers:
                        headers.raw.append((name, value))
            await send(message)

        await self.app(scope, receive, send_with_headers)
