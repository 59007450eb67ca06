"""X in the product: tweets on idea pages, card tags, the staff tweets console, tweet → idea, sharing launches."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from ideaboard import listening, share
from ideaboard.models import AuditEntry, Idea, IdeaTweet, ListenCursor, Status, Tweet

pytest_plugins = ["fake_x_api"]  # the fake_x fixture: a fake X API over real HTTP


@pytest.fixture
def x_overrides() -> dict:
    """Per-test changes to the X settings (parametrize it to run without a token)."""
    return {}


@pytest.fixture
def settings(settings, fake_x, x_overrides):
    """The app talks to the fake X server with valid tokens, unless a test overrides them."""
    tokens = {"x_bearer_token": fake_x.bearer_token, "x_user_token": fake_x.user_token}
    return replace(settings, x_api_base_url=fake_x.base_url, **{**tokens, **x_overrides})


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


async def a_tweet(text: str = "Dark mode in the mobile app please!", username: str = "dana_nightowl", **kw) -> Tweet:
    n = await Tweet.all().count() + 1
    return await Tweet.create(id=str(1900000000000000000 + n), text=text, author_id="42", author_username=username,
                              author_name="Dana Night Owl", created_at=datetime.now(UTC) - timedelta(hours=n),
                              like_count=27, retweet_count=3, url=f"https://x.com/{username}/status/{n}", **kw)


@pytest.fixture
async def launched(alice, make_idea):
    idea = await make_idea(alice, "Reusable cup discount in every store", "Same discount everywhere, please.",
                           tags=["cups"])
    await Idea.filter(id=idea.id).update(status=Status.LAUNCHED)
    return await Idea.get(id=idea.id)


# ------------------------------------------------------------------------------------------- idea page


async def test_idea_page_shows_what_people_say_on_x_escaped_and_linked(visitor, alice, make_idea):
    idea = await make_idea(alice)
    tweet = await a_tweet('<script>alert("x")</script> dark mode please')
    await IdeaTweet.create(idea=idea, tweet=tweet, score=0.4)
    page = await visitor.get(f"/ideas/{idea.id}")
    panel = soup(page).select_one("#related-tweets")
    assert panel.h2.text == "What people are saying on X"
    item = panel.select_one(f"#tweet-{tweet.id}")
    assert item.select_one(".tweet-text").text == tweet.text
    assert "<script>alert" not in page.text
    assert "@dana_nightowl" in item.text and "♥ 27" in item.text
    link = item.find("a", string="View on X")
    assert link["href"] == tweet.url and "noopener" in link["rel"]


async def test_idea_page_without_tweets_has_no_panel(visitor, alice, make_idea):
    idea = await make_idea(alice)
    assert soup(await visitor.get(f"/ideas/{idea.id}")).select_one("#related-tweets") is None


async def test_every_idea_page_carries_card_tags_within_x_limits(visitor, alice, make_idea):
    idea = await make_idea(alice, "A" * 40 + " very long title that goes past seventy characters easily",
                           "Long body. " * 60)
    page = soup(await visitor.get(f"/ideas/{idea.id}"))
    meta = {m.get("property") or m.get("name"): m["content"] for m in page.select("head meta[content]")}
    assert meta["og:url"] == f"http://testserver/ideas/{idea.id}"
    assert meta["twitter:card"] == "summary"
    assert len(meta["twitter:title"]) <= 70 and meta["twitter:title"].endswith("…")
    assert len(meta["twitter:description"]) <= 200

    pictured = await make_idea(alice, "Reusable cups with a picture")
    await Idea.filter(id=pictured.id).update(image_url="/static/img/cups.png")
    meta = {m.get("property") or m.get("name"): m["content"]
            for m in soup(await visitor.get(f"/ideas/{pictured.id}")).select("head meta[content]")}
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["og:image"] == "http://testserver/static/img/cups.png"


# ------------------------------------------------------------------------------------------- staff console


async def test_only_staff_open_the_tweets_console(browser_for, bob):
    client = await browser_for(bob)
    assert (await client.get("/staff/tweets")).status_code == 403


async def test_console_shows_volume_ranking_and_last_errors(browser_for, sam, alice, make_idea):
    hot, quiet = await make_idea(alice, "Dark mode for the mobile app"), await make_idea(alice, "Compostable lids")
    for n in range(3):
        await IdeaTweet.create(idea=hot, tweet=await a_tweet(f"dark mode {n}"), score=0.5)
    await IdeaTweet.create(idea=quiet, tweet=await a_tweet("compostable lids please"), score=0.5)
    await ListenCursor.create(key="rule:brand", query="@brewline lang:en -is:retweet", last_run_at=datetime.now(UTC),
                              last_error="X rejected the bearer token (401): check X_BEARER_TOKEN", posts_read=7)
    await listening.count_reads(2_500)
    page = soup(await (await browser_for(sam)).get("/staff/tweets"))
    assert "Listening on X" in page.select_one("#x-status").text
    assert "401" in page.select_one(".x-errors").text
    assert "2,500 of 10,000" in page.select_one("#x-usage").text  # the month's reads against the budget
    assert page.select_one("#source-rule-brand code").text == "@brewline lang:en -is:retweet"
    rows = page.select("#tweet-volume tbody tr")
    assert [r.select_one(".q-title").text.strip() for r in rows] == ["Dark mode for the mobile app", "Compostable lids"]
    assert rows[0].select_one(".tweet-total").text == "3"
    assert page.select_one("#chart-tweet-trend svg") and page.select_one("#chart-tweet-ranking svg")


@pytest.mark.parametrize("x_overrides", [{"x_bearer_token": "", "x_user_token": ""}])
async def test_console_says_clearly_when_the_feature_is_off(browser_for, sam):
    status = soup(await (await browser_for(sam)).get("/staff/tweets")).select_one("#x-status").text
    assert "Off" in status and "X_BEARER_TOKEN" in status


# ------------------------------------------------------------------------------------------- tweet → idea


async def test_staff_turn_a_tweet_into_an_idea_crediting_its_author(browser_for, sam, visitor):
    tweet = await a_tweet("Please let me save my usual order in the app. Six taps every morning! #brewline")
    client = await browser_for(sam)
    form = soup(await client.get(f"/staff/tweets/{tweet.id}/idea"))
    assert form.select_one("#title")["value"] == "Please let me save my usual order in the app"
    assert form.select_one("#body").text == tweet.text
    response = await client.post(f"/staff/tweets/{tweet.id}/idea",
                                 {"title": "Save my usual order", "body": tweet.text, "category": "", "tags": ""})
    assert response.status_code == 303
    idea = await Idea.get(title="Save my usual order")
    assert (idea.source_tweet_id, idea.author_id) == (tweet.id, sam.id)
    assert await IdeaTweet.filter(idea=idea, tweet=tweet).exists()
    assert await AuditEntry.filter(action="idea.from_tweet", target_id=idea.id, actor_id=sam.id).exists()
    credit = soup(await visitor.get(response.headers["location"])).select_one(".x-source")
    assert credit.text.strip() == "Suggested on X by @dana_nightowl"
    assert credit.a["href"] == tweet.url


async def test_a_bad_title_keeps_the_staff_members_text(browser_for, sam):
    tweet = await a_tweet()
    response = await (await browser_for(sam)).post(f"/staff/tweets/{tweet.id}/idea",
                                                   {"title": "Hm", "body": "my edited text"})
    assert response.status_code == 422
    assert soup(response).select_one("#body").text == "my edited text"
    assert not await Idea.exists()


# ------------------------------------------------------------------------------------------- sharing launches


async def test_share_panel_prefills_the_post_and_previews_the_card(browser_for, sam, launched):
    page = soup(await (await browser_for(sam)).get(f"/staff/ideas/{launched.id}/share"))
    text = page.select_one("#post-text").text
    assert text == f"Shipped: Reusable cup discount in every store http://testserver/ideas/{launched.id} #cups"
    assert page.select_one(".count-value").text == str(share.weighted_length(text))
    assert page.select_one(".x-card-title").text == launched.title
    assert page.select_one("#post-text")["hx-trigger"] == "input changed delay:300ms"


async def test_the_live_counter_counts_like_x(browser_for, sam, launched):
    client = await browser_for(sam)
    text = "Shipped 🎉 https://example.com/a/very/long/path/that/x/shortens"
    block = soup(await client.post(f"/staff/ideas/{launched.id}/share/preview", {"text": text}, htmx=True))
    assert block.html is None and block.select_one(".count-value").text == str(8 + 2 + 1 + 23)
    over = soup(await client.post(f"/staff/ideas/{launched.id}/share/preview", {"text": "x" * 290}, htmx=True))
    assert "10 too many" in over.select_one("#post-counter").text


async def test_posting_records_the_post_on_the_idea(browser_for, sam, visitor, launched, fake_x):
    client = await browser_for(sam)
    response = await client.post(f"/staff/ideas/{launched.id}/share", {"text": "Shipped: reusable cups everywhere"})
    assert response.status_code == 303
    assert fake_x.posts[-1]["text"] == "Shipped: reusable cups everywhere"
    idea = await Idea.get(id=launched.id)
    assert idea.x_post_id == fake_x.posts[-1]["id"] and idea.x_post_url.endswith(idea.x_post_id)
    assert await AuditEntry.filter(action="idea.share_x", target_id=idea.id).exists()
    announced = soup(await visitor.get(f"/ideas/{idea.id}")).select_one(".x-announced")
    assert "Announced on X" in announced.text and announced.a["href"] == idea.x_post_url


async def test_duplicate_and_too_long_posts_come_back_as_messages_with_the_text_kept(browser_for, sam, launched,
                                                                                      fake_x):
    client = await browser_for(sam)
    await client.post(f"/staff/ideas/{launched.id}/share", {"text": "Cups!"})
    again = await client.post(f"/staff/ideas/{launched.id}/share", {"text": "Cups!"})
    assert again.status_code == 422
    assert "duplicate" in soup(again).select_one("#share-error").text
    assert soup(again).select_one("#post-text").text == "Cups!"
    long = await client.post(f"/staff/ideas/{launched.id}/share", {"text": "y" * 300})
    assert long.status_code == 422 and "limit is 280" in soup(long).select_one("#share-error").text
    assert soup(long).select_one("#post-text").text == "y" * 300
    assert len(fake_x.posts) == 1


@pytest.mark.parametrize("how", ["truncated", "wrong-shape", "html"])
async def test_a_malformed_reply_from_x_is_a_clear_message_not_an_error_page(browser_for, sam, launched, fake_x, how):
    client = await browser_for(sam)
    fake_x.reply_badly_next(1, how=how)
    response = await client.post(f"/staff/ideas/{launched.id}/share", {"text": "Shipped: cups"})
    assert response.status_code == 422
    message = soup(response).select_one("#share-error").text
    assert ("unexpected reply" in message or "unreadable reply" in message) and "check the account on X" in message
    assert soup(response).select_one("#post-text").text == "Shipped: cups"
    assert (await Idea.get(id=launched.id)).x_post_id is None


@pytest.mark.parametrize("x_overrides", [{"x_user_token": "expired"}])
async def test_a_rejected_user_token_is_explained(browser_for, sam, launched):
    response = await (await browser_for(sam)).post(f"/staff/ideas/{launched.id}/share", {"text": "Cups!"})
    assert response.status_code == 422 and "X_USER_TOKEN" in soup(response).select_one("#share-error").text


@pytest.mark.parametrize("x_overrides", [{"x_user_token": ""}])
async def test_without_a_user_token_the_panel_offers_the_web_intent(browser_for, sam, launched):
    page = soup(await (await browser_for(sam)).get(f"/staff/ideas/{launched.id}/share"))
    assert page.find("button", string="Post to X") is None
    link = page.select_one("#intent-link")
    assert link["href"].startswith("https://x.com/intent/tweet?text=Shipped%3A%20Reusable")


async def test_only_launched_ideas_are_shared(browser_for, sam, alice, make_idea):
    idea = await make_idea(alice)
    client = await browser_for(sam)
    assert soup(await client.get(f"/staff/ideas/{idea.id}/share")).select_one("#not-launched")
    response = await client.post(f"/staff/ideas/{idea.id}/share", {"text": "Not yet"})
    assert response.status_code == 409
