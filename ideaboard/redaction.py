"""Staff edits of what customers wrote (to take out personal data; the original stays in the audit log entry), and
the team's private notes on an idea."""

from __future__ import annotations

from ideaboard import audit
from ideaboard.errors import NotAllowed
from ideaboard.forms import FormErrors, parse_comment, parse_idea
from ideaboard.i18n import gettext as _
from ideaboard.i18n import number
from ideaboard.markdown import render_markdown
from ideaboard.models import Comment, Idea, Role, StaffNote, User


def _staff(actor: User) -> None:
    if not Role(actor.role).is_staff:
        raise NotAllowed(_('Only the team can edit what someone else wrote.'))


async def redact_idea(actor: User, idea: Idea, data: dict[str, str]) -> bool:
    """Replace an idea's title and description; False when nothing changed (no entry then)."""
    _staff(actor)
    form = parse_idea({"title": data.get("title", ""), "body": data.get("body", ""), "category": "", "tags": ""},
                      set())
    if (form.title, form.body) == (idea.title, idea.body):
        return False
    original_title, original_body = idea.title, idea.body
    idea.title, idea.body, idea.body_html = form.title, form.body, render_markdown(form.body)
    await idea.save(update_fields=["title", "body", "body_html", "updated_at"])
    await audit.record(actor, "idea.redact", "idea", idea.id, original_title=original_title,
                       original_body=original_body)
    return True


async def redact_comment(actor: User, comment: Comment, data: dict[str, str]) -> bool:
    """Replace a comment's text; False when nothing changed."""
    _staff(actor)
    body = parse_comment({"body": data.get("body", "")})
    if body == comment.body:
        return False
    original = comment.body
    comment.body, comment.body_html = body, render_markdown(body)
    await comment.save(update_fields=["body", "body_html"])
    await audit.record(actor, "comment.redact", "comment", comment.id, idea_id=comment.idea_id, original_body=original)
    return True


NOTE_MAX = 5_000


async def add_note(actor: User, idea: Idea, raw: str) -> StaffNote:
    """A private note of the team on an idea (markdown); customers never read it."""
    _staff(actor)
    body = (raw or "").strip()
    if not 1 <= len(body) <= NOTE_MAX:
        raise FormErrors({"note": _('Write the note (at most %(NOTE_MAX)s characters).', NOTE_MAX=number(NOTE_MAX))},
                         {"note": (raw or "")[:NOTE_MAX]})
    return await StaffNote.create(idea=idea, author=actor, body=body, body_html=render_markdown(body))


async def notes_on(idea: Idea) -> list[StaffNote]:
    """The team's private notes on an idea, oldest first."""
    return await StaffNote.filter(idea_id=idea.id).order_by("created_at", "id").select_related("author")
