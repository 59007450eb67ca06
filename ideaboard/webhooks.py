"""Webhooks: events are written as delivery rows in the same transaction as the change (an outbox), and the worker's
`deliver_webhooks` job POSTs them, signed per the Standard Webhooks specification, with retries.

Signing: `webhook-id` (the delivery's message id, the same on every retry, so receivers deduplicate by it),
`webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed
with the base64 part of the endpoint's `whsec_` secret. Retries follow RETRY_AFTER (about 27 hours); when the last
one fails the delivery is given up and the endpoint disabled, which the console shows and the audit log records.
Outgoing requests follow no redirects, time out, and refuse private and loopback addresses unless
IDEABOARD_WEBHOOKS_ALLOW_PRIVATE is set (SSRF).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from tortoise.exceptions import IntegrityError

from ideaboard import audit, inputs
from ideaboard.errors import NotAllowed
from ideaboard.i18n import gettext as _
from ideaboard.models import (
    Comment,
    Conversation,
    Delivery,
    Idea,
    IdeaEvent,
    Notification,
    NotificationKind,
    Role,
    Space,
    Tweet,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from ideaboard.urls import urls

EVENTS = {
    "idea.created": "a new idea is posted",
    "idea.status_changed": "the team moves an idea to another status",
    "idea.responded": "the team publishes an official response",
    "comment.created": "someone comments on an idea",
    "idea.vote_milestone": "an idea first reaches 10, 50, 100, 500 or 1,000 net votes",
    "idea.merged": "the team merges a duplicate into another idea",
    "tweet.linked": "posts on X are linked to an idea",
    "desk.assigned": "a conversation on the X desk is claimed, handed over or released",
}
MILESTONES = (10, 50, 100, 500, 1000)
KINDS = {"standard": "signed JSON (Standard Webhooks)", "slack": "a Slack message (an incoming-webhook URL)"}
# Standard Webhooks' suggested schedule: the first try at once, then these waits after each failure.
RETRY_AFTER = [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
               timedelta(hours=5), timedelta(hours=10), timedelta(hours=10)]
TIMEOUT_SECONDS = 10.0
BATCH = 50
URL_MAX = 500


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


ROTATION_GRACE = timedelta(hours=24)  # after a rotation, deliveries carry both signatures this long


def signatures(endpoint: WebhookEndpoint, msg_id: str, timestamp: int, body: bytes, now: datetime) -> str:
    """The webhook-signature header: the current secret's, and the previous one's during a rotation (space-separated,
    as Standard Webhooks allows), so a receiver can switch secrets without missing a delivery."""
    found = [sign(endpoint.secret, msg_id, timestamp, body)]
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        found.append(sign(endpoint.previous_secret, msg_id, timestamp, body))
    return " ".join(found)


async def rotate_secret(actor: User, endpoint: WebhookEndpoint, now: datetime | None = None) -> str:
    """A new signing secret, shown once; the old one keeps signing beside it for ROTATION_GRACE."""
    now = now or datetime.now(UTC)
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, now + ROTATION_GRACE
    endpoint.secret = new_secret()
    await endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    await audit.record(actor, "webhook.rotate", "webhook", endpoint.id)
    return endpoint.secret


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header value for this message."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def clean_url(raw: str) -> str:
    """An http(s) URL with a host, or NotAllowed saying what is wrong (addresses are checked when sending)."""
    url = (raw or "").strip()
    parts = urlsplit(url) if len(url) <= URL_MAX and not inputs.has_control(url) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotAllowed(_("Enter the endpoint's full address, such as https://example.com/hooks (at most "
                           '%(URL_MAX)s characters).', URL_MAX=URL_MAX))
    return url


async def create_endpoint(actor: User, url: str, events: Iterable[str], description: str = "",
                          kind: str = "standard", *, include_internal: bool = False) -> WebhookEndpoint:
    """A new endpoint; events about internal-space ideas reach it only if the admin says so (a Slack channel or a
    vendor's tool may have people outside the company)."""
    chosen = [e for e in EVENTS if e in set(events)]
    if not chosen:
        raise NotAllowed(_('Choose at least one event.'))
    if kind not in KINDS:
        raise NotAllowed(_('Choose what to send: signed JSON or a Slack message.'))
    endpoint = await WebhookEndpoint.create(url=clean_url(url), secret=new_secret(), events=" ".join(chosen),
                                            description=inputs.strip_control(description.strip())[:200],
                                            kind=kind, include_internal=include_internal, created_by=actor)
    await audit.record(actor, "webhook.create", "webhook", endpoint.id, url=endpoint.url, events=endpoint.events,
                       include_internal=include_internal)
    return endpoint


async def set_enabled(actor: User, endpoint: WebhookEndpoint, enabled: bool) -> None:
    """Disable an endpoint, or enable it again (its failed deliveries wait for "send again")."""
    endpoint.disabled_at = None if enabled else datetime.now(UTC)
    endpoint.disabled_reason = "" if enabled else f"Disabled by {actor.name}."
    await endpoint.save(update_fields=["disabled_at", "disabled_reason"])
    await audit.record(actor, "webhook.enable" if enabled else "webhook.disable", "webhook", endpoint.id)


async def send_again(actor: User, delivery: WebhookDelivery) -> None:
    """Queue the same message (same webhook-id) for another try now."""
    await WebhookDelivery.filter(id=delivery.id).update(next_attempt_at=datetime.now(UTC), given_up_at=None)
    await audit.record(actor, "webhook.resend", "webhook", delivery.endpoint_id, msg_id=delivery.msg_id)


async def _subscribed(event: str) -> list[WebhookEndpoint]:
    """The active endpoints that subscribed to `event`."""
    return [e for e in await WebhookEndpoint.filter(disabled_at=None) if event in e.events.split()]


async def emit(event: str, data: dict[str, Any], *, once_key: str | None = None,
               subscribed: list[WebhookEndpoint] | None = None) -> int:
    """Write one delivery per active endpoint that subscribed to `event` (call inside the change's transaction).

    With `once_key` the message id is derived from it, so the event reaches each endpoint once, ever.
    `subscribed`: _subscribed(event), when the caller read it already.
    """
    now = datetime.now(UTC)
    internal = (data.get("idea") or {}).get("space") == Space.INTERNAL.value
    if subscribed is None:
        subscribed = await _subscribed(event)
    endpoints = [e for e in subscribed if e.include_internal or not internal]
    payload = {"type": event, "timestamp": now.isoformat(), "data": data}
    written = 0
    for endpoint in endpoints:
        msg_id = f"msg_{once_key}_{endpoint.id}" if once_key else "msg_" + secrets.token_hex(12)
        if once_key and await WebhookDelivery.filter(msg_id=msg_id).exists():
            continue
        try:
            await WebhookDelivery.create(msg_id=msg_id, endpoint=endpoint, event=event, payload=payload,
                                         next_attempt_at=now)
            written += 1
        except IntegrityError:  # a concurrent vote wrote the same milestone a moment ago
            continue
    return written


async def vote_milestones(idea_id: int, before: int | None, after: int) -> int:
    """The milestones a vote just crossed upwards, each announced once per idea (a later dip and return is not news)."""
    crossed = [m for m in MILESTONES if before is not None and before < m <= after]
    if not crossed:
        return 0
    subscribed = await _subscribed("idea.vote_milestone")
    if not subscribed:  # nobody listens: the vote reads no idea
        return 0
    idea = await Idea.get(id=idea_id)
    return sum([await emit("idea.vote_milestone", {**idea_data(idea), "milestone": m, "score": after},
                           once_key=f"idea{idea_id}_votes{m}", subscribed=subscribed) for m in crossed])


def idea_data(idea: Idea) -> dict[str, Any]:
    return {"idea": {"id": idea.id, "title": idea.title, "status": str(idea.status), "space": str(idea.space),
                     "author_id": idea.author_id, "path": urls.idea(idea.id)}}


async def idea_created(idea: Idea) -> int:
    return await emit("idea.created", idea_data(idea))


async def idea_event(idea: Idea, event: IdeaEvent) -> int:
    """A status change or an official response on the idea's timeline."""
    kind = "idea.status_changed" if event.from_status != event.to_status else "idea.responded"
    return await emit(kind, {**idea_data(idea), "event": {
        "id": event.id, "from_status": event.from_status and str(event.from_status),
        "to_status": event.to_status and str(event.to_status), "message": event.message,
        "actor_id": event.actor_id}})


async def comment_created(comment: Comment, idea: Idea) -> int:
    return await emit("comment.created", {**idea_data(idea), "comment": {
        "id": comment.id, "author_id": comment.author_id, "body": comment.body, "is_official": comment.is_official}})


async def idea_merged(duplicate: Idea, original: Idea) -> int:
    return await emit("idea.merged", {**idea_data(duplicate), "into": idea_data(original)["idea"]})


async def tweets_linked(idea: Idea, tweets: Sequence[Tweet]) -> int:
    """One event per linking pass, naming the posts it linked."""
    return await emit("tweet.linked", {**idea_data(idea), "tweets": [
        {"id": t.id, "url": t.url, "author_username": t.author_username, "text": t.text} for t in tweets]})


async def desk_assigned(conversation: Conversation, actor: User, assignee: User | None) -> int:
    return await emit("desk.assigned", {
        "conversation": {"id": conversation.id, "x_conversation_id": conversation.x_conversation_id,
                         "author_username": conversation.author_username, "state": str(conversation.state),
                         "idea_id": conversation.idea_id},
        "actor_id": actor.id, "assignee": {"id": assignee.id, "name": assignee.name} if assignee else None})


async def deliver_due(base_url: str, allow_private: bool, *, now: datetime | None = None,
                      http: httpx.AsyncClient | None = None) -> int:
    """Try every delivery that is due (oldest first, a batch at a time); returns how many were delivered."""
    now = now or datetime.now(UTC)
    due = await WebhookDelivery.filter(next_attempt_at__lte=now, endpoint__disabled_at=None) \
        .order_by("next_attempt_at", "id").limit(BATCH).select_related("endpoint")
    if not due:
        return 0
    client = http or httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False)
    try:
        delivered = 0
        for delivery in due:
            delivered += await _attempt(client, delivery, base_url, allow_private, now)
        return delivered
    finally:
        if http is None:
            await client.aclose()


async def _attempt(client: httpx.AsyncClient, delivery: WebhookDelivery, base_url: str, allow_private: bool,
                   now: datetime) -> bool:
    endpoint = delivery.endpoint
    payload = _with_urls(delivery.payload, base_url)
    message = slack_message(payload) if endpoint.kind == "slack" else payload
    body = json.dumps(message, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {"content-type": "application/json", "user-agent": "ideaboard-webhooks",
               "webhook-id": delivery.msg_id, "webhook-timestamp": str(timestamp),
               "webhook-signature": signatures(endpoint, delivery.msg_id, timestamp, body, now)}
    status, error = None, ""
    try:
        await _refuse_private(endpoint.url, allow_private)
        response = await client.post(endpoint.url, content=body, headers=headers)
        status = response.status_code
        if not 200 <= status < 300:
            error = f"answered {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
    except NotAllowed as exc:
        error = str(exc)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__
    delivery.attempts += 1
    delivery.last_status, delivery.last_error, delivery.last_attempt_at = status, error[:300], now
    if not error:
        delivery.delivered_at, delivery.next_attempt_at = now, None
    elif delivery.attempts <= len(RETRY_AFTER):
        delivery.next_attempt_at = now + RETRY_AFTER[delivery.attempts - 1]
    else:
        delivery.given_up_at, delivery.next_attempt_at = now, None
        await _disable(endpoint, now, f"Deliveries kept failing for a day (last: {error})."[:300])
    await delivery.save(update_fields=["attempts", "last_status", "last_error", "last_attempt_at", "delivered_at",
                                       "next_attempt_at", "given_up_at"])
    return not error


async def _disable(endpoint: WebhookEndpoint, now: datetime, reason: str) -> None:
    if await WebhookEndpoint.filter(id=endpoint.id, disabled_at=None).update(disabled_at=now, disabled_reason=reason):
        endpoint.disabled_at = now
        await audit.record(None, "webhook.disabled", "webhook", endpoint.id, reason=reason)
        await _tell_admins(endpoint, reason)


async def _tell_admins(endpoint: WebhookEndpoint, reason: str) -> None:
    """Every admin hears (bell and email) that an integration stopped, since nothing else would tell them."""
    admins = await User.filter(role=Role.ADMIN, is_active=True).values_list("id", flat=True)
    message = f"Webhook {endpoint.url[:120]} was disabled: {reason}"[:300]
    await Notification.bulk_create([Notification(user_id=uid, kind=NotificationKind.UPDATES,
                                                 delivery=Delivery.INSTANT, message=message) for uid in admins])


def _slack_text(text: str) -> str:
    """Slack's mrkdwn escapes: &, < and > only."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(payload: dict[str, Any]) -> dict[str, Any]:
    """The event as a Slack incoming-webhook message: one line naming the idea (linked) and what happened."""
    data = payload.get("data", {})
    idea = data.get("idea", {})
    link = f"<{idea.get('url', '')}|{_slack_text(idea.get('title', ''))}>"
    event = data.get("event", {})

    def label(status: str | None) -> str:
        return (status or "").replace("_", " ")

    lines = {
        "idea.created": f"New idea: {link}",
        "idea.status_changed": f"{link} moved from {label(event.get('from_status'))} to "
                               f"*{label(event.get('to_status'))}*",
        "idea.responded": f"The team responded on {link}",
        "comment.created": f"New comment on {link}",
        "idea.vote_milestone": f"{link} reached {data.get('milestone')} votes",
        "idea.merged": f"{link} was merged into <{data.get('into', {}).get('url', '')}|"
                       f"{_slack_text(data.get('into', {}).get('title', ''))}>",
        "tweet.linked": f"{len(data.get('tweets', []))} posts on X linked to {link}",
        "desk.assigned": _slack_text(f"@{data.get('conversation', {}).get('author_username') or '?'}'s conversation "
                                     f"is now with {(data.get('assignee') or {}).get('name', 'nobody')}"),
    }
    text = lines.get(payload.get("type", ""), link)
    quote = event.get("message") or data.get("comment", {}).get("body", "")
    if quote:
        text += "\n>" + _slack_text(quote[:300]).replace("\n", "\n>")
    return {"text": text}


def _with_urls(payload: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The stored payload with absolute URLs beside its paths (the site's address may change after it is written)."""
    data = dict(payload.get("data", {}))
    for name in ("idea", "into"):
        if isinstance(data.get(name), dict) and "path" in data[name]:
            data[name] = {**data[name], "url": base_url.rstrip("/") + data[name]["path"]}
    return {**payload, "data": data}


async def _refuse_private(url: str, allow_private: bool) -> None:
    """NotAllowed when the host is or resolves to a private, loopback, link-local or otherwise internal address."""
    if allow_private:
        return
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port)
    except OSError as exc:
        raise NotAllowed(_('%(host)s could not be resolved: %(exc)s', host=host, exc=exc)) from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise NotAllowed(_('%(host)s is an internal address (%(address)s); webhooks only go to public ones.',
                               host=host, address=address))
