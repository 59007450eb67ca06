"""Markdown to safe HTML: markdown-it renders (raw HTML off), nh3 sanitizes whatever gets through."""

from __future__ import annotations

from collections.abc import Mapping

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from ideaboard.mentions import MENTION, key

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])

_TAGS = {
    "p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td",
}


def render_markdown(text: str, mentions: Mapping[str, str] | None = None) -> str:
    """HTML that is safe to show to everyone: no scripts, no event handlers, no javascript: links.

    `mentions` maps a mention's key (ideaboard.mentions.key) to the profile URL its `@name` links to.
    """
    html = _md.render(text or "", {"mentions": mentions or {}})
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        allowed_classes={"a": {"mention"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


def _link_mentions(state: StateCore) -> None:
    """Turn resolved `@name`s in plain text (not in code, not inside a link) into links to the member's profile."""
    mentions: Mapping[str, str] = state.env.get("mentions") or {}
    if not mentions:
        return
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        depth = 0
        for token in block.children:
            depth += token.type == "link_open"
            depth -= token.type == "link_close"
            children += _split(token, mentions) if token.type == "text" and not depth else [token]
        block.children = children


def _split(token: Token, mentions: Mapping[str, str]) -> list[Token]:
    out: list[Token] = []
    text, last = token.content, 0
    for match in MENTION.finditer(text):
        href = mentions.get(key(match.group(1)))
        if href is None:
            continue
        if match.start() > last:
            out.append(_text(text[last:match.start()]))
        link = Token("link_open", "a", 1, attrs={"href": href, "class": "mention"})
        out += [link, _text(match.group(0)), Token("link_close", "a", -1)]
        last = match.end()
    if not out:
        return [token]
    if last < len(text):
        out.append(_text(text[last:]))
    return out


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


_md.core.ruler.push("mentions", _link_mentions)
