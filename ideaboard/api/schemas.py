"""The API's request and response shapes as pydantic models: they validate input and are the OpenAPI schemas.

Bodies are strict JSON with unknown fields refused; query models are lax (query strings are text) and refuse
unknown parameters too. Text never carries control characters (Postgres refuses NUL), ids fit the id column.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ideaboard import inputs
from ideaboard.forms import BODY_MAX, COMMENT_MAX, MAX_TAGS, TITLE_MAX
from ideaboard.models import ApiScope, EventKind, NotificationKind, Role, Space, Status
from ideaboard.workflow import MAX_MESSAGE


def _one_line(value: str) -> str:
    if inputs.has_control(value):
        raise ValueError("contains a control character (such as NUL or a newline)")
    return value


def _multi_line(value: str) -> str:
    if inputs.has_control(value, multiline=True):
        raise ValueError("contains a control character (such as NUL)")
    return value


Line = Annotated[str, AfterValidator(_one_line)]
Text = Annotated[str, AfterValidator(_multi_line)]
RowId = Annotated[int, Field(ge=1, le=inputs.INT_MAX)]
Cursor = Annotated[Line, Field(max_length=60, description="A cursor from a previous page (`next_cursor` ...)")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdeaListQuery(Query):
    sort: Literal["hot", "top", "new"] = "hot"
    status: Status | None = Field(None, description="Only this status; closed ideas are listed only when asked for.")
    category: Annotated[Line, Field(max_length=60)] | None = Field(None, description="A category's slug.")
    tag: Annotated[Line, Field(max_length=60)] | None = None
    space: Space = Field(Space.PUBLIC, description="`internal` needs an employee's or staff key.")
    after: Cursor | None = Field(None, description="`next_cursor` of the previous page.")
    before: Cursor | None = Field(None, description="`previous_cursor` of the next page.")
    limit: int = Field(20, ge=1, le=100)


class CommentListQuery(Query):
    before: Cursor | None = Field(None, description="`earlier_cursor` of the page after.")


class SearchQuery(Query):
    q: Annotated[Line, Field(min_length=1, max_length=200)]
    page: int = Field(1, ge=1, le=inputs.PAGE_MAX)


class NewIdea(Body):
    title: Annotated[Text, Field(max_length=TITLE_MAX)]
    body: Annotated[Text, Field(max_length=BODY_MAX)] = ""
    category_id: RowId | None = None
    tags: Annotated[list[Annotated[Line, Field(max_length=40)]], Field(max_length=MAX_TAGS)] = []
    space: Space = Space.PUBLIC


class IdeaEdit(Body):
    """The whole idea as it should read now (the edit form's fields); authors may edit until review starts."""

    title: Annotated[Text, Field(max_length=TITLE_MAX)]
    body: Annotated[Text, Field(max_length=BODY_MAX)] = ""
    category_id: RowId | None = None
    tags: Annotated[list[Annotated[Line, Field(max_length=40)]], Field(max_length=MAX_TAGS)] = []


class VoteIn(Body):
    value: Annotated[int, Field(ge=-1, le=1, description="1 up, -1 down, 0 withdraws the vote.")]


class NewComment(Body):
    body: Annotated[Text, Field(max_length=COMMENT_MAX)]


class StatusChange(Body):
    status: Status
    message: Annotated[Text, Field(max_length=MAX_MESSAGE)] = ""


class OwnerIn(Body):
    owner_id: RowId | None = Field(description="A teammate's user id; null releases the idea.")


class MergeIn(Body):
    into_id: RowId = Field(description="The idea this one duplicates: votes, comments and followers move there.")


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
    my_vote: int | None = Field(description="The caller's vote (1, -1 or 0); null without a key.")
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
