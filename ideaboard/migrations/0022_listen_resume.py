"""Listening resumes a walk back through X's pages that one poll could not finish (issue 14)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0021_webhook_secret_rotation')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ListenCursor',
            name='next_token',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name='ListenCursor',
            name='walk_newest_id',
            field=fields.CharField(null=True, max_length=24),
        ),
    ]
