"""The Tutor: gate → retrieve → compose → enrich → finish; every answer comes from the lessons, at once.

The default answer is composed from the lesson lines that answer the question (tutor/answering/compose.py) and is
shown whole as soon as retrieval is done. A language model is used only where it is configured to add something
(`AnswerMode.GENERATED`): it writes from the passages while the guard watches, and whenever it is busy, down, slow
or fails a check, the learner gets the composed answer instead, never a wait or an error.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import KW_ONLY, dataclass, field
from enum import StrEnum

import numpy as np

from tutor.answering.citations import cite
from tutor.answering.compose import Composer, cited_hits
from tutor.answering.context import fit_passages
from tutor.answering.echo import tidy_stream
from tutor.answering.enrich import Enricher, Enrichment
from tutor.answering.followup import asked_again, retrieval_query
from tutor.answering.prompts import Prompts
from tutor.answering.question import QuestionShape, shape_of
from tutor.answering.render import render
from tutor.errors import InvalidQuestionError, LLMBusyError, LLMUnavailableError
from tutor.protocols import ChatModel, GateCheck, Retriever
from tutor.safety.guard import StreamGuard, Verdict, check_answer, sanitize
from tutor.safety.injection import screen_hits
from tutor.safety.privacy import redact
from tutor.text import has_content, normalize
from tutor.types import Answer, Group, Hit, Level, Message, Refusal, StreamEvent, Token

NOTICE_DEGRADED = "Câu trả lời lấy từ bài học, vì trợ giảng AI chưa trả lời được lúc này."
NOTICE_REPLACED = "Câu trả lời tự động chưa đạt kiểm tra an toàn, đây là nội dung lấy nguyên từ bài học:"
EXTRACTIVE_PASSAGES = 2


class AnswerMode(StrEnum):
    #: The lesson lines that answer the question (default): milliseconds, no model.
    COMPOSED = "composed"
    #: The best two lesson sections verbatim (the answer before composition; kept for comparison).
    QUOTED = "quoted"
    #: The language model writes from the passages; the composed answer whenever it cannot.
    GENERATED = "generated"
    #: The composed answer at once; then, when a slot is free, the model adds a direct first sentence …
    LEAD = "lead"
    #: … or says the composed lines again at the learner's level (each sentence checked) …
    REWRITE = "rewrite"
    #: … or picks, among the best candidate compositions, the one that answers (tutor/answering/enrich.py).
    SELECT = "select"

    @property
    def uses_llm(self) -> bool:
        return self not in (AnswerMode.COMPOSED, AnswerMode.QUOTED)


# Sections to quote first in a quoted answer: the learner's own level, then the steps.
_QUOTE_ORDER = ("cac-buoc", "luu-y-an-toan")


def extract_passages(hits: Sequence[Hit], level: Level, n: int = EXTRACTIVE_PASSAGES) -> list[Hit]:
    """The passages a quoted answer shows: from the best lesson, its level section first."""
    if not hits:
        return []
    best = hits[0].chunk.lesson_id
    order = {level.value: 0, **{s: i + 1 for i, s in enumerate(_QUOTE_ORDER)}}
    same = sorted((h for h in hits if h.chunk.lesson_id == best), key=lambda h: order.get(h.chunk.section_id, 9))
    others = [h for h in hits if h.chunk.lesson_id != best]
    return (same + others)[:n]


@dataclass
class _Turn:
    """What one question has produced so far; `final` turns it into the Answer."""

    question: str
    level: Level
    group: Group
    shape: QuestionShape
    started: float
    timings: dict[str, float] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    #: The question the answer answers: `question` itself, or the previous one when the learner asked to hear that
    #: answer again (`asked_again`). `question` is what the learner typed, and what the answer records.
    asked: str = ""

    def __post_init__(self) -> None:
        self.asked = self.asked or self.question


# eq=False and repr=False: a Tutor is one service object, compared and shown by identity like any other.
@dataclass(eq=False, repr=False)
class Tutor:
    """The one code path the API, the CLI and the eval harness all use."""

    retriever: Retriever
    chat_model: ChatModel | None
    prompts: Prompts
    _: KW_ONLY
    #: Composes the default answer; without one (tests, an index with no lessons) answers are quoted.
    composer: Composer | None = None
    mode: AnswerMode = AnswerMode.COMPOSED
    #: The question's embedding as retrieval computes it (cached there): the composer matches by meaning too.
    embed_query: Callable[[str], np.ndarray] | None = None
    k: int = 4
    max_tokens: int = 320
    temperature: float = 0.2
    max_question_chars: int = 2000
    llm_passages: int = 2
    llm_context_chars: int = 600
    #: Refuses out-of-scope questions and manipulation before anything is retrieved.
    gate: GateCheck | None = None

    # -- the question ------------------------------------------------------------------------------------------

    def validate(self, question: str) -> str:
        """NFC-normalise, check and redact the question; NFD input becomes identical to NFC input.

        Personal data (ID and phone numbers, OTP codes…) is redacted here, so no later step — prompt,
        log, stored history — ever holds it.
        """
        cleaned = normalize(question or "")
        if not cleaned:
            raise InvalidQuestionError("Câu hỏi đang trống. Hãy gõ điều bạn muốn hỏi, ví dụ: 'Làm sao bật Wi-Fi?'")
        if not has_content(cleaned):
            raise InvalidQuestionError(
                "Câu hỏi chưa có chữ nào. Hãy gõ điều bạn muốn hỏi bằng lời, ví dụ: 'Làm sao bật Wi-Fi?'"
            )
        if len(cleaned) > self.max_question_chars:
            raise InvalidQuestionError(
                f"Câu hỏi dài {len(cleaned)} ký tự, quá giới hạn {self.max_question_chars}. Hãy hỏi ngắn gọn hơn."
            )
        return redact(cleaned)

    def retrieve(self, question: str, k: int | None = None) -> list[Hit]:
        return self.search(self.validate(question), k or self.k)

    def search(self, query: str, k: int, *, level: str | None = None, group: str | None = None) -> list[Hit]:
        """The `k` passages an answer to `query` (already validated) stands on: retrieval's hits, screened, then
        re-ranked by the lessons' written questions when there is a composer (`Composer.rerank`)."""
        if self.composer is None:
            return screen_hits(self.retriever.retrieve(query, k, level=level, group=group))
        pool = max(k, self.composer.weights.pool) if self.composer.weights.questions > 0 else k
        # Instructions planted in a passage never reach the prompt, the answer or the passages shown.
        hits = screen_hits(self.retriever.retrieve(query, pool, level=level, group=group))
        return self.composer.rerank(query, hits, k)

    # -- the steps ---------------------------------------------------------------------------------------------

    def _retrieve(self, turn: _Turn, query: str) -> None:
        turn.hits = self.search(query, self.k, level=turn.level.value, group=turn.group.value)
        turn.timings["retrieve_s"] = time.perf_counter() - turn.started

    def _match_query(self, turn: _Turn) -> tuple[str, np.ndarray | None]:
        """What the composer matches lesson lines against, and its vector when the library matches by meaning too.

        The question as asked, also for a follow-up: retrieval searched it joined with the previous question, which
        keeps the answer in that topic's lessons; inside them, "thế lỡ cài rồi thì sao" after a question about an
        APK file wants the lines on what to do after installing, not those the first question's longer wording
        matches. Follow-ups with their new question alone: gold set 1 4 → 5 of 8, gold3 2 → 4 of 15, none lost
        (eval/results/composer_tuning.md)."""
        assert self.composer is not None
        query = turn.asked
        vector = self.embed_query(query) if self.embed_query is not None and self.composer.library.dense else None
        return query, vector

    def _compose(self, turn: _Turn) -> tuple[str, list[Hit]] | None:
        """The composed answer's text and the hits it cites, or None when there is nothing to compose from."""
        if self.composer is None or not turn.hits:
            return None
        query, vector = self._match_query(turn)
        composition = self.composer.compose(query, turn.level, turn.hits, kind=turn.shape.kind, query_vector=vector)
        if composition is None:
            return None
        cited = cited_hits(composition, turn.hits)
        text = render(composition, turn.asked, cited, self.composer.weights.budget_for(turn.level))
        turn.timings["compose_score"] = composition.score
        return (text, cited) if text else None

    def _quote(self, turn: _Turn, notice: str | None = None, *, hint: bool = False) -> tuple[str, list[Hit]]:
        quoted = extract_passages(turn.hits, turn.level)
        if hint:
            return self.prompts.extractive_hint(quoted[0]), quoted[:1]
        return self.prompts.extractive(quoted, notice=notice), quoted

    def _from_lessons(self, turn: _Turn, *, hint: bool = False) -> tuple[str, list[Hit], str]:
        """(text, cited hits, model) of the answer made from the lessons alone: composed, else quoted."""
        if self.mode != AnswerMode.QUOTED and not hint:
            composed = self._compose(turn)
            if composed is not None:
                return composed[0], composed[1], "composed"
        text, shown = self._quote(turn, hint=hint)
        return text, shown, "extractive"

    def _final(
        self,
        turn: _Turn,
        text: str,
        *,
        shown: Sequence[Hit] | None = None,
        degraded: bool = False,
        notice: str | None = None,
        model: str = "composed",
        refusal: Refusal | None = None,
        extra_hits: Sequence[Hit] = (),
    ) -> Answer:
        """`shown`: the passages the text was made from, which are exactly what it may cite."""
        turn.timings["total_s"] = time.perf_counter() - turn.started
        text = redact(sanitize(text))
        hits = list(turn.hits) + [h for h in extra_hits if h.chunk.id not in {x.chunk.id for x in turn.hits}]
        return Answer(
            question=turn.question,
            level=turn.level,
            group=turn.group,
            text=text,
            citations=cite(text, shown if shown is not None else hits) if refusal is None else (),
            hits=tuple(hits),
            degraded=degraded,
            notice=notice,
            model=model,
            timings=turn.timings,
            refusal=refusal,
        )

    def _first_words(self, turn: _Turn, text: str, *, checked: bool = False) -> Token:
        """A piece to show now; `checked` when the stream guard already sanitised and redacted it."""
        turn.timings.setdefault("first_token_s", time.perf_counter() - turn.started)
        return Token(text if checked else redact(sanitize(text)))

    # -- the whole answer --------------------------------------------------------------------------------------

    def stream(
        self,
        question: str,
        level: Level = Level.CO_BAN,
        group: Group = Group.NGUOI_DAN,
        history: Sequence[Message] = (),
        *,
        hint: bool = False,
    ) -> Iterator[StreamEvent]:
        """Yield Token pieces, then one final Answer (which may replace the text).

        `hint` is the Socratic practice mode: a hint and a question back instead of the answer.
        """
        started = time.perf_counter()
        typed = self.validate(question)
        asked = typed
        again = asked_again(typed, history)
        if again is not None:
            # A previous turn that no question could be (empty, too long): answer what was typed.
            with contextlib.suppress(InvalidQuestionError):
                asked, history = self.validate(again[0]), again[1]
        turn = _Turn(typed, level, group, shape_of(asked), started, asked=asked)
        if asked != typed:
            turn.timings["asked_again"] = 1.0
        query = retrieval_query(turn.asked, history)
        self._retrieve(turn, query)
        if self.gate is not None:
            # After retrieval, which embeds the question once for both: the gate needs to know whether a trainer's
            # own document answers it, and what to suggest instead.
            verdict = self.gate.check(turn.asked, query, history, turn.hits)
            turn.timings.update(verdict.scores)
            if verdict.refusal is not None:
                text = self.prompts.refusal_for(verdict.refusal)
                turn.hits = []  # nothing is quoted or cited: the fixed reply answers
                yield self._first_words(turn, text)
                yield self._final(turn, text, model="gate", refusal=verdict.refusal)
                return
        if not turn.hits:
            yield self._final(turn, self.prompts.refusal(), model="gate")
            return
        if self.mode == AnswerMode.GENERATED and self.chat_model is not None:
            yield from self._generate(turn, history, hint=hint)
            return
        text, shown, model = self._from_lessons(turn, hint=hint)
        yield self._first_words(turn, text)
        if self.mode.uses_llm and self.chat_model is not None and model == "composed":
            text, shown, model = self._enrich(turn, text, shown)
        yield self._final(turn, text, shown=shown, model=model, extra_hits=shown)

    def _enrich(self, turn: _Turn, text: str, shown: list[Hit]) -> tuple[str, list[Hit], str]:
        """The composed answer improved by the model when it has a free slot and its work passes the checks; the
        composed answer (already on the learner's screen) otherwise."""
        assert self.chat_model is not None and self.composer is not None
        started = time.perf_counter()
        job = Enrichment(self.mode.value)
        query, vector = self._match_query(turn)
        candidates = (
            self.composer.candidates(query, turn.level, turn.hits, kind=turn.shape.kind, query_vector=vector)
            if job == Enrichment.SELECT
            else []
        )
        enricher = Enricher(self.chat_model, self.prompts, job, temperature=self.temperature)
        result = enricher.enrich(turn.asked, turn.level, turn.group, text, shown, candidates=candidates)
        turn.timings["enrich_s"] = time.perf_counter() - started
        if result.skipped:
            turn.timings["enrich_skipped"] = 1.0
            return text, shown, "composed"
        if result.pick is not None:
            composition = candidates[result.pick]
            cited = cited_hits(composition, turn.hits)
            budget = self.composer.weights.budget_for(turn.level)
            return render(composition, turn.asked, cited, budget), cited, f"composed+{job.value}"
        return result.text, shown, f"composed+{job.value}"

    def _generate(self, turn: _Turn, history: Sequence[Message], *, hint: bool) -> Iterator[StreamEvent]:
        """The model writes while the guard watches; anything it cannot do well is answered from the lessons."""
        assert self.chat_model is not None
        # The model sees the best passages only, trimmed: on two CPU cores every prompt token delays the
        # first word. It cites from exactly what it saw.
        q = turn.asked
        shown = fit_passages(q, extract_passages(turn.hits, turn.level, self.llm_passages), self.llm_context_chars)
        messages = self.prompts.answer_messages(q, turn.level, turn.group, shown, history, hint=hint)
        guard = StreamGuard(self.prompts.canary)
        generation = self.chat_model.stream(messages, max_tokens=self.max_tokens, temperature=self.temperature)
        try:
            # The prompt's scaffolding a small model copies is tidied before anything checks or shows it.
            for piece in tidy_stream(generation):
                visible = guard.feed(piece) if piece else ""
                if guard.blocked:
                    break  # stop generating: nothing more from this answer will be shown
                if visible:
                    yield self._first_words(turn, visible, checked=True)
        except LLMBusyError:
            # Every slot is taken: this learner gets the lessons' answer now instead of waiting in a queue.
            turn.timings["llm_busy"] = 1.0
            text, lesson_hits, model = self._from_lessons(turn, hint=hint)
            yield self._first_words(turn, text)
            yield self._final(turn, text, shown=lesson_hits, model=model, extra_hits=lesson_hits)
            return
        except LLMUnavailableError as exc:
            turn.timings["llm_error"] = 1.0
            text, lesson_hits, model = self._from_lessons(turn, hint=hint)
            if "first_token_s" not in turn.timings:
                yield self._first_words(turn, text)
            yield self._final(
                turn,
                text,
                shown=lesson_hits,
                degraded=True,
                notice=f"{NOTICE_DEGRADED} ({exc})",
                model=model,
                extra_hits=lesson_hits,
            )
            return
        finally:
            close = getattr(generation, "close", None)
            if close is not None:
                close()

        text = guard.text.strip()
        verdict = check_answer(text, shown, q, canary=self.prompts.canary)
        if guard.blocked:
            verdict = Verdict(False, guard.blocked, 0.0)
        turn.timings["grounded_share"] = verdict.grounded_share
        if not verdict.ok:
            lesson_text, lesson_hits, model = self._from_lessons(turn, hint=hint)
            yield self._final(
                turn,
                f"{NOTICE_REPLACED}\n\n{lesson_text}",
                shown=lesson_hits,
                notice=f"{NOTICE_REPLACED} ({verdict.reason})",
                model=model,
                extra_hits=lesson_hits,
            )
            return
        tail = guard.flush()
        if tail:
            yield self._first_words(turn, tail, checked=True)
        yield self._final(turn, text, shown=shown, model=self.chat_model.id)

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
