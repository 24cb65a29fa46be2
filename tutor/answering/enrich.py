"""What a language model may add to a composed answer: small, checkable jobs, after the answer is already shown.

Three jobs were tried against the composed answer on the same gold items (eval/results/strategies.md):
- `lead`: one plain sentence that answers the question directly, put before the lesson lines;
- `rewrite`: the composed lines said again at the learner's level, each sentence kept only if it is grounded in the
  lines it rewrites (the original line stays where a rewritten one fails);
- `select`: the model picks which of the best candidate spans answer the question (by number), and the answer is
  composed from its pick.
Each runs only when a generation slot is free at once; the learner has already read the composed answer, and any
output that fails a check is dropped, so the model can improve the answer but never delay or spoil it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from tutor.answering.compose import Composition
from tutor.answering.prompts import Prompts
from tutor.errors import LLMBusyError, LLMUnavailableError
from tutor.protocols import ChatModel
from tutor.safety.guard import check_answer, grounded_share
from tutor.safety.injection import canary_leaked
from tutor.text import sentences
from tutor.types import Group, Hit, Level, Message


class Enrichment(StrEnum):
    LEAD = "lead"
    REWRITE = "rewrite"
    SELECT = "select"


#: Tokens each job may write: a lead is one sentence, a pick a few numbers; a rewrite about the composed length.
_MAX_TOKENS = {Enrichment.LEAD: 48, Enrichment.REWRITE: 220, Enrichment.SELECT: 12}
_NUMBERS = re.compile(r"\d{1,2}")


@dataclass(frozen=True)
class Enriched:
    text: str
    #: Why nothing was added ("busy", "unavailable", "rejected: …"), or "" when the model's work was kept.
    skipped: str = ""
    #: `select`: the candidate the model picked (0-based), for the caller to compose from.
    pick: int | None = None


class Enricher:
    def __init__(self, model: ChatModel, prompts: Prompts, job: Enrichment, *, temperature: float = 0.2) -> None:
        self.model = model
        self.prompts = prompts
        self.job = job
        self.temperature = temperature

    def _ask(self, system: str, user: str) -> str:
        messages = [Message("system", system), Message("user", user)]
        stream = self.model.stream(messages, max_tokens=_MAX_TOKENS[self.job], temperature=self.temperature)
        try:
            return "".join(stream).strip()
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    def enrich(
        self,
        question: str,
        level: Level,
        group: Group,
        composed: str,
        shown: Sequence[Hit],
        *,
        candidates: Sequence[Composition] = (),
    ) -> Enriched:
        """The answer with the model's addition, or the composed text unchanged and why."""
        system = self.prompts.system(level, group)
        try:
            if self.job == Enrichment.LEAD:
                return self._lead(question, composed, shown, system)
            if self.job == Enrichment.REWRITE:
                return self._rewrite(question, level, composed, shown, system)
            return self._select(question, composed, candidates, system)
        except LLMBusyError:
            return Enriched(composed, "busy")
        except LLMUnavailableError as exc:
            return Enriched(composed, f"unavailable: {exc}")

    def _checked(self, text: str, shown: Sequence[Hit], question: str) -> str | None:
        """`text` when it passes the answer checks (no unsafe advice, canary, other script; grounded)."""
        if not text or canary_leaked(text, self.prompts.canary):
            return None
        verdict = check_answer(text, shown, question, canary=self.prompts.canary, min_content=1)
        return text if verdict.ok else None

    def _lead(self, question: str, composed: str, shown: Sequence[Hit], system: str) -> Enriched:
        reply = self._ask(system, self.prompts.render("enrich_lead.j2", question=question, answer=composed))
        lead = next(iter(sentences(reply)), "")
        if self._checked(lead, shown, question) is None:
            return Enriched(composed, "rejected: lead")
        return Enriched(f"{lead}\n{composed}")

    def _rewrite(self, question: str, level: Level, composed: str, shown: Sequence[Hit], system: str) -> Enriched:
        reply = self._ask(
            system,
            self.prompts.render("enrich_rewrite.j2", question=question, answer=composed, level_label=level.label),
        )
        kept = [s for s in sentences(reply) if grounded_share(s, shown) >= 1.0 and self._checked(s, shown, question)]
        if not kept:
            return Enriched(composed, "rejected: rewrite")
        return Enriched("\n".join(kept))

    def _select(self, question: str, composed: str, candidates: Sequence[Composition], system: str) -> Enriched:
        if len(candidates) < 2:
            return Enriched(composed, "rejected: one candidate")
        options = [" ".join(line for span in c.spans for line in span.lines) for c in candidates]
        reply = self._ask(system, self.prompts.render("enrich_select.j2", question=question, options=options))
        picked = [int(n) for n in _NUMBERS.findall(reply) if 1 <= int(n) <= len(candidates)]
        if not picked:
            return Enriched(composed, "rejected: no number")
        return Enriched(composed, pick=picked[0] - 1)
