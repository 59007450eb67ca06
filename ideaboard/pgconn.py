"""The asyncpg connection class the pool uses: no reset query on release (one round trip less per query)."""

from __future__ import annotations

import asyncpg


class NoResetConnection(asyncpg.Connection):
    """asyncpg sends `RESET ALL; UNLISTEN *; ...` each time a pooled connection is released.

    We never SET session state, LISTEN, hold advisory locks or open cursors, so that round trip buys nothing.
    An open transaction is still rolled back on release (asyncpg does that before asking for this query).
    """

    def get_reset_query(self) -> str:
        return ""
