"""Per-process caches: requests that miss together share one read, and a write in this process still shows at once."""

import asyncio

from ideaboard import categories
from ideaboard.shared_reads import SharedReads


async def test_callers_that_miss_together_share_one_read_and_a_forget_starts_a_fresh_one():
    reads, calls, gate = SharedReads(), [], asyncio.Event()

    async def read():
        calls.append(1)
        await gate.wait()
        return len(calls)

    waiting = [asyncio.ensure_future(reads.read("k", read)) for _ in range(20)]
    await asyncio.sleep(0)
    reads.forget()  # a write meanwhile: the next caller does not join the read begun before it
    late = asyncio.ensure_future(reads.read("k", read))
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiting) == [2] * 20 and await late == 2 and len(calls) == 2
    assert reads.generation == 1 and await reads.read("k", read) == 3  # nothing in flight any more: a new read


def test_a_read_left_in_flight_on_another_event_loop_is_not_shared_with_this_one():
    """A server restarted in the same process (or a test's fresh loop) reads afresh instead of awaiting a dead one."""
    reads, left = SharedReads(), []

    async def never():
        await asyncio.Event().wait()

    async def leave_one_in_flight():
        left.append(asyncio.ensure_future(reads.read("k", never)))
        await asyncio.sleep(0)

    async def answer():
        return "fresh"

    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()  # not asyncio.run: it unsets the tests' loop
    try:
        first.run_until_complete(leave_one_in_flight())
        assert second.run_until_complete(asyncio.wait_for(reads.read("k", answer), 5)) == "fresh"
    finally:
        pending = asyncio.all_tasks(first)
        for task in pending:
            task.cancel()
        first.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        first.close()
        second.close()


async def test_the_boards_categories_are_read_once_by_requests_that_miss_together(app, monkeypatch):
    from ideaboard.models import Category

    real, calls = Category.all, []

    def counted():
        calls.append(1)
        return real()

    categories._categories = None
    monkeypatch.setattr(Category, "all", counted)
    found = await asyncio.gather(*(categories.cached_categories() for _ in range(30)))
    assert len(calls) == 1 and all(f is found[0] for f in found)
    await Category.create(name="Seating", slug="seating", position=9)  # saved here: shows on the next request
    assert "seating" in [c.slug for c in await categories.cached_categories()] and len(calls) == 2
