"""Admin: webhook endpoints and their delivery logs under /staff/admin/webhooks (the Mount lets only admins in)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ideaboard import webhooks
from ideaboard.auth import staff_user
from ideaboard.errors import NotAllowed
from ideaboard.i18n import gettext as _
from ideaboard.models import WebhookDelivery, WebhookEndpoint
from ideaboard.templating import flash, render
from ideaboard.urls import urls
from ideaboard.views.common import form_data, form_list, not_found, path_id, see_other

LOG_SIZE = 50


async def webhooks_page(request: Request) -> Response:
    """Every endpoint; POST registers one and shows its signing secret once."""
    admin = staff_user(request)
    values: dict[str, str] = {}
    error, created = "", None
    if request.method == "POST":
        data = await form_data(request)
        events = await form_list(request, "event")
        try:
            created = await webhooks.create_endpoint(admin, data.get("url", ""), events, data.get("description", ""),
                                                     data.get("kind", "standard"),
                                                     include_internal=data.get("include_internal") == "1")
        except NotAllowed as exc:
            error, values = str(exc), {**data, "events": " ".join(events)}
    context = {"endpoints": await WebhookEndpoint.all().order_by("-id"), "created": created, "error": error,
               "values": values, "events": webhooks.EVENTS, "kinds": webhooks.KINDS, "section": "admin"}
    return render(request, "staff/webhooks.html", context, status_code=422 if error else 200,
                  headers={"Cache-Control": "no-store"})


async def endpoint_page(request: Request) -> Response:
    """One endpoint's delivery log, newest first: answer, attempts, next retry, and "send again"."""
    endpoint = await _endpoint(request)
    deliveries = await WebhookDelivery.filter(endpoint=endpoint).order_by("-id").limit(LOG_SIZE)
    return render(request, "staff/webhook.html", {"endpoint": endpoint, "deliveries": deliveries,
                                                  "section": "admin"})


async def rotate_secret(request: Request) -> Response:
    """A new signing secret, shown once on the endpoint's page; the old one still signs for a day."""
    endpoint = await _endpoint(request)
    secret = await webhooks.rotate_secret(staff_user(request), endpoint)
    deliveries = await WebhookDelivery.filter(endpoint=endpoint).order_by("-id").limit(LOG_SIZE)
    return render(request, "staff/webhook.html", {"endpoint": endpoint, "deliveries": deliveries, "section": "admin",
                                                  "new_secret": secret}, headers={"Cache-Control": "no-store"})


async def set_enabled(request: Request) -> Response:
    endpoint = await _endpoint(request)
    enabled = (await form_data(request)).get("enabled") == "1"
    await webhooks.set_enabled(staff_user(request), endpoint, enabled)
    flash(request, _("The endpoint is enabled again.") if enabled else _("The endpoint is disabled: nothing is sent."))
    return see_other(urls.admin_webhook(endpoint.id))


async def send_again(request: Request) -> Response:
    delivery = await WebhookDelivery.get_or_none(id=path_id(request, "delivery_id"))
    if delivery is None:
        raise not_found("delivery")
    await webhooks.send_again(staff_user(request), delivery)
    flash(request, _("Queued: the worker sends it again within a minute."))
    return see_other(urls.admin_webhook(delivery.endpoint_id))


async def _endpoint(request: Request) -> WebhookEndpoint:
    endpoint = await WebhookEndpoint.get_or_none(id=path_id(request, "endpoint_id"))
    if endpoint is None:
        raise not_found("webhook")
    return endpoint
