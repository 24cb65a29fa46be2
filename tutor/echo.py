"""Tidies what a small model copies from the prompt's layout, as the answer streams.

The embedded 0.5B model starts 42 of 60 answers by copying the prompt: "Đoạn [1] (Bật và kết nối Wi-Fi trên điện
thoại – Cơ bản):" (sometimes without "Đoạn"), then the passage, sometimes "Câu hỏi: …" and the instruction line.
A learner should not see the prompt's scaffolding. Passage headers become the citation header the quoted
(extractive) answer uses, "Theo bài "…" (mục …) [1]:", and copied question, "Tài liệu:" and instruction lines are
dropped. Only whole lines that match are touched; a line is held back only while it could still turn into one.
"""

from __future__ import annotations

import regex

from tutor.text import normalize

# Whole lines, as the model copies them from prompts/answer.j2. `regex` (not `re`) for partial matching: a line is
# held back only while what has arrived could still grow into one of these.
_HEADER = regex.compile(r"\s*\**\s*(?:Đoạn\s*)?\[(\d+)\]\s*\**\s*\((.*)\)\s*\**\s*:?\s*\**\s*")
_DROP = regex.compile(r"\s*(?:Câu hỏi\s*:.*|Tài liệu\s*:\s*|Trả lời theo cách đã dặn.*)")
_TITLE_SEP = regex.compile(r"\s+[–-]\s+")


def _could_become_echo(partial: str) -> bool:
    return any(p.fullmatch(partial, partial=True) for p in (_HEADER, _DROP))


def rewrite_line(line: str) -> str | None:
    """The line to show instead of `line` (without its newline); None to drop it."""
    text = normalize(line)
    header = _HEADER.fullmatch(text)
    if header:
        n, inside = header.group(1), header.group(2).strip()
        parts = _TITLE_SEP.split(inside)
        if len(parts) >= 2:
            return f'Theo bài "{" – ".join(parts[:-1])}" (mục {parts[-1]}) [{n}]:'
        return f'Theo bài "{inside}" [{n}]:'
    if _DROP.fullmatch(text):
        return None
    return line


class EchoFilter:
    """Feed the model's pieces; get back what to show. `flush()` at the end returns the held-back last line."""

    def __init__(self) -> None:
        self._line = ""  # the current line, held back while it could still be an echo
        self._passing = False  # the current line was judged ordinary: its pieces go straight out
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
            if self._line.endswith("\n"):
                out.append(self._finish(self._line[:-1], "\n"))
                self._line = ""
            elif not _could_become_echo(self._line):
                out.append(self._line)
                self._line, self._passing = "", True
        return "".join(out)

    def _finish(self, line: str, end: str) -> str:
        if not line.strip() and self._dropped_last:
            return ""  # the blank line after a dropped one: no double gap where scaffolding was
        rewritten = rewrite_line(line)
        self._dropped_last = rewritten is None
        return "" if rewritten is None else rewritten + end

    def flush(self) -> str:
        line, self._line = self._line, ""
        return self._finish(line, "") if line else ""
