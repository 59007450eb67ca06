import functools
from enum import StrEnum
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


# The enums as they were when this migration was written (a migration never imports live code).
class Role(StrEnum):
    CUSTOMER = "customer"
    EMPLOYEE = "employee"
    STAFF = "staff"
    ADMIN = "admin"


class Status(StrEnum):
    NEW = "new"
    UNDER_REVIEW = "under_review"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    LAUNCHED = "launched"
    DECLINED = "declined"
    DUPLICATE = "duplicate"
    ARCHIVED = "archived"


class Space(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class EventKind(StrEnum):
    STATUS = "status"
    RESPONSE = "response"
    MERGED = "merged"


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Category',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=60)),
                ('slug', fields.CharField(unique=True, max_length=60)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'categories', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ClusterRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('method', fields.CharField(max_length=60)),
                ('finished', fields.BooleanField(default=False)),
                ('idea_count', fields.IntField(default=0)),
                ('cluster_count', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'cluster_runs', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One full clustering of all ideas. Readers use the newest finished run, so a switch is atomic.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Cluster',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('run', fields.ForeignKeyField('models.ClusterRun', source_field='run_id', db_constraint=True, to_field='id', related_name='clusters', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('label', fields.CharField(default='', max_length=200)),
                ('size', fields.IntField(default=0)),
                ('total_votes', fields.IntField(default=0)),
                ('growth', fields.IntField(default=0)),
            ],
            options={'table': 'clusters', 'app': 'models', 'unique_together': (('run', 'number'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Tag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=40)),
            ],
            options={'table': 'tags', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Tweet',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=24)),
                ('text', fields.TextField(unique=False)),
                ('author_id', fields.CharField(max_length=24)),
                ('author_username', fields.CharField(null=True, max_length=50)),
                ('author_name', fields.CharField(null=True, max_length=100)),
                ('created_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('lang', fields.CharField(null=True, max_length=10)),
                ('like_count', fields.IntField(default=0)),
                ('retweet_count', fields.IntField(default=0)),
                ('reply_count', fields.IntField(default=0)),
                ('quote_count', fields.IntField(default=0)),
                ('url', fields.CharField(max_length=200)),
                ('fetched_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'tweets', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A post from X, stored once however many ideas it relates to.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('name', fields.CharField(max_length=80)),
                ('password_hash', fields.CharField(max_length=255)),
                ('role', fields.CharEnumField(default=Role.CUSTOMER, description='CUSTOMER: customer\nEMPLOYEE: employee\nSTAFF: staff\nADMIN: admin', enum_type=Role, max_length=16)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'users', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharField(max_length=40)),
                ('target_type', fields.CharField(max_length=20)),
                ('target_id', fields.IntField(null=True)),
                ('detail', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_log', 'app': 'models', 'indexes': [Index(fields=['action', 'created_at']), Index(fields=['target_type', 'target_id'])], 'pk_attr': 'id', 'table_description': 'Append-only record of every staff action (no update or delete path exists in the app).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Idea',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=120)),
                ('body', fields.TextField(default='', unique=False)),
                ('body_html', fields.TextField(default='', unique=False)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', db_constraint=True, to_field='id', related_name='ideas', on_delete=OnDelete.CASCADE)),
                ('category', fields.ForeignKeyField('models.Category', source_field='category_id', null=True, db_constraint=True, to_field='id', related_name='ideas', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(default=Status.NEW, description='NEW: new\nUNDER_REVIEW: under_review\nPLANNED: planned\nIN_PROGRESS: in_progress\nLAUNCHED: launched\nDECLINED: declined\nDUPLICATE: duplicate\nARCHIVED: archived', enum_type=Status, max_length=16)),
                ('space', fields.CharEnumField(default=Space.PUBLIC, description='PUBLIC: public\nINTERNAL: internal', enum_type=Space, max_length=16)),
                ('upvotes', fields.IntField(default=0)),
                ('downvotes', fields.IntField(default=0)),
                ('score', fields.IntField(default=0)),
                ('hot', fields.FloatField(default=0.0)),
                ('comment_count', fields.IntField(default=0)),
                ('hidden', fields.BooleanField(default=False)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', null=True, db_constraint=True, to_field='id', related_name='owned_ideas', on_delete=OnDelete.SET_NULL)),
                ('merged_into', fields.ForeignKeyField('models.Idea', source_field='merged_into_id', null=True, db_constraint=True, to_field='id', related_name='duplicates', on_delete=OnDelete.SET_NULL)),
                ('version', fields.IntField(default=0)),
                ('image_url', fields.CharField(null=True, max_length=500)),
                ('source_tweet', fields.ForeignKeyField('models.Tweet', source_field='source_tweet_id', null=True, db_constraint=True, to_field='id', related_name='ideas', on_delete=OnDelete.SET_NULL)),
                ('x_post_id', fields.CharField(null=True, max_length=24)),
                ('x_post_url', fields.CharField(null=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'ideas', 'app': 'models', 'indexes': [Index(fields=['space', 'hidden', 'hot']), Index(fields=['space', 'hidden', 'score']), Index(fields=['space', 'hidden', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Comment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('idea', fields.ForeignKeyField('models.Idea', source_field='idea_id', db_constraint=True, to_field='id', related_name='comments', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', db_constraint=True, to_field='id', related_name='comments', on_delete=OnDelete.CASCADE)),
                ('body', fields.TextField(unique=False)),
                ('body_html', fields.TextField(unique=False)),
                ('is_official', fields.BooleanField(default=False)),
                ('hidden', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'comments', 'app': 'models', 'indexes': [Index(fields=['idea_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Flag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reporter', fields.ForeignKeyField('models.User', source_field='reporter_id', db_constraint=True, to_field='id', related_name='flags', on_delete=OnDelete.CASCADE)),
                ('idea', fields.ForeignKeyField('models.Idea', source_field='idea_id', null=True, db_constraint=True, to_field='id', related_name='flags', on_delete=OnDelete.CASCADE)),
                ('comment', fields.ForeignKeyField('models.Comment', source_field='comment_id', null=True, db_constraint=True, to_field='id', related_name='flags', on_delete=OnDelete.CASCADE)),
                ('reason', fields.CharField(max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_by', fields.ForeignKeyField('models.User', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name='resolved_flags', on_delete=OnDelete.SET_NULL)),
                ('resolution', fields.CharField(default='', max_length=16)),
            ],
            options={'table': 'flags', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A community report of an idea or a comment, for the moderation queue.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Follow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('idea', fields.ForeignKeyField('models.Idea', source_field='idea_id', db_constraint=True, to_field='id', related_name='follows', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='follows', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'follows', 'app': 'models', 'unique_together': (('idea', 'user'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IdeaCluster',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('run', fields.ForeignKeyField('models.ClusterRun', source_field='run_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('cluster', fields.ForeignKeyField('models.Cluster', source_field='cluster_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('idea', fields.ForeignKeyField('models.Idea', source_field='idea_id', db_constraint=True, to_field='id', related_name='cluster_memberships', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'idea_clusters', 'app': 'models', 'unique_together': (('run', 'idea'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IdeaEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('idea', fields.ForeignKeyField('models.Idea', source_field='idea_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='idea_events', on_delete=OnDelete.SET_NULL)),
                ('kind', fields.CharEnumField(description='STATUS: status\nRESPONSE: response\nMERGED: merged', enum_type=EventKind, max_length=16)),
                ('from_status', fields.CharEnumField(null=True, description='NEW: new\nUNDER_REVIEW: under_review\nPLANNED: planned\nIN_PROGRESS: in_progress\nLAUNCHED: launched\nDECLINED: declined\nDUPLICATE: duplicate\nARCHIVED: archived', enum_type=Status, max_length=16)),
                ('to_status', fields.CharEnumField(null=True, description='NEW: new\nUNDER_REVIEW: under_review\nPLANNED: planned\nIN_PROGRESS: in_progress\nLAUNCHED: launched\nDECLINED: declined\nDUPLICATE: duplicate\nARCHIVED: archived', enum_type=Status, max_length=16)),
                ('message', fields.TextField(default='', unique=False)),
                ('message_html', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'idea_events', 'app': 'models', 'indexes': [Index(fields=['idea_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "One entry of an idea's public timeline: a status change, an official response, or a merge."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IdeaTag',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('idea', fields.ForeignKeyField('models.Idea', source_field='idea_id', db_constraint=True, to_field='id', related_name='idea_tags', on_delete=OnDelete.CASCADE)),
                ('tag', fields.ForeignKeyField('models.Tag', source_field='tag_id', db_constraint=True, to_field='id', related_name='idea_tags', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'idea_tags', 'app': 'models', 'unique_together': (('idea', 'tag'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IdeaTweet',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('idea', fields.ForeignKeyField('models.Idea', source_field='idea_id', db_constraint=True, to_field='id', related_name='idea_tweets', on_delete=OnDelete.CASCADE)),
                ('tweet', fields.ForeignKeyField('models.Tweet', source_field='tweet_id', db_constraint=True, to_field='id', related_name='idea_tweets', on_delete=OnDelete.CASCADE)),
                ('score', fields.FloatField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'idea_tweets', 'app': 'models', 'unique_together': (('idea', 'tweet'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IdeaVector',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('idea', fields.OneToOneField('models.Idea', source_field='idea_id', db_constraint=True, to_field='id', related_name='vector', on_delete=OnDelete.CASCADE)),
                ('model', fields.CharField(max_length=80)),
                ('text_hash', fields.CharField(max_length=64)),
                ('vector', fields.BinaryField()),
            ],
            options={'table': 'idea_vectors', 'app': 'models', 'pk_attr': 'id', 'table_description': "An idea's sentence embedding (semantic extra), computed once per idea text, never per recluster."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('idea', fields.ForeignKeyField('models.Idea', source_field='idea_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('models.IdeaEvent', source_field='event_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('message', fields.CharField(max_length=300)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('emailed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notifications', 'app': 'models', 'unique_together': (('user', 'event'),), 'indexes': [Index(fields=['user_id', 'read_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TweetSearch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('idea', fields.OneToOneField('models.Idea', source_field='idea_id', db_constraint=True, to_field='id', related_name='tweet_search', on_delete=OnDelete.CASCADE)),
                ('query', fields.CharField(max_length=600)),
                ('since_id', fields.CharField(null=True, max_length=24)),
                ('last_run_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(default='', max_length=300)),
            ],
            options={'table': 'tweet_searches', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Where the incremental tweet search of one idea stands (since_id) and how it last went.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Vote',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('idea', fields.ForeignKeyField('models.Idea', source_field='idea_id', db_constraint=True, to_field='id', related_name='votes', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='votes', on_delete=OnDelete.CASCADE)),
                ('value', fields.SmallIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'votes', 'app': 'models', 'unique_together': (('idea', 'user'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
