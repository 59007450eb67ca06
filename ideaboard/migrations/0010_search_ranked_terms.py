"""Search terms analyzed in Python (ideaboard/search_text.py) into plain tables, the same on SQLite and PostgreSQL.

Replaces the FTS5 table and the tsvector column of 0002, whose tokenizers, stemmers, stop words and ranking differed.
Triggers only note which ideas changed (search_pending); the application re-analyzes those before it searches.
Every idea starts pending, so the first search (or `ideaboard migrate`) indexes the board.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

# part 0 is an idea's title and description, part 1 its comments and official responses (its conversation).
COMMON = [
    "CREATE TABLE IF NOT EXISTS search_pending (idea_id INTEGER NOT NULL PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS search_totals (part INTEGER NOT NULL PRIMARY KEY, docs INTEGER NOT NULL, "
    "length BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS search_docs (idea_id INTEGER NOT NULL, part INTEGER NOT NULL, length INTEGER NOT NULL, "
    "PRIMARY KEY (idea_id, part))",
    "INSERT INTO search_pending (idea_id) SELECT id FROM ideas",
]

SQLITE = [
    "DROP TRIGGER IF EXISTS ideas_fts_insert",
    "DROP TRIGGER IF EXISTS ideas_fts_delete",
    "DROP TRIGGER IF EXISTS ideas_fts_update",
    "DROP TABLE IF EXISTS ideas_fts",
    "CREATE TABLE IF NOT EXISTS search_postings (term TEXT NOT NULL, part INTEGER NOT NULL, idea_id INTEGER NOT NULL, "
    "tf INTEGER NOT NULL, length INTEGER NOT NULL, PRIMARY KEY (term, part, idea_id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS search_postings_idea ON search_postings (idea_id)",
    "CREATE TABLE IF NOT EXISTS search_passages (idea_id INTEGER NOT NULL, term TEXT NOT NULL, source TEXT NOT NULL, "
    "tf INTEGER NOT NULL, PRIMARY KEY (idea_id, term, source)) WITHOUT ROWID",
    *COMMON,
    "CREATE TRIGGER IF NOT EXISTS search_idea_insert AFTER INSERT ON ideas BEGIN "
    "INSERT OR IGNORE INTO search_pending (idea_id) VALUES (new.id); END",
    "CREATE TRIGGER IF NOT EXISTS search_idea_update AFTER UPDATE OF title, body ON ideas BEGIN "
    "INSERT OR IGNORE INTO search_pending (idea_id) VALUES (new.id); END",
    "CREATE TRIGGER IF NOT EXISTS search_idea_delete AFTER DELETE ON ideas BEGIN "
    "INSERT OR IGNORE INTO search_pending (idea_id) VALUES (old.id); END",
    *(f"CREATE TRIGGER IF NOT EXISTS search_{table}_insert AFTER INSERT ON {table} BEGIN "
      "INSERT OR IGNORE INTO search_pending (idea_id) VALUES (new.idea_id); END"
      for table in ("comments", "idea_events")),
    *(f"CREATE TRIGGER IF NOT EXISTS search_{table}_update AFTER UPDATE OF {columns} ON {table} BEGIN "
      "INSERT OR IGNORE INTO search_pending (idea_id) VALUES (old.idea_id), (new.idea_id); END"
      for table, columns in (("comments", "body, hidden, idea_id"), ("idea_events", "message, kind, idea_id"))),
    *(f"CREATE TRIGGER IF NOT EXISTS search_{table}_delete AFTER DELETE ON {table} BEGIN "
      "INSERT OR IGNORE INTO search_pending (idea_id) VALUES (old.idea_id); END"
      for table in ("comments", "idea_events")),
]

POSTGRES = [
    "DROP INDEX IF EXISTS ideas_search_idx",
    "ALTER TABLE ideas DROP COLUMN IF EXISTS search_vector",
    # COLLATE "C": a prefix is a range of terms in byte order, whatever the database's locale
    'CREATE TABLE IF NOT EXISTS search_postings (term TEXT COLLATE "C" NOT NULL, part INTEGER NOT NULL, '
    "idea_id INTEGER NOT NULL, tf INTEGER NOT NULL, length INTEGER NOT NULL, "
    "PRIMARY KEY (term, part, idea_id) INCLUDE (tf, length))",  # ranking reads the index only
    "CREATE INDEX IF NOT EXISTS search_postings_idea ON search_postings (idea_id)",
    'CREATE TABLE IF NOT EXISTS search_passages (idea_id INTEGER NOT NULL, term TEXT COLLATE "C" NOT NULL, '
    "source TEXT NOT NULL, tf INTEGER NOT NULL, PRIMARY KEY (idea_id, term, source))",
    *COMMON,
    """CREATE OR REPLACE FUNCTION search_mark_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'ideas' THEN
        INSERT INTO search_pending (idea_id) VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)
        ON CONFLICT DO NOTHING;
    ELSE
        IF TG_OP <> 'INSERT' THEN
            INSERT INTO search_pending (idea_id) VALUES (OLD.idea_id) ON CONFLICT DO NOTHING;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO search_pending (idea_id) VALUES (NEW.idea_id) ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER search_idea_changed AFTER INSERT OR DELETE OR UPDATE OF title, body ON ideas "
    "FOR EACH ROW EXECUTE FUNCTION search_mark_pending()",
    "CREATE TRIGGER search_comment_changed AFTER INSERT OR DELETE OR UPDATE OF body, hidden, idea_id ON comments "
    "FOR EACH ROW EXECUTE FUNCTION search_mark_pending()",
    "CREATE TRIGGER search_event_changed AFTER INSERT OR DELETE OR UPDATE OF message, kind, idea_id ON idea_events "
    "FOR EACH ROW EXECUTE FUNCTION search_mark_pending()",
]


async def create_search_terms(apps, schema_editor) -> None:
    """Triggers and column types differ per engine, so it is plain SQL chosen by dialect."""
    dialect = schema_editor.client.capabilities.dialect
    for statement in POSTGRES if dialect == "postgres" else SQLITE:
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0009_the_x_desk")]

    initial = False

    operations = [ops.RunPython(create_search_terms)]
