"""House style the reviewers asked for, checked: no banner sections, docstrings about the design and not its history."""

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
SOURCES = [p for folder in ("ideaboard", "workers") for p in (ROOT / folder).rglob("*.py")
           if "migrations" not in p.parts]


def test_no_banner_sections():
    banner = re.compile(r"^\s*# ?-{4,}", re.M)
    assert [str(p.relative_to(ROOT)) for p in SOURCES if banner.search(p.read_text())] == []


def test_no_profiler_history_in_the_code():
    """Measurements of old versions belong in README's profiler notes or commit messages."""
    history = re.compile(r"issue #5|a (tenth|fifth) of (a|the)|\bwas [0-9.]+\b|[0-9]+% of a|round trips before")
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in SOURCES for m in history.finditer(p.read_text())]
    assert found == []
