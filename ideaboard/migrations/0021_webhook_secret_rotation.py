"""Webhook secret rotation (issue 17): the previous secret keeps signing beside the new one for a day."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0020_images')]

    initial = False

    operations = [
        ops.AddField(
            model_name='WebhookEndpoint',
            name='previous_secret',
            field=fields.CharField(null=True, max_length=100),
        ),
        ops.AddField(
            model_name='WebhookEndpoint',
            name='previous_secret_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
