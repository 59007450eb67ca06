"""Languages (issue 16): a person's chosen language; empty for everyone until they choose (the browser's then)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0023_campaign_image')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='locale',
            field=fields.CharField(null=True, max_length=16),
        ),
    ]
