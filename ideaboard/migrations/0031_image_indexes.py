"""Pictures are found by what they belong to: the idea page reads its comments' pictures and the idea's own, and an
account's deletion cascades to its pictures. Without these every such read scanned the whole table (issue 19, a
big board). Partial: most pictures belong to one of the four only. Plain SQL, like 0030.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

OWNERS = ("idea_id", "comment_id", "campaign_id", "owner_id")

CREATE = [f"CREATE INDEX IF NOT EXISTS images_by_{column.removesuffix('_id')} ON images ({column}, id) "
          f"WHERE {column} IS NOT NULL" for column in OWNERS]
DROP = [f"DROP INDEX IF EXISTS images_by_{column.removesuffix('_id')}" for column in OWNERS]


async def create_indexes(apps, schema_editor) -> None:
    """The same statements on SQLite and PostgreSQL (both have partial indexes)."""
    for statement in CREATE:
        await schema_editor.client.execute_script(statement)


async def drop_indexes(apps, schema_editor) -> None:
    for statement in DROP:
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0030_status_list_indexes")]

    initial = False

    operations = [ops.RunPython(create_indexes, drop_indexes)]
