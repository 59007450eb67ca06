import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0017_themes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MergeRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('source', fields.ForeignKeyField('models.Idea', source_field='source_id', db_constraint=True, to_field='id', related_name='merges_out', on_delete=OnDelete.CASCADE)),
                ('target', fields.ForeignKeyField('models.Idea', source_field='target_id', db_constraint=True, to_field='id', related_name='merges_in', on_delete=OnDelete.CASCADE)),
                ('from_status', fields.CharField(max_length=16)),
                ('moved', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('undone_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'merge_records', 'app': 'models', 'indexes': [Index(fields=['source_id', 'undone_at'])], 'pk_attr': 'id', 'table_description': 'What one merge moved or dropped, row by row, so the merge can be undone exactly.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Review',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('idea', fields.ForeignKeyField('models.Idea', source_field='idea_id', null=True, db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.CASCADE)),
                ('comment', fields.ForeignKeyField('models.Comment', source_field='comment_id', null=True, db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.CASCADE)),
                ('why', fields.CharField(max_length=200)),
                ('score', fields.FloatField(default=0.0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decided_by', fields.ForeignKeyField('models.User', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='reviews_decided', on_delete=OnDelete.SET_NULL)),
                ('decision', fields.CharField(default='', max_length=16)),
                ('decision_reason', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'reviews', 'app': 'models', 'indexes': [Index(fields=['decided_at', 'created_at']), Index(fields=['author_id', 'decided_at'])], 'pk_attr': 'id', 'table_description': "An idea or comment held before anyone else sees it (a new member's first posts, or a high spam score)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SpamScore',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('target_type', fields.CharField(max_length=10)),
                ('target_id', fields.IntField()),
                ('score', fields.FloatField()),
                ('signals', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'spam_scores', 'app': 'models', 'unique_together': (('target_type', 'target_id'),), 'pk_attr': 'id', 'table_description': "The worker's spam score of one new idea or comment, with the signals that made it."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffNote',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('idea', fields.ForeignKeyField('models.Idea', source_field='idea_id', db_constraint=True, to_field='id', related_name='staff_notes', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='staff_notes', on_delete=OnDelete.SET_NULL)),
                ('body', fields.TextField(unique=False)),
                ('body_html', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'staff_notes', 'app': 'models', 'indexes': [Index(fields=['idea_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A private note of the team on an idea: only staff ever read it (never customers, never the public API).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Suspension',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='suspensions', on_delete=OnDelete.CASCADE)),
                ('reason', fields.CharField(max_length=500)),
                ('ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='suspensions_made', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('lifted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'suspensions', 'app': 'models', 'indexes': [Index(fields=['user_id', 'lifted_at'])], 'pk_attr': 'id', 'table_description': 'A member who may read but not post, vote, comment or follow until `ends_at` (None: until lifted).'},
            bases=['Model'],
        ),
    ]
