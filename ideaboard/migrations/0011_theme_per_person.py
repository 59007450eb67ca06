from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0010_search_ranked_terms')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='theme',
            field=fields.CharField(default='system', max_length=8),
        ),
    ]
