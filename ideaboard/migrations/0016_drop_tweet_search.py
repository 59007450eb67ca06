from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0015_captured_feedback')]

    initial = False

    operations = [
        ops.DeleteModel(name='TweetSearch'),
    ]
