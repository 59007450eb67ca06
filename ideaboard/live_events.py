"""What each change tells the open pages (ideaboard/live.py): the topics and payloads, one function per change.

Only what everyone allowed on the topic may see: nothing about hidden ideas or comments, internal ideas only on the
internal board and their own page (whose listeners were checked to be employees).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ideaboard import i18n, live, templating
from ideaboard.models import Comment, Idea, Space

if TYPE_CHECKING:
    from ideaboard.votes import Tally

QUEUE, DESK = live.QUEUE, live.DESK


def _in_every_language(topic: str, name: str, template: str, **context: object) -> None:
    """The fragment rendered once per language the site speaks, each under its own event name: an open page
    swaps in the one in its reader's language (ideas/detail.html), whoever's request made the change."""
    for locale in i18n.LOCALES:
        with i18n.speaking(locale):
            html = templating.templates.env.get_template(template).render(**context)
        live.tell(topic, live.in_language(name, locale), html.strip())


async def vote_counted(tally: Tally) -> None:
    """The idea's new score and its ↑/↓ tally on its page and its board."""
    if tally.space is not None:  # the vote read where the idea is (votes.Tally): no query
        found = [(tally.space, tally.hidden)]
    else:
        found = await Idea.filter(id=tally.idea_id).values_list("space", "hidden")
    if not found or found[0][1]:
        return
    space = Space(found[0][0])
    for locale in i18n.LOCALES:  # written as the page writes them ('1,234' / '1.234'), each page hears its own
        with i18n.speaking(locale):
            score, ups, downs = i18n.number(tally.score), i18n.number(tally.upvotes), i18n.number(tally.downvotes)
        for topic in (f"idea:{tally.idea_id}", f"board:{space.value}"):
            live.tell(topic, live.in_language(f"votes-{tally.idea_id}", locale), score)
            live.tell(topic, live.in_language(f"tally-{tally.idea_id}", locale), f"{ups}↑ {downs}↓")


async def comment_posted(comment: Comment, idea: Idea) -> None:
    """The comment, as visitors see it, appended on the idea's page; the review queue's comment count moved."""
    fresh = await Comment.filter(id=comment.id).prefetch_related("author", "idea").first()
    if fresh is None or fresh.hidden or fresh.idea.hidden:
        return
    _in_every_language(f"idea:{idea.id}", "comment", "ideas/_comment_live.html",
                       c=fresh, user=None, count=fresh.idea.comment_count)
    live.tell(QUEUE, "queue")


async def comment_changed(comment_id: int, idea_id: int) -> None:
    """An edited or redacted comment's new text on its idea's open pages; a hidden or deleted one leaves them."""
    idea = await Idea.filter(id=idea_id).only("id", "hidden", "comment_count").first()
    if idea is None or idea.hidden:
        return
    comment = await Comment.filter(id=comment_id, hidden=False).first()
    _in_every_language(f"idea:{idea_id}", "comment-changed", "ideas/_comment_changed.html",
                       c=comment, comment_id=comment_id, count=idea.comment_count)


def queue_changed() -> None:
    """An idea arrived in or moved through the review queue."""
    live.tell(QUEUE, "queue")


def desk_changed(conversation_id: int | None = None) -> None:
    """The desk's inbox, and the conversation's own page when one is named."""
    live.tell(DESK, "desk")
    if conversation_id is not None:
        live.tell(DESK, f"conversation-{conversation_id}")
