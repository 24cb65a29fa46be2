"""Exposure control: randomesque placement keeps every item under the cap; final tests draw items equally."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from tutor.learner.cert import GROUP_DOMAINS, build_final_test, final_test_exposure, final_test_pool
from tutor.learner.exposure import exposure_rates, randomesque_item, systematic_sample
from tutor.learner.placement import DEFAULT_CONFIG, SERVING_CONFIG, PlacementTest, item_information, rasch_p
from tutor.learner.quizbank import QuizItem
from tutor.types import Group

EXPOSURE_CAP = 0.25


def _placements(bank: list[QuizItem], n: int, seed: int, randomesque: bool) -> list[tuple[str, ...]]:
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    config = SERVING_CONFIG if randomesque else DEFAULT_CONFIG
    groups = list(Group)
    draws = []
    for k in range(n):
        theta = float(rng.uniform(-3.0, 3.5))
        session = PlacementTest(bank, groups[k % 4], config=config, rng=pick)
        while (item := session.next_item()) is not None:
            session.record(item.id, bool(rng.random() < rasch_p(theta, item.difficulty)))
        draws.append(tuple(session.asked))
    return draws


def test_randomesque_picks_only_among_the_most_informative_items(real_bank: list[QuizItem]) -> None:
    theta = 0.3
    info = {item.id: float(item_information(theta, item.difficulty)) for item in real_bank}
    top5 = sorted(info, key=lambda i: (-info[i], i))[:5]
    rng = random.Random(1)
    seen = Counter(randomesque_item(real_bank, theta, 5, rng).id for _ in range(500))
    assert set(seen) == set(top5)
    assert min(seen.values()) > 60  # each about 100 of 500


def test_randomesque_placement_keeps_every_item_under_the_cap(real_bank: list[QuizItem]) -> None:
    plain = exposure_rates(_placements(real_bank, 240, seed=5, randomesque=False))
    spread = exposure_rates(_placements(real_bank, 240, seed=5, randomesque=True))
    assert max(plain.values()) > EXPOSURE_CAP  # maximum information alone shows some items to most learners
    assert max(spread.values()) <= EXPOSURE_CAP
    assert len(spread) > len(plain)


def test_systematic_sample_gives_every_element_the_same_chance() -> None:
    rng = random.Random(3)
    population = list(range(19))
    counts = Counter(x for _ in range(19_000) for x in systematic_sample(population, 5, rng))
    assert all(abs(c / 19_000 - 5 / 19) < 0.015 for c in counts.values()) and len(counts) == 19
    with pytest.raises(ValueError):
        systematic_sample(population, 20, rng)


@pytest.mark.parametrize("group", list(Group))
def test_final_tests_show_each_item_as_often_as_the_pool_allows(real_bank: list[QuizItem], group: Group) -> None:
    tests = [build_final_test(real_bank, group, seed=f"hv:{k}") for k in range(1500)]
    observed = exposure_rates(t.item_ids for t in tests)
    expected = final_test_exposure(real_bank, group)
    assert set(observed) == set(expected)  # every eligible item is used
    for item_id, rate in expected.items():
        assert abs(observed[item_id] - rate) < 0.05, item_id
    smallest = min(len(final_test_pool(real_bank, group, d)) for d in GROUP_DOMAINS[group])
    assert max(observed.values()) <= 5 / smallest + 0.05
