"""The X desk (issue 14): conversations on X with their state and assignee, replies sent from the desk, saved
replies, and each tweet's conversation_id."""

from enum import StrEnum

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


# The enums as they were when this migration was written (a migration never imports live code).
class ConversationState(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    REPLIED = "replied"
    LINKED = "linked"
    TICKETED = "ticketed"
    DISMISSED = "dismissed"


class ReplyStatus(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Migration(migrations.Migration):
    dependencies = [('models', '0008_accounts_sso')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Conversation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('x_conversation_id', fields.CharField(unique=True, max_length=24)),
                ('author_id', fields.CharField(default='', max_length=24)),
                ('author_username', fields.CharField(null=True, max_length=50)),
                ('author_name', fields.CharField(null=True, max_length=100)),
                ('state', fields.CharEnumField(default=ConversationState.OPEN, description='OPEN: open\nCLAIMED: claimed\nREPLIED: replied\nLINKED: linked\nTICKETED: ticketed\nDISMISSED: dismissed', enum_type=ConversationState, max_length=16)),
                ('assignee', fields.ForeignKeyField('models.User', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='desk_conversations', on_delete=OnDelete.SET_NULL)),
                ('idea', fields.ForeignKeyField('models.Idea', source_field='idea_id', null=True, db_constraint=True, to_field='id', related_name='conversations', on_delete=OnDelete.SET_NULL)),
                ('idea_created', fields.BooleanField(default=False)),
                ('ticket_id', fields.CharField(null=True, max_length=24)),
                ('ticket_url', fields.CharField(null=True, max_length=300)),
                ('dismiss_reason', fields.CharField(default='', max_length=300)),
                ('tweet_count', fields.IntField(default=0)),
                ('engagement', fields.IntField(default=0)),
                ('version', fields.IntField(default=0)),
                ('first_tweet_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_tweet_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('first_reply_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'conversations', 'app': 'models', 'indexes': [Index(fields=['state', 'last_tweet_at']), Index(fields=['assignee_id', 'state']), Index(fields=['idea_id']), Index(fields=['author_username'])], 'pk_attr': 'id', 'table_description': "A thread on X (all posts sharing X's conversation_id), handled once by the team at the desk."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeskReply',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('models.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='replies', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='desk_replies', on_delete=OnDelete.SET_NULL)),
                ('in_reply_to_tweet_id', fields.CharField(max_length=24)),
                ('text', fields.TextField(unique=False)),
                ('key', fields.CharField(unique=True, max_length=64)),
                ('status', fields.CharEnumField(default=ReplyStatus.SENDING, description='SENDING: sending\nSENT: sent\nFAILED: failed', enum_type=ReplyStatus, max_length=16)),
                ('error', fields.CharField(default='', max_length=300)),
                ('x_post_id', fields.CharField(null=True, max_length=24)),
                ('x_post_url', fields.CharField(null=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'desk_replies', 'app': 'models', 'indexes': [Index(fields=['conversation_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A reply the team posted (or tried to post) on X from the desk, `key` making a resubmitted form harmless.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SavedReply',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=80)),
                ('body', fields.TextField(unique=False)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='saved_replies', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'saved_replies', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A reply the team reuses, with {handle}, {idea_title} and {idea_link} filled in for the conversation.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Tweet',
            name='conversation_id',
            field=fields.CharField(null=True, db_index=True, max_length=24),
        ),
    ]
