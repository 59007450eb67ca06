from enum import StrEnum

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint


# The enums as they were when this migration was written (a migration never imports live code).
class NotificationKind(StrEnum):
    UPDATES = "updates"
    COMMENTS = "comments"
    MENTIONS = "mentions"
    ASSIGNMENTS = "assignments"


class Delivery(StrEnum):
    INSTANT = "instant"
    DIGEST = "digest"
    OFF = "off"


class Migration(migrations.Migration):
    dependencies = [('models', '0004_cluster_members_index')]

    initial = False

    operations = [
        ops.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notification_preferences', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='UPDATES: updates\nCOMMENTS: comments\nMENTIONS: mentions\nASSIGNMENTS: assignments', enum_type=NotificationKind, max_length=16)),
                ('delivery', fields.CharEnumField(description='INSTANT: instant\nDIGEST: digest\nOFF: off', enum_type=Delivery, max_length=8)),
            ],
            options={'table': 'notification_preferences', 'app': 'models', 'unique_together': (('user', 'kind'),), 'pk_attr': 'id', 'table_description': "A person's choice for one kind (no row: the default, instant)."},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='Follow',
            options={'table': 'follows', 'app': 'models', 'unique_together': (('idea', 'user'),), 'pk_attr': 'id', 'table_description': "Someone hears about an idea. With unfollowed_at set they stopped, and voting or commenting won't re-follow."},
        ),
        ops.AddField(
            model_name='Follow',
            name='unfollowed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterModelOptions(
            name='Notification',
            options={'table': 'notifications', 'app': 'models', 'unique_together': (('user', 'event'), ('user', 'batch')), 'indexes': [Index(fields=['user_id', 'read_at']), Index(fields=['emailed_at', 'delivery'])], 'pk_attr': 'id', 'table_description': 'A line in the bell. While unread, `batch` lets the next comment on the idea update it (count + 1).'},
        ),
        ops.AddField(
            model_name='Notification',
            name='batch',
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddField(
            model_name='Notification',
            name='comment',
            field=fields.ForeignKeyField('models.Comment', source_field='comment_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Notification',
            name='count',
            field=fields.IntField(default=1),
        ),
        ops.AddField(
            model_name='Notification',
            name='delivery',
            field=fields.CharEnumField(default=Delivery.INSTANT, description='INSTANT: instant\nDIGEST: digest\nOFF: off', enum_type=Delivery, max_length=8),
        ),
        ops.AddField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(default=NotificationKind.UPDATES, description='UPDATES: updates\nCOMMENTS: comments\nMENTIONS: mentions\nASSIGNMENTS: assignments', enum_type=NotificationKind, max_length=16),
        ),
        ops.AddField(
            model_name='Notification',
            name='updated_at',
            field=fields.DatetimeField(auto_now=True, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Notification',
            index=Index(fields=['emailed_at', 'delivery']),
        ),
        ops.AddConstraint(
            model_name='Notification',
            constraint=UniqueConstraint(fields=('user', 'batch'), name=None),
        ),
    ]
