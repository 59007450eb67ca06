"""Sign up, verify, log in, log out, forgotten passwords, and profile pages."""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from ideaboard import account_email, accounts, auth, i18n, mail, ratelimit, sso, tokens
from ideaboard.forms import FormErrors, parse_email, parse_new_password, parse_signup
from ideaboard.i18n import gettext as _
from ideaboard.models import Comment, Idea, Tweet, User, Vote
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views import sso as sso_views
from ideaboard.views.common import (
    client_ip,
    current_user,
    form_data,
    login_redirect,
    not_found,
    path_id,
    see_other,
    throttle,
)

TOKEN_PAGE_HEADERS = {"Referrer-Policy": "same-origin", "Cache-Control": "no-store"}  # pages whose URL holds a token


def _send_later(response: Response, request: Request, email: mail.Email) -> Response:
    """Send after the response: the answer takes the same time whether or not an email goes out."""
    response.background = BackgroundTask(mail.send, request.state.settings, email)
    return response


async def signup(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "account/signup.html", {"values": {}, "errors": {}})
    data = await form_data(request)
    try:
        await throttle(request, "signup")
        form = parse_signup(data)
        result = await accounts.sign_up(form)
    except FormErrors as exc:
        return render(request, "account/signup.html", {"values": exc.values, "errors": exc.errors}, status_code=422)
    except ratelimit.RateLimited as exc:
        values = {"email": data.get("email", ""), "name": data.get("name", "")}
        return render(request, "account/signup.html", {"values": values, "errors": {}, "error": exc.message},
                      status_code=429, headers={"Retry-After": str(exc.retry_after)})
    except accounts.NameImitatesStaff as exc:
        values = {"email": data.get("email", ""), "name": data.get("name", "")}
        return render(request, "account/signup.html", {"values": values, "errors": {"name": exc.message}},
                      status_code=422)
    settings = request.state.settings
    email = (account_email.verification_email(settings, result.user) if result.created
             else account_email.account_exists_email(settings, result.user))
    # The same answer whether or not the address had an account: only its inbox learns which.
    return _send_later(render(request, "account/check_inbox.html", {"email": form.email, "why": "signup"}),
                       request, email)


async def verify(request: Request) -> Response:
    """A verification link: confirms the address (employee role for a company one) and logs in on first use."""
    settings = request.state.settings
    try:
        user = await account_email.user_to_verify(settings, request.path_params["token"])
    except tokens.InvalidToken as exc:
        return _invalid_link(request, exc, "verify")
    if not await accounts.mark_verified(user, settings.employee_domains):
        viewer = current_user(request)
        if viewer is not None and viewer.id == user.id:
            flash(request, _("Your email address is already confirmed."))
            return see_other(urls.board())
        return render(request, "account/link_done.html", {"what": "verify"}, headers=TOKEN_PAGE_HEADERS)
    viewer = current_user(request)
    if viewer is None or viewer.id != user.id:
        await auth.log_in(request, user)
    flash(request, _("Thanks, %(name)s: your email address is confirmed. You can now post, vote and comment.",
                     name=user.name))
    return see_other(urls.board())


async def resend_verification(request: Request) -> Response:
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request, urls.settings())
    data = await form_data(request)
    response = see_other(auth.safe_next(data.get("next") or urls.settings()))
    if accounts.is_verified(viewer):
        flash(request, _("Your email address is already confirmed."))
        return response
    flash(request, _("We sent a new confirmation link to %(email)s.", email=viewer.email))
    return _send_later(response, request, account_email.verification_email(request.state.settings, viewer))


def verification_context(request: Request, sent: bool = False) -> dict:
    """What a form shows when an unverified member tried to post (a message and a resend button)."""
    viewer = current_user(request)
    return {"verify_needed": True, "verify_sent": sent, "verify_email": viewer.email if viewer else ""}


def queue_verification(response: Response, request: Request) -> Response:
    """A form's own "send the link again" button: the email goes out and the typed text stays on the page."""
    viewer = current_user(request)
    if viewer is None or accounts.is_verified(viewer):
        return response
    return _send_later(response, request, account_email.verification_email(request.state.settings, viewer))


async def login(request: Request) -> Response:
    next_url = auth.safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return render(request, "account/login.html", {"values": {}, "error": None, "next": next_url,
                                                      "sign_in_options": sso_views.sign_in_options(request)})
    data = await form_data(request)
    email = data.get("email", "").strip().lower()
    values = {"email": email}
    next_url = auth.safe_next(data.get("next"))
    settings, redis = request.state.settings, request.state.redis
    try:
        await ratelimit.check_login(redis, settings, email, client_ip(request))
    except ratelimit.RateLimited as exc:
        return render(request, "account/login.html", {"values": values, "error": exc.message, "next": next_url},
                      status_code=429, headers={"Retry-After": str(exc.retry_after)})
    user = await accounts.authenticate(email, data.get("password", ""))
    if user is None:
        await ratelimit.login_failed(redis, settings, email)
        error = "That email and password do not match an account."
        context = {"values": values, "error": error, "next": next_url}
        return render(request, "account/login.html", context, status_code=422)
    await auth.log_in(request, user)
    with i18n.speaking(user.locale):  # their language from the first page after signing in
        flash(request, _("Welcome back, %(name)s.", name=user.name))
    return see_other(next_url)


async def logout(request: Request) -> Response:
    await auth.log_out(request)
    flash(request, _("You are logged out."))
    return see_other(urls.board())


async def forgot(request: Request) -> Response:
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    if request.method == "GET":
        return render(request, "account/forgot.html", {"values": {}, "errors": {}})
    data = await form_data(request)
    try:
        await throttle(request, "password_reset")
        email = parse_email(data)
    except FormErrors as exc:
        return render(request, "account/forgot.html", {"values": exc.values, "errors": exc.errors}, status_code=422)
    except ratelimit.RateLimited as exc:
        return render(request, "account/forgot.html", {"values": {"email": data.get("email", "")}, "errors": {},
                                                       "error": exc.message},
                      status_code=429, headers={"Retry-After": str(exc.retry_after)})
    response = render(request, "account/check_inbox.html", {"email": email, "why": "reset"})
    user = await User.get_or_none(email=email, is_active=True)
    if user is None:
        return response
    return _send_later(response, request, account_email.reset_email(request.state.settings, user))


async def password_reset(request: Request) -> Response:
    """The link from the reset email: a new-password form; saving it ends every session and starts a fresh one."""
    token = request.path_params["token"]
    try:
        user = await account_email.user_to_reset(request.state.settings, token)
    except tokens.InvalidToken as exc:
        return _invalid_link(request, exc, "reset")
    context = {"token": token, "errors": {}, "person": user}
    if request.method == "GET":
        return render(request, "account/reset.html", context, headers=TOKEN_PAGE_HEADERS)
    data = await form_data(request)
    try:
        password = parse_new_password(data, email=user.email, name=user.name)
    except FormErrors as exc:
        context["errors"] = exc.errors
        return render(request, "account/reset.html", context, status_code=422, headers=TOKEN_PAGE_HEADERS)
    await accounts.set_password(user, password)
    await accounts.mark_verified(user, request.state.settings.employee_domains)  # the link proved the mailbox
    await auth.end_sessions(user.id)
    await auth.log_in(request, user)
    flash(request, _("Your password is changed, and every other device is logged out."))
    return see_other(urls.board())


def _invalid_link(request: Request, exc: tokens.InvalidToken, what: str) -> Response:
    """A friendly page for an expired, used or broken link, with the way forward (never a 500)."""
    return render(request, "account/link_invalid.html", {"reason": exc.reason, "what": what}, status_code=400,
                  headers=TOKEN_PAGE_HEADERS)


async def profile(request: Request) -> Response:
    person = await User.get_or_none(id=path_id(request, "user_id"), is_active=True)
    if person is None:
        raise not_found("person")
    viewer = current_user(request)
    ideas = await Idea.filter(author=person, hidden=False, space="public").order_by("-created_at").limit(50)
    comments = await (Comment.filter(author=person, hidden=False, idea__hidden=False, idea__space="public")
                      .order_by("-created_at").limit(50).select_related("idea"))
    is_self = bool(viewer and viewer.id == person.id)
    supported = Vote.filter(user=person, idea__hidden=False, idea__space="public")
    if not is_self:  # others see what a person supports; demotes stay private to their owner
        supported = supported.filter(value=1)
    votes = await supported.order_by("-created_at").limit(50).select_related("idea")
    x_account = await sso.x_handle(person)
    tweets = await Tweet.filter(author_id=x_account.subject).order_by("-created_at").limit(20) if x_account else []
    return render(request, "account/profile.html", {
        "person": person, "ideas": ideas, "comments": comments, "votes": votes, "is_self": is_self,
        "x_account": x_account, "tweets": tweets, "identities": await sso.identities_of(person) if is_self else [],
        "sign_in_options": sso_views.sign_in_options(request) if is_self else [], "next": "",
        "oidc_label": request.state.settings.oidc_button_label})
