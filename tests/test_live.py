"""Live updates (ideaboard/live.py, views/updates.py): what each person's open page hears, and what it never hears."""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import replace

import pytest
from redis.asyncio import ConnectionPool, Redis

from ideaboard import live, ratelimit
from ideaboard.models import Idea, Space, Status
from ideaboard.urls import urls

STREAM = {"Accept": "text/event-stream"}


@pytest.fixture
def settings(settings):
    """Streams end after 2 s, so a test reads a whole one (the in-process client returns complete responses)."""
    return replace(settings, live_stream_seconds=2)


async def listen(client, path: str, **headers) -> asyncio.Task:
    """A page's stream, opened now and read to its end; returns once the hub has subscribed."""
    task = asyncio.create_task(client.get(path, headers={**STREAM, **headers}))
    await asyncio.sleep(0.4)
    return task


def events(response) -> list[tuple[str, str]]:
    """(event name, data) of each event in a stream's text."""
    found = []
    for block in response.text.split("\n\n"):
        name = re.search(r"^event: (.*)$", block, re.M)
        if name:
            data = "\n".join(re.findall(r"^data: (.*)$", block, re.M))
            found.append((name.group(1), data))
    return found


def page_stream(hub: live.Hub, topics: set[str], seconds: float):
    """A page's stream run as ASGI straight on a hub (no HTTP client): its body chunks as they are sent."""
    sent: asyncio.Queue = asyncio.Queue()
    gone = asyncio.Event()

    async def receive():
        await gone.wait()
        return {"type": "http.disconnect"}

    response = live.stream(hub, topics, None, seconds=seconds)
    task = asyncio.ensure_future(response({"type": "http", "method": "GET"}, receive, sent.put))

    async def chunks():
        try:
            while (message := await sent.get())["type"] != "http.response.body" or message["more_body"]:
                if message.get("body"):
                    yield message["body"]
        finally:
            gone.set()
            await task

    return chunks()


async def test_bob_votes_and_the_visitors_open_board_hears_the_new_score(app, visitor, browser_for, alice, bob,
                                                                        make_idea):
    idea = await make_idea(alice, "Oat milk in every store")
    stream = await listen(visitor, "/live?board=public")
    response = await (await browser_for(bob)).post(f"/ideas/{idea.id}/vote", {"value": "up"}, htmx=True)
    assert response.status_code == 200
    heard = await stream
    assert heard.headers["content-type"].startswith("text/event-stream")
    assert (f"votes-{idea.id}", "1") in events(heard)


async def test_the_idea_page_hears_votes_and_new_comments_as_visitors_see_them(app, visitor, browser_for, alice,
                                                                               bob, make_idea):
    idea = await make_idea(alice, "Reusable cup discount")
    page = await visitor.get(f"/ideas/{idea.id}")
    assert f'sse-connect="/live?idea={idea.id}&amp;since=' in page.text and f'sse-swap="votes-{idea.id}"' in page.text
    stream = await listen(visitor, f"/live?idea={idea.id}")
    bobs = await browser_for(bob)
    await bobs.post(f"/ideas/{idea.id}/vote", {"value": "up"}, htmx=True)
    await bobs.post(f"/ideas/{idea.id}/comments", {"body": "Yes **please**, every morning"}, htmx=True)
    heard = dict(events(await stream))
    assert heard[f"votes-{idea.id}"] == "1" and heard[f"tally-{idea.id}"] == "1↑ 0↓"
    comment = heard["comment"]
    assert "<strong>please</strong>" in comment and "Bob Nguyen" in comment
    assert 'id="comment-count" hx-swap-oob="true">1 comment<' in comment
    assert "csrf" not in comment and "Delete" not in comment and "Report" not in comment  # the visitor's view


async def test_an_edited_comment_changes_and_a_hidden_one_leaves_the_open_pages(app, visitor, browser_for, alice, bob,
                                                                              sam, make_idea):
    from ideaboard import comments

    idea = await make_idea(alice, "Reusable cup discount")
    typo = await comments.add_comment(idea, bob, "Evrey morning")
    spam = await comments.add_comment(idea, bob, "Cheap followers here")
    bobs, sams = await browser_for(bob), await browser_for(sam)
    stream = await listen(visitor, f"/live?idea={idea.id}")  # a stream lasts 2 s here: one for each change
    await bobs.post(urls.comment_edit(typo.id), {"body": "Every **morning**"})
    [edited] = [data for name, data in events(await stream) if name == "comment-changed"]
    stream = await listen(visitor, f"/live?idea={idea.id}")
    await sams.post(urls.staff_comment_hidden(spam.id, True))
    [hidden] = [data for name, data in events(await stream) if name == "comment-changed"]
    assert f'id="comment-text-{typo.id}" hx-swap-oob="true"><p>Every <strong>morning</strong></p>' in edited
    assert f'id="comment-edited-{typo.id}" hx-swap-oob="true"' in edited and "Evrey" not in edited
    assert f'<article id="comment-{spam.id}" hx-swap-oob="delete">' in hidden and "Cheap followers" not in hidden
    assert 'id="comment-count" hx-swap-oob="true">1 comment<' in hidden


async def test_sam_moves_alices_idea_and_her_bell_hears_it(app, browser_for, alice, sam, make_idea):
    idea = await make_idea(alice, "Pay by phone at the drive-through")
    alices = await browser_for(alice)
    page = await alices.get("/")
    assert 'sse-connect="/live?board=public&amp;since=' in page.text and 'hx-trigger="sse:bell"' in page.text
    assert 'class="bell-count"' not in page.text
    stream = await listen(alices, "/live")
    sams = await browser_for(sam)
    moved = await sams.post(f"/staff/ideas/{idea.id}/status", {"to_status": "under_review", "message": "",
                                                               "version": str(idea.version)})
    assert moved.status_code in (200, 303)
    assert ("bell", "") in events(await stream)
    bell = await alices.get("/notifications/bell", headers={"HX-Request": "true"})
    assert '<span class="bell-count">1</span>' in bell.text and "<html" not in bell.text


async def test_a_visitor_may_not_listen_to_internal_hidden_or_staff_topics(app, visitor, browser_for, alice, erin,
                                                                          make_idea):
    internal = await make_idea(erin, "Roster swaps in the app", space=Space.INTERNAL)
    hidden = await make_idea(alice, "Something rude")
    await Idea.filter(id=hidden.id).update(hidden=True)
    for path in ("/live?board=internal", f"/live?idea={internal.id}", f"/live?idea={hidden.id}", "/live?queue=1",
                 "/live?desk=1", "/live", "/live?board=nonsense"):
        assert (await visitor.get(path, headers=STREAM)).status_code == 404, path
    alices = await browser_for(alice)
    for path in ("/live?board=internal", f"/live?idea={internal.id}", "/live?queue=1", "/live?desk=1"):
        assert (await alices.get(path, headers=STREAM)).status_code == 404, path
    assert (await visitor.get("/live?board=public")).status_code == 406  # not an EventSource: an explanation


async def test_votes_on_internal_or_hidden_ideas_never_reach_the_public_board(app, visitor, browser_for, erin,
                                                                             sam, make_idea):
    internal = await make_idea(erin, "Better break room", space=Space.INTERNAL)
    stream = await listen(visitor, "/live?board=public")
    employee_stream = await listen(await browser_for(erin), "/live?board=internal")
    await (await browser_for(sam)).post(f"/ideas/{internal.id}/vote", {"value": "up"}, htmx=True)
    assert events(await stream) == []
    assert (f"votes-{internal.id}", "1") in events(await employee_stream)


async def test_staff_hear_the_queue_and_the_desk(app, browser_for, alice, sam, make_idea):
    sams = await browser_for(sam)
    queue = await sams.get("/staff/")
    assert 'sse-connect="/live?queue=1"' in queue.text and 'hx-trigger="sse:queue"' in queue.text
    stream = await listen(sams, "/live?queue=1&desk=1")
    await (await browser_for(alice)).post("/ideas/new", {"title": "Seasonal menu preview", "body": "Tell us early.",
                                                         "category": "", "tags": ""})
    assert ("queue", "") in events(await stream)


async def test_a_page_that_reconnects_gets_what_it_missed_and_nothing_else(app, settings, visitor, alice,
                                                                          make_idea):
    idea = await make_idea(alice, "Quieter grinders")
    redis = Redis.from_url(settings.redis_url)
    await live.publish(redis, "board:public", f"votes-{idea.id}", "1")
    first = (await redis.xrevrange(live.LOG, count=1))[0][0].decode()
    await live.publish(redis, "board:internal", "votes-999", "5")  # another topic: not replayed to this page
    await live.publish(redis, "board:public", f"votes-{idea.id}", "2")
    await redis.aclose()
    again = await visitor.get("/live?board=public", headers={**STREAM, "Last-Event-ID": first})
    assert events(again) == [(f"votes-{idea.id}", "2")]
    via_query = await visitor.get(f"/live?board=public&since={first}", headers=STREAM)
    assert events(via_query) == [(f"votes-{idea.id}", "2")]


async def test_every_open_page_shares_the_process_s_one_subscription(app, settings, visitor, browser_for, alice,
                                                                    make_idea):
    idea = await make_idea(alice, "Fan-out check")
    streams = [await listen(visitor, f"/live?idea={idea.id}") for _ in range(3)]
    streams.append(await listen(await browser_for(alice), "/live"))
    redis = Redis.from_url(settings.redis_url)
    channels = dict(await redis.pubsub_numsub(live.channel(redis)))
    await redis.aclose()
    assert channels[live.channel(redis).encode()] == 1
    await asyncio.gather(*streams)


async def test_a_board_on_another_database_of_the_same_redis_is_not_heard(app, settings, visitor, alice, make_idea):
    """Staging on db 2 beside production on db 1: pub/sub is server-wide, so each database needs its own channel."""
    idea = await make_idea(alice, "Quiet neighbours")
    stream = await listen(visitor, "/live?board=public")
    here = Redis.from_url(settings.redis_url)
    pool = here.connection_pool
    neighbour = Redis(connection_pool=ConnectionPool(connection_class=pool.connection_class, **{
        **pool.connection_kwargs, "db": (pool.connection_kwargs.get("db", 0) + 1) % 16}))
    try:
        await live.publish(neighbour, "board:public", f"votes-{idea.id}", "99")
        await live.publish(here, "board:public", f"votes-{idea.id}", "3")
        assert events(await stream) == [(f"votes-{idea.id}", "3")]
    finally:
        await neighbour.delete(live.LOG)
        await here.aclose()
        await neighbour.aclose()


async def test_the_board_stays_cached_for_visitors_while_the_stream_carries_votes(app, visitor, alice, make_idea):
    await make_idea(alice, "Cached board")
    first, second = await visitor.get("/"), await visitor.get("/")
    assert first.text == second.text and "sse-connect" in first.text and "csrf_token" not in first.text
    assert "set-cookie" not in second.headers


async def test_a_cached_board_catches_up_on_what_happened_since_it_was_rendered(app, visitor, browser_for, alice,
                                                                              bob, make_idea):
    idea = await make_idea(alice, "Served from the cache")
    bobs = await browser_for(bob)
    await bobs.csrf()
    board = await visitor.get("/")
    await bobs.post(f"/ideas/{idea.id}/vote", {"value": "up"}, htmx=True)  # a minor change: the copy stays
    again = await visitor.get("/")
    assert again.text == board.text  # still the cached copy, with the old score
    stream_url = re.search(r'sse-connect="([^"]+)"', again.text).group(1).replace("&amp;", "&")
    assert (f"votes-{idea.id}", "1") in events(await visitor.get(stream_url, headers=STREAM))


async def test_closed_ideas_keep_their_live_score_too(app, visitor, alice, make_idea):
    idea = await make_idea(alice, "Launched thing")
    await Idea.filter(id=idea.id).update(status=Status.LAUNCHED)
    page = await visitor.get(f"/ideas/{idea.id}")
    assert f'sse-swap="votes-{idea.id}"' in page.text


async def test_a_page_that_fell_behind_a_burst_of_votes_gets_the_last_score_once_and_every_comment():
    """On a busy launch day a page's turn comes after many votes: it is sent the newest score and tally once (not
    each of 50 in between, nor once per topic it listens on), and every comment, in order."""
    hub = live.Hub(Redis.from_url("redis://127.0.0.1:1"))  # no Redis needed: events are handed in directly
    hub._task = asyncio.get_running_loop().create_future()  # a hub that is "running"
    stream = page_stream(hub, {"idea:7", "board:public"}, seconds=1)
    assert await anext(stream) == b"retry: 2000\n: connected\n\n"
    reading = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)  # the page now waits for its first event
    ids = (f"1000-{seq}" for seq in range(1000))
    for n in range(1, 51):
        for topic in ("idea:7", "board:public"):
            hub.dispatch(live.Event(next(ids), topic, "votes-7", str(n)))
        if n in (10, 40):
            hub.dispatch(live.Event(next(ids), "idea:7", "comment", f"<p>comment at {n}</p>"))
    sent = (await reading).decode()
    assert sent.count("event: votes-7") == 1 and "data: 50\n" in sent
    assert [line for line in sent.splitlines() if line.startswith("data: <p>")] == [
        "data: <p>comment at 10</p>", "data: <p>comment at 40</p>"]
    hub._task.cancel()
    await stream.aclose()


async def test_a_board_open_on_more_pages_than_a_flush_writes_at_a_time_reaches_every_one(monkeypatch):
    """10,000 open boards are written a slice at a time, the process serving requests in between: every page still
    gets each burst's newest score, once, and the next burst too."""
    monkeypatch.setattr(live, "SLICE_PAGES", 2)
    hub = live.Hub(Redis.from_url("redis://127.0.0.1:1"))
    hub._task = asyncio.get_running_loop().create_future()
    streams = [page_stream(hub, {"board:public"}, seconds=2) for _ in range(5)]
    for stream in streams:
        await anext(stream)
    for burst in (1, 2):
        readings = [asyncio.ensure_future(anext(stream)) for stream in streams]
        await asyncio.sleep(0)
        for n in range(1, 4):
            hub.dispatch(live.Event(f"{1000 + burst}-{n}", "board:public", "votes-7", f"{burst}{n}"))
        sent = [(await asyncio.wait_for(reading, 2)).decode() for reading in readings]
        assert all(text.count("event: votes-7") == 1 and f"data: {burst}3\n" in text for text in sent)
    hub._task.cancel()
    for stream in streams:
        await stream.aclose()


async def test_a_page_too_far_behind_for_the_backlog_is_closed_so_it_reconnects_and_replays(monkeypatch):
    """Comments can't be merged like scores: a page that missed more of them than the hub keeps is closed, and the
    browser reconnects with Last-Event-ID, replaying from the Redis log, instead of silently losing one."""
    monkeypatch.setattr(live, "BACKLOG", 8)
    hub = live.Hub(Redis.from_url("redis://127.0.0.1:1"))
    hub._task = asyncio.get_running_loop().create_future()
    stream = page_stream(hub, {"idea:7"}, seconds=5)
    await anext(stream)
    reading = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    for n in range(9):
        hub.dispatch(live.Event(f"1000-{n}", "idea:7", "comment", f"<p>{n}</p>"))
    with pytest.raises(StopAsyncIteration):
        await reading  # the stream ends at once (the browser reconnects), not after its 5 s
    assert hub.connections == 0
    hub._task.cancel()


async def test_a_page_that_reads_too_slowly_is_closed_so_it_reconnects_and_replays(monkeypatch):
    """A phone on a bad network stops reading: what it has not taken piles up in the process until MAX_PENDING, then
    its page is closed (the browser reconnects with Last-Event-ID) instead of the process holding it all."""
    monkeypatch.setattr(live, "MAX_PENDING", 200)
    hub = live.Hub(Redis.from_url("redis://127.0.0.1:1"))
    hub._task = asyncio.get_running_loop().create_future()
    stalled = asyncio.Event()  # never set: the reader took the preamble and nothing after
    sent: list[dict] = []

    async def send(message):
        sent.append(message)
        if len(sent) > 2 and message["more_body"]:  # the stream's closing message is not held up
            await stalled.wait()

    async def receive():
        await asyncio.Event().wait()

    response = asyncio.ensure_future(live.stream(hub, {"idea:7"}, None, seconds=5)(
        {"type": "http", "method": "GET"}, receive, send))
    while len(sent) < 2:
        await asyncio.sleep(0.01)
    for n in range(8):
        hub.dispatch(live.Event(f"1000-{n}", "idea:7", "comment", f"<p>comment {n} {'x' * 40}</p>"))
        await asyncio.sleep(0.12)  # one flush each
    await asyncio.wait_for(response, 2)  # ended at once, not after its 5 s
    assert hub.connections == 0 and not sent[-1]["more_body"]
    assert b"comment 7" not in b"".join(m.get("body", b"") for m in sent)  # left for the replay, not held here
    hub._task.cancel()


async def test_an_idle_page_hears_a_keep_alive_and_a_busy_one_does_not(monkeypatch):
    """Proxies close a stream that says nothing for a while: a page with nothing to hear gets a comment line each
    half heartbeat, a page that was just written to gets none."""
    hub = live.Hub(Redis.from_url("redis://127.0.0.1:1"), heartbeat=0.4)
    hub._task = asyncio.get_running_loop().create_future()
    idle = page_stream(hub, {"idea:8"}, seconds=2)
    busy = page_stream(hub, {"idea:7"}, seconds=2)
    await anext(idle)
    await anext(busy)
    reading = asyncio.ensure_future(anext(idle))
    heard: list[bytes] = []
    for n in range(6):  # the busy page hears a vote every 0.1 s, for longer than a heartbeat
        hub.dispatch(live.Event(f"1000-{n}", "idea:7", "votes-7", str(n)))
        heard.append(await asyncio.wait_for(anext(busy), 1))
    assert await asyncio.wait_for(reading, 1) == live.KEEPALIVE
    assert live.KEEPALIVE not in b"".join(heard)
    hub._task.cancel()
    await idle.aclose()
    await busy.aclose()


async def test_a_comment_reaches_each_open_page_in_its_own_readers_language(app, visitor, browser_for, alice, bob,
                                                                            make_idea):
    idea = await make_idea(alice, "Hafermilch in jeder Filiale")
    german = {"Accept-Language": "de-DE,de;q=0.9"}
    assert 'sse-swap="comment-de"' in (await visitor.get(f"/ideas/{idea.id}", headers=german)).text
    assert 'sse-swap="comment"' in (await visitor.get(f"/ideas/{idea.id}")).text
    stream = await listen(visitor, f"/live?idea={idea.id}")
    await (await browser_for(bob)).post(f"/ideas/{idea.id}/comments", {"body": "Gute Idee"}, htmx=True)
    heard = dict(events(await stream))  # Bob writes from an English browser; Jonas's German page hears German
    assert 'hx-swap-oob="true">1 Kommentar<' in heard["comment-de"] and "Gute Idee" in heard["comment-de"]
    assert 'hx-swap-oob="true">1 comment<' in heard["comment"]


async def test_a_tally_past_a_thousand_reaches_each_open_page_written_its_readers_way(app, visitor, browser_for,
                                                                                     alice, bob, make_idea):
    idea = await make_idea(alice, "Hafermilch in jeder Filiale")
    await Idea.filter(id=idea.id).update(upvotes=1233, score=1233)  # a popular idea, a vote short of 1,234
    german = {"Accept-Language": "de-DE,de;q=0.9"}
    jonas_page = (await visitor.get(f"/ideas/{idea.id}", headers=german)).text
    assert f'sse-swap="votes-{idea.id}-de"' in jonas_page and ">1.233<" in jonas_page
    assert f'sse-swap="votes-{idea.id}"' in (await visitor.get(f"/ideas/{idea.id}")).text
    jonas = await listen(visitor, f"/live?idea={idea.id}", **german)
    board = await listen(visitor, "/live?board=public")
    await (await browser_for(bob)).post(f"/ideas/{idea.id}/vote", {"value": "up"}, htmx=True)
    heard, on_the_board = dict(events(await jonas)), dict(events(await board))
    assert heard[f"votes-{idea.id}-de"] == "1.234" and heard[f"tally-{idea.id}-de"] == "1.234↑ 0↓"
    assert heard[f"votes-{idea.id}"] == "1,234" and heard[f"tally-{idea.id}"] == "1,234↑ 0↓"
    assert on_the_board[f"votes-{idea.id}-de"] == "1.234" and on_the_board[f"votes-{idea.id}"] == "1,234"


@contextlib.asynccontextmanager
async def open_idea_page(settings):
    """Redis, an idea page's open stream (idea 7, subscribed) and its next message being read."""
    redis = Redis.from_url(settings.redis_url)
    hub = live.Hub(redis)
    stream = page_stream(hub, {"idea:7"}, seconds=3)
    await anext(stream)
    await asyncio.wait_for(hub.ready.wait(), 5)
    try:
        yield redis, stream, asyncio.ensure_future(anext(stream))
    finally:
        await stream.aclose()
        await hub.close()
        await redis.aclose()


async def test_votes_that_finish_together_go_out_in_one_round_trip_and_reach_the_open_page(app, settings):
    """Each request hands its events to the process's Publisher: requests finishing in the same moment cost Redis
    one script between them, an open page hears every comment, and of two scores for one idea the newer one."""
    async with open_idea_page(settings) as (redis, stream, reading):
        publisher = live.Publisher(redis, delay=0.05)
        publisher.send([("idea:7", "votes-7", "1"), ("idea:7", "comment", "<p>first</p>")])  # one request
        publisher.send([("idea:7", "votes-7", "2"), ("board:public", "votes-7", "2")])  # and another, meanwhile
        publisher.send([("idea:7", "comment", "<p>second</p>")])
        sent = (await reading).decode()
        while "second" not in sent:  # the page's turn may come between two events of the one message
            sent += (await anext(stream)).decode()
        assert publisher.round_trips == 1
        assert [line for line in sent.splitlines() if line.startswith("data: ")] == [
            "data: <p>first</p>", "data: 2", "data: <p>second</p>"]
        logged = [(f[b"topic"], f[b"name"], f[b"data"]) for _id, f in await redis.xrange(live.LOG)]
        assert logged == [(b"idea:7", b"comment", b"<p>first</p>"), (b"idea:7", b"votes-7", b"2"),
                          (b"board:public", b"votes-7", b"2"), (b"idea:7", b"comment", b"<p>second</p>")]


async def test_a_comment_with_quotes_backslashes_and_umlauts_reaches_the_open_page_as_written(app, settings):
    """The published message is JSON written around each event's id: any text the event carries survives it."""
    async with open_idea_page(settings) as (redis, _stream, reading):
        text = '<p class="x">Grüße, \\ "quoted" \u2191 </script> \u00e9\U0001f600</p>'
        await live.publish_all(redis, [("idea:7", "comment-de", text)])
        sent = (await reading).decode()
        assert "event: comment-de\n" in sent and f"data: {text}\n" in sent


async def test_what_requests_told_just_before_shutdown_still_reaches_the_log(app, settings):
    redis = Redis.from_url(settings.redis_url)
    publisher = live.Publisher(redis, delay=60)  # no flush would come for a minute
    publisher.send([("idea:7", "comment", "<p>last words</p>")])
    await publisher.close()
    assert [f[b"data"] for _id, f in await redis.xrange(live.LOG)] == [b"<p>last words</p>"]
    publisher.send([("idea:7", "votes-7", "3")])  # a request that ends after close() is still sent
    await asyncio.sleep(0.01)
    await publisher.close()
    assert [f[b"data"] for _id, f in await redis.xrange(live.LOG)] == [b"<p>last words</p>", b"3"]
    await redis.aclose()


async def test_a_rate_limit_count_on_its_way_takes_the_waiting_events_along(app, settings):
    """The next vote's count goes to Redis before the Publisher's moment is up: the events ride with it, one round
    trip for both, and reach the log as published."""
    redis = Redis.from_url(settings.redis_url)
    publisher = live.Publisher(redis, delay=60)
    ratelimit.carry(redis, publisher)
    try:
        publisher.send([("idea:7", "votes-7", "4"), ("board:public", "votes-7", "4")])
        assert await ratelimit.hit(redis, "vote:user:7", 10, 60)
        assert [(f[b"topic"], f[b"data"]) for _id, f in await redis.xrange(live.LOG)] == [
            (b"idea:7", b"4"), (b"board:public", b"4")]
        assert publisher.round_trips == 0 and not publisher.waiting
        assert (await ratelimit.hit(redis, "vote:user:7", 10, 60)).count == 2  # nothing waiting: a count alone
    finally:
        ratelimit.carry(redis, None)
        await publisher.close()
        await redis.aclose()


async def test_under_uvicorn_the_hub_writes_each_stream_straight_to_its_connection(app, settings, alice, make_idea):
    """`ideaboard serve` offers the streams uvicorn's transport (ideaboard/serving.py): the chunks the hub writes
    there are well framed between uvicorn's own, and a reconnect with Last-Event-ID still replays what it missed."""
    import httpx

    from tests.browser import live_server

    idea = await make_idea(alice, "Straight to the socket")
    redis = Redis.from_url(settings.redis_url)
    with live_server(settings) as base:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            async with client.stream("GET", "/live?board=public", headers=STREAM) as response:
                assert response.headers["transfer-encoding"] == "chunked"
                texts: list[str] = []
                reading = asyncio.create_task(read_into(texts, response))
                for score in range(1, 50):  # the hub subscribes as the first page joins: publish until one arrives
                    await live.publish(redis, "board:public", f"votes-{idea.id}", str(score))
                    await asyncio.sleep(0.2)
                    if f"data: {score}\n" in "".join(texts):
                        break
                reading.cancel()
                heard = "".join(texts)
            first = re.findall(r"^id: (\S+)$", heard, re.M)[-1]
            await live.publish(redis, "board:public", f"votes-{idea.id}", "99")
            async with client.stream("GET", "/live?board=public", headers={**STREAM, "Last-Event-ID": first}) as again:
                replayed = ""
                async for text in again.aiter_text():
                    replayed += text
                    if "data: 99\n" in replayed:
                        break
    await redis.aclose()
    assert heard.startswith("retry: 2000\n: connected\n\n") and f"event: votes-{idea.id}\n" in heard
    assert f"event: votes-{idea.id}\ndata: 99\n" in replayed and f"data: {score}\n" not in replayed


async def read_into(texts: list[str], response) -> None:
    async for text in response.aiter_text():
        texts.append(text)
