"""Full-text search: Postgres tsvector + GIN index, SQLite FTS5 on the embedded default.

The schema pieces are created by migration 0002_search; this module only queries them.
"""

from __future__ import annotations

import re

from tortoise import connections

_WORD = re.compile(r"\w+", re.UNICODE)

# Ranking every match of a common word on a million ideas took 0.3-0.8 s; the best of the first CANDIDATES matches
# are ranked instead, and the count says "1000+".
CANDIDATES = 1000


def fts5_query(text: str) -> str:
    """Quote every word so user input can never be FTS5 syntax (no errors on `"`, `*`, `OR`...)."""
    return " ".join(f'"{word}"' for word in _WORD.findall(text))


async def search_idea_ids(text: str, *, visible_sql: str, limit: int, offset: int) -> tuple[list[int], int]:
    """Ids of matching ideas, best first, and their count (CANDIDATES + 1 means more); `visible_sql` restricts rows."""
    conn = connections.get("default")
    limit = max(0, min(limit, CANDIDATES - offset))  # the extra candidate only tells that there are more
    if conn.capabilities.dialect == "postgres":
        return await _search_postgres(conn, text, visible_sql, limit, offset)
    return await _search_sqlite(conn, text, visible_sql, limit, offset)


async def _search_postgres(conn, text: str, visible_sql: str, limit: int, offset: int) -> tuple[list[int], int]:
    rows = await conn.execute_query_dict(
        "WITH q AS MATERIALIZED (SELECT websearch_to_tsquery('english', $1) AS q), "
        "m AS MATERIALIZED (SELECT id, search_vector FROM ideas, q "
        f"WHERE search_vector @@ q.q AND {visible_sql} LIMIT $4) "
        "SELECT id, count(*) OVER () AS total FROM m, q "
        "ORDER BY ts_rank(search_vector, q.q) DESC, id DESC LIMIT $2 OFFSET $3",
        [text, limit, offset, CANDIDATES + 1],
    )
    return [r["id"] for r in rows], (rows[0]["total"] if rows else 0)


async def _search_sqlite(conn, text: str, visible_sql: str, limit: int, offset: int) -> tuple[list[int], int]:
    query = fts5_query(text)
    if not query:
        return [], 0
    rows = await conn.execute_query_dict(
        # bm25() cannot sit beside a window function, so rank first in a materialized CTE (titles weigh 4x).
        "WITH m AS MATERIALIZED (SELECT ideas.id AS id, bm25(ideas_fts, 4.0, 1.0) AS rank FROM ideas_fts "
        f"JOIN ideas ON ideas.id = ideas_fts.rowid WHERE ideas_fts MATCH ? AND {visible_sql} LIMIT ?) "
        "SELECT id, count(*) OVER () AS total FROM m ORDER BY m.rank, m.id DESC LIMIT ? OFFSET ?",
        [query, CANDIDATES + 1, limit, offset],
    )
    return [r["id"] for r in rows], (rows[0]["total"] if rows else 0)
