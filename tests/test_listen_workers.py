"""Two `ideaboard worker` processes share one X stream: the minute's cron queues the stream job in X's queue, one
process wins the Redis lock and connects, the other's job ends at once, and a post on the stream is stored."""

from __future__ import annotations

import asyncio

from ideaboard.models import Conversation, Tweet
from tests.processes import base_env, ideaboard, wait_until

pytest_plugins = ["fake_x_api"]  # the fake_x fixture: a fake X API over real HTTP


async def test_two_worker_processes_hold_exactly_one_stream(app, alice, make_idea, fake_x, settings, tmp_path):
    await make_idea(alice, "Dark mode for the mobile app", "Ordering at night with a bright white screen hurts.")
    fake_x.heartbeat_seconds = 0.5
    env = base_env(tmp_path, DATABASE_URL=settings.database_url, REDIS_URL=settings.redis_url,
                   X_API_BASE_URL=fake_x.base_url, X_BEARER_TOKEN=fake_x.bearer_token, X_BRAND_HANDLES="@brewline")
    with ideaboard("worker", data_dir=tmp_path, env=env, name="worker-1") as one, \
            ideaboard("worker", data_dir=tmp_path, env=env, name="worker-2") as two:
        await asyncio.to_thread(wait_until, lambda: fake_x.stream_connections == 1, 90,
                                "the minute's cron to connect the stream")
        assert fake_x.rule_values()  # the rules were synced before connecting
        dana = fake_x.add_tweet("@brewline dark mode in the mobile app, please", author_username="dana")
        for _ in range(600):  # a minute: on a loaded machine the worker's linking can take seconds
            if await Conversation.filter(x_conversation_id=dana).exists():  # the tweet is stored, then filed
                break
            await asyncio.sleep(0.1)
        stored = "stored but not filed" if await Tweet.exists(id=dana) else "never stored"
        assert await Conversation.filter(x_conversation_id=dana).exists(), f"{stored}\n{one.output()}{two.output()}"
        assert fake_x.most_stream_connections == 1 and fake_x.stream_connects == 1
        assert one.proc.poll() is None and two.proc.poll() is None
