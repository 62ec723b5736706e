"""Links in a letter's Markdown: only https and mailto are links; anything else keeps its text, unlinked."""

from __future__ import annotations

import re

import pytest

from letterhub.services.markdown import render_markdown


def links(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', html)


def test_https_and_mailto_links_stay_links():
    html = render_markdown("[the report](https://example.org/report) and [write](mailto:focal@example.org)")
    assert links(html) == [
        ("https://example.org/report", "the report"),
        ("mailto:focal@example.org", "write"),
    ]
    assert 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("[the report](http://example.org/report)", "the report"),
        ("<http://example.org/report>", "http://example.org/report"),
        ("[click](javascript:alert(1))", "click"),
        ("[click](JaVaScRiPt:alert(1))", "click"),
        ("[click](jav&#x61;script:alert(1))", "click"),
        ("[click](data:text/html;base64,PHNjcmlwdD4=)", "click"),
        ("[click](vbscript:msgbox)", "click"),
        ("[click](file:///etc/passwd)", "click"),
        ("[here](/letters/1/edit)", "here"),
        ("[there](//attacker.example/x)", "there"),
        ("[ftp](ftp://example.org/x)", "ftp"),
    ],
)
def test_any_other_link_is_plain_text(markdown, text):
    html = render_markdown(f"See {markdown} now.")
    assert "<a" not in html and "href" not in html
    assert html == f"<p>See {text} now.</p>\n"


def test_only_the_disallowed_link_loses_its_anchor():
    html = render_markdown("[a](http://x.example) [b](https://y.example) **[c](javascript:x)**")
    assert links(html) == [("https://y.example", "b")]
    assert "<p>a " in html and "<strong>c</strong>" in html
