"""Search at a million ideas (issue 19): each term's document count, and its postings in order of impact.

search_terms holds how many ideas (per part) have each term, kept by search._reindex, so planning a query reads a
few rows instead of counting a common word's hundreds of thousands of postings. search_postings_impact orders a
term's postings by a static BM25 impact (term frequency against length, at a fixed reference length), so the best
matches of a common word are read from the head of its list with LIMIT. Plain SQL, chosen by dialect, as in 0010.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

# search.IMPACT_SQL: the index serves only queries that order by this very expression
IMPACT = "CAST(tf AS DOUBLE PRECISION) / (100 * tf + 60 + 3 * length)"
FILL = "INSERT INTO search_terms (term, part, docs) SELECT term, part, count(*) FROM search_postings GROUP BY term, part"

SQLITE = [
    "CREATE TABLE IF NOT EXISTS search_terms (term TEXT NOT NULL, part INTEGER NOT NULL, docs INTEGER NOT NULL, "
    "PRIMARY KEY (term, part)) WITHOUT ROWID",
    FILL,
    f"CREATE INDEX IF NOT EXISTS search_postings_impact ON search_postings (term, part, ({IMPACT}) DESC, idea_id DESC)",
]

POSTGRES = [
    'CREATE TABLE IF NOT EXISTS search_terms (term TEXT COLLATE "C" NOT NULL, part INTEGER NOT NULL, '
    "docs INTEGER NOT NULL, PRIMARY KEY (term, part))",
    FILL,
    f"CREATE INDEX IF NOT EXISTS search_postings_impact ON search_postings (term, part, ({IMPACT}) DESC, "
    "idea_id DESC) INCLUDE (tf, length)",  # the head of a list is read from the index alone
]

DROP = ["DROP INDEX IF EXISTS search_postings_impact", "DROP TABLE IF EXISTS search_terms"]


async def create_term_counts(apps, schema_editor) -> None:
    dialect = schema_editor.client.capabilities.dialect
    for statement in POSTGRES if dialect == "postgres" else SQLITE:
        await schema_editor.client.execute_script(statement)


async def drop_term_counts(apps, schema_editor) -> None:
    for statement in DROP:
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0031_image_indexes")]

    initial = False

    operations = [ops.RunPython(create_term_counts, drop_term_counts)]
