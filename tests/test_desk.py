"""The X desk: Sam and Ada share an inbox of conversations on X, claim them without stepping on each other's toes,
answer through the (fake) X API, link them to ideas or make them ideas once, and dismiss the noise."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from ideaboard import analytics, desk, social
from ideaboard.forms import IdeaForm
from ideaboard.models import (
    AuditEntry,
    Conversation,
    ConversationState,
    DeskReply,
    Idea,
    IdeaTweet,
    LinkedIdentity,
    ReplyStatus,
    SavedReply,
    Tweet,
)
from ideaboard.x_api import Tweet as ApiTweet

pytest_plugins = ["fake_x_api", "fake_zendesk"]  # fake X and Zendesk APIs over real HTTP

ROOT_ID = "1900000000000000100"


@pytest.fixture
def x_overrides() -> dict:
    return {}


@pytest.fixture
def settings(settings, fake_x, fake_zendesk, x_overrides):
    """The desk talks to the fake X server and the fake Zendesk account with valid credentials."""
    tokens = {"x_bearer_token": fake_x.bearer_token, "x_user_token": fake_x.user_token, "live_stream_seconds": 2,
              "zendesk_subdomain": fake_zendesk.subdomain, "zendesk_email": fake_zendesk.email,
              "zendesk_api_token": fake_zendesk.api_token, "zendesk_api_base_url": fake_zendesk.base_url}
    return replace(settings, x_api_base_url=fake_x.base_url, **{**tokens, **x_overrides})


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def api_tweet(tweet_id: str, text: str, *, conversation: str | None = None, username: str = "dana_nightowl",
              name: str = "Dana Night Owl", hours_ago: float = 1, likes: int = 0, author_id: str = "42") -> ApiTweet:
    return ApiTweet(id=tweet_id, text=text, author_id=author_id, author_username=username, author_name=name,
                    created_at=datetime.now(UTC) - timedelta(hours=hours_ago), lang="en", like_count=likes,
                    retweet_count=0, reply_count=0, quote_count=0, url=f"https://x.com/{username}/status/{tweet_id}",
                    conversation_id=conversation or tweet_id)


async def a_conversation(text: str = "Your app logged me out again and my order is gone. Fix it please!",
                         tweet_id: str = ROOT_ID, **kw) -> Conversation:
    """A customer's tweet, stored the way the worker stores what it hears."""
    await social.store_tweets([api_tweet(tweet_id, text, **kw)])
    return await Conversation.get(x_conversation_id=kw.get("conversation") or tweet_id)


async def page_of(client, conversation: Conversation) -> BeautifulSoup:
    return soup(await client.get(f"/staff/desk/{conversation.id}"))


async def form_values(client, conversation: Conversation, form: str = "#reply-form") -> dict[str, str]:
    """The hidden fields a form carries as the page showed it (version, key, in_reply_to)."""
    page = await page_of(client, conversation)
    hidden = page.select(f"{form} input[type=hidden]")
    return {i["name"]: i.get("value", "") for i in hidden if i["name"] != "csrf_token"}


# ------------------------------------------------------------------------------------------- conversations


async def test_a_thread_becomes_one_conversation_with_its_counts(app):
    await social.store_tweets([
        api_tweet(ROOT_ID, "Where is my order?", hours_ago=3),
        api_tweet("1900000000000000101", "Still waiting...", conversation=ROOT_ID, hours_ago=1, likes=9),
        api_tweet("1900000000000000200", "Love the new cups", hours_ago=2),
    ])
    await social.store_tweets([api_tweet(ROOT_ID, "Where is my order?", hours_ago=3, likes=2)])  # fetched again
    thread = await Conversation.get(x_conversation_id=ROOT_ID)
    assert (thread.tweet_count, thread.engagement, thread.state) == (2, 9, ConversationState.OPEN)
    assert thread.author_username == "dana_nightowl"
    assert thread.last_tweet_at > thread.first_tweet_at
    assert await Conversation.all().count() == 2


async def test_the_inbox_lists_waiting_conversations_newest_first_and_filters(browser_for, sam, ada):
    old = await a_conversation("Old complaint about the queue", "1900000000000000001", hours_ago=5, likes=40)
    new = await a_conversation("New question about refunds", "1900000000000000002", hours_ago=1)
    done = await a_conversation("Thanks for the fix!", "1900000000000000003", hours_ago=2)
    await desk.dismiss(done, sam, "noise", "", done.version)
    await desk.claim(old, ada, old.version)
    client = await browser_for(sam)

    def ids(page) -> list[str]:
        return [a["id"] for a in page.select("#desk-list .desk-row")]

    assert ids(soup(await client.get("/staff/desk"))) == [f"conversation-{new.id}", f"conversation-{old.id}"]
    assert ids(soup(await client.get("/staff/desk?sort=urgent")))[0] == f"conversation-{old.id}"
    assert ids(soup(await client.get("/staff/desk?who=unassigned"))) == [f"conversation-{new.id}"]
    assert ids(soup(await client.get("/staff/desk?who=mine"))) == []
    assert ids(soup(await client.get("/staff/desk?state=dismissed"))) == [f"conversation-{done.id}"]
    row = soup(await client.get("/staff/desk")).select_one(f"#conversation-{old.id}")
    assert "Ada Okafor is answering this" in row.text
    partial = soup(await client.get("/staff/desk", headers={"HX-Request": "true"}))
    assert partial.html is None and partial.select_one("#desk-list")


async def test_tweet_text_and_display_names_are_escaped_and_never_linked(browser_for, sam):
    conversation = await a_conversation('<img src=x onerror="alert(1)"> my order', name="https://evil.example <b>")
    client = await browser_for(sam)
    for response in (await client.get("/staff/desk"), await client.get(f"/staff/desk/{conversation.id}")):
        assert "<img src=x" not in response.text and "<b>" not in response.text
        assert not soup(response).select('a[href*="evil.example"]')


async def test_only_staff_reach_the_desk(browser_for, bob):
    client = await browser_for(bob)
    assert (await client.get("/staff/desk")).status_code == 403


# ------------------------------------------------------------------------------------------- claiming


async def test_the_second_to_claim_is_told_who_has_it(browser_for, sam, ada):
    conversation = await a_conversation()
    sams, adas = await browser_for(sam), await browser_for(ada)
    shown = await form_values(adas, conversation, "#claim-form")  # Ada opened the page before Sam claimed
    assert (await sams.post(f"/staff/desk/{conversation.id}/assign",
                            await form_values(sams, conversation, "#claim-form"))).status_code == 303
    late = await adas.post(f"/staff/desk/{conversation.id}/assign", shown)
    assert late.status_code == 409
    assert "Sam Rivera is answering this" in soup(late).select_one("#assign-error").text
    fresh = await Conversation.get(id=conversation.id)
    assert (fresh.assignee_id, fresh.state) == (sam.id, ConversationState.CLAIMED)
    assert await AuditEntry.filter(action="desk.claim", target_id=conversation.id).count() == 1
    assert "You have this" in (await page_of(sams, conversation)).select_one("#conv-status").text


async def test_two_claims_at_the_same_moment_have_exactly_one_winner(sam, ada):
    conversation = await a_conversation()
    results = await asyncio.gather(
        desk.claim(await Conversation.get(id=conversation.id), sam, conversation.version),
        desk.claim(await Conversation.get(id=conversation.id), ada, conversation.version),
        return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    loser = next(r for r in results if isinstance(r, Exception))
    assert "is answering this" in str(loser)


async def test_a_conversation_is_handed_over_and_released(sam, ada):
    conversation = await a_conversation()
    await desk.assign(conversation, sam, ada, conversation.version)
    assert (conversation.assignee_id, conversation.state) == (ada.id, ConversationState.CLAIMED)
    await desk.assign(conversation, sam, None, conversation.version)
    assert (conversation.assignee_id, conversation.state) == (None, ConversationState.OPEN)
    assert await AuditEntry.filter(action="desk.assign").count() == 2


# ------------------------------------------------------------------------------------------- replying


async def test_sam_replies_from_the_desk_and_the_reply_is_stored(browser_for, sam, fake_x):
    conversation = await a_conversation()
    client = await browser_for(sam)
    form = await form_values(client, conversation)
    response = await client.post(f"/staff/desk/{conversation.id}/reply",
                                 {**form, "text": "Sorry @dana_nightowl! Fixed in today's update."})
    assert response.status_code == 303
    assert [p["in_reply_to_tweet_id"] for p in fake_x.posts] == [ROOT_ID]
    body = next(r.json for r in fake_x.requests if r.method == "POST")
    assert body == {"text": "Sorry @dana_nightowl! Fixed in today's update.",
                    "reply": {"in_reply_to_tweet_id": ROOT_ID}}
    stored = await DeskReply.get(conversation_id=conversation.id)
    assert (stored.status, stored.x_post_id, stored.author_id) == (ReplyStatus.SENT, fake_x.posts[0]["id"], sam.id)
    fresh = await Conversation.get(id=conversation.id)
    assert (fresh.state, fresh.assignee_id) == (ConversationState.REPLIED, sam.id) and fresh.first_reply_at
    assert await AuditEntry.filter(action="desk.reply", target_id=conversation.id).exists()
    page = await page_of(client, conversation)
    assert "Fixed in today's update" in page.select_one("#conv-status .desk-replies").text

    again = await client.post(f"/staff/desk/{conversation.id}/reply",  # the same form, submitted twice
                              {**form, "text": "Sorry @dana_nightowl! Fixed in today's update."})
    assert again.status_code == 303 and len(fake_x.posts) == 1
    assert await DeskReply.filter(conversation_id=conversation.id).count() == 1


async def test_two_teammates_replying_at_once_send_one_reply(browser_for, sam, ada, fake_x):
    conversation = await a_conversation()
    sams, adas = await browser_for(sam), await browser_for(ada)
    sam_form, ada_form = await form_values(sams, conversation), await form_values(adas, conversation)
    answers = await asyncio.gather(
        sams.post(f"/staff/desk/{conversation.id}/reply", {**sam_form, "text": "On it, Dana!"}),
        adas.post(f"/staff/desk/{conversation.id}/reply", {**ada_form, "text": "Looking into it!"}))
    assert sorted(a.status_code for a in answers) == [303, 409]
    assert len(fake_x.posts) == 1
    loser = next(a for a in answers if a.status_code == 409)
    assert "is answering this" in soup(loser).select_one("#reply-error").text
    assert soup(loser).select_one("#reply-text").text in ("On it, Dana!", "Looking into it!")


async def test_a_reply_over_280_characters_is_refused_before_x_hears_of_it(browser_for, sam, fake_x):
    conversation = await a_conversation()
    client = await browser_for(sam)
    text = "Sorry! " + "🙏" * 140
    response = await client.post(f"/staff/desk/{conversation.id}/reply",
                                 {**await form_values(client, conversation), "text": text})
    assert response.status_code == 422
    page = soup(response)
    assert "limit is 280" in page.select_one("#reply-error").text
    assert page.select_one("#reply-text").text == text
    assert not fake_x.posts
    assert (await Conversation.get(id=conversation.id)).state is ConversationState.OPEN


def _duplicate(fake_x, conversation) -> None:
    fake_x.posts.append({"id": "1", "text": "Thanks, Dana!"})


def _deleted(fake_x, conversation) -> None:
    fake_x.delete_tweet(ROOT_ID)


def _revoked(fake_x, conversation) -> None:
    fake_x.user_token = "a-new-token-after-revocation"


def _rate_limited(fake_x, conversation) -> None:
    fake_x.rate_limit_after(0, endpoint="post")


@pytest.mark.parametrize(("fault", "message"), [
    (_duplicate, "posted exactly this text recently"),
    (_deleted, "the post was deleted"),
    (_revoked, "X_USER_TOKEN"),
    (_rate_limited, "posting limit is reached"),
])
async def test_when_x_refuses_the_reply_the_text_stays_and_nothing_changes(browser_for, sam, fake_x, fault, message):
    conversation = await a_conversation()
    client = await browser_for(sam)
    form = await form_values(client, conversation)
    fault(fake_x, conversation)
    posted_before = len(fake_x.posts)
    response = await client.post(f"/staff/desk/{conversation.id}/reply", {**form, "text": "Thanks, Dana!"})
    assert response.status_code == 422
    page = soup(response)
    assert message in page.select_one("#reply-error").text
    assert page.select_one("#reply-text").text == "Thanks, Dana!"
    fresh = await Conversation.get(id=conversation.id)
    assert (fresh.state, fresh.assignee_id, fresh.first_reply_at) == (ConversationState.OPEN, None, None)
    assert len(fake_x.posts) == posted_before
    assert (await DeskReply.get(conversation_id=conversation.id)).status is ReplyStatus.FAILED



async def test_after_a_refusal_the_same_form_can_be_sent_again(browser_for, sam, fake_x):
    conversation = await a_conversation()
    client = await browser_for(sam)
    form = await form_values(client, conversation)
    fake_x.posts.append({"id": "1", "text": "Thanks, Dana!"})
    refused = soup(await client.post(f"/staff/desk/{conversation.id}/reply", {**form, "text": "Thanks, Dana!"}))
    again = {**form, "version": refused.select_one("#reply-form input[name=version]")["value"],
             "key": refused.select_one("#reply-form input[name=key]")["value"]}
    assert again["key"] == form["key"]
    response = await client.post(f"/staff/desk/{conversation.id}/reply", {**again, "text": "Thanks a lot, Dana!"})
    assert response.status_code == 303
    assert [p["text"] for p in fake_x.posts] == ["Thanks, Dana!", "Thanks a lot, Dana!"]
    assert (await DeskReply.get(conversation_id=conversation.id)).status is ReplyStatus.SENT


async def test_the_counter_counts_like_x(browser_for, sam):
    conversation = await a_conversation()
    client = await browser_for(sam)
    block = soup(await client.post(f"/staff/desk/{conversation.id}/reply/preview",
                                   {"text": "Done 🎉 https://example.com/a/very/long/path"}, htmx=True))
    assert block.html is None and block.select_one(".count-value").text == str(4 + 1 + 2 + 1 + 23)


async def test_a_saved_reply_fills_in_the_handle_and_the_idea_link(browser_for, sam, alice, make_idea):
    conversation = await a_conversation()
    idea = await make_idea(alice, "Stay signed in on the app")
    await desk.link_idea(conversation, sam, idea, conversation.version)
    client = await browser_for(sam)
    page = soup(await client.get(f"/staff/desk/{conversation.id}?template=1"))
    assert page.select_one("#reply-text").text == (
        f"Thanks @dana_nightowl! We made this an idea on our board, follow it and vote: "
        f"http://testserver/ideas/{idea.id}")
    await client.post("/staff/desk/saved-replies", {"title": "Refund", "body": "Hi {handle}, DM us for a refund.",
                                                    "conversation": str(conversation.id)})
    page = soup(await client.get(f"/staff/desk/{conversation.id}?template=2"))
    assert page.select_one("#reply-text").text == "Hi @dana_nightowl, DM us for a refund."
    delete = page.select_one(".desk-own-templates form")
    assert (await client.post(delete["action"], {"conversation": str(conversation.id)})).status_code == 303
    assert not await SavedReply.exists()
    assert await AuditEntry.filter(action="desk.saved_reply_delete").exists()


# ------------------------------------------------------------------------------------------- ideas


async def test_one_click_links_a_conversation_to_the_nearest_idea(browser_for, sam, alice, make_idea, worker_ctx):
    from workers.suggest_index import rebuild_suggest_index

    stay = await make_idea(alice, "Stay logged in on the mobile app", "The app logs me out and loses my order.")
    await make_idea(alice, "Oat milk in every store", "Please stock oat milk.")
    await rebuild_suggest_index(worker_ctx)
    conversation = await a_conversation("The app logged me out again and lost my order!")
    client = await browser_for(sam)
    page = await page_of(client, conversation)
    suggestion = page.select_one(".desk-suggestions form")
    assert f"#{stay.id}" in suggestion.text
    fields = {i["name"]: i["value"] for i in suggestion.select("input") if i["name"] != "csrf_token"}
    response = await client.post(f"/staff/desk/{conversation.id}/link", fields)
    assert response.status_code == 303
    fresh = await Conversation.get(id=conversation.id)
    assert (fresh.idea_id, fresh.state) == (stay.id, ConversationState.LINKED)
    assert await IdeaTweet.filter(idea_id=stay.id, tweet_id=ROOT_ID).exists()
    other = await a_conversation("The app keeps logging me out, my order vanished", "1900000000000000777")
    convert = soup(await client.get(f"/staff/desk/{other.id}/idea"))  # before making a new idea: maybe it exists
    assert f"#{stay.id}" in convert.select_one("#maybe-existing").text
    assert await AuditEntry.filter(action="desk.link", target_id=conversation.id).exists()


async def test_a_conversation_becomes_an_idea_once(browser_for, sam, ada, visitor):
    conversation = await a_conversation("Please let me save my usual order in the app. Six taps every morning!")
    sams, adas = await browser_for(sam), await browser_for(ada)
    form = soup(await sams.get(f"/staff/desk/{conversation.id}/idea"))
    assert form.select_one("#title")["value"] == "Please let me save my usual order in the app"
    version = form.select_one("#idea-form input[name=version]")["value"]
    fields = {"title": "Save my usual order", "body": "Six taps every morning", "version": version}
    first, second = await asyncio.gather(sams.post(f"/staff/desk/{conversation.id}/idea", fields),
                                         adas.post(f"/staff/desk/{conversation.id}/idea", fields))
    assert sorted([first.status_code, second.status_code]) == [303, 409]
    idea = await Idea.get(title="Save my usual order")
    assert await Idea.all().count() == 1 and idea.source_tweet_id == ROOT_ID
    offered = soup(await adas.get(f"/staff/desk/{conversation.id}/idea"))
    assert f"#{idea.id}" in offered.select_one("#already-made").text and not offered.select_one("#idea-form")
    fresh = await Conversation.get(id=conversation.id)
    assert (fresh.idea_id, fresh.idea_created, fresh.state) == (idea.id, True, ConversationState.LINKED)
    credit = soup(await visitor.get(f"/ideas/{idea.id}")).select_one(".x-source")
    assert credit.text.strip() == "Suggested on X by @dana_nightowl"


async def test_after_converting_the_reply_form_offers_the_ideas_link(browser_for, sam):
    conversation = await a_conversation("Please let me save my usual order in the app!")
    client = await browser_for(sam)
    version = (await Conversation.get(id=conversation.id)).version
    response = await client.post(f"/staff/desk/{conversation.id}/idea",
                                 {"title": "Save my usual order", "body": "x", "version": str(version),
                                  "then_reply": "1"})
    idea = await Idea.get(title="Save my usual order")
    page = soup(await client.get(response.headers["location"]))
    assert f"http://testserver/ideas/{idea.id}" in page.select_one("#reply-text").text


# ------------------------------------------------------------------------------------------- help desk


async def test_a_support_problem_becomes_one_zendesk_ticket(sam, settings, fake_zendesk):
    conversation = await a_conversation("My card was charged twice for one latte!")
    await desk.send_to_help_desk(conversation, sam, "Refund the second charge", version=conversation.version,
                                 settings=settings, base_url="https://ideas.brewline.example")
    assert (conversation.state, conversation.ticket_id) == (ConversationState.TICKETED, "1")
    assert conversation.ticket_url == "https://brewline.zendesk.com/agent/tickets/1"
    ticket = fake_zendesk.tickets[0]
    assert "charged twice" in ticket["description"] and "Refund the second charge" in ticket["description"]
    assert f"https://ideas.brewline.example/staff/desk/{conversation.id}" in ticket["description"]
    assert ticket["subject"].startswith("X: @dana_nightowl: My card was charged twice")
    assert fake_zendesk.requests[0]["headers"]["idempotency-key"] == f"ideaboard-desk-{ROOT_ID}"
    assert await AuditEntry.filter(action="desk.ticket", target_id=conversation.id).exists()
    with pytest.raises(desk.DeskError, match="already has help desk ticket #1"):
        await desk.send_to_help_desk(conversation, sam, "", version=conversation.version, settings=settings,
                                     base_url="")
    assert len(fake_zendesk.tickets) == 1


async def test_sending_to_the_help_desk_from_the_console(browser_for, sam, fake_zendesk):
    conversation = await a_conversation("My card was charged twice!")
    client = await browser_for(sam)
    values = await form_values(client, conversation, "#ticket-form")
    fake_zendesk.down()
    refused = await client.post(f"/staff/desk/{conversation.id}/ticket", {**values, "note": "refund please"})
    assert refused.status_code == 422
    assert "Zendesk is unavailable (503)" in soup(refused).select_one("#ticket-error").text
    assert soup(refused).select_one("#ticket-note").text == "refund please"
    fake_zendesk.down(False)
    values = {i["name"]: i["value"] for i in soup(refused).select("#ticket-form input[type=hidden]")
              if i["name"] != "csrf_token"}
    done = await client.post(f"/staff/desk/{conversation.id}/ticket", {**values, "note": "refund please"})
    assert done.status_code == 303
    link = (await page_of(client, conversation)).select_one("#ticket-panel a")
    assert link["href"] == "https://brewline.zendesk.com/agent/tickets/1" and link.text == "#1"


@pytest.mark.parametrize(("fault", "message"), [
    (lambda z: z.down(), "Zendesk is unavailable (503)"),
    (lambda z: setattr(z, "api_token", "rotated"), "check ZENDESK_EMAIL and ZENDESK_API_TOKEN"),
    (lambda z: z.rate_limit(30), "Try again in 30 seconds"),
])
async def test_zendesk_refusals_leave_the_conversation_as_it_was(sam, settings, fake_zendesk, fault, message):
    conversation = await a_conversation("My card was charged twice!")
    fault(fake_zendesk)
    with pytest.raises(desk.DeskError, match=re.escape(message)):
        await desk.send_to_help_desk(conversation, sam, "refund", version=conversation.version, settings=settings,
                                     base_url="")
    fresh = await Conversation.get(id=conversation.id)
    assert (fresh.state, fresh.assignee_id, fresh.ticket_id) == (ConversationState.OPEN, None, None)
    assert not fake_zendesk.tickets


# ------------------------------------------------------------------------------------------- dismissing


async def test_dismissing_needs_a_reason_and_is_audited(browser_for, sam):
    conversation = await a_conversation("Buy followers cheap!!!")
    client = await browser_for(sam)
    values = await form_values(client, conversation, "#dismiss-panel form")
    refused = await client.post(f"/staff/desk/{conversation.id}/dismiss", {**values, "reason": "because"})
    assert refused.status_code == 422 and "Choose why" in soup(refused).select_one("#dismiss-error").text
    done = await client.post(f"/staff/desk/{conversation.id}/dismiss", {**values, "reason": "spam", "note": "bot"})
    assert done.status_code == 303
    fresh = await Conversation.get(id=conversation.id)
    assert (fresh.state, fresh.dismiss_reason) == (ConversationState.DISMISSED, "spam: bot")
    entry = await AuditEntry.get(action="desk.dismiss", target_id=conversation.id)
    assert entry.detail["reason"] == "spam: bot" and entry.actor_id == sam.id
    await desk.reopen(fresh, sam, fresh.version)
    assert fresh.state is ConversationState.OPEN


async def test_the_table_refuses_moves_it_does_not_list(sam):
    conversation = await a_conversation()
    await desk.dismiss(conversation, sam, "spam", "", conversation.version)
    with pytest.raises(desk.IllegalTransition, match="can become Open"):
        await desk.dismiss(conversation, sam, "spam", "", conversation.version)


async def test_stored_tweets_keep_their_conversation(app):
    await social.store_tweets([api_tweet("1900000000000000301", "reply", conversation="1900000000000000300")])
    assert (await Tweet.get(id="1900000000000000301")).conversation_id == "1900000000000000300"


# ------------------------------------------------------------------------------------------- history and analytics


async def test_a_customers_history_is_one_timeline_in_order(browser_for, sam, settings, fake_x):
    first = await a_conversation("My card was charged twice!", "1900000000000000401", hours_ago=5)
    second = await a_conversation("Please save my usual order in the app!", "1900000000000000402", hours_ago=2)
    await a_conversation("Someone else entirely", "1900000000000000403", username="other_person")
    await desk.reply(first, sam, "So sorry! DM us please.", version=first.version, key=desk.new_reply_key(),
                     in_reply_to=first.x_conversation_id, settings=settings)
    await desk.send_to_help_desk(first, sam, "", version=first.version, settings=settings, base_url="")
    form = IdeaForm(title="Save my usual order", body="x", category_id=None, tags=[])
    await desk.idea_from_conversation(second, sam, form, second.version)
    page = soup(await (await browser_for(sam)).get("/staff/desk/people/dana_nightowl"))
    kinds = [li["class"][1] for li in page.select("#customer-history li")]
    assert kinds == ["moment-tweet", "moment-tweet", "moment-reply", "moment-ticket", "moment-idea"]
    assert "Someone else" not in page.text
    assert page.select_one(".moment-ticket a")["href"] == "https://brewline.zendesk.com/agent/tickets/1"
    assert (await (await browser_for(sam)).get("/staff/desk/people/no_such_person")).status_code == 404
    assert (await (await browser_for(sam)).get("/staff/desk/people/%3Cscript%3E")).status_code == 404


async def test_a_member_who_signed_in_with_x_has_their_board_life_in_the_same_timeline(browser_for, sam, alice,
                                                                                       bob, make_idea):
    from ideaboard.comments import add_comment
    from ideaboard.votes import cast_vote

    await LinkedIdentity.create(user=alice, provider="x", issuer="https://x.com", subject="42",
                                username="dana_nightowl")
    await a_conversation("Your app logged me out again", "1900000000000000501", hours_ago=50)
    hers = await make_idea(alice, "Stay logged in on the app")
    bobs = await make_idea(bob, "Remember my card")
    await cast_vote(bobs.id, alice, 1)
    await add_comment(bobs, alice, "Yes, and my usual order")
    page = soup(await (await browser_for(sam)).get("/staff/desk/people/dana_nightowl"))
    kinds = [li["class"][1] for li in page.select("#customer-history li")]
    assert kinds == ["moment-tweet", "moment-posted", "moment-voted", "moment-comment"]
    assert "as Alice Martin (signed in with X)" in " ".join(page.select_one(".hint").text.split())
    assert f"#{hers.id} Stay logged in on the app" in page.text and "Yes, and my usual order" in page.text
    assert "Remember my card" in page.select_one(".moment-voted").text


async def test_time_to_first_reply_median_p90_and_by_teammate(browser_for, sam, ada, settings):
    for n, (hours, who) in enumerate([(1, sam), (3, sam), (10, ada)]):
        conversation = await a_conversation(f"Question number {n}", f"19000000000000005{n:02d}", hours_ago=hours)
        await desk.reply(conversation, who, f"Answer {n}", version=conversation.version, key=desk.new_reply_key(),
                         in_reply_to=conversation.x_conversation_id, settings=settings)
    times = await analytics.x_reply_times()
    assert times.count == 3
    assert round(times.median.total_seconds() / 3600) == 3 and round(times.p90.total_seconds() / 3600) == 9
    assert [(name, n) for name, n, _ in times.by_teammate] == [("Sam Rivera", 2), ("Ada Okafor", 1)]
    page = soup(await (await browser_for(sam)).get("/staff/analytics"))
    assert page.select_one("#x-answered").text == "3" and "hours" in page.select_one("#x-reply-median").text
    assert page.select_one("#chart-x-replies svg")


async def test_the_older_tweet_page_makes_an_idea_once_too(browser_for, sam):
    await a_conversation("Please let me save my usual order in the app!")
    client = await browser_for(sam)
    fields = {"title": "Save my usual order", "body": "x", "category": "", "tags": ""}
    assert (await client.post(f"/staff/tweets/{ROOT_ID}/idea", fields)).status_code == 303
    again = await client.post(f"/staff/tweets/{ROOT_ID}/idea", fields)
    idea = await Idea.get(title="Save my usual order")
    assert again.status_code == 303 and again.headers["location"] == f"/staff/ideas/{idea.id}"
    assert await Idea.all().count() == 1
    conversation = await Conversation.get(x_conversation_id=ROOT_ID)
    assert (await desk.made_idea(conversation)).id == idea.id


async def test_a_send_that_never_finished_can_be_tried_again(sam, settings, fake_x):
    conversation = await a_conversation()
    key = desk.new_reply_key()
    stuck = await DeskReply.create(conversation_id=conversation.id, author=sam, key=key, text="Hello",
                                   in_reply_to_tweet_id=ROOT_ID)
    with pytest.raises(desk.Conflict, match="being sent right now"):
        await desk.reply(conversation, sam, "Hello", version=conversation.version, key=key, in_reply_to=ROOT_ID,
                         settings=settings)
    await DeskReply.filter(id=stuck.id).update(created_at=datetime.now(UTC) - timedelta(minutes=10))
    sent = await desk.reply(conversation, sam, "Hello", version=conversation.version, key=key, in_reply_to=ROOT_ID,
                            settings=settings)
    assert sent.reply.id == stuck.id and sent.reply.status is ReplyStatus.SENT and len(fake_x.posts) == 1


async def test_when_the_customer_writes_again_the_conversation_waits_for_an_answer_again(sam, settings):
    conversation = await a_conversation(hours_ago=2)
    await desk.reply(conversation, sam, "Sorry! Fixed today.", version=conversation.version,
                     key=desk.new_reply_key(), in_reply_to=ROOT_ID, settings=settings)
    ours = await DeskReply.get(conversation_id=conversation.id)
    await social.store_tweets([api_tweet(ours.x_post_id, "Sorry! Fixed today.", conversation=ROOT_ID, hours_ago=0,
                                         username="brewline", name="Brewline", author_id="7")])  # heard back
    assert (await Conversation.get(id=conversation.id)).state is ConversationState.REPLIED
    await asyncio.sleep(0.01)
    await social.store_tweets([api_tweet("1900000000000000999", "Still broken for me", conversation=ROOT_ID,
                                         hours_ago=-0.001)])
    fresh = await Conversation.get(id=conversation.id)
    assert (fresh.state, fresh.assignee_id, fresh.tweet_count) == (ConversationState.CLAIMED, sam.id, 3)
    assert await AuditEntry.filter(action="desk.follow_up", target_id=conversation.id).exists()


async def test_every_desk_form_needs_the_csrf_token(browser_for, sam, fake_x):
    conversation = await a_conversation()
    client = await browser_for(sam)
    version = str(conversation.version)
    forms = {"assign": {"owner": "me"}, "reply": {"text": "Hi", "key": "k" * 20, "in_reply_to": ROOT_ID},
             "link": {"idea": "1"}, "idea": {"title": "Save my usual order"}, "ticket": {"note": ""},
             "dismiss": {"reason": "spam"}}
    for action, fields in forms.items():
        response = await client.http.post(f"/staff/desk/{conversation.id}/{action}",
                                          data={**fields, "version": version})
        assert response.status_code == 403, action
    assert (await client.http.post("/staff/desk/saved-replies", data={"title": "a", "body": "b"})).status_code == 403
    fresh = await Conversation.get(id=conversation.id)
    assert (fresh.version, fresh.state) == (conversation.version, ConversationState.OPEN) and not fake_x.posts
