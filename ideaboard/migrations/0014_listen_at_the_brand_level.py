from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0013_webhooks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ListenCursor',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=80)),
                ('query', fields.CharField(default='', max_length=600)),
                ('since_id', fields.CharField(null=True, max_length=24)),
                ('last_run_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(default='', max_length=300)),
                ('posts_read', fields.IntField(default=0)),
            ],
            options={'table': 'listen_cursors', 'app': 'models', 'pk_attr': 'key', 'table_description': "Where one listening source stands: a rule's recent search or the brand's mentions (since_id), and how it went."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='XReadMonth',
            fields=[
                ('month', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=7)),
                ('posts', fields.IntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'x_read_months', 'app': 'models', 'pk_attr': 'month', 'table_description': 'Posts read from X in one calendar month (UTC), counted against X_MONTHLY_READ_BUDGET.'},
            bases=['Model'],
        ),
    ]
