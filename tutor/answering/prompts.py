"""Render the Jinja2 templates in prompts/ with StrictUndefined: a missing variable is a bug, not a blank."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from tutor.errors import ConfigError
from tutor.text import sentences
from tutor.types import Group, Hit, Level, Message, Refusal, RefusalKind


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk as the prompt shows it, numbered from 1."""

    n: int
    chunk_id: str
    lesson_title: str
    section_title: str
    text: str


def passages(hits: Sequence[Hit]) -> list[Passage]:
    return [
        Passage(
            n=i,
            chunk_id=h.chunk.id,
            lesson_title=h.chunk.lesson_title,
            section_title=h.chunk.section_title,
            text=h.chunk.text,
        )
        for i, h in enumerate(hits, start=1)
    ]


class Prompts:
    def __init__(self, directory: Path, canary: str | None = None) -> None:
        if not (directory / "system.j2").is_file():
            raise ConfigError(f"Không thấy mẫu lời nhắc ở {directory}. Đặt TUTOR_PROMPTS_DIR tới thư mục prompts/.")
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(directory)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # plain text for an LLM, never HTML
            keep_trailing_newline=False,
        )
        self.directory = directory
        #: A random marker in the system prompt: an answer that contains it leaked the prompt, and is blocked.
        self.canary = canary or f"BDHVS-{secrets.token_hex(6)}"

    def render(self, name: str, **context: Any) -> str:
        try:
            return self._env.get_template(name).render(**context).strip()
        except jinja2.TemplateNotFound as exc:
            raise ConfigError(f"Thiếu mẫu lời nhắc {name} trong {self.directory}.") from exc

    def answer_messages(
        self,
        question: str,
        level: Level,
        group: Group,
        hits: Sequence[Hit],
        history: Sequence[Message] = (),
        *,
        hint: bool = False,
    ) -> list[Message]:
        """Who the learner is (group, level style) goes in the system prompt, which is therefore the same for
        every question a learner asks: llama.cpp reuses its cached prefix and evaluates only the passages and
        the question. On two CPU cores every prompt token delays the first word by about 10 ms.

        `hint` is the Socratic practice mode ("gợi ý"): a hint and a question back, not the answer.
        """
        user = self.render(
            "hint.j2" if hint else "answer.j2",
            passages=passages(hits),
            question=question,
            level_label=level.label,
        )
        return [Message("system", self.system(level, group)), *history, Message("user", user)]

    def system(self, level: Level, group: Group) -> str:
        return self.render(
            "system.j2",
            canary=self.canary,
            audience=self.render(f"groups/{group.value}.j2"),
            style=self.render(f"levels/{level.value}.j2"),
        )

    def refusal(self) -> str:
        return self.render("refusal.j2")

    def refusal_for(self, refusal: Refusal) -> str:
        """The fixed reply to a refused question: what the tutor does, and what to ask or do instead."""
        if refusal.kind == RefusalKind.MANIPULATION:
            return self.render("manipulation.j2", secret=refusal.secret)
        return self.render("out_of_scope.j2", suggestions=list(refusal.suggestions), referral=refusal.referral)

    def extractive(self, hits: Sequence[Hit], notice: str | None = None) -> str:
        return self.render("extractive.j2", passages=passages(hits), notice=notice)

    def extractive_hint(self, hit: Hit) -> str:
        """A hint without an LLM: the first step of the best passage, then a question back."""
        first = next(iter(sentences(hit.chunk.text)), hit.chunk.text)
        return self.render("extractive_hint.j2", first_step=first, lesson_title=hit.chunk.lesson_title)
