"""A campaign brief carries a picture (issue 18)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0022_listen_resume')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Campaign',
            name='image_url',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddField(
            model_name='Image',
            name='campaign',
            field=fields.ForeignKeyField('models.Campaign', source_field='campaign_id', null=True, db_constraint=True, to_field='id', related_name='images', on_delete=OnDelete.CASCADE),
        ),
    ]
