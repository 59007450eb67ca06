"""The review queue: a new member's first posts (pre-moderation) and what the spam score holds wait here, hidden from
everyone but their author and the team, until staff approve (published, the author told) or reject (with a reason)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from ideaboard import audit, comments, i18n, jobs, mail, spam, webhooks
from ideaboard.errors import NotAllowed
from ideaboard.forms import FormErrors
from ideaboard.i18n import gettext as _
from ideaboard.models import Comment, Idea, Review, Role, SpamScore, User
from ideaboard.settings import Settings
from ideaboard.urls import urls

NEW_MEMBER = "new member"
REASON_MAX = 500


async def hold_reason(author: User, settings: Settings, text: str) -> str:
    """Why this member's next idea or comment waits for review ("" when it goes live): pre-moderation, or a spam
    score that its own signals already reach (the worker scores it again with the text of other accounts)."""
    return await _new_member(author, settings.premoderate_first_posts) or await _spam_at_the_door(
        author, text, settings.spam_hold_score)


async def _new_member(author: User, first_posts: int) -> str:
    """Pre-moderation holds a customer's posts until `first_posts` of them are public (0: off; never the team)."""
    if first_posts <= 0 or Role(author.role).is_staff:
        return ""
    public = (await Idea.filter(author_id=author.id, hidden=False).count()
              + await Comment.filter(author_id=author.id, hidden=False).count())
    return NEW_MEMBER if public < first_posts else ""


async def _spam_at_the_door(author: User, text: str, threshold: int) -> str:
    """The cheap signals (classifier, links, account age, posting rate) before the post is ever public."""
    if Role(author.role).is_staff:
        return ""
    value, points = spam.score(await _facts(author, text, datetime.now(UTC), compare_others=False))
    return f"spam score {value}: {spam.describe(points)}"[:200] if value >= threshold else ""


async def pending() -> list[Review]:
    """The queue, oldest first, with what is waiting and who wrote it."""
    return await (Review.filter(decided_at__isnull=True).order_by("created_at", "id")
                  .select_related("author", "idea", "comment", "comment__idea"))


async def pending_count() -> int:
    return await Review.filter(decided_at__isnull=True).count()


async def my_waiting_comments(viewer: User | None, idea_id: int) -> list[Comment]:
    """The viewer's own comments on this idea that wait for review (shown only to them)."""
    if viewer is None:
        return []
    ids = await Review.filter(author_id=viewer.id, decided_at__isnull=True, comment__idea_id=idea_id
                              ).values_list("comment_id", flat=True)
    return await Comment.filter(id__in=list(ids)).order_by("created_at", "id") if ids else []


def _reason(raw: str | None, *, required: bool) -> str:
    reason = " ".join((raw or "").split())
    if len(reason) > REASON_MAX or (required and len(reason) < 3):
        raise FormErrors({"reason": _('Tell the author why, in 3 to %(REASON_MAX)s characters (they read it).',
                                      REASON_MAX=REASON_MAX)},
                         {"reason": (raw or "")[:REASON_MAX]})
    return reason


async def _decide(actor: User, review: Review, decision: str, reason: str) -> bool:
    """Mark the review decided; False when someone else decided it first."""
    return bool(await Review.filter(id=review.id, decided_at__isnull=True).update(
        decided_at=datetime.now(UTC), decided_by_id=actor.id, decision=decision, decision_reason=reason))


async def approve(actor: User, review: Review, raw_reason: str = "") -> None:
    """Publish the held idea or comment as if it had just been posted (followers told, webhooks sent)."""
    reason = _reason(raw_reason, required=False)
    async with in_transaction():
        if not await _decide(actor, review, "approved", reason):
            raise NotAllowed(_('Someone on the team already decided this one.'))
        if review.comment_id:
            comment = await Comment.get(id=review.comment_id).select_related("idea", "author")
            await Comment.filter(id=comment.id).update(hidden=False)
            await comments.published_comment(comment, comment.idea, comment.author)
        else:
            await Idea.filter(id=review.idea_id).update(hidden=False)
            await webhooks.idea_created(await Idea.get(id=review.idea_id))
        await audit.record(actor, "review.approve", "comment" if review.comment_id else "idea",
                           review.comment_id or review.idea_id, reason=reason)


async def reject(actor: User, review: Review, raw_reason: str) -> None:
    """Keep it hidden for good; the reason goes to the author."""
    reason = _reason(raw_reason, required=True)
    if not await _decide(actor, review, "rejected", reason):
        raise NotAllowed(_('Someone on the team already decided this one.'))
    await audit.record(actor, "review.reject", "comment" if review.comment_id else "idea",
                       review.comment_id or review.idea_id, reason=reason)


async def decision_email(settings: Settings, review: Review) -> mail.Email:
    """What the author is told: approved (with a link) or rejected, with the team's reason."""
    await review.fetch_related("author", "idea", "comment")
    idea_id = review.idea_id or (review.comment.idea_id if review.comment else None)
    what = "idea" if review.idea_id else "comment"
    title = review.idea.title if review.idea else ""
    approved = review.decision == "approved"
    link = settings.base_url.rstrip("/") + urls.idea(idea_id) if idea_id and approved else ""
    with i18n.speaking(i18n.of_person(review.author)):  # the author's language, not the deciding teammate's
        subjects = {("idea", True): _("Your idea is live"), ("comment", True): _("Your comment is live"),
                    ("idea", False): _("Your idea was not published"),
                    ("comment", False): _("Your comment was not published")}
        return mail.compose(settings, review.author.email, subjects[what, approved], "review_decision", {
            "name": review.author.name, "what": _("idea") if what == "idea" else _("comment"), "title": title,
            "approved": approved, "reason": review.decision_reason, "link": link})


SAME_TEXT_WINDOW = timedelta(days=7)
SAME_TEXT_LOOKBACK = 500  # the most recent posts of other accounts compared


async def _facts(author: User, text: str, now: datetime, *, compare_others: bool = True) -> spam.Post:
    """The signals around one post: account age, how fast its author posts, the same text from other accounts."""
    since = now - spam.RATE_WINDOW
    recent = (await Idea.filter(author_id=author.id, created_at__gte=since).count()
              + await Comment.filter(author_id=author.id, created_at__gte=since).count())
    if not compare_others:
        return spam.Post(text=text, account_age=now - author.created_at, recent_posts=recent,
                         same_text_elsewhere=0, is_staff=Role(author.role).is_staff)
    mine = spam.fingerprint(text)
    lately = now - SAME_TEXT_WINDOW
    others = [*await Idea.filter(created_at__gte=lately).exclude(author_id=author.id).order_by("-id")
              .limit(SAME_TEXT_LOOKBACK).values_list("body", "title"),
              *[(body, "") for body in await Comment.filter(created_at__gte=lately).exclude(author_id=author.id)
                .order_by("-id").limit(SAME_TEXT_LOOKBACK).values_list("body", flat=True)]]
    same = sum(1 for body, title in others if len(mine) >= 20 and spam.fingerprint(f"{title} {body}".strip()) == mine)
    return spam.Post(text=text, account_age=now - author.created_at, recent_posts=recent, same_text_elsewhere=same,
                     is_staff=Role(author.role).is_staff)


async def score_post(kind: str, target_id: int, threshold: int, now: datetime) -> SpamScore | None:
    """The worker's score of a new idea or comment; at `threshold` or more it is held for review (hidden, queued).
    Scoring the same post again changes nothing."""
    if kind == "idea":
        item: Idea | Comment | None = await Idea.get_or_none(id=target_id).select_related("author")
        text = f"{item.title} {item.body}".strip() if isinstance(item, Idea) else ""
    else:
        item = await Comment.get_or_none(id=target_id).select_related("author")
        text = item.body if isinstance(item, Comment) else ""
    if item is None or await SpamScore.exists(target_type=kind, target_id=target_id):
        return None
    value, points = spam.score(await _facts(item.author, text, now))
    row, created = await SpamScore.get_or_create(target_type=kind, target_id=target_id,
                                                 defaults={"score": value, "signals": points})
    if created and value >= threshold and not item.hidden:
        await _hold_for_spam(item, value, points)
    return row


async def _hold_for_spam(item: Idea | Comment, value: int, points: dict[str, int]) -> None:
    why = f"spam score {value}: {spam.describe(points)}"[:200]
    async with in_transaction():
        if isinstance(item, Comment):
            if not await Comment.filter(id=item.id, hidden=False).update(hidden=True):
                return
            await Idea.filter(id=item.idea_id).update(comment_count=F("comment_count") - 1)
            await Review.create(comment_id=item.id, author_id=item.author_id, why=why, score=value)
        else:
            if not await Idea.filter(id=item.id, hidden=False).update(hidden=True):
                return
            await Review.create(idea_id=item.id, author_id=item.author_id, why=why, score=value)
    await audit.record(None, "review.hold", "comment" if isinstance(item, Comment) else "idea", item.id,
                       score=value, signals=spam.describe(points))


async def queue_spam_score(redis, kind: str, target_id: int) -> bool:
    """Ask the worker to score a post that went live (held posts wait for a person anyway)."""
    return await jobs.enqueue(redis, "score_spam", kind, target_id, job_id=f"score_spam:{kind}:{target_id}")
