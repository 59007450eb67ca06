"""The offline CLI, run as a subprocess the way an operator would."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from workers.cli import register

REPO = Path(__file__).resolve().parents[1]
IDEAS = [
    {"id": 1, "title": "Dark mode please", "body": "My eyes hurt at night."},
    {"id": 2, "title": "Add a dark theme", "body": "A dark mode for the whole app."},
    {"id": "three", "title": "Night mode / dark theme"},
    {"id": 4, "title": "Export ideas to CSV", "body": "Download all ideas as a CSV spreadsheet."},
    {"id": 5, "title": "CSV export of votes", "body": "Votes in a spreadsheet."},
    {"id": 6, "title": "Export to CSV / Excel"},
]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """python -m workers.cli ... from the repo root."""
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def ideas_file(tmp_path: Path) -> Path:
    path = tmp_path / "ideas.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in IDEAS) + "\n", encoding="utf-8")
    return path


def test_cluster_writes_one_json_line_per_idea(ideas_file: Path) -> None:
    result = run_cli("cluster", str(ideas_file))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == [i["id"] for i in IDEAS]
    cluster = {r["id"]: r["cluster"] for r in rows}
    assert cluster[1] == cluster[2] == cluster["three"] != cluster[4] == cluster[5] == cluster[6]
    assert "dark" in rows[0]["label"] and "csv" in rows[3]["label"]


def test_cluster_prints_each_ideas_theme_and_a_summary_of_the_themes(ideas_file: Path) -> None:
    rows = [json.loads(line) for line in run_cli("cluster", str(ideas_file)).stdout.splitlines()]
    theme = {r["id"]: r["theme"] for r in rows}
    assert theme[1] == theme[2] == theme["three"] != theme[4] == theme[5] == theme[6]  # a cluster sits in one theme
    result = run_cli("cluster", str(ideas_file), "--themes")
    assert result.returncode == 0, result.stderr
    summary = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(t["theme"] for t in summary) == sorted(set(theme.values()))
    titles = {i["title"] for i in IDEAS}
    for t in summary:
        assert any(t["name"].startswith(title) for title in titles) and t["size"] == list(theme.values()).count(
            t["theme"]) and isinstance(t["terms"], list)
        assert t["name"] == next(r["theme_name"] for r in rows if r["theme"] == t["theme"])


def test_similar_answers_many_queries_in_one_run_one_line_each(ideas_file: Path, tmp_path: Path) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text(json.dumps({"id": "q1", "query": "export csv"}) + "\n"
                       + json.dumps({"id": 2, "query": "dark mode", "exclude": [1]}) + "\n", encoding="utf-8")
    result = run_cli("similar", str(ideas_file), "--queries", str(queries), "-k", "10")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["q1", 2]
    assert {r["id"] for r in rows[0]["results"]} <= {4, 5, 6} and rows[0]["results"]
    assert rows[1]["results"] and 1 not in {r["id"] for r in rows[1]["results"]}  # excluded: the idea itself
    scores = [r["score"] for r in rows[1]["results"]]
    assert scores == sorted(scores, reverse=True)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": 1, "query": 3}) + "\n", encoding="utf-8")
    failed = run_cli("similar", str(ideas_file), "--queries", str(bad))
    assert failed.returncode == 2 and f"{bad}:1: query must be a string" in failed.stderr


def test_similar_prints_score_id_title_best_first(ideas_file: Path) -> None:
    result = run_cli("similar", str(ideas_file), "--query", "export csv", "-k", "5")
    assert result.returncode == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert 1 <= len(lines) <= 5
    assert {line[1] for line in lines} <= {"4", "5", "6"}
    scores = [float(line[0]) for line in lines]
    assert scores == sorted(scores, reverse=True)
    assert lines[0][2] == next(i["title"] for i in IDEAS if str(i["id"]) == lines[0][1])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": 1, "title": "ok"}\n{"id": 2, "title": \n', ":2: invalid JSON"),
        ('{"id": 1, "title": "ok"}\n\n{"id": 3, "body": "no title"}\n', ":3: missing title"),
        ("[1, 2]\n", ":1: expected a JSON object"),
    ],
)
def test_bad_lines_are_reported_with_line_number_and_exit_2(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    result = run_cli("cluster", str(path))
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_missing_file_exits_2_without_traceback(tmp_path: Path) -> None:
    result = run_cli("similar", str(tmp_path / "nope.jsonl"), "--query", "x")
    assert result.returncode == 2
    assert "nope.jsonl" in result.stderr and "Traceback" not in result.stderr


def test_register_adds_subcommands_to_a_host_parser() -> None:
    parser = argparse.ArgumentParser(prog="ideaboard")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["similar", "in.jsonl", "--query", "dark", "-k", "3"])
    assert (args.command, args.query, args.k, callable(args.func)) == ("similar", "dark", 3, True)


def test_link_prints_each_posts_top_ideas_and_which_the_worker_would_link(ideas_file: Path, tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    posts.write_text("\n".join(json.dumps(p) for p in [
        {"id": "p1", "text": "@brewline please a dark mode, my eyes hurt at night", "author": "dana"},
        {"id": "p2", "text": "I need to export my votes to a CSV spreadsheet", "author": "omar"},
        {"id": "p3", "text": "lovely weather today", "author": "noise"},
    ]) + "\n", encoding="utf-8")
    result = run_cli("link", str(ideas_file), str(posts), "-k", "2")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["post"] for r in rows] == ["p1", "p2", "p3"]
    assert all(len(r["ideas"]) <= 2 for r in rows)
    assert rows[0]["ideas"][0]["idea"] in (1, 2, "three") and rows[0]["ideas"][0]["linked"]
    assert rows[1]["ideas"][0]["idea"] in (4, 5, 6) and rows[1]["ideas"][0]["linked"]
    assert rows[2]["ideas"] == [] or not any(i["linked"] for i in rows[2]["ideas"])
    scores = [i["score"] for i in rows[0]["ideas"]]
    assert scores == sorted(scores, reverse=True)


def test_link_names_the_bad_line(ideas_file: Path, tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    posts.write_text('{"id": "p1", "text": "ok"}\n{"id": "p2"}\n', encoding="utf-8")
    result = run_cli("link", str(ideas_file), str(posts))
    assert result.returncode == 2 and f"{posts}:2: text must be a string" in result.stderr
