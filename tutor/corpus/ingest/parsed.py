"""What every parser returns (a title and raw sections), and the reflow of hard-wrapped lines they share."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class RawSection:
    """A heading's (or a PDF page's) text as a parser found it, before normalising and chunking."""

    title: str | None  # None: text before the first heading
    text: str
    page: int | None = None


@dataclass
class Parsed:
    """One file's parse: its own title if it declares one, sections in order, page count and codec if known."""

    title: str | None
    sections: list[RawSection]
    pages: int | None = None
    encoding: str | None = None


# A line that starts a list item, table row or quote: never joined to the line before it.
LIST_START = re.compile(r"^(?:[-*+•–]\s|\d{1,3}[.)]\s|[a-zA-Z][.)]\s|\||>)")


def reflow(text: str) -> str:
    """Join hard-wrapped lines (PDF lines, wrapped text files): a line that starts with a lower-case letter,
    or follows a line ending in a comma, continues the sentence before it. List items never join."""
    out: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        prev = out[-1] if out else ""
        if line and prev and not LIST_START.match(line) and (line[0].islower() or prev.endswith(",")):
            out[-1] = f"{prev} {line}"
        else:
            out.append(line)
    return "\n".join(out)
