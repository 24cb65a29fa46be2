"""Markdown, plain text and HTML to sections: headings split them, markup and hidden page parts are dropped."""

from __future__ import annotations

import re

import yaml

from tutor.corpus.ingest.decode import declared_charset, decode_text
from tutor.corpus.ingest.parsed import LIST_START, Parsed, RawSection, reflow
from tutor.text import normalize

# --------------------------------------------------------------------------------------------------- Markdown

_FRONT_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_=])(?:[ \t]*\1){2,}[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_STRONG = re.compile(r"(\*\*|__)(.+?)\1")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_CODE = re.compile(r"`([^`\n]+)`")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_QUOTE = re.compile(r"^\s*>\s?")
_INLINE_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")


def _link(m: re.Match[str]) -> str:
    label, url = m.group(1), m.group(2)
    return f"{label} ({url})" if url.startswith(("http://", "https://")) and url not in label else label


def _md_inline(line: str) -> str:
    line = _INLINE_TAG.sub("", line)
    line = _IMAGE.sub(r"\1", line)
    line = _LINK.sub(_link, line)
    line = _STRONG.sub(r"\2", line)
    line = _EMPHASIS.sub(r"\1", line)
    return _CODE.sub(r"\1", line)


def _split_front_matter(text: str) -> tuple[str | None, str]:
    """(title from YAML front matter, body). Front matter that is not a YAML mapping is left in the body."""
    if not text.startswith("---\n"):
        return None, text
    end = _FRONT_END.search(text, 4)
    if end is None:
        return None, text
    try:
        meta = yaml.safe_load(text[4 : end.start()])
    except yaml.YAMLError:
        return None, text
    if meta is None:  # "---\n---": empty front matter
        return None, text[end.end() :]
    if not isinstance(meta, dict):
        return None, text
    title = meta.get("title")
    return (str(title) if isinstance(title, str | int | float) and str(title).strip() else None), text[end.end() :]


def parse_markdown(data: bytes) -> Parsed:
    text, codec = decode_text(data)
    front_title, body = _split_front_matter(text)
    body = _HTML_COMMENT.sub("", body)
    sections: list[RawSection] = []
    title: str | None = None
    heading: str | None = None
    buf: list[str] = []
    in_fence = False

    def flush(next_heading: str | None) -> None:
        nonlocal heading, buf
        sections.append(RawSection(heading, reflow("\n".join(buf))))
        heading, buf = next_heading, []

    for line in body.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            buf.append(line)
            continue
        atx = _ATX.match(line)
        setext = bool(_SETEXT.match(line) and buf and buf[-1].strip() and not LIST_START.match(buf[-1].strip()))
        if atx or setext:
            new_heading = normalize(_md_inline(atx.group(2) or "") if atx else buf.pop()) or None
            title = title or new_heading
            flush(new_heading)
            continue
        if _RULE.match(line) or (_TABLE_RULE.match(line) and "|" in line):
            continue  # a thematic break or a table's |---|---| row: no text
        buf.append(_md_inline(_QUOTE.sub("", line)))
    flush(None)
    return Parsed(front_title or title, sections, encoding=codec)


def parse_text(data: bytes) -> Parsed:
    text, codec = decode_text(data)
    return Parsed(None, [RawSection(None, reflow(text))], encoding=codec)


# --------------------------------------------------------------------------------------------------- HTML

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Not <form>: ASP.NET pages (common on government sites) wrap the whole body in one.
_DROPPED = ["script", "style", "nav", "noscript", "template", "svg", "iframe", "object", "embed", "head"]
_BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "header", "hr", "html", "li", "main", "ol", "p", "pre",
    "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
}  # fmt: skip
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_WS = re.compile(r"\s+")


def parse_html(data: bytes) -> Parsed:
    from bs4 import BeautifulSoup, NavigableString, Tag
    from bs4.element import PreformattedString

    text, codec = decode_text(data, declared_charset(data))
    try:
        soup = BeautifulSoup(text, "lxml")
    except Exception:  # lxml missing: the standard library parser is slower but enough
        soup = BeautifulSoup(text, "html.parser")
    title_tag = soup.find("title")
    title = _WS.sub(" ", title_tag.get_text(" ")).strip() if title_tag else ""
    for tag in soup.find_all(_DROPPED):
        tag.decompose()
    for tag in soup.find_all(True):
        if (
            isinstance(tag, Tag)
            and not tag.decomposed
            and (
                tag.has_attr("hidden")
                or str(tag.get("aria-hidden", "")).lower() == "true"
                or _HIDDEN_STYLE.search(str(tag.get("style", "")))
            )
        ):
            tag.decompose()

    sections: list[RawSection] = []
    heading: str | None = None
    lines: list[str] = []
    line: list[str] = []
    first_heading: str | None = None

    def newline() -> None:
        if line:
            lines.append("".join(line))
            line.clear()

    def walk(node: Tag, pre: bool) -> None:
        nonlocal heading, lines, first_heading
        for child in node.children:
            if isinstance(child, Tag):
                name = child.name.lower()
                if name in _HEADINGS:
                    newline()
                    sections.append(RawSection(heading, "\n".join(lines)))
                    heading = _WS.sub(" ", child.get_text(" ")).strip() or None
                    first_heading = first_heading or heading
                    lines = []
                elif name == "br":
                    newline()
                else:
                    block = name in _BLOCKS
                    if block:
                        newline()
                    walk(child, pre or name == "pre")
                    if name in ("td", "th"):
                        line.append(" ")
                    if block:
                        newline()
            elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
                if pre:
                    parts = str(child).split("\n")
                    for i, part in enumerate(parts):
                        if i:
                            newline()
                        line.append(part)
                else:
                    line.append(_WS.sub(" ", str(child)))

    walk(soup.body if isinstance(soup.body, Tag) else soup, False)
    newline()
    sections.append(RawSection(heading, "\n".join(lines)))
    return Parsed(title or first_heading, sections, encoding=codec)
