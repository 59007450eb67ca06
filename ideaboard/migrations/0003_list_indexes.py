from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0002_search')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Comment',
            name=None,
            fields=['idea_id', 'created_at'],
        ),
        ops.AddIndex(
            model_name='Comment',
            index=Index(fields=['idea_id', 'created_at', 'id']),
        ),
        ops.RemoveIndex(
            model_name='Idea',
            name=None,
            fields=['space', 'hidden', 'hot'],
        ),
        ops.RemoveIndex(
            model_name='Idea',
            name=None,
            fields=['space', 'hidden', 'score'],
        ),
        ops.RemoveIndex(
            model_name='Idea',
            name=None,
            fields=['space', 'hidden', 'created_at'],
        ),
        ops.AddIndex(
            model_name='Idea',
            index=Index(fields=['space', 'hidden', 'hot', 'id', 'status', 'category_id']),
        ),
        ops.AddIndex(
            model_name='Idea',
            index=Index(fields=['space', 'hidden', 'score', 'id', 'status', 'category_id']),
        ),
        ops.AddIndex(
            model_name='Idea',
            index=Index(fields=['space', 'hidden', 'created_at', 'id', 'status', 'category_id']),
        ),
        ops.AddIndex(
            model_name='Idea',
            index=Index(fields=['space', 'hidden', 'status', 'category_id']),
        ),
        ops.AddIndex(
            model_name='IdeaTag',
            index=Index(fields=['tag_id', 'idea_id']),
        ),
    ]
