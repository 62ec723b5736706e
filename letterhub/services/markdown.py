"""Markdown to sanitised HTML, shared by the web preview and the PDF.

Letters are written in CommonMark. The HTML that comes out is cleaned with nh3 (the
Rust ``ammonia`` sanitiser) against a short allow-list: no raw HTML, no images, no
styles, no scripts, links only to http(s) and mailto. Nothing in a letter can make the
browser or WeasyPrint fetch anything.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
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
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

# html=False: raw HTML typed into the Markdown is shown as text, never interpreted.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
# Images are not part of a letter; drop the rule so `![x](file:///etc/passwd)` stays text.
_markdown.disable("image")


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
