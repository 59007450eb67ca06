from tortoise import migrations
from tortoise.migrations import operations as ops

# The full-text index as written then (ideaboard/search.py reads it; a migration never imports live code).
SQLITE_SCHEMA = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS ideas_fts USING fts5("
    "title, body, content='ideas', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER IF NOT EXISTS ideas_fts_insert AFTER INSERT ON ideas BEGIN "
    "INSERT INTO ideas_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS ideas_fts_delete AFTER DELETE ON ideas BEGIN "
    "INSERT INTO ideas_fts(ideas_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS ideas_fts_update AFTER UPDATE OF title, body ON ideas BEGIN "
    "INSERT INTO ideas_fts(ideas_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO ideas_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "INSERT INTO ideas_fts(ideas_fts) VALUES ('rebuild')",
]

POSTGRES_SCHEMA = [
    "ALTER TABLE ideas ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(body, '')), 'B')) STORED",
    "CREATE INDEX IF NOT EXISTS ideas_search_idx ON ideas USING GIN (search_vector)",
]


async def create_search_index(apps, schema_editor) -> None:
    """Full-text search differs per engine, so it is plain SQL chosen by dialect."""
    dialect = schema_editor.client.capabilities.dialect
    for sql in POSTGRES_SCHEMA if dialect == "postgres" else SQLITE_SCHEMA:
        await schema_editor.client.execute_script(sql)


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [ops.RunPython(create_search_index)]
