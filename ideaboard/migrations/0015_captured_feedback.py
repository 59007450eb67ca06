"""Feedback captured for customers (issue 17): companies, who belongs to which, what staff recorded for whom; and
whether a webhook endpoint hears about internal-space ideas."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0014_listen_at_the_brand_level')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CapturedFeedback',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('idea', fields.ForeignKeyField('models.Idea', source_field='idea_id', db_constraint=True, to_field='id', related_name='captured_feedback', on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.User', source_field='customer_id', db_constraint=True, to_field='id', related_name='captured_feedback', on_delete=OnDelete.CASCADE)),
                ('captured_by', fields.ForeignKeyField('models.User', source_field='captured_by_id', null=True, db_constraint=True, to_field='id', related_name='feedback_captured', on_delete=OnDelete.SET_NULL)),
                ('source', fields.CharField(max_length=120)),
                ('note', fields.TextField(default='', unique=False)),
                ('voted', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('withdrawn_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'captured_feedback', 'app': 'models', 'indexes': [Index(fields=['idea_id', 'created_at']), Index(fields=['customer_id', 'idea_id'])], 'pk_attr': 'id', 'table_description': 'What a customer told the team elsewhere (a sales call, a ticket), recorded on an idea by a staff member.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Company',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=120)),
                ('segment', fields.CharField(default='', max_length=60)),
                ('annual_revenue', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'companies', 'app': 'models', 'pk_attr': 'id', 'table_description': "A customer's organisation: the staff see how many companies and how much revenue an idea reaches."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CompanyMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='company_membership', on_delete=OnDelete.CASCADE)),
                ('company', fields.ForeignKeyField('models.Company', source_field='company_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'company_members', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Which company a person belongs to (one each), as the staff recorded it.'},
            bases=['Model'],
        ),
        # A board with endpoints already: add the column nullable, fill it, then make it NOT NULL.
        ops.AddField(
            model_name='WebhookEndpoint',
            name='include_internal',
            field=fields.BooleanField(default=False, null=True),
        ),
        ops.RunSQL('UPDATE "webhook_endpoints" SET "include_internal" = FALSE WHERE "include_internal" IS NULL',
                   reverse_sql=ops.RunSQL.noop),
        ops.AlterField(
            model_name='WebhookEndpoint',
            name='include_internal',
            field=fields.BooleanField(default=False),
        ),
    ]
