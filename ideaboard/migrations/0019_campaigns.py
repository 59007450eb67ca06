import functools
from enum import StrEnum
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


# Copies of the enums as they are now: a migration never imports the application.
class Space(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class NotificationKind(StrEnum):
    UPDATES = "updates"
    COMMENTS = "comments"
    MENTIONS = "mentions"
    ASSIGNMENTS = "assignments"
    CAMPAIGNS = "campaigns"


class Migration(migrations.Migration):
    dependencies = [('models', '0018_moderation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Campaign',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=80)),
                ('title', fields.CharField(max_length=120)),
                ('brief', fields.TextField(default='', unique=False)),
                ('brief_html', fields.TextField(default='', unique=False)),
                ('space', fields.CharEnumField(default=Space.PUBLIC, description='PUBLIC: public\nINTERNAL: internal', enum_type=Space, max_length=16)),
                ('category_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('opens_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closes_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('voting_closes_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('needs_approval', fields.BooleanField(default=False)),
                ('vote_budget', fields.IntField(null=True)),
                ('max_votes_per_idea', fields.IntField(default=1)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='campaigns_created', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'campaigns', 'app': 'models', 'indexes': [Index(fields=['space', 'closes_at'])], 'pk_attr': 'id', 'table_description': 'A Storm Session: staff ask about one topic, ideas are accepted between opens_at and closes_at.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CampaignFollow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='follows', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='campaign_follows', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'campaign_follows', 'app': 'models', 'unique_together': (('campaign', 'user'),), 'pk_attr': 'id', 'table_description': 'Someone hears when a campaign opens, a day before it closes, and its results.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CampaignNotice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('sent_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'campaign_notices', 'app': 'models', 'unique_together': (('campaign', 'kind'),), 'pk_attr': 'id', 'table_description': "That a campaign's followers were told one thing (opened, closing, results): the row makes it once only."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VoteBudget',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('models.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='budgets', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='vote_budgets', on_delete=OnDelete.CASCADE)),
                ('spent', fields.IntField(default=0)),
            ],
            options={'table': 'vote_budgets', 'app': 'models', 'unique_together': (('campaign', 'user'),), 'pk_attr': 'id', 'table_description': "What a member spent of a campaign's vote budget: the row every budget vote updates conditionally."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Idea',
            name='campaign',
            field=fields.ForeignKeyField('models.Campaign', source_field='campaign_id', null=True, db_constraint=True, to_field='id', related_name='ideas', on_delete=OnDelete.SET_NULL),
        ),
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(default=NotificationKind.UPDATES, description='UPDATES: updates\nCOMMENTS: comments\nMENTIONS: mentions\nASSIGNMENTS: assignments\nCAMPAIGNS: campaigns', enum_type=NotificationKind, max_length=16),
        ),
        ops.AlterField(
            model_name='NotificationPreference',
            name='kind',
            field=fields.CharEnumField(description='UPDATES: updates\nCOMMENTS: comments\nMENTIONS: mentions\nASSIGNMENTS: assignments\nCAMPAIGNS: campaigns', enum_type=NotificationKind, max_length=16),
        ),
    ]
