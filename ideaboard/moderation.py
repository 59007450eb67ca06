"""Community reports and the team's answer to them: flag, hide, restore, dismiss — each audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from ideaboard import audit, suspensions
from ideaboard.errors import NotAllowed
from ideaboard.forms import FormErrors
from ideaboard.i18n import gettext as _
from ideaboard.models import Comment, Flag, Idea, Role, User

REASON_MIN, REASON_MAX = 3, 500


def parse_reason(raw: str | None) -> str:
    """A report needs a short reason the team can act on."""
    reason = (raw or "").strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise FormErrors({"reason": _('Tell the team why, in %(REASON_MIN)s to %(REASON_MAX)s characters (you wrote '
                                      '%(count)s).',
                                      REASON_MIN=REASON_MIN, REASON_MAX=REASON_MAX, count=len(reason))},
                         {"reason": raw or ""})
    return reason


async def flag(reporter: User, *, idea: Idea | None = None, comment: Comment | None = None, reason: str,
               auto_hide_after: int = 0) -> Flag:
    """Report one idea or one comment; a person has at most one open report per item.

    Once `auto_hide_after` different members have open reports on it (0: never), it is hidden until staff restore it,
    unless a team member wrote it."""
    if idea is not None and comment is None:
        target: dict[str, Any] = {"idea_id": idea.id}
    elif comment is not None and idea is None:
        target = {"comment_id": comment.id}
    else:
        raise ValueError("flag exactly one idea or one comment")
    await suspensions.ensure_may_write(reporter)
    reason = parse_reason(reason)
    if await Flag.filter(reporter_id=reporter.id, resolved_at__isnull=True, **target).exists():
        raise NotAllowed(_('You already reported this. The team will look at it soon.'))
    report = await Flag.create(reporter=reporter, reason=reason, **target)
    if auto_hide_after > 0:
        await _auto_hide(idea, comment, target, auto_hide_after)
    return report


async def _auto_hide(idea: Idea | None, comment: Comment | None, target: dict[str, Any], threshold: int) -> bool:
    """Hide the item once enough different members report it (its reports stay open for the team's queue)."""
    reporters = set(await Flag.filter(resolved_at__isnull=True, **target).values_list("reporter_id", flat=True))
    if len(reporters) < threshold:
        return False
    author_id = comment.author_id if comment is not None else idea.author_id  # type: ignore[union-attr]
    author = await User.get_or_none(id=author_id)
    if author is None or Role(author.role).is_staff:
        return False
    if comment is not None:
        async with in_transaction():
            if not await Comment.filter(id=comment.id, hidden=False).update(hidden=True):
                return False
            await Idea.filter(id=comment.idea_id).update(comment_count=F("comment_count") - 1)
        comment.hidden = True
        await audit.record(None, "comment.auto_hide", "comment", comment.id, idea_id=comment.idea_id,
                           reporters=len(reporters))
        return True
    assert idea is not None
    if not await Idea.filter(id=idea.id, hidden=False).update(hidden=True):
        return False
    idea.hidden = True
    await audit.record(None, "idea.auto_hide", "idea", idea.id, reporters=len(reporters))
    return True


async def open_flags() -> list[Flag]:
    """The moderation queue, oldest report first."""
    return await (Flag.filter(resolved_at__isnull=True).order_by("created_at", "id")
                  .select_related("reporter", "idea", "comment", "comment__author", "comment__idea"))


async def flags_on(idea: Idea) -> list[Flag]:
    """Every report about this idea or one of its comments, newest first, for the staff idea page."""
    return await (Flag.filter(Q(idea_id=idea.id) | Q(comment__idea_id=idea.id)).order_by("-created_at", "-id")
                  .select_related("reporter", "comment", "comment__author", "resolved_by"))


async def _resolve(actor: User, resolution: str, **target) -> int:
    return await Flag.filter(resolved_at__isnull=True, **target).update(
        resolved_at=datetime.now(UTC), resolved_by_id=actor.id, resolution=resolution)


async def set_idea_hidden(actor: User, idea: Idea, hidden: bool) -> None:
    """Hide an idea from the public (or bring it back) and close its open reports."""
    async with in_transaction():
        await Idea.filter(id=idea.id).update(hidden=hidden)
        resolved = await _resolve(actor, "hidden" if hidden else "restored", idea_id=idea.id)
    idea.hidden = hidden
    await audit.record(actor, "idea.hide" if hidden else "idea.restore", "idea", idea.id, flags_resolved=resolved)


async def set_comment_hidden(actor: User, comment: Comment, hidden: bool) -> None:
    """Hide a comment (or restore it), keeping the idea's visible comment count exact."""
    async with in_transaction():
        changed = await Comment.filter(id=comment.id, hidden=not hidden).update(hidden=hidden)
        if changed:
            delta = -1 if hidden else 1
            await Idea.filter(id=comment.idea_id).update(comment_count=F("comment_count") + delta)
        resolved = await _resolve(actor, "hidden" if hidden else "restored", comment_id=comment.id)
    comment.hidden = hidden
    await audit.record(actor, "comment.hide" if hidden else "comment.restore", "comment", comment.id,
                       idea_id=comment.idea_id, flags_resolved=resolved)


async def dismiss(actor: User, flag_: Flag) -> None:
    """The report needs no action: the content stays as it is."""
    if flag_.resolved_at is not None:
        raise NotAllowed(_('This report was already handled.'))
    await _resolve(actor, "dismissed", id=flag_.id)
    await audit.record(actor, "flag.dismiss", "flag", flag_.id, idea_id=flag_.idea_id, comment_id=flag_.comment_id)
