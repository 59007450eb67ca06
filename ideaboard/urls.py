"""Every URL the app links to or redirects to, built in one place (after Datasette's url_builder: plain f-strings).

Templates get this as `urls`, views use it for redirects; the route table in app.py is what serves them, and
tests/test_urls.py checks that each method's path is one the table serves.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus, urlencode

from ideaboard import statuses

Query = str | int | None


def _query(**params: Query) -> str:
    """`?a=1&b=2` from the parameters that are set, or nothing (urlencode's output, without its quoting where a
    value needs none: ids, slugs and the live stream's event id, on every page)."""
    if not params:  # the common case (a card's links): no dict comprehension, no urlencode
        return ""
    pairs = [f"{key}={text if _UNQUOTED.fullmatch(text := str(value)) else quote_plus(text)}"
             for key, value in params.items() if value not in (None, "")]
    return "?" + "&".join(pairs) if pairs else ""


_UNQUOTED = re.compile(r"[A-Za-z0-9_.~-]*")  # what quote_plus leaves as it is
_UNQUOTED_PATH = re.compile(r"[A-Za-z0-9_.~/-]*")  # what quote(safe="/") leaves as it is: an idea's path, say


class Urls:
    """Paths, not absolute URLs: the app is served from the root of its host."""

    def static(self, path: str) -> str:
        return f"/static/{path}"

    # visitors
    def board(self, **query: Query) -> str:
        return "/" + _query(**query)

    def search(self, q: str | None = None) -> str:
        return "/search" + _query(q=q)

    def similar_ideas(self) -> str:
        return "/ideas/similar"

    def idea(self, idea_id: int, **query: Query) -> str:
        return f"/ideas/{idea_id}" + _query(**query) if query else f"/ideas/{idea_id}"

    def board_feed(self) -> str:
        return "/feeds/ideas.atom"

    def launched_feed(self) -> str:
        return "/feeds/launched.atom"

    def robots(self) -> str:
        return "/robots.txt"

    def sitemap(self) -> str:
        return "/sitemap.xml"

    def sitemap_part(self, chunk: int) -> str:
        return f"/sitemaps/{chunk}.xml"

    def favicon(self) -> str:
        return "/favicon.ico"

    def status_styles(self) -> str:
        """The admins' status colours; the version changes with them, so browsers may keep each copy."""
        return f"/statuses.css?v={statuses.style_version()}"

    def live(self, board: str | None = None, idea: int | None = None, queue: int | None = None,
             desk: int | None = None, since: str | None = None) -> str:
        """The page's one event stream: the topics it shows (the viewer's bell comes with any of them), from the
        event id `since` (when the page was rendered: a cached copy catches up)."""
        return "/live" + _query(board=board, idea=idea, queue=queue, desk=desk, since=since)

    def roadmap(self) -> str:
        return "/roadmap"

    def launched(self) -> str:
        return "/launched"

    def campaigns(self) -> str:
        return "/campaigns"

    def campaign(self, key: str | int, **query: Query) -> str:
        """A campaign's page, by slug (or id)."""
        return f"/campaigns/{quote(str(key), safe='')}" + _query(**query)

    def campaign_results(self, key: str | int) -> str:
        return f"/campaigns/{quote(str(key), safe='')}/results"

    def campaign_follow(self, key: str | int) -> str:
        return f"/campaigns/{quote(str(key), safe='')}/follow"

    def profile(self, user_id: int) -> str:
        return f"/users/{user_id}"

    def signup(self) -> str:
        return "/signup"

    def login(self, next: str | None = None) -> str:
        """The login page; `next` (a path on this site) is where to go after logging in."""
        if not next:
            return "/login"
        return f"/login?next={next if _UNQUOTED_PATH.fullmatch(next) else quote(next, safe='/')}"

    def logout(self) -> str:
        return "/logout"

    def unsubscribe(self, token: str) -> str:
        """The link in every notification email (works logged out: the signed token is the proof)."""
        return f"/unsubscribe/{token}"

    # accounts: verification, password reset, settings
    def verify_email(self, token: str) -> str:
        return f"/verify/{token}"

    def resend_verification(self) -> str:
        return "/verify/resend"

    def forgot(self) -> str:
        return "/forgot"

    def password_reset(self, token: str) -> str:
        return f"/password-reset/{token}"

    def settings(self) -> str:
        return "/settings"

    def settings_email_confirm(self, token: str) -> str:
        return f"/settings/email/{token}"

    def settings_name(self) -> str:
        return "/settings/name"

    def settings_theme(self) -> str:
        return "/settings/theme"

    def settings_language(self) -> str:
        return "/settings/language"

    def settings_email(self) -> str:
        return "/settings/email"

    def settings_password(self) -> str:
        return "/settings/password"

    def settings_logout_everywhere(self) -> str:
        return "/settings/logout-everywhere"

    def settings_export(self) -> str:
        return "/settings/export"

    def settings_delete(self) -> str:
        return "/settings/delete"

    def settings_tokens(self) -> str:
        return "/settings/tokens"

    def settings_token_revoke(self, key_id: int) -> str:
        return f"/settings/tokens/{key_id}/revoke"

    # members
    def internal(self, **query: Query) -> str:
        return "/internal" + _query(**query)

    def new_idea(self, space: str | None = None, campaign: int | None = None) -> str:
        return "/ideas/new" + _query(space=space if space == "internal" else None, campaign=campaign)

    def idea_edit(self, idea_id: int) -> str:
        return f"/ideas/{idea_id}/edit"

    def idea_vote(self, idea_id: int) -> str:
        return f"/ideas/{idea_id}/vote"

    def idea_comments(self, idea_id: int) -> str:
        return f"/ideas/{idea_id}/comments"

    def idea_follow(self, idea_id: int) -> str:
        return f"/ideas/{idea_id}/follow"

    def idea_report(self, idea_id: int) -> str:
        return f"/ideas/{idea_id}/report"

    def comment_delete(self, comment_id: int) -> str:
        return f"/comments/{comment_id}/delete"

    def comment_edit(self, comment_id: int) -> str:
        return f"/comments/{comment_id}/edit"

    def comment_image(self, comment_id: int) -> str:
        return f"/comments/{comment_id}/image"

    def idea_image(self, idea_id: int) -> str:
        return f"/ideas/{idea_id}/image"

    def image(self, key: str) -> str:
        return f"/images/{key}"

    def image_thumb(self, key: str) -> str:
        return f"/images/{key}/thumb"

    def comment_report(self, comment_id: int) -> str:
        return f"/comments/{comment_id}/report"

    def notifications(self) -> str:
        return "/notifications"

    def bell(self) -> str:
        return "/notifications/bell"

    def mentions(self, idea: int | None = None) -> str:
        return "/mentions" + _query(idea=idea)

    def notification_settings(self) -> str:
        return "/settings/notifications"

    # staff
    def staff_queue(self, **query: Query) -> str:
        return "/staff/" + _query(**query)

    def staff_bulk(self) -> str:
        return "/staff/bulk"

    def staff_idea(self, idea_id: int, **query: Query) -> str:
        return f"/staff/ideas/{idea_id}" + _query(**query)

    def staff_idea_status(self, idea_id: int) -> str:
        return f"/staff/ideas/{idea_id}/status"

    def staff_idea_respond(self, idea_id: int) -> str:
        return f"/staff/ideas/{idea_id}/respond"

    def staff_idea_owner(self, idea_id: int) -> str:
        return f"/staff/ideas/{idea_id}/owner"

    def staff_idea_feedback(self, idea_id: int) -> str:
        """Record a customer's feedback (and vote) on the idea."""
        return f"/staff/ideas/{idea_id}/feedback"

    def withdraw_feedback(self, feedback_id: int) -> str:
        return f"/feedback/{feedback_id}/withdraw"

    def staff_idea_merge(self, idea_id: int) -> str:
        return f"/staff/ideas/{idea_id}/merge"

    def staff_idea_hidden(self, idea_id: int, hide: bool) -> str:
        """The form that hides the idea (hide=True) or restores it."""
        return f"/staff/ideas/{idea_id}/{'hide' if hide else 'restore'}"

    def staff_idea_unmerge(self, idea_id: int) -> str:
        return f"/staff/ideas/{idea_id}/unmerge"

    def staff_idea_redact(self, idea_id: int) -> str:
        return f"/staff/ideas/{idea_id}/redact"

    def staff_idea_notes(self, idea_id: int) -> str:
        return f"/staff/ideas/{idea_id}/notes"

    def staff_comment_redact(self, comment_id: int) -> str:
        return f"/staff/comments/{comment_id}/redact"

    def staff_idea_share(self, idea_id: int) -> str:
        return f"/staff/ideas/{idea_id}/share"

    def staff_idea_share_preview(self, idea_id: int) -> str:
        return f"/staff/ideas/{idea_id}/share/preview"

    def staff_comment_hidden(self, comment_id: int, hide: bool) -> str:
        """The form that hides the comment (hide=True) or restores it."""
        return f"/staff/comments/{comment_id}/{'hide' if hide else 'restore'}"

    def staff_idea_campaign(self, idea_id: int) -> str:
        return f"/staff/ideas/{idea_id}/campaign"

    def staff_campaigns(self) -> str:
        return "/staff/campaigns"

    def staff_campaign_image(self, campaign_id: int) -> str:
        return f"/staff/campaigns/{campaign_id}/image"

    def staff_campaign(self, campaign_id: int) -> str:
        return f"/staff/campaigns/{campaign_id}"

    def staff_flags(self) -> str:
        return "/staff/flags"

    def staff_flag_dismiss(self, flag_id: int) -> str:
        return f"/staff/flags/{flag_id}/dismiss"

    def staff_reviews(self) -> str:
        return "/staff/reviews"

    def staff_review_approve(self, review_id: int) -> str:
        return f"/staff/reviews/{review_id}/approve"

    def staff_review_reject(self, review_id: int) -> str:
        return f"/staff/reviews/{review_id}/reject"

    def staff_audit(self) -> str:
        return "/staff/audit"

    def staff_analytics(self) -> str:
        return "/staff/analytics"

    def staff_clusters(self, sort: str | None = None, theme: str | None = None) -> str:
        return "/staff/clusters" + _query(sort=sort, theme=theme)

    def staff_theme_map(self, sort: str | None = None) -> str:
        return "/staff/themes" + _query(sort=sort)

    def staff_theme_publish(self, slug: str) -> str:
        return f"/staff/themes/{slug}/publish"

    def staff_clusters_merge(self) -> str:
        return "/staff/clusters/merge"

    def staff_tweets(self) -> str:
        return "/staff/tweets"

    def staff_tweet_idea(self, tweet_id: str) -> str:
        return f"/staff/tweets/{tweet_id}/idea"

    def staff_desk(self, **query: Query) -> str:
        return "/staff/desk" + _query(**query)

    def staff_desk_saved_reply(self) -> str:
        return "/staff/desk/saved-replies"

    def staff_desk_saved_reply_delete(self, reply_id: int) -> str:
        return f"/staff/desk/saved-replies/{reply_id}/delete"

    def staff_desk_customer(self, handle: str) -> str:
        """One X handle's history with the team."""
        return f"/staff/desk/people/{quote(str(handle), safe='')}"

    def staff_conversation(self, conversation_id: int, **query: Query) -> str:
        return f"/staff/desk/{conversation_id}" + _query(**query)

    def staff_conversation_assign(self, conversation_id: int) -> str:
        return f"/staff/desk/{conversation_id}/assign"

    def staff_conversation_reply(self, conversation_id: int) -> str:
        return f"/staff/desk/{conversation_id}/reply"

    def staff_conversation_reply_preview(self, conversation_id: int) -> str:
        return f"/staff/desk/{conversation_id}/reply/preview"

    def staff_conversation_link(self, conversation_id: int) -> str:
        return f"/staff/desk/{conversation_id}/link"

    def staff_conversation_idea(self, conversation_id: int) -> str:
        return f"/staff/desk/{conversation_id}/idea"

    def staff_conversation_ticket(self, conversation_id: int) -> str:
        return f"/staff/desk/{conversation_id}/ticket"

    def staff_conversation_dismiss(self, conversation_id: int) -> str:
        return f"/staff/desk/{conversation_id}/dismiss"

    # admin
    def admin_categories(self) -> str:
        return "/staff/admin/categories"

    def admin_category_rename(self, category_id: int) -> str:
        return f"/staff/admin/categories/{category_id}/rename"

    def admin_category_move(self, category_id: int) -> str:
        return f"/staff/admin/categories/{category_id}/move"

    def admin_category_delete(self, category_id: int) -> str:
        return f"/staff/admin/categories/{category_id}/delete"

    def admin_statuses(self) -> str:
        return "/staff/admin/statuses"

    def admin_status_edit(self, key: str) -> str:
        return f"/staff/admin/statuses/{key}/edit"

    def admin_status_move(self, key: str) -> str:
        return f"/staff/admin/statuses/{key}/move"

    def admin_status_delete(self, key: str) -> str:
        return f"/staff/admin/statuses/{key}/delete"

    def admin_status_transitions(self) -> str:
        return "/staff/admin/statuses/transitions"

    def admin_vote_budgets(self) -> str:
        return "/staff/admin/vote-budgets"

    def admin_users(self) -> str:
        return "/staff/admin/users"

    def admin_sso(self) -> str:
        return "/staff/admin/sso"

    def admin_user_role(self, user_id: int) -> str:
        return f"/staff/admin/users/{user_id}/role"

    def admin_users_found(self, q: str = "") -> str:
        """The people page, searched for `q` (name or email)."""
        return "/staff/admin/users" + (f"?{urlencode({'q': q})}" if q else "")

    def admin_user_deactivate(self, user_id: int) -> str:
        return f"/staff/admin/users/{user_id}/deactivate"

    def admin_user_reactivate(self, user_id: int) -> str:
        return f"/staff/admin/users/{user_id}/reactivate"

    def admin_user_suspend(self, user_id: int) -> str:
        return f"/staff/admin/users/{user_id}/suspend"

    def admin_user_unsuspend(self, user_id: int) -> str:
        return f"/staff/admin/users/{user_id}/unsuspend"

    def admin_api_keys(self) -> str:
        return "/staff/admin/api-keys"

    def admin_api_key_revoke(self, key_id: int) -> str:
        return f"/staff/admin/api-keys/{key_id}/revoke"

    def admin_data(self) -> str:
        """Import ideas and votes from CSV, and the exports."""
        return "/staff/admin/data"

    def staff_export_ideas(self) -> str:
        return "/staff/export/ideas.csv"

    def staff_export_votes(self) -> str:
        return "/staff/export/votes.csv"

    def admin_webhooks(self) -> str:
        return "/staff/admin/webhooks"

    def admin_webhook(self, endpoint_id: int) -> str:
        return f"/staff/admin/webhooks/{endpoint_id}"

    def admin_webhook_enabled(self, endpoint_id: int) -> str:
        return f"/staff/admin/webhooks/{endpoint_id}/enabled"

    def admin_webhook_rotate(self, endpoint_id: int) -> str:
        return f"/staff/admin/webhooks/{endpoint_id}/rotate"

    def admin_webhook_resend(self, delivery_id: int) -> str:
        return f"/staff/admin/webhooks/deliveries/{delivery_id}/resend"

    # the REST API (ideaboard/api)
    def api_reference(self) -> str:
        return "/api"

    def openapi(self) -> str:
        """The OpenAPI document at the root, where tools look first (the same as api_openapi)."""
        return "/openapi.json"

    def api_openapi(self) -> str:
        return "/api/v1/openapi.json"

    def api_ideas(self, **query: Query) -> str:
        return "/api/v1/ideas" + _query(**query)

    def api_idea(self, idea_id: int) -> str:
        return f"/api/v1/ideas/{idea_id}"

    def api_comment(self, comment_id: int) -> str:
        return f"/api/v1/comments/{comment_id}"

    def api_idea_follow(self, idea_id: int) -> str:
        return f"/api/v1/ideas/{idea_id}/follow"

    def api_categories(self) -> str:
        return "/api/v1/categories"

    def api_statuses(self) -> str:
        return "/api/v1/statuses"

    def api_notifications(self) -> str:
        return "/api/v1/notifications"

    def api_notifications_read(self) -> str:
        return "/api/v1/notifications/read"

    def api_profile(self, user_id: int) -> str:
        return f"/api/v1/users/{user_id}"

    def api_idea_vote(self, idea_id: int) -> str:
        return f"/api/v1/ideas/{idea_id}/vote"

    def api_idea_comments(self, idea_id: int, **query: Query) -> str:
        return f"/api/v1/ideas/{idea_id}/comments" + _query(**query)

    def api_idea_status(self, idea_id: int) -> str:
        return f"/api/v1/ideas/{idea_id}/status"

    def api_idea_responses(self, idea_id: int) -> str:
        return f"/api/v1/ideas/{idea_id}/responses"

    def api_idea_owner(self, idea_id: int) -> str:
        return f"/api/v1/ideas/{idea_id}/owner"

    def api_idea_merge(self, idea_id: int) -> str:
        return f"/api/v1/ideas/{idea_id}/merge"

    def api_idea_hidden(self, idea_id: int) -> str:
        return f"/api/v1/ideas/{idea_id}/hidden"

    def api_idea_feedback(self, idea_id: int) -> str:
        """Feedback captured for customers on the idea (staff keys)."""
        return f"/api/v1/ideas/{idea_id}/feedback"

    def api_clusters(self, **query: Query) -> str:
        return "/api/v1/clusters" + _query(**query)

    def api_conversations(self, **query: Query) -> str:
        """The X desk's inbox (staff keys)."""
        return "/api/v1/desk/conversations" + _query(**query)

    def api_conversation_assignee(self, conversation_id: int) -> str:
        return f"/api/v1/desk/conversations/{conversation_id}/assignee"

    def api_campaigns(self) -> str:
        return "/api/v1/campaigns"

    def api_campaign(self, campaign_id: int) -> str:
        return f"/api/v1/campaigns/{campaign_id}"

    def api_search(self, **query: Query) -> str:
        return "/api/v1/search" + _query(**query)

    def api_me(self) -> str:
        return "/api/v1/users/me"

    # signing in with an identity provider or X (POST to start; signed in, it links the provider to the account)
    def oidc_start(self) -> str:
        return "/login/oidc"

    def oidc_callback(self) -> str:
        return "/login/oidc/callback"

    def x_start(self) -> str:
        return "/login/x"

    def x_callback(self) -> str:
        return "/login/x/callback"

    def unlink_identity(self, identity_id: int) -> str:
        return f"/account/identities/{identity_id}/unlink"


urls = Urls()
