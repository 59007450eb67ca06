"""Everything an idea page shows, read in one round trip on Postgres: every visit asks for all of it."""

from __future__ import annotations

from dataclasses import dataclass

from ideaboard import clusters, comments, ideas, merge, reads, social, sql, votes, workflow
from ideaboard.models import Idea, IdeaEvent, Tweet, User


@dataclass(frozen=True)
class IdeaPage:
    idea: Idea
    conversation: comments.CommentPage
    tags: list[str]
    timeline: list[IdeaEvent]
    related_ideas: list[Idea]
    related_tweets: list[Tweet]
    my_vote: int
    following: bool
    comment_images: dict[int, str]  # each comment's latest picture's key


async def read_idea_page(idea_id: int, viewer: User | None, *, comments_before: str | None = None) -> IdeaPage | None:
    """The page if this viewer may open the idea (ideas.opened_idea's rules), else None."""
    queries = [reads.idea(idea_id), comments.comments_query(idea_id, before=comments_before),
               reads.tags([idea_id]), reads.timeline(idea_id), reads.related_ideas(idea_id, clusters.RELATED_SIZE),
               reads.related_tweets(idea_id, social.PANEL_SIZE), comments.images_query(idea_id, before=comments_before)]
    if viewer is not None:
        queries += [reads.votes(viewer.id, [idea_id]), reads.following(viewer.id, idea_id)]
    (idea_rows, comment_rows, tag_rows, event_rows, related_rows, tweet_rows, image_rows,
     *mine) = await sql.fetch_together(*queries)
    idea = await ideas.opened_idea(idea_rows, viewer)
    if idea is None:
        return None
    return IdeaPage(
        idea=idea, conversation=comments.comment_page(comment_rows),
        tags=ideas.tags_by_idea(tag_rows).get(idea_id, []),
        timeline=await merge.readable_story(workflow.events_from_rows(event_rows), viewer),
        related_ideas=clusters.related_from_rows(related_rows), related_tweets=social.tweets_from_rows(tweet_rows),
        my_vote=votes.dict_of_votes(mine[0]).get(idea_id, 0) if mine else 0, following=bool(mine and mine[1]),
        comment_images={row["comment_id"]: row["key"] for row in image_rows},
    )
