"""What each change tells the open pages (ideaboard/live.py): the topics and payloads, one function per change.

Only what everyone allowed on the topic may see: nothing about hidden ideas or comments, internal ideas only on the
internal board and their own page (whose listeners were checked to be employees).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ideaboard import live, templating
from ideaboard.models import Comment, Idea, Space

if TYPE_CHECKING:
    from ideaboard.votes import Tally

QUEUE, DESK = live.QUEUE, live.DESK


async def vote_counted(tally: Tally) -> None:
    """The idea's new score and its ↑/↓ tally on its page and its board."""
    if tally.space is not None:  # the vote read where the idea is (votes.Tally): no query
        found = [(tally.space, tally.hidden)]
    else:
        found = await Idea.filter(id=tally.idea_id).values_list("space", "hidden")
    if not found or found[0][1]:
        return
    space = Space(found[0][0])
    for topic in (f"idea:{tally.idea_id}", f"board:{space.value}"):
        live.tell(topic, f"votes-{tally.idea_id}", str(tally.score))
        live.tell(topic, f"tally-{tally.idea_id}", f"{tally.upvotes}↑ {tally.downvotes}↓")


async def comment_posted(comment: Comment, idea: Idea) -> None:
    """The comment, as visitors see it, appended on the idea's page; the review queue's comment count moved."""
    fresh = await Comment.filter(id=comment.id).prefetch_related("author", "idea").first()
    if fresh is None or fresh.hidden or fresh.idea.hidden:
        return
    html = templating.templates.env.get_template("ideas/_comment_live.html").render(
        c=fresh, user=None, count=fresh.idea.comment_count)
    live.tell(f"idea:{idea.id}", "comment", html.strip())
    live.tell(QUEUE, "queue")


async def comment_changed(comment_id: int, idea_id: int) -> None:
    """An edited or redacted comment's new text on its idea's open pages; a hidden or deleted one leaves them."""
    idea = await Idea.filter(id=idea_id).only("id", "hidden", "comment_count").first()
    if idea is None or idea.hidden:
        return
    comment = await Comment.filter(id=comment_id, hidden=False).first()
    html = templating.templates.env.get_template("ideas/_comment_changed.html").render(
        c=comment, comment_id=comment_id, count=idea.comment_count)
    live.tell(f"idea:{idea_id}", "comment-changed", html.strip())


def queue_changed() -> None:
    """An idea arrived in or moved through the review queue."""
    live.tell(QUEUE, "queue")


def desk_changed(conversation_id: int | None = None) -> None:
    """The desk's inbox, and the conversation's own page when one is named."""
    live.tell(DESK, "desk")
    if conversation_id is not None:
        live.tell(DESK, f"conversation-{conversation_id}")
