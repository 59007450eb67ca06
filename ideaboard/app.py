"""create_app(settings): the route table, the middleware stack and the lifespan, in one readable place."""

from __future__ import annotations

import contextlib
import gc
import html
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypedDict

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from tortoise.contrib.starlette import RegisterTortoise

from ideaboard import (
    accounts,
    htmx,
    i18n,
    images,
    imports,
    inputs,
    live,
    ratelimit,
    redis_packing,
    search_meaning,
    status_store,
    templating,
)
from ideaboard.api import problems
from ideaboard.api import views as api
from ideaboard.api.operations import BearerAuth
from ideaboard.auth import SESSION_SECONDS, LoadUserMiddleware, RequireRole
from ideaboard.csrf import CSRFMiddleware
from ideaboard.headers import SecurityHeadersMiddleware, security_headers, sign_in_origins
from ideaboard.htmx import VaryMiddleware
from ideaboard.i18n import LocaleMiddleware, lazy_gettext
from ideaboard.i18n import gettext as _
from ideaboard.middleware import UnreadCountMiddleware, WorkflowMiddleware
from ideaboard.models import Role
from ideaboard.outage import is_outage
from ideaboard.pagecache import PageCacheMiddleware
from ideaboard.ratelimit import RateLimited
from ideaboard.session_cookie import SessionMiddleware
from ideaboard.settings import Settings
from ideaboard.sso import Providers
from ideaboard.suggest import SuggestCache
from ideaboard.suspensions import Suspended
from ideaboard.templating import error_page, render
from ideaboard.views import (
    account,
    board_data,
    budget_admin,
    campaign_staff,
    clusters,
    community,
    crawlers,
    desk,
    flags,
    notification_settings,
    public,
    similar,
    social,
    staff,
    updates,
    workflow_admin,
)
from ideaboard.views import api_keys as key_views
from ideaboard.views import campaigns as campaign_views
from ideaboard.views import images as image_views
from ideaboard.views import moderation as moderation_views
from ideaboard.views import settings as account_settings
from ideaboard.views import sso as sso_views
from ideaboard.views import webhooks as webhook_views

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
UNSUBSCRIBE_POST = re.compile(r"/unsubscribe/[A-Za-z0-9_.\-]+")  # the one-click unsubscribe route, nothing else
# Forms that send a file, with the largest body each may have (their views check the file itself)
IMAGE_BODY, IMPORT_BODY = images.MAX_UPLOAD_BYTES + 64 * 1024, imports.MAX_BYTES + 64 * 1024
UPLOAD_POSTS = tuple((re.compile(path), size) for path, size in (
    (r"/ideas/new", IMAGE_BODY), (r"/ideas/\d+/comments", IMAGE_BODY),  # a picture attached while writing
    (r"/ideas/\d+/image", IMAGE_BODY), (r"/comments/\d+/image", IMAGE_BODY),
    (r"/staff/campaigns/\d+/image", IMAGE_BODY), (r"/staff/admin/data", IMPORT_BODY)))


class State(TypedDict):
    settings: Settings
    redis: ArqRedis
    arq: ArqRedis
    suggest: SuggestCache
    sso: Providers
    live: live.Hub
    publisher: live.Publisher


STAFF = (Role.STAFF, Role.ADMIN)
ADMINS = (Role.ADMIN,)


def build_routes() -> list[BaseRoute]:
    """Every URL, grouped by who may use it: the access map of the whole app."""
    visitors = [  # anyone, signed in or not
        Route("/", public.board, name="board"),
        Route("/search", public.search, name="search"),
        Route("/ideas/similar", similar.similar_ideas, name="similar_ideas"),
        Route("/ideas/{idea_id:id}", public.idea_detail, name="idea"),
        Route("/roadmap", community.roadmap, name="roadmap"),
        Route("/launched", community.launched, name="launched"),
        Route("/campaigns", campaign_views.index, name="campaigns"),  # internal campaigns: employees only (404)
        Route("/campaigns/{key:str}", campaign_views.detail, name="campaign"),
        Route("/campaigns/{key:str}/results", campaign_views.results, name="campaign_results"),
        Route("/users/{user_id:id}", account.profile, name="profile"),
        Route("/feeds/ideas.atom", crawlers.board_feed, name="board_feed"),
        Route("/feeds/launched.atom", crawlers.launched_feed, name="launched_feed"),
        Route("/robots.txt", crawlers.robots, name="robots"),
        Route("/sitemap.xml", crawlers.sitemap, name="sitemap"),
        Route("/sitemaps/{chunk:id}.xml", crawlers.sitemap_part, name="sitemap_part"),
        Route("/favicon.ico", crawlers.favicon, name="favicon"),
        Route("/statuses.css", community.status_styles, name="status_styles"),  # the admins' status colours
        Route("/live", updates.stream, name="live"),  # Server-Sent Events; each topic authorized in the view
        Route("/images/{key:str}", image_views.serve, name="image"),  # each picture only to who may see its idea
        Route("/images/{key:str}/thumb", image_views.serve, name="image_thumb"),
        Route("/signup", account.signup, methods=["GET", "POST"], name="signup"),
        Route("/login", account.login, methods=["GET", "POST"], name="login"),
        Route("/logout", account.logout, methods=["POST"], name="logout"),
        # whoever holds the email: the signed token is the proof (no login; the only POST exempt from CSRF)
        Route("/unsubscribe/{token:str}", notification_settings.unsubscribe_link, methods=["GET", "POST"],
              name="unsubscribe"),
        Route("/verify/{token}", account.verify, name="verify_email"),  # the link in the verification email
        Route("/forgot", account.forgot, methods=["GET", "POST"], name="forgot"),
        Route("/password-reset/{token}", account.password_reset, methods=["GET", "POST"], name="password_reset"),
        Route("/settings/email/{token}", account_settings.confirm_email_change, name="settings_email_confirm"),
        # signing in with an identity provider or X (signed in: linking it to the account)
        Route("/login/oidc", sso_views.oidc_start, methods=["POST"], name="oidc_start"),
        Route("/login/oidc/callback", sso_views.oidc_callback, name="oidc_callback"),
        Route("/login/x", sso_views.x_start, methods=["POST"], name="x_start"),
        Route("/login/x/callback", sso_views.x_callback, name="x_callback"),
    ]
    members = [  # signed in: each view sends visitors to log in first
        Route("/internal", public.internal_board, name="internal"),  # employees only: others get a 404
        Route("/ideas/new", public.new_idea, methods=["GET", "POST"], name="new_idea"),
        Route("/ideas/{idea_id:id}/edit", public.edit_idea, methods=["GET", "POST"], name="edit_idea"),
        Route("/ideas/{idea_id:id}/vote", public.vote, methods=["POST"], name="vote"),
        Route("/ideas/{idea_id:id}/comments", public.add_comment, methods=["POST"], name="add_comment"),
        Route("/ideas/{idea_id:id}/follow", community.follow, methods=["POST"], name="follow"),
        Route("/ideas/{idea_id:id}/report", flags.report_idea, methods=["GET", "POST"], name="report_idea"),
        Route("/comments/{comment_id:id}/delete", public.delete_comment, methods=["POST"], name="delete_comment"),
        Route("/comments/{comment_id:id}/edit", public.edit_comment, methods=["GET", "POST"], name="edit_comment"),
        Route("/ideas/{idea_id:id}/image", image_views.upload_to_idea, methods=["POST"], name="idea_image"),
        Route("/comments/{comment_id:id}/image", image_views.upload_to_comment, methods=["POST"],
              name="comment_image"),
        Route("/comments/{comment_id:id}/report", flags.report_comment, methods=["GET", "POST"],
              name="report_comment"),
        Route("/campaigns/{key:str}/follow", campaign_views.follow, methods=["POST"], name="campaign_follow"),
        Route("/notifications", community.notification_list, name="notifications"),
        Route("/feedback/{feedback_id:id}/withdraw", community.withdraw_feedback, methods=["POST"],
              name="withdraw_feedback"),
        Route("/notifications/bell", updates.bell, name="bell"),  # the header's bell, re-fetched live
        Route("/mentions", updates.mention_suggestions, name="mentions"),  # @name autocomplete in comment boxes
        Route("/settings/notifications", notification_settings.notification_settings, methods=["GET", "POST"],
              name="notification_settings"),
        Route("/verify/resend", account.resend_verification, methods=["POST"], name="resend_verification"),
        Route("/settings", account_settings.settings_page, name="settings"),
        Route("/settings/name", account_settings.change_name, methods=["POST"], name="settings_name"),
        Route("/settings/email", account_settings.change_email, methods=["POST"], name="settings_email"),
        Route("/settings/theme", account_settings.change_theme, methods=["POST"], name="settings_theme"),
        Route("/settings/language", account_settings.change_language, methods=["POST"], name="settings_language"),
        Route("/settings/password", account_settings.change_password, methods=["POST"], name="settings_password"),
        Route("/settings/logout-everywhere", account_settings.log_out_everywhere, methods=["POST"],
              name="settings_logout_everywhere"),
        Route("/settings/export", account_settings.export, name="settings_export"),
        Route("/settings/delete", account_settings.delete_account, methods=["POST"], name="settings_delete"),
        Route("/settings/tokens", account_settings.create_token, methods=["POST"], name="settings_tokens"),
        Route("/settings/tokens/{key_id:id}/revoke", account_settings.revoke_token, methods=["POST"],
              name="settings_token_revoke"),
        Route("/account/identities/{identity_id:id}/unlink", sso_views.unlink, methods=["POST"],
              name="unlink_identity"),
    ]
    admin = [  # /staff/admin: admins only
        Route("/categories", staff.categories_page, methods=["GET", "POST"], name="categories"),
        Route("/categories/{category_id:id}/rename", staff.rename_category, methods=["POST"],
              name="rename_category"),
        Route("/categories/{category_id:id}/move", staff.move_category, methods=["POST"], name="move_category"),
        Route("/categories/{category_id:id}/delete", staff.delete_category, methods=["POST"],
              name="delete_category"),
        Route("/statuses", workflow_admin.statuses_page, methods=["GET", "POST"], name="statuses"),
        Route("/statuses/transitions", workflow_admin.save_transitions, methods=["POST"], name="status_transitions"),
        Route("/statuses/{key:str}/edit", workflow_admin.edit_status, methods=["POST"], name="edit_status"),
        Route("/statuses/{key:str}/move", workflow_admin.move_status, methods=["POST"], name="move_status"),
        Route("/statuses/{key:str}/delete", workflow_admin.delete_status, methods=["GET", "POST"],
              name="delete_status"),
        Route("/vote-budgets", budget_admin.vote_budgets_page, methods=["GET", "POST"], name="vote_budgets"),
        Route("/users", staff.users_page, name="users"),
        Route("/users/{user_id:id}/role", staff.change_role, methods=["POST"], name="change_role"),
        Route("/users/{user_id:id}/deactivate", staff.deactivate_user, methods=["POST"], name="deactivate_user"),
        Route("/users/{user_id:id}/reactivate", staff.reactivate_user, methods=["POST"], name="reactivate_user"),
        Route("/users/{user_id:id}/suspend", moderation_views.suspend_user, methods=["POST"], name="suspend_user"),
        Route("/users/{user_id:id}/unsuspend", moderation_views.unsuspend_user, methods=["POST"],
              name="unsuspend_user"),
        Route("/sso", sso_views.sso_settings, methods=["GET", "POST"], name="sso_settings"),
        Route("/api-keys", key_views.api_keys_page, methods=["GET", "POST"], name="api_keys"),
        Route("/api-keys/{key_id:id}/revoke", key_views.revoke_key, methods=["POST"], name="revoke_api_key"),
        Route("/data", board_data.data_page, methods=["GET", "POST"], name="data"),  # CSV import (and the exports)
        Route("/webhooks", webhook_views.webhooks_page, methods=["GET", "POST"], name="webhooks"),
        Route("/webhooks/{endpoint_id:id}", webhook_views.endpoint_page, name="webhook"),
        Route("/webhooks/{endpoint_id:id}/enabled", webhook_views.set_enabled, methods=["POST"],
              name="webhook_enabled"),
        Route("/webhooks/{endpoint_id:id}/rotate", webhook_views.rotate_secret, methods=["POST"],
              name="webhook_rotate"),
        Route("/webhooks/deliveries/{delivery_id:id}/resend", webhook_views.send_again, methods=["POST"],
              name="webhook_resend"),
    ]
    staff_console = [  # /staff: the product team (staff and admins)
        Route("/", staff.queue, name="queue"),
        Route("/bulk", staff.bulk, methods=["POST"], name="bulk"),
        Route("/ideas/{idea_id:id}", staff.idea_page, name="idea"),
        Route("/ideas/{idea_id:id}/status", staff.change_status, methods=["POST"], name="change_status"),
        Route("/ideas/{idea_id:id}/respond", staff.respond, methods=["POST"], name="respond"),
        Route("/ideas/{idea_id:id}/owner", staff.set_owner, methods=["POST"], name="set_owner"),
        Route("/ideas/{idea_id:id}/merge", staff.merge_into, methods=["POST"], name="merge"),
        Route("/ideas/{idea_id:id}/feedback", staff.capture_feedback, methods=["POST"], name="capture_feedback"),
        Route("/ideas/{idea_id:id}/hide", staff.hide_idea, methods=["POST"], name="hide_idea"),
        Route("/ideas/{idea_id:id}/restore", staff.restore_idea, methods=["POST"], name="restore_idea"),
        Route("/ideas/{idea_id:id}/unmerge", moderation_views.unmerge, methods=["POST"], name="unmerge"),
        Route("/ideas/{idea_id:id}/redact", moderation_views.redact_idea, methods=["POST"], name="redact_idea"),
        Route("/ideas/{idea_id:id}/notes", moderation_views.add_note, methods=["POST"], name="staff_note"),
        Route("/comments/{comment_id:id}/redact", moderation_views.redact_comment, methods=["GET", "POST"],
              name="redact_comment"),
        Route("/ideas/{idea_id:id}/share", social.share_page, methods=["GET", "POST"], name="share_idea"),
        Route("/ideas/{idea_id:id}/share/preview", social.share_preview, methods=["POST"], name="share_preview"),
        Route("/comments/{comment_id:id}/hide", staff.hide_comment, methods=["POST"], name="hide_comment"),
        Route("/comments/{comment_id:id}/restore", staff.restore_comment, methods=["POST"], name="restore_comment"),
        Route("/ideas/{idea_id:id}/campaign", campaign_staff.move_idea, methods=["POST"], name="idea_campaign"),
        Route("/campaigns", campaign_staff.campaign_list, methods=["GET", "POST"], name="campaigns"),
        Route("/campaigns/{campaign_id:id}", campaign_staff.campaign_edit, methods=["GET", "POST"],
              name="campaign"),
        Route("/campaigns/{campaign_id:id}/image", image_views.upload_to_campaign, methods=["POST"],
              name="campaign_image"),
        Route("/flags", staff.flag_queue, name="flags"),
        Route("/flags/{flag_id:id}/dismiss", staff.dismiss_flag, methods=["POST"], name="dismiss_flag"),
        Route("/reviews", moderation_views.review_queue, name="reviews"),
        Route("/reviews/{review_id:id}/approve", moderation_views.approve, methods=["POST"], name="approve_review"),
        Route("/reviews/{review_id:id}/reject", moderation_views.reject, methods=["POST"], name="reject_review"),
        Route("/audit", staff.audit_log, name="audit"),  # read-only: no route edits or deletes an entry
        Route("/export/ideas.csv", board_data.export_ideas, name="export_ideas"),  # the board as CSV, audited
        Route("/export/votes.csv", board_data.export_votes, name="export_votes"),
        Route("/analytics", staff.analytics_page, name="analytics"),
        Route("/clusters", clusters.cluster_list, name="clusters"),
        Route("/clusters/merge", clusters.merge_cluster, methods=["POST"], name="merge_cluster"),
        Route("/themes", clusters.theme_map_page, name="theme_map"),
        Route("/themes/{slug:str}/publish", clusters.publish_theme, methods=["POST"], name="publish_theme"),
        Route("/tweets", social.tweets_page, name="tweets"),
        Route("/tweets/{tweet_id:str}/idea", social.tweet_to_idea, methods=["GET", "POST"], name="tweet_to_idea"),
        Route("/desk", desk.inbox, name="desk"),
        Route("/desk/saved-replies", desk.saved_reply, methods=["POST"], name="desk_saved_reply"),
        Route("/desk/saved-replies/{reply_id:id}/delete", desk.delete_saved_reply, methods=["POST"],
              name="desk_saved_reply_delete"),
        Route("/desk/people/{handle:str}", desk.customer, name="desk_customer"),
        Route("/desk/{conversation_id:id}", desk.conversation_page, name="conversation"),
        Route("/desk/{conversation_id:id}/assign", desk.assign, methods=["POST"], name="conversation_assign"),
        Route("/desk/{conversation_id:id}/reply", desk.reply, methods=["POST"], name="conversation_reply"),
        Route("/desk/{conversation_id:id}/reply/preview", desk.reply_preview, methods=["POST"],
              name="conversation_reply_preview"),
        Route("/desk/{conversation_id:id}/link", desk.link, methods=["POST"], name="conversation_link"),
        Route("/desk/{conversation_id:id}/idea", desk.to_idea, methods=["GET", "POST"], name="conversation_idea"),
        Route("/desk/{conversation_id:id}/ticket", desk.ticket, methods=["POST"], name="conversation_ticket"),
        Route("/desk/{conversation_id:id}/dismiss", desk.dismiss, methods=["POST"], name="conversation_dismiss"),
        Mount("/admin", routes=admin, name="admin", middleware=[Middleware(RequireRole, roles=ADMINS)]),
    ]
    api_v1 = [  # /api/v1: whoever the bearer key acts as (api/operations.py BearerAuth), each route's scope declared
        *(op.route() for op in api.OPERATIONS),
        Route("/openapi.json", api.openapi_document, name="api_openapi"),
    ]
    api_docs = [  # anyone: the API's description
        Route("/api", api.reference, name="api_reference"),
        Route("/openapi.json", api.openapi_document, name="openapi"),
    ]
    return hot_first([
        *visitors,
        *members,
        *api_docs,
        # the session cookie never authorizes the API: only a key does (and bearer requests skip CSRF)
        Mount("/api/v1", routes=api_v1, name="api", middleware=[Middleware(BearerAuth)]),
        # THE access check for the console: nothing under /staff runs for anyone else
        Mount("/staff", routes=staff_console, name="staff", middleware=[Middleware(RequireRole, roles=STAFF)]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])


HOT_FIRST = ("vote",)  # the busiest write: Starlette's router tries each route in turn (the vote was the 36th)


def hot_first(routes: list[BaseRoute]) -> list[BaseRoute]:
    """The table with HOT_FIRST's routes in front; no other route serves their paths (tests/test_urls.py), so the
    order changes what is tried first, not what answers."""
    hot = [route for route in routes if getattr(route, "name", None) in HOT_FIRST]
    return hot + [route for route in routes if route not in hot]


@contextlib.asynccontextmanager
async def open_redis(settings: Settings) -> AsyncIterator[ArqRedis]:
    """The configured Redis, or the embedded one started here when REDIS_URL is unset."""
    server = None
    url = settings.redis_url
    if not url:
        from ideaboard.redis_embedded import start_embedded_redis

        server, url = start_embedded_redis(settings.data_dir)
    redis = await create_pool(RedisSettings.from_dsn(url), default_queue_name="arq:queue")
    await redis_packing.install(redis)
    try:
        yield redis
    finally:
        await redis.aclose()
        if server is not None:
            server.shutdown()


async def not_found(request: Request, exc: Exception) -> Response:
    detail = exc.detail if isinstance(exc, HTTPException) else "Not found"
    if problems.is_api(request.url.path):
        return problems.problem(404, _("There is no such API endpoint, or nothing with that id."))
    return render(request, "errors/404.html", {"detail": detail}, status_code=404)


async def http_error(request: Request, exc: Exception) -> Response:
    """400, 405 and 413 from Starlette itself, and the staff console's 403 (auth.RequireRole), in the normal layout."""
    assert isinstance(exc, HTTPException)
    if problems.is_api(request.url.path):
        return problems.problem(exc.status_code, problems.starlette_detail(exc.status_code, exc.detail),
                                headers=dict(exc.headers or {}))
    response = error_page(request, exc.status_code, exc.detail)
    response.headers.update(exc.headers or {})  # Allow on a 405
    return response


async def invalid_input(request: Request, exc: Exception) -> Response:
    """A malformed parameter (400), an id nothing can have (404), a body too large (413): never a 500."""
    assert isinstance(exc, inputs.Invalid)
    if problems.is_api(request.url.path):
        return problems.problem(exc.status_code, exc.message, fields={exc.name: exc.message})
    return error_page(request, exc.status_code, exc.message)


async def rate_limited(request: Request, exc: Exception) -> Response:
    """429 with Retry-After, in the page's layout; htmx shows the message in the page's message area."""
    assert isinstance(exc, RateLimited)
    headers = {"Retry-After": str(exc.retry_after)}
    if problems.is_api(request.url.path):
        return problems.problem(429, exc.message, headers=headers)
    if htmx.is_request(request):
        return htmx.show_message(render(request, "errors/429.html", {"message": exc.message}, block="message",
                                        status_code=429, headers=headers))
    return render(request, "errors/429.html", {"message": exc.message}, status_code=429, headers=headers)


async def suspended(request: Request, exc: Exception) -> Response:
    """A suspended member tried to write where the view has no form to show it on: 403 with the reason."""
    if problems.is_api(request.url.path):
        return problems.problem(403, str(exc), code="suspended")
    if htmx.is_request(request):
        return htmx.show_message(render(request, "errors/429.html", {"message": str(exc)}, block="message",
                                        status_code=403))
    return error_page(request, 403, str(exc))


async def server_error(request: Request, exc: Exception) -> Response:
    """The 500 (and outage 503) page: ServerErrorMiddleware calls this outside every other middleware, the locale's
    too, so it speaks the request's language itself."""
    with i18n.speaking(i18n.of_request(request.scope)):
        return _server_error(request, exc)


def _server_error(request: Request, exc: Exception) -> Response:
    if is_outage(exc):  # the database or Redis dropped us mid-request: a moment later it works again
        log.warning("service unavailable on %s: %s: %s", request.url.path, type(exc).__name__, exc)
        response = problems.problem(503, str(OUTAGE_MESSAGE)) if problems.is_api(request.url.path) \
            else error_page(request, 503, str(OUTAGE_MESSAGE))
        response.headers["Retry-After"] = "2"
        return response
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    response = problems.problem(500, _("Something went wrong on our side.")) if problems.is_api(request.url.path) \
        else _page_500(request)
    settings = request.state.settings
    # outside the middleware stack, so set here
    response.headers.update(security_headers(settings.https_only, sign_in_origins(settings)))
    return response


OUTAGE_MESSAGE = lazy_gettext("We lost our connection to the database for a moment. Please try again in a few "
                              "seconds.")


def _page_500(request: Request) -> Response:
    """The 500 page in the site's layout; if even that fails, the same words on a bare page (never a second 500)."""
    try:
        return render(request, "errors/500.html", status_code=500)
    except Exception:  # the last resort must answer whatever broke
        log.exception("the 500 page could not be rendered")
        words = html.escape(_("Nothing you typed is lost: go back and try again in a moment. We have been notified."))
        return HTMLResponse(f'<!doctype html><html lang="{i18n.html_lang()}"><title>'
                            f'{html.escape(_("Something went wrong on our side"))}</title>'
                            f"<h1>{html.escape(_('Something went wrong on our side'))}</h1><p>{words}</p></html>",
                            status_code=500)


def create_app(settings: Settings | None = None, *, freeze_heap: bool = False) -> Starlette:
    """The ideaboard web app; tests pass their own Settings. `freeze_heap`: see create_served_app."""
    settings = settings or Settings.from_env()
    templating.configure(debug=settings.debug)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        async with RegisterTortoise(app, config=settings.tortoise_config()), open_redis(settings) as redis:
            await status_store.load()  # the board's statuses and transition table
            hub = live.Hub(redis)  # the process's one subscription for live updates
            publisher = live.Publisher(redis)  # and its one sender: every request's events in one round trip
            ratelimit.carry(redis, publisher)  # which a rate-limit count on its way takes along
            search_meaning.install(redis)  # search re-ranked by meaning where the model is installed
            if freeze_heap:
                gc.collect()
                gc.freeze()
            try:
                yield {"settings": settings, "redis": redis, "arq": redis, "suggest": SuggestCache(settings),
                       "sso": Providers(settings, redis), "live": hub, "publisher": publisher}
            finally:
                ratelimit.carry(redis, None)
                await publisher.close()  # what requests told in the last moment still goes out
                search_meaning.uninstall()
                await hub.close()
                if freeze_heap:
                    gc.unfreeze()

    middleware = [
        # every response but the 500 page
        Middleware(SecurityHeadersMiddleware, https_only=settings.https_only, form_origins=sign_in_origins(settings)),
        Middleware(VaryMiddleware),  # outside the page cache, so kept pages say it too
        Middleware(SessionMiddleware, secret_key=settings.secret_key, session_cookie="ideaboard_session",
                   same_site="lax", https_only=settings.https_only, max_age=SESSION_SECONDS),
        Middleware(PageCacheMiddleware, seconds=settings.page_cache_seconds),  # visitors' pages; needs the session
        Middleware(CSRFMiddleware, exempt_posts=(UNSUBSCRIBE_POST,), bearer_prefix=problems.API_PREFIX,
                   upload_posts=UPLOAD_POSTS),
        Middleware(WorkflowMiddleware),  # the board's statuses as admins last saved them
        Middleware(LoadUserMiddleware),
        # the member's language, else the browser's (needs the user); kept on the account for their emails
        Middleware(LocaleMiddleware, remember=accounts.remember_locale),
        Middleware(UnreadCountMiddleware),
        Middleware(live.LiveMiddleware),  # publishes a request's live updates once its view is done
    ]
    return Starlette(
        debug=settings.debug, routes=build_routes(), middleware=middleware, lifespan=lifespan,
        exception_handlers={404: not_found, 400: http_error, 403: http_error, 405: http_error, 413: http_error,
                            500: server_error, inputs.Invalid: invalid_input, RateLimited: rate_limited,
                            Suspended: suspended},
    )


def create_served_app() -> Starlette:
    """The app as `ideaboard serve` runs it in each web process: the heap it holds once started (modules, templates,
    the ORM's tables) is frozen out of the garbage collector, whose full passes otherwise walk all of it and stop
    every request of the process while they do (README, "Profiler notes": the one-process tail)."""
    return create_app(freeze_heap=True)
