"""A big board's similar ideas come from one memory-mapped file per machine, which one web process builds.

The board here has five ideas; ``IDEABOARD_SUGGEST_MAPPED_ABOVE=0`` makes it count as big, so the same stories run
through the file path that a board of 20,000 ideas or more takes.
"""

import asyncio
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from ideaboard import embedding, suggest_file
from ideaboard.suggest import rank
from tests.test_similar import IDEAS, suggested
from workers.suggest_index import index_idea, rebuild_suggest_index

pytestmark = pytest.mark.skipif(not suggest_file.available(), reason="usearch not installed: pip install '.[scale]'")

ROOT = Path(__file__).resolve().parent.parent

# A second web process of the same machine: its own SuggestCache over the same data dir, database and Redis.
SECOND_PROCESS = """
import asyncio, json, sys
from redis.asyncio import Redis
from tortoise import Tortoise
from ideaboard.settings import Settings, tortoise_config
from ideaboard.suggest import SuggestCache, VERSION_KEY

async def main(data_dir, database_url, redis_url, text):
    await Tortoise.init(config=tortoise_config(database_url))
    redis = Redis.from_url(redis_url)
    cache = SuggestCache(Settings(data_dir=data_dir, database_url=database_url, redis_url=redis_url))
    version = int(await redis.get(VERSION_KEY))
    for _ in range(120):
        index = await cache.current(redis)
        if index is not None and index.mapped is not None and index.mapped.version == version:
            break
        await asyncio.sleep(0.5)
        cache.checked_at = 0.0
    found = index.query(text, meaning=await index.meaning_of(text))
    print(json.dumps({"found": [i for i, _ in found], "builds": cache.builds, "file": str(index.mapped.folder)}))
    await redis.aclose()
    await Tortoise.close_connections()

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.fixture
def big_board(monkeypatch) -> None:
    """The operator's threshold at zero: every board is served from the machine's shared file."""
    monkeypatch.setenv("IDEABOARD_SUGGEST_MAPPED_ABOVE", "0")


async def suggested_once_built(client, title: str) -> list[str]:
    """What the customer sees once the machine's file is ready (the first keystrokes start its build)."""
    for _ in range(120):
        found = await suggested(client, title)
        if found:
            return found
        await asyncio.sleep(0.5)
    raise AssertionError(f"nothing suggested for {title!r} within a minute")


async def second_process(settings, text: str) -> dict:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SECOND_PROCESS, settings.data_dir, settings.database_url, settings.redis_url, text,
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(child.communicate(), 120)
    assert child.returncode == 0, err.decode()[-3000:]
    return json.loads(out.decode().strip().splitlines()[-1])


def the_file(settings) -> Path:
    [(_version, _upto, folder)] = suggest_file.candidates(Path(settings.data_dir) / "suggest")
    return folder


async def test_a_second_web_process_serves_from_the_file_the_first_one_built(
        visitor, alice, make_idea, worker_ctx, settings, big_board):
    """Priya runs four web processes on one machine: the first to need the file builds it, the others just map it."""
    ideas = {title: (await make_idea(alice, title, body)).id for title, body in IDEAS}
    await rebuild_suggest_index(worker_ctx)
    found = await suggested_once_built(visitor, "dark theme for the app at night")
    assert found[0] == "Dark mode for the mobile app"  # what the in-memory path suggests (tests/test_similar.py)
    assert "Oat milk at no extra charge" not in found
    assert await suggested(visitor, "oat milk price") == ["Oat milk at no extra charge"]
    folder = the_file(settings)
    before = (folder / suggest_file.INDEX_FILE).stat()

    second = await second_process(settings, "dark theme for the app at night")
    assert second["builds"] == 0 and second["file"] == str(folder)
    assert second["found"][0] == ideas["Dark mode for the mobile app"]
    after = (folder / suggest_file.INDEX_FILE).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # nobody rebuilt it


async def test_a_newly_published_idea_is_suggested_within_seconds(visitor, alice, make_idea, worker_ctx, settings,
                                                                  big_board):
    """Sam posts an idea after the file was built: it is suggested at once, from memory beside the file."""
    for title, body in IDEAS:
        await make_idea(alice, title, body)
    await rebuild_suggest_index(worker_ctx)
    await suggested_once_built(visitor, "dark theme for the app at night")
    folder = the_file(settings)
    fresh = await make_idea(alice, "Reusable cup discount", "Cheaper coffee when I bring my own cup.")
    assert await index_idea(worker_ctx, fresh.id) is True
    await asyncio.sleep(1.05)  # web processes look for new vectors at most once a second
    assert "Reusable cup discount" in await suggested(visitor, "discount for my own cup")
    assert the_file(settings) == folder  # one new idea does not rebuild the machine's file


async def test_a_corrupt_or_half_written_file_is_never_read(visitor, alice, make_idea, worker_ctx, settings,
                                                             big_board):
    """A machine's disk garbled the file and a crash left a half-written one: a restarted process maps neither,
    builds a good file and suggests as before."""
    ideas = {title: (await make_idea(alice, title, body)).id for title, body in IDEAS}
    await rebuild_suggest_index(worker_ctx)
    await suggested_once_built(visitor, "dark theme for the app at night")
    folder = the_file(settings)
    index_file = folder / suggest_file.INDEX_FILE
    garbled = bytearray(index_file.read_bytes())
    garbled[len(garbled) // 2:len(garbled) // 2 + 64] = b"\xff" * 64
    (folder / "garbled").write_bytes(bytes(garbled))
    os.replace(folder / "garbled", index_file)  # a new inode: the first process keeps its good mapping
    half = folder.parent / f".tmp-{folder.name}-99999"
    half.mkdir()
    (half / suggest_file.INDEX_FILE).write_bytes(bytes(garbled[:1000]))
    assert suggest_file.verified(folder) is None

    second = await second_process(settings, "dark theme for the app at night")
    assert second["builds"] == 1  # it refused the garbled file and built a good one
    assert second["found"][0] == ideas["Dark mode for the mobile app"]
    assert suggest_file.verified(the_file(settings)) is not None
    assert not half.exists()  # the half-written leftover is cleared by the next build


def two_close_ideas() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sentence vectors of two ideas a typed text nearly matches (cosine 0.815 and 0.801) and the typed text's: the
    closer one's last component and the other's many small ones are where int8 rows (127 steps) lose the most."""
    scale = 127 * suggest_file.weights()[1]

    def idea(first: float, step: float) -> np.ndarray:
        row = np.zeros(embedding.DIMENSIONS)
        row[0], left, k = first / scale, 1 - (first / scale) ** 2, 1
        while left > (step / scale) ** 2:
            row[k], left, k = step / scale, left - (step / scale) ** 2, k + 1
        row[k] = np.sqrt(left)
        return row.astype(np.float32)

    typed = np.zeros(embedding.DIMENSIONS, dtype=np.float32)
    typed[0] = 1
    return idea(83.45, 9.05), idea(82.05, 4.45), typed


def test_of_two_nearly_equal_ideas_the_closer_one_is_suggested_first(tmp_path):
    """Sam types a request two ideas nearly match: the big board's file ranks them as the in-memory board would,
    though the graph's int8 rows alone would put the farther one first."""
    closer, farther, typed = two_close_ideas()
    words = np.zeros((2, 4), dtype=np.float32)
    words[:, 0] = 1  # the same words in both: only their meaning tells them apart
    rows = suggest_file.combine(words, np.vstack([closer, farther]))
    folder = suggest_file.write_index(tmp_path, 1, 2, 4, iter([(np.array([101, 202]), rows)]), threads=1)
    manifest = suggest_file.verified(folder)
    assert manifest is not None
    mapped = suggest_file.MappedVectors(folder, manifest, model=None)
    nobody = np.zeros(0, dtype=np.int64)
    in_memory = rank(np.array([101, 202]), words, np.vstack([closer, farther]), np.ones(2, dtype=bool), words[0],
                     typed, 2, 0.3)
    try:
        found = mapped.query_vectors(words[0], typed, 2, 0.3, nobody)
        assert [i for i, _ in found] == [i for i, _ in in_memory] == [101, 202]
        assert found[0][1] == pytest.approx(in_memory[0][1], abs=1e-3)
        mapped.rescore_int8 = True  # what the file's first format re-scored from
        assert [i for i, _ in mapped.query_vectors(words[0], typed, 2, 0.3, nobody)] == [202, 101]
    finally:
        mapped.close()


def test_a_file_whose_float16_rows_were_cut_short_is_never_mapped(tmp_path):
    """A disk filled up while the float16 rows were copied: the folder fails its check, so no process maps it."""
    closer, farther, _typed = two_close_ideas()
    rows = suggest_file.combine(np.ones((2, 4), dtype=np.float32) / 2, np.vstack([closer, farther]))
    folder = suggest_file.write_index(tmp_path, 1, 2, 4, iter([(np.array([101, 202]), rows)]), threads=1)
    assert suggest_file.verified(folder) is not None
    vectors = folder / suggest_file.VECTORS_FILE
    vectors.write_bytes(vectors.read_bytes()[:-8])
    assert suggest_file.verified(folder) is None
    assert suggest_file.open_newest(tmp_path, 1, model=None) is None


def test_a_file_whose_float16_rows_were_garbled_in_place_is_never_mapped(tmp_path):
    """A disk flipped bits inside the float16 rows (same size, same graph): the digest check refuses the folder."""
    closer, farther, _typed = two_close_ideas()
    rows = suggest_file.combine(np.ones((2, 4), dtype=np.float32) / 2, np.vstack([closer, farther]))
    folder = suggest_file.write_index(tmp_path, 1, 2, 4, iter([(np.array([101, 202]), rows)]), threads=1)
    vectors = folder / suggest_file.VECTORS_FILE
    garbled = bytearray(vectors.read_bytes())
    garbled[10:18] = b"\x00\x7c" * 4  # float16 infinities inside the first row's sentence part
    vectors.write_bytes(bytes(garbled))
    assert vectors.stat().st_size == len(garbled)
    assert suggest_file.verified(folder) is None
    assert suggest_file.open_newest(tmp_path, 1, model=None) is None
