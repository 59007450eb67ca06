"""Sign in with an identity provider (OpenID Connect) or with X, and the linked sign-in methods of an account."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import auth, i18n, sso
from ideaboard.i18n import gettext as _
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import current_user, form_data, login_redirect, not_found, path_id, see_other

log = logging.getLogger(__name__)


def _client(request: Request, name: str):
    client = request.state.sso.get(name)
    if client is None:
        raise not_found("sign-in method")
    return client


def _label(request: Request, name: str) -> str:
    return "X" if name == sso.X else request.state.settings.oidc_button_label


def _refused(request: Request, name: str, message: str) -> Response:
    """The friendly page for every failed outside sign-in: what happened, and the way back."""
    return render(request, "account/sso_error.html", {"label": _label(request, name), "message": message},
                  status_code=400)


async def _start(request: Request, name: str) -> Response:
    """Send the person to the provider (POST, so another site cannot start a sign-in or a link for them)."""
    client = _client(request, name)
    data = await form_data(request)
    request.session["sso_next"] = auth.safe_next(data.get("next"))
    callback = request.state.settings.base_url.rstrip("/") + (urls.oidc_callback() if name == sso.OIDC
                                                               else urls.x_callback())
    try:
        return await client.authorize_redirect(request, callback)
    except sso.protocol_errors() as exc:
        log.warning("%s sign-in could not start: %r", name, exc)
        return _refused(request, name, "We could not reach the sign-in service. Please try again in a moment.")


async def oidc_start(request: Request) -> Response:
    return await _start(request, sso.OIDC)


async def x_start(request: Request) -> Response:
    return await _start(request, sso.X)


async def oidc_callback(request: Request) -> Response:
    """Back from the identity provider: Authlib checks state, PKCE, the ID token's signature, issuer, audience,
    expiry and nonce; we then find, link or create the account."""
    client = _client(request, sso.OIDC)
    viewer = current_user(request)
    try:
        issuer = sso.checked_issuer(await client.load_server_metadata(), request.state.settings.oidc_issuer)
        token = await client.authorize_access_token(request, claims_options=sso.id_token_rules(issuer,
                                                                                                client.client_id))
        claims = token.get("userinfo")
        if not claims:
            raise sso.SignInRefused("The identity provider did not send an ID token.")
        user = await sso.oidc_sign_in(issuer, dict(claims), viewer)
    except sso.SignInRefused as exc:
        return _refused(request, sso.OIDC, str(exc))
    except sso.protocol_errors() as exc:
        log.warning("OpenID Connect sign-in refused: %r", exc)
        return _refused(request, sso.OIDC, "We could not confirm this sign-in with the identity provider, so it was "
                                           "not accepted. Start again from the login page.")
    return await _done(request, user, viewer, _label(request, sso.OIDC))


async def x_callback(request: Request) -> Response:
    """Back from X: exchange the code (PKCE), read GET /2/users/me, then link or sign in."""
    client = _client(request, sso.X)
    viewer = current_user(request)
    try:
        token = await client.authorize_access_token(request)
        reply = await client.get("/2/users/me", token=token)
        reply.raise_for_status()
        me = reply.json()["data"]
        user = await sso.x_sign_in(str(me["id"]), str(me["username"]), viewer)
    except sso.SignInRefused as exc:
        return _refused(request, sso.X, str(exc))
    except sso.protocol_errors() as exc:
        log.warning("Sign in with X refused: %r", exc)
        return _refused(request, sso.X, "X did not confirm this sign-in, so it was not accepted. Please try again.")
    return await _done(request, user, viewer, "X")


async def _done(request: Request, user, viewer, label: str) -> Response:
    next_url = auth.safe_next(request.session.pop("sso_next", None))
    if viewer is not None:
        flash(request, _("Your %(label)s account is linked; you can sign in with it from now on.", label=label))
        return see_other(urls.profile(viewer.id))
    await auth.log_in(request, user)
    with i18n.speaking(user.locale):  # their language from the first page after signing in
        flash(request, _("Welcome back, %(name)s.", name=user.name))
    return see_other(next_url)


async def unlink(request: Request) -> Response:
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request, urls.login())
    try:
        identity = await sso.unlink(viewer, path_id(request, "identity_id"))
    except sso.SignInRefused as exc:
        flash(request, str(exc), "error")
    else:
        flash(request, _("@%(name)s is unlinked.", name=identity.username) if identity.provider == sso.X
              else _("That sign-in is unlinked."))
    return see_other(urls.profile(viewer.id))


def sign_in_options(request: Request) -> list[dict[str, str]]:
    """The outside sign-in buttons the login and profile pages show (only the configured ones)."""
    starts = {sso.OIDC: urls.oidc_start(), sso.X: urls.x_start()}
    return [{"name": name, "label": _label(request, name), "url": starts[name]} for name in (sso.OIDC, sso.X)
            if request.state.sso.get(name) is not None]


async def sso_settings(request: Request) -> Response:
    """Admin: who the identity provider makes an employee (a claim value, or verified email domains)."""
    rule = await sso.employee_rule()
    admin = current_user(request)
    if request.method == "POST" and admin is not None:  # the /staff/admin Mount lets only admins in
        data = await form_data(request)
        await sso.set_employee_rule(admin, data.get("claim", ""), data.get("value", ""), data.get("domains", ""))
        flash(request, _("Saved: the identity provider's rule for employees applies from the next sign-in."))
        return see_other(urls.admin_sso())
    return render(request, "staff/sso.html", {"rule": rule, "section": "admin",
                                              "configured": request.state.sso.get(sso.OIDC) is not None,
                                              "issuer": request.state.settings.oidc_issuer})
