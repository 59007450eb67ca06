"""The help desk: a support problem heard on X becomes a Zendesk ticket (Tickets API, POST /api/v2/tickets.json).

Authentication is Zendesk's API token scheme: HTTP basic auth with `{email}/token` and the token. An
`Idempotency-Key` header makes a retried request return the ticket the first one made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ideaboard.i18n import gettext as _
from ideaboard.settings import Settings

TICKETS_PATH = "/api/v2/tickets.json"
TIMEOUT_SECONDS = 10.0


class ZendeskError(Exception):
    """The ticket was not created; the message says why in words the staff member can act on."""


@dataclass(frozen=True)
class Ticket:
    id: str
    url: str  # the agent's page of the ticket (not the API address)


async def create_ticket(settings: Settings, *, subject: str, body: str, tags: Sequence[str] = (),
                        external_id: str | None = None, idempotency_key: str | None = None,
                        http: httpx.AsyncClient | None = None) -> Ticket:
    """Open a ticket with the first comment `body`; ZendeskError for anything but 201 Created."""
    if not settings.zendesk_enabled:
        raise ZendeskError(_('The help desk is not set up: set ZENDESK_SUBDOMAIN, ZENDESK_EMAIL and '
                             'ZENDESK_API_TOKEN.'))
    ticket: dict[str, Any] = {"subject": subject[:250], "comment": {"body": body}, "tags": list(tags)}
    if external_id:
        ticket["external_id"] = external_id
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    auth = (f"{settings.zendesk_email}/token", settings.zendesk_api_token)
    client = http or httpx.AsyncClient(timeout=TIMEOUT_SECONDS)
    try:
        response = await client.post(settings.zendesk_url + TICKETS_PATH, json={"ticket": ticket}, auth=auth,
                                     headers=headers)
    except httpx.HTTPError as exc:
        raise ZendeskError(_('Could not reach Zendesk (%(type)s); no ticket was made, try again in a moment.',
                             type=type(exc).__name__)) from exc
    finally:
        if http is None:
            await client.aclose()
    if response.status_code in (200, 201):
        return _ticket(response, settings)
    raise ZendeskError(_refusal(response))


def _ticket(response: httpx.Response, settings: Settings) -> Ticket:
    try:
        ticket_id = response.json()["ticket"]["id"]
    except (ValueError, KeyError, TypeError):
        raise ZendeskError(_('Zendesk answered with something that is not a ticket; check Zendesk before trying '
                             'again (a ticket may have been made).')) from None
    base = f"https://{settings.zendesk_subdomain}.zendesk.com"
    return Ticket(id=str(ticket_id), url=f"{base}/agent/tickets/{ticket_id}")


def _refusal(response: httpx.Response) -> str:
    """Zendesk's own words where it gives them ({"error", "description", "details"})."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = {}
    said = body.get("description") or body.get("error") if isinstance(body, dict) else None
    if isinstance(said, dict):
        said = said.get("title") or said.get("message")
    if status == 401:
        return "Zendesk refused the credentials: check ZENDESK_EMAIL and ZENDESK_API_TOKEN. No ticket was made."
    if status == 403:
        return f"Zendesk does not let this agent create tickets ({said or 'forbidden'}). No ticket was made."
    if status == 422:
        return f"Zendesk rejected the ticket: {said or 'invalid record'}."
    if status == 429:
        wait = response.headers.get("Retry-After", "a few")
        return f"Zendesk's rate limit is reached; no ticket was made. Try again in {wait} seconds."
    if status >= 500:
        return f"Zendesk is unavailable ({status}); no ticket was made, nothing is lost. Try again in a moment."
    return f"Zendesk answered {status}{': ' + str(said) if said else ''}. No ticket was made."
