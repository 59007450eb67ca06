"""How `ideaboard serve` runs uvicorn: its httptools protocol, with a direct body writer for live streams.

Each request's scope carries, under the ASGI extension `live.DIRECT_BODY`, a writer that puts a chunk of a streamed
(chunked) response on the connection at once: the live hub writes 10,000 pages' events in one loop over them, with
no ASGI message through the middleware per page. uvicorn still starts and ends every response; the writer only adds
whole chunks in between, and refuses when uvicorn would wait (a slow reader) so that the page falls back to ASGI.
"""

from __future__ import annotations

from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from ideaboard import live


class DirectBody:
    """One response's chunks straight to its transport, while uvicorn streams it chunked and the reader keeps up."""

    __slots__ = ("cycle",)

    def __init__(self, cycle: RequestResponseCycle) -> None:
        self.cycle = cycle

    def write(self, framed: bytes) -> bool:
        cycle = self.cycle
        if (not cycle.response_started or cycle.response_complete or not cycle.chunked_encoding
                or cycle.disconnected or cycle.flow.write_paused or cycle.transport.is_closing()):
            return False
        cycle.transport.write(framed)
        return True

    @property
    def gone(self) -> bool:
        return self.cycle.disconnected or self.cycle.transport.is_closing()


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol; each request's scope also offers its DirectBody."""

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle.scope is self.scope:  # not an upgrade: a request of its own
            extensions: dict[str, Any] = cast(dict, self.scope).setdefault("extensions", {})
            extensions[live.DIRECT_BODY] = DirectBody(cycle)
