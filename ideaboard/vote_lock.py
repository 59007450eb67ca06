"""The ORM vote's one lock-and-check, shared by the plain vote (SQLite) and the budget vote (both databases).

The idea row is locked first (SELECT ... FOR UPDATE; SQLite's write transaction), so votes on one idea are
serialised and its counters never lose an update; then the person's current vote is read under that lock.
"""

from __future__ import annotations

from ideaboard.errors import NotAllowed, NotFound
from ideaboard.i18n import gettext as _
from ideaboard.models import Idea, Status, Vote


async def lock_open_idea(conn, idea_id: int, user_id: int, spaces: list[str], sees_hidden: bool,
                         campaign_id: int | None = None) -> tuple[Idea, Vote | None]:
    """The idea, locked, and the person's vote on it; NotFound where they may not see it, NotAllowed where it no
    longer takes votes. With campaign_id, only an idea of that campaign is found."""
    query = Idea.filter(id=idea_id, space__in=spaces)
    if campaign_id is not None:
        query = query.filter(campaign_id=campaign_id)
    if not sees_hidden:
        query = query.filter(hidden=False)
    idea = await query.select_for_update().using_db(conn).first()
    if idea is None:
        raise NotFound(idea_id)
    if not Status(idea.status).accepts_votes:
        raise NotAllowed(_('Voting is closed: this idea is %(Status)s.', Status=Status(idea.status).label.lower()))
    return idea, await Vote.filter(idea_id=idea_id, user_id=user_id).using_db(conn).first()


async def store(conn, vote: Vote | None, idea_id: int, user_id: int, value: int) -> None:
    """The person's vote row becomes `value` (0 deletes it), inside the caller's locked transaction."""
    if vote is None:
        await Vote.create(idea_id=idea_id, user_id=user_id, value=value, using_db=conn)
    elif value == 0:
        await vote.delete(using_db=conn)
    else:
        vote.value = value
        await vote.save(update_fields=["value"], using_db=conn)
