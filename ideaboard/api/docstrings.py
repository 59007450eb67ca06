"""The handlers' docstrings (each API operation's summary and description), marked for extraction here because
pybabel reads no docstrings: openapi.json keeps them in English, the reference page shows them in the reader's
language. Keep each byte-identical to its docstring (tests/test_api.py checks every one is here)."""

from ideaboard.i18n import N_

DOCSTRINGS = (
    N_("The board: filters, sorts and keyset cursors, as on the site."),
    N_("Follow `next_cursor` (or the `Link: rel=\"next\"` header) for the next page; without a key, the public "
       "board a\n    visitor sees."),
    N_("Post an idea as the key's person (the submit form's rules and hourly limit)."),
    N_("One idea with its timeline; hidden and internal ideas are 404 unless the key's person may see them."),
    N_("Reword the person's own idea (title, description, category, tags) while nobody has started reviewing it."),
    N_("Cast, change or withdraw (0) the person's vote; repeating a vote changes nothing."),
    N_("Withdraw the person's vote."),
    N_("Follow the idea: its status changes, responses and comments come to the person's notifications."),
    N_("Stop following (voting or commenting later does not follow it again)."),
    N_("The latest comments, oldest first; `earlier_cursor` pages back through the conversation."),
    N_("Comment as the key's person; followers and @mentioned members are told, as on the site."),
    N_("Reword the key's person's own comment, within 15 minutes of posting it; it is then marked edited."),
    N_("Move the idea one step of the workflow, with an optional public message; followers are told."),
    N_("Send `If-Match: \"<version>\"` (the idea's `version`) to refuse the move with a 412 if someone changed it "
       "since."),
    N_("Publish the team's official response on the idea's timeline (markdown); the status stays."),
    N_("Give the idea to a teammate, or release it (null); the new owner is told. Takes If-Match too."),
    N_("Merge this idea (the duplicate) into another; answers the idea it was merged into."),
    N_("Hide the idea from everyone but the team (or show it again); its open reports are closed."),
    N_("Full-text search over the ideas the caller may see, best match first (as /search on the site)."),
    N_("The board's categories, in the board's order (filter ideas by `category` = slug)."),
    N_("The board's statuses in its order, with the moves each allows (admins shape the workflow)."),
    N_("Who the key acts as, and what it may do."),
    N_("The person's bell, newest first; reading it here marks nothing read (POST …/read does)."),
    N_("Mark every notification read, as opening the bell's page does."),
    N_("A member's public profile (deactivated accounts are 404)."),
    N_("Record what a customer said elsewhere (and their vote, unless `vote` is false); they are told."),
    N_("Everything recorded for customers on the idea, newest first, withdrawn records included."),
    N_("Groups of similar open ideas from the newest clustering, most voted (or fastest growing) first."),
    N_("The X desk's inbox: conversations waiting for an answer (or filtered), newest or busiest first."),
    N_("Claim (your own id), hand to a teammate or release (null); a teammate's claim meanwhile is 409, or 412 with"),
    N_("`If-Match`."),
    N_("Every campaign the caller may see, latest closing first (list a campaign's ideas with `/ideas?campaign=`)."),
    N_("One campaign; an internal one is a 404 for keys of people outside the company."),
)
