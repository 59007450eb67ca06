from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0003_list_indexes')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='IdeaCluster',
            index=Index(fields=['cluster_id', 'idea_id']),
        ),
    ]
