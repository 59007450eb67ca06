"""The one way email leaves ideaboard: over SMTP when `SMTP_HOST` is set, else as `.eml` files in the outbox.

Every email has a plain-text and an HTML part, both rendered from `templates/email/<name>.txt` and `.html`.
Without a mail server (the embedded default) each email is written to `<data dir>/outbox/` and its first link is
printed on the console, so someone trying ideaboard on a laptop can still follow a verification or reset link.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import smtplib
import ssl
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ideaboard import i18n
from ideaboard.settings import Settings

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates" / "email"
LINK = re.compile(r"https?://[^\s<>\"')]+")
SMTP_TIMEOUT = 15
K = TypeVar("K")


@dataclass(frozen=True)
class Email:
    """One message to one person: both parts already rendered, plus any extra headers (e.g. List-Unsubscribe)."""

    to: str
    subject: str
    text: str
    html: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def first_link(self) -> str | None:
        match = LINK.search(self.text)
        return match.group(0) if match else None


@functools.cache
def _env() -> Environment:
    """Text templates unescaped, HTML ones escaped; a missing variable is an error, never a blank link."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, keep_trailing_newline=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(i18n.plain_gettext, i18n.plain_ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["html_lang"] = i18n.html_lang
    return env


def compose(settings: Settings, to: str, subject: str, template: str, context: Mapping[str, Any] | None = None,
            headers: Mapping[str, str] | None = None, locale: str | None = None) -> Email:
    """Render `email/<template>.txt` and `.html` with the site's name and URL available to both, in the
    recipient's language when given (else the request's: the person asking for the email is its reader)."""
    ctx = {"site_name": settings.site_name, "base_url": settings.base_url.rstrip("/"), "subject": str(subject),
           **(context or {})}
    env = _env()
    with i18n.speaking(locale):
        text = env.get_template(f"{template}.txt").render(ctx)
        html = env.get_template(f"{template}.html").render(ctx)
    return Email(to=to, subject=str(subject), text=text, html=html, headers=dict(headers or {}))


def to_message(settings: Settings, mail: Email) -> EmailMessage:
    """The MIME message: multipart/alternative, text first (what plain clients show), HTML second."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or "localhost")
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def outbox_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "outbox"


def send_all(settings: Settings, mails: Sequence[tuple[K, Email]]) -> tuple[list[K], list[K]]:
    """Deliver a batch; returns (sent keys, permanently refused keys). Whatever is in neither stays to retry.

    SMTP: one connection for the batch; a refused recipient is not retried; a broken server stops the batch.
    """
    if not mails:
        return [], []
    if not settings.smtp_host:
        return [key for key, mail in mails if _write_outbox(settings, mail)], []
    return _send_smtp(settings, mails)


async def send(settings: Settings, mail: Email) -> bool:
    """Send one email off the event loop; True when it was accepted (a failure is logged, never raised)."""
    sent, _ = await asyncio.to_thread(send_all, settings, [(0, mail)])
    return bool(sent)


def _send_smtp(settings: Settings, mails: Sequence[tuple[K, Email]]) -> tuple[list[K], list[K]]:
    sent: list[K] = []
    refused: list[K] = []
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            for key, mail in mails:
                try:
                    smtp.send_message(to_message(settings, mail))
                    sent.append(key)
                except smtplib.SMTPRecipientsRefused:
                    log.warning("email %s: recipient %s refused, not retrying", key, mail.to)
                    refused.append(key)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("SMTP %s:%s failed after %d emails (%s); the rest stay queued", settings.smtp_host,
                    settings.smtp_port, len(sent), exc)
    return sent, refused


def _write_outbox(settings: Settings, mail: Email) -> bool:
    """Keep the email as an .eml file (opens in any mail client) and show its link on the console."""
    folder = outbox_dir(settings)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
        path = folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(to_message(settings, mail).as_bytes())
    except OSError as exc:
        log.warning("could not write an email to %s (%s); it stays queued", folder, exc)
        return False
    _announce(f"Email to {mail.to}: {mail.subject} | {mail.first_link or path}")
    return True


def _announce(line: str) -> None:
    """A log line; printed to stderr when nothing configured logging (the `serve` console, the worker's)."""
    if log.isEnabledFor(logging.INFO) and log.hasHandlers():
        log.info(line)
    else:
        print(f"[mail] {line}", file=sys.stderr, flush=True)
