"""Tortoise models: the community's nouns. Rules live in the domain modules, not here."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


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


class Status(StrEnum):
    NEW = "new"
    UNDER_REVIEW = "under_review"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    LAUNCHED = "launched"
    DECLINED = "declined"
    DUPLICATE = "duplicate"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


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
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"

    def __str__(self) -> str:
        return self.name


class Category(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=60, unique=True)
    slug = fields.CharField(max_length=60, unique=True)
    position = fields.IntField(default=0)

    class Meta:
        table = "categories"
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Idea(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=120)
    body = fields.TextField(default="")
    body_html = fields.TextField(default="")
    author = fields.ForeignKeyField("models.User", related_name="ideas", on_delete=fields.OnDelete.CASCADE)
    category = fields.ForeignKeyField(
        "models.Category", related_name="ideas", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    status = fields.CharEnumField(Status, max_length=16, default=Status.NEW)
    space = fields.CharEnumField(Space, max_length=16, default=Space.PUBLIC)
    upvotes = fields.IntField(default=0)
    downvotes = fields.IntField(default=0)
    score = fields.IntField(default=0)
    hot = fields.FloatField(default=0.0)
    comment_count = fields.IntField(default=0)
    hidden = fields.BooleanField(default=False)
    owner = fields.ForeignKeyField(
        "models.User", related_name="owned_ideas", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    merged_into = fields.ForeignKeyField(
        "models.Idea", related_name="duplicates", null=True, on_delete=fields.OnDelete.SET_NULL
    )
    version = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "ideas"
        indexes = (("space", "hidden", "hot"), ("space", "hidden", "score"), ("space", "hidden", "created_at"))

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
    idea = fields.ForeignKeyField("models.Idea", related_name="idea_tags", on_delete=fields.OnDelete.CASCADE)
    tag = fields.ForeignKeyField("models.Tag", related_name="idea_tags", on_delete=fields.OnDelete.CASCADE)

    class Meta:
        table = "idea_tags"
        unique_together = (("idea", "tag"),)


class Vote(Model):
    id = fields.IntField(primary_key=True)
    idea = fields.ForeignKeyField("models.Idea", related_name="votes", on_delete=fields.OnDelete.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="votes", on_delete=fields.OnDelete.CASCADE)
    value = fields.SmallIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "votes"
        unique_together = (("idea", "user"),)


class Comment(Model):
    id = fields.IntField(primary_key=True)
    idea = fields.ForeignKeyField("models.Idea", related_name="comments", on_delete=fields.OnDelete.CASCADE)
    author = fields.ForeignKeyField("models.User", related_name="comments", on_delete=fields.OnDelete.CASCADE)
    body = fields.TextField()
    body_html = fields.TextField()
    is_official = fields.BooleanField(default=False)
    hidden = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "comments"
        indexes = (("idea_id", "created_at"),)
