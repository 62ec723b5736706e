"""Markdown to sanitised HTML, shared by the web preview and the PDF.

Letters are written in CommonMark. The HTML that comes out is cleaned with nh3 (the
Rust ``ammonia`` sanitiser) against a short allow-list: no raw HTML, no images, no
styles, no scripts, links only to https and mailto. A link to anything else (plain http,
javascript:, data:, a relative path) is not a link: its text stays, as plain text. Nothing
in a letter can make the browser or WeasyPrint fetch anything.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "s",
    "blockquote",
    "code",
    "pre",
    "ol",
    "ul",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"ol": {"start"}, "a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_URL_SCHEMES = {"https", "mailto"}

# html=False: raw HTML typed into the Markdown is shown as text, never interpreted.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
# Images are not part of a letter; drop the rule so `![x](file:///etc/passwd)` stays text.
_markdown.disable("image")


def _link_allowed(href: str | None) -> bool:
    return urlsplit(href or "").scheme.lower() in ALLOWED_URL_SCHEMES


def _unlink_other_schemes(state: StateCore) -> None:
    """Drop the link around any href that is not https or mailto, keeping its text."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        kept, open_links = [], []
        for token in block.children:
            if token.type == "link_open":
                open_links.append(_link_allowed(token.attrGet("href")))  # type: ignore[arg-type]
                if not open_links[-1]:
                    continue
            elif token.type == "link_close" and open_links and not open_links.pop():
                continue
            kept.append(token)
        block.children = kept


# Every link is parsed as one (markdown-it would otherwise leave `[text](javascript:…)` as raw
# Markdown), then the rule above unlinks what is not allowed; nh3 checks the schemes again.
_markdown.validateLink = lambda url: True  # type: ignore[method-assign]
_markdown.core.ruler.push("unlink_other_schemes", _unlink_other_schemes)


def render_markdown(text: str) -> Markup:
    """Return the sanitised HTML for ``text`` (Markdown), safe to insert into a template."""
    html = _markdown.render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 (sanitised by nh3 above)
