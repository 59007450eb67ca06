"""Offline clustering, similar-idea lookup and post → idea linking over JSONL files of ideas ({"id", "title",
"body"} per line) and posts ({"id", "text", "author"})."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ideaboard import jsonl
from ideaboard.jsonl import InputError
from workers.clustering import DEFAULT_MIN_SCORE, DEFAULT_THRESHOLD, Document, SimilarityIndex

EXIT_BAD_INPUT = 2


def read_documents(path: Path) -> list[Document]:
    """The file's ideas (each with a title, and a string body if any), naming the line of the first bad one."""
    docs = [_document(path, number, record) for number, record in jsonl.records(path)]
    if not docs:
        raise InputError(f"{path}: no ideas in file")
    return docs


def _document(path: Path, number: int, record: dict) -> Document:
    if not isinstance(record.get("title"), str) or not record["title"].strip():
        raise InputError(f"{path}:{number}: missing title")
    body = record.get("body") or ""
    if not isinstance(body, str):
        raise InputError(f"{path}:{number}: body must be a string")
    return Document(record["id"], record["title"], body)


def cmd_cluster(args: argparse.Namespace) -> int:
    """Write {"id", "cluster", "label", "theme", "theme_name"} per idea (or, with --themes, one line per theme:
    {"theme", "name", "size", "terms"}), grouped as the worker groups the board."""
    from ideaboard.settings import Settings
    from workers import semantic
    from workers.themes import group_board

    settings = Settings.from_env(secret_key="offline")  # brand words and the site name never define a group
    docs = read_documents(args.input)
    semantic_path = args.threshold is None and semantic.available()  # an explicit SNN cut is a light-path setting
    embeddings = semantic.embed([semantic.document_text(d) for d in docs]) if semantic_path else None
    brand = [*settings.x_brand_handles, *settings.x_brand_keywords, settings.site_name]
    board = group_board(docs, embeddings, brand, threshold=args.threshold)
    if args.themes:
        for info in sorted(board.theme_info.values(), key=lambda t: t.number):
            print(json.dumps({"theme": info.number, "name": info.name, "size": info.size,
                              "terms": list(info.terms)}, ensure_ascii=False))
        return 0
    for doc in docs:
        cluster, theme = board.clusters[doc.id], board.themes[doc.id]
        print(json.dumps({"id": doc.id, "cluster": cluster, "label": board.cluster_names.get(cluster, ""),
                          "theme": theme, "theme_name": board.theme_info[theme].name}, ensure_ascii=False))
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    """--query: print score, id and title of the ideas most similar to it, best first. --queries: one JSON line per
    query, {"id": query id, "results": [{"id", "score"}, ...]}, from one index fit."""
    docs = read_documents(args.input)
    index = SimilarityIndex.build(docs)
    if args.queries is not None:
        for query_id, text, exclude in read_queries(args.queries):
            found = index.query(text, args.k, exclude=exclude, min_score=args.min_score)
            results = [{"id": doc_id, "score": round(score, 4)} for doc_id, score in found]
            print(json.dumps({"id": query_id, "results": results}, ensure_ascii=False))
        return 0
    titles = {doc.id: doc.title for doc in docs}
    for doc_id, score in index.query(args.query, args.k, min_score=args.min_score):
        print(f"{score:.2f}\t{doc_id}\t{titles[doc_id]}")
    return 0


def read_queries(path: Path) -> list[tuple[str | int, str, list]]:
    """Queries as (id, text, ids to leave out) from JSONL ({"id", "query", "exclude"?}), naming a bad line."""
    queries = []
    for number, record in jsonl.records(path):
        exclude = record.get("exclude", [])
        if not isinstance(record.get("query"), str):
            raise InputError(f"{path}:{number}: query must be a string")
        if not isinstance(exclude, list):
            exclude = [exclude]
        queries.append((record["id"], record["query"], exclude))
    return queries


def read_posts(path: Path) -> list[tuple[str | int, str]]:
    """Posts as (id, text) from JSONL ({"id", "text", "author"} per line), naming the line of the first bad one."""
    posts = []
    for number, record in jsonl.records(path):
        if not isinstance(record.get("text"), str):
            raise InputError(f"{path}:{number}: text must be a string")
        posts.append((record["id"], record["text"]))
    return posts


def cmd_link(args: argparse.Namespace) -> int:
    """Write {"post", "ideas": [{"idea", "score", "linked"}]} per post: its top k ideas, `linked` as the worker
    decides (X_BRAND_HANDLES and X_BRAND_KEYWORDS say nothing about which idea, as in the worker)."""
    from ideaboard.settings import Settings
    from workers.linking import IdeaMatcher

    settings = Settings.from_env(secret_key="offline")  # validated like every command; nothing written
    docs = read_documents(args.ideas)
    posts = read_posts(args.posts)
    matcher = IdeaMatcher([(d.id, d.title, d.body) for d in docs], [*settings.x_brand_handles,
                                                                   *settings.x_brand_keywords])
    for (post_id, _), matches in zip(posts, matcher.match([text for _, text in posts], args.k), strict=True):
        ideas = [{"idea": m.idea, "score": m.score, "linked": m.linked} for m in matches]
        print(json.dumps({"post": post_id, "ideas": ideas}, ensure_ascii=False))
    return 0


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn InputError into a one-line message and exit code 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT

    return run


def positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError("use a whole number of 1 or more")
    return int(value)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `cluster`, `similar` and `link` subcommands to an existing parser."""
    cluster = subparsers.add_parser("cluster", help="group similar ideas from a JSONL file")
    cluster.add_argument("input", type=Path, help="JSONL file, one {id, title, body} per line")
    cluster.add_argument("--threshold", type=float, default=None,
                         help=f"SNN linkage cut of the light (TF-IDF) path, e.g. {DEFAULT_THRESHOLD}; default: the "
                              "worker's own choice (sentence embeddings when the model is installed)")
    cluster.add_argument("--themes", action="store_true", help="print one line per theme: name, size, top terms")
    cluster.set_defaults(func=_guarded(cmd_cluster))
    similar = subparsers.add_parser("similar", help="ideas most similar to a query text")
    similar.add_argument("input", type=Path, help="JSONL file, one {id, title, body} per line")
    asked = similar.add_mutually_exclusive_group(required=True)
    asked.add_argument("--query", help="text to match, e.g. a title being typed")
    asked.add_argument("--queries", type=Path, help="JSONL file, one {id, query, exclude?} per line")
    similar.add_argument("-k", type=positive, default=5, help="number of matches (default %(default)s)")
    similar.add_argument(
        "--min-score", type=float, default=DEFAULT_MIN_SCORE, help="cosine floor (default %(default)s)"
    )
    similar.set_defaults(func=_guarded(cmd_similar))
    link = subparsers.add_parser("link", help="which ideas each post is about, as the listening worker decides")
    link.add_argument("ideas", type=Path, help="JSONL file, one {id, title, body} per line")
    link.add_argument("posts", type=Path, help="JSONL file, one {id, text, author} per line")
    link.add_argument("-k", type=positive, default=3, help="ideas shown per post (default %(default)s)")
    link.set_defaults(func=_guarded(cmd_link))


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry point: python -m workers.cli {cluster,similar} ..."""
    parser = argparse.ArgumentParser(prog="python -m workers.cli", description=__doc__)
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
