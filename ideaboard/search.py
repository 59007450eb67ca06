"""Full-text search: Postgres tsvector + GIN index, SQLite FTS5 on the embedded default.

The schema pieces are created by migration 0002_search; this module only queries them.
"""

from __future__ import annotations

import re

from tortoise import connections

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

_WORD = re.compile(r"\w+", re.UNICODE)


def fts5_query(text: str) -> str:
    """Quote every word so user input can never be FTS5 syntax (no errors on `"`, `*`, `OR`...)."""
    return " ".join(f'"{word}"' for word in _WORD.findall(text))


async def search_idea_ids(text: str, *, visible_sql: str, limit: int, offset: int) -> tuple[list[int], int]:
    """Ids of matching ideas, best match first, and the total count; `visible_sql` restricts rows."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        return await _search_postgres(conn, text, visible_sql, limit, offset)
    return await _search_sqlite(conn, text, visible_sql, limit, offset)


async def _search_postgres(conn, text: str, visible_sql: str, limit: int, offset: int) -> tuple[list[int], int]:
    where = f"search_vector @@ websearch_to_tsquery('english', $1) AND {visible_sql}"
    rows = await conn.execute_query_dict(
        f"SELECT id, count(*) OVER () AS total FROM ideas WHERE {where} "
        "ORDER BY ts_rank(search_vector, websearch_to_tsquery('english', $1)) DESC, id DESC LIMIT $2 OFFSET $3",
        [text, limit, offset],
    )
    return [r["id"] for r in rows], (rows[0]["total"] if rows else 0)


async def _search_sqlite(conn, text: str, visible_sql: str, limit: int, offset: int) -> tuple[list[int], int]:
    query = fts5_query(text)
    if not query:
        return [], 0
    rows = await conn.execute_query_dict(
        # bm25() cannot sit beside a window function, so rank first in a materialized CTE (titles weigh 4x).
        "WITH m AS MATERIALIZED (SELECT rowid AS id, bm25(ideas_fts, 4.0, 1.0) AS rank FROM ideas_fts "
        "WHERE ideas_fts MATCH ?) "
        "SELECT ideas.id AS id, count(*) OVER () AS total FROM m JOIN ideas ON ideas.id = m.id "
        f"WHERE {visible_sql} ORDER BY m.rank, ideas.id DESC LIMIT ? OFFSET ?",
        [query, limit, offset],
    )
    return [r["id"] for r in rows], (rows[0]["total"] if rows else 0)
