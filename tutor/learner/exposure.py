"""Item exposure control: randomesque choice in placement, equal-exposure draws for the certificate test."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import TypeVar

import numpy as np

from tutor.learner.errors import PlacementFinishedError
from tutor.learner.quizbank import QuizItem

T = TypeVar("T")

# Randomesque (Kingsbury & Zara, 1989) rather than Sympson-Hetter: it needs no exposure parameters tuned by
# simulation and kept in step with every bank version, and on this bank it already keeps every item within 12-17%
# of placements, against 50% with maximum information alone (eval/results/calibration.md). catsim 0.21's
# RandomesqueSelector does the same draw (it has no Sympson-Hetter), but needs its own item matrix and "administered"
# bookkeeping; the choice itself is three lines.


def randomesque_item(candidates: Iterable[QuizItem], theta: float, k: int, rng: random.Random) -> QuizItem:
    """One of the `k` most informative Rasch items at theta, each equally likely (ties in information by id)."""
    pool = list(candidates)
    if not pool:
        raise PlacementFinishedError("Không còn câu hỏi nào để hỏi.")
    b = np.fromiter((item.difficulty for item in pool), dtype=float, count=len(pool))
    p = 1.0 / (1.0 + np.exp(-(theta - b)))
    info = p * (1.0 - p)
    best = sorted(range(len(pool)), key=lambda j: (-float(info[j]), pool[j].id))[: max(1, k)]
    return pool[rng.choice(best)]


def systematic_sample(ordered: Sequence[T], n: int, rng: random.Random) -> list[T]:
    """`n` of `ordered`, each included with probability exactly n/len: a random start, then every len/n-th.

    Sorting the list by a stratum (competence) first spreads the draw over the strata, as systematic sampling
    does, without giving a small stratum's items a higher chance than the rest (which round-robin over
    competences did: a competence with one item put that item in every test).
    """
    size = len(ordered)
    if not 0 <= n <= size:
        raise ValueError(f"cannot draw {n} of {size}")
    if n == 0:
        return []
    step = size / n
    start = rng.random() * step
    return [ordered[int(start + k * step)] for k in range(n)]


def exposure_rates(draws: Iterable[Iterable[str]]) -> dict[str, float]:
    """item id -> share of the draws (tests) that showed it."""
    counts: dict[str, int] = {}
    total = 0
    for draw in draws:
        total += 1
        for item_id in set(draw):
            counts[item_id] = counts.get(item_id, 0) + 1
    return {item_id: c / total for item_id, c in counts.items()} if total else {}
