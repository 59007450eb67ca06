"""Benchmark: similar-while-typing at 1M ideas, the machine's shared mapped file against the in-memory path.

Embedding a million texts with MiniLM here would take hours (80-150 texts/s on 2 cores), so the ideas' vectors are
synthetic but shaped like the real ones: 128 LSA + 384 sentence numbers per idea, ideas grouped in topics (about 50
ideas each) inside areas, so an idea's topic-mates score about 0.65, its area-mates about 0.3 and the rest about 0.05
(MiniLM: unrelated demo ideas 0.0-0.35, paraphrases 0.5 and more); the idea-specific part spans a 64-dimensional
subspace plus isotropic noise. A keystroke is another customer's wording of an existing idea: same topic, fresh
idea-specific part. The typed text is also embedded with a real LSA model (fitted on 20k synthetic ideas) so its
cost is in the figures; the sentence encoder's cost (bench/suggest_latency.py) is not.

Prints, with the load average: the file's build time and size, per-keystroke p50/p95/p99 in each of 2+ web processes
mapping the same file (at once), recall@10 against exact search, USS/PSS per process (/proc/self/smaps_rollup), and
the current in-memory path (exact, float32 rows in every process) as the baseline, with PASS/FAIL against issue 19:
p95 < 20 ms, <= 100 MB per web process, recall@10 >= 0.95.

    python bench/suggest_scale.py [--n 1000000] [--queries 1000] [--processes 2]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.suggest_latency import synthetic_ideas
from ideaboard import embedding, suggest_file
from ideaboard.suggest import SuggestModel, VectorIndex

LSA_DIMS = 128
SHARES = {"common": 0.05, "area": 0.25, "topic": 0.35, "own": 0.35}  # variance shares: topic-mates ~0.65
IDEAS_PER_TOPIC = 50
TOPICS_PER_AREA = 40


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


class Space:
    """Random directions for one kind of vector (LSA or sentence): a common one, areas, topics, an own subspace."""

    def __init__(self, dims: int, topics: int, rng: np.random.Generator) -> None:
        unit = lambda m: m / np.linalg.norm(m, axis=-1, keepdims=True)  # noqa: E731
        self.common = unit(rng.standard_normal(dims)).astype(np.float32)
        self.areas = unit(rng.standard_normal((topics // TOPICS_PER_AREA + 1, dims))).astype(np.float32)
        self.topics = unit(rng.standard_normal((topics, dims))).astype(np.float32)
        self.basis = unit(rng.standard_normal((64, dims))).astype(np.float32)
        self.dims = dims

    def draw(self, topic: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        own = rng.standard_normal((len(topic), 64)).astype(np.float32) @ self.basis
        own = 0.85 * own / np.linalg.norm(own, axis=1, keepdims=True)
        noise = rng.standard_normal((len(topic), self.dims)).astype(np.float32)
        own += 0.53 * noise / np.linalg.norm(noise, axis=1, keepdims=True)
        rows = (np.sqrt(SHARES["common"]) * self.common + np.sqrt(SHARES["area"]) * self.areas[topic // TOPICS_PER_AREA]
                + np.sqrt(SHARES["topic"]) * self.topics[topic] + np.sqrt(SHARES["own"]) * own)
        return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def synthetic(n: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray, np.ndarray, Space, Space]:
    """n ideas' topics, LSA rows and sentence rows."""
    rng = np.random.default_rng(seed)
    topics = max(1, n // IDEAS_PER_TOPIC)
    lsa_space, sense_space = Space(LSA_DIMS, topics, rng), Space(embedding.DIMENSIONS, topics, rng)
    topic = rng.integers(0, topics, n)
    lsa = np.empty((n, LSA_DIMS), dtype=np.float32)
    sense = np.empty((n, embedding.DIMENSIONS), dtype=np.float32)
    for start in range(0, n, 100_000):
        part = topic[start:start + 100_000]
        lsa[start:start + len(part)] = lsa_space.draw(part, rng)
        sense[start:start + len(part)] = sense_space.draw(part, rng)
    return topic, lsa, sense, lsa_space, sense_space


def memory() -> dict[str, float]:
    """This process's memory from /proc/self/smaps_rollup, in MB: RSS, PSS, USS (private clean + dirty)."""
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value) / 1024
    return {"rss": fields["Rss"], "pss": fields["Pss"],
            "uss": fields["Private_Clean"] + fields["Private_Dirty"]}


def chunks(ids: np.ndarray, lsa: np.ndarray, sense: np.ndarray,
           started: float) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The build's input in chunks of 50k, printing how far the build got (a 1M build takes tens of minutes)."""
    for s in range(0, len(ids), 50_000):
        if s and s % 200_000 == 0:
            print(f"  build: {s:,} rows added, {time.perf_counter() - started:.0f} s  {load()}", flush=True)
        yield ids[s:s + 50_000], suggest_file.combine(lsa[s:s + 50_000], sense[s:s + 50_000])


MODES = {"old": ("int8", 50), "new": ("float16", suggest_file.CANDIDATES)}  # re-scored from, candidates


def web_process(root: str, model_blob: bytes, texts: list[str], lsa_q: np.ndarray, sense_q: np.ndarray,
                barrier, results, modes: dict[str, tuple[str, int]]) -> None:
    """One web process: map the file (verifying it), answer each keystroke the old way and the new way (in
    alternating order), report times and memory."""
    bare = memory()  # the process before any similar-ideas state: what the feature adds is measured from here
    started = time.perf_counter()
    model = SuggestModel.from_bytes(model_blob)
    mapped = suggest_file.open_newest(Path(root), 1, model)
    assert mapped is not None
    open_seconds = time.perf_counter() - started
    before = memory()
    none = np.zeros(0, dtype=np.int64)
    barrier.wait()
    timings: dict[str, list[float]] = {mode: [] for mode in modes}
    answers: dict[str, list[list[int]]] = {mode: [] for mode in modes}
    for n, (text, vector, meaning) in enumerate(zip(texts, lsa_q, sense_q, strict=True)):
        for mode in (list(modes) if n % 2 else list(modes)[::-1]):
            mapped.rescore_int8 = modes[mode][0] == "int8"
            suggest_file.CANDIDATES = modes[mode][1]
            t0 = time.perf_counter()
            model.embed(text)  # the typed text's LSA vector: its cost counts, the synthetic vector is used
            found = mapped.query_vectors(vector, meaning, 10, 0.3, none)
            timings[mode].append((time.perf_counter() - t0) * 1000)
            answers[mode].append([i for i, _ in found])
    barrier.wait()  # both processes have touched what they touch before memory is read
    results.put({"pid": os.getpid(), "open": open_seconds, "timings": timings, "answers": answers,
                 "bare": bare, "before": before, "after": memory(), "load": load()})
    barrier.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--baseline-queries", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="build threads")
    parser.add_argument("--dir", help="keep the built file here and reuse it on the next run")
    parser.add_argument("--connectivity", type=int, default=suggest_file.CONNECTIVITY, help="HNSW M to try")
    parser.add_argument("--expansion-add", type=int, default=suggest_file.EXPANSION_ADD, help="HNSW ef_add to try")
    parser.add_argument("--candidates", type=int, default=suggest_file.CANDIDATES,
                        help="candidates re-scored from float16 (the old way: 50 from int8, measured beside it)")
    parser.add_argument("--only-new", action="store_true", help="skip the old way (int8 re-scoring)")
    args = parser.parse_args()
    suggest_file.CONNECTIVITY, suggest_file.EXPANSION_ADD = args.connectivity, args.expansion_add
    modes = {"new": ("float16", args.candidates)} if args.only_new else {**MODES, "new": ("float16", args.candidates)}
    print(f"ideas: {args.n:,}  start {load()}", flush=True)

    t0 = time.perf_counter()
    topic, lsa, sense, lsa_space, sense_space = synthetic(args.n)
    print(f"synthetic vectors: {time.perf_counter() - t0:.1f} s", flush=True)
    from workers.suggest_index import fit_model, idea_text  # the worker's side: not imported by the web processes

    texts_board = synthetic_ideas(20_000)
    model, _ = fit_model([idea_text(t, b) for t, b in texts_board], version=1)
    model_blob = model.to_bytes()
    rng = np.random.default_rng(5)
    picked = rng.integers(0, args.n, args.queries)
    lsa_q, sense_q = lsa_space.draw(topic[picked], rng), sense_space.draw(topic[picked], rng)
    text_rng = random.Random(1)
    texts = [texts_board[text_rng.randrange(len(texts_board))][0][: text_rng.randint(6, 40)] for _ in picked]
    ids = np.arange(1, args.n + 1, dtype=np.int64)

    with contextlib.ExitStack() as stack:
        root = Path(args.dir) if args.dir else Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix="suggest-scale-")))
        folder = root / suggest_file.folder_name(1, args.n)
        if args.dir and suggest_file.verified(folder) is not None:
            print(f"build: reusing {folder} (built by an earlier run)", flush=True)
        else:
            t0 = time.perf_counter()
            folder = suggest_file.write_index(root, 1, args.n, LSA_DIMS, chunks(ids, lsa, sense, t0),
                                              threads=args.threads)
            print(f"build (HNSW M={suggest_file.CONNECTIVITY}, ef_add={suggest_file.EXPANSION_ADD}, int8, "
                  f"{args.threads} threads): {time.perf_counter() - t0:.0f} s  {load()}", flush=True)
        size_mb = (folder / suggest_file.INDEX_FILE).stat().st_size / 1e6
        size_mb = sum((folder / name).stat().st_size for name in suggest_file.FILES) / 1e6
        print(f"files {size_mb:.0f} MB (graph + int8 {(folder / suggest_file.INDEX_FILE).stat().st_size / 1e6:.0f}, "
              f"float16 rows {(folder / suggest_file.VECTORS_FILE).stat().st_size / 1e6:.0f}); "
              f"search ef {suggest_file.expansion_search()}; " + ", ".join(
                  f"{mode}: {k} candidates re-scored from {kind}" for mode, (kind, k) in modes.items()), flush=True)

        ctx = mp.get_context("spawn")
        barrier, results = ctx.Barrier(args.processes), ctx.Queue()
        procs = [ctx.Process(target=web_process, args=(str(root), model_blob, texts, lsa_q, sense_q, barrier,
                                                        results, modes)) for _ in range(args.processes)]
        for p in procs:
            p.start()
        reports = [results.get() for _ in procs]
        for p in procs:
            p.join()

    # exact answers for recall: every idea has both vectors, so the blended score is one product of combined rows
    t0 = time.perf_counter()
    rows = suggest_file.combine(lsa, sense)
    queries = suggest_file.combine(lsa_q, sense_q)
    recall: dict[str, list[float]] = {mode: [] for mode in modes}
    for start in range(0, len(queries), 100):
        scores = rows @ queries[start:start + 100].T
        tenth = -np.partition(-scores, 9, axis=0)[9]
        for j in range(scores.shape[1]):
            for mode in modes:
                found = reports[0]["answers"][mode][start + j]
                recall[mode].append(np.sum(scores[np.asarray(found, dtype=np.int64) - 1, j] >= tenth[j] - 1e-4) / 10)
    del rows
    exact_seconds = time.perf_counter() - t0

    baseline = VectorIndex(SuggestModel.from_bytes(model_blob))
    baseline.ids, baseline.matrix, baseline.meaning = ids, lsa, sense
    baseline.has_meaning = np.ones(args.n, dtype=bool)
    base_times = []
    for text, vector, meaning in list(zip(texts, lsa_q, sense_q, strict=True))[:args.baseline_queries]:
        t1 = time.perf_counter()
        baseline.model.embed(text)
        baseline.query_vectors(vector, meaning, 10, 0.3)
        base_times.append((time.perf_counter() - t1) * 1000)
    base_mb = (lsa.nbytes + sense.nbytes) / 2**20
    b50, b95, b99 = np.percentile(base_times, [50, 95, 99])
    print(f"\nbaseline, in-memory exact ({args.baseline_queries} keystrokes): p50 {b50:.1f} ms  p95 {b95:.1f} ms  "
          f"p99 {b99:.1f} ms; float32 rows held by EVERY web process: {base_mb:.0f} MB  {load()}")

    all_times: dict[str, list[float]] = {mode: [] for mode in modes}
    for r in reports:
        after, bare = r["after"], r["bare"]
        r["uss_added"], r["pss_added"] = after["uss"] - bare["uss"], after["pss"] - bare["pss"]
        for mode, (kind, k) in modes.items():
            p50, p95, p99 = np.percentile(r["timings"][mode], [50, 95, 99])
            all_times[mode] += r["timings"][mode]
            print(f"mapped file, {mode} ({k} from {kind}), process {r['pid']} ({args.queries} keystrokes, "
                  f"{args.processes} processes at once): p50 {p50:.2f} ms  p95 {p95:.2f} ms  p99 {p99:.2f} ms")
        print(f"  process {r['pid']}: open+verify {r['open']:.1f} s | "
              f"model + files add USS {r['uss_added']:.0f} MB, PSS {r['pss_added']:.0f} MB (process in all: "
              f"USS {after['uss']:.0f}, PSS {after['pss']:.0f}, RSS {after['rss']:.0f} MB)  {r['load']}")
    for mode, (kind, k) in modes.items():
        print(f"recall@10 vs exact, {mode} ({k} from {kind}; {len(recall[mode])} keystrokes, tie-aware): "
              f"{np.mean(recall[mode]):.3f}   p95 {np.percentile(all_times[mode], 95):.2f} ms")
    rec = float(np.mean(recall["new"]))
    p95_all = float(np.percentile(all_times["new"], 95))
    pss = max(r["pss_added"] for r in reports)
    uss = max(r["uss_added"] for r in reports)
    print(f"exact check took {exact_seconds:.0f} s")
    ok = p95_all < 20 and uss <= 100 and rec >= 0.95
    print(f"\ntargets (issue 19) at {args.n:,} ideas, {load()}:")
    print(f"  p95 < 20 ms: {'PASS' if p95_all < 20 else 'FAIL'} ({p95_all:.2f} ms; baseline {b95:.0f} ms)")
    print(f"  <= 100 MB per web process: {'PASS' if uss <= 100 else 'FAIL'} (added by the feature: USS {uss:.0f} MB, "
          f"PSS {pss:.0f} MB with {args.processes} processes sharing the {size_mb:.0f} MB of files; "
          f"baseline {base_mb:.0f} MB of rows each)")
    print(f"  recall@10 >= 0.95: {'PASS' if rec >= 0.95 else 'FAIL'} ({rec:.3f})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
