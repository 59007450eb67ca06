from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0014_listen_at_the_brand_level')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Comment',
            name='edited_at',
            field=fields.DatetimeField(null=True),
        ),
    ]
