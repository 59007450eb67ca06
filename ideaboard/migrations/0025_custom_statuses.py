"""Statuses each board shapes (issue 18): status definitions, the transition table, seeded with today's workflow."""

from enum import StrEnum

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


# A copy of the enum as it is now: a migration never imports the application.
class Phase(StrEnum):
    OPEN = "open"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CLOSED = "closed"


# Today's eight statuses (key, name, colour, description, phase) and their moves, so an upgraded board works as before.
STATUSES = [
    ("new", "New", "#6b7280", "Just shared, the team has not looked at it yet.", "open"),
    ("under_review", "Under review", "#b45309", "The team is looking at it.", "open"),
    ("planned", "Planned", "#2563eb", "On the roadmap.", "planned"),
    ("in_progress", "In progress", "#7c3aed", "Being built now.", "in_progress"),
    ("launched", "Launched", "#15803d", "Shipped.", "done"),
    ("declined", "Declined", "#b91c1c", "The team decided not to do it.", "closed"),
    ("duplicate", "Duplicate", "#6b7280", "Merged into another idea.", "closed"),
    ("archived", "Archived", "#6b7280", "Set aside.", "closed"),
]
TRANSITIONS = [
    ("new", "under_review"), ("new", "declined"), ("new", "duplicate"), ("new", "archived"),
    ("under_review", "planned"), ("under_review", "declined"), ("under_review", "duplicate"),
    ("under_review", "archived"),
    ("planned", "in_progress"), ("planned", "declined"), ("planned", "archived"),
    ("in_progress", "launched"), ("in_progress", "planned"),
    ("launched", "archived"),
    ("declined", "under_review"), ("declined", "archived"),
    ("archived", "under_review"),
]
SEED = (
    [f"INSERT INTO statuses (key, name, colour, description, phase, position) "
     f"VALUES ('{k}', '{n}', '{c}', '{d}', '{p}', {i})" for i, (k, n, c, d, p) in enumerate(STATUSES)]
    + [f"INSERT INTO status_transitions (from_key, to_key) VALUES ('{a}', '{b}')" for a, b in TRANSITIONS]
    + ["INSERT INTO workflow_revision (id, revision) VALUES (1, 0)"])
UNSEED = ["DELETE FROM status_transitions", "DELETE FROM statuses", "DELETE FROM workflow_revision"]


class RetypeOnly(ops.AlterField):
    """CharEnumField(Status) becomes CharField: both are VARCHAR(16), the data stays as it is. Only the state changes:
    SQLite's table rebuild for an AlterField would drop the ideas' search triggers and list indexes."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0024_user_locale')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StatusDefinition',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=16)),
                ('name', fields.CharField(unique=True, max_length=40)),
                ('colour', fields.CharField(default='#6b7280', max_length=7)),
                ('description', fields.CharField(default='', max_length=300)),
                ('phase', fields.CharEnumField(default=Phase.OPEN, description='OPEN: open\nPLANNED: planned\nIN_PROGRESS: in_progress\nDONE: done\nCLOSED: closed', enum_type=Phase, max_length=16)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'statuses', 'app': 'models', 'pk_attr': 'key', 'table_description': "A status of this board, as an admin defined it (statuses.py reads them, migration 0022 seeds eight)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatusTransition',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('from_key', fields.CharField(max_length=16)),
                ('to_key', fields.CharField(max_length=16)),
            ],
            options={'table': 'status_transitions', 'app': 'models', 'unique_together': (('from_key', 'to_key'),), 'pk_attr': 'id', 'table_description': 'An allowed move from one status to another: the editable transition table.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WorkflowRevision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('revision', fields.IntField(default=0)),
            ],
            options={'table': 'workflow_revision', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One row counting saves of the workflow: each process reloads its statuses when the number moves on.'},
            bases=['Model'],
        ),
        RetypeOnly(
            model_name='Idea',
            name='status',
            field=fields.CharField(default='new', max_length=16),
        ),
        RetypeOnly(
            model_name='IdeaEvent',
            name='from_status',
            field=fields.CharField(null=True, max_length=16),
        ),
        RetypeOnly(
            model_name='IdeaEvent',
            name='to_status',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.RunSQL(SEED, reverse_sql=UNSEED),
    ]
