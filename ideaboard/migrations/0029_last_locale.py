"""Emails in the language a member last browsed in (issue 16), for those who never chose one in their settings."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0028_board_budget')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='last_locale',
            field=fields.CharField(max_length=16, null=True),
        ),
    ]
