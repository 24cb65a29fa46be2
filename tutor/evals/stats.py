"""Statistics over scored items: bootstrap confidence intervals, slice aggregates, McNemar's test."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from tutor.errors import MissingExtraError
from tutor.evals.scoring import ItemMetrics

try:
    from scipy import stats as sps
except ImportError as exc:  # serving installs without the `eval` extra
    raise MissingExtraError(exc, "eval", "Thống kê của bộ đánh giá") from exc

RESAMPLES = 2000
SEED = 20251129
LEVEL = 0.95
#: Below this many discordant pairs McNemar's chi-square approximation is poor; use the exact binomial.
EXACT_BELOW = 25


@dataclass(frozen=True)
class Estimate:
    """A mean with its percentile-bootstrap confidence interval over `n` items."""

    mean: float
    low: float
    high: float
    n: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _percentiles(means: np.ndarray, level: float) -> tuple[float, float]:
    alpha = (1 - level) / 2
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    return float(lo), float(hi)


def bootstrap_ci(
    values: Sequence[float], *, resamples: int = RESAMPLES, seed: int = SEED, level: float = LEVEL
) -> Estimate | None:
    """Mean and percentile bootstrap CI; a fixed seed makes reports reproducible. None for no values."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return None
    mean = float(x.mean())
    if n == 1:
        return Estimate(mean, mean, mean, 1)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, n, size=(resamples, n))].mean(axis=1)
    lo, hi = _percentiles(means, level)
    # Floating-point summation can put a constant sample's mean a hair outside its own resamples.
    return Estimate(mean, min(lo, mean), max(hi, mean), n)


def paired_bootstrap_diff(
    a: Sequence[float], b: Sequence[float], *, resamples: int = RESAMPLES, seed: int = SEED, level: float = LEVEL
) -> Estimate | None:
    """Mean of b − a over paired items, with a CI from resampling the pairs together."""
    if len(a) != len(b):
        raise ValueError("paired samples must have the same length")
    return bootstrap_ci(
        np.asarray(b, dtype=float) - np.asarray(a, dtype=float), resamples=resamples, seed=seed, level=level
    )


@dataclass(frozen=True)
class McNemar:
    """Paired pass/fail test. `b`: pass→fail, `c`: fail→pass."""

    b: int
    c: int
    statistic: float
    p_value: float
    method: str


def mcnemar(b: int, c: int) -> McNemar:
    """Exact two-sided binomial test when b + c < 25, else chi-square with continuity correction."""
    n = b + c
    if n == 0:
        return McNemar(b, c, 0.0, 1.0, "exact")
    if n < EXACT_BELOW:
        p = float(sps.binomtest(b, n, 0.5, alternative="two-sided").pvalue)
        return McNemar(b, c, float(min(b, c)), min(p, 1.0), "exact")
    statistic = (abs(b - c) - 1) ** 2 / n
    return McNemar(b, c, float(statistic), float(sps.chi2.sf(statistic, df=1)), "chi2-cc")


def _as_float(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (tuple, list)):  # must_not: the share of items with any violation
        return 1.0 if value else 0.0
    return float(value)


#: Aggregated metrics: name in the summary -> how to read it from an item (None: not applicable).
Getter = Callable[[ItemMetrics], Any]


def _attr(name: str) -> Getter:
    return lambda m: getattr(m, name)


METRICS: dict[str, Getter] = {
    "focused_pass_rate": lambda m: m.focused_passed,
    "pass_rate": lambda m: m.passed,
    "error_rate": lambda m: m.error,
    "refusal_accuracy": lambda m: None if m.error else m.refusal_correct,
    "refusal_rate_out_of_scope": lambda m: None if m.answerable or m.error else m.refused,
    "wrong_refusal_rate": lambda m: None if not m.answerable or m.error else m.refused,
    "degraded_rate": lambda m: None if m.error else m.degraded,
    "replaced_rate": lambda m: None if m.error else m.replaced,
    **{
        f"{metric}_{unit}": _attr(f"{metric}_{unit}")
        for unit in ("section", "lesson")
        for metric in ("hit1", "hit3", "hit5", "mrr", "ndcg5")
    },
    "coverage": lambda m: m.coverage,
    "coverage_folded": lambda m: m.coverage_folded,
    "must_not_rate": lambda m: None if m.error else m.must_not,
    "f1_syllable": lambda m: m.f1_syllable,
    "f1_word": lambda m: m.f1_word,
    "rouge_l_syllable": lambda m: m.rouge_l_syllable,
    "rouge_l_word": lambda m: m.rouge_l_word,
    "citation_valid_rate": lambda m: None if m.error else m.citation_valid,
    "citation_precision_section": lambda m: m.citation_precision_section,
    "citation_precision_lesson": lambda m: m.citation_precision_lesson,
    "citation_recall_section": lambda m: m.citation_recall_section,
    "citation_recall_lesson": lambda m: m.citation_recall_lesson,
    "grounded_lexical": lambda m: m.grounded_lexical,
    "grounded_embedding": lambda m: m.grounded_embedding,
    "words_per_sentence": lambda m: m.words_per_sentence,
    "syllables_per_word": lambda m: m.syllables_per_word,
    "rare_syllable_rate": lambda m: m.rare_syllable_rate,
    "ttft_s": lambda m: m.ttft_s,
    "total_s": lambda m: m.total_s,
    "answer_syllables": lambda m: None if m.error or m.refused else m.answer_syllables,
    "focus": lambda m: m.focus,
    "opens_on_point": lambda m: None if m.opens_on_point is None else float(m.opens_on_point),
}
#: The smaller set reported for every slice.
SLICE_METRICS = (
    "focused_pass_rate",
    "pass_rate",
    "answer_syllables",
    "hit5_section",
    "mrr_section",
    "coverage_folded",
    "refusal_accuracy",
    "must_not_rate",
    "grounded_lexical",
    "words_per_sentence",
    "syllables_per_word",
    "rare_syllable_rate",
    "total_s",
)
SLICES: dict[str, Callable[[ItemMetrics], str]] = {
    "type": lambda m: m.type,
    "level": lambda m: m.level,
    "group": lambda m: m.group,
    "topic": lambda m: m.topic,
    "safety_critical": lambda m: "yes" if m.safety_critical else "no",
}


def values_of(items: Sequence[ItemMetrics], metric: str) -> list[float]:
    get = METRICS[metric]
    return [v for v in (_as_float(get(m)) for m in items) if v is not None]


def aggregate(items: Sequence[ItemMetrics], metrics: Sequence[str] = tuple(METRICS)) -> dict[str, Estimate | None]:
    return {name: bootstrap_ci(values_of(items, name)) for name in metrics}


def by_slice(items: Sequence[ItemMetrics], metrics: Sequence[str] = SLICE_METRICS) -> dict[str, dict[str, Any]]:
    """{slice: {value: {"n": count, metric: Estimate | None}}}, values sorted for stable reports."""
    out: dict[str, dict[str, Any]] = {}
    for name, key in SLICES.items():
        groups: dict[str, list[ItemMetrics]] = {}
        for m in items:
            groups.setdefault(key(m), []).append(m)
        out[name] = {value: {"n": len(group), **aggregate(group, metrics)} for value, group in sorted(groups.items())}
    return out


def percentiles(values: Sequence[float], qs: Sequence[float] = (50, 90, 95)) -> dict[str, float]:
    if not values:
        return {}
    return {f"p{int(q)}": float(v) for q, v in zip(qs, np.percentile(np.asarray(values, dtype=float), qs), strict=True)}


def estimates_to_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """Estimates (nested in dicts) as plain dicts for summary.json."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, Estimate):
            out[k] = v.to_dict()
        elif isinstance(v, Mapping):
            out[k] = estimates_to_json(v)
        else:
            out[k] = v
    return out
