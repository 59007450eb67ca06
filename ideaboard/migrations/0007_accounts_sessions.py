from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0006_follow_what_you_touched')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('expires', fields.BigIntField()),
                ('user_agent', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sessions', 'app': 'models', 'indexes': [Index(fields=['user_id', 'expires'])], 'pk_attr': 'id', 'table_description': 'One signed-in browser: the cookie carries a random token, this row its SHA-256 (deleting the row ends it).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='User',
            name='email_verified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='Vote',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='votes', on_delete=OnDelete.SET_NULL),
        ),
        # SQLite rebuilds the table for AlterField and drops its UNIQUE (idea, user); Postgres keeps it (no-op there).
        ops.RunSQL('CREATE UNIQUE INDEX IF NOT EXISTS "uid_votes_idea_id_ec0f24" ON "votes" ("idea_id", "user_id")',
                   reverse_sql=""),
        # Accounts made before verification existed (the demo's, create-user's) count as verified.
        ops.RunSQL('UPDATE "users" SET "email_verified_at" = "created_at"', reverse_sql=""),
    ]
