from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0016_drop_tweet_search')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Theme',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('run', fields.ForeignKeyField('models.ClusterRun', source_field='run_id', db_constraint=True, to_field='id', related_name='themes', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('name', fields.CharField(max_length=300)),
                ('terms', fields.CharField(default='', max_length=300)),
                ('size', fields.IntField(default=0)),
                ('total_votes', fields.IntField(default=0)),
                ('growth', fields.IntField(default=0)),
            ],
            options={'table': 'themes', 'app': 'models', 'unique_together': (('run', 'number'),), 'pk_attr': 'id', 'table_description': 'One broad topic of a clustering run, named by its most representative idea (its clusters carry its number).'},
            bases=['Model'],
        ),
        # Boards that were clustered before have cluster rows: add the column nullable, fill it, then NOT NULL.
        ops.AddField(
            model_name='Cluster',
            name='theme',
            field=fields.IntField(default=0, null=True),
        ),
        ops.RunSQL('UPDATE "clusters" SET "theme" = 0 WHERE "theme" IS NULL', reverse_sql=ops.RunSQL.noop),
        ops.AlterField(
            model_name='Cluster',
            name='theme',
            field=fields.IntField(default=0),
        ),
    ]
