"""A board filtered by a status past "new" reads that status's ideas in the list's order (issue 19, at 1M ideas).

Each of those statuses holds a few percent of a big board, so walking a sort index and filtering by status read
thousands of entries per page (35 ms for duplicates with a tag, more with every filter added). Partial indexes,
one per sort, start with the status and leave out the ideas still "new" (most of the board, and most votes), so
a vote on a new idea writes none of them. Plain SQL: Tortoise's model indexes cannot be partial, and the models
keep the indexes they have.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

SORTS = {"hot": "hot", "score": "score", "new": "created_at"}

CREATE = [f"CREATE INDEX IF NOT EXISTS ideas_past_new_{name} ON ideas (space, hidden, status, {column}, id, "
          "category_id) WHERE status <> 'new'" for name, column in SORTS.items()]
DROP = [f"DROP INDEX IF EXISTS ideas_past_new_{name}" for name in SORTS]


async def create_indexes(apps, schema_editor) -> None:
    """The same statements on SQLite and PostgreSQL (both have partial indexes)."""
    for statement in CREATE:
        await schema_editor.client.execute_script(statement)


async def drop_indexes(apps, schema_editor) -> None:
    for statement in DROP:
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0029_last_locale")]

    initial = False

    operations = [ops.RunPython(create_indexes, drop_indexes)]
