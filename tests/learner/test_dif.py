"""Fairness audit: Mantel-Haenszel flags an item planted 1 logit harder for one group, and no fair item."""

from __future__ import annotations

import numpy as np
import pytest

from tutor.learner.calibration import AnswerLog, AnswerRecord, person_abilities
from tutor.learner.dif import WITH_MARKS, WITHOUT_MARKS, audit, ets_class, typing_style
from tutor.learner.placement import rasch_p
from tutor.types import Group

pytest.importorskip("statsmodels")

GROUP_ITEM, TYPING_ITEM = "it-05", "it-17"


def test_typing_style_comes_from_the_learners_own_questions() -> None:
    assert typing_style(["Làm sao kích hoạt tài khoản định danh?", "mã OTP là gì vậy"]) == WITH_MARKS
    assert (
        typing_style(["lam sao kich hoat tai khoan dinh danh", "ma OTP la gi vay", "Cảm ơn bạn nhiều"]) == WITHOUT_MARKS
    )
    assert typing_style(["ok", "VNeID"]) is None  # too short to tell a keyboard
    assert typing_style([]) is None


def test_ets_classes() -> None:
    assert ets_class(-0.8, 0.2, 0.001) == "A"  # small
    assert ets_class(-2.0, 0.9, 0.2) == "A"  # not significant
    assert ets_class(-1.7, 0.2, 0.001) == "C"
    assert ets_class(-1.2, 0.2, 0.001) == "B"
    assert ets_class(1.6, 0.5, 0.001) == "B"  # large but not significantly above 1


@pytest.fixture(scope="module")
def simulated() -> tuple[AnswerLog, dict[str, float]]:
    """1,600 learners (400 per group, a third typing without diacritics) answer 30 items; two items are unfair."""
    rng = np.random.default_rng(11)
    difficulties = {f"it-{k:02d}": float(b) for k, b in enumerate(np.linspace(-2.0, 2.0, 30))}
    groups = list(Group)
    means = {Group.NGUOI_DAN: -0.8, Group.LAO_DONG: -0.3, Group.HOC_SINH: 0.2, Group.CONG_CHUC: 0.2}
    answers, learner_groups, questions = [], {}, {}
    for p in range(1600):
        group = groups[p % 4]
        lid = f"hv-{p}"
        learner_groups[lid] = group
        plain = rng.random() < 1 / 3
        questions[lid] = ("lam sao doi mat khau vneid",) if plain else ("làm sao đổi mật khẩu VNeID",)
        theta = rng.normal(means[group], 1.2)
        for item_id, b in difficulties.items():
            b_true = b + (1.0 if item_id == GROUP_ITEM and group is Group.NGUOI_DAN else 0.0)
            b_true += 1.0 if item_id == TYPING_ITEM and plain else 0.0
            answers.append(AnswerRecord(lid, item_id, bool(rng.random() < rasch_p(theta, b_true)), "practice"))
    log = AnswerLog(tuple(answers), learner_groups, questions)
    return log, person_abilities(log, difficulties, 0.0, 2.0)


def test_planted_unfair_items_are_flagged_and_no_fair_item(simulated: tuple[AnswerLog, dict[str, float]]) -> None:
    log, abilities = simulated
    results = audit(log, abilities)
    flagged = {(r.item_id, r.comparison) for r in results if r.flagged}
    assert flagged == {
        (GROUP_ITEM, "nhóm nguoi-dan / các nhóm khác"),
        (TYPING_ITEM, "gõ không dấu / gõ có dấu"),
    }
    planted = next(r for r in results if r.item_id == GROUP_ITEM and r.flagged)
    # 1 logit harder for citizens: Δ = −2.35 ln(odds ratio) ≈ −2.35, negative = harder for the focal group.
    assert planted.harder_for == "focal" and planted.delta == pytest.approx(-2.35, abs=0.6)
    assert len({r.comparison for r in results}) == 5  # four groups, one typing comparison


def test_items_with_too_few_answers_on_one_side_are_not_tested(simulated: tuple[AnswerLog, dict[str, float]]) -> None:
    log, abilities = simulated
    few = AnswerLog(tuple(a for a in log.answers if int(a.learner_id[3:]) < 60), log.groups, log.questions)
    assert audit(few, {k: v for k, v in abilities.items() if int(k[3:]) < 60}) == []
