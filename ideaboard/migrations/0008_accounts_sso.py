import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0007_accounts_sessions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LinkedIdentity',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='identities', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(max_length=16)),
                ('issuer', fields.CharField(max_length=255)),
                ('subject', fields.CharField(max_length=255)),
                ('username', fields.CharField(default='', max_length=100)),
                ('email', fields.CharField(default='', max_length=254)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'linked_identities', 'app': 'models', 'unique_together': (('issuer', 'subject'),), 'indexes': [Index(fields=['user_id', 'provider'])], 'pk_attr': 'id', 'table_description': 'An outside account that signs in as this person: an OpenID Connect (issuer, subject) pair, or an X user.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SiteSetting',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=60)),
                ('value', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'site_settings', 'app': 'models', 'pk_attr': 'key', 'table_description': 'A setting admins change in the console (not the environment), e.g. who an identity provider makes an employee.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='User',
            name='banned',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='User',
            name='deactivated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='deactivation_reason',
            field=fields.CharField(default='', max_length=500),
        ),
    ]
