"""Webhooks, told as the integrations see them: Ada registers a receiver, things happen on the board, and a local
receiver over real HTTP checks every signature, answers 500 when told to, and sees the retries and the silence after
its endpoint is disabled."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ideaboard import api_keys, webhooks
from ideaboard.models import AuditEntry, Notification, Space, Status, WebhookDelivery, WebhookEndpoint
from ideaboard.urls import urls
from ideaboard.workflow import transition
from tests.fake_x_api import LoopbackServer


class Receiver:
    """An integration's webhook endpoint: verifies signatures as the Standard Webhooks libraries do."""

    def __init__(self) -> None:
        self.secret = ""
        self.answer = 200
        self.received: list[dict] = []
        self.bad_signatures = 0
        self.app = Starlette(routes=[Route("/hooks", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        msg_id, stamp = request.headers["webhook-id"], request.headers["webhook-timestamp"]
        key = base64.b64decode(self.secret.removeprefix("whsec_"))
        expected = base64.b64encode(hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest())
        given = [s.split(",", 1)[1] for s in request.headers["webhook-signature"].split() if s.startswith("v1,")]
        if not any(hmac.compare_digest(expected.decode(), g) for g in given):
            self.bad_signatures += 1
            return Response(status_code=401)
        self.received.append({"id": msg_id, **json.loads(body)})
        return Response(status_code=self.answer, headers={"Location": "/elsewhere"} if self.answer == 307 else None)


@pytest.fixture
def receiver():
    hook = Receiver()
    with LoopbackServer(hook.app) as server:
        hook.url = server.base_url + "/hooks"
        yield hook


@pytest.fixture
def settings(settings):
    return replace(settings, webhooks_allow_private=True)  # the receiver is on loopback


async def register(browser_for, ada, receiver, *events: str) -> WebhookEndpoint:
    """Ada adds the endpoint in the console and pastes the secret (shown once) into the receiver."""
    console = await browser_for(ada)
    page = await console.post(urls.admin_webhooks(), {"url": receiver.url, "event": list(events),
                                                      "description": "Jira automation"})
    assert page.status_code == 200, page.text
    receiver.secret = re.search(r'id="new-webhook-secret">(whsec_[\w+/=]+)<', page.text).group(1)
    assert receiver.secret not in (await console.get(urls.admin_webhooks())).text
    return await WebhookEndpoint.get(url=receiver.url)


async def deliver(settings, at: datetime | None = None) -> int:
    return await webhooks.deliver_due(settings.base_url, settings.webhooks_allow_private, now=at)


async def test_a_new_idea_reaches_the_receiver_signed_with_its_secret(browser_for, ada, alice, receiver, settings,
                                                                      worker_ctx):
    from workers.tasks import JOBS

    await register(browser_for, ada, receiver, "idea.created")
    token = (await api_keys.create_key(ada, alice, "app", ["read", "write"])).token
    browser = await browser_for()
    made = await browser.http.post(urls.api_ideas(), json={"title": "Oat milk in every store"},
                                   headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 201
    assert await JOBS["deliver_webhooks"](worker_ctx) == 1  # the worker's job, as arq runs it
    [event] = receiver.received
    assert receiver.bad_signatures == 0 and event["type"] == "idea.created"
    assert event["data"]["idea"]["title"] == "Oat milk in every store"
    assert event["data"]["idea"]["url"] == f"http://testserver{urls.idea(made.json()['id'])}"
    delivery = await WebhookDelivery.get()
    assert event["id"] == delivery.msg_id and delivery.delivered_at and delivery.last_status == 200
    assert await deliver(settings) == 0 and len(receiver.received) == 1  # delivered once, not again
    log = await (await browser_for(ada)).get(urls.admin_webhook(delivery.endpoint_id))
    assert "delivered (200)" in log.text and delivery.msg_id in log.text


async def test_a_500_is_retried_with_the_same_id_after_the_backoff(browser_for, ada, alice, make_idea, receiver,
                                                                    settings):
    await register(browser_for, ada, receiver, "idea.created")
    receiver.answer = 500
    await make_idea(alice)
    start = datetime.now(UTC)
    assert await deliver(settings, start) == 0
    delivery = await WebhookDelivery.get()
    assert delivery.attempts == 1 and delivery.last_status == 500 and "answered 500" in delivery.last_error
    assert delivery.next_attempt_at == start + webhooks.RETRY_AFTER[0]
    assert await deliver(settings, start + timedelta(seconds=2)) == 0 and len(receiver.received) == 1  # not yet
    receiver.answer = 200
    assert await deliver(settings, start + timedelta(seconds=6)) == 1
    assert [r["id"] for r in receiver.received] == [delivery.msg_id] * 2  # receivers deduplicate by webhook-id


async def test_an_endpoint_that_keeps_failing_is_disabled_and_then_hears_nothing(browser_for, ada, alice, sam,
                                                                                 make_idea, receiver, settings):
    endpoint = await register(browser_for, ada, receiver, "idea.created", "idea.status_changed")
    receiver.answer = 500
    idea = await make_idea(alice)
    at = datetime.now(UTC)
    for wait in [timedelta(0), *webhooks.RETRY_AFTER]:
        at += wait
        await deliver(settings, at)
    delivery = await WebhookDelivery.get()
    assert delivery.attempts == len(webhooks.RETRY_AFTER) + 1 and delivery.given_up_at is not None
    assert at - delivery.created_at > timedelta(hours=24)
    endpoint = await WebhookEndpoint.get(id=endpoint.id)
    assert endpoint.disabled_at is not None and "kept failing" in endpoint.disabled_reason
    assert await AuditEntry.filter(action="webhook.disabled", target_id=endpoint.id).exists()
    [told] = await Notification.filter(user_id=ada.id)  # Ada, the admin, hears it in her bell (and by email)
    assert f"Webhook {receiver.url} was disabled" in told.message and "kept failing" in told.message
    assert not await Notification.filter(user_id=sam.id).exists()  # staff who are not admins are not told

    heard = len(receiver.received)
    await transition(idea, sam, Status.UNDER_REVIEW)  # after disabling: nothing is queued or sent
    assert await deliver(settings, at + timedelta(days=2)) == 0 and len(receiver.received) == heard
    console = await browser_for(ada)
    assert "disabled" in (await console.get(urls.admin_webhooks())).text

    receiver.answer = 200  # fixed: Ada enables it and sends the given-up delivery again
    assert (await console.post(urls.admin_webhook_enabled(endpoint.id), {"enabled": "1"})).status_code == 303
    assert (await console.post(urls.admin_webhook_resend(delivery.id))).status_code == 303
    assert await deliver(settings) == 1 and receiver.received[-1]["id"] == delivery.msg_id


async def test_status_changes_responses_and_comments_are_events_too(browser_for, ada, alice, bob, sam, make_idea,
                                                                    receiver, settings):
    from ideaboard.comments import add_comment
    from ideaboard.workflow import respond

    await register(browser_for, ada, receiver, "idea.status_changed", "idea.responded", "comment.created")
    idea = await make_idea(alice)  # idea.created: not chosen, not sent
    await transition(idea, sam, Status.UNDER_REVIEW, "Looking into it")
    await respond(idea, sam, "We love it")
    await add_comment(idea, bob, "Me too")
    assert await deliver(settings) == 3
    assert [r["type"] for r in receiver.received] == ["idea.status_changed", "idea.responded", "comment.created"]
    moved = receiver.received[0]["data"]
    assert moved["event"]["from_status"] == "new" and moved["event"]["to_status"] == "under_review"
    assert moved["idea"]["status"] == "under_review" and receiver.received[2]["data"]["comment"]["body"] == "Me too"


async def test_private_addresses_and_redirects_are_refused(browser_for, ada, alice, make_idea, receiver, settings):
    await register(browser_for, ada, receiver, "idea.created")
    await make_idea(alice)
    assert await webhooks.deliver_due(settings.base_url, False) == 0  # the default: loopback is not public
    delivery = await WebhookDelivery.get()
    assert "internal address" in delivery.last_error and receiver.received == []
    receiver.answer = 307
    assert await deliver(settings, delivery.next_attempt_at) == 0
    delivery = await WebhookDelivery.get()
    assert delivery.last_status == 307 and "redirects are not followed" in delivery.last_error
    assert len(receiver.received) == 1  # the redirect's target was never asked


async def test_bad_endpoints_are_refused_in_the_console(browser_for, ada):
    console = await browser_for(ada)
    for form in ({"url": "ftp://example.com/x", "event": "idea.created"},
                 {"url": "https://example.com/hooks"},
                 {"url": "not a url", "event": "idea.created"}):
        assert (await console.post(urls.admin_webhooks(), form)).status_code == 422
    assert await WebhookEndpoint.all().count() == 0


def test_the_signature_is_the_standard_webhooks_one():
    """The example in the Standard Webhooks specification gives this signature."""
    body = b'{"test": 2432232314}'
    assert webhooks.sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) \
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


async def test_ten_net_votes_is_announced_once(browser_for, ada, alice, bob, make_idea, receiver, settings):
    from ideaboard.models import Idea
    from ideaboard.votes import cast_vote

    await register(browser_for, ada, receiver, "idea.vote_milestone")
    idea = await make_idea(alice)
    await Idea.filter(id=idea.id).update(upvotes=9, score=9)  # nine others voted already
    await cast_vote(idea.id, bob, 1)
    await cast_vote(idea.id, bob, 0)  # back to nine, then ten again: not news twice
    await cast_vote(idea.id, bob, 1)
    assert await deliver(settings) == 1
    [event] = receiver.received
    assert event["type"] == "idea.vote_milestone" and event["data"]["milestone"] == 10
    assert event["data"]["idea"]["id"] == idea.id and event["data"]["score"] == 10


async def test_a_slack_channel_hears_status_changes_as_messages(browser_for, ada, alice, sam, make_idea, receiver,
                                                                settings):
    console = await browser_for(ada)
    page = await console.post(urls.admin_webhooks(), {"url": receiver.url, "kind": "slack",
                                                      "event": ["idea.status_changed"]})
    receiver.secret = re.search(r'id="new-webhook-secret">(whsec_[\w+/=]+)<', page.text).group(1)
    idea = await make_idea(alice, "Oat milk <in every> store")
    await transition(idea, sam, Status.UNDER_REVIEW, "Checking with suppliers")
    assert await deliver(settings) == 1
    [message] = receiver.received
    assert message["text"] == (f"<http://testserver{urls.idea(idea.id)}|Oat milk &lt;in every&gt; store> moved from "
                               "new to *under review*\n>Checking with suppliers")


async def test_internal_ideas_reach_only_endpoints_that_asked_for_them(browser_for, ada, alice, erin, make_idea,
                                                                      receiver, settings):
    endpoint = await register(browser_for, ada, receiver, "idea.created")
    await make_idea(erin, "Internal: a better roster tool", space=Space.INTERNAL)
    await make_idea(alice, "Oat milk everywhere")
    await deliver(settings)
    assert [r["data"]["idea"]["title"] for r in receiver.received] == ["Oat milk everywhere"]
    console = await browser_for(ada)
    page = await console.post(urls.admin_webhooks(), {"url": receiver.url + "/internal", "event": ["idea.created"],
                                                      "include_internal": "1"})
    assert page.status_code == 200 and "with internal ideas" in page.text
    internal = await WebhookEndpoint.get(include_internal=True)
    assert internal.id != endpoint.id
    await make_idea(erin, "Internal: shift swaps", space=Space.INTERNAL)
    assert await WebhookDelivery.filter(endpoint_id=internal.id).count() == 1
    assert await WebhookDelivery.filter(endpoint_id=endpoint.id).count() == 1  # still only the public idea


async def test_merges_linked_posts_and_desk_claims_are_events_too(browser_for, ada, alice, sam, make_idea, receiver,
                                                                  settings):
    from ideaboard import desk, social
    from ideaboard.merge import merge_ideas
    from ideaboard.models import Conversation
    from tests.test_desk import api_tweet

    await register(browser_for, ada, receiver, "idea.merged", "tweet.linked", "desk.assigned")
    original, duplicate = await make_idea(alice, "Oat milk everywhere"), await make_idea(alice, "Oat milk please")
    await merge_ideas(duplicate, original, sam)
    await social.store_tweets([api_tweet("1800000000000000001", "oat milk in every store please")])
    assert await social.link_tweets(original.id, {"1800000000000000001": 0.9}) == 1
    assert await social.link_tweets(original.id, {"1800000000000000001": 0.9}) == 0  # a re-run: no second event
    conversation = await Conversation.get(x_conversation_id="1800000000000000001")
    await desk.claim(conversation, sam, conversation.version)
    assert await deliver(settings) == 3
    merged, linked, claimed = (r["data"] for r in receiver.received)
    assert [r["type"] for r in receiver.received] == ["idea.merged", "tweet.linked", "desk.assigned"]
    assert merged["idea"]["status"] == "duplicate" and merged["into"]["id"] == original.id
    assert merged["into"]["url"].endswith(f"/ideas/{original.id}")
    assert [t["id"] for t in linked["tweets"]] == ["1800000000000000001"]
    assert claimed["assignee"] == {"id": sam.id, "name": "Sam Rivera"} and claimed["actor_id"] == sam.id
    slack = webhooks.slack_message({"type": "idea.merged", "data": merged})["text"]
    assert "Oat milk please" in slack and "was merged into" in slack and "Oat milk everywhere" in slack


async def test_a_rotated_secret_signs_beside_the_old_one_for_a_day(browser_for, ada, alice, make_idea, receiver,
                                                                   settings):
    endpoint = await register(browser_for, ada, receiver, "idea.created")
    old_secret = receiver.secret
    page = await (await browser_for(ada)).post(urls.admin_webhook_rotate(endpoint.id))
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    new_secret = re.search(r'id="rotated-secret">(whsec_[\w+/=]+)<', page.text).group(1)
    assert new_secret != old_secret and await AuditEntry.filter(action="webhook.rotate").exists()
    await make_idea(alice, "Oat milk everywhere")
    assert await deliver(settings) == 1  # the receiver still holds the old secret: its signature is there
    receiver.secret = new_secret  # switched over: the new signature verifies too
    await make_idea(alice, "Pay with the watch")
    assert await deliver(settings) == 1 and receiver.bad_signatures == 0
    receiver.secret = old_secret  # a day later the old secret no longer signs
    await make_idea(alice, "Order from the car")
    assert await deliver(settings, datetime.now(UTC) + webhooks.ROTATION_GRACE + timedelta(minutes=1)) == 0
    assert receiver.bad_signatures == 1
