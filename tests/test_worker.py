"""The background worker as an operator relies on it: jobs queued by the site run, run once, and catch up."""

from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker
from bs4 import BeautifulSoup

from ideaboard.models import Idea, IdeaVector
from ideaboard.redis_embedded import start_embedded_redis
from workers import tasks
from workers.suggest_index import rebuild_suggest_index

IDEAS = [("Dark mode for the mobile app", "Bright screens at night."), ("Oat milk at no extra charge", "Plant milk."),
         ("Save my usual order", "One tap reorder."), ("Compostable lids", "Lids can't be composted.")]


async def run_worker_burst(settings, worker_ctx) -> Worker:
    """A real arq worker on the test Redis that runs what is queued, then stops."""
    redis = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    worker = Worker(functions=tasks.FUNCTIONS, redis_pool=redis, burst=True, poll_delay=0, handle_signals=False,
                    ctx={**worker_ctx, "settings": settings})
    try:
        await worker.main()
    finally:
        await redis.aclose()  # (Worker.close() uses redis-py's deprecated close())
    return worker


async def test_a_submitted_idea_is_queued_and_the_worker_makes_it_suggestable(browser_for, alice, make_idea,
                                                                              settings, worker_ctx):
    for title, body in IDEAS:
        await make_idea(alice, title, body)
    await rebuild_suggest_index(worker_ctx)
    client = await browser_for(alice)
    response = await client.post("/ideas/new", {"title": "Reusable cup discount", "body": "Bring my own cup."})
    await client.post("/ideas/new", {"title": "Reusable cup discount", "body": "Bring my own cup."})  # double click
    idea = await Idea.filter(title="Reusable cup discount").first()
    assert response.status_code == 303
    worker = await run_worker_burst(settings, worker_ctx)
    assert worker.jobs_complete == 4 and worker.jobs_failed == 0  # per idea submitted: its cluster and its spam score
    assert await IdeaVector.filter(idea_id=idea.id).exists()


async def test_running_the_full_job_twice_leaves_one_vector_per_idea(alice, make_idea, worker_ctx):
    for title, body in IDEAS:
        await make_idea(alice, title, body)
    await rebuild_suggest_index(worker_ctx)
    await rebuild_suggest_index(worker_ctx)
    assert await IdeaVector.all().count() == len(IDEAS)
    assert len(set(await IdeaVector.all().values_list("idea_id", flat=True))) == len(IDEAS)


async def test_with_redis_down_a_customer_can_still_submit_and_the_next_full_run_catches_up(
        tmp_path, database_url, make_idea, worker_ctx):
    """Redis dies after the site started: submitting still works; the periodic full run indexes the idea."""
    import httpx
    from asgi_lifespan import LifespanManager

    from ideaboard.accounts import create_user
    from ideaboard.app import create_app
    from ideaboard.models import Role
    from ideaboard.settings import Settings
    from tests.conftest import PASSWORD, Browserless, _reset_state

    server, url = start_embedded_redis(str(tmp_path / "doomed-redis"))
    settings = Settings(data_dir=str(tmp_path), database_url=database_url, redis_url=url, secret_key="k")
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        await _reset_state(settings)
        alice = await create_user("alice2@example.com", "Alice", PASSWORD, Role.CUSTOMER)
        for title, body in IDEAS:
            await make_idea(alice, title, body)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://t") as http:
            client = Browserless(http)
            await client.login("alice2@example.com")
            server.shutdown()  # Redis is gone
            response = await client.post("/ideas/new", {"title": "Order from the watch", "body": "Wearables"})
            assert response.status_code == 303
            page = BeautifulSoup((await client.get(response.headers["location"])).text, "html.parser")
            assert page.h1.text == "Order from the watch"
            similar = await client.get("/ideas/similar", params={"title": "dark mode"})
            assert similar.status_code == 200  # suggestions quietly off, no error
        idea = await Idea.get(title="Order from the watch")
        assert not await IdeaVector.filter(idea_id=idea.id).exists()
        assert await rebuild_suggest_index(worker_ctx) == len(IDEAS) + 1  # the next full run (on a live Redis)
        assert await IdeaVector.filter(idea_id=idea.id).exists()
