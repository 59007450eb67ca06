"""The offline commands' input files: one JSON object per line, each error named by its file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class InputError(Exception):
    """A bad input file, reported as one line on stderr."""


def records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; the id defaults to the line number and must be a string or
    an integer."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror if isinstance(exc, OSError) else exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: invalid JSON: {exc.msg}") from None
        if not isinstance(record, dict):
            raise InputError(f"{path}:{number}: expected a JSON object")
        record.setdefault("id", number)
        if not isinstance(record["id"], int | str) or isinstance(record["id"], bool):
            raise InputError(f"{path}:{number}: id must be a string or an integer")
        yield number, record
