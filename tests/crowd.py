"""A crowd over real HTTP: members sign up, then vote and submit ideas all at once (tests and bench/ share it)."""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

import httpx

PASSWORD = "crowd member password"
TOPICS = ["Dark mode for the watch app", "Oat milk in the cold brew", "Reusable cup lockers in stations",
          "Order ahead from the car", "Birthday reward for the whole family", "Quiet hours with no music",
          "Compostable straws at every store", "Split the bill between friends", "Allergen labels on cakes",
          "Points for recycling the beans bag"]


@dataclass
class Member:
    """One person with their own cookies and CSRF token."""

    http: httpx.AsyncClient
    email: str
    token: str = ""
    share: tuple[int, int] = (0, 1)  # (k, n): this browser votes on every n-th idea from the k-th, so two browsers
    #                                   of one person never race on the same idea and their last vote is known


@dataclass
class CrowdResult:
    """What the crowd saw: status codes per action, the votes each member last had accepted, the ideas created."""

    codes: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    last_vote: dict[tuple[str, int], int] = field(default_factory=dict)  # (email, idea id) -> value
    ideas: list[int] = field(default_factory=list)

    def failures(self) -> int:
        """Requests that failed on the server (5xx) or never got an answer."""
        return sum(n for (_, code), n in self.codes.items() if code >= 500 or code == 0)


async def sign_up(base_url: str, email: str, name: str, outbox: Path) -> Member:
    """Sign up, then follow the verification link the server wrote to its outbox (which also logs in)."""
    http = httpx.AsyncClient(base_url=base_url, timeout=60)
    page = await http.get("/signup")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = await http.post("/signup", data={"email": email, "name": name, "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 200, (response.status_code, response.text[:500])
    response = await http.get(await _verification_path(outbox, email))
    assert response.status_code == 303, (response.status_code, response.text[:500])
    member = Member(http, email)
    board = await http.get("/")
    member.token = re.search(r'"X-CSRF-Token": "([^"]+)"', board.text).group(1)  # type: ignore[union-attr]
    return member


async def _verification_path(outbox: Path, email: str) -> str:
    """The /verify/... path from the email to this address (the server writes it just after answering)."""
    for _ in range(300):
        for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
            message = BytesParser(policy=default_policy).parsebytes(path.read_bytes())
            text = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
            if message["To"] == email and (found := re.search(r"/verify/[^\s<>\"]+", text.get_content())):
                return found.group(0)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no verification email to {email} in {outbox}")


async def sign_up_many(base_url: str, count: int, prefix: str, outbox: Path) -> list[Member]:
    """Sign up a few at a time (argon2 hashing is the slow part); `outbox` is the server's <data dir>/outbox."""
    members: list[Member] = []
    for start in range(0, count, 4):
        members += await asyncio.gather(*(sign_up(base_url, f"{prefix}{i}@example.com", f"{prefix.title()} {i}",
                                                  outbox) for i in range(start, min(count, start + 4))))
    return members


async def browsers(members: list[Member], each: int) -> list[Member]:
    """`each` browsers per person (same session), so a crowd needs few sign-ups (argon2 is slow by design)."""
    out = []
    for member in members:
        for k in range(each):
            http = httpx.AsyncClient(base_url=member.http.base_url, timeout=60, cookies=member.http.cookies)
            out.append(Member(http, member.email, member.token, (k, each)))
        await member.http.aclose()
    return out


async def board_idea_ids(base_url: str) -> list[int]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        page = await http.get("/")
    return sorted({int(i) for i in re.findall(r'href="/ideas/(\d+)"', page.text)})


async def _send(result: CrowdResult, kind: str, request) -> httpx.Response | None:
    try:
        response = await request
    except httpx.HTTPError as exc:
        result.codes[(kind, 0)] += 1
        result.errors.append(f"{kind}: {exc!r}")
        return None
    result.codes[(kind, response.status_code)] += 1
    if response.status_code >= 500:
        result.errors.append(f"{kind}: {response.status_code} {response.text[:200]}")
    return response


async def vote_many(result: CrowdResult, member: Member, idea_ids: list[int], votes: int, rng: random.Random) -> None:
    """Each vote flips the member's vote on a random idea (up, down or withdrawn), as htmx sends it."""
    k, n = member.share
    mine = idea_ids[k::n]
    for _ in range(votes):
        idea_id = rng.choice(mine)
        value = rng.choice(["up", "down", "none"])
        headers = {"HX-Request": "true", "X-CSRF-Token": member.token}
        response = await _send(result, "vote", member.http.post(f"/ideas/{idea_id}/vote", data={"value": value},
                                                                 headers=headers))
        if response is not None and response.status_code == 200:
            result.last_vote[(member.email, idea_id)] = {"up": 1, "down": -1, "none": 0}[value]


async def submit_many(result: CrowdResult, member: Member, count: int, rng: random.Random) -> None:
    for n in range(count):
        title = f"{rng.choice(TOPICS)} ({member.email.split('@')[0]} #{n})"
        form = {"title": title, "body": "Came up while the whole crowd was voting.", "csrf_token": member.token}
        response = await _send(result, "submit", member.http.post("/ideas/new", data=form))
        if response is not None and response.status_code == 303:
            result.ideas.append(int(response.headers["location"].rsplit("/", 1)[1]))


async def run_crowd(base_url: str, voters: list[Member], submitters: list[Member], idea_ids: list[int], *,
                    votes_each: int, ideas_each: int, seed: int = 12) -> CrowdResult:
    """Everyone at once: voters vote, submitters submit."""
    result = CrowdResult()
    rng = random.Random(seed)
    await asyncio.gather(*(vote_many(result, m, idea_ids, votes_each, random.Random(rng.random())) for m in voters),
                         *(submit_many(result, m, ideas_each, random.Random(rng.random())) for m in submitters))
    return result
