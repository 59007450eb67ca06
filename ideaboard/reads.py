"""Every hand-written read of the site's pages, in one place: the domain modules ask here for a page's data.

Each statement is built once per shape (its text never changes with its values, so asyncpg reuses the prepared
plan), written with `?` placeholders (sql numbers them for asyncpg), and each select list is declared once
(sql.Select gives both the SQL and the row's names). The search index's statements live with it in search.py.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from ideaboard import sql, statuses
from ideaboard.models import (
    Campaign,
    Category,
    Cluster,
    ClusterRun,
    Comment,
    Follow,
    Idea,
    IdeaCluster,
    IdeaEvent,
    IdeaTag,
    IdeaTweet,
    Image,
    Session,
    Tag,
    Theme,
    Tweet,
    User,
    Vote,
)

Shape = tuple[bool, ...]  # which of status, category, tag, campaign (and theme) a list filters on

# (field column, column in the row) of the people and categories joined to a row: only what pages show (never the
# password hash).
AUTHOR_COLUMNS = (("id", "author_id"), ("name", "author_name"), ("role", "author_role"))
ACTOR_COLUMNS = (("id", "actor_id"), ("name", "actor_name"), ("role", "actor_role"))
CATEGORY_COLUMNS = (("id", "category_id"), ("name", "category_name"), ("slug", "category_slug"),
                    ("position", "category_position"))
RELATED_COLUMNS = ("id", "title", "score", "status", "space", "hidden")
_CARD_JOINED = (("u.name", "author_name"), ("u.role", "author_role"), ("c.name", "category_name"),
                ("c.slug", "category_slug"), ("c.position", "category_position"),
                ("cp.title", "campaign_title"), ("cp.slug", "campaign_slug"))


def _table(model) -> str:
    return model._meta.db_table


@functools.cache
def idea_columns(*, body: bool) -> tuple[str, ...]:
    """Every Idea column, or all but the two bodies (a card shows neither)."""
    return tuple(column for name, column in Idea._meta.fields_db_projection.items()
                 if body or name not in ("body", "body_html"))


@functools.cache
def columns_of(model) -> tuple[str, ...]:
    return sql.columns_of(model)


@functools.cache
def _cards(*, body: bool = False) -> sql.Select:
    return sql.Select.of("i", idea_columns(body=body), *_CARD_JOINED)


@functools.cache
def card_select(*, body: bool = False) -> sql.Statement:
    """SELECT ... FROM ideas i with author u and category c joined; the caller adds WHERE and ORDER BY."""
    return _cards(body=body).statement(
        f"FROM {_table(Idea)} i JOIN {_table(User)} u ON u.id = i.author_id "
        f"LEFT JOIN {_table(Category)} c ON c.id = i.category_id "
        f"LEFT JOIN {_table(Campaign)} cp ON cp.id = i.campaign_id")


def session_user(token_hash: str, now: int) -> sql.Query:
    """The active user of an unexpired session: one indexed join on every request."""
    return _session_user().bind(token_hash, now)


@functools.cache
def _session_user() -> sql.Statement:
    return sql.Select.of("u", columns_of(User)).statement(
        f"FROM {_table(Session)} s JOIN {_table(User)} u ON u.id = s.user_id "
        "WHERE s.id = ? AND s.expires > ? AND u.is_active")


def idea(idea_id: int) -> sql.Query:
    """One idea with its author and category, the query select_related would make."""
    return _idea().bind(idea_id)


@functools.cache
def _idea() -> sql.Statement:
    cards = card_select(body=True)
    return sql.Statement(f"{cards.text} WHERE i.id = ?", cards.columns)


def tags(idea_ids: Sequence[int]) -> sql.Query:
    """Ids as one array on Postgres, so every list page reuses one prepared statement."""
    dialect = sql.dialect()
    return _tags(dialect, len(idea_ids)).bind(*sql.any_of_params(dialect, idea_ids))


@functools.cache
def _tags(dialect: str, count: int) -> sql.Statement:
    return _TAG_NAMES.statement(f"FROM {_table(IdeaTag)} it JOIN {_table(Tag)} t ON t.id = it.tag_id "
                                f"WHERE {sql.any_of(dialect, 'it.idea_id', count)} ORDER BY it.id")


_TAG_NAMES = sql.Select((("it.idea_id", "idea_id"), ("t.name", "name")))
_VOTE_VALUES = sql.Select((("v.idea_id", "idea_id"), ("v.value", "value")))


def comments(idea_id: int, cursor: tuple | None, size: int) -> sql.Query:
    """Newest first from the (idea_id, created_at, id) index, `size` of them, with each author's name and role."""
    return _comments(bool(cursor)).bind(idea_id, False, *(cursor or ()), size)


@functools.cache
def _comments(before: bool) -> sql.Statement:
    return sql.Select.of("cm", columns_of(Comment), ("u.name", "author_name"), ("u.role", "author_role")).statement(
        f"FROM {_table(Comment)} cm JOIN {_table(User)} u ON u.id = cm.author_id WHERE {_comments_where(before)}")


def _comments_where(before: bool) -> str:
    return (f"cm.idea_id = ? AND cm.hidden = ? {'AND (cm.created_at, cm.id) < (?, ?) ' if before else ''}"
            "ORDER BY cm.created_at DESC, cm.id DESC LIMIT ?")


def comments_images(idea_id: int, cursor: tuple | None, size: int) -> sql.Query:
    """The pictures of the comments `comments` reads (same parameters), oldest first: the idea page reads them in the
    same round trip instead of a second one after it."""
    return _comments_images(bool(cursor)).bind(idea_id, False, *(cursor or ()), size)


@functools.cache
def _comments_images(before: bool) -> sql.Statement:
    return sql.Select((("im.comment_id", "comment_id"), ("im.key", "key"))).statement(
        f"FROM {_table(Image)} im WHERE im.comment_id IN "
        f"(SELECT cm.id FROM {_table(Comment)} cm WHERE {_comments_where(before)}) ORDER BY im.id")


def timeline(idea_id: int) -> sql.Query:
    """An idea's history, oldest first, with who did each step."""
    return _timeline().bind(idea_id)


@functools.cache
def _timeline() -> sql.Statement:
    return sql.Select.of("e", columns_of(IdeaEvent), ("u.name", "actor_name"), ("u.role", "actor_role")).statement(
        f"FROM {_table(IdeaEvent)} e LEFT JOIN {_table(User)} u ON u.id = e.actor_id "
        "WHERE e.idea_id = ? ORDER BY e.created_at, e.id")


def related_ideas(idea_id: int, limit: int) -> sql.Query:
    """Other visible ideas of the idea's space in its cluster of the current run, most voted first."""
    unclustered = statuses.keys_where("clusterable", False)
    return _related_ideas(len(unclustered)).bind(idea_id, True, False, *unclustered, limit)


@functools.cache
def _related_ideas(unclustered: int) -> sql.Statement:
    """The current run is the newest finished one, as clusters.current_run() reads it."""
    memberships, ideas = _table(IdeaCluster), _table(Idea)
    return sql.Select.of("i", RELATED_COLUMNS).statement(
        f"FROM {memberships} me JOIN {memberships} o ON o.cluster_id = me.cluster_id AND o.idea_id <> me.idea_id "
        f"JOIN {ideas} i ON i.id = o.idea_id JOIN {ideas} src ON src.id = me.idea_id "
        f"WHERE me.idea_id = ? AND me.run_id = (SELECT max(id) FROM {_table(ClusterRun)} WHERE finished = ?) "
        f"AND i.hidden = ? AND i.space = src.space AND i.status NOT IN ({', '.join('?' * unclustered) or 'NULL'}) "
        "ORDER BY i.score DESC, i.id LIMIT ?")


def related_tweets(idea_id: int, limit: int) -> sql.Query:
    """The newest tweets linked to an idea."""
    return _related_tweets().bind(idea_id, limit)


@functools.cache
def _related_tweets() -> sql.Statement:
    return sql.Select.of("t", columns_of(Tweet)).statement(
        f"FROM {_table(IdeaTweet)} it JOIN {_table(Tweet)} t ON t.id = it.tweet_id WHERE it.idea_id = ? "
        "ORDER BY t.created_at DESC, t.id DESC LIMIT ?")


def votes(user_id: int, idea_ids: Sequence[int]) -> sql.Query:
    """This member's votes on these ideas: every page a member opens asks."""
    dialect = sql.dialect()
    return _votes(dialect, len(idea_ids)).bind(user_id, *sql.any_of_params(dialect, idea_ids))


@functools.cache
def _votes(dialect: str, count: int) -> sql.Statement:
    return _VOTE_VALUES.statement(f"FROM {_table(Vote)} v WHERE v.user_id = ? "
                                  f"AND {sql.any_of(dialect, 'v.idea_id', count)}")


def following(user_id: int, idea_id: int) -> sql.Query:
    """A row if this user follows the idea."""
    return _following().bind(idea_id, user_id)


@functools.cache
def _following() -> sql.Statement:
    return sql.Select((("1", "one"),)).statement(
        f"FROM {_table(Follow)} f WHERE f.idea_id = ? AND f.user_id = ? AND f.unfollowed_at IS NULL LIMIT 1")


def page_ids(sort_column: str, shape: tuple[bool, ...], mode: str, limit: int, *, status: str | None = None
             ) -> sql.Statement:
    """One statement per filter shape and set of statuses the board lists by default (admins may change those).

    `status`: a status past the one every idea starts in, written into the statement (no parameter for it): the
    statement may read the partial indexes of the ideas past new (migration 0030), and its plan knows how few ideas
    the status holds: as a parameter, a generic plan of a status with a tag hashed all the status's ideas with all
    the tag's instead of walking the status's index in list order.
    """
    if status is not None and not statuses.KEY_RE.match(status):
        raise ValueError(f"not a status key: {status!r}")
    return _page_ids(sort_column, shape, mode, limit, statuses.keys_where("listed_by_default", False), status)


@functools.cache
def _page_ids(sort_column: str, shape: Shape, mode: str, limit: int, unlisted: tuple[str, ...],
              status: str | None) -> sql.Statement:
    """The ids of one board page (and one more), from an index-only scan; each filter shape built once.

    The LIMIT is written into the statement: with `LIMIT $n` Postgres costs a cached generic plan as if it read a
    large share of the table, so it planned every page anew, and for a tag it chose a parallel plan whose workers
    took longer to start than the page took to read. A status past the first one (a few percent of a big board
    each) is read from its own range of a partial index, in the list's order, instead of filtered out of the sort
    index; `x.status <> 'new'` repeats what the status parameter implies so that a generic plan may use it.
    """
    where = _board_where(unlisted, *shape, written_status=status)
    if status is not None:
        where += f" AND x.status <> '{statuses.NEW}'"
    if mode in ("after", "before"):
        where += f" AND (x.{sort_column}, x.id) {'<' if mode == 'after' else '>'} (?, ?)"
    order = "ASC" if mode == "before" else "DESC"
    return sql.Select((("x.id", "id"), (f"x.{sort_column}", "sort_key"))).statement(
        f"FROM {_table(Idea)} x WHERE {where} ORDER BY x.{sort_column} {order}, x.id {order} "
        f"LIMIT {int(limit)}{' OFFSET ?' if mode == 'offset' else ''}")


@functools.cache
def page_cards(sort_column: str, mode: str) -> sql.Statement:
    """The page's ideas (ids from `page_ids`) joined to author and category, in page order."""
    order = "ASC" if mode == "before" else "DESC"
    cards = card_select()
    return sql.Statement(f"{cards.text} WHERE i.id IN (SELECT id FROM page_ids) "
                         f"ORDER BY i.{sort_column} {order}, i.id {order}", cards.columns)


# The idea columns a board card shows (listing.Card), and the author's, category's and campaign's beside them.
CARD_COLUMNS = ("id", "title", "author_id", "category_id", "status", "space", "campaign_id", "upvotes", "downvotes",
                "score", "hot", "comment_count", "created_at")
_CARD_ONLY = sql.Select.of("i", CARD_COLUMNS, *_CARD_JOINED[:4], *_CARD_JOINED[5:])  # no category position


@functools.lru_cache(maxsize=256)
def board_page(ids: str, mode: str, *, cards: bool, member: bool, count: str | None) -> sql.Statement:
    """Postgres: a page of the board as flat rows of one statement, each idea with its tag names (`tag_names`), the
    member's vote (`my_vote`) and the count when it is read with the page (`n`, the same in every row).

    Rows of arrays of records (sql.fetch_together) are decoded field by field with each field's type looked up, and
    cost the database more to send, so a card's own row carries its tags. `ids` is the page_ids statement's text,
    read as a subquery the cards join in its order: a materialized CTE of them, matched with IN and sorted again,
    cost Postgres a third more per page. Parameters: the member's id, the count's, then the page_ids'.
    """
    order = "ASC" if mode == "before" else "DESC"
    chosen = _CARD_ONLY if cards else _cards()
    extra = [f"ARRAY(SELECT t.name FROM {_table(IdeaTag)} it JOIN {_table(Tag)} t ON t.id = it.tag_id "
             "WHERE it.idea_id = i.id ORDER BY it.id) AS tag_names"]
    names = [*chosen.names, "tag_names"]
    if member:
        extra.append(f"(SELECT v.value FROM {_table(Vote)} v WHERE v.user_id = ? AND v.idea_id = i.id) AS my_vote")
        names.append("my_vote")
    if count is not None:
        extra.append(f"({count}) AS n")
        names.append("n")
    return sql.Statement(
        f"SELECT {chosen.sql()}, {', '.join(extra)} "
        f"FROM ({ids}) p JOIN {_table(Idea)} i ON i.id = p.id JOIN {_table(User)} u ON u.id = i.author_id "
        f"LEFT JOIN {_table(Category)} c ON c.id = i.category_id "
        f"LEFT JOIN {_table(Campaign)} cp ON cp.id = i.campaign_id "
        f"ORDER BY p.sort_key {order}, p.id {order}", tuple(names))


# SQLite: the tags and a member's votes of the same page, read from the same ids.
PAGE_TAGS = _TAG_NAMES.statement(f"FROM {_table(IdeaTag)} it JOIN {_table(Tag)} t ON t.id = it.tag_id "
                                 "WHERE it.idea_id IN (SELECT id FROM page_ids) ORDER BY it.id")
PAGE_VOTES = _VOTE_VALUES.statement(f"FROM {_table(Vote)} v WHERE v.user_id = ? "
                                    "AND v.idea_id IN (SELECT id FROM page_ids)")


def board_count(shape: tuple[bool, ...], limit: int) -> sql.Statement:
    return _board_count(shape, limit, statuses.keys_where("listed_by_default", False))


@functools.cache
def _board_count(shape: Shape, limit: int, unlisted: tuple[str, ...]) -> sql.Statement:
    """Counts up to `limit` matches: past that "10000+ ideas" says enough, and the cost stops growing.

    The limit is written in, not a parameter: with `LIMIT $n` Postgres planned the count anew on every page.
    """
    return sql.Select((("count(*)", "n"),)).statement(
        f"FROM (SELECT 1 FROM {_table(Idea)} x WHERE {_board_where(unlisted, *shape)} LIMIT {int(limit)}) matches")


def _board_where(unlisted_keys: tuple[str, ...], status: bool, category: bool, tag: bool, campaign: bool = False,
                 theme: bool = False, *, written_status: str | None = None) -> str:
    """Space, hidden, then status (or the statuses listed by default), category slug, tag name, campaign id and
    theme row id, as `?`s; `written_status` is the status written in instead."""
    unlisted = ", ".join(f"'{k}'" for k in unlisted_keys) or "''"  # keys are [a-z0-9_] (status_rules)
    wanted = f"x.status = '{written_status}'" if written_status is not None else "x.status = ?"
    parts = ["x.space = ?", "x.hidden = ?", wanted if status else f"x.status NOT IN ({unlisted})"]
    if category:
        parts.append(f"x.category_id = (SELECT id FROM {_table(Category)} WHERE slug = ?)")
    if tag:
        parts.append(f"x.id IN (SELECT idea_id FROM {_table(IdeaTag)} "
                     f"WHERE tag_id = (SELECT id FROM {_table(Tag)} WHERE name = ?))")
    if campaign:
        parts.append("x.campaign_id = ?")
    if theme:
        parts.append(f"x.id IN ({_THEME_IDEAS} WHERE th.id = ?)")
    return " AND ".join(parts)


# The ideas of a theme: its run's clusters that carry its number, and their members.
_THEME_IDEAS = (f"SELECT ic.idea_id FROM {_table(Theme)} th "
                f"JOIN {_table(Cluster)} cl ON cl.run_id = th.run_id AND cl.theme = th.number "
                f"JOIN {_table(IdeaCluster)} ic ON ic.cluster_id = cl.id")


def current_run_id() -> sql.Query:
    """The newest finished clustering run's id (a row with NULL when there is none)."""
    return _current_run_id().bind(True)


@functools.cache
def _current_run_id() -> sql.Statement:
    """One prepared statement: the ORM's query built anew on every board request was a fourteenth of the page."""
    return sql.Select((("max(id)", "id"),)).statement(f"FROM {_table(ClusterRun)} WHERE finished = ?")


def theme_counts(run_id: int, space: str) -> sql.Query:
    """How many of a space's listed ideas each published theme of the run has (another space's never count)."""
    return _theme_counts(statuses.keys_where("listed_by_default", False)).bind(run_id, True, space, False)


@functools.cache
def _theme_counts(unlisted_keys: tuple[str, ...]) -> sql.Statement:
    unlisted = ", ".join(f"'{k}'" for k in unlisted_keys) or "''"  # keys are [a-z0-9_] (status_rules)
    return sql.Select((("th.id", "id"), ("count(*)", "n"))).statement(
        f"FROM {_table(Theme)} th JOIN {_table(Cluster)} cl ON cl.run_id = th.run_id AND cl.theme = th.number "
        f"JOIN {_table(IdeaCluster)} ic ON ic.cluster_id = cl.id JOIN {_table(Idea)} x ON x.id = ic.idea_id "
        f"WHERE th.run_id = ? AND th.published = ? AND x.space = ? AND x.hidden = ? AND x.status NOT IN ({unlisted}) "
        "GROUP BY th.id")
