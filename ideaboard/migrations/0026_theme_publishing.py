"""Theme publishing (issue 15): a theme keeps its slug across re-clustering, and staff choose which the board shows."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0025_custom_statuses')]

    initial = False

    # Boards clustered before have theme rows: each column is added nullable, filled, then made NOT NULL.
    operations = [
        ops.AddField(
            model_name='Theme',
            name='slug',
            field=fields.CharField(default='', null=True, max_length=80),
        ),
        ops.RunSQL("UPDATE \"themes\" SET \"slug\" = 'theme-' || \"number\" WHERE \"slug\" IS NULL",
                   reverse_sql=ops.RunSQL.noop),
        ops.AlterField(
            model_name='Theme',
            name='slug',
            field=fields.CharField(default='', max_length=80),
        ),
        ops.AddField(
            model_name='Theme',
            name='published',
            field=fields.BooleanField(default=False, null=True),
        ),
        ops.RunSQL('UPDATE "themes" SET "published" = false WHERE "published" IS NULL', reverse_sql=ops.RunSQL.noop),
        ops.AlterField(
            model_name='Theme',
            name='published',
            field=fields.BooleanField(default=False),
        ),
    ]
