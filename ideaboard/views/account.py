"""Sign up, log in, log out, and profile pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import accounts, auth, ratelimit, sso
from ideaboard.forms import FormErrors, parse_signup
from ideaboard.models import Comment, Idea, Tweet, User, Vote
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views import sso as sso_views
from ideaboard.views.common import client_ip, current_user, form_data, not_found, path_id, see_other, throttle


async def signup(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "account/signup.html", {"values": {}, "errors": {}})
    data = await form_data(request)
    try:
        await throttle(request, "signup")
        form = parse_signup(data)
        user = await accounts.sign_up(form, request.state.settings.employee_domains)
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
    except accounts.EmailTaken:
        errors = {"email": "An account with this email already exists. Log in instead?"}
        values = {"email": data.get("email", ""), "name": data.get("name", "")}
        return render(request, "account/signup.html", {"values": values, "errors": errors}, status_code=422)
    auth.log_in(request, user)
    flash(request, f"Welcome to the community, {user.name}!")
    return see_other(auth.safe_next(data.get("next")))


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
    auth.log_in(request, user)
    flash(request, f"Welcome back, {user.name}.")
    return see_other(next_url)


async def logout(request: Request) -> Response:
    auth.log_out(request)
    flash(request, "You are logged out.")
    return see_other(urls.board())


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
