"""Cut the parts of X's OpenAPI documents that tests/fake_x_api.py validates against out of the full documents.

Run from the repository root: `python tests/data/make_x_contract.py [CONTRACTS_DIR]` (default ../shared/contracts,
the unmodified documents published by X; see tests/data/README.md for their commits). For each document it keeps
`info`, the parameters of GET /2/tweets/search/recent, the filtered stream (GET /2/tweets/search/stream and its
rules, GET and POST /2/tweets/search/stream/rules) and GET /2/users/{id}/mentions, the request bodies of POST
/2/tweets and POST .../rules, and every component those reach through `$ref`, in the document's own order. The
output is deterministic, so re-running it on the same inputs changes nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent
DOCUMENTS = {  # published file name -> subset file name
    "x-api-v2-openapi.json": "x-api-v2-2.166-subset.json",
    "x-api-v2-openapi-2.167.json": "x-api-v2-2.167-subset.json",
}
KEPT = {  # (path, method) -> the operation's keys we keep
    ("/2/tweets/search/recent", "get"): ("operationId", "parameters"),
    ("/2/tweets", "post"): ("operationId", "requestBody"),
    ("/2/tweets/search/stream", "get"): ("operationId", "parameters"),
    ("/2/tweets/search/stream/rules", "get"): ("operationId", "parameters"),
    ("/2/tweets/search/stream/rules", "post"): ("operationId", "parameters", "requestBody"),
    ("/2/users/{id}/mentions", "get"): ("operationId", "parameters"),
}


def subset(spec: dict[str, Any]) -> dict[str, Any]:
    """The kept operations and the components they reference, nothing else."""
    paths: dict[str, Any] = {}
    for (path, method), keys in KEPT.items():
        operation = spec["paths"][path][method]
        paths.setdefault(path, {})[method] = {key: operation[key] for key in keys}
    wanted = _referenced(spec, paths)
    components = {
        kind: {name: node for name, node in entries.items() if f"#/components/{kind}/{name}" in wanted}
        for kind, entries in spec["components"].items()
    }
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "paths": paths,
        "components": {kind: entries for kind, entries in components.items() if entries},
    }


def _referenced(spec: dict[str, Any], root: Any) -> set[str]:
    """Every `#/components/...` reference reachable from root, followed transitively."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref not in seen:
                seen.add(ref)
                todo.append(_lookup(spec, ref))
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return seen


def _lookup(spec: dict[str, Any], ref: str) -> Any:
    """The node a local reference points at."""
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def main(argv: list[str]) -> None:
    source = Path(argv[1]) if len(argv) > 1 else DATA.parents[2] / "shared" / "contracts"
    for published, name in DOCUMENTS.items():
        spec = json.loads((source / published).read_text(encoding="utf-8"))
        text = json.dumps(subset(spec), indent=1, ensure_ascii=False) + "\n"
        (DATA / name).write_text(text, encoding="utf-8")
        print(f"{name}: {len(text):,} bytes from {published}")


if __name__ == "__main__":
    main(sys.argv)
