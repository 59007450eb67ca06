"""Schemathesis against the running API (uvicorn, real HTTP), as the issue asks of CI: generated requests for every
operation of /api/v1/openapi.json, with Sam's staff key, must never get a 5xx, and every answer must match the
document's schema and content type. Bounded: IDEABOARD_SCHEMATHESIS_EXAMPLES per operation (default 10)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ideaboard import api_keys
from ideaboard.models import Space
from ideaboard.settings import _replace
from tests.browser import live_server

EXAMPLES = os.environ.get("IDEABOARD_SCHEMATHESIS_EXAMPLES", "10")
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"


def _st() -> list[str]:
    found = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    assert found, "schemathesis is a test dependency: pip install '.[test]'"
    return [found]


async def test_generated_requests_to_every_operation_get_no_5xx_and_match_the_document(settings, ada, sam, alice,
                                                                                          make_idea):
    await make_idea(alice, "Oat milk at every store")
    await make_idea(sam, "Internal tooling idea", space=Space.INTERNAL)
    key = await api_keys.create_key(ada, sam, "schemathesis", ["read", "write", "staff"])
    # Limits high enough that the generated requests reach the operations' logic, not the 429 in front of it
    unlimited = _replace(settings, api_requests_per_minute=1_000_000, ideas_per_hour=1_000_000,
                         comments_per_minute=1_000_000, votes_per_minute=1_000_000, follows_per_minute=1_000_000,
                         searches_per_minute=1_000_000)
    with live_server(unlimited) as base:
        command = [*_st(), "run", f"{base}/api/v1/openapi.json", "--url", base, "--checks", CHECKS,
                   "--max-examples", EXAMPLES, "--seed", "17", "--phases", "examples,coverage,fuzzing",
                   "--request-timeout", "10", "-H", f"Authorization: Bearer {key.token}", "--no-color"]
        done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "Rate limited" not in done.stdout, done.stdout[-3000:]
