"""Calibration: mirt recovers planted Rasch difficulties from sparse answers, keeps the anchors' mean, flags items."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tutor.learner.calibration import (
    FEW_ANSWERS,
    NEVER_SHOWN,
    TOO_EASY,
    AnswerLog,
    AnswerRecord,
    CalibrationConfig,
    applied_difficulties,
    calibrate,
)
from tutor.learner.errors import LearnerInputError
from tutor.learner.placement import level_for_theta, rasch_p
from tutor.learner.quizbank import QuizItem
from tutor.types import Group

pytest.importorskip("mirt")


def _bank(difficulties: list[float]) -> list[QuizItem]:
    return [
        QuizItem(f"it-{k:02d}", "bai-mo-phong", "Câu hỏi?", ("a", "b"), 0, "vì", "4.2", 4, level_for_theta(b), b)
        for k, b in enumerate(difficulties)
    ]


def _answers(truth: np.ndarray, persons: int, per_person: int, seed: int, group_shift: float = 0.0) -> AnswerLog:
    """Each simulated learner answers a random subset of the items (missing answers, as in real use)."""
    rng = np.random.default_rng(seed)
    thetas = rng.normal(0.3, 1.5, persons)
    out = []
    for p, theta in enumerate(thetas):
        for j in rng.choice(len(truth), per_person, replace=False):
            out.append(AnswerRecord(f"p{p}", f"it-{j:02d}", bool(rng.random() < rasch_p(theta, truth[j])), "practice"))
    return AnswerLog(tuple(out), {f"p{p}": Group.NGUOI_DAN for p in range(persons)})


@pytest.fixture(scope="module")
def planted() -> tuple[list[QuizItem], np.ndarray, AnswerLog]:
    rng = np.random.default_rng(7)
    written = np.round(rng.uniform(-2.5, 2.5, 30), 2)
    truth = written + rng.normal(0.0, 0.7, 30)
    return _bank(list(written)), truth, _answers(truth, persons=500, per_person=12, seed=8)


def test_calibration_recovers_planted_difficulties(planted: tuple[list[QuizItem], np.ndarray, AnswerLog]) -> None:
    bank, truth, log = planted
    result = calibrate(bank, log, based_on=0)
    proposed = np.array([i.proposed for i in result.items], dtype=float)
    written = np.array([i.difficulty for i in bank])
    assert np.corrcoef(proposed, truth)[0, 1] >= 0.95 > np.corrcoef(written, truth)[0, 1]
    # The spread is right too (a Rasch fit with the ability SD fixed at 1 would shrink it).
    assert np.std(proposed) == pytest.approx(np.std(truth), rel=0.15)
    # Standard errors are honest: most items lie within 2 SE of the truth once the anchoring shift is removed.
    shift = np.mean(proposed) - np.mean(truth)
    z = (proposed - shift - truth) / np.array([i.se for i in result.items], dtype=float)
    assert np.mean(np.abs(z) < 2.0) >= 0.85
    assert all(i.apply and i.n >= 30 and i.infit is not None for i in result.items)


def test_anchoring_keeps_the_anchor_mean(planted: tuple[list[QuizItem], np.ndarray, AnswerLog]) -> None:
    bank, _, log = planted
    default = calibrate(bank, log, based_on=0)
    assert np.mean([i.proposed for i in default.items]) == pytest.approx(
        np.mean([i.difficulty for i in bank]), abs=1e-3
    )
    anchors = [bank[3].id, bank[10].id, bank[20].id]
    named = calibrate(bank, log, based_on=0, anchors=anchors)
    by_id = {i.id: i for i in named.items}
    written_mean = np.mean([bank[k].difficulty for k in (3, 10, 20)])
    assert np.mean([by_id[a].proposed for a in anchors]) == pytest.approx(written_mean, abs=1e-3)
    assert named.anchors == tuple(anchors)
    # Relative positions do not depend on the anchors: only the origin moves.
    gaps = [a.proposed - b.proposed for a, b in zip(default.items, named.items, strict=True)]  # type: ignore[operator]
    assert np.ptp(gaps) < 1e-3


def test_items_never_shown_or_rarely_shown_are_flagged_and_kept(
    planted: tuple[list[QuizItem], np.ndarray, AnswerLog],
) -> None:
    bank, _, log = planted
    extra = [*bank, replace(bank[0], id="never-asked"), replace(bank[0], id="asked-twice")]
    twice = (
        AnswerRecord("p1", "asked-twice", True, "placement"),
        AnswerRecord("p2", "asked-twice", False, "placement"),
    )
    result = calibrate(extra, replace(log, answers=log.answers + twice), based_on=0)
    by_id = {i.id: i for i in result.items}
    assert by_id["never-asked"].flags == (NEVER_SHOWN,) and not by_id["never-asked"].apply
    assert by_id["asked-twice"].flags == (FEW_ANSWERS,) and by_id["asked-twice"].proposed is None
    assert applied_difficulties(result)["never-asked"] == bank[0].difficulty


def test_an_item_everyone_finds_trivial_is_too_easy_for_every_level() -> None:
    truth = np.array([-6.5, *np.linspace(-1.5, 1.5, 11)])
    bank = _bank([-2.0, *np.linspace(-1.5, 1.5, 11)])
    log = _answers(truth, persons=400, per_person=12, seed=3)
    config = CalibrationConfig(fit_min_answers=5)
    result = calibrate(bank, log, based_on=0, config=config)
    flags = {i.id: i.flags for i in result.items}
    assert TOO_EASY in flags["it-00"] or "all-same" in flags["it-00"]
    assert not any(TOO_EASY in f for k, f in flags.items() if k != "it-00")


def test_too_few_answers_is_refused_in_vietnamese() -> None:
    bank = _bank([0.0, 1.0])
    log = AnswerLog((AnswerRecord("p1", "it-00", True, "placement"),), {"p1": Group.HOC_SINH})
    with pytest.raises(LearnerInputError, match="Chưa đủ câu trả lời"):
        calibrate(bank, log, based_on=0)
