"""Rasch calibration of the quiz bank from learners' answers (the `mirt` package), anchored to the current scale."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tutor.learner.errors import LearnerInputError
from tutor.learner.placement import LEVEL_BOUNDARIES, eap, level_for_theta
from tutor.learner.quizbank import QuizItem
from tutor.types import Group, Level

# Why mirt (PyPI `mirt`, numpy + scipy only, released 2026) and not girth: girth's last release is 0.8.0 (2021),
# and its rasch_mml/onepl_mml set each difficulty by matching the item's share of right answers to the whole
# population. That ignores who answered, which an adaptive test decides: harder items go to abler learners and
# every item ends up near 50% right. On 1,000 simulated learners its difficulties correlated 0.92 with the truth
# (the written ones already 0.90) and came out 30% too narrow; its 2PL took 137 s and did worse (0.89). mirt's EM
# uses each learner's own answers (missing answers are simply missing) and recovered 0.976.

PLACEMENT_SOURCE, PRACTICE_SOURCE = "placement", "practice"
#: Flags written into the proposal; the report shows FLAG_LABELS.
MISFIT, TOO_EASY, TOO_HARD, NEVER_SHOWN, FEW_ANSWERS, EXTREME, LEVEL_MISMATCH = (
    "misfit",
    "too-easy",
    "too-hard",
    "never-shown",
    "few-answers",
    "all-same",
    "level-mismatch",
)
FLAG_LABELS = {
    MISFIT: "không khớp mô hình (infit ngoài khoảng cho phép): xem lại nội dung câu",
    TOO_EASY: "quá dễ với mọi trình độ",
    TOO_HARD: "quá khó với mọi trình độ",
    NEVER_SHOWN: "chưa ai gặp câu này",
    FEW_ANSWERS: "chưa đủ câu trả lời để ước lượng",
    EXTREME: "mọi người trả lời giống nhau (đều đúng hoặc đều sai)",
    LEVEL_MISMATCH: "độ khó mới thuộc trình độ khác nhãn trong corpus/quiz/",
}


@dataclass(frozen=True)
class AnswerRecord:
    learner_id: str
    item_id: str
    correct: bool
    source: str


@dataclass(frozen=True)
class AnswerLog:
    """What calibration and the fairness audit read from the learner store."""

    answers: tuple[AnswerRecord, ...]
    groups: Mapping[str, Group]
    #: learner id -> the questions they typed in chat (to tell who types without diacritics).
    questions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class CalibrationConfig:
    #: Answers an item needs before its new difficulty is proposed (FRAMEWORKS.md: "a few dozen").
    min_answers: int = 30
    #: Items with fewer answers stay out of the fit altogether.
    fit_min_answers: int = 5
    #: Infit mean-square range of Wright & Linacre for multiple-choice items; outfit is reported, not used: with
    #: a dozen answers per learner it swings widely even when the model holds.
    infit_range: tuple[float, float] = (0.7, 1.3)
    #: "Too easy for every level": a learner in the middle of Cơ bản (between FLOOR and the first cut) gets it
    #: right at least this often; "too hard": one in the middle of Chuyên sâu gets it wrong this often.
    too_far_p: float = 0.9
    floor: float = -3.0
    ceiling: float = 3.5
    boundaries: tuple[float, float, float] = LEVEL_BOUNDARIES
    #: Proposed difficulties are kept inside this range (an item everyone got right has no finite estimate).
    clip: float = 6.0


DEFAULT_CALIBRATION = CalibrationConfig()


@dataclass(frozen=True)
class ItemCalibration:
    id: str
    lesson_id: str
    domain: int
    level: Level
    current: float
    n: int
    n_right: int
    flags: tuple[str, ...]
    #: The fitted difficulty and how well the item fits; None when it was not fitted (never shown, too few answers).
    proposed: float | None = None
    se: float | None = None
    infit: float | None = None
    outfit: float | None = None
    #: Whether `tutor quiz apply` changes the difficulty; the operator may switch it off in the proposal file.
    apply: bool = False


@dataclass(frozen=True)
class Calibration:
    items: tuple[ItemCalibration, ...]
    based_on: int
    anchors: tuple[str, ...]
    #: The anchors' mean difficulty, the same before and after (the linking constraint).
    anchor_mean: float
    #: The common Rasch slope the fit found: the SD of ability in logits.
    ability_sd: float
    persons: int
    answers: int
    library: str
    #: learner id -> ability on the calibrated scale (for the fairness audit's matching).
    abilities: Mapping[str, float] = field(default_factory=dict)


Progress = Callable[[str], None]


def response_matrix(log: AnswerLog, item_ids: Sequence[str]) -> tuple[list[str], npt.NDArray[np.float64]]:
    """(learner ids, persons x items matrix of 1/0 with NaN where the learner never met the item)."""
    col = {item_id: j for j, item_id in enumerate(item_ids)}
    learners = sorted({a.learner_id for a in log.answers if a.item_id in col})
    row = {lid: i for i, lid in enumerate(learners)}
    data = np.full((len(learners), len(item_ids)), np.nan)
    for a in log.answers:
        j = col.get(a.item_id)
        if j is not None:
            data[row[a.learner_id], j] = 1.0 if a.correct else 0.0
    return learners, data


def _flags(item: QuizItem, proposed: float, config: CalibrationConfig) -> list[str]:
    flags = []
    logit = math.log(config.too_far_p / (1.0 - config.too_far_p))
    middle_low = (config.floor + config.boundaries[0]) / 2
    middle_high = (config.boundaries[-1] + config.ceiling) / 2
    if proposed <= middle_low - logit:
        flags.append(TOO_EASY)
    if proposed >= middle_high + logit:
        flags.append(TOO_HARD)
    if level_for_theta(proposed, config.boundaries) is not item.level:
        flags.append(LEVEL_MISMATCH)
    return flags


def _fit(data: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float, Any]:
    """Rasch by marginal maximum likelihood: a 2PL whose slopes are all tied to one value (mirt's documented way to
    fit a Rasch model with the ability SD estimated). Returns difficulties and SEs in logits, the slope, the fit."""
    import mirt  # an optional dependency (extra `calibrate`): only the operator's calibrate command needs it

    n_items = data.shape[1]
    result = mirt.fit_mirt(
        data, model="2PL", constraints=[("discrimination", list(range(n_items)))], accelerate="squarem"
    )
    coef = result.coef()
    slope = float(np.asarray(coef["discrimination"], dtype=float)[0])
    # mirt's scale is θ* ~ N(0, 1) with P = logistic(a(θ* − b*)); on the Rasch scale θ = aθ*, so b = a·b*.
    b = slope * np.asarray(coef["difficulty"], dtype=float)
    se = slope * np.asarray(result.standard_errors["difficulty"], dtype=float)
    return b, se, slope, result


def _itemfit(result: Any, data: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    import mirt

    stats = mirt.itemfit(result, data, statistics=["infit", "outfit"])
    return np.asarray(stats["infit"], dtype=float), np.asarray(stats["outfit"], dtype=float)


def calibrate(
    bank: Sequence[QuizItem],
    log: AnswerLog,
    *,
    based_on: int,
    anchors: Sequence[str] | None = None,
    config: CalibrationConfig = DEFAULT_CALIBRATION,
    progress: Progress | None = None,
) -> Calibration:
    """Fit Rasch difficulties to the answers, link them to the current scale, flag items for review.

    Linking (mean-mean on anchor items): the fitted difficulties are shifted so the anchors' mean equals their
    mean in `bank` (the difficulties in use). Anchors default to every item with at least `min_answers` answers,
    so the bank's centre, and with it the level cut-offs and every stored ability, keeps its meaning; the fit
    only moves items relative to each other. Name anchors to link on trusted items only.
    """
    say = progress or (lambda _msg: None)
    by_id = {item.id: item for item in bank}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for a in log.answers:
        if a.item_id in by_id:
            counts[a.item_id][0] += 1
            counts[a.item_id][1] += int(a.correct)
    fitted = [i.id for i in bank if counts[i.id][0] >= config.fit_min_answers and 0 < counts[i.id][1] < counts[i.id][0]]
    if len(fitted) < 2:
        raise LearnerInputError(
            "Chưa đủ câu trả lời để hiệu chỉnh: cần ít nhất 2 câu hỏi, mỗi câu có từ "
            f"{config.fit_min_answers} câu trả lời cả đúng lẫn sai. Hãy chờ thêm học viên làm bài."
        )
    learners, data = response_matrix(log, fitted)
    say(
        f"Ước lượng độ khó {len(fitted)} câu từ {int(np.sum(~np.isnan(data)))} câu trả lời của {len(learners)} học viên"
    )
    raw, se, slope, result = _fit(data)
    say("Tính độ khớp (infit, outfit) của từng câu")
    infit, outfit = _itemfit(result, data)

    col = {item_id: j for j, item_id in enumerate(fitted)}
    eligible = [i for i in fitted if counts[i][0] >= config.min_answers]
    # With no item above min_answers yet, every fitted item anchors (nothing will be applied anyway).
    anchor_ids = list(dict.fromkeys(anchors)) if anchors else (eligible or fitted)
    unknown = [a for a in anchor_ids if a not in col]
    if unknown or not anchor_ids:
        raise LearnerInputError(
            "Câu neo phải là câu đã được ước lượng (đủ câu trả lời, có cả đúng lẫn sai); không dùng được: "
            f"{', '.join(unknown[:5]) or '(không có câu nào)'}."
        )
    anchor_mean = float(np.mean([by_id[a].difficulty for a in anchor_ids]))
    shift = anchor_mean - float(np.mean([raw[col[a]] for a in anchor_ids]))
    linked = np.clip(raw + shift, -config.clip, config.clip)

    items = []
    for item in bank:
        n, right = counts[item.id]
        known = (item.id, item.lesson_id, item.domain, item.level, item.difficulty, n, right)
        j = col.get(item.id)
        if j is None:
            why = NEVER_SHOWN if n == 0 else FEW_ANSWERS if n < config.fit_min_answers else EXTREME
            items.append(ItemCalibration(*known, flags=(why,)))
            continue
        proposed = float(linked[j])
        flags = _flags(item, proposed, config)
        lo, hi = config.infit_range
        if not lo <= infit[j] <= hi:
            flags.insert(0, MISFIT)
        if n < config.min_answers:
            flags.append(FEW_ANSWERS)
        items.append(
            ItemCalibration(
                *known,
                flags=tuple(flags),
                proposed=round(proposed, 4),
                se=round(float(se[j]), 4),
                infit=round(float(infit[j]), 3),
                outfit=round(float(outfit[j]), 3),
                apply=n >= config.min_answers,
            )
        )
    say("Ước lượng năng lực học viên trên thang mới")
    abilities = person_abilities(log, {i.id: i.proposed for i in items if i.proposed is not None}, shift, slope)
    import mirt

    return Calibration(
        tuple(items),
        based_on,
        tuple(anchor_ids),
        anchor_mean,
        slope,
        len(learners),
        int(np.sum(~np.isnan(data))),
        f"mirt {getattr(mirt, '__version__', '?')}",
        abilities,
    )


def person_abilities(
    log: AnswerLog, difficulties: Mapping[str, float], prior_mean: float, prior_sd: float
) -> dict[str, float]:
    """EAP ability of every learner from their answers, with ONE prior for all: a group prior would shift learners
    of one group against the others and show up as unfairness in the audit that matches on this ability."""
    answers: dict[str, tuple[list[float], list[bool]]] = defaultdict(lambda: ([], []))
    for a in log.answers:
        b = difficulties.get(a.item_id)
        if b is not None:
            answers[a.learner_id][0].append(b)
            answers[a.learner_id][1].append(a.correct)
    return {lid: eap(b, r, prior_mean, prior_sd).theta for lid, (b, r) in answers.items()}


def applied_difficulties(calibration: Calibration) -> dict[str, float]:
    """The difficulty of every item once the proposal is applied as proposed."""
    return {i.id: (i.proposed if i.apply and i.proposed is not None else i.current) for i in calibration.items}
