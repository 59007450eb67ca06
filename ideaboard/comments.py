"""Comments: markdown rendered once to safe HTML; counts denormalized on the idea."""

from __future__ import annotations

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from ideaboard.ideas import NotAllowed
from ideaboard.markdown import render_markdown
from ideaboard.models import Comment, Idea, Role, User


async def add_comment(idea: Idea, author: User, body: str) -> Comment:
    """A new comment; staff comments are marked so the community sees the company speaking."""
    async with in_transaction():
        comment = await Comment.create(
            idea=idea, author=author, body=body, body_html=render_markdown(body),
            is_official=Role(author.role).is_staff,
        )
        await Idea.filter(id=idea.id).update(comment_count=F("comment_count") + 1)
    return comment


async def delete_comment(comment_id: int, user: User) -> Comment:
    """Authors may delete their own comment."""
    comment = await Comment.get_or_none(id=comment_id)
    if comment is None or comment.author_id != user.id:
        raise NotAllowed("You can only delete your own comments.")
    async with in_transaction():
        await comment.delete()
        await Idea.filter(id=comment.idea_id).update(comment_count=F("comment_count") - 1)
    return comment


async def list_comments(idea: Idea) -> list[Comment]:
    """Visible comments, oldest first, as conversations read."""
    return await Comment.filter(idea=idea, hidden=False).order_by("created_at", "id").select_related("author")
