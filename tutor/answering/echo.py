"""Tidies what a small model copies from the prompt's layout, as the answer streams.

The embedded 0.5B model starts 42 of 60 answers by copying the prompt: "Đoạn [1] (Bật và kết nối Wi-Fi trên điện
thoại – Cơ bản):" (sometimes without "Đoạn"), then the passage, sometimes "Câu hỏi: …" and the instruction line.
A learner should not see the prompt's scaffolding. Passage headers become the citation header the quoted
(extractive) answer uses, "Theo bài "…" (mục …) [1]:", and copied question, "Tài liệu:" and instruction lines are
dropped. Only whole lines that match are touched; a line is held back only while it could still turn into one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import regex

from tutor.text import normalize

# Whole lines, as the model copies them from prompts/answer.j2. `regex` (not `re`) for partial matching: a line is
# held back only while what has arrived could still grow into one of these.
_HEADER_OPEN = regex.compile(r"\s*\**\s*(?:Đoạn\s*)?\[(\d+)\]\s*\**\s*\(")
_DROP = regex.compile(r"\s*(?:Câu hỏi\s*:.*|Tài liệu\s*:\s*|Trả lời theo cách đã dặn.*)")
# Between lesson title and section title. The first one splits: no lesson or section title contains one.
_SEP = regex.compile(r"\s+[–-]\s+(?=\S)")
# What ends a copied header, from its closing parenthesis.
_CLOSE = regex.compile(r"\)\s*\**\s*:?\s*\**\s*")
# The end of a header still streaming that may be the start of a separator.
_GROWING_SEP = regex.compile(r"\s+[–-]?\s*$")


def _could_become_echo(partial: str) -> bool:
    return any(p.fullmatch(partial, partial=True) for p in (_HEADER_OPEN, _DROP))


def render_header(n: str, inner: str, *, final: bool) -> str:
    """The citation header shown for a copied "Đoạn [n] (…):" whose text after "(" is `inner` so far.

    While it streams (`final` False) only what cannot change is rendered, and each rendering extends the one
    before, so the header is shown as it arrives instead of after the whole line.
    """
    if final:
        close = next((i for i, ch in enumerate(inner) if ch == ")" and _CLOSE.fullmatch(inner[i:])), len(inner))
        body = inner[:close]
    else:
        last = inner.rfind(")")  # it may be the closing one: hold it back until the line shows
        body = _GROWING_SEP.sub("", inner[:last] if last >= 0 else inner)
    sep = _SEP.search(body)
    if sep:
        section = body[sep.end() :]
        head = f'Theo bài "{body[: sep.start()].strip()}" (mục {section.rstrip() if final else section}'
        return head + f") [{n}]:" if final else head
    head = f'Theo bài "{body.strip() if final else body.lstrip()}'
    return head + f'" [{n}]:' if final else head


def rewrite_line(line: str) -> str | None:
    """The line to show instead of the whole `line` (without its newline); None to drop it."""
    text = normalize(line)
    header = _HEADER_OPEN.match(text)
    if header:
        return render_header(header.group(1), text[header.end() :], final=True)
    if _DROP.fullmatch(text):
        return None
    return line


class EchoFilter:
    """Feed the model's pieces; get back what to show. `flush()` at the end returns what was still held back."""

    def __init__(self) -> None:
        self._line = ""  # the current line, held back while it could still be an echo
        self._passing = False  # the current line was judged ordinary: its pieces go straight out
        self._header: str | None = None  # the current line is a copied header with this passage number
        self._shown = ""  # what of the current header was shown already
        self._dropped_last = False

    def feed(self, piece: str) -> str:
        out: list[str] = []
        while piece:
            newline = piece.find("\n")
            chunk, piece = (piece, "") if newline < 0 else (piece[: newline + 1], piece[newline + 1 :])
            if self._passing:
                out.append(chunk)
                if chunk.endswith("\n"):
                    self._passing = False
                    self._dropped_last = False
                continue
            self._line += chunk
            if self._header is None and (opened := _HEADER_OPEN.match(normalize(self._line))):
                self._header = opened.group(1)
            if self._line.endswith("\n"):
                out.append(self._finish(self._line[:-1], "\n"))
            elif self._header is not None:
                out.append(self._header_delta(final=False))
            elif not _could_become_echo(self._line):
                out.append(self._line)
                self._line, self._passing = "", True
        return "".join(out)

    def _header_delta(self, *, final: bool) -> str:
        text = normalize(self._line)
        opened = _HEADER_OPEN.match(text)
        inner = text[opened.end() :] if opened else text
        rendered = render_header(self._header or "", inner, final=final)
        delta = rendered[len(self._shown) :] if rendered.startswith(self._shown) else ""
        self._shown += delta
        return delta

    def _finish(self, line: str, end: str) -> str:
        """The end of the current line (`end`: its newline, or "" at the end of the answer)."""
        if self._header is not None:
            self._line = line
            shown = self._header_delta(final=True) + end
            self._line, self._header, self._shown, self._dropped_last = "", None, "", False
            return shown
        self._line = ""
        if not line.strip() and self._dropped_last:
            return ""  # the blank line after a dropped one: no double gap where scaffolding was
        rewritten = rewrite_line(line)
        self._dropped_last = rewritten is None
        return "" if rewritten is None else rewritten + end

    def flush(self) -> str:
        return self._finish(self._line, "") if self._line or self._header is not None else ""


def tidy_stream(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces as they should be shown (some empty, while a line is held back), then what was held at the end."""
    echo = EchoFilter()
    for piece in pieces:
        yield echo.feed(piece)
    yield echo.flush()
