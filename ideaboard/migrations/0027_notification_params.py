"""Notifications in their reader's language (issue 16): what a notification says, kept as data to render per reader.

Rows from before keep `params` empty and show their English `message` as they always did.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0026_theme_publishing')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Notification',
            name='params',
            field=fields.JSONField(null=True),
        ),
    ]
