"""Simulated learners with known ability answer by the Rasch model: how often does placement find their level?

Who is simulated: the same number of learners at each level, ability uniform over the level's band (the outer
bands stop at THETA_MIN / THETA_MAX, 0.8 logit below the easiest item and 0.5 above the hardest), and every
level is crossed with every group, so each group prior meets learners of every level. Equal numbers per level
rather than draws from the group priors: the priors are guesses, not data, and a population drawn from them
would let the prior grade itself; equal numbers also give every level the same weight in "right level".

What is scored: the level the learner is shown (`result.level`) and the six domain levels the store keeps and
the learning path uses (`result.domains`). A simulated learner has one ability, so the right level is the same
in every domain. Learners within INDIFFERENCE of a cut are left out of the headline figure: that is the
indifference region of classification testing, where a learner is almost as much in one level as the next
and any 15-item test is close to a coin toss. The figures with nothing left out are asserted too.

Why the real bank stays below 85% (about 82%): its levels are narrow. The expert difficulties make Trung cấp
1.45 and Nâng cao 1.3 logits wide, and 15 Rasch items measure with SE >= 1/sqrt(15 * 0.25) = 0.52. An oracle
that gives every learner 15 items at exactly their own ability, the most information 15 Rasch items can carry,
places the same ~82%, and the adaptive test matches it; more items in the bank cannot change that. The
synthetic bank shows the same algorithm above 85% when levels are 2 logits wide, as the measurement
literature assumes. How wide the bank's levels really are can only come from calibrating the items on real
answers. Run with `-s` for the tables.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np
import pytest

from tutor.learner.placement import (
    DEFAULT_CONFIG,
    GROUP_PRIOR_MEAN,
    PlacementConfig,
    PlacementTest,
    level_for_theta,
    most_probable_level,
    rasch_p,
)
from tutor.learner.quizbank import QuizItem
from tutor.types import Group, Level

LEARNERS = 1200  # a multiple of 16 (4 levels x 4 groups); ±2.2 points is the 95% interval around 85%
MANY = 4000
BROAD = (-2.0, 0.0, 2.0)
THETA_MIN, THETA_MAX = -3.0, 3.5
INDIFFERENCE = 0.25


@dataclass(frozen=True)
class SimReport:
    accuracy: dict[Level, float]
    overall: float
    #: Share of (learner, domain) pairs whose domain level is right.
    domains: float
    mean_items: float
    max_items: int
    #: Accuracy of the oracle on the same learners, when computed.
    oracle: float | None = None

    def table(self, title: str) -> str:
        levels = " ".join(f"{lvl.label}={acc:.1%}" for lvl, acc in self.accuracy.items())
        return (
            f"{title}: overall={self.overall:.1%} domains={self.domains:.1%} | {levels} | "
            f"items mean={self.mean_items:.1f} max={self.max_items}"
        )


def population(
    n: int, cuts: tuple[float, float, float], margin: float, seed: int, theta_range: tuple[float, float]
) -> list[tuple[float, Group]]:
    """(ability, group) pairs: level k % 4, group (k // 4) % 4, ability uniform in the band minus `margin`."""
    rng = np.random.default_rng(seed)
    edges = [theta_range[0], *cuts, theta_range[1]]
    groups = list(Group)
    out = []
    for k in range(n):
        band = k % 4
        lo = edges[band] + (margin if band > 0 else 0.0)
        hi = edges[band + 1] - (margin if band < 3 else 0.0)
        out.append((float(rng.uniform(lo, hi)), groups[(k // 4) % len(groups)]))
    return out


def simulate(
    bank: list[QuizItem],
    config: PlacementConfig,
    *,
    margin: float,
    seed: int,
    learners: int = LEARNERS,
    theta_range: tuple[float, float] = (THETA_MIN, THETA_MAX),
    domain: int | None = None,
) -> SimReport:
    rng = np.random.default_rng(seed + 1)
    cuts = config.boundaries
    hits: dict[Level, list[bool]] = defaultdict(list)
    domain_hits: list[bool] = []
    lengths: list[int] = []
    for theta, group in population(learners, cuts, margin, seed, theta_range):
        session = PlacementTest(bank, group, domain=domain, config=config)
        while (item := session.next_item()) is not None:
            session.record(item.id, bool(rng.random() < rasch_p(theta, item.difficulty)))
        result = session.result()
        truth = level_for_theta(theta, cuts)
        hits[truth].append(result.level is truth)
        domain_hits.extend(est.level is truth for est in result.domains.values())
        lengths.append(result.n_items)
    accuracy = {lvl: float(np.mean(hits[lvl])) for lvl in Level}
    overall = float(np.mean([h for v in hits.values() for h in v]))
    return SimReport(accuracy, overall, float(np.mean(domain_hits)), float(np.mean(lengths)), max(lengths))


def oracle(
    config: PlacementConfig,
    *,
    margin: float,
    seed: int,
    learners: int = LEARNERS,
    theta_range: tuple[float, float] = (THETA_MIN, THETA_MAX),
) -> float:
    """Accuracy when every learner gets `max_items` items at exactly their own ability, classified as in production."""
    rng = np.random.default_rng(seed + 1)
    n = config.max_items
    right = []
    for theta, group in population(learners, config.boundaries, margin, seed, theta_range):
        answers = list(rng.random(n) < 0.5)  # p = 0.5 on an item at the learner's own ability
        level = most_probable_level([theta] * n, answers, GROUP_PRIOR_MEAN[group], config.prior_sd, config.boundaries)
        right.append(level is level_for_theta(theta, config.boundaries))
    return float(np.mean(right))


def synthetic_bank(n: int = 600, lo: float = -4.0, hi: float = 4.0, seed: int = 1) -> list[QuizItem]:
    """Rasch items with difficulties uniform over [lo, hi], spread over the 6 domains."""
    rng = np.random.default_rng(seed)
    items = []
    for k in range(n):
        b = round(float(rng.uniform(lo, hi)), 2)
        domain = int(rng.integers(1, 7))
        items.append(
            QuizItem(
                id=f"syn-{k:04d}",
                lesson_id=f"syn-{domain}",
                stem="Câu hỏi mô phỏng?",
                options=("đúng", "sai"),
                answer=0,
                explanation="mô phỏng",
                competence=f"{domain}.1",
                domain=domain,
                level=level_for_theta(b),
                difficulty=b,
            )
        )
    return items


def test_population_crosses_every_group_with_every_level() -> None:
    people = population(LEARNERS, DEFAULT_CONFIG.boundaries, INDIFFERENCE, 1, (THETA_MIN, THETA_MAX))
    cells: dict[tuple[Level, Group], int] = defaultdict(int)
    for theta, group in people:
        level = level_for_theta(theta)
        cells[level, group] += 1
        cut_distance = min(abs(theta - cut) for cut in DEFAULT_CONFIG.boundaries)
        assert cut_distance >= INDIFFERENCE and THETA_MIN <= theta <= THETA_MAX
    assert set(cells.values()) == {LEARNERS // 16} and len(cells) == 16


@pytest.fixture(scope="module")
def real_report(real_bank: list[QuizItem]) -> SimReport:
    report = simulate(real_bank, DEFAULT_CONFIG, margin=INDIFFERENCE, seed=2026)
    best = oracle(DEFAULT_CONFIG, margin=INDIFFERENCE, seed=2026)
    print(f"\n{report.table(f'real bank, ±{INDIFFERENCE} excluded, {LEARNERS} learners')} | oracle={best:.1%}")
    return replace(report, oracle=best)


def test_real_bank_places_learners_outside_the_indifference_region(real_report: SimReport) -> None:
    assert real_report.max_items <= 15
    assert real_report.overall >= 0.80 and real_report.domains >= 0.79
    assert real_report.accuracy[Level.CO_BAN] >= 0.89 and real_report.accuracy[Level.CHUYEN_SAU] >= 0.79
    assert min(real_report.accuracy.values()) >= 0.70
    # As good as giving everyone 15 items at their own ability: item choice and stopping lose nothing that
    # matters; the width of the levels is what keeps the real bank below 85%.
    assert real_report.oracle is not None and real_report.overall >= real_report.oracle - 0.02


@pytest.mark.xfail(strict=True, reason="the bank's levels are 1.3-1.45 logits wide; see the module docstring")
def test_real_bank_reaches_85_percent(real_report: SimReport) -> None:
    # The target, kept visible: it fails today (about 82%, the oracle's figure). If it starts passing,
    # strict xfail fails the suite so that this marker is removed and the thresholds above are raised.
    assert real_report.overall >= 0.85


def test_real_bank_places_learners_including_the_indifference_region(real_bank: list[QuizItem]) -> None:
    report = simulate(real_bank, DEFAULT_CONFIG, margin=0.0, seed=11, learners=800)
    print(f"\n{report.table('real bank, nothing excluded, 800 learners')}")
    assert report.max_items <= 15
    assert report.overall >= 0.73 and report.domains >= 0.72


def test_synthetic_bank_with_broad_levels_reaches_85_percent() -> None:
    broad = replace(DEFAULT_CONFIG, boundaries=BROAD)
    report = simulate(synthetic_bank(), broad, margin=INDIFFERENCE, seed=2026, theta_range=(-4.0, 4.0))
    print("\n" + report.table(f"synthetic bank, 2-logit levels, ±{INDIFFERENCE} excluded, {LEARNERS} learners"))
    assert report.max_items <= 15
    assert report.overall >= 0.85 and report.domains >= 0.84
    assert min(report.accuracy.values()) >= 0.78


@pytest.mark.parametrize("domain", range(1, 7))
def test_single_domain_placement_is_as_good_in_every_domain(real_bank: list[QuizItem], domain: int) -> None:
    # A placement restricted to one domain asks only that domain's items, so a thin domain or one without hard
    # items shows here: with 15-19 items, domains 1, 3 and 6 placed under 80% of these learners.
    report = simulate(real_bank, DEFAULT_CONFIG, margin=INDIFFERENCE, seed=300 + domain, learners=800, domain=domain)
    print(f"\n{report.table(f'domain {domain} only, ±{INDIFFERENCE} excluded, 800 learners')}")
    assert report.max_items <= 15
    assert report.overall >= 0.80
    assert report.accuracy[Level.CHUYEN_SAU] >= 0.80


@pytest.mark.slow
def test_real_bank_many_learners(real_bank: list[QuizItem]) -> None:
    for margin, seed in ((INDIFFERENCE, 99), (0.0, 98)):
        report = simulate(real_bank, DEFAULT_CONFIG, margin=margin, seed=seed, learners=MANY)
        best = oracle(DEFAULT_CONFIG, margin=margin, seed=seed, learners=MANY)
        print(f"\n{report.table(f'real bank, ±{margin} excluded, {MANY} learners')} | oracle={best:.1%}")
        assert report.max_items <= 15
        assert report.overall >= best - 0.02


@pytest.mark.slow
def test_synthetic_bank_with_broad_levels_reaches_85_percent_on_every_level() -> None:
    broad = replace(DEFAULT_CONFIG, boundaries=BROAD)
    report = simulate(synthetic_bank(), broad, margin=INDIFFERENCE, seed=99, learners=MANY, theta_range=(-4.0, 4.0))
    print("\n" + report.table(f"synthetic bank, 2-logit levels, ±{INDIFFERENCE} excluded, {MANY} learners"))
    assert report.max_items <= 15
    assert min(report.accuracy.values()) >= 0.84 and report.overall >= 0.87


@pytest.mark.slow
def test_synthetic_bank_with_the_production_levels_matches_the_real_bank(real_bank: list[QuizItem]) -> None:
    synthetic = simulate(synthetic_bank(), DEFAULT_CONFIG, margin=INDIFFERENCE, seed=99, learners=MANY)
    real = simulate(real_bank, DEFAULT_CONFIG, margin=INDIFFERENCE, seed=99, learners=MANY)
    print("\n" + synthetic.table(f"synthetic bank, production levels, ±{INDIFFERENCE} excluded, {MANY} learners"))
    assert synthetic.max_items <= 15
    # A bank with items at every difficulty does no better: the level widths, not the bank's items, limit accuracy.
    assert abs(synthetic.overall - real.overall) <= 0.03
