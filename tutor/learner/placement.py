"""Adaptive placement: Rasch (1PL) EAP estimation, max-information item choice, stopping, most probable level."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from tutor.learner.errors import (
    InvalidAnswerError,
    ItemNotAskedError,
    LearnerInputError,
    PlacementFinishedError,
    PlacementNotFinishedError,
    PlacementStateError,
    UnknownGroupError,
)
from tutor.learner.exposure import randomesque_item
from tutor.learner.quizbank import QuizItem
from tutor.types import Group, Level

# Implemented with numpy rather than catsim: catsim 0.21 runs here and its MaxInfoSelector agrees with
# `select_item` (tests/learner/test_placement.py checks it), but its estimator is maximum likelihood only (no
# prior: no group prior, no posterior SD for the stopping rule, a heuristic jump after all-right answers),
# restricting items to a domain or balancing domains means faking "administered" items, and it would pull
# matplotlib and scikit-learn into the runtime. Rasch EAP by quadrature is a few lines of numpy.

#: Cut points on the logit scale between Cơ bản | Trung cấp | Nâng cao | Chuyên sâu. They sit in the gaps
#: between the expert difficulty bands of the bank (co-ban items -2.2..-0.6, trung-cap -0.5..0.8,
#: nang-cao 1.0..2.0, chuyen-sau 2.4..3.0), so an item's level is the level of a learner at its difficulty
#: (tests/learner/test_placement.py checks every item): a learner at a cut answers the hardest items of the
#: level below, and the easiest of the level above, half the time. Trung cấp and Nâng cao are therefore only
#: 1.45 and 1.3 logits wide; with 15 Rasch items (SE >= 0.52) that width, not the item choice, caps how often
#: placement finds the level (tests/learner/test_placement_sim.py). Wider levels need calibrated difficulties.
LEVEL_BOUNDARIES: tuple[float, float, float] = (-0.55, 0.9, 2.2)
_LEVELS = (Level.CO_BAN, Level.TRUNG_CAP, Level.NANG_CAO, Level.CHUYEN_SAU)

#: Prior mean ability per group (logits). Ordinary citizens include many elderly and first-time smartphone
#: users, so their prior sits in Cơ bản; workers a little higher; pupils/students and civil servants use
#: digital tools daily, so their prior sits in Trung cấp. The prior SD (PlacementConfig.prior_sd = 2.5) is
#: deliberately weak, worth about one answer: it picks the first question and little else. With SD 1.2 the
#: prior pulled able learners down and only ~50% of simulated Chuyên sâu learners were placed correctly.
GROUP_PRIOR_MEAN: dict[Group, float] = {
    Group.NGUOI_DAN: -0.8,
    Group.LAO_DONG: -0.3,
    Group.HOC_SINH: 0.2,
    Group.CONG_CHUC: 0.2,
}

_GRID = np.linspace(-6.0, 6.0, 241)


@dataclass(frozen=True)
class PlacementConfig:
    """Stopping and estimation settings; the defaults follow FRAMEWORKS.md (10-15 items, stop at ~2 SE)."""

    max_items: int = 15
    #: Never stop on the prior alone: at least this many answers.
    min_items: int = 5
    #: Stop when the posterior SD falls below this.
    se_target: float = 0.45
    #: ... or when the estimate is this many SE away from the nearest level boundary.
    boundary_z: float = 2.0
    prior_sd: float = 2.5
    #: SD of a domain's ability around the learner's overall ability (for per-domain estimates).
    domain_spread: float = 0.5
    #: Items whose information is within this of the best count as tied; ties go to the least-asked domain
    #: (content balancing). 0.005 keeps every pick within ~2% of the maximum information.
    info_tolerance: float = 0.005
    boundaries: tuple[float, float, float] = LEVEL_BOUNDARIES
    #: Exposure control (tutor.learner.exposure): pick at random among this many most informative items; 1 is pure
    #: maximum information, which showed one item to 55% of simulated placements.
    randomesque: int = 1


DEFAULT_CONFIG = PlacementConfig()
#: What learners get: randomesque over the 5 best items (eval/results/calibration.md has the exposure figures).
SERVING_CONFIG = replace(DEFAULT_CONFIG, randomesque=5)


@dataclass(frozen=True)
class Estimate:
    theta: float
    se: float


@dataclass(frozen=True)
class DomainEstimate:
    domain: int
    theta: float
    se: float
    level: Level
    #: Answers from this domain; 0 means the estimate comes from the other domains only.
    n_items: int


@dataclass(frozen=True)
class PlacementResult:
    group: Group
    domain: int | None
    theta: float
    se: float
    level: Level
    n_items: int
    domains: dict[int, DomainEstimate]

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group.value,
            "domain": self.domain,
            "theta": round(self.theta, 3),
            "se": round(self.se, 3),
            "level": self.level.value,
            "n_items": self.n_items,
            "domains": {
                str(d): {"theta": round(e.theta, 3), "se": round(e.se, 3), "level": e.level.value, "n_items": e.n_items}
                for d, e in sorted(self.domains.items())
            },
        }


@dataclass(frozen=True)
class PlacementState:
    """Everything needed to resume a placement: the store persists exactly this."""

    group: Group
    domain: int | None
    asked: tuple[str, ...] = ()
    responses: tuple[bool, ...] = ()
    finished: bool = False
    theta: float | None = None
    se: float | None = None
    #: The bank version whose difficulties this placement uses (0: the difficulties written in corpus/quiz/).
    bank_version: int = 0


def rasch_p(theta: float | npt.NDArray[np.float64], b: float | npt.NDArray[np.float64]) -> Any:
    """Probability of a correct answer under the Rasch model."""
    return 1.0 / (1.0 + np.exp(-(np.asarray(theta) - np.asarray(b))))


def item_information(theta: float, b: float | npt.NDArray[np.float64]) -> Any:
    """Fisher information p(1-p) of Rasch items at ability theta."""
    p = rasch_p(theta, b)
    return p * (1.0 - p)


def posterior(difficulties: Sequence[float], responses: Sequence[bool], prior_mean: float, prior_sd: float) -> Any:
    """Posterior weights of ability on the fixed grid `_GRID` (normal prior times the Rasch likelihood)."""
    log_post = -0.5 * ((_GRID - prior_mean) / prior_sd) ** 2
    if difficulties:
        b = np.asarray(difficulties, dtype=float)[:, None]
        wrong = 1.0 - np.asarray(responses, dtype=float)[:, None]
        z = _GRID[None, :] - b
        # log p = -log(1+e^-z) (logaddexp keeps it finite) and log(1-p) = log p - z: one transcendental, not two.
        log_post = log_post + np.sum(-np.logaddexp(0.0, -z) - wrong * z, axis=0)
    w = np.exp(log_post - log_post.max())
    return w / w.sum()


def _summary(w: npt.NDArray[np.float64]) -> Estimate:
    mean = float(np.dot(w, _GRID))
    return Estimate(theta=mean, se=float(np.sqrt(np.dot(w, (_GRID - mean) ** 2))))


def _level_mass(w: npt.NDArray[np.float64], boundaries: Sequence[float]) -> Any:
    band = np.searchsorted(np.asarray(boundaries, dtype=float), _GRID, side="right")  # same `>=` as level_for_theta
    return np.bincount(band, weights=w, minlength=len(_LEVELS))


def _most_probable(w: npt.NDArray[np.float64], boundaries: Sequence[float]) -> Level:
    # argmax takes the first of equal masses: an exact tie goes to the lower level.
    return _LEVELS[int(np.argmax(_level_mass(w, boundaries)))]


def eap(difficulties: Sequence[float], responses: Sequence[bool], prior_mean: float, prior_sd: float) -> Estimate:
    """Expected a posteriori ability and posterior SD, by quadrature on a fixed grid."""
    return _summary(posterior(difficulties, responses, prior_mean, prior_sd))


def level_probabilities(
    difficulties: Sequence[float],
    responses: Sequence[bool],
    prior_mean: float,
    prior_sd: float,
    boundaries: Sequence[float] = LEVEL_BOUNDARIES,
) -> dict[Level, float]:
    """Posterior probability that the ability lies in each level's band (Cơ bản .. Chuyên sâu), summing to 1."""
    mass = _level_mass(posterior(difficulties, responses, prior_mean, prior_sd), boundaries)
    return {level: float(m) for level, m in zip(_LEVELS, mass, strict=True)}


def most_probable_level(
    difficulties: Sequence[float],
    responses: Sequence[bool],
    prior_mean: float,
    prior_sd: float,
    boundaries: Sequence[float] = LEVEL_BOUNDARIES,
) -> Level:
    """The level with the most posterior probability: the Bayes choice when every wrong level costs the same.

    It differs from the level of the point estimate when the posterior is skewed (after a run of all-right or
    all-wrong answers) or straddles a narrow level.
    """
    return _most_probable(posterior(difficulties, responses, prior_mean, prior_sd), boundaries)


def level_for_theta(theta: float, boundaries: Sequence[float] = LEVEL_BOUNDARIES) -> Level:
    return _LEVELS[sum(theta >= cut for cut in boundaries)]


def parse_group(group: Group | str) -> Group:
    return Group.parse(group, UnknownGroupError, "Nhóm")


def _check_domain(domain: int | None) -> int | None:
    if domain is not None and not 1 <= domain <= 6:
        raise LearnerInputError(f"Lĩnh vực {domain} không có trong khung năng lực (chọn từ 1 đến 6).")
    return domain


class PlacementTest:
    """One adaptive test. Call `next_item()`, then `answer()` that item, until `next_item()` returns None.

    With `domain=None` the test draws from the whole bank and `result().domains` gives one estimate per
    domain: each domain's prior is the estimate from the *other* domains' answers (widened by
    `domain_spread`), updated with that domain's own answers. With a domain, only its items are asked.
    """

    def __init__(
        self,
        bank: Sequence[QuizItem],
        group: Group | str,
        domain: int | None = None,
        config: PlacementConfig = DEFAULT_CONFIG,
        asked: Sequence[str] = (),
        responses: Sequence[bool] = (),
        rng: random.Random | None = None,
        bank_version: int = 0,
    ) -> None:
        self.group = parse_group(group)
        self.bank_version = bank_version
        # Only the randomesque choice draws from it; the chosen item is saved, so a resume needs no seed.
        self._rng = rng or random.Random()
        self.domain = _check_domain(domain)
        self.config = config
        self.asked = list(asked)
        self.responses = [bool(r) for r in responses]
        self._by_id = {item.id: item for item in bank}
        self._pool = [item for item in bank if self.domain is None or item.domain == self.domain]
        self._cache: tuple[int, Estimate] | None = None
        if not self._pool:
            raise LearnerInputError(f"Ngân hàng câu hỏi không có câu nào cho lĩnh vực {self.domain}.")
        missing = [i for i in self.asked if i not in self._by_id]
        if missing:
            raise PlacementStateError(
                f"Bài xếp lớp đã lưu có câu không còn trong ngân hàng ({', '.join(missing)}); hãy làm lại bài mới."
            )
        if len(set(self.asked)) != len(self.asked) or len(self.responses) not in (len(self.asked), len(self.asked) - 1):
            raise PlacementStateError("Bài xếp lớp đã lưu bị hỏng (câu hỏi và câu trả lời không khớp); hãy làm lại.")

    @classmethod
    def resume(
        cls,
        bank: Sequence[QuizItem],
        state: PlacementState,
        config: PlacementConfig = DEFAULT_CONFIG,
        rng: random.Random | None = None,
    ) -> PlacementTest:
        if state.finished:
            raise PlacementFinishedError("Bài xếp lớp này đã kết thúc; xem kết quả hoặc bắt đầu bài mới.")
        return cls(bank, state.group, state.domain, config, state.asked, state.responses, rng, state.bank_version)

    # -- state -------------------------------------------------------------------------------------------

    @property
    def prior_mean(self) -> float:
        return GROUP_PRIOR_MEAN[self.group]

    @property
    def pending(self) -> QuizItem | None:
        """The item asked but not yet answered."""
        return self._by_id[self.asked[-1]] if len(self.asked) > len(self.responses) else None

    def estimate(self) -> Estimate:
        """EAP ability and posterior SD from the answers so far (the group prior alone before any answer)."""
        n = len(self.responses)
        if self._cache is None or self._cache[0] != n:
            answered = self.asked[:n]
            b = [self._by_id[i].difficulty for i in answered]
            self._cache = (n, eap(b, self.responses, self.prior_mean, self.config.prior_sd))
        return self._cache[1]

    def _eligible(self) -> list[QuizItem]:
        asked = set(self.asked)
        return [item for item in self._pool if item.id not in asked]

    def should_stop(self) -> bool:
        """The stopping rule, evaluated on the answers so far (a pending item is never abandoned)."""
        if self.pending is not None:
            return False
        n = len(self.responses)
        if n >= self.config.max_items or len(self.asked) >= len(self._pool):
            return True
        if n < self.config.min_items:
            return False
        est = self.estimate()
        distance = min(abs(est.theta - cut) for cut in self.config.boundaries)
        return est.se < self.config.se_target or distance >= self.config.boundary_z * est.se

    @property
    def finished(self) -> bool:
        return self.should_stop()

    @property
    def state(self) -> PlacementState:
        est = self.estimate()
        asked, responses, done = tuple(self.asked), tuple(self.responses), self.finished
        return PlacementState(self.group, self.domain, asked, responses, done, est.theta, est.se, self.bank_version)

    # -- steps -------------------------------------------------------------------------------------------

    def next_item(self) -> QuizItem | None:
        """The item to show now (the pending one again after a resume), or None when the test is over."""
        if (pending := self.pending) is not None:
            return pending
        if self.should_stop():
            return None
        eligible, theta = self._eligible(), self.estimate().theta
        if self.config.randomesque > 1:
            item = randomesque_item(eligible, theta, self.config.randomesque, self._rng)
        else:
            item = select_item(eligible, theta, self._domain_counts(), self.config.info_tolerance)
        self.asked.append(item.id)
        return item

    def answer(self, item_id: str, choice: int) -> bool:
        """Record the learner's chosen option (0-based) for the pending item; returns whether it was right."""
        item = self._expect_pending(item_id)
        if not 0 <= choice < len(item.options):
            raise InvalidAnswerError(
                f"Câu {item_id} chỉ có {len(item.options)} phương án (từ 0 đến {len(item.options) - 1})."
            )
        correct = item.is_correct(choice)
        self.responses.append(correct)
        return correct

    def record(self, item_id: str, correct: bool) -> None:
        """Record an already-graded answer for the pending item (simulations, other front ends)."""
        self._expect_pending(item_id)
        self.responses.append(bool(correct))

    def _expect_pending(self, item_id: str) -> QuizItem:
        pending = self.pending
        if pending is not None and pending.id == item_id:
            return pending
        if item_id in self.asked:
            raise ItemNotAskedError(f"Câu {item_id} đã được trả lời rồi; hãy trả lời câu đang hỏi.")
        if pending is None and self.should_stop():
            raise PlacementFinishedError("Bài xếp lớp đã kết thúc; không nhận thêm câu trả lời.")
        raise ItemNotAskedError(f"Câu {item_id} chưa được hỏi trong bài xếp lớp này; hãy trả lời câu đang hỏi.")

    def _domain_counts(self) -> Counter[int]:
        return Counter(self._by_id[i].domain for i in self.asked)

    # -- result ------------------------------------------------------------------------------------------

    def result(self) -> PlacementResult:
        if not self.finished:
            raise PlacementNotFinishedError("Bài xếp lớp chưa xong; hãy trả lời tiếp các câu hỏi.")
        est = self.estimate()
        n = len(self.responses)
        b = [self._by_id[i].difficulty for i in self.asked[:n]]
        level = most_probable_level(b, self.responses, self.prior_mean, self.config.prior_sd, self.config.boundaries)
        if self.domain is not None:
            domains = {self.domain: DomainEstimate(self.domain, est.theta, est.se, level, n)}
        else:
            domains = {d: self._domain_estimate(d) for d in range(1, 7)}
        return PlacementResult(self.group, self.domain, est.theta, est.se, level, n, domains)

    def _domain_estimate(self, domain: int) -> DomainEstimate:
        answered = list(zip(self.asked[: len(self.responses)], self.responses, strict=True))
        inside = [(self._by_id[i].difficulty, r) for i, r in answered if self._by_id[i].domain == domain]
        outside = [(self._by_id[i].difficulty, r) for i, r in answered if self._by_id[i].domain != domain]
        rest = eap([b for b, _ in outside], [r for _, r in outside], self.prior_mean, self.config.prior_sd)
        prior_sd = float(np.hypot(rest.se, self.config.domain_spread))
        w = posterior([b for b, _ in inside], [r for _, r in inside], rest.theta, prior_sd)
        est = _summary(w)
        return DomainEstimate(domain, est.theta, est.se, _most_probable(w, self.config.boundaries), len(inside))


def select_item(
    candidates: Iterable[QuizItem], theta: float, domain_counts: Counter[int], tolerance: float = 0.0
) -> QuizItem:
    """Maximum Rasch information at theta; near-ties go to the least-asked domain, then the lowest id."""
    pool = list(candidates)
    if not pool:
        raise PlacementFinishedError("Không còn câu hỏi nào để hỏi.")
    info = item_information(theta, np.fromiter((item.difficulty for item in pool), dtype=float, count=len(pool)))
    tied = np.flatnonzero(info >= float(info.max()) - tolerance - 1e-12)
    best = min(tied, key=lambda k: (domain_counts[pool[k].domain], -float(info[k]), pool[k].id))
    return pool[int(best)]
