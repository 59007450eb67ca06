"""Full-text search: ranked OR over stemmed terms, computed by the same SQL and the same numbers on SQLite and Postgres.

Terms come from search_text (one Python analyzer for index and query). An idea is two documents: its title and
description (part 0, title words weigh TITLE_WEIGHT), and its conversation (part 1: visible comments and official
responses). Ideas matching more of the query's words rank first, then by BM25 (idf and length norms computed here and
passed in, so both databases rank identically). Triggers mark changed ideas in search_pending; `refresh` re-analyzes
them before each search. A term in more than CANDIDATES ideas is ranked from the head of its postings in order of
impact (search_terms counts them; no common word is read in full). With a reranker installed (`use_reranker`), the
best RERANK_DEPTH are re-ordered by meaning.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from ideaboard import sql
from ideaboard.search_text import QueryTerms, query_terms, terms

# The count stops at CANDIDATES ("1000+") and pages never go past it.
CANDIDATES = 1000
# When no term is in more than CANDIDATES ideas, every match is ranked. Past that (a common word on a big board:
# hundreds of thousands on a million ideas), the candidates are the first HEAD postings of each term in order of
# impact (the index search_postings_impact), HEAD_BUDGET shared among a long query's terms, and only those are ranked.
HEAD = 100
HEAD_BUDGET = 800
# When the heads hold too few ideas the reader may see (most of them internal or hidden), they are read again this
# many times longer, so a visitor still finds the public ideas; bounded, so such a search never ranks every match.
HEAD_WIDENING = (1, 10)
# A posting's BM25 term weight at a fixed reference length (20 terms): the order of a list's head. The same text as
# the index of migration 0032, or the index is not used.
IMPACT_SQL = "CAST({p}tf AS DOUBLE PRECISION) / (100 * {p}tf + 60 + 3 * {p}length)"
K1 = 1.2
B = 0.5  # ideas and comments are short: length counts for half as much as in textbook BM25 (bench/search_quality.py)
TITLE_WEIGHT = 3
PART_WEIGHTS = (1.0, 0.4)  # a word in the conversation counts less than the same word in the idea itself
PREFIX_WEIGHT = 0.5  # a longer word the last one begins matches, below the word itself
MAX_EXPANSIONS = 16
REFRESH_BATCH = 500
# Re-ranking by meaning (search_meaning) re-orders the best RERANK_DEPTH text hits among those with as many of the
# query's words, never which ideas make the first page: on bench/search_quality.py's judged reviews, letting meaning
# pull hits 11-50 into the first 10 cost P@10 0.767 -> 0.713 (50 deep, half meaning, across word counts).
RERANK_DEPTH = 10
RERANK_SHARE = 0.5  # of the within-tier order: BM25's fraction and the meaning cosine, half each
SCALE = 1e9  # scores are rounded to 9 decimals, so a last-bit difference in float sums never reorders
EXCERPT_WIDTH = 160
_WORD_SPAN = re.compile(r"[^\W_]+")

Reranker = Callable[[str, Sequence[int]], Awaitable[Mapping[int, float]]]
_reranker: Reranker | None = None


def use_reranker(reranker: Reranker | None) -> None:
    """Install (or remove) a function giving, for a query and idea ids, each idea's similarity in meaning (0..1)."""
    global _reranker
    _reranker = reranker


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching idea and its relevance (the number of query words it has, plus a BM25 fraction below 1)."""

    id: int
    score: float


async def search_idea_ids(text: str, *, visible_sql: str, limit: int, offset: int,
                          typing: bool = False) -> tuple[list[int], int]:
    """Ids of matching ideas, best first, and their count (CANDIDATES + 1 means more); `visible_sql` restricts rows."""
    hits, total = await search_hits(text, visible_sql=visible_sql, limit=limit, offset=offset, typing=typing)
    return [hit.id for hit in hits], total


async def search_hits(text: str, *, visible_sql: str, limit: int, offset: int,
                      typing: bool = False) -> tuple[list[Hit], int]:
    """The matching ideas of one page, best first, with their scores, and how many match (at most CANDIDATES + 1)."""
    await refresh()
    query = query_terms(text, typing=typing)
    limit = max(0, min(limit, CANDIDATES - offset))  # the extra candidate only tells that there are more
    if not query or limit == 0:
        return [], 0
    plan = await _plan(query)
    if not plan:
        return [], 0
    reranker = _reranker
    if reranker is None or offset >= RERANK_DEPTH:
        return await _ranked(plan, visible_sql, limit, offset)
    hits, total = await _ranked(plan, visible_sql, max(RERANK_DEPTH, offset + limit), 0)
    best = hits[:RERANK_DEPTH]
    fused = _fused(best, await reranker(text, [hit.id for hit in best])) + hits[RERANK_DEPTH:]
    return fused[offset:offset + limit], total


def _fused(hits: list[Hit], meaning: Mapping[int, float]) -> list[Hit]:
    """Ideas with more of the query's words still first; among as many, BM25 and meaning blended (RERANK_SHARE of
    meaning), best first."""
    blended = []
    for hit in hits:
        matched = math.floor(hit.score)
        close = min(max(meaning.get(hit.id, 0.0), 0.0), 0.999999)
        blended.append(Hit(hit.id, round(matched + (1 - RERANK_SHARE) * (hit.score - matched)
                                         + RERANK_SHARE * close, 9)))
    return sorted(blended, key=lambda hit: (-hit.score, -hit.id))


@dataclass(frozen=True, slots=True)
class Term:
    """One term to look up in one part, the query word it stands for, its BM25 weight (idf x boosts) and length norm."""

    term: str
    part: int
    group: int
    weight: float
    norm: float
    docs: int


async def _plan(query: QueryTerms) -> list[Term]:
    """The query's terms (and the last word's continuations) with their document frequencies (search_terms)."""
    dialect = sql.dialect()
    exact = list(query.terms)
    where = sql.any_of(dialect, "term", len(exact))
    params = sql.any_of_params(dialect, exact)
    if query.prefix:
        where = f"({where} OR (term >= ? AND term < ?))"
        params += [query.prefix, query.prefix + "\U0010ffff"]  # every term that starts with it (byte order)
    rows = await sql.fetch(sql.Query(
        "SELECT part, docs, length, NULL AS term FROM search_totals UNION ALL "
        f"SELECT part, docs, 0, term FROM search_terms WHERE docs > 0 AND ({where})",
        ("part", "docs", "length", "term"), params))
    totals = {part: (docs, length) for part, docs, length, term in rows if term is None}
    frequency = {(term, part): docs for part, docs, _, term in rows if term is not None}
    group_of = {term: n for n, term in enumerate(exact)}
    if query.prefix:
        last = len(exact) - 1
        longer = Counter[str]()
        for (term, _), docs in frequency.items():
            if term not in group_of:
                longer[term] += docs
        for term, _ in sorted(longer.items(), key=lambda item: (-item[1], item[0]))[:MAX_EXPANSIONS]:
            group_of[term] = last
    plan = []
    for (term, part), docs in sorted(frequency.items()):
        if term not in group_of or part not in totals or not totals[part][0]:
            continue
        count, length = totals[part]
        idf = math.log(1 + (count - docs + 0.5) / (docs + 0.5))
        boost = PART_WEIGHTS[part] * (1.0 if term in exact else PREFIX_WEIGHT)
        plan.append(Term(term, part, group_of[term], idf * boost * (K1 + 1), K1 * B / max(length / count, 1.0),
                         docs))
    return plan


def _ranking_sql(dialect: str, count: int, visible_sql: str) -> str:
    """Per idea: how many query words it has, and the BM25 sum; ranked as one number, rounded so engines agree.

    Float arithmetic only (a numeric literal or round(numeric) on Postgres cost a third of the query), and two plain
    GROUP BYs rather than count(DISTINCT), which Postgres can only sort for.
    """
    terms_sql, page = _query_terms_sql(dialect, count, heads=False)
    return (f"WITH q(term, part, grp, weight, norm) AS ({terms_sql}), "
            f"w AS (SELECT p.idea_id AS id, {_BM25} AS bm25 "
            "FROM q JOIN search_postings p ON p.term = q.term AND p.part = q.part GROUP BY p.idea_id, q.grp), "
            f"{_scored(visible_sql)} {page}")


def _heads_sql(dialect: str, count: int, visible_sql: str) -> str:
    """As _ranking_sql, over the ideas in the first `head` postings (by impact) of each term, each scored in full, and
    without the count (it reads CANDIDATES + 1): ideas are looked at only until the page is full."""
    terms_sql, page = _query_terms_sql(dialect, count, heads=True)
    impact = IMPACT_SQL.format(p="p.")
    if dialect == "postgres":  # an array of the candidates, whose postings are looked up per term by primary key
        candidates = ("SELECT array_agg(DISTINCT h.idea_id) AS ids FROM q CROSS JOIN LATERAL (SELECT p.idea_id "
                      f"FROM search_postings p WHERE p.term = q.term AND p.part = q.part ORDER BY {impact} DESC, "
                      "p.idea_id DESC LIMIT q.head) h")
        postings = ("q CROSS JOIN LATERAL (SELECT p.idea_id, p.tf, p.length FROM search_postings p "
                    "WHERE p.term = q.term AND p.part = q.part AND p.idea_id = ANY((SELECT ids FROM c)::int[]) "
                    "OFFSET 0) p")  # OFFSET 0: not planned as a scan of every posting the candidates have
    else:
        candidates = " UNION ".join(
            ["SELECT idea_id FROM (SELECT p.idea_id FROM search_postings p WHERE p.term = ? AND p.part = ? "
             f"ORDER BY {impact} DESC, p.idea_id DESC LIMIT ?)"] * count)
        postings = ("c CROSS JOIN q JOIN search_postings p ON p.term = q.term AND p.part = q.part "
                    "AND p.idea_id = c.idea_id")
    return (f"WITH q(term, part, grp, weight, norm, head) AS ({terms_sql}), c AS ({candidates}), "
            f"w AS (SELECT p.idea_id AS id, {_BM25} AS bm25 FROM {postings} GROUP BY p.idea_id, q.grp), "
            "s AS (SELECT id, count(*) AS matched, sum(bm25) AS bm25 FROM w GROUP BY id), "
            f"r AS (SELECT id, {_SCORE} AS score FROM s ORDER BY score DESC, id DESC) "
            f"SELECT r.id AS id, r.score AS score, 0 AS total FROM r WHERE EXISTS (SELECT 1 FROM ideas "
            f"WHERE ideas.id = r.id AND {visible_sql}) ORDER BY r.score DESC, r.id DESC {page}")


_SCORE = f"round((matched + bm25 / (bm25 + 1)) * {SCALE!r}) / {SCALE!r}"
_BM25 = f"sum(q.weight * p.tf / (p.tf + CAST({K1 * (1 - B)!r} AS DOUBLE PRECISION) + q.norm * p.length))"


def _query_terms_sql(dialect: str, count: int, *, heads: bool) -> tuple[str, str]:
    """The plan as rows q(term, part, grp, weight, norm[, head]), and the page's LIMIT and OFFSET."""
    if dialect == "postgres":
        columns = "term, part, grp, weight, norm" + (", head" if heads else "")
        arrays = "$1::text[], $2::int[], $3::int[], $4::float8[], $5::float8[]" + (", $6::int[]" if heads else "")
        last = 7 if heads else 6
        return f"SELECT * FROM unnest({arrays}) AS q({columns})", f"LIMIT ${last} OFFSET ${last + 1}"
    row = "(?, ?, ?, ?, ?, ?)" if heads else "(?, ?, ?, ?, ?)"
    return "VALUES " + ", ".join([row] * count), "LIMIT ? OFFSET ?"


def _scored(visible_sql: str) -> str:
    """From w (per idea and query word, its BM25): the visible ideas, best first, with how many there are."""
    return ("s AS (SELECT id, count(*) AS matched, sum(bm25) AS bm25 FROM w GROUP BY id) "
            f"SELECT s.id AS id, {_SCORE} AS score, "
            "count(*) OVER () AS total FROM s JOIN ideas ON ideas.id = s.id "
            f"WHERE {visible_sql} ORDER BY score DESC, s.id DESC")


def _head_sizes(plan: list[Term], limit: int, offset: int) -> list[int] | None:
    """How many postings to read from each term's head, or None when all matches are few enough to rank them all."""
    if max(t.docs for t in plan) <= CANDIDATES:
        return None
    return [max(offset + limit, min(HEAD, HEAD_BUDGET // len(plan)))] * len(plan)


async def _ranked(plan: list[Term], visible_sql: str, limit: int, offset: int) -> tuple[list[Hit], int]:
    """A page of ranked hits and how many match (CANDIDATES + 1 when a term is in more ideas than that)."""
    heads = _head_sizes(plan, limit, offset)
    if heads is None:
        rows = await _rows(_ranking_sql, plan, visible_sql, limit, offset)
        return _hits(rows), rows[0]["total"] if rows else 0
    for widen in HEAD_WIDENING:
        rows = await _rows(_heads_sql, plan, visible_sql, limit, offset, [head * widen for head in heads])
        if len(rows) == limit:
            return _hits(rows), CANDIDATES + 1
    return _hits(rows), offset + len(rows)  # the widest heads held no more ideas this reader may see


async def _rows(statement, plan: list[Term], visible_sql: str, limit: int, offset: int,
                heads: list[int] | None = None) -> list:
    """One ranking statement's rows: the plan as arrays (Postgres) or as a VALUES list (SQLite), then the page."""
    conn = sql.connection()
    dialect = conn.capabilities.dialect
    columns = [[t.term for t in plan], [t.part for t in plan], [t.group for t in plan],
               [t.weight for t in plan], [t.norm for t in plan]]
    if heads is not None:
        columns.append(heads)
    params: list
    if dialect == "postgres":
        params = columns
    else:
        params = [value for row in zip(*columns, strict=True) for value in row]
        if heads is not None:
            params += [value for t, head in zip(plan, heads, strict=True) for value in (t.term, t.part, head)]
    _, rows = await conn.execute_query(statement(dialect, len(plan), visible_sql), [*params, limit, offset])
    return rows


def _hits(rows) -> list[Hit]:
    return [Hit(row["id"], float(row["score"])) for row in rows]


@dataclass(frozen=True, slots=True)
class Passage:
    """Where in an idea's conversation the query's words are: an anchor on the idea page and a few words around them."""

    anchor: str
    official: bool
    excerpt: str


async def conversation_passages(text: str, idea_ids: Sequence[int]) -> dict[int, Passage]:
    """For ideas whose comments or official responses have the query's words: the one that has most of them."""
    query = query_terms(text)
    if not query or not idea_ids:
        return {}
    dialect = sql.dialect()
    rows = await sql.fetch(sql.Query(
        "SELECT idea_id, source, count(*) AS n, sum(tf) AS tf FROM search_passages "
        f"WHERE {sql.any_of(dialect, 'idea_id', len(idea_ids))} AND {sql.any_of(dialect, 'term', len(query.terms))} "
        "GROUP BY idea_id, source",
        ("idea_id", "source", "n", "tf"),
        [*sql.any_of_params(dialect, idea_ids), *sql.any_of_params(dialect, query.terms)]))
    best: dict[int, tuple[int, int, str]] = {}
    for row in rows:
        key = (row["n"], row["tf"], row["source"])
        if key > best.get(row["idea_id"], (0, 0, "")):
            best[row["idea_id"]] = key
    wanted: dict[str, list[int]] = {"comment": [], "event": []}
    for _, _, source in best.values():
        kind, number = source.split("-")
        wanted[kind].append(int(number))
    texts: dict[str, str] = {}
    for kind, table, column in (("comment", "comments", "body"), ("event", "idea_events", "message")):
        if wanted[kind]:
            found = await sql.fetch(sql.Query(
                f"SELECT id, {column} AS text FROM {table} WHERE {sql.any_of(dialect, 'id', len(wanted[kind]))}",
                ("id", "text"), sql.any_of_params(dialect, wanted[kind])))
            texts.update((f"{kind}-{row['id']}", row["text"]) for row in found)
    return {idea_id: Passage(source, source.startswith("event"), excerpt(texts[source], query.terms))
            for idea_id, (_, _, source) in best.items() if source in texts}


def excerpt(text: str, wanted: Sequence[str], width: int = EXCERPT_WIDTH) -> str:
    """About `width` characters of the text around its first word whose term is wanted, with ellipses where cut."""
    first = next((match.start() for match in _WORD_SPAN.finditer(text)
                  if any(term in wanted for term in terms(match.group()))), 0)
    start = max(0, first - width // 3)
    if start:
        start = text.find(" ", start, first) + 1 or start
    end = start + width
    if end < len(text):
        end = text.rfind(" ", start, end) if " " in text[start:end] else end
    return ("…" if start else "") + " ".join(text[start:end].split()) + ("…" if end < len(text) else "")


async def refresh(limit: int | None = REFRESH_BATCH) -> int:
    """Re-analyze the ideas that changed since (all of them, in batches, with limit=None); how many were done."""
    done = 0
    while limit is None or done < limit:
        batch = REFRESH_BATCH if limit is None else min(REFRESH_BATCH, limit - done)
        rows = await sql.fetch(sql.Query("SELECT idea_id FROM search_pending ORDER BY idea_id LIMIT ?",
                                         ("idea_id",), (batch,)))
        if not rows:
            break
        done += await _reindex([row["idea_id"] for row in rows])
    return done


async def _reindex(idea_ids: list[int]) -> int:
    """Claim these pending ideas (another process may have), and replace their terms, in one transaction."""
    dialect = sql.dialect()

    def among(column: str) -> str:
        return sql.placeholders(dialect, sql.any_of(dialect, column, len(idea_ids)))

    ids = sql.any_of_params(dialect, idea_ids)
    false = "false" if dialect == "postgres" else "0"
    async with in_transaction() as conn:
        claimed_rows = await conn.execute_query_dict(  # a dict query: asyncpg's execute drops RETURNING rows
            f"DELETE FROM search_pending WHERE {among('idea_id')} RETURNING idea_id", ids)
        claimed = sorted(row["idea_id"] for row in claimed_rows)
        if not claimed:
            return 0
        if len(claimed) != len(idea_ids):
            idea_ids, ids = claimed, sql.any_of_params(dialect, claimed)
        _, ideas = await conn.execute_query(f"SELECT id, title, body FROM ideas WHERE {among('id')}", ids)
        _, comments = await conn.execute_query(
            f"SELECT id, idea_id, body FROM comments WHERE {among('idea_id')} AND hidden = {false}", ids)
        _, events = await conn.execute_query(
            f"SELECT id, idea_id, message FROM idea_events WHERE {among('idea_id')} AND kind = 'response' "
            "AND message <> ''", ids)
        _, old = await conn.execute_query(
            f"SELECT part, count(*) AS docs, sum(length) AS length FROM search_docs WHERE {among('idea_id')} "
            "GROUP BY part", ids)
        _, old_terms = await conn.execute_query(
            f"SELECT term, part, count(*) AS docs FROM search_postings WHERE {among('idea_id')} GROUP BY term, part",
            ids)
        for table in ("search_postings", "search_docs", "search_passages"):
            await conn.execute_query(f"DELETE FROM {table} WHERE {among('idea_id')}", ids)
        postings, docs, passages = _analyzed(ideas, comments, events)
        marks = "?, ?, ?, ?, ?"
        if postings:
            await conn.execute_many(sql.placeholders(dialect, "INSERT INTO search_postings "
                                                     f"(term, part, idea_id, tf, length) VALUES ({marks})"), postings)
        if docs:
            await conn.execute_many(sql.placeholders(
                dialect, "INSERT INTO search_docs (idea_id, part, length) VALUES (?, ?, ?)"), docs)
        if passages:
            await conn.execute_many(sql.placeholders(
                dialect, "INSERT INTO search_passages (idea_id, term, source, tf) VALUES (?, ?, ?, ?)"), passages)
        await _count_terms(conn, dialect, old_terms, postings)
        change = {part: [0, 0] for part in (0, 1)}
        for row in old:
            change[row["part"]][0] -= row["docs"]
            change[row["part"]][1] -= row["length"]
        for _, part, length in docs:
            change[part][0] += 1
            change[part][1] += length
        for part, (count, length) in change.items():
            if count or length:
                await conn.execute_query(sql.placeholders(
                    dialect, "INSERT INTO search_totals (part, docs, length) VALUES (?, ?, ?) ON CONFLICT (part) "
                    "DO UPDATE SET docs = search_totals.docs + excluded.docs, "
                    "length = search_totals.length + excluded.length"), [part, count, length])
    return len(claimed)


async def _count_terms(conn, dialect: str, old_terms, postings: list[list]) -> None:
    """Move search_terms by the postings replaced; in term order, so concurrent batches lock rows alike."""
    change = Counter[tuple[str, int]]()
    for row in old_terms:
        change[(row["term"], row["part"])] -= row["docs"]
    for term, part, *_ in postings:
        change[(term, part)] += 1
    rows = [[term, part, docs] for (term, part), docs in sorted(change.items()) if docs]
    if rows:
        await conn.execute_many(sql.placeholders(
            dialect, "INSERT INTO search_terms (term, part, docs) VALUES (?, ?, ?) ON CONFLICT (term, part) "
            "DO UPDATE SET docs = search_terms.docs + excluded.docs"), rows)


def _analyzed(ideas, comments, events) -> tuple[list[list], list[list], list[list]]:
    """Rows of search_postings, search_docs and search_passages for these ideas and their conversations."""
    postings: list[list] = []
    docs: list[list] = []
    passages: list[list] = []
    talk: dict[int, Counter[str]] = {}
    for source, rows, column in (("comment", comments, "body"), ("event", events, "message")):
        for row in rows:
            counts = Counter(terms(row[column]))
            if counts:
                talk.setdefault(row["idea_id"], Counter()).update(counts)
                passages += [[row["idea_id"], term, f"{source}-{row['id']}", tf] for term, tf in counts.items()]
    for idea in ideas:
        own = Counter({term: TITLE_WEIGHT * tf for term, tf in Counter(terms(idea["title"])).items()})
        own.update(terms(idea["body"]))
        for part, counts in ((0, own), (1, talk.get(idea["id"], Counter()))):
            length = sum(counts.values())
            if length:
                docs.append([idea["id"], part, length])
                postings += [[term, part, idea["id"], tf, length] for term, tf in counts.items()]
    known = {idea["id"] for idea in ideas}
    return postings, docs, [row for row in passages if row[0] in known]
