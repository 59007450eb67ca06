"""What a notification says, in its reader's language: a row keeps its text as data (`params`), rendered when read.

A notification is read later, by one person, in the bell, the API or an email: so the text is made then, in that
reader's locale (i18n.current), from a kind of text and its values (names and titles as they were; a status by its
key, so its name is the one the reader's board shows; a campaign's closing time as a moment, written the reader's
way). A comments batch's count is the row's own `count`, so "3 new comments" keeps growing. `message` keeps the
English text as it happened: rows from before `params` existed show it, and so does any text this code no longer
knows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ideaboard import i18n
from ideaboard.i18n import gettext, ngettext
from ideaboard.statuses import Status

MESSAGE_MAX = 300  # Notification.message's column


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated when the notification is read."""
    return message


# the texts by the `text` a row's params name ("comments" and "refund" count, so they are in `say`)
TEXTS = {
    "status": N_("“%(title)s” is now %(status)s"),
    "response": N_("The team responded to “%(title)s”"),
    "merged": N_("“%(title)s” was merged into a similar idea; the conversation continues there"),
    "mention": N_("%(name)s mentioned you on “%(title)s”"),
    "assigned": N_("%(name)s assigned “%(title)s” to you"),
    "campaign_opened": N_("“%(title)s” is open for ideas until %(closes)s"),
    "campaign_closing": N_("“%(title)s” closes for ideas in a day (%(closes)s)"),
    "campaign_results": N_("“%(title)s” is over: see its results"),
    "captured": N_("%(name)s recorded your feedback on “%(title)s” (%(source)s). Open the idea to see it or take it "
                   "back."),
    "captured_vote": N_("%(name)s recorded your vote and feedback on “%(title)s” (%(source)s). Open the idea to see "
                        "it or take it back."),
}


def short(title: str, size: int = 120) -> str:
    return title if len(title) <= size else title[: size - 1] + "…"


def _values(params: dict[str, Any], status_name: str | None) -> dict[str, Any]:
    """The text's variables, each said the reader's way (a status's name, a moment in their date format)."""
    values = {k: v for k, v in params.items() if k != "text"}
    if "status" in values:
        label = status_name if status_name is not None else Status(values["status"]).label
        values["status"] = label.lower() if params.get("text") == "refund" else label
    if "closes" in values:
        from ideaboard.campaigns import when  # campaigns imports much of the app; this is read late

        values["closes"] = when(datetime.fromisoformat(values["closes"]))
    return values


def say(params: dict[str, Any], count: int = 1, status_name: str | None = None) -> str:
    """The text in the current locale; a KeyError for a text or a value this code does not know. `status_name`: the
    status's name when it is not this process's yet (an admin's edit, being saved)."""
    kind = params["text"]
    values = _values(params, status_name)
    if kind == "comments":
        if count == 1:
            return gettext("%(name)s commented on “%(title)s”", **values)
        return ngettext("%(num)s new comment on “%(title)s”", "%(num)s new comments on “%(title)s”", count, **values)
    if kind == "refund":
        votes = int(values.pop("votes"))
        if "campaign" in values:
            return ngettext("“%(title)s” is %(status)s: your %(num)s vote went back to your budget in “%(campaign)s”",
                            "“%(title)s” is %(status)s: your %(num)s votes went back to your budget in "
                            "“%(campaign)s”", votes, **values)
        if values.pop("board", None) == "internal":
            return ngettext("“%(title)s” is %(status)s: your %(num)s vote went back to your budget on the internal "
                            "board", "“%(title)s” is %(status)s: your %(num)s votes went back to your budget on the "
                            "internal board", votes, **values)
        return ngettext("“%(title)s” is %(status)s: your %(num)s vote went back to your budget on the board",
                        "“%(title)s” is %(status)s: your %(num)s votes went back to your budget on the board",
                        votes, **values)
    return gettext(TEXTS[kind], **values)


def english(params: dict[str, Any], count: int = 1, status_name: str | None = None) -> str:
    """The text as the row's `message` keeps it (English, cut to the column)."""
    with i18n.speaking(i18n.DEFAULT):
        return say(params, count, status_name)[:MESSAGE_MAX]


def text(note: Any) -> str:
    """What this notification says to the person reading it now; a row from before params, or one this code cannot
    read any more, says its stored English message."""
    params = getattr(note, "params", None)
    if not isinstance(params, dict) or "text" not in params:
        return note.message
    try:
        return say(params, note.count or 1)
    except (KeyError, ValueError, TypeError):
        return note.message
