"""`ideaboard search DOCS.jsonl --queries Q.jsonl`: the board's own full-text search over a file, in a scratch database.

The documents become ideas of a fresh database (SQLite in a temporary folder, or a temporary PostgreSQL database
beside the one DATABASE_URL names), are indexed and searched by ideaboard.search as a visitor's search is (re-ranked by
meaning where the model is installed; IDEABOARD_SEMANTIC=off keeps it text only), and one line
per query is printed: {"id": query id, "results": [{"id": document id, "score": relevance}, ...]}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ideaboard import jsonl
from ideaboard.jsonl import InputError

EXIT_BAD_INPUT = 2
TITLE_MAX = 120  # the ideas.title column; a longer title is searched as description text


def read_jsonl(path: Path, required: str) -> list[dict]:
    """The file's JSON objects, each with a string or integer id (else the line number) and a string `required`."""
    records = []
    for number, record in jsonl.records(path):
        for field in (required, "title", "body"):
            if field in record and not isinstance(record[field], str):
                raise InputError(f"{path}:{number}: {field} must be a string")
        if required == "text" and not (record.get("title") or record.get("body") or record.get("text")):
            raise InputError(f"{path}:{number}: needs a title, body or text")
        if required == "query" and "query" not in record:
            raise InputError(f"{path}:{number}: missing query")
        records.append(record)
    return records


def idea_text(record: dict) -> tuple[str, str]:
    """(title, description) of a document; `text` is description, and so is a title too long for an idea title."""
    title = record.get("title") or ""
    body = "\n\n".join(part for part in (record.get("body"), record.get("text")) if part)
    if len(title) > TITLE_MAX:
        title, body = "", "\n\n".join(part for part in (title, body) if part)
    return title, body


@contextlib.asynccontextmanager
async def scratch_database(database_url: str) -> AsyncIterator[str]:
    """The URL of an empty database that is dropped afterwards: PostgreSQL if the given URL is, else a SQLite file."""
    if not database_url.startswith(("postgres", "asyncpg")):
        with tempfile.TemporaryDirectory(prefix="ideaboard-search-") as folder:
            yield f"sqlite://{folder}/search.sqlite3"
        return
    import asyncpg

    parts = urlsplit(database_url)
    name = f"ideaboard_search_{os.getpid()}_{secrets.token_hex(4)}"
    admin_url = urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def run_search(docs: list[dict], queries: list[dict], k: int, database_url: str) -> list[dict]:
    """Each query's top k documents, searched by the site's own code in a scratch database."""
    from ideaboard import search_meaning
    from ideaboard.db import connect, migrate_database

    async with scratch_database(database_url) as url:
        await migrate_database(url)
        async with connect(url):
            await add_documents(docs)
            search_meaning.install(None)  # as the site searches: by meaning too where the model is installed
            try:
                return await answer(docs, queries, k)
            finally:
                search_meaning.uninstall()


async def add_documents(docs: list[dict]) -> None:
    """The documents as public ideas 1..n of one author, indexed."""
    from ideaboard import search
    from ideaboard.models import Idea, User

    author = await User.create(email="search@example.invalid", name="Search", password_hash="!")
    rows = []
    for n, record in enumerate(docs, start=1):
        title, body = idea_text(record)
        rows.append(Idea(id=n, title=title, body=body, author=author))
    await Idea.bulk_create(rows, batch_size=1000)
    await search.refresh(limit=None)


async def answer(docs: list[dict], queries: list[dict], k: int) -> list[dict]:
    """{"id", "results": [{"id", "score"}...]} per query, as a visitor's search of the board ranks them."""
    from ideaboard import ideas, search

    visible = ideas.searchable_sql(None)
    answers = []
    for query in queries:
        hits, _ = await search.search_hits(query["query"], visible_sql=visible, limit=k, offset=0)
        answers.append({"id": query["id"], "results": [{"id": docs[hit.id - 1]["id"], "score": hit.score}
                                                       for hit in hits]})
    return answers


def cmd_search(args: argparse.Namespace) -> int:
    """Print one JSON line per query."""
    try:
        docs = read_jsonl(args.docs, "text")
        queries = read_jsonl(args.queries, "query")
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not docs:
        print(f"error: {args.docs}: no documents in file", file=sys.stderr)
        return EXIT_BAD_INPUT
    for line in _lines(asyncio.run(run_search(docs, queries, args.k, os.environ.get("DATABASE_URL", "")))):
        print(line)
    return 0


def _lines(answers: list[dict]) -> Iterator[str]:
    return (json.dumps(answer, ensure_ascii=False) for answer in answers)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `search` subcommand."""
    parser = subparsers.add_parser("search", help="the board's full-text search over a JSONL file of documents")
    parser.add_argument("docs", type=Path, help="JSONL, one {id, title, body} (or {id, text}) per line")
    parser.add_argument("--queries", type=Path, required=True, help="JSONL, one {id, query} per line")
    parser.add_argument("-k", type=int, default=10, help="results per query (default %(default)s)")
    parser.set_defaults(func=cmd_search)
