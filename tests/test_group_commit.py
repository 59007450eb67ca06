"""Group commit: what waits goes together, each item hears its own outcome, a failed group runs each item alone."""

import asyncio

import pytest

from ideaboard.group_commit import Group


def _group(sent: list[list[int]], fail_groups: bool = False) -> Group[int, int]:
    async def send(items: list[int]) -> list[int | BaseException]:
        sent.append(items)
        await asyncio.sleep(0.01)
        if fail_groups and len(items) > 1:
            raise RuntimeError("the whole group failed")
        if items == [13]:
            raise LookupError("thirteen")
        return [ValueError(item) if item < 0 else item * 10 for item in items]

    async def alone(item: int) -> int:
        sent.append([item])
        return item * 100

    return Group(send, alone, key=lambda item: abs(item) % 100, most=3)


async def test_the_first_goes_at_once_and_the_rest_wait_together_within_their_limit():
    sent: list[list[int]] = []
    group = _group(sent)
    first = asyncio.ensure_future(group.submit(1))
    await asyncio.sleep(0.001)  # on its way
    results = [await first, *await asyncio.gather(*(group.submit(n) for n in (2, 3, 4, 5, -6)),
                                                  return_exceptions=True)]
    assert sent == [[1], [2, 3, 4], [5, -6]]
    assert results[:5] == [10, 20, 30, 40, 50] and isinstance(results[5], ValueError)
    assert group.groups == 3


async def test_two_items_with_one_key_never_share_a_group():
    sent: list[list[int]] = []
    group = _group(sent)
    await asyncio.gather(*(group.submit(n) for n in (1, 2, 102, 3, 202)))
    assert sent == [[1, 2, 3], [102], [202]]


async def test_a_failed_group_runs_each_item_alone_and_a_failed_single_raises():
    sent: list[list[int]] = []
    group = _group(sent, fail_groups=True)
    assert await asyncio.gather(group.submit(1), group.submit(2), group.submit(3)) == [100, 200, 300]
    with pytest.raises(LookupError):
        await group.submit(13)


async def test_a_cancelled_item_that_was_still_waiting_is_not_sent():
    sent: list[list[int]] = []
    group = _group(sent)
    first = asyncio.ensure_future(group.submit(1))
    await asyncio.sleep(0)
    waiting = asyncio.ensure_future(group.submit(2))
    await asyncio.sleep(0)
    waiting.cancel()
    assert await first == 10
    await asyncio.sleep(0.03)
    assert sent == [[1]]
