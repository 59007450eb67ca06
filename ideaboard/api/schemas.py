"""The API's request and response shapes as pydantic models: they validate input and are the OpenAPI schemas.

Bodies are strict JSON with unknown fields refused; query models are lax (query strings are text) and refuse
unknown parameters too. Text never carries control characters (Postgres refuses NUL), ids fit the id column.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from ideaboard import inputs, statuses
from ideaboard.forms import BODY_MAX, COMMENT_MAX, MAX_TAGS, TITLE_MAX
from ideaboard.i18n import N_
from ideaboard.models import ApiScope, EventKind, NotificationKind, Role, Space
from ideaboard.workflow import MAX_MESSAGE

# Our own validation kinds, so a problem document can say them in the caller's language (operations._PYDANTIC).
CONTROL_IN_LINE, CONTROL_IN_TEXT, UNKNOWN_STATUS = "control_character_in_line", "control_character", "unknown_status"


def _one_line(value: str) -> str:
    if inputs.has_control(value):
        raise PydanticCustomError(CONTROL_IN_LINE, "contains a control character (such as NUL or a newline)")
    return value


def _multi_line(value: str) -> str:
    if inputs.has_control(value, multiline=True):
        raise PydanticCustomError(CONTROL_IN_TEXT, "contains a control character (such as NUL)")
    return value


Line = Annotated[str, AfterValidator(_one_line)]
Text = Annotated[str, AfterValidator(_multi_line)]
RowId = Annotated[int, Field(ge=1, le=inputs.INT_MAX)]
Cursor = Annotated[Line, Field(max_length=60, description="A cursor from a previous page (`next_cursor` ...)")]


def _defined_status(value: str) -> str:
    if not statuses.current().has(value):
        raise PydanticCustomError(UNKNOWN_STATUS, "is not one of this board's statuses ({keys})",
                                  {"keys": ", ".join(statuses.current().all_keys())})
    return value


# Statuses are the board's own (admins define them): keys, not an enum; GET /statuses lists them.
Status = Annotated[str, Field(max_length=statuses.KEY_MAX, description="A status key (GET /api/v1/statuses).",
                              examples=["under_review"])]
StatusIn = Annotated[str, Field(max_length=statuses.KEY_MAX, description=N_("One of the board's status keys "
                                "(GET /api/v1/statuses)."), examples=["planned"]), AfterValidator(_defined_status)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdeaListQuery(Query):
    sort: Literal["hot", "top", "new"] = "hot"
    status: StatusIn | None = Field(
        None, description=N_("Only this status; closed ideas are listed only when asked for."))
    category: Annotated[Line, Field(max_length=60)] | None = Field(None, description=N_("A category's slug."))
    tag: Annotated[Line, Field(max_length=60)] | None = None
    space: Space = Field(Space.PUBLIC, description=N_("`internal` needs an employee's or staff key."))
    campaign: RowId | None = Field(None, description=N_("A campaign's id: its ideas only (in the campaign's space)."))
    after: Cursor | None = Field(None, description=N_("`next_cursor` of the previous page."))
    before: Cursor | None = Field(None, description=N_("`previous_cursor` of the next page."))
    limit: int = Field(20, ge=1, le=100)


class CommentListQuery(Query):
    before: Cursor | None = Field(None, description=N_("`earlier_cursor` of the page after."))


class SearchQuery(Query):
    q: Annotated[Line, Field(min_length=1, max_length=200)]
    page: int = Field(1, ge=1, le=inputs.PAGE_MAX)


class NewIdea(Body):
    title: Annotated[Text, Field(max_length=TITLE_MAX)]
    body: Annotated[Text, Field(max_length=BODY_MAX)] = ""
    category_id: RowId | None = None
    tags: Annotated[list[Annotated[Line, Field(max_length=40)]], Field(max_length=MAX_TAGS)] = []
    space: Space = Space.PUBLIC
    campaign_id: RowId | None = Field(None, description=N_("An open campaign of the same space; refused (422, "
                                      "`campaign_closed`) before it opens and from its closing time on."))


class IdeaEdit(Body):
    """The whole idea as it should read now (the edit form's fields); authors may edit until review starts."""

    title: Annotated[Text, Field(max_length=TITLE_MAX)]
    body: Annotated[Text, Field(max_length=BODY_MAX)] = ""
    category_id: RowId | None = None
    tags: Annotated[list[Annotated[Line, Field(max_length=40)]], Field(max_length=MAX_TAGS)] = []


class VoteIn(Body):
    value: Annotated[int, Field(ge=-1, le=1, description=N_("1 up, -1 down, 0 withdraws the vote. In a campaign or on "
                                "a board with a vote budget, 1 gives one more of the caller's votes, -1 takes one back "
                                "(or, on a board with free demotes and none of the caller's votes, demotes; where "
                                "demotes are off that is a 403), 0 all."))]


class NewComment(Body):
    body: Annotated[Text, Field(max_length=COMMENT_MAX)]


class StatusChange(Body):
    status: StatusIn
    message: Annotated[Text, Field(max_length=MAX_MESSAGE)] = ""


class OwnerIn(Body):
    owner_id: RowId | None = Field(description=N_("A teammate's user id; null releases the idea."))


class MergeIn(Body):
    into_id: RowId = Field(description=N_("The idea this one duplicates: votes, comments and followers move there."))


class FeedbackIn(Body):
    email: Annotated[Line, Field(min_length=3, max_length=254)] = Field(
        description=N_("The customer's address: an existing member, or a new unclaimed account they can claim later."))
    name: Annotated[Line, Field(max_length=80)] = Field("", description=N_("Their name, for a new account."))
    source: Annotated[Line, Field(min_length=1, max_length=120)] = Field(
        description=N_("Where the team heard it, such as `sales call` or `ticket #123`."))
    note: Annotated[Text, Field(max_length=2000)] = ""
    vote: bool = Field(True, description=N_("Also count it as the customer's vote for the idea."))
    company: Annotated[Line, Field(max_length=120)] = ""
    segment: Annotated[Line, Field(max_length=60)] = ""
    annual_revenue: int | None = Field(None, ge=0, le=10**15)


class CapturedFeedback(BaseModel):
    id: int
    idea_id: int
    customer: Person
    source: str
    note: str
    voted: bool
    captured_by: Person | None
    created_at: datetime
    withdrawn_at: datetime | None


class CapturedFeedbackList(BaseModel):
    items: list[CapturedFeedback]


class ClusterQuery(Query):
    sort: Literal["votes", "growth"] = "votes"
    limit: int = Field(30, ge=1, le=100)


class ClusterIdea(BaseModel):
    id: int
    title: str
    status: Status
    space: Space
    score: int


class Cluster(BaseModel):
    id: int
    label: str = Field(description="The words its ideas share.")
    size: int
    total_votes: int
    growth: int = Field(description="Votes in the last week.")
    ideas: list[ClusterIdea]


class ClusterList(BaseModel):
    items: list[Cluster]
    clustered_at: datetime | None = Field(description="When the newest clustering finished (null: never yet).")


class ConversationQuery(Query):
    who: Literal["all", "unassigned", "mine"] = "all"
    state: Annotated[Line, Field(max_length=20)] = Field(
        "", description=N_("A conversation state, `all`, or empty for the ones waiting for an answer."))
    idea: RowId | None = Field(None, description=N_("Only conversations linked to this idea."))
    sort: Literal["newest", "urgent"] = "newest"
    page: int = Field(1, ge=1, le=10_000)


class Conversation(BaseModel):
    id: int
    x_conversation_id: str
    author_username: str | None
    state: str
    assignee: Person | None
    idea_id: int | None
    ticket_url: str | None
    tweet_count: int
    engagement: int
    version: int = Field(description="Send back as `If-Match` when assigning, so two teammates never both take it.")
    last_tweet_at: datetime | None
    first_text: str | None
    latest_text: str | None


class ConversationList(BaseModel):
    items: list[Conversation]
    waiting: int
    mine: int
    more: bool


class AssigneeIn(Body):
    assignee_id: RowId | None = Field(description=N_("A teammate's user id (your own to claim); null releases it."))


class HiddenIn(Body):
    hidden: bool


class NewResponse(Body):
    message: Annotated[Text, Field(min_length=1, max_length=MAX_MESSAGE)]


class Person(BaseModel):
    id: int
    name: str
    is_staff: bool


class CategoryRef(BaseModel):
    id: int
    name: str
    slug: str


class IdeaSummary(BaseModel):
    id: int
    title: str
    status: Status
    space: Space
    author: Person
    category: CategoryRef | None
    tags: list[str]
    upvotes: int
    downvotes: int
    score: int
    comment_count: int
    campaign_id: int | None = Field(None, description="The campaign the idea was shared in, if any.")
    my_vote: int | None = Field(description="The caller's vote (1, -1 or 0; in a budget campaign or on a budget board "
                                "the votes the caller put on it); null without a key.")
    version: int = Field(description="Send it back as `If-Match: \"<version>\"` on status changes.")
    created_at: datetime
    url: str = Field(description="The idea's page on the site.")


class Event(BaseModel):
    id: int
    kind: EventKind
    from_status: Status | None
    to_status: Status | None
    message: str
    message_html: str
    actor: Person | None
    created_at: datetime


class Idea(IdeaSummary):
    body: str = Field(description="Markdown, as written.")
    body_html: str = Field(description="The markdown rendered to safe HTML.")
    merged_into_id: int | None
    updated_at: datetime
    timeline: list[Event] = Field(description="Status changes and official responses, oldest first.")


class IdeaList(BaseModel):
    items: list[IdeaSummary]
    next_cursor: str | None = Field(description="Pass as `after` for the next page; also in the `Link` header.")
    previous_cursor: str | None
    total: int | None = Field(description="Matching ideas; null when not counted (tag filters on big boards).")
    total_capped: bool = Field(description="Counting stopped at `total`: there are more.")


class SearchResults(BaseModel):
    items: list[IdeaSummary]
    page: int
    total: int
    more: bool


class Comment(BaseModel):
    id: int
    idea_id: int
    author: Person
    body: str
    body_html: str
    is_official: bool = Field(description="Written by the team.")
    created_at: datetime
    edited_at: datetime | None = Field(default=None, description="The author's last edit (within 15 minutes).")


class CommentList(BaseModel):
    items: list[Comment] = Field(description="Oldest first.")
    earlier_cursor: str | None = Field(description="Pass as `before` for the comments before these.")


class Vote(BaseModel):
    idea_id: int
    upvotes: int
    downvotes: int
    score: int
    my_vote: int


class StatusEvent(Event):
    idea_version: int = Field(description="The idea's version after this change.")


class Me(BaseModel):
    id: int
    name: str
    email: str
    role: Role
    email_verified: bool
    key_name: str
    scopes: list[ApiScope]


class Problem(BaseModel):
    """RFC 9457: `code` is stable for programs, `detail` is for people, `fields` names each bad input."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    fields: dict[str, str] | None = None


class Following(BaseModel):
    idea_id: int
    following: bool


class Category(BaseModel):
    id: int
    name: str
    slug: str


class StatusInfo(BaseModel):
    key: str
    name: str
    colour: str = Field(description="The badge's colour, #rrggbb.")
    description: str
    phase: Literal["open", "planned", "in_progress", "done", "closed"] = Field(
        description="Where the status sits: done and closed ideas take no votes and leave the default listing.")
    next: list[str] = Field(description="The statuses a change may lead to from here (duplicate: by merging).")


class StatusList(BaseModel):
    items: list[StatusInfo]


class CategoryList(BaseModel):
    items: list[Category]


class Notification(BaseModel):
    id: int
    kind: NotificationKind
    message: str
    count: int
    idea_id: int | None
    url: str = Field(description="Where it points on the site.")
    read: bool
    updated_at: datetime


class NotificationList(BaseModel):
    items: list[Notification] = Field(description="Newest first, the latest 50.")
    unread: int


class MarkedRead(BaseModel):
    marked: int


class Profile(Person):
    joined_at: datetime


class Campaign(BaseModel):
    """A campaign (Storm Session): ideas are taken from `opens_at` until `closes_at`, votes until `voting_closes_at`."""

    id: int
    slug: str
    title: str
    brief: str = Field(description="Markdown, as written.")
    brief_html: str = Field(description="The markdown rendered to safe HTML.")
    space: Space
    phase: Literal["upcoming", "open", "voting", "closed"]
    opens_at: datetime
    closes_at: datetime
    voting_closes_at: datetime = Field(description="Equals `closes_at` unless voting stays open longer.")
    category_ids: list[int] = Field(description="Categories the campaign takes ideas in; empty: any.")
    needs_approval: bool
    vote_budget: int | None = Field(description="Votes each member may spread; null: promote and demote.")
    max_votes_per_idea: int
    url: str = Field(description="The campaign's page on the site.")


class CampaignList(BaseModel):
    items: list[Campaign]
