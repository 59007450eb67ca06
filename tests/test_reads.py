"""The site's hand-written reads live in one module, and every statement returns exactly the columns it declares."""

import re
import time
from pathlib import Path

import pytest

from ideaboard import reads, sql
from ideaboard.models import Session, Space, User
from tests.test_idea_page import a_busy_idea

PACKAGE = Path(__file__).resolve().parent.parent / "ideaboard"
# sql runs statements; search owns its index's statements; the vote and the implicit follow are one-statement writes.
SQL_HOMES = {"reads.py", "sql.py", "search.py", "votes.py", "follows.py"}
# a statement in a string literal (not a docstring: no quote right before the opening one)
STATEMENT = re.compile(r"""(?<!["'])[f]?["']\s*(SELECT\s|INSERT INTO\s|DELETE FROM\s|UPDATE \S+ SET\s)""")


def test_no_page_writes_its_own_sql_outside_reads():
    written = [p.name for p in PACKAGE.glob("*.py") if p.name not in SQL_HOMES and STATEMENT.search(p.read_text())]
    assert written == []


def test_every_read_is_written_with_question_marks_only():
    text = (PACKAGE / "reads.py").read_text()
    assert not re.search(r"\$\d", text)


def test_board_pages_write_their_limit_and_a_status_past_new_in():
    """A LIMIT parameter made Postgres cost generic plans as if they read a large share of the board, and a status
    parameter as if it held an average share (README, "A million ideas"); `x.status <> 'new'` lets the plan read
    migration 0030's partial indexes. Only a status key can be written in."""
    tag_and_status = (True, False, True, False, False)
    past_new = reads.page_ids("hot", tag_and_status, "after", 21, status="planned").text
    assert "LIMIT 21" in past_new and "x.status = 'planned'" in past_new and "x.status <> 'new'" in past_new
    assert past_new.count("?") == 5  # space, hidden, the tag and the cursor's two values: no status
    assert "x.status <> 'new'" not in reads.page_ids("hot", tag_and_status, "first", 21).text
    assert reads.page_ids("new", (False,) * 5, "offset", 21).text.endswith("LIMIT 21 OFFSET ?")
    with pytest.raises(ValueError):
        reads.page_ids("hot", tag_and_status, "first", 21, status="planned' OR '1'='1")


def test_a_board_page_joins_its_cards_to_its_ids_in_their_order():
    """Postgres reads the page's ids as a subquery, its cards joined in its order (no CTE matched with IN and sorted
    again); the member's id and the count's parameters come before the ids' in the text."""
    ids = reads.page_ids("hot", (False,) * 5, "before", 21).text
    text = reads.board_page(ids, "before", cards=True, member=True, count="SELECT 1").text
    assert "WITH" not in text and f"FROM ({ids}) p JOIN ideas i ON i.id = p.id" in text
    assert text.endswith("ORDER BY p.sort_key ASC, p.id ASC")
    assert text.index("v.user_id = ?") < text.index("(SELECT 1) AS n") < text.index(ids)


async def test_each_read_returns_the_columns_it_declares(alice, bob, sam, make_idea, worker_ctx, browser_for):
    """Columns are declared once (sql.Select): the rows must carry exactly those names, on SQLite and Postgres."""
    idea = await a_busy_idea(alice, bob, sam, make_idea, worker_ctx)
    await browser_for(bob)  # a signed-in browser: a session row to read back
    session = await Session.filter(user_id=bob.id).first()
    queries = {
        "idea": reads.idea(idea.id), "tags": reads.tags([idea.id]), "timeline": reads.timeline(idea.id),
        "comments": reads.comments(idea.id, None, 10), "related ideas": reads.related_ideas(idea.id, 5),
        "related tweets": reads.related_tweets(idea.id, 5), "votes": reads.votes(bob.id, [idea.id]),
        "following": reads.following(bob.id, idea.id),
        "count": reads.board_count((False, False, False), 100).bind(Space.PUBLIC.value, False),
    }
    for name, query in queries.items():
        rows = await sql.fetch(query)
        assert rows, name
        assert [set(dict(row)) for row in rows[:1]] == [set(query.columns)], name
    assert len(await sql.fetch(reads.comments(idea.id, None, 10))) == 3

    rows = await sql.fetch(reads.session_user(session.id, int(time.time())))
    user, orm = sql.loader_of(User, reads.columns_of(User))(rows[0]), await User.get(id=bob.id)
    assert {f: getattr(user, f) for f in User._meta.fields_map if f in User._meta.db_fields} == \
           {f: getattr(orm, f) for f in User._meta.fields_map if f in User._meta.db_fields}
