"""The one place Markdown becomes HTML.

Everything a person writes (articles, answers, notes) is rendered here and then sanitised with
nh3, so templates may mark the result safe. Raw HTML in the source passes the same sanitiser, so it is never trusted.
"""
from __future__ import annotations

import html as _html

import markdown as _markdown
import nh3

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s",
    "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
    "abbr": {"title"},
}
_URL_SCHEMES = {"http", "https", "mailto", "tel"}


def render_markdown(text: str) -> str:
    """Markdown → sanitised HTML. Scripts, event handlers and `javascript:` URLs never survive."""
    html = _markdown.markdown(
        text or "",
        extensions=["extra", "sane_lists"],
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(text: str) -> str:
    """Markdown → the words a reader sees, for indexing and snippets (no markup, no URLs)."""
    stripped = nh3.clean(_markdown.markdown(text or "", extensions=["extra"]), tags=set())
    return " ".join(_html.unescape(stripped).split())
