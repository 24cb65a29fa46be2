"""Markdown of lessons (and any page that shows corpus text) to sanitised HTML, and to plain text for read-aloud.

markdown-it-py renders CommonMark (raw HTML in the source is escaped, not passed through) and nh3 (Ammonia) keeps
only the tags a lesson needs, so an ingested document cannot put a script, a form or an event handler on a page even
if its Markdown was written to. Headings inside a section start at h3: the page's own h1 and h2 are the lesson's
title and the section's.

Use it from a template as `{{ text | markdown }}` (pages register the filter) or call `render_markdown`.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_TAGS = {
    "p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote", "hr",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
_SCHEMES = {"http", "https", "mailto", "tel"}
#: Blocks whose end is a pause when read aloud.
_BLOCK_ENDS = {"paragraph_close", "list_item_close", "heading_close", "table_row_close", "blockquote_close"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "commonmark" with html off: `<script>` in a lesson shows as text; tables for glossaries and comparisons.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def _shift_headings(html: str) -> str:
    # A "# x" or "## x" inside a section would compete with the page's own h1/h2: demote every heading by two.
    for level in range(4, 0, -1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(f"</h{level}>", f"</h{level + 2}>")
    return html


def render_markdown(text: str) -> Markup:
    """Markdown → safe HTML (a Markup, so Jinja does not escape it again)."""
    html = _shift_headings(_parser().render(text or ""))
    clean = nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_SCHEMES, link_rel="noopener noreferrer")
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def plain_text(text: str) -> str:
    """The words of a Markdown text, one block (paragraph, list item, heading, table row) per line.

    For read-aloud: emphasis marks, list bullets and link targets are not read; a link is read by its text.
    """
    lines: list[str] = []
    current: list[str] = []
    for token in _parser().parse(text or ""):
        if token.type == "inline":
            for child in token.children or ():
                if child.type in ("text", "code_inline"):
                    current.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    current.append(" ")
        elif token.type in ("th_close", "td_close"):
            current.append(", ")
        elif token.type == "fence" or token.type == "code_block":
            current.append(token.content)
        if token.type in _BLOCK_ENDS or token.type in ("fence", "code_block"):
            line = " ".join("".join(current).split()).strip(" ,")
            if line:
                lines.append(line)
            current = []
    return "\n".join(lines)
