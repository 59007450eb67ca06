"""Tortoise models: the community's nouns. Rules live in the domain modules, not here."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from ideaboard.i18n import lazy_gettext

# What each status means is the board's own (statuses.py); re-exported here beside the other nouns.
from ideaboard.statuses import Phase as Phase
from ideaboard.statuses import Status as Status


class Role(StrEnum):
    CUSTOMER = "customer"
    EMPLOYEE = "employee"
    STAFF = "staff"
    ADMIN = "admin"

    @property
    def is_staff(self) -> bool:
        return self in (Role.STAFF, Role.ADMIN)

    @property
    def is_employee(self) -> bool:
        return self is not Role.CUSTOMER


class Space(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    name = fields.CharField(max_length=80)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16, default=Role.CUSTOMER)
    is_active = fields.BooleanField(default=True)
    email_verified_at = fields.DatetimeField(null=True)  # set when they followed a link sent to `email`
    banned = fields.BooleanField(default=False)  # deactivated by an admin for abuse (vs. a plain deactivation)
    deactivated_at = fields.DatetimeField(null=True)
    deactivation_reason = fields.CharField(max_length=500, default="")  # staff-only: why, as the admin wrote it
    theme = fields.CharField(max_length=8, default="system")  # accounts.THEMES: system, light or dark
    locale = fields.CharField(max_length=16, null=True)  # i18n.LOCALES; None: as the browser asks (Accept-Language)
    last_locale = fields.CharField(max_length=16, null=True)  # their latest request's: emails when `locale` is None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"

    def __str__(self) -> str:
        return self.name


class Session(Model):
    """One signed-in browser: the cookie carries a random token, this row its SHA-256 (deleting the row ends it)."""

    id = fields.CharField(max_length=64, primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="sessions",
                                                                   on_delete=fields.OnDelete.CASCADE)
    expires = fields.BigIntField()  # epoch seconds: compared in SQL the same way on SQLite and Postgres
    user_agent = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sessions"
        indexes = (("user_id", "expires"),)


class ApiScope(StrEnum):
    """What an API key may do: read what its person can see, write as them, act as staff, manage the site."""

    READ = "read"
    WRITE = "write"
    STAFF = "staff"
    ADMIN = "admin"


class ApiKey(Model):
    """A bearer token for the REST API, acting as `user`: the row keeps the SHA-256 of the token (shown once)."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=16)  # the token's first characters, so people can tell their keys apart
    name = fields.CharField(max_length=80)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="api_keys",
                                                                   on_delete=fields.OnDelete.CASCADE)
    user_id: int
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="api_keys_created", null=True, on_delete=fields.OnDelete.SET_NULL)
    created_by_id: int | None
    scopes = fields.CharField(max_length=40)  # space-separated ApiScope values
    personal = fields.BooleanField(default=False)  # a person's own token (else a service key an admin made)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_keys"
        indexes = (("user_id", "revoked_at"),)

    @property
    def scope_set(self) -> frozenset[ApiScope]:
        return frozenset(ApiScope(s) for s in self.scopes.split() if s in ApiScope.__members__.values())


class WebhookEndpoint(Model):
    """An admin's subscription: the chosen events are POSTed to `url`, signed with `secret` (Standard Webhooks)."""

    id = fields.IntField(primary_key=True)
    url = fields.CharField(max_length=500)
    secret = fields.CharField(max_length=100)  # whsec_<base64>: the worker signs with it, so it is kept as is
    events = fields.CharField(max_length=300)  # space-separated event types
    description = fields.CharField(max_length=200, default="")
    kind = fields.CharField(max_length=10, default="standard")  # "standard": signed JSON; "slack": a Slack message
    include_internal = fields.BooleanField(default=False)  # events about employee-only ideas go here too
    previous_secret = fields.CharField(max_length=100, null=True)  # still signed with, until previous_secret_until
    previous_secret_until = fields.DatetimeField(null=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="webhook_endpoints", null=True, on_delete=fields.OnDelete.SET_NULL)
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    disabled_at = fields.DatetimeField(null=True)
    disabled_reason = fields.CharField(max_length=300, default="")

    class Meta:
        table = "webhook_endpoints"


class WebhookDelivery(Model):
    """One event for one endpoint, kept as a log: attempts, the last answer, and when it is tried next."""

    id = fields.IntField(primary_key=True)
    msg_id = fields.CharField(max_length=40, unique=True)  # the webhook-id header: receivers deduplicate by it
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "models.WebhookEndpoint", related_name="deliveries", on_delete=fields.OnDelete.CASCADE)
    endpoint_id: int
    event = fields.CharField(max_length=40)
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField()
    attempts = fields.IntField(default=0)
    last_status = fields.IntField(null=True)  # the HTTP status of the last answer
    last_error = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    last_attempt_at = fields.DatetimeField(null=True)
    next_attempt_at = fields.DatetimeField(null=True)  # null once delivered or given up
    delivered_at = fields.DatetimeField(null=True)
    given_up_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_deliveries"
        indexes = (("next_attempt_at",), ("endpoint_id", "created_at"))


class LinkedIdentity(Model):
    """An outside account that signs in as this person: an OpenID Connect (issuer, subject) pair, or an X user.

    Linked by the pair the provider vouches for, never by email alone (an email is only trusted when the provider
    says it is verified). For X, `subject` is the X user id and `username` the handle their tweets are credited by.
    """

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="identities",
                                                                   on_delete=fields.OnDelete.CASCADE)
    provider = fields.CharField(max_length=16)  # "oidc" or "x"
    issuer = fields.CharField(max_length=255)
    subject = fields.CharField(max_length=255)
    username = fields.CharField(max_length=100, default="")
    email = fields.CharField(max_length=254, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "linked_identities"
        unique_together = (("issuer", "subject"),)
        indexes = (("user_id", "provider"),)


class SiteSetting(Model):
    """A setting admins change in the console (not the environment), e.g. who an identity provider makes an employee."""

    key = fields.CharField(max_length=60, primary_key=True)
    value: Any = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "site_settings"


class StatusDefinition(Model):
    """A status of this board, as an admin defined it (statuses.py reads them, migration 0022 seeds eight)."""

    key = fields.CharField(max_length=16, primary_key=True)
    name = fields.CharField(max_length=40, unique=True)
    colour = fields.CharField(max_length=7, default="#6b7280")
    description = fields.CharField(max_length=300, default="")
    phase = fields.CharEnumField(Phase, max_length=16, default=Phase.OPEN)
    position = fields.IntField(default=0)

    class Meta:
        table = "statuses"
        ordering = ("position", "key")


class StatusTransition(Model):
    """An allowed move from one status to another: the editable transition table."""

    id = fields.IntField(primary_key=True)
    from_key = fields.CharField(max_length=16)
    to_key = fields.CharField(max_length=16)

    class Meta:
        table = "status_transitions"
        unique_together = (("from_key", "to_key"),)


class WorkflowRevision(Model):
    """One row counting saves of the workflow: each process reloads its statuses when the number moves on."""

    id = fields.IntField(primary_key=True)
    revision = fields.IntField(default=0)

    class Meta:
        table = "workflow_revision"


class Category(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=60, unique=True)
    slug = fields.CharField(max_length=60, unique=True)
    position = fields.IntField(default=0)

    class Meta:
        table = "categories"
        ordering = ("position", "name")

    def __str__(self) -> str:
        return self.name


class Idea(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=120)
    body = fields.TextField(default="")
    body_html = fields.TextField(default="")
    author: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="ideas", on_delete=fields.OnDelete.CASCADE
    )
    author_id: int
    category: fields.ForeignKeyNullableRelation[Category] = fields.ForeignKeyField(
        "models.Category", related_name="ideas", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    category_id: int | None
    status = fields.CharField(max_length=16, default="new")  # a key of statuses.current(), "new" to start
    space = fields.CharEnumField(Space, max_length=16, default=Space.PUBLIC)
    campaign: fields.ForeignKeyNullableRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="ideas", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    campaign_id: int | None
    upvotes = fields.IntField(default=0)
    downvotes = fields.IntField(default=0)
    score = fields.IntField(default=0)
    hot = fields.FloatField(default=0.0)
    comment_count = fields.IntField(default=0)
    hidden = fields.BooleanField(default=False)
    owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="owned_ideas", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    owner_id: int | None
    merged_into: fields.ForeignKeyNullableRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="duplicates", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    merged_into_id: int | None
    version = fields.IntField(default=0)
    image_url = fields.CharField(max_length=500, null=True)
    source_tweet: fields.ForeignKeyNullableRelation[Tweet] = fields.ForeignKeyField(
        "models.Tweet", related_name="ideas", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    source_tweet_id: str | None
    x_post_id = fields.CharField(max_length=24, null=True)
    x_post_url = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "ideas"
        # One per sort, ending in the columns lists filter on, so a page is an index-only scan, and one to count a
        # status (and category) without reading every listed idea.
        indexes = (("space", "hidden", "hot", "id", "status", "category_id"),
                   ("space", "hidden", "score", "id", "status", "category_id"),
                   ("space", "hidden", "created_at", "id", "status", "category_id"),
                   ("space", "hidden", "status", "category_id"))

    def __str__(self) -> str:
        return self.title


class Tag(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40, unique=True)

    class Meta:
        table = "tags"

    def __str__(self) -> str:
        return self.name


class IdeaTag(Model):
    id = fields.IntField(primary_key=True)
    idea: fields.ForeignKeyRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="idea_tags", on_delete=fields.OnDelete.CASCADE
    )
    idea_id: int
    tag: fields.ForeignKeyRelation[Tag] = fields.ForeignKeyField(
        "models.Tag", related_name="idea_tags", on_delete=fields.OnDelete.CASCADE
    )
    tag_id: int

    class Meta:
        table = "idea_tags"
        unique_together = (("idea", "tag"),)
        indexes = (("tag_id", "idea_id"),)  # the ideas with a tag, for the tag filter


class Vote(Model):
    id = fields.IntField(primary_key=True)
    idea: fields.ForeignKeyRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="votes", on_delete=fields.OnDelete.CASCADE
    )
    idea_id: int
    # NULL once the voter deleted their account: the vote still counts, nobody can tell whose it was
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="votes", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    user_id: int | None
    value = fields.SmallIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "votes"
        unique_together = (("idea", "user"),)


class Comment(Model):
    id = fields.IntField(primary_key=True)
    idea: fields.ForeignKeyRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="comments", on_delete=fields.OnDelete.CASCADE
    )
    idea_id: int
    author: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="comments", on_delete=fields.OnDelete.CASCADE
    )
    author_id: int
    body = fields.TextField()
    body_html = fields.TextField()
    is_official = fields.BooleanField(default=False)
    hidden = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    edited_at = fields.DatetimeField(null=True)  # the author's last edit (comments.edit_comment), shown as "edited"

    class Meta:
        table = "comments"
        indexes = (("idea_id", "created_at", "id"),)  # a page of an idea's comments from a keyset cursor


class EventKind(StrEnum):
    STATUS = "status"
    RESPONSE = "response"
    MERGED = "merged"


class IdeaEvent(Model):
    """One entry of an idea's public timeline: a status change, an official response, or a merge."""

    id = fields.IntField(primary_key=True)
    idea: fields.ForeignKeyRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="events", on_delete=fields.OnDelete.CASCADE
    )
    idea_id: int
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="idea_events", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    actor_id: int | None
    kind = fields.CharEnumField(EventKind, max_length=16)
    from_status = fields.CharField(max_length=16, null=True)
    to_status = fields.CharField(max_length=16, null=True)
    message = fields.TextField(default="")
    message_html = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idea_events"
        indexes = (("idea_id", "created_at"),)


class Follow(Model):
    """Someone hears about an idea. With unfollowed_at set they stopped, and voting or commenting won't re-follow."""

    id = fields.IntField(primary_key=True)
    idea: fields.ForeignKeyRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="follows", on_delete=fields.OnDelete.CASCADE
    )
    idea_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="follows", on_delete=fields.OnDelete.CASCADE
    )
    user_id: int
    created_at = fields.DatetimeField(auto_now_add=True)
    unfollowed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "follows"
        unique_together = (("idea", "user"),)


class NotificationKind(StrEnum):
    """What a notification is about; each kind has its own preference and its own unsubscribe link."""

    UPDATES = "updates"  # status changes, official responses and merges of ideas the person follows
    COMMENTS = "comments"  # new comments on ideas the person follows
    MENTIONS = "mentions"  # someone wrote @name in a comment
    ASSIGNMENTS = "assignments"  # a teammate made the person an idea's owner
    CAMPAIGNS = "campaigns"  # a followed campaign opens, closes tomorrow, has results; budget votes come back

    @property
    def label(self) -> str:
        return str(_KIND_LABELS[self])  # in the reader's language

    @property
    def reason(self) -> str:
        """Why the person got it, said in every email."""
        return str(_KIND_REASONS[self])


_KIND_LABELS = {
    NotificationKind.UPDATES: lazy_gettext("Status changes and team responses on ideas I follow"),
    NotificationKind.COMMENTS: lazy_gettext("New comments on ideas I follow"),
    NotificationKind.MENTIONS: lazy_gettext("Someone mentions me in a comment"),
    NotificationKind.ASSIGNMENTS: lazy_gettext("An idea is assigned to me"),
    NotificationKind.CAMPAIGNS: lazy_gettext(
        "Campaigns I follow open, close and publish results; my budget votes come back"),
}
_KIND_REASONS = {
    NotificationKind.UPDATES: lazy_gettext("you follow this idea"),
    NotificationKind.COMMENTS: lazy_gettext("you follow this idea"),
    NotificationKind.MENTIONS: lazy_gettext("you were mentioned"),
    NotificationKind.ASSIGNMENTS: lazy_gettext("it was assigned to you"),
    NotificationKind.CAMPAIGNS: lazy_gettext("you follow this campaign or voted in it"),
}


class Delivery(StrEnum):
    """How a person wants a kind of notification: an email at once, one daily digest email, or not at all."""

    INSTANT = "instant"
    DIGEST = "digest"
    OFF = "off"


class Notification(Model):
    """A line in the bell. While unread, `batch` lets the next comment on the idea update it (count + 1)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="notifications", on_delete=fields.OnDelete.CASCADE
    )
    user_id: int
    idea: fields.ForeignKeyNullableRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="notifications", null=True, on_delete=fields.OnDelete.CASCADE
    )
    idea_id: int | None
    event: fields.ForeignKeyNullableRelation[IdeaEvent] = fields.ForeignKeyField(
        "models.IdeaEvent", related_name="notifications", null=True, on_delete=fields.OnDelete.CASCADE
    )
    event_id: int | None
    comment: fields.ForeignKeyNullableRelation[Comment] = fields.ForeignKeyField(
        "models.Comment", related_name="notifications", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    comment_id: int | None
    kind = fields.CharEnumField(NotificationKind, max_length=16, default=NotificationKind.UPDATES)
    delivery = fields.CharEnumField(Delivery, max_length=8, default=Delivery.INSTANT)
    count = fields.IntField(default=1)
    batch = fields.CharField(max_length=40, null=True)
    message = fields.CharField(max_length=300)  # in English, as it happened (what rows from before params show)
    # what the text is made of (notice_text.py), so each reader gets it in their own language
    params: fields.JSONField[dict[str, Any]] = fields.JSONField(null=True)
    read_at = fields.DatetimeField(null=True)
    emailed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notifications"
        unique_together = (("user", "event"), ("user", "batch"))
        indexes = (("user_id", "read_at"), ("emailed_at", "delivery"))


class NotificationPreference(Model):
    """A person's choice for one kind (no row: the default, instant)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="notification_preferences", on_delete=fields.OnDelete.CASCADE
    )
    user_id: int
    kind = fields.CharEnumField(NotificationKind, max_length=16)
    delivery = fields.CharEnumField(Delivery, max_length=8)

    class Meta:
        table = "notification_preferences"
        unique_together = (("user", "kind"),)


class Flag(Model):
    """A community report of an idea or a comment, for the moderation queue."""

    id = fields.IntField(primary_key=True)
    reporter: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="flags", on_delete=fields.OnDelete.CASCADE
    )
    reporter_id: int
    idea: fields.ForeignKeyNullableRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="flags", null=True, on_delete=fields.OnDelete.CASCADE
    )
    idea_id: int | None
    comment: fields.ForeignKeyNullableRelation[Comment] = fields.ForeignKeyField(
        "models.Comment", related_name="flags", null=True, on_delete=fields.OnDelete.CASCADE
    )
    comment_id: int | None
    reason = fields.CharField(max_length=500)
    created_at = fields.DatetimeField(auto_now_add=True)
    resolved_at = fields.DatetimeField(null=True)
    resolved_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="resolved_flags", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    resolved_by_id: int | None
    resolution = fields.CharField(max_length=16, default="")

    class Meta:
        table = "flags"


class AuditEntry(Model):
    """Append-only record of every staff action (no update or delete path exists in the app)."""

    id = fields.IntField(primary_key=True)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="audit_entries", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    actor_id: int | None
    action = fields.CharField(max_length=40)
    target_type = fields.CharField(max_length=20)
    target_id = fields.IntField(null=True)
    detail: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_log"
        indexes = (("action", "created_at"), ("target_type", "target_id"))


class ClusterRun(Model):
    """One full clustering of all ideas. Readers use the newest finished run, so a switch is atomic."""

    id = fields.IntField(primary_key=True)
    method = fields.CharField(max_length=60)
    finished = fields.BooleanField(default=False)
    idea_count = fields.IntField(default=0)
    cluster_count = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "cluster_runs"


class Cluster(Model):
    id = fields.IntField(primary_key=True)
    run: fields.ForeignKeyRelation[ClusterRun] = fields.ForeignKeyField(
        "models.ClusterRun", related_name="clusters", on_delete=fields.OnDelete.CASCADE
    )
    run_id: int
    number = fields.IntField()
    label = fields.CharField(max_length=200, default="")
    size = fields.IntField(default=0)
    total_votes = fields.IntField(default=0)
    growth = fields.IntField(default=0)
    theme = fields.IntField(default=0)  # the number of the run's Theme it lies in (workers/themes.py); -1: none yet

    class Meta:
        table = "clusters"
        unique_together = (("run", "number"),)


class IdeaCluster(Model):
    id = fields.IntField(primary_key=True)
    run: fields.ForeignKeyRelation[ClusterRun] = fields.ForeignKeyField(
        "models.ClusterRun", related_name="memberships", on_delete=fields.OnDelete.CASCADE
    )
    run_id: int
    cluster: fields.ForeignKeyRelation[Cluster] = fields.ForeignKeyField(
        "models.Cluster", related_name="memberships", on_delete=fields.OnDelete.CASCADE
    )
    cluster_id: int
    idea: fields.ForeignKeyRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="cluster_memberships", on_delete=fields.OnDelete.CASCADE
    )
    idea_id: int

    class Meta:
        table = "idea_clusters"
        unique_together = (("run", "idea"),)
        indexes = (("cluster_id", "idea_id"),)  # an idea page lists the other members of its cluster


class IdeaVector(Model):
    """An idea's sentence embedding (semantic extra), computed once per idea text, never per recluster."""

    id = fields.IntField(primary_key=True)
    idea: fields.OneToOneRelation[Idea] = fields.OneToOneField(
        "models.Idea", related_name="vector", on_delete=fields.OnDelete.CASCADE
    )
    idea_id: int
    model = fields.CharField(max_length=80)
    text_hash = fields.CharField(max_length=64)
    vector = fields.BinaryField()

    class Meta:
        table = "idea_vectors"


class Tweet(Model):
    """A post from X, stored once however many ideas it relates to."""

    id = fields.CharField(max_length=24, primary_key=True)
    text = fields.TextField()
    author_id = fields.CharField(max_length=24)
    author_username = fields.CharField(max_length=50, null=True)
    author_name = fields.CharField(max_length=100, null=True)
    created_at = fields.DatetimeField(null=True)
    lang = fields.CharField(max_length=10, null=True)
    like_count = fields.IntField(default=0)
    retweet_count = fields.IntField(default=0)
    reply_count = fields.IntField(default=0)
    quote_count = fields.IntField(default=0)
    url = fields.CharField(max_length=200)
    fetched_at = fields.DatetimeField(auto_now_add=True)
    conversation_id = fields.CharField(max_length=24, null=True, db_index=True)  # X's thread: its first post's id

    class Meta:
        table = "tweets"


class IdeaTweet(Model):
    id = fields.IntField(primary_key=True)
    idea: fields.ForeignKeyRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="idea_tweets", on_delete=fields.OnDelete.CASCADE
    )
    idea_id: int
    tweet: fields.ForeignKeyRelation[Tweet] = fields.ForeignKeyField(
        "models.Tweet", related_name="idea_tweets", on_delete=fields.OnDelete.CASCADE
    )
    tweet_id: str
    score = fields.FloatField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idea_tweets"
        unique_together = (("idea", "tweet"),)


class ListenCursor(Model):
    """Where one listening source stands: a rule's recent search or the brand's mentions (since_id), and how it went.

    `key` is "rule:<tag>" or "mentions:<user id>"; a rule whose text changed starts over (query differs).
    """

    key = fields.CharField(max_length=80, primary_key=True)
    query = fields.CharField(max_length=600, default="")
    since_id = fields.CharField(max_length=24, null=True)
    # A walk back through pages that one poll could not finish: the next poll resumes it from next_token, and
    # since_id becomes walk_newest_id only once the walk reaches since_id (so no post in between is skipped).
    next_token = fields.CharField(max_length=200, null=True)
    walk_newest_id = fields.CharField(max_length=24, null=True)
    last_run_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=300, default="")
    posts_read = fields.IntField(default=0)

    class Meta:
        table = "listen_cursors"


class XReadMonth(Model):
    """Posts read from X in one calendar month (UTC), counted against X_MONTHLY_READ_BUDGET."""

    month = fields.CharField(max_length=7, primary_key=True)  # "2026-12"
    posts = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "x_read_months"


class ConversationState(StrEnum):
    """Where a conversation on X stands at the desk; desk.TRANSITIONS says what may follow what."""

    OPEN = "open"
    CLAIMED = "claimed"
    REPLIED = "replied"
    LINKED = "linked"
    TICKETED = "ticketed"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        """The state's name in the reader's language (the desk's badges, filters and refusals)."""
        return str(_STATE_LABELS[self])

    @property
    def needs_answer(self) -> bool:
        """Still waiting for the team: the inbox lists these by default."""
        return self in (ConversationState.OPEN, ConversationState.CLAIMED)


_STATE_LABELS = {ConversationState.OPEN: lazy_gettext("Open"), ConversationState.CLAIMED: lazy_gettext("Claimed"),
                 ConversationState.REPLIED: lazy_gettext("Replied"), ConversationState.LINKED: lazy_gettext("Linked"),
                 ConversationState.TICKETED: lazy_gettext("Ticketed"),
                 ConversationState.DISMISSED: lazy_gettext("Dismissed")}


class Conversation(Model):
    """A thread on X (all posts sharing X's conversation_id), handled once by the team at the desk."""

    id = fields.IntField(primary_key=True)
    x_conversation_id = fields.CharField(max_length=24, unique=True)
    author_id = fields.CharField(max_length=24, default="")
    author_username = fields.CharField(max_length=50, null=True)
    author_name = fields.CharField(max_length=100, null=True)
    state = fields.CharEnumField(ConversationState, max_length=16, default=ConversationState.OPEN)
    assignee: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="desk_conversations", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    assignee_id: int | None
    idea: fields.ForeignKeyNullableRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="conversations", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    idea_id: int | None
    idea_created = fields.BooleanField(default=False)  # the idea was made from this conversation, not only linked
    ticket_id = fields.CharField(max_length=24, null=True)
    ticket_url = fields.CharField(max_length=300, null=True)
    dismiss_reason = fields.CharField(max_length=300, default="")
    tweet_count = fields.IntField(default=0)
    engagement = fields.IntField(default=0)  # likes + reposts + replies + quotes of its busiest post
    version = fields.IntField(default=0)
    first_tweet_at = fields.DatetimeField(null=True)
    last_tweet_at = fields.DatetimeField(null=True)
    first_reply_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "conversations"
        indexes = (("state", "last_tweet_at"), ("assignee_id", "state"), ("idea_id",), ("author_username",))


class ReplyStatus(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class DeskReply(Model):
    """A reply the team posted (or tried to post) on X from the desk, `key` making a resubmitted form harmless."""

    id = fields.IntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "models.Conversation", related_name="replies", on_delete=fields.OnDelete.CASCADE
    )
    conversation_id: int
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="desk_replies", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    author_id: int | None
    in_reply_to_tweet_id = fields.CharField(max_length=24)
    text = fields.TextField()
    key = fields.CharField(max_length=64, unique=True)
    status = fields.CharEnumField(ReplyStatus, max_length=16, default=ReplyStatus.SENDING)
    error = fields.CharField(max_length=300, default="")
    x_post_id = fields.CharField(max_length=24, null=True)
    x_post_url = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "desk_replies"
        indexes = (("conversation_id", "created_at"),)


class SavedReply(Model):
    """A reply the team reuses, with {handle}, {idea_title} and {idea_link} filled in for the conversation."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=80)
    body = fields.TextField()
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="saved_replies", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "saved_replies"
        ordering = ("title", "id")


# Feedback captured for customers (issue 17)


class Company(Model):
    """A customer's organisation: the staff see how many companies and how much revenue an idea reaches."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=120, unique=True)
    segment = fields.CharField(max_length=60, default="")
    annual_revenue = fields.BigIntField(null=True)  # in the board's currency, whole units
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "companies"
        ordering = ("name",)


class CompanyMember(Model):
    """Which company a person belongs to (one each), as the staff recorded it."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="company_membership", on_delete=fields.OnDelete.CASCADE
    )
    user_id: int
    company: fields.ForeignKeyRelation[Company] = fields.ForeignKeyField(
        "models.Company", related_name="members", on_delete=fields.OnDelete.CASCADE
    )
    company_id: int

    class Meta:
        table = "company_members"


class CapturedFeedback(Model):
    """What a customer told the team elsewhere (a sales call, a ticket), recorded on an idea by a staff member."""

    id = fields.IntField(primary_key=True)
    idea: fields.ForeignKeyRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="captured_feedback", on_delete=fields.OnDelete.CASCADE
    )
    idea_id: int
    customer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="captured_feedback", on_delete=fields.OnDelete.CASCADE
    )
    customer_id: int
    captured_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="feedback_captured", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    captured_by_id: int | None
    source = fields.CharField(max_length=120)
    note = fields.TextField(default="")
    voted = fields.BooleanField(default=True)  # the capture set the customer's vote to +1
    created_at = fields.DatetimeField(auto_now_add=True)
    withdrawn_at = fields.DatetimeField(null=True)

    class Meta:
        table = "captured_feedback"
        indexes = (("idea_id", "created_at"), ("customer_id", "idea_id"))

# --- themes: the broad topics above clusters (issue 15) -----------------------------------------------------------


class Theme(Model):
    """One broad topic of a clustering run, named by its most representative idea (its clusters carry its number)."""

    id = fields.IntField(primary_key=True)
    run: fields.ForeignKeyRelation[ClusterRun] = fields.ForeignKeyField(
        "models.ClusterRun", related_name="themes", on_delete=fields.OnDelete.CASCADE
    )
    run_id: int
    number = fields.IntField()
    name = fields.CharField(max_length=300)
    terms = fields.CharField(max_length=300, default="")  # distinguishing phrases, " · "-separated
    size = fields.IntField(default=0)
    total_votes = fields.IntField(default=0)
    growth = fields.IntField(default=0)
    # The board's /?theme=<slug>: kept across runs by the theme that continues it (workers/themes.carry_over).
    slug = fields.CharField(max_length=80, default="")
    published = fields.BooleanField(default=False)  # staff chose to show it on the board (carried over too)

    class Meta:
        table = "themes"
        unique_together = (("run", "number"),)

# Moderation


class Suspension(Model):
    """A member who may read but not post, vote, comment or follow until `ends_at` (None: until lifted)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="suspensions", on_delete=fields.OnDelete.CASCADE
    )
    user_id: int
    reason = fields.CharField(max_length=500)  # shown to the member
    ends_at = fields.DatetimeField(null=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="suspensions_made", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    lifted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "suspensions"
        indexes = (("user_id", "lifted_at"),)


class StaffNote(Model):
    """A private note of the team on an idea: only staff ever read it (never customers, never the public API)."""

    id = fields.IntField(primary_key=True)
    idea: fields.ForeignKeyRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="staff_notes", on_delete=fields.OnDelete.CASCADE
    )
    idea_id: int
    author: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="staff_notes", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    author_id: int | None
    body = fields.TextField()
    body_html = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "staff_notes"
        indexes = (("idea_id", "created_at"),)


class MergeRecord(Model):
    """What one merge moved or dropped, row by row, so the merge can be undone exactly."""

    id = fields.IntField(primary_key=True)
    source: fields.ForeignKeyRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="merges_out", on_delete=fields.OnDelete.CASCADE
    )
    source_id: int
    target: fields.ForeignKeyRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="merges_in", on_delete=fields.OnDelete.CASCADE
    )
    target_id: int
    from_status = fields.CharField(max_length=16)  # the status it had before, restored by an unmerge
    moved: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)  # comments, votes, follows: see merge.py
    created_at = fields.DatetimeField(auto_now_add=True)
    undone_at = fields.DatetimeField(null=True)

    class Meta:
        table = "merge_records"
        indexes = (("source_id", "undone_at"),)


class Review(Model):
    """An idea or comment held before anyone else sees it (a new member's first posts, or a high spam score)."""

    id = fields.IntField(primary_key=True)
    idea: fields.ForeignKeyNullableRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="reviews", null=True, on_delete=fields.OnDelete.CASCADE
    )
    idea_id: int | None
    comment: fields.ForeignKeyNullableRelation[Comment] = fields.ForeignKeyField(
        "models.Comment", related_name="reviews", null=True, on_delete=fields.OnDelete.CASCADE
    )
    comment_id: int | None
    author: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="reviews", on_delete=fields.OnDelete.CASCADE
    )
    author_id: int
    why = fields.CharField(max_length=200)  # "new member" or the spam signals
    score = fields.FloatField(default=0.0)
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)
    decided_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="reviews_decided", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    decided_by_id: int | None
    decision = fields.CharField(max_length=16, default="")  # approved or rejected
    decision_reason = fields.CharField(max_length=500, default="")

    class Meta:
        table = "reviews"
        indexes = (("decided_at", "created_at"), ("author_id", "decided_at"))


class SpamScore(Model):
    """The worker's spam score of one new idea or comment, with the signals that made it."""

    id = fields.IntField(primary_key=True)
    target_type = fields.CharField(max_length=10)  # idea or comment
    target_id = fields.IntField()
    score = fields.FloatField()
    signals: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "spam_scores"
        unique_together = (("target_type", "target_id"),)

# Campaigns


class Campaign(Model):
    """A Storm Session: staff ask about one topic, ideas are accepted between opens_at and closes_at."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=80, unique=True)
    title = fields.CharField(max_length=120)
    brief = fields.TextField(default="")
    brief_html = fields.TextField(default="")
    image_url = fields.CharField(max_length=500, null=True)  # the brief's picture (ideaboard/images.py)
    space = fields.CharEnumField(Space, max_length=16, default=Space.PUBLIC)
    category_ids: fields.JSONField[list[int]] = fields.JSONField(default=list)  # empty: any category
    opens_at = fields.DatetimeField()
    closes_at = fields.DatetimeField()
    voting_closes_at = fields.DatetimeField(null=True)  # null: voting closes with submission
    needs_approval = fields.BooleanField(default=False)  # new ideas start hidden until staff restore them
    vote_budget = fields.IntField(null=True)  # N votes per member to spread (null: promote/demote as usual)
    max_votes_per_idea = fields.IntField(default=1)  # M: most of a member's budget on one idea
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="campaigns_created", null=True, on_delete=fields.OnDelete.SET_NULL)
    created_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "campaigns"
        indexes = (("space", "closes_at"),)

    def __str__(self) -> str:
        return self.title


class CampaignFollow(Model):
    """Someone hears when a campaign opens, a day before it closes, and its results."""

    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="follows", on_delete=fields.OnDelete.CASCADE)
    campaign_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="campaign_follows", on_delete=fields.OnDelete.CASCADE)
    user_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "campaign_follows"
        unique_together = (("campaign", "user"),)


class CampaignNotice(Model):
    """That a campaign's followers were told one thing (opened, closing, results): the row makes it once only."""

    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="notices", on_delete=fields.OnDelete.CASCADE)
    campaign_id: int
    kind = fields.CharField(max_length=16)
    sent_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "campaign_notices"
        unique_together = (("campaign", "kind"),)


class VoteBudget(Model):
    """What a member spent of a campaign's vote budget: the row every budget vote updates conditionally."""

    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="budgets", on_delete=fields.OnDelete.CASCADE)
    campaign_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="vote_budgets", on_delete=fields.OnDelete.CASCADE)
    user_id: int
    spent = fields.IntField(default=0)

    class Meta:
        table = "vote_budgets"
        unique_together = (("campaign", "user"),)

class DemoteRule(StrEnum):
    """What ▼ does on a board with a vote budget: nothing (off) or a demote that costs no budget vote (free)."""

    OFF = "off"
    FREE = "free"


class BoardBudget(Model):
    """A board's (space's) vote budget, as an admin set it: no row, or a null budget, means promote/demote."""

    space = fields.CharEnumField(Space, max_length=16, primary_key=True)
    vote_budget = fields.IntField(null=True)  # N votes per member to spread on this board
    max_votes_per_idea = fields.IntField(default=1)  # M: most of a member's budget on one idea
    demotes = fields.CharEnumField(DemoteRule, max_length=8, default=DemoteRule.OFF)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "board_budgets"


class BoardVoteBudget(Model):
    """What a member spent of a board's vote budget: the row every board budget vote updates conditionally."""

    id = fields.IntField(primary_key=True)
    space = fields.CharEnumField(Space, max_length=16)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="board_vote_budgets", on_delete=fields.OnDelete.CASCADE)
    user_id: int
    spent = fields.IntField(default=0)

    class Meta:
        table = "board_vote_budgets"
        unique_together = (("space", "user"),)


# Images


class ImageFormat(StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    GIF = "gif"


class Image(Model):
    """An uploaded picture on an idea or a comment, re-encoded by ideaboard/images.py and stored under the data dir."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=32, unique=True)  # random: the file's name and its address
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="images", on_delete=fields.OnDelete.CASCADE)
    owner_id: int
    idea: fields.ForeignKeyNullableRelation[Idea] = fields.ForeignKeyField(
        "models.Idea", related_name="images", null=True, on_delete=fields.OnDelete.CASCADE)
    idea_id: int | None
    comment: fields.ForeignKeyNullableRelation[Comment] = fields.ForeignKeyField(
        "models.Comment", related_name="images", null=True, on_delete=fields.OnDelete.CASCADE)
    comment_id: int | None
    campaign: fields.ForeignKeyNullableRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="images", null=True, on_delete=fields.OnDelete.CASCADE)
    campaign_id: int | None
    format = fields.CharEnumField(ImageFormat, max_length=8)
    width = fields.IntField()
    height = fields.IntField()
    size = fields.IntField()  # bytes, as stored
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "images"
