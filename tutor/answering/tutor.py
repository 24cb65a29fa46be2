"""The Tutor: validate -> retrieve -> prompt -> stream -> guard -> cite, degrading instead of failing."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from tutor.answering.citations import cite
from tutor.answering.context import fit_passages
from tutor.answering.echo import tidy_stream
from tutor.answering.prompts import Prompts
from tutor.errors import InvalidQuestionError, LLMUnavailableError
from tutor.protocols import ChatModel, Retriever, ScopeCheck
from tutor.safety.guard import StreamGuard, Verdict, check_answer, sanitize
from tutor.safety.injection import screen_hits
from tutor.safety.privacy import redact
from tutor.text import normalize
from tutor.types import Answer, Group, Hit, Level, Message, StreamEvent, Token

NOTICE_DEGRADED = "Trợ giảng AI đang tạm nghỉ, đây là nội dung trích từ bài học:"
NOTICE_REPLACED = "Câu trả lời tự động chưa đạt kiểm tra an toàn, đây là nội dung trích nguyên từ bài học:"
EXTRACTIVE_PASSAGES = 2


# Sections to quote first in an extractive answer: the learner's own level, then the steps.
_QUOTE_ORDER = ("cac-buoc", "luu-y-an-toan")


def extract_passages(hits: Sequence[Hit], level: Level, n: int = EXTRACTIVE_PASSAGES) -> list[Hit]:
    """The passages an answer without an LLM quotes: from the best lesson, its level section first."""
    if not hits:
        return []
    best = hits[0].chunk.lesson_id
    order = {level.value: 0, **{s: i + 1 for i, s in enumerate(_QUOTE_ORDER)}}
    same = sorted((h for h in hits if h.chunk.lesson_id == best), key=lambda h: order.get(h.chunk.section_id, 9))
    others = [h for h in hits if h.chunk.lesson_id != best]
    return (same + others)[:n]


def retrieval_query(question: str, history: Sequence[Message]) -> str:
    """A follow-up ("thế nó giật giật thì sao?") is searched together with the learner's previous turn."""
    previous = next((m.content for m in reversed(history) if m.role == "user"), "")
    return f"{previous}\n{question}" if previous else question


class Tutor:
    """The one code path the API, the CLI and the eval harness all use."""

    def __init__(
        self,
        retriever: Retriever,
        chat_model: ChatModel | None,
        prompts: Prompts,
        *,
        k: int = 4,
        max_tokens: int = 320,
        temperature: float = 0.2,
        max_question_chars: int = 2000,
        llm_passages: int = 2,
        llm_context_chars: int = 600,
        scope: ScopeCheck | None = None,
    ) -> None:
        self.retriever = retriever
        #: Out-of-scope questions (cooking, illness, lottery…) get the refusal instead of a random lesson.
        self.scope = scope
        self.chat_model = chat_model
        self.prompts = prompts
        self.k = k
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.max_question_chars = max_question_chars
        self.llm_passages = llm_passages
        self.llm_context_chars = llm_context_chars

    def validate(self, question: str) -> str:
        """NFC-normalise, check and redact the question; NFD input becomes identical to NFC input.

        Personal data (ID and phone numbers, OTP codes…) is redacted here, so no later step — prompt,
        log, stored history — ever holds it.
        """
        cleaned = normalize(question or "")
        if not cleaned:
            raise InvalidQuestionError("Câu hỏi đang trống. Hãy gõ điều bạn muốn hỏi, ví dụ: 'Làm sao bật Wi-Fi?'")
        if len(cleaned) > self.max_question_chars:
            raise InvalidQuestionError(
                f"Câu hỏi dài {len(cleaned)} ký tự, quá giới hạn {self.max_question_chars}. Hãy hỏi ngắn gọn hơn."
            )
        return redact(cleaned)

    def retrieve(self, question: str, k: int | None = None) -> list[Hit]:
        return screen_hits(self.retriever.retrieve(self.validate(question), k or self.k))

    def stream(
        self,
        question: str,
        level: Level = Level.CO_BAN,
        group: Group = Group.NGUOI_DAN,
        history: Sequence[Message] = (),
        *,
        hint: bool = False,
    ) -> Iterator[StreamEvent]:
        """Yield Token pieces as the model writes, then one final Answer (which may replace the text).

        `hint` is the Socratic practice mode: a hint and a question back instead of the answer.
        """
        t0 = time.perf_counter()
        q = self.validate(question)
        query = retrieval_query(q, history)
        timings: dict[str, float] = {}
        scope = self.scope.check(query) if self.scope is not None else None
        if scope is not None:
            timings["scope_lean_outside"] = scope.lean_outside
        if scope is not None and not scope.in_scope:
            hits: list[Hit] = []  # nothing is retrieved, quoted or cited: the refusal below answers
        else:
            # Instructions planted in a passage never reach the prompt, the quoted answer or the passages shown.
            hits = screen_hits(self.retriever.retrieve(query, self.k, level=level.value, group=group.value))
        timings["retrieve_s"] = time.perf_counter() - t0

        def final(
            text: str,
            *,
            shown: Sequence[Hit] | None = None,
            degraded: bool = False,
            notice: str | None = None,
            model: str = "extractive",
        ) -> Answer:
            """`shown`: the passages an extractive answer quotes, which are exactly what it cites."""
            timings["total_s"] = time.perf_counter() - t0
            text = redact(sanitize(text))
            return Answer(
                question=q,
                level=level,
                group=group,
                text=text,
                citations=cite(text, shown if shown is not None else hits),
                hits=tuple(hits),
                degraded=degraded,
                notice=notice,
                model=model,
                timings=timings,
            )

        if not hits:
            yield final(self.prompts.refusal())
            return
        quoted = extract_passages(hits, level)

        def extractive(notice: str | None = None) -> str:
            if hint:
                return self.prompts.extractive_hint(quoted[0])
            return self.prompts.extractive(quoted, notice=notice)

        if self.chat_model is None:
            yield final(extractive(), shown=quoted[:1] if hint else quoted)
            return

        # The model sees the best passages only, trimmed: on two CPU cores every prompt token delays the
        # first word. It cites from exactly what it saw.
        shown = fit_passages(q, extract_passages(hits, level, self.llm_passages), self.llm_context_chars)
        messages = self.prompts.answer_messages(q, level, group, shown, history, hint=hint)
        guard = StreamGuard(self.prompts.canary)
        generation = self.chat_model.stream(messages, max_tokens=self.max_tokens, temperature=self.temperature)
        try:
            # The prompt's scaffolding a small model copies is tidied before anything checks or shows it.
            for piece in tidy_stream(generation):
                visible = guard.feed(piece) if piece else ""
                if guard.blocked:
                    break  # stop generating: nothing more from this answer will be shown
                if visible:
                    timings.setdefault("first_token_s", time.perf_counter() - t0)
                    yield Token(visible)
        except LLMUnavailableError as exc:
            timings["llm_error"] = 1.0
            text = extractive(NOTICE_DEGRADED)
            yield final(text, shown=quoted, degraded=True, notice=f"{NOTICE_DEGRADED} ({exc})")
            return
        finally:
            close = getattr(generation, "close", None)
            if close is not None:
                close()

        text = guard.text.strip()
        verdict = check_answer(text, shown, q, canary=self.prompts.canary)
        if guard.blocked:
            verdict = Verdict(False, guard.blocked, 0.0)
        timings["grounded_share"] = verdict.grounded_share
        if not verdict.ok:
            replacement = extractive(NOTICE_REPLACED)
            yield final(replacement, shown=quoted, notice=f"{NOTICE_REPLACED} ({verdict.reason})")
            return
        tail = guard.flush()
        if tail:
            timings.setdefault("first_token_s", time.perf_counter() - t0)
            yield Token(tail)
        yield final(text, shown=shown, model=self.chat_model.id)

    def answer(
        self,
        question: str,
        level: Level = Level.CO_BAN,
        group: Group = Group.NGUOI_DAN,
        history: Sequence[Message] = (),
        *,
        hint: bool = False,
    ) -> Answer:
        for event in self.stream(question, level, group, history, hint=hint):
            if isinstance(event, Answer):
                return event
        raise AssertionError("Tutor.stream ended without an Answer")  # pragma: no cover
