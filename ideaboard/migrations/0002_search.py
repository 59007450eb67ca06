from tortoise import migrations
from tortoise.migrations import operations as ops

from ideaboard.search import POSTGRES_SCHEMA, SQLITE_SCHEMA


async def create_search_index(apps, schema_editor) -> None:
    """Full-text search differs per engine, so it is plain SQL chosen by dialect."""
    dialect = schema_editor.client.capabilities.dialect
    for sql in POSTGRES_SCHEMA if dialect == "postgres" else SQLITE_SCHEMA:
        await schema_editor.client.execute_script(sql)


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [ops.RunPython(create_search_index)]
