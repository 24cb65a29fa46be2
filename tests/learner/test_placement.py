"""Placement: Rasch EAP, item choice, stopping, level mapping, per-domain estimates and bad input."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from tutor.learner.errors import (
    InvalidAnswerError,
    ItemNotAskedError,
    LearnerInputError,
    PlacementFinishedError,
    PlacementNotFinishedError,
    PlacementStateError,
    UnknownGroupError,
)
from tutor.learner.placement import (
    DEFAULT_CONFIG,
    GROUP_PRIOR_MEAN,
    LEVEL_BOUNDARIES,
    PlacementState,
    PlacementTest,
    eap,
    item_information,
    level_for_theta,
    level_probabilities,
    most_probable_level,
    rasch_p,
    select_item,
)
from tutor.learner.quizbank import QuizItem
from tutor.types import Group, Level


def test_eap_without_answers_is_the_prior_and_answers_move_it() -> None:
    prior = eap([], [], -0.8, 1.0)
    assert prior.theta == pytest.approx(-0.8, abs=1e-3) and prior.se == pytest.approx(1.0, abs=1e-2)
    right = eap([0.0, 0.5], [True, True], -0.8, 1.0)
    wrong = eap([0.0, 0.5], [False, False], -0.8, 1.0)
    assert wrong.theta < prior.theta < right.theta
    assert right.se < prior.se and wrong.se < prior.se


def test_eap_recovers_ability_from_many_rasch_answers() -> None:
    rng = np.random.default_rng(5)
    b = rng.uniform(-3, 3, 400)
    x = rng.random(400) < rasch_p(1.3, b)
    est = eap(list(b), list(x), 0.0, 2.5)
    assert abs(est.theta - 1.3) < 2.5 * est.se and est.se < 0.15


def test_level_boundaries_map_theta_to_the_four_levels() -> None:
    lo, mid, hi = LEVEL_BOUNDARIES
    assert level_for_theta(lo - 0.01) is Level.CO_BAN
    assert level_for_theta(lo) is Level.TRUNG_CAP
    assert level_for_theta(mid) is Level.NANG_CAO
    assert level_for_theta(hi + 3) is Level.CHUYEN_SAU


def test_level_boundaries_separate_the_banks_expert_level_bands(real_bank: list[QuizItem]) -> None:
    lo, mid, hi = LEVEL_BOUNDARIES
    for item in real_bank:
        assert level_for_theta(item.difficulty) is item.level, (item.id, item.difficulty, item.level)
    assert lo < mid < hi


def test_level_probabilities_sum_to_one_and_the_level_is_the_most_probable() -> None:
    rng = np.random.default_rng(3)
    disagreements = 0
    for _ in range(300):
        n = int(rng.integers(0, 16))
        theta = float(rng.uniform(-3.0, 3.5))
        b = list(rng.uniform(-2.2, 3.0, n))
        x = list(rng.random(n) < rasch_p(theta, np.array(b)))
        probs = level_probabilities(b, x, 0.2, 2.5)
        assert sum(probs.values()) == pytest.approx(1.0) and min(probs.values()) >= 0.0
        level = most_probable_level(b, x, 0.2, 2.5)
        assert probs[level] == max(probs.values())
        est = eap(b, x, 0.2, 2.5)
        disagreements += level is not level_for_theta(est.theta)
        if min(abs(est.theta - cut) for cut in LEVEL_BOUNDARIES) >= 2 * est.se:
            # Where the stopping rule calls the estimate clear of every cut, both readings give the same level.
            assert level is level_for_theta(est.theta)
    # Near a cut the posterior mass and the point estimate do part ways, or the two rules would be one rule.
    assert disagreements > 0


def test_result_level_is_the_most_probable_level(real_bank: list[QuizItem]) -> None:
    session = PlacementTest(real_bank, Group.LAO_DONG)
    rng = np.random.default_rng(4)
    while (item := session.next_item()) is not None:
        session.record(item.id, bool(rng.random() < rasch_p(0.85, item.difficulty)))
    result = session.result()
    b = [next(i for i in real_bank if i.id == a).difficulty for a in session.asked]
    prior = GROUP_PRIOR_MEAN[Group.LAO_DONG]
    assert result.level is most_probable_level(b, session.responses, prior, DEFAULT_CONFIG.prior_sd)


def test_first_item_follows_the_group_prior(real_bank: list[QuizItem]) -> None:
    citizen = PlacementTest(real_bank, Group.NGUOI_DAN).next_item()
    servant = PlacementTest(real_bank, Group.CONG_CHUC).next_item()
    assert citizen is not None and servant is not None
    assert citizen.difficulty < servant.difficulty


def test_next_item_has_maximum_information_among_unasked(real_bank: list[QuizItem]) -> None:
    session = PlacementTest(real_bank, Group.HOC_SINH)
    rng = np.random.default_rng(1)
    while (item := session.next_item()) is not None:
        theta = session.estimate().theta
        unasked = [i for i in real_bank if i.id not in session.asked[:-1]]
        best = max(item_information(theta, i.difficulty) for i in unasked)
        assert item_information(theta, item.difficulty) >= best - DEFAULT_CONFIG.info_tolerance - 1e-12
        session.record(item.id, bool(rng.random() < 0.5))
    assert len(session.asked) == len(set(session.asked)) <= DEFAULT_CONFIG.max_items


def test_max_information_choice_agrees_with_catsim(real_bank: list[QuizItem]) -> None:
    catsim_irt = pytest.importorskip("catsim.irt")
    item_bank = pytest.importorskip("catsim.item_bank")
    selection = pytest.importorskip("catsim.selection")
    params = np.array([[1.0, i.difficulty, 0.0, 1.0] for i in real_bank])
    bank = item_bank.ItemBank(params)
    selector = selection.MaxInfoSelector()
    for theta in (-2.5, -0.7, 0.33, 1.9, 3.0):
        ours = select_item(real_bank, theta, Counter())
        theirs = real_bank[int(selector.select(item_bank=bank, administered_items=[], est_theta=theta))]
        assert item_information(theta, ours.difficulty) == pytest.approx(
            catsim_irt.inf(theta, 1.0, theirs.difficulty, 0.0, 1.0)
        )


def test_domain_placement_asks_only_that_domain(real_bank: list[QuizItem]) -> None:
    session = PlacementTest(real_bank, Group.LAO_DONG, domain=5)
    rng = np.random.default_rng(2)
    while (item := session.next_item()) is not None:
        assert item.domain == 5
        session.record(item.id, bool(rng.random() < rasch_p(0.0, item.difficulty)))
    result = session.result()
    assert set(result.domains) == {5} and result.domains[5].n_items == result.n_items <= 15


def test_clear_beginner_stops_early_at_co_ban(real_bank: list[QuizItem]) -> None:
    session = PlacementTest(real_bank, Group.NGUOI_DAN)
    while (item := session.next_item()) is not None:
        session.record(item.id, False)
    result = session.result()
    assert result.level is Level.CO_BAN
    assert DEFAULT_CONFIG.min_items <= result.n_items < DEFAULT_CONFIG.max_items


def test_domain_estimates_follow_the_domains_own_answers(real_bank: list[QuizItem]) -> None:
    session = PlacementTest(real_bank, Group.CONG_CHUC)
    while (item := session.next_item()) is not None:
        session.record(item.id, item.domain != 4)  # fails every safety question, passes the rest
    result = session.result()
    assert result.domains[4].n_items > 0
    assert result.domains[4].theta < result.theta
    others = [e for d, e in result.domains.items() if d != 4 and e.n_items > 0]
    assert others and all(e.theta > result.domains[4].theta for e in others)
    assert sum(e.n_items for e in result.domains.values()) == result.n_items


def test_state_round_trip_rebuilds_an_identical_session(real_bank: list[QuizItem]) -> None:
    live = PlacementTest(real_bank, "hoc-sinh")
    for correct in (True, True, False, True):
        item = live.next_item()
        assert item is not None
        live.record(item.id, correct)
    clone = PlacementTest.resume(real_bank, live.state)
    while (item := live.next_item()) is not None:
        assert clone.next_item() == item
        live.record(item.id, True)
        clone.record(item.id, True)
    assert clone.next_item() is None and clone.result() == live.result()


# -- bad input --------------------------------------------------------------------------------------------


def test_answering_an_item_that_was_never_asked_is_refused(real_bank: list[QuizItem]) -> None:
    session = PlacementTest(real_bank, Group.NGUOI_DAN)
    asked = session.next_item()
    assert asked is not None
    other = next(i for i in real_bank if i.id != asked.id)
    with pytest.raises(ItemNotAskedError) as err:
        session.answer(other.id, 0)
    assert err.value.http_status == 409 and "chưa được hỏi" in str(err.value)
    assert session.responses == []


def test_answering_the_same_item_twice_is_refused(real_bank: list[QuizItem]) -> None:
    session = PlacementTest(real_bank, Group.NGUOI_DAN)
    item = session.next_item()
    assert item is not None
    assert session.answer(item.id, item.answer) is True
    with pytest.raises(ItemNotAskedError, match="đã được trả lời"):
        session.answer(item.id, item.answer)


def test_option_outside_the_question_is_refused(real_bank: list[QuizItem]) -> None:
    session = PlacementTest(real_bank, Group.NGUOI_DAN)
    item = session.next_item()
    assert item is not None
    with pytest.raises(InvalidAnswerError) as err:
        session.answer(item.id, len(item.options))
    assert err.value.http_status == 422 and session.pending == item


def test_finished_placement_refuses_answers_and_resume(real_bank: list[QuizItem]) -> None:
    session = PlacementTest(real_bank, Group.NGUOI_DAN)
    while (item := session.next_item()) is not None:
        session.record(item.id, False)
    state = session.state
    assert state.finished
    with pytest.raises(PlacementFinishedError) as err:
        PlacementTest.resume(real_bank, state)
    assert err.value.http_status == 409 and "kết thúc" in str(err.value)
    unasked = next(i for i in real_bank if i.id not in session.asked)
    with pytest.raises(PlacementFinishedError):
        session.answer(unasked.id, 0)


def test_result_before_the_end_is_refused(real_bank: list[QuizItem]) -> None:
    session = PlacementTest(real_bank, Group.NGUOI_DAN)
    session.next_item()
    with pytest.raises(PlacementNotFinishedError):
        session.result()


def test_unknown_group_is_refused_in_vietnamese(real_bank: list[QuizItem]) -> None:
    with pytest.raises(UnknownGroupError) as err:
        PlacementTest(real_bank, "nong-dan")
    assert err.value.http_status == 422 and "Nhóm 'nong-dan' không có" in str(err.value)


def test_domain_outside_the_framework_is_refused(real_bank: list[QuizItem]) -> None:
    with pytest.raises(LearnerInputError):
        PlacementTest(real_bank, Group.NGUOI_DAN, domain=9)


def test_saved_state_with_items_missing_from_the_bank_is_refused(real_bank: list[QuizItem]) -> None:
    state = PlacementState(Group.NGUOI_DAN, None, asked=("cau-da-xoa",), responses=(True,))
    with pytest.raises(PlacementStateError):
        PlacementTest.resume(real_bank, state)
    broken = PlacementState(Group.NGUOI_DAN, None, asked=(real_bank[0].id,), responses=(True, False))
    with pytest.raises(PlacementStateError):
        PlacementTest.resume(real_bank, broken)
