"""Where test emails arrive: a real SMTP server (aiosmtpd) on loopback, and the outbox folder of .eml files."""

from __future__ import annotations

import email
import re
import socket
from email.message import EmailMessage
from email.policy import default as default_policy

from ideaboard.mail import outbox_dir
from ideaboard.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts (and refuses the addresses in `refuse`)."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refuse:
            return "550 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((envelope.rcpt_tos, message))  # type: ignore[arg-type]
        return "250 Message accepted"


def outbox(settings: Settings) -> list[EmailMessage]:
    """The emails written to the data dir's outbox, oldest first."""
    folder = outbox_dir(settings)
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(f.read_bytes(), policy=default_policy) for f in files]  # type: ignore[misc]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def links_in(message: EmailMessage) -> list[str]:
    return re.findall(r"https?://[^\s<>\"')]+", text_of(message))


def last_link_to(settings: Settings, address: str) -> str:
    """The first link of the newest email to this address, as a path (what a person clicks)."""
    mails = [m for m in outbox(settings) if m["To"] == address]
    assert mails, f"no email to {address} in {[m['To'] for m in outbox(settings)]}"
    link = links_in(mails[-1])[0]
    return link.removeprefix(settings.base_url.rstrip("/"))

