"""Notification preferences (signed in) and the unsubscribe link from emails (no login: the signed token is enough)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import notification_prefs, unsubscribe
from ideaboard.i18n import gettext as _
from ideaboard.i18n import lazy_gettext
from ideaboard.models import Delivery
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import current_user, form_data, login_redirect, see_other

CHOICES = [(Delivery.INSTANT, lazy_gettext("Instantly")), (Delivery.DIGEST, lazy_gettext("Daily digest")),
           (Delivery.OFF, lazy_gettext("Off"))]


def preferences_context(chosen: dict, error: str = "") -> dict:
    """What the preferences form shows, on its own page and in /settings."""
    return {"kinds": notification_prefs.KINDS, "choices": CHOICES, "chosen": chosen, "error": error}


async def notification_settings(request: Request) -> Response:
    """Per kind: instantly, in a daily digest, or off. A bad choice keeps every other choice as it was typed."""
    viewer = current_user(request)
    if viewer is None:
        return login_redirect(request)
    chosen = await notification_prefs.preferences(viewer)
    if request.method == "GET":
        return render(request, "account/notifications.html", preferences_context(chosen))
    data = await form_data(request)
    try:
        choices = notification_prefs.parse_preferences(data)
    except notification_prefs.BadPreference as exc:
        typed = {kind: data.get(kind.value, chosen[kind].value) for kind in notification_prefs.KINDS}
        return render(request, "account/notifications.html", preferences_context(typed, str(exc)), status_code=422)
    await notification_prefs.set_preferences(viewer, choices)
    flash(request, _("Your notification choices are saved."))
    return see_other(urls.notification_settings())


async def unsubscribe_link(request: Request) -> Response:
    """GET asks to confirm (link scanners must not unsubscribe anyone); POST, from the page or a mail client's
    one-click (RFC 8058), switches the email's kinds off. Exempt from CSRF: the signed token is the proof."""
    settings = request.state.settings
    wanted = await unsubscribe.read_token(settings, request.path_params["token"])
    if wanted is None:
        return render(request, "account/unsubscribe.html", {"invalid": True}, status_code=400)
    if request.method == "GET":
        return render(request, "account/unsubscribe.html", {"wanted": wanted, "done": False})
    await unsubscribe.apply(wanted)
    return render(request, "account/unsubscribe.html", {"wanted": wanted, "done": True})
