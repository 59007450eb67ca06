"""Admins shaping the workflow while others use it: two admins adding the same status in the same instant, and an
idea entering a status while Ada deletes it, end consistent with a clear message, never a 500 (both databases)."""

from __future__ import annotations

import asyncio

import pytest

from ideaboard import status_store, statuses
from ideaboard.errors import IllegalTransition
from ideaboard.forms import FormErrors
from ideaboard.models import Idea, StatusDefinition
from ideaboard.status_store import WorkflowRefused
from ideaboard.workflow import transition

PAGE = "/staff/admin/statuses"
ON_HOLD = {"name": "On hold", "colour": "#a16207", "phase": "open", "description": "", "after": "under_review",
           "from": ["under_review"], "to": ["under_review", "declined"]}


async def test_ada_and_sam_adding_the_same_status_at_once_get_one_status_and_a_clear_message(browser_for, ada):
    from ideaboard.accounts import create_user
    from ideaboard.models import Role

    bea = await create_user("bea@brewline.example", "Bea Admin", "correct horse battery", Role.ADMIN)
    first, second = await browser_for(ada), await browser_for(bea)
    answers = await asyncio.gather(first.post(PAGE, ON_HOLD), second.post(PAGE, {**ON_HOLD, "colour": "#0e7490"}))
    assert sorted(a.status_code for a in answers) == [303, 422]
    refused = next(a for a in answers if a.status_code == 422)
    assert "There is already a status with the key “on_hold”." in refused.text
    assert await StatusDefinition.filter(key="on_hold").count() == 1
    kept = await StatusDefinition.get(key="on_hold")
    assert statuses.current().get("on_hold").colour == kept.colour  # the winner's, not overwritten by the second


@pytest.mark.parametrize("move_to", ["", "under_review"])
async def test_an_idea_entering_a_status_while_ada_deletes_it_ends_in_a_status_that_exists(
        ada, sam, alice, make_idea, move_to):
    await status_store.add_status(ada, {k: v for k, v in ON_HOLD.items() if isinstance(v, str)},
                                  ["under_review"], ["under_review", "declined"])
    idea = await make_idea(alice, "Pause my subscription")
    await transition(idea, sam, "under_review")
    for order in ("idea first", "delete first"):
        moving = transition(await Idea.get(id=idea.id), sam, "on_hold")
        deleting = status_store.delete_status(ada, "on_hold", move_to)
        pair = (moving, deleting) if order == "idea first" else (deleting, moving)
        results = await asyncio.gather(*pair, return_exceptions=True)
        for result in results:
            assert not isinstance(result, Exception) or isinstance(
                result, (IllegalTransition, FormErrors, WorkflowRefused)), result
        status = (await Idea.get(id=idea.id)).status
        assert await StatusDefinition.filter(key=status).exists() and statuses.current().has(status), (order, status)
        if await StatusDefinition.filter(key="on_hold").exists():  # the delete was refused: the idea is held there
            assert move_to == "" and status == "on_hold"
            await transition(await Idea.get(id=idea.id), sam, "under_review")
            await status_store.delete_status(ada, "on_hold")
        await status_store.add_status(ada, {k: v for k, v in ON_HOLD.items() if isinstance(v, str)},
                                      ["under_review"], ["under_review", "declined"])
        if (await Idea.get(id=idea.id)).status != "under_review":
            await transition(await Idea.get(id=idea.id), sam, "under_review")
