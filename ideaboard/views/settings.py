"""Account settings: name, email, password, sessions, data export and account deletion."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from ideaboard import account_email, accounts, api_keys, auth, i18n, mail, notification_prefs, privacy, tokens
from ideaboard.errors import NotAllowed
from ideaboard.forms import FormErrors, parse_email, parse_name, parse_new_password
from ideaboard.i18n import gettext as _
from ideaboard.i18n import ngettext
from ideaboard.models import ApiKey, User
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views import notification_settings
from ideaboard.views.account import TOKEN_PAGE_HEADERS
from ideaboard.views.common import current_user, form_data, form_list, login_redirect, not_found, path_id, see_other

SETTINGS_URL = urls.settings()


async def _page(request: Request, user: User, errors: dict | None = None, values: dict | None = None,
                status_code: int = 200, new_token: api_keys.NewKey | None = None) -> Response:
    context = {"errors": errors or {}, "values": values or {}, "verified": accounts.is_verified(user),
               "themes": accounts.THEMES, "languages": i18n.LOCALES,
               "other_sessions": await auth.other_sessions(request, user.id),
               "tokens": [k for k in await api_keys.list_keys(user=user) if k.revoked_at is None],
               "token_scopes": api_keys.scopes_for(user), "scope_help": api_keys.SCOPE_HELP, "new_token": new_token,
               **notification_settings.preferences_context(await notification_prefs.preferences(user))}
    headers = {"Cache-Control": "no-store"} if new_token else None  # the token is shown once: keep no copy
    return render(request, "account/settings.html", context, status_code=status_code, headers=headers)


def _member(request: Request) -> User | None:
    return current_user(request)


async def settings_page(request: Request) -> Response:
    user = _member(request)
    if user is None:
        return login_redirect(request)
    return await _page(request, user)


async def change_name(request: Request) -> Response:
    user = _member(request)
    if user is None:
        return login_redirect(request, SETTINGS_URL)
    data = await form_data(request)
    try:
        name = parse_name(data)
    except FormErrors as exc:
        return await _page(request, user, exc.errors, exc.values, status_code=422)
    await accounts.set_name(user, name)
    flash(request, _("Your display name is saved."))
    return see_other(SETTINGS_URL)


async def change_theme(request: Request) -> Response:
    user = _member(request)
    if user is None:
        return login_redirect(request, SETTINGS_URL)
    theme = (await form_data(request)).get("theme", "")
    if theme not in accounts.THEMES:
        return await _page(request, user, {"theme": _("Choose one of the themes.")}, status_code=422)
    await accounts.set_theme(user, theme)
    flash(request, _("Theme: %(theme)s.", theme=accounts.THEMES[theme].lower()))
    return see_other(SETTINGS_URL + "#appearance")


async def change_language(request: Request) -> Response:
    """A member's language; 'auto' (or nothing chosen) follows the browser again."""
    user = _member(request)
    if user is None:
        return login_redirect(request, SETTINGS_URL)
    locale = (await form_data(request)).get("locale", "")
    if locale not in (*i18n.LOCALES, "auto"):
        return await _page(request, user, {"locale": _("Choose one of the languages.")}, status_code=422)
    await accounts.set_locale(user, None if locale == "auto" else locale)
    with i18n.speaking(user.locale or i18n.from_header(request.headers.get("accept-language", ""))):
        flash(request, _("Language: %(name)s.", name=i18n.LOCALES.get(locale, _("as in my browser"))))
    return see_other(SETTINGS_URL + "#appearance")


async def change_email(request: Request) -> Response:
    """Ask to move to a new address: nothing changes until a link sent there is followed."""
    user = _member(request)
    if user is None:
        return login_redirect(request, SETTINGS_URL)
    data = await form_data(request)
    values = {"new_email": data.get("new_email", "")}
    try:
        new_email = parse_email(data, "new_email")
    except FormErrors as exc:
        return await _page(request, user, exc.errors, values, status_code=422)
    if not accounts.password_matches(user, data.get("email_password", "")):
        return await _page(request, user, {"email_password": "That is not your current password."}, values, 422)
    if new_email == user.email:
        return await _page(request, user, {"new_email": "That is already your email address."}, values, 422)
    flash(request, _("We sent a link to %(email)s. Your address changes when you follow it (within 24 hours).",
                     email=new_email))
    response = see_other(SETTINGS_URL)
    if await accounts.email_in_use(new_email):  # same answer, no email: whose address it is stays private
        return response
    email = account_email.email_change_email(request.state.settings, user, new_email)
    response.background = BackgroundTask(mail.send, request.state.settings, email)
    return response


async def confirm_email_change(request: Request) -> Response:
    """The link sent to the new address: the change happens now, and the old address is told."""
    settings = request.state.settings
    try:
        user, new_email = await account_email.email_change_of(settings, request.path_params["token"])
        old_email = user.email
        await accounts.change_email(user, new_email, settings.employee_domains)
    except tokens.InvalidToken as exc:
        return render(request, "account/link_invalid.html", {"reason": exc.reason, "what": "email"},
                      status_code=400, headers=TOKEN_PAGE_HEADERS)
    except accounts.EmailTaken:
        reason = "Another account started using that address meanwhile, so your email stays the same."
        return render(request, "account/link_invalid.html", {"reason": reason, "what": "email"}, status_code=400,
                      headers=TOKEN_PAGE_HEADERS)
    flash(request, _("Your email address is now %(email)s.", email=user.email))
    response = see_other(SETTINGS_URL)
    response.background = BackgroundTask(mail.send, settings, account_email.email_changed_notice(settings, user,
                                                                                                 old_email))
    return response


async def change_password(request: Request) -> Response:
    user = _member(request)
    if user is None:
        return login_redirect(request, SETTINGS_URL)
    data = await form_data(request)
    if not accounts.password_matches(user, data.get("current_password", "")):
        return await _page(request, user, {"current_password": "That is not your current password."}, status_code=422)
    try:
        password = parse_new_password(data, email=user.email, name=user.name, field_name="new_password")
    except FormErrors as exc:
        return await _page(request, user, exc.errors, status_code=422)
    await accounts.set_password(user, password)
    ended = await auth.end_sessions(user.id, keep=request)
    flash(request, ngettext("Your password is changed. %(num)s other session was logged out.",
                            "Your password is changed. %(num)s other sessions were logged out.", ended) if ended
          else _("Your password is changed."))
    return see_other(SETTINGS_URL)


async def log_out_everywhere(request: Request) -> Response:
    user = _member(request)
    if user is None:
        return login_redirect(request, SETTINGS_URL)
    await auth.end_sessions(user.id)
    await auth.log_out(request)
    flash(request, _("You are logged out on every device, this one included."))
    return see_other(urls.login())


async def export(request: Request) -> Response:
    """A JSON download of everything stored about the person."""
    user = _member(request)
    if user is None:
        return login_redirect(request, SETTINGS_URL)
    body = json.dumps(await privacy.export_data(user), indent=2, ensure_ascii=False)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    return Response(body, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="ideaboard-my-data-{stamp}.json"', "Cache-Control": "no-store"})


async def delete_account(request: Request) -> Response:
    user = _member(request)
    if user is None:
        return login_redirect(request, SETTINGS_URL)
    data = await form_data(request)
    if not accounts.password_matches(user, data.get("delete_password", "")):
        return await _page(request, user, {"delete_password": "That is not your current password."}, status_code=422)
    await privacy.erase_account(user)
    await auth.log_out(request)
    flash(request, _("Your account is deleted. Your ideas and comments stay, signed “Former member”."))
    return see_other(urls.board())



async def create_token(request: Request) -> Response:
    """A personal access token for the API, acting as this person; shown once on the page that answers."""
    user = _member(request)
    if user is None:
        return login_redirect(request, SETTINGS_URL)
    data = await form_data(request)
    try:
        new = await api_keys.create_key(user, user, data.get("token_name", ""), await form_list(request, "token_scope"),
                                        personal=True)
    except NotAllowed as exc:
        return await _page(request, user, {"token_name": str(exc)}, {"token_name": data.get("token_name", "")}, 422)
    return await _page(request, user, new_token=new)


async def revoke_token(request: Request) -> Response:
    user = _member(request)
    if user is None:
        return login_redirect(request, SETTINGS_URL)
    key = await ApiKey.get_or_none(id=path_id(request, "key_id"), user_id=user.id)
    if key is None:
        raise not_found("token")
    if await api_keys.revoke_key(user, key):
        flash(request, _("Revoked “%(name)s”: requests with it are refused from now on.", name=key.name))
    return see_other(SETTINGS_URL + "#tokens")
