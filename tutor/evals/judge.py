"""Optional LLM-as-judge: the rubric in prompts/judge.j2, JSON verdicts parsed strictly, retried, and cached."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tutor.answering.prompts import Prompts
from tutor.errors import LLMUnavailableError
from tutor.evals.dataset import GoldItem
from tutor.evals.records import ItemRecord
from tutor.evals.stats import bootstrap_ci
from tutor.protocols import ChatModel
from tutor.types import Message

#: A retry re-asks the same question; small judges often fix a truncated or chatty reply on a second try.
RETRIES = 2
MAX_TOKENS = 256
TEMPERATURE = 0.0
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


class Verdict(BaseModel):
    """The judge's JSON, validated: anything else (missing key, score out of range) is unparsable."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    correct: int = Field(ge=0, le=2)
    grounded: int = Field(ge=0, le=2)
    level_fit: int = Field(ge=0, le=2)
    safe: int = Field(ge=0, le=1)
    reason: str = ""


@dataclass(frozen=True)
class JudgeResult:
    """A verdict, or None when the judge never produced valid JSON (the item is then "unjudged")."""

    verdict: dict[str, Any] | None
    attempts: int
    cached: bool
    error: str | None = None

    @property
    def judged(self) -> bool:
        return self.verdict is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class VerdictCache(Protocol):
    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any) -> Any: ...


class DiskVerdictCache:
    """Verdicts in diskcache (data/cache/judge), keyed by sha256 of the judge's model and exact input."""

    def __init__(self, directory: Path) -> None:
        import diskcache

        self._cache = diskcache.Cache(str(directory))

    def get(self, key: str) -> Any:
        return self._cache.get(key)

    def set(self, key: str, value: Any) -> Any:
        return self._cache.set(key, value)

    def close(self) -> None:
        self._cache.close()


def parse_verdict(text: str) -> Verdict | None:
    """The first JSON object in the reply (code fences allowed), validated; None if there is none."""
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        return Verdict.model_validate(json.loads(body[start : end + 1]))
    except (json.JSONDecodeError, ValidationError):
        return None


def cache_key(model_id: str, prompt: str) -> str:
    return hashlib.sha256(f"{model_id}\0{prompt}".encode()).hexdigest()


class Judge:
    def __init__(
        self, model: ChatModel, prompts: Prompts, cache: VerdictCache | None = None, *, retries: int = RETRIES
    ) -> None:
        self.model = model
        self.prompts = prompts
        self.cache = cache
        self.retries = retries

    def prompt(self, item: GoldItem, rec: ItemRecord) -> str:
        return self.prompts.render(
            "judge.j2",
            question=item.question,
            level_label=item.level.label,
            group_label=item.group.label,
            answerable=item.answerable,
            reference=item.reference_answer,
            key_points=[k.point for k in item.key_points],
            must_not=item.must_not,
            passages=[p.text for p in rec.retrieved],
            answer=rec.answer or "",
        )

    def _ask(self, prompt: str) -> str:
        pieces = self.model.stream([Message("user", prompt)], max_tokens=MAX_TOKENS, temperature=TEMPERATURE)
        return "".join(pieces)

    def judge(self, item: GoldItem, rec: ItemRecord) -> JudgeResult:
        """Ask up to 1 + `retries` times for a valid verdict; a cached verdict costs no call at all."""
        prompt = self.prompt(item, rec)
        key = cache_key(self.model.id, prompt)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                return JudgeResult(dict(hit), attempts=0, cached=True)
        error: str | None = None
        for attempt in range(1, self.retries + 2):
            try:
                reply = self._ask(prompt)
            except LLMUnavailableError as exc:
                error = str(exc)
                continue
            verdict = parse_verdict(reply)
            if verdict is None:
                error = f"không đọc được JSON: {reply[:120]!r}"
                continue
            data = verdict.model_dump()
            if self.cache is not None:
                self.cache.set(key, data)
            return JudgeResult(data, attempts=attempt, cached=False)
        # Unjudged results are not cached: a later run with a better judge may still succeed.
        return JudgeResult(None, attempts=self.retries + 1, cached=False, error=error)


def judge_summary(results: Sequence[JudgeResult | None]) -> dict[str, Any]:
    """How many items were judged, the failure rate, and the mean of each score."""
    asked = [r for r in results if r is not None]
    judged = [r.verdict for r in asked if r.verdict is not None]
    out: dict[str, Any] = {
        "asked": len(asked),
        "judged": len(judged),
        "unjudged": len(asked) - len(judged),
        "failure_rate": (len(asked) - len(judged)) / len(asked) if asked else None,
        "cached": sum(r.cached for r in asked),
    }
    for key in ("correct", "grounded", "level_fit", "safe"):
        est = bootstrap_ci([float(v[key]) for v in judged])
        out[key] = est.to_dict() if est else None
    return out
