"""Vote budgets per board (issue 18): an admin's N, M and demote rule per space, and each member's spending there."""

from enum import StrEnum

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


# Copies of the enums as they are now: a migration never imports the application.
class Space(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class DemoteRule(StrEnum):
    OFF = "off"
    FREE = "free"


class Migration(migrations.Migration):
    dependencies = [('models', '0027_notification_params')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BoardBudget',
            fields=[
                ('space', fields.CharEnumField(primary_key=True, unique=True, db_index=True, description='PUBLIC: public\nINTERNAL: internal', enum_type=Space, max_length=16)),
                ('vote_budget', fields.IntField(null=True)),
                ('max_votes_per_idea', fields.IntField(default=1)),
                ('demotes', fields.CharEnumField(default=DemoteRule.OFF, description='OFF: off\nFREE: free', enum_type=DemoteRule, max_length=8)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'board_budgets', 'app': 'models', 'pk_attr': 'space', 'table_description': "A board's (space's) vote budget, as an admin set it: no row, or a null budget, means promote/demote."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BoardVoteBudget',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('space', fields.CharEnumField(description='PUBLIC: public\nINTERNAL: internal', enum_type=Space, max_length=16)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='board_vote_budgets', on_delete=OnDelete.CASCADE)),
                ('spent', fields.IntField(default=0)),
            ],
            options={'table': 'board_vote_budgets', 'app': 'models', 'unique_together': (('space', 'user'),), 'pk_attr': 'id', 'table_description': "What a member spent of a board's vote budget: the row every board budget vote updates conditionally."},
            bases=['Model'],
        ),
    ]
