"""Plain SQL for the busiest pages: statements built once per dialect, rows loaded into models without pypika.

Each statement's text is built once and never changes with its values, so asyncpg reuses the prepared plan; the
ORM would build every query anew (README, "Profiler notes").
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.models import Model


def connection():
    from tortoise import connections

    return connections.get("default")


def dialect() -> str:
    return connection().capabilities.dialect


def is_postgres() -> bool:
    return dialect() == "postgres"


# A status change holds the workflow's revision row shared, so an admin's save (which locks it FOR UPDATE) waits for
# the status changes under way and they for it, while status changes never wait for each other.
HOLD_WORKFLOW = "SELECT revision FROM workflow_revision WHERE id = 1 FOR SHARE"


async def hold_workflow(conn) -> None:
    """Postgres: HOLD_WORKFLOW in the caller's transaction (SQLite serialises writing transactions anyway)."""
    if is_postgres():
        await conn.execute_query(HOLD_WORKFLOW)


def placeholders(dialect: str, sql: str) -> str:
    """SQLite takes `?`, asyncpg `$1, $2...` (the SQL has no other question marks)."""
    if dialect != "postgres":
        return sql
    parts = sql.split("?")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)) + parts[-1]


def any_of(dialect: str, column: str, count: int) -> str:
    """`column` is one of the given values: one array parameter on Postgres (one prepared statement), `?`s on SQLite."""
    return f"{column} = ANY(?)" if dialect == "postgres" else f"{column} IN ({', '.join('?' * count)})"


def any_of_params(dialect: str, values: Sequence) -> list:
    """The parameters any_of expects for these values."""
    return [list(values)] if dialect == "postgres" else list(values)


@dataclass(frozen=True, slots=True)
class Query:
    """A SELECT with `?` placeholders, the names of the columns it returns (in order), and its parameters."""

    text: str
    columns: tuple[str, ...]
    params: Sequence = ()


@dataclass(frozen=True, slots=True)
class Select:
    """A select list declared once: its (SQL expression, row name) pairs give both the SQL and the row's names."""

    items: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, alias: str, columns: Sequence[str], *joined: tuple[str, str]) -> Select:
        """`alias.column` for each column, then joined (expression, name) pairs."""
        return cls(tuple((f"{alias}.{column}", column) for column in columns) + tuple(joined))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.items)

    def sql(self) -> str:
        return ", ".join(expr if expr.rsplit(".", 1)[-1] == name else f"{expr} AS {name}" for expr, name in self.items)

    def statement(self, rest: str) -> Statement:
        """SELECT this list, then the rest of the statement (FROM ... WHERE ...) with `?` placeholders."""
        return Statement(f"SELECT {self.sql()} {rest}", self.names)


@dataclass(frozen=True, slots=True)
class Statement:
    """A statement's fixed text and row names, built once; `bind` gives the Query for one call's values."""

    text: str
    columns: tuple[str, ...]

    def bind(self, *params: Any) -> Query:
        return Query(self.text, self.columns, params)


async def fetch(query: Query) -> list:
    """The rows of one query."""
    conn = connection()
    _, rows = await conn.execute_query(_numbered(conn.capabilities.dialect, query.text), list(query.params))
    return rows


async def fetch_together(*queries: Query, shared: tuple[str, Query] | None = None) -> list[list]:
    """The rows of several queries in one round trip on Postgres (each an array of records), in turn elsewhere.

    A page's reads are small index lookups, so round trips, not work, are their cost.
    `shared` is (name, query): a result the queries select from by that name, computed once (a WITH clause).
    """
    conn = connection()
    if conn.capabilities.dialect != "postgres":
        return [await fetch(_with(query, shared)) for query in queries]
    parts = tuple((query.text, query.columns) for query in queries)
    text = _together_sql(parts, (shared[0], shared[1].text) if shared else None)
    params = [*(shared[1].params if shared else ()), *(param for query in queries for param in query.params)]
    _, rows = await conn.execute_query(text, params)
    return [[dict(zip(query.columns, record, strict=True)) for record in rows[0][n]] for n, query in enumerate(queries)]


def _with(query: Query, shared: tuple[str, Query] | None) -> Query:
    """The query with the shared result as its own WITH clause, if it reads it."""
    if shared is None or shared[0] not in query.text:
        return query
    name, common = shared
    return Query(f"WITH {name} AS ({common.text}) {query.text}", query.columns, (*common.params, *query.params))


@functools.lru_cache(maxsize=256)
def _together_sql(parts: tuple[tuple[str, tuple[str, ...]], ...], shared: tuple[str, str] | None) -> str:
    """[WITH shared] SELECT ARRAY(rows of query 1), ARRAY(rows of query 2)...: one statement, prepared once."""
    arrays = ", ".join(f"ARRAY(SELECT ROW({', '.join('s.' + column for column in columns)}) FROM ({text}) s) AS r{n}"
                       for n, (text, columns) in enumerate(parts))
    common = f"WITH {shared[0]} AS MATERIALIZED ({shared[1]}) " if shared else ""
    return placeholders("postgres", f"{common}SELECT {arrays}")


@functools.lru_cache(maxsize=1024)
def _numbered(dialect: str, text: str) -> str:
    return placeholders(dialect, text)


def columns_of(model: type[Model]) -> tuple[str, ...]:
    """Every column of a model's table."""
    return tuple(model._meta.fields_db_projection.values())


def loader_of(model: type[Model], columns: Sequence[str]):
    """row_loader for columns read back under their own names."""
    return _loader_of(model, tuple(columns))


@functools.cache
def _loader_of(model: type[Model], columns: tuple[str, ...]):
    """Looked up by the columns themselves: pairing them anew was a tuple of tuples to build and hash per call, and
    an idea page asks for five loaders (its comments' once per comment)."""
    return row_loader(model, tuple((column, column) for column in columns))


def select_list(table_alias: str, columns: Sequence[str]) -> str:
    """`t.a, t.b, ...`."""
    return ", ".join(f"{table_alias}.{column}" for column in columns)


@functools.cache
def row_loader(model: type[Model], columns: tuple[tuple[str, str], ...]):
    """row -> model instance, reading each (field column, row column) pair; fields not given are left out (partial).

    Tortoise's _init_from_db without its per-row work (README, "Profiler notes"). It writes Tortoise internals, so
    pyproject pins tortoise-orm's minor version and tests compare its values with the ORM's.
    """
    meta = model._meta
    aliases = dict(columns)
    plan: list[tuple[str, str, Callable[[Any], Any] | None]] = [
        (aliases[key], attr, None) for key, attr, _ in meta.db_native_fields if key in aliases]
    plan += [(aliases[key], attr, field.field_type) for key, attr, field in meta.db_default_fields if key in aliases]
    plan += [(aliases[key], attr, field.to_python_value) for key, attr, field in meta.db_complex_fields
             if key in aliases]
    partial = len(plan) < len(meta.db_fields)
    custom_pk = meta.db_pk_column not in meta.generated_db_fields
    fixed = {"_partial": partial, "_saved_in_db": True, "_custom_generated_pk": custom_pk}
    plain = [(alias, attr) for alias, attr, convert in plan if convert is None]
    converted = [(alias, attr, convert) for alias, attr, convert in plan if convert is not None]

    def load(row: Any) -> Any:
        instance = model.__new__(model)
        values = instance.__dict__
        values.update(fixed)
        values["_await_when_save"] = {}
        for alias, attr in plain:
            values[attr] = row[alias]
        for alias, attr, convert in converted:
            value = row[alias]
            values[attr] = value if value is None else convert(value)
        return instance

    return load


def attach(instance: Any, relation: str, related: Any) -> Any:
    """Set a fetched relation (`idea.author`) as select_related would."""
    object.__setattr__(instance, f"_{relation}", related)
    return instance
