"""The X desk: a shared inbox of conversations on X that the team claims, answers, links, tickets or dismisses.

Every change is one compare-and-set UPDATE on the conversation's version, so two teammates acting at once never
both win: the second is told who has it and nothing is sent twice. One transition table says what may follow what.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from ideaboard import audit, post_length, social, webhooks, zendesk
from ideaboard.errors import Conflict, IllegalTransition, NotAllowed
from ideaboard.forms import IdeaForm
from ideaboard.i18n import gettext as _
from ideaboard.i18n import number
from ideaboard.ideas import submit_idea
from ideaboard.models import (
    AuditEntry,
    Comment,
    Conversation,
    ConversationState,
    DeskReply,
    Idea,
    IdeaTweet,
    LinkedIdentity,
    ReplyStatus,
    Role,
    SavedReply,
    Space,
    Tweet,
    User,
    Vote,
)
from ideaboard.settings import Settings
from ideaboard.x_api import XApiError, XAuthError, XDuplicateContent, XRateLimited, XReplyTargetGone

C = ConversationState
# What may follow what. Claiming is not a move of its own once a conversation is answered: it changes the assignee.
TRANSITIONS: dict[ConversationState, frozenset[ConversationState]] = {
    C.OPEN: frozenset({C.CLAIMED, C.REPLIED, C.LINKED, C.TICKETED, C.DISMISSED}),
    C.CLAIMED: frozenset({C.OPEN, C.REPLIED, C.LINKED, C.TICKETED, C.DISMISSED}),
    C.REPLIED: frozenset({C.REPLIED, C.LINKED, C.TICKETED, C.DISMISSED, C.OPEN, C.CLAIMED}),  # they wrote again
    C.LINKED: frozenset({C.REPLIED, C.LINKED, C.TICKETED, C.DISMISSED}),
    C.TICKETED: frozenset({C.REPLIED, C.LINKED, C.DISMISSED}),
    C.DISMISSED: frozenset({C.OPEN}),
}
PAGE_SIZE = 50
SAVED_REPLY_MAX = 2000
MAX_REASON = 300
DISMISS_REASONS = ("spam", "noise", "not about us", "abusive", "other")
DEFAULT_SAVED_REPLIES = (
    ("Thanks, we are on it", "Thanks {handle}! We hear you and the team is looking into it."),
    ("Follow the idea", "Thanks {handle}! We made this an idea on our board, follow it and vote: {idea_link}"),
)


class DeskError(NotAllowed):
    """The action cannot happen as asked (empty reply, too long, X refused); nothing was changed."""


class AlreadyConverted(Conflict):
    """The conversation already became an idea: `idea` is the one made the first time."""

    def __init__(self, message: str, idea: Idea) -> None:
        super().__init__(message)
        self.idea = idea


def allowed(state: ConversationState, to: ConversationState) -> bool:
    return to in TRANSITIONS[ConversationState(state)]


def _illegal(state: ConversationState, to: ConversationState) -> IllegalTransition:
    options = sorted(s.label for s in TRANSITIONS[ConversationState(state)])
    return IllegalTransition(_('A conversation that is %(ConversationState)s can become %(value)s, not %(label)s.',
                               ConversationState=ConversationState(state).label,
                               value=', '.join(options) or 'nothing else', label=to.label))


async def _taken_or_changed(conversation: Conversation, actor: User) -> Conflict:
    """Why a compare-and-set found nothing to update, read from the row as it is now."""
    fresh = await Conversation.get(id=conversation.id).select_related("assignee")
    if fresh.assignee is not None and fresh.assignee_id != actor.id:
        return Conflict(_('%(name)s is answering this. Nothing was sent or changed; the page shows where the '
                          'conversation stands now.', name=fresh.assignee.name))
    return Conflict(_('Someone changed this conversation a moment ago (it is now %(label)s). Nothing was sent or '
                      'changed; look at it again before you act.', label=fresh.state.label))


async def _compare_and_set(conversation: Conversation, actor: User, version: int, *, free_for: User | None = None,
                           **changes: Any) -> None:
    """UPDATE conversations SET ..., version = version + 1 WHERE id = ? AND version = ? (AND not someone else's)."""
    query = Conversation.filter(id=conversation.id, version=version)
    if free_for is not None:
        query = query.filter(Q(assignee_id=None) | Q(assignee_id=free_for.id))
    if not await query.update(version=F("version") + 1, updated_at=datetime.now(UTC), **changes):
        raise await _taken_or_changed(conversation, actor)
    await conversation.refresh_from_db()


async def _record(actor: User, action: str, conversation: Conversation, **detail: Any) -> None:
    await audit.record(actor, action, "conversation", conversation.id, x_conversation_id=conversation.x_conversation_id,
                       state=conversation.state.value, **detail)


def _team(user: User | None) -> bool:
    return bool(user and Role(user.role).is_staff and user.is_active)


async def claim(conversation: Conversation, actor: User, version: int) -> Conversation:
    """Take the conversation; refused with who has it when a teammate got there first."""
    if conversation.assignee_id not in (None, actor.id):
        raise await _taken_or_changed(conversation, actor)
    state = C.CLAIMED if conversation.state is C.OPEN else conversation.state
    await _compare_and_set(conversation, actor, version, free_for=actor, assignee_id=actor.id, state=state)
    await _record(actor, "desk.claim", conversation)
    await webhooks.desk_assigned(conversation, actor, actor)
    return conversation


async def assign(conversation: Conversation, actor: User, owner: User | None, version: int) -> Conversation:
    """Hand the conversation to a teammate (or to nobody), even from someone else: an explicit decision."""
    if owner is not None and not _team(owner):
        raise DeskError(_('%(name)s is not on the team, so they cannot answer conversations.', name=owner.name))
    state = conversation.state
    if owner is None and state is C.CLAIMED:
        state = C.OPEN
    elif owner is not None and state is C.OPEN:
        state = C.CLAIMED
    previous = conversation.assignee_id
    await _compare_and_set(conversation, actor, version, assignee_id=owner.id if owner else None, state=state)
    await _record(actor, "desk.assign", conversation, from_assignee=previous, to_assignee=owner.id if owner else None)
    await webhooks.desk_assigned(conversation, actor, owner)
    return conversation


async def _move(conversation: Conversation, actor: User, to: ConversationState, version: int, action: str,
                detail: Mapping[str, Any] | None = None, **changes: Any) -> Conversation:
    """One step through the table, refused while a teammate has the conversation, audited."""
    if not allowed(conversation.state, to):
        raise _illegal(conversation.state, to)
    before = conversation.state
    await _compare_and_set(conversation, actor, version, free_for=actor, state=to, **changes)
    await _record(actor, action, conversation, from_state=before.value, **(detail or {}))
    return conversation


async def follow_up(conversation: Conversation, posts: Sequence[Tweet]) -> bool:
    """The customer wrote again after our reply: the conversation waits for an answer again (with whoever had it)."""
    if conversation.state is not C.REPLIED:
        return False
    sent = await DeskReply.filter(conversation_id=conversation.id, status=ReplyStatus.SENT).order_by("-sent_at")
    last_sent, ours = (sent[0] if sent else None), {r.x_post_id for r in sent}
    theirs = [t.created_at for t in posts
              if t.author_id == conversation.author_id and t.id not in ours and t.created_at]
    if not theirs or last_sent is None or last_sent.sent_at is None or max(theirs) <= last_sent.sent_at:
        return False
    to = C.CLAIMED if conversation.assignee_id else C.OPEN
    if not await Conversation.filter(id=conversation.id, version=conversation.version).update(
            state=to, version=F("version") + 1, updated_at=datetime.now(UTC)):
        return False  # a teammate acted at this very moment: their change stands
    await conversation.refresh_from_db()
    await audit.record(None, "desk.follow_up", "conversation", conversation.id,
                       x_conversation_id=conversation.x_conversation_id, from_state=C.REPLIED.value, state=to.value)
    return True


async def dismiss(conversation: Conversation, actor: User, reason: str, note: str, version: int) -> Conversation:
    """Spam, noise, not about us: out of the inbox with the reason written down."""
    if reason not in DISMISS_REASONS:
        raise DeskError(_('Choose why this conversation needs no answer.'))
    text = " ".join(f"{reason}: {note}".split())[:MAX_REASON] if note.strip() else reason
    return await _move(conversation, actor, C.DISMISSED, version, "desk.dismiss", {"reason": text},
                       dismiss_reason=text)


async def reopen(conversation: Conversation, actor: User, version: int) -> Conversation:
    """Back into the inbox, unassigned (a dismissal was a mistake)."""
    return await _move(conversation, actor, C.OPEN, version, "desk.reopen", assignee_id=None, dismiss_reason="")


async def link_idea(conversation: Conversation, actor: User, idea: Idea, version: int) -> Conversation:
    """Say which existing idea the conversation is about: its tweets count as that idea's social signal."""
    if idea.space is not Space.PUBLIC or idea.hidden:
        raise DeskError(_('Link conversations to public ideas only: the customer may follow the link.'))
    async with in_transaction():
        await _move(conversation, actor, C.LINKED, version, "desk.link", {"idea_id": idea.id}, idea_id=idea.id)
        await _link_tweets(conversation, idea)
    return conversation


async def _link_tweets(conversation: Conversation, idea: Idea) -> None:
    tweets = await Tweet.filter(Q(conversation_id=conversation.x_conversation_id) |
                                Q(id=conversation.x_conversation_id)).values_list("id", flat=True)
    known = set(await IdeaTweet.filter(idea_id=idea.id, tweet_id__in=list(tweets)).values_list("tweet_id", flat=True))
    fresh = [t for t in tweets if t not in known]
    await IdeaTweet.bulk_create([IdeaTweet(idea_id=idea.id, tweet_id=t, score=1.0) for t in fresh],
                                ignore_conflicts=True)
    if fresh:
        await webhooks.tweets_linked(idea, await Tweet.filter(id__in=fresh))


async def idea_from_conversation(conversation: Conversation, actor: User, form: IdeaForm, version: int) -> Idea:
    """Publish the conversation as a new idea, once: a second try is told about the idea the first one made."""
    if made := await made_idea(conversation):
        raise AlreadyConverted(_('This conversation already became idea #%(id)s, “%(title)s”.',
                                 id=made.id, title=made.title), made)
    root = await root_tweet(conversation)
    if root is None:
        raise DeskError(_("The conversation's first post is not stored, so there is nothing to publish."))
    async with in_transaction():
        if not await Conversation.filter(id=conversation.id, version=version, idea_created=False).update(
                version=F("version") + 1, idea_created=True):
            if made := await made_idea(conversation):
                raise AlreadyConverted(_('A teammate just made this conversation idea #%(id)s.', id=made.id), made)
            raise await _taken_or_changed(conversation, actor)
        idea = await submit_idea(actor, form, Space.PUBLIC)
        idea.source_tweet_id = root.id
        await idea.save(update_fields=["source_tweet_id"])
        await _link_tweets(conversation, idea)
        state = C.LINKED if allowed(conversation.state, C.LINKED) else conversation.state
        await Conversation.filter(id=conversation.id).update(idea_id=idea.id, state=state)
        await conversation.refresh_from_db()
        await _record(actor, "desk.idea", conversation, idea_id=idea.id,
                      tweet_author=root.author_username or root.author_id)
    return idea


async def made_idea(conversation: Conversation) -> Idea | None:
    """The idea this conversation (or its first post, through the older tweet → idea page) already became."""
    if conversation.idea_created and conversation.idea_id:
        return await Idea.get_or_none(id=conversation.idea_id)
    return await Idea.filter(source_tweet_id=conversation.x_conversation_id).order_by("id").first()


@dataclass(frozen=True)
class SentReply:
    reply: DeskReply
    already: bool  # the same form was submitted before: nothing new went to X


def check_reply_text(text: str) -> str:
    """The reply as it will be posted, or DeskError saying what to fix."""
    text = text.strip()
    if not text:
        raise DeskError(_('Write a reply first.'))
    length = post_length.weighted_length(text)
    if length > post_length.MAX_WEIGHTED_LENGTH:
        raise DeskError(_('The reply is %(length)s characters as X counts them; the limit is '
                          '%(MAX_WEIGHTED_LENGTH)s. Shorten it by %(length2)s.',
                          length=length, MAX_WEIGHTED_LENGTH=post_length.MAX_WEIGHTED_LENGTH,
                          length2=length - post_length.MAX_WEIGHTED_LENGTH))
    return text


def new_reply_key() -> str:
    """One per reply form shown: a form submitted twice carries the same key and is sent once."""
    return secrets.token_urlsafe(24)


async def reply(conversation: Conversation, actor: User, text: str, *, version: int, key: str,
                in_reply_to: str, settings: Settings) -> SentReply:
    """Answer on X as a reply to one post of the conversation; the conversation is claimed while it is sent.

    Guarded three ways: the form's key (a resubmitted form is answered from the stored reply), the version
    compare-and-set (two teammates, two tabs), and X's own duplicate-content check. On any failure the
    conversation is put back as it was, and the caller keeps the typed text.
    """
    text = check_reply_text(text)
    if not key or len(key) > 64:
        raise DeskError(_('This reply form is out of date; reload the page and send again.'))
    if earlier := await DeskReply.get_or_none(key=key):
        if earlier.status is ReplyStatus.SENT:
            return SentReply(earlier, already=True)
        if earlier.status is ReplyStatus.SENDING and not _stale(earlier, settings):
            raise Conflict(_('This reply is being sent right now; wait a moment and reload.'))
    if not await _in_conversation(conversation, in_reply_to):
        raise DeskError(_('Choose a post of this conversation to reply to.'))
    if not settings.x_user_token:
        raise DeskError(_("Replying needs X_USER_TOKEN (the brand account's user token); nothing was sent."))
    before_state, before_assignee = conversation.state, conversation.assignee_id
    if not allowed(before_state, C.REPLIED):
        raise _illegal(before_state, C.REPLIED)
    async with in_transaction():  # the claim and the reply's key land together, or not at all
        await _compare_and_set(conversation, actor, version, free_for=actor, assignee_id=actor.id,
                               state=C.CLAIMED if before_state is C.OPEN else before_state)
        if earlier is not None:  # a failed attempt of this very form: try it again
            earlier.text, earlier.status, earlier.error, earlier.author_id = text, ReplyStatus.SENDING, "", actor.id
            earlier.in_reply_to_tweet_id, earlier.created_at = in_reply_to, datetime.now(UTC)
            await earlier.save()
            attempt = earlier
        else:
            attempt = await DeskReply.create(conversation_id=conversation.id, author=actor, key=key, text=text,
                                             in_reply_to_tweet_id=in_reply_to)
    sending_version = conversation.version
    try:
        async with asyncio.timeout(settings.x_deadline_seconds), social.x_client(settings) as client:
            posted = await client.create_post(text, in_reply_to=in_reply_to)
    except (TimeoutError, XApiError) as exc:
        message = _reply_failure(exc, settings)
        attempt.status, attempt.error = ReplyStatus.FAILED, message[:300]
        await attempt.save(update_fields=["status", "error"])
        await Conversation.filter(id=conversation.id, version=sending_version).update(
            state=before_state, assignee_id=before_assignee, version=F("version") + 1)
        await conversation.refresh_from_db()
        raise DeskError(message) from exc
    now = datetime.now(UTC)
    attempt.status, attempt.x_post_id, attempt.x_post_url, attempt.sent_at = (
        ReplyStatus.SENT, posted.id, posted.url, now)
    await attempt.save(update_fields=["status", "x_post_id", "x_post_url", "sent_at"])
    await Conversation.filter(id=conversation.id, version=sending_version).update(
        state=C.REPLIED, version=F("version") + 1, updated_at=now)
    await Conversation.filter(id=conversation.id, first_reply_at=None).update(first_reply_at=now)
    await conversation.refresh_from_db()
    await _record(actor, "desk.reply", conversation, from_state=before_state.value, post_id=posted.id,
                  in_reply_to=in_reply_to)
    return SentReply(attempt, already=False)


def _stale(attempt: DeskReply, settings: Settings) -> bool:
    """A send that never finished (the server stopped mid-way): X's duplicate check guards the retry."""
    return (datetime.now(UTC) - attempt.created_at).total_seconds() > settings.x_deadline_seconds + 60


def _reply_failure(exc: BaseException, settings: Settings) -> str:
    """What went wrong, for the person who pressed Send: nothing was sent unless we cannot know."""
    if isinstance(exc, TimeoutError):
        return (f"X did not answer within {settings.x_deadline_seconds} s. Check the brand account on X before "
                "sending again: the reply may have gone out.")
    if isinstance(exc, XDuplicateContent):
        return "X refused the reply: the account posted exactly this text recently. Change the wording."
    if isinstance(exc, XReplyTargetGone):
        return ("X refused the reply: the post was deleted, or its author is suspended or private. "
                "Nothing was sent.")
    if isinstance(exc, XRateLimited):
        return (f"X's posting limit is reached; nothing was sent. Try again after {exc.reset_at:%H:%M} UTC.")
    if isinstance(exc, XAuthError):
        return f"X refused the brand account's token, so nothing was sent: {exc.message}"
    assert isinstance(exc, XApiError)
    return f"The reply was not sent: {exc.message}"


async def _in_conversation(conversation: Conversation, tweet_id: str) -> bool:
    if not tweet_id or not tweet_id.isascii() or not tweet_id.isdigit() or len(tweet_id) > 24:
        return False
    if tweet_id == conversation.x_conversation_id:
        return True
    return await Tweet.filter(id=tweet_id, conversation_id=conversation.x_conversation_id).exists()


async def send_to_help_desk(conversation: Conversation, actor: User, note: str, *, version: int,
                            settings: Settings, base_url: str) -> Conversation:
    """A support problem, not an idea: one Zendesk ticket per conversation, its link kept on the conversation.

    Claimed while Zendesk is asked (so a teammate cannot ticket it at the same time); put back as it was when
    Zendesk refuses or is down. `base_url` is the site's address, for the link back in the ticket.
    """
    if conversation.ticket_id:
        raise DeskError(_('This conversation already has help desk ticket #%(ticket_id)s.',
                          ticket_id=conversation.ticket_id))
    if not allowed(conversation.state, C.TICKETED):
        raise _illegal(conversation.state, C.TICKETED)
    if not settings.zendesk_enabled:
        raise DeskError(_('The help desk is not set up: set ZENDESK_SUBDOMAIN, ZENDESK_EMAIL and ZENDESK_API_TOKEN.'))
    before_state, before_assignee = conversation.state, conversation.assignee_id
    await _compare_and_set(conversation, actor, version, free_for=actor, assignee_id=actor.id,
                           state=C.CLAIMED if before_state is C.OPEN else before_state)
    posts = await thread(conversation)
    handle = f"@{conversation.author_username}" if conversation.author_username else conversation.author_id
    body = "\n\n".join([
        f"{handle} on X ({conversation.author_name or 'no display name'}):",
        *(f"{t.created_at:%Y-%m-%d %H:%M} UTC — {t.text}\n{t.url}" if t.created_at else f"{t.text}\n{t.url}"
          for t in posts),
        *([f"Note from {actor.name}: {note.strip()}"] if note.strip() else []),
        f"On the desk: {base_url.rstrip('/')}/staff/desk/{conversation.id}",
    ])
    subject = f"X: {handle}: " + (posts[0].text if posts else "conversation on X")
    try:
        ticket = await zendesk.create_ticket(
            settings, subject=" ".join(subject.split())[:120], body=body, tags=["x", "ideaboard"],
            external_id=f"x-conversation-{conversation.x_conversation_id}",
            idempotency_key=f"ideaboard-desk-{conversation.x_conversation_id}")
    except zendesk.ZendeskError as exc:
        await Conversation.filter(id=conversation.id, version=conversation.version).update(
            state=before_state, assignee_id=before_assignee, version=F("version") + 1)
        await conversation.refresh_from_db()
        raise DeskError(str(exc)) from exc
    await Conversation.filter(id=conversation.id).update(state=C.TICKETED, ticket_id=ticket.id[:24],
                                                         ticket_url=ticket.url[:300], version=F("version") + 1)
    await conversation.refresh_from_db()
    await _record(actor, "desk.ticket", conversation, from_state=before_state.value, ticket_id=ticket.id)
    return conversation


@dataclass(frozen=True)
class InboxFilters:
    """The inbox's query: whose (all, unassigned, mine), which state ('' = waiting for an answer), idea, order."""

    who: str = "all"
    state: str = ""
    idea: int | None = None
    sort: str = "newest"

    WHO = ("all", "unassigned", "mine")
    SORTS = ("newest", "urgent")

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> InboxFilters:
        """Unknown values fall back to the defaults (the fuzzer sends plenty)."""
        who = query.get("who", "all")
        state = query.get("state", "")
        sort = query.get("sort", "newest")
        raw_idea = query.get("idea", "")
        idea = int(raw_idea) if raw_idea.isascii() and raw_idea.isdigit() and 0 < int(raw_idea) < 2**31 else None
        return cls(who=who if who in cls.WHO else "all",
                   state=state if state in ("all", *(s.value for s in C)) else "",
                   idea=idea, sort=sort if sort in cls.SORTS else "newest")


@dataclass
class InboxRow:
    conversation: Conversation
    first: Tweet | None
    latest: Tweet | None
    replies: int = 0


@dataclass
class Inbox:
    rows: list[InboxRow]
    counts: dict[str, int] = field(default_factory=dict)
    has_more: bool = False


async def inbox(viewer: User, filters: InboxFilters, page: int = 1) -> Inbox:
    """One page of conversations, newest (or busiest waiting) first, each with its first and latest post."""
    query = Conversation.all()
    if filters.who == "unassigned":
        query = query.filter(assignee_id=None)
    elif filters.who == "mine":
        query = query.filter(assignee_id=viewer.id)
    if filters.state == "":
        query = query.filter(state__in=[s for s in C if s.needs_answer])
    elif filters.state != "all":
        query = query.filter(state=filters.state)
    if filters.idea is not None:
        query = query.filter(idea_id=filters.idea)
    order = ("-engagement", "-last_tweet_at", "-id") if filters.sort == "urgent" else ("-last_tweet_at", "-id")
    found = await (query.order_by(*order).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
                   .select_related("assignee", "idea"))
    conversations = found[:PAGE_SIZE]
    threads = await _threads(conversations)
    replies = await _reply_counts([c.id for c in conversations])
    rows = []
    for c in conversations:
        first, latest = threads.get(c.x_conversation_id, (None, None))
        rows.append(InboxRow(c, first, latest, replies=replies.get(c.id, 0)))
    waiting = await Conversation.filter(state__in=[s for s in C if s.needs_answer]).count()
    mine = await Conversation.filter(state__in=[s for s in C if s.needs_answer], assignee_id=viewer.id).count()
    return Inbox(rows, {"waiting": waiting, "mine": mine}, has_more=len(found) > PAGE_SIZE)


async def _threads(conversations: Sequence[Conversation]) -> dict[str, tuple[Tweet, Tweet]]:
    """First and latest stored post of each conversation, in one query."""
    ids = [c.x_conversation_id for c in conversations]
    if not ids:
        return {}
    found: dict[str, tuple[Tweet, Tweet]] = {}
    for tweet in await Tweet.filter(Q(conversation_id__in=ids) | Q(id__in=ids)).order_by("created_at", "id"):
        cid = tweet.conversation_id or tweet.id
        found[cid] = (found[cid][0], tweet) if cid in found else (tweet, tweet)
    return found


async def _reply_counts(conversation_ids: list[int]) -> dict[int, int]:
    sent = cast(list[int], await DeskReply.filter(conversation_id__in=conversation_ids, status=ReplyStatus.SENT)
                .values_list("conversation_id", flat=True))
    counts: dict[int, int] = {}
    for cid in sent:
        counts[cid] = counts.get(cid, 0) + 1
    return counts


async def get_conversation(conversation_id: int) -> Conversation | None:
    return await Conversation.get_or_none(id=conversation_id).select_related("assignee", "idea")


async def thread(conversation: Conversation) -> list[Tweet]:
    """The conversation's stored posts, oldest first."""
    cid = conversation.x_conversation_id
    return await Tweet.filter(Q(conversation_id=cid) | Q(id=cid)).order_by("created_at", "id")


async def root_tweet(conversation: Conversation) -> Tweet | None:
    posts = await thread(conversation)
    return next((t for t in posts if t.id == conversation.x_conversation_id), posts[0] if posts else None)


async def sent_replies(conversation: Conversation) -> list[DeskReply]:
    """What the team said (and tried to say) in this conversation, oldest first."""
    return await DeskReply.filter(conversation_id=conversation.id).order_by("created_at", "id").select_related(
        "author")


@dataclass(frozen=True)
class Template:
    title: str
    body: str
    id: int | None = None


async def saved_replies() -> list[Template]:
    """The team's saved replies, after the two every desk starts with."""
    stored = [Template(r.title, r.body, r.id) for r in await SavedReply.all()]
    return [Template(t, b) for t, b in DEFAULT_SAVED_REPLIES] + stored


def fill_template(body: str, conversation: Conversation, settings: Settings) -> str:
    """{handle}, {idea_title} and {idea_link} for this conversation (empty when it has no idea yet)."""
    idea = conversation.idea if conversation.idea_id else None
    values = {"handle": f"@{conversation.author_username}" if conversation.author_username else "",
              "idea_title": idea.title if idea else "",
              "idea_link": social.idea_url(idea, settings) if idea else ""}
    out = body
    for name, value in values.items():
        out = out.replace("{" + name + "}", value)
    return re.sub(r" {2,}", " ", out).strip()  # an empty placeholder leaves no double space


async def delete_template(actor: User, saved: SavedReply) -> None:
    await audit.record(actor, "desk.saved_reply_delete", "saved_reply", saved.id, title=saved.title)
    await saved.delete()


async def save_template(actor: User, title: str, body: str) -> SavedReply:
    title, body = " ".join(title.split())[:80], body.strip()
    if not title or not body:
        raise DeskError(_('A saved reply needs a name and a text.'))
    if len(body) > SAVED_REPLY_MAX:
        raise DeskError(_('Keep a saved reply under %(max)s characters.', max=number(SAVED_REPLY_MAX)))
    saved = await SavedReply.create(title=title, body=body, created_by=actor)
    await audit.record(actor, "desk.saved_reply", "saved_reply", saved.id, title=title)
    return saved


HANDLE = re.compile(r"^[A-Za-z0-9_]{1,50}$")  # X usernames: letters, digits and underscores
HISTORY_ACTIONS = {"desk.idea": "idea", "desk.link": "linked", "desk.ticket": "ticket", "desk.dismiss": "dismissed"}


def is_handle(value: str) -> bool:
    return bool(HANDLE.match(value))


@dataclass(frozen=True)
class Moment:
    """One line of a customer's history: what happened, when, and where to look."""

    at: datetime
    kind: str  # tweet, reply, idea, linked, ticket, dismissed; for a member signed in with X: posted, voted, comment
    text: str
    url: str = ""
    conversation_id: int | None = None
    idea: Idea | None = None
    by: str = ""


async def customer_history(handle: str, limit: int = 500) -> list[Moment]:
    """Their tweets, our replies, the ideas they inspired, tickets and dismissals, in the order they happened."""
    tweets = await Tweet.filter(author_username__iexact=handle).order_by("-created_at").limit(limit)
    conversations = await Conversation.filter(author_username__iexact=handle)
    by_x = {c.x_conversation_id: c.id for c in conversations}
    ids = [c.id for c in conversations]
    moments = [Moment(t.created_at or t.fetched_at, "tweet", t.text, t.url, by_x.get(t.conversation_id or t.id))
               for t in tweets]
    for r in await DeskReply.filter(conversation_id__in=ids, status=ReplyStatus.SENT).select_related("author"):
        moments.append(Moment(r.sent_at or r.created_at, "reply", r.text, r.x_post_url or "", r.conversation_id,
                              by=r.author.name if r.author else ""))
    entries = await AuditEntry.filter(target_type="conversation", target_id__in=ids,
                                      action__in=list(HISTORY_ACTIONS)).select_related("actor")
    idea_ids = {int(e.detail["idea_id"]) for e in entries if str(e.detail.get("idea_id", "")).isdigit()}
    inspired = await Idea.filter(source_tweet__author_username__iexact=handle)
    ideas = {i.id: i for i in [*inspired, *await Idea.filter(id__in=list(idea_ids))]}
    tickets = {c.id: c for c in conversations if c.ticket_url}
    made_here = set()
    for e in entries:
        kind, idea = HISTORY_ACTIONS[e.action], None
        if str(e.detail.get("idea_id", "")).isdigit():
            idea = ideas.get(int(e.detail["idea_id"]))
            if kind == "idea" and idea:
                made_here.add(idea.id)
        text = {"ticket": f"Help desk ticket #{e.detail.get('ticket_id', '')}",
                "dismissed": f"Dismissed: {e.detail.get('reason', '')}"}.get(kind, idea.title if idea else "")
        url = tickets[e.target_id].ticket_url or "" if kind == "ticket" and e.target_id in tickets else ""
        moments.append(Moment(e.created_at, kind, text, url, e.target_id, idea, e.actor.name if e.actor else ""))
    for idea in inspired:
        if idea.id not in made_here:  # made on the older tweet → idea page
            moments.append(Moment(idea.created_at, "idea", idea.title, idea=idea))
    if member := await member_of(handle):
        moments += await _member_moments(member, limit)
    return sorted(moments, key=lambda m: m.at)


async def member_of(handle: str) -> User | None:
    """The account that signed in with this X handle (Sign in with X links them), if any."""
    identity = await LinkedIdentity.filter(provider="x", username__iexact=handle).select_related("user").first()
    return identity.user if identity else None


async def _member_moments(member: User, limit: int) -> list[Moment]:
    """What the person did on the board itself: ideas posted, ideas voted for, comments."""
    ideas = await Idea.filter(author_id=member.id).order_by("-created_at").limit(limit)
    votes = await (Vote.filter(user_id=member.id, value__gt=0).order_by("-created_at").limit(limit)
                   .select_related("idea"))
    comments = await (Comment.filter(author_id=member.id, hidden=False).order_by("-created_at").limit(limit)
                      .select_related("idea"))
    return [*(Moment(i.created_at, "posted", i.title, idea=i) for i in ideas),
            *(Moment(v.created_at, "voted", v.idea.title, idea=v.idea) for v in votes),
            *(Moment(c.created_at, "comment", c.body[:300], idea=c.idea) for c in comments)]
