"""A big board's similar-ideas vectors in one memory-mapped file per machine, shared by all its web processes.

Below ``mapped_above()`` ideas a web process keeps the vectors in memory and searches them exactly (suggest.py). Above
it, the machine materialises the published vectors once, in a child process, into ``<data dir>/suggest/<version>-
<last row id>/``: a usearch HNSW index over int8 rows of 512 numbers, sqrt(0.35) x the idea's LSA row beside
sqrt(0.65) x its sentence vector, so an inner product is the blended score the exact path computes; beside it the same
rows in float16 (``vectors.f16``) and the idea id of each row (``ids.i64``). The graph finds candidates on the int8
rows; they are re-scored from the float16 rows, because int8 alone cannot tell topic-mates apart that are a thousandth
apart (a perfect search over int8 rows finds 0.96 of the true top 10). Every web process maps all three read-only
(``Index.restore(view=True)``, ``numpy.memmap``): the page cache holds one copy per machine, not one per process.

Safety: the child writes into a hidden ``.tmp-…`` folder, writes ``manifest.json`` (size and SHA-256 of each file)
last, fsyncs and renames the folder into place, so a half-written index never has the final name; a reader checks
sizes and digests before mapping, so a corrupt one is never read. An exclusive ``flock`` on ``build.lock`` lets one
process of a machine build while the others wait for the folder to appear. Processes on other machines build their
own copy from the same Postgres rows and Redis vectors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ideaboard import embedding

log = logging.getLogger(__name__)

FORMAT = 2  # 2: float16 rows and row ids beside the graph (a format-1 folder is ignored and rebuilt)
INDEX_FILE = "index.usearch"
VECTORS_FILE = "vectors.f16"  # row r: the combined row of the idea ids[r], float16, read only for the candidates
IDS_FILE = "ids.i64"  # row r's idea id; the graph's keys are row numbers
FILES = (INDEX_FILE, VECTORS_FILE, IDS_FILE)
MANIFEST = "manifest.json"
LOCK_FILE = "build.lock"
CONNECTIVITY = 32  # HNSW "M": recall@10 0.994 at 1M synthetic ideas (ef 320, float16 re-scoring; README)
EXPANSION_ADD = 128
CANDIDATES = 100  # approximate neighbours fetched per keystroke, then re-scored from float16 as in memory
CHUNK = 10_000


def available() -> bool:
    """usearch is installed (the `scale` extra): big boards can share a mapped file."""
    return importlib.util.find_spec("usearch") is not None


def expansion_search() -> int:
    """HNSW search depth ("ef"): recall against speed (``IDEABOARD_SUGGEST_EF``, default 320)."""
    return int(os.environ.get("IDEABOARD_SUGGEST_EF", "320"))


def mapped_above() -> int:
    """Ideas from which a board's vectors go into the shared file (``IDEABOARD_SUGGEST_MAPPED_ABOVE``, default 20,000:
    40 MB of float32 rows per process below it, exact search in 2-3 ms)."""
    return int(os.environ.get("IDEABOARD_SUGGEST_MAPPED_ABOVE", "20000"))


def delta_max() -> int:
    """New rows a process holds in memory beside the file before the machine rebuilds the file to include them."""
    return int(os.environ.get("IDEABOARD_SUGGEST_DELTA_MAX", "20000"))


def weights() -> tuple[float, float]:
    from ideaboard.suggest import MEANING_WEIGHT

    return float(np.sqrt(1 - MEANING_WEIGHT)), float(np.sqrt(MEANING_WEIGHT))


def combine(lsa: np.ndarray, meaning: np.ndarray | None, has_meaning: np.ndarray | None = None) -> np.ndarray:
    """Rows of [sqrt(0.35) LSA, sqrt(0.65) sentence] (zeros where an idea has no sentence vector): the inner product
    of an idea's row with a query's is the blended score."""
    words, sense = weights()
    out = np.zeros((len(lsa), lsa.shape[1] + embedding.DIMENSIONS), dtype=np.float32)
    out[:, :lsa.shape[1]] = lsa * words
    if meaning is not None:
        out[:, lsa.shape[1]:] = meaning * sense
        if has_meaning is not None:
            out[~has_meaning, lsa.shape[1]:] = 0
    return out


@dataclass
class Manifest:
    version: int
    upto: int  # the last IdeaVector row id in the file: newer rows are read into memory beside it
    count: int
    dims: int  # the LSA part; the sentence part follows
    has_meaning: bool
    files: dict[str, dict[str, Any]]  # file name -> {"size": bytes, "sha256": hex digest}
    format: int = FORMAT

    @classmethod
    def read(cls, folder: Path) -> Manifest | None:
        try:
            data = json.loads((folder / MANIFEST).read_text())
            manifest = cls(**data)
        except (OSError, ValueError, TypeError):
            return None
        if manifest.format != FORMAT or not isinstance(manifest.files, dict) or set(manifest.files) != set(FILES):
            return None
        return manifest


def folder_name(version: int, upto: int) -> str:
    return f"{version}-{upto}"


def candidates(root: Path, version: int | None = None) -> list[tuple[int, int, Path]]:
    """Complete-looking folders (version, upto, path), newest first; hidden temporary folders are never listed."""
    found = []
    with contextlib.suppress(FileNotFoundError):
        for entry in root.iterdir():
            name = entry.name
            if name.startswith(".") or not entry.is_dir() or not (entry / MANIFEST).is_file():
                continue
            parts = name.split("-")
            if len(parts) == 2 and all(p.isdigit() for p in parts) and version in (None, int(parts[0])):
                found.append((int(parts[0]), int(parts[1]), entry))
    return sorted(found, reverse=True)


def _digest(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def verified(folder: Path) -> Manifest | None:
    """The folder's manifest when each of its files has the recorded size and digest (blocking: hashes them all)."""
    manifest = Manifest.read(folder)
    if manifest is None:
        return None
    try:
        for name in FILES:
            path, recorded = folder / name, manifest.files[name]
            if path.stat().st_size != recorded.get("size") or _digest(path) != recorded.get("sha256"):
                return None
    except (OSError, AttributeError):
        return None
    return manifest


class MappedVectors:
    """One mapped folder: approximate neighbours by blended inner product on the int8 graph, re-scored from the
    float16 rows."""

    rescore_int8 = False  # bench/suggest_scale.py only: re-score from the graph's int8 rows, as format 1 did

    def __init__(self, folder: Path, manifest: Manifest, model: Any) -> None:
        from usearch.index import Index

        self.folder = folder
        self.manifest = manifest
        self.model = model  # the SuggestModel the file's LSA rows were made with
        index = Index.restore(str(folder / INDEX_FILE), view=True, expansion_search=expansion_search())
        if index is None:
            raise ValueError("not a usearch index")
        self.index: Index = index
        width = manifest.dims + embedding.DIMENSIONS
        self.rows = np.memmap(folder / VECTORS_FILE, dtype=np.float16, mode="r", shape=(manifest.count, width))
        self.ids = np.memmap(folder / IDS_FILE, dtype=np.int64, mode="r", shape=(manifest.count,))

    @property
    def version(self) -> int:
        return self.manifest.version

    @property
    def upto(self) -> int:
        return self.manifest.upto

    def query_vectors(self, vector: np.ndarray | None, meaning: np.ndarray | None, k: int, min_score: float,
                      exclude: np.ndarray) -> list[tuple[int, float]]:
        """The k best (idea id, score) for a query's unit LSA and sentence vectors, leaving out ``exclude`` ids."""
        from ideaboard.suggest import rank

        if vector is None and meaning is None:
            return []
        dims = self.manifest.dims
        words, sense = weights()
        query = np.zeros(dims + embedding.DIMENSIONS, dtype=np.float32)
        if vector is not None:
            query[:dims] = vector * words
        if meaning is not None:
            query[dims:] = meaning * sense
        found = self.index.search(query, CANDIDATES + len(exclude) if len(exclude) < 200 else CANDIDATES)
        rows = np.sort(np.asarray(found.keys, dtype=np.int64))  # ascending: the float16 reads go forward in the file
        rows = rows[(rows >= 0) & (rows < len(self.ids))]
        keys = np.asarray(self.ids[rows])
        if len(exclude):
            kept = ~np.isin(keys, exclude)
            rows, keys = rows[kept], keys[kept]
        if not len(keys):
            return []
        if self.rescore_int8:
            got: Any = self.index.get(rows)
            stored = np.vstack(list(got)).astype(np.float32)
        else:
            stored = np.asarray(self.rows[rows], dtype=np.float32)
        lsa, sentence = _unit(stored[:, :dims]), _unit(stored[:, dims:])
        has_meaning = np.any(stored[:, dims:] != 0, axis=1)
        return rank(keys, lsa, sentence, has_meaning, vector, meaning, k, min_score)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.index.reset()
        # the float16 rows and ids stay mapped until this object is collected (numpy's memmap exports its buffer)


def _unit(rows: np.ndarray) -> np.ndarray:
    """Each stored part (LSA, sentence) back to unit length (the rows carry the blend weights)."""
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


def open_newest(root: Path, version: int, model: Any) -> MappedVectors | None:
    """Map the newest verified file of this model version; blocking (run it in a thread)."""
    for _version, _upto, folder in candidates(root, version):
        manifest = verified(folder)
        if manifest is not None:
            try:
                return MappedVectors(folder, manifest, model)
            except (OSError, RuntimeError, ValueError) as exc:
                log.warning("similar-ideas file %s unreadable: %s", folder, exc)
        else:
            log.warning("similar-ideas file %s is incomplete or corrupt; ignored", folder)
    return None


@contextlib.contextmanager
def build_lock(root: Path) -> Iterator[bool]:
    """Hold the machine's build lock if no other process does; yields whether this process has it."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / LOCK_FILE).open("a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def someone_builds(root: Path) -> bool:
    """True while a process of this machine holds the build lock."""
    with build_lock(root) as mine:
        return not mine


def write_index(root: Path, version: int, upto: int, dims: int,
                chunks: Iterator[tuple[np.ndarray, np.ndarray]], threads: int = 0) -> Path:
    """Build the index from (idea ids, combined rows) chunks, then publish it atomically; returns the folder."""
    from usearch.index import Index

    index = Index(ndim=dims + embedding.DIMENSIONS, metric="ip", dtype="i8", connectivity=CONNECTIVITY,
                  expansion_add=EXPANSION_ADD)
    has_meaning = False
    tmp = root / f".tmp-{folder_name(version, upto)}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    count = 0
    with (tmp / VECTORS_FILE).open("wb") as vectors, (tmp / IDS_FILE).open("wb") as ids:
        for keys, rows in chunks:
            if len(keys):
                index.add(np.arange(count, count + len(keys), dtype=np.int64), rows, threads=threads or _threads())
                vectors.write(np.ascontiguousarray(rows, dtype=np.float16).tobytes())
                ids.write(np.ascontiguousarray(keys, dtype=np.int64).tobytes())
                has_meaning = has_meaning or bool(np.any(rows[:, dims:] != 0))
                count += len(keys)
    index.save(str(tmp / INDEX_FILE))
    index.reset()
    files = {}
    for name in FILES:
        path = tmp / name
        with path.open("rb") as f:
            os.fsync(f.fileno())
        files[name] = {"size": path.stat().st_size, "sha256": _digest(path)}
    manifest = Manifest(version, upto, count, dims, has_meaning, files)
    with (tmp / MANIFEST).open("w") as f:
        json.dump(manifest.__dict__, f)
        f.flush()
        os.fsync(f.fileno())
    final = root / folder_name(version, upto)
    shutil.rmtree(final, ignore_errors=True)  # a corrupt copy under the final name: replaced
    os.rename(tmp, final)
    _fsync_dir(root)
    return final


def prune(root: Path, keep: Path) -> None:
    """Remove other versions' folders (processes still mapping one keep their mapping) and stale temporaries."""
    for entry in list(root.iterdir()) if root.is_dir() else []:
        if entry.is_dir() and entry != keep:
            shutil.rmtree(entry, ignore_errors=True)


def _threads() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return max(1, cores)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


async def build_in_child(root: Path, version: int, database_url: str, redis_url: str) -> int:
    """Run the build in a child process (its ~0.7 GB at 1M ideas and its CPU never touch the web process)."""
    child = await asyncio.create_subprocess_exec(  # URLs in the environment: a password never shows in `ps`
        sys.executable, "-m", "ideaboard.suggest_file", "--root", str(root), "--version", str(version),
        env={**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await child.communicate()
    if child.returncode not in (0, 3):
        log.warning("building the similar-ideas file failed (%s): %s", child.returncode, err.decode()[-2000:])
    return child.returncode or 0


async def _build(root: Path, version: int, database_url: str, redis_url: str) -> int:
    """The child: read this version's rows and sentence vectors, write the index; exit 3 if another process builds."""
    from redis.asyncio import Redis
    from tortoise import Tortoise

    from ideaboard.models import IdeaVector
    from ideaboard.settings import tortoise_config
    from ideaboard.suggest import model_name, sentence_vectors

    with build_lock(root) as mine:
        if not mine:
            return 3
        await Tortoise.init(config=tortoise_config(database_url))
        redis = Redis.from_url(redis_url)
        try:
            name = model_name(version)
            last = await IdeaVector.filter(model=name).order_by("-id").limit(1).values_list("id", flat=True)
            if not last:
                return 0
            upto = int(last[0])  # type: ignore[call-overload]
            for _v, existing_upto, folder in candidates(root, version):
                if existing_upto == upto and verified(folder) is not None:
                    return 0
            loop = asyncio.get_running_loop()
            started = time.monotonic()
            chunks: list[tuple[np.ndarray, np.ndarray]] = []
            after = 0
            while True:
                rows = await IdeaVector.filter(model=name, id__gt=after, id__lte=upto).order_by("id") \
                    .limit(CHUNK).values_list("id", "idea_id", "vector")
                if not rows:
                    break
                after = rows[-1][0]
                ids = np.array([i for _, i, _ in rows], dtype=np.int64)
                lsa = np.vstack([np.frombuffer(v, dtype=np.float32) for _, _, v in rows])
                found = await sentence_vectors(redis, [int(i) for i in ids])
                meaning = np.vstack([found.get(int(i), np.zeros(embedding.DIMENSIONS, np.float32)) for i in ids])
                has = np.array([int(i) in found for i in ids], dtype=bool)
                chunks.append((ids, combine(lsa, meaning, has).astype(np.float16)))
            dims = chunks[0][1].shape[1] - embedding.DIMENSIONS if chunks else 0
            if not chunks:
                return 0
            final = await loop.run_in_executor(
                None, write_index, root, version, upto, dims,
                ((keys, rows.astype(np.float32)) for keys, rows in chunks))
            prune(root, final)
            log.info("similar-ideas file %s: %s ideas in %.1f s", final, sum(len(k) for k, _ in chunks),
                     time.monotonic() - started)
            return 0
        finally:
            await redis.aclose()
            await Tortoise.close_connections()


def main() -> int:
    parser = argparse.ArgumentParser(description="Build this machine's similar-ideas file (web processes run it; "
                                                 "DATABASE_URL and REDIS_URL from the environment).")
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--version", required=True, type=int)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    return asyncio.run(_build(args.root, args.version, os.environ["DATABASE_URL"], os.environ["REDIS_URL"]))


if __name__ == "__main__":
    sys.exit(main())
