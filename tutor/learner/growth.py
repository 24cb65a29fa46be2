"""Domain levels keep learning: each practice answer updates the domain's ability, and a level change says why."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from tutor.learner.path import DOMAIN_NAMES
from tutor.learner.placement import LEVEL_BOUNDARIES, eap, level_probabilities
from tutor.types import Level

PRACTICE, PLACEMENT = "practice", "placement"


@dataclass(frozen=True)
class GrowthConfig:
    """How far one practice answer moves a domain's ability; the defaults are argued in the field comments."""

    #: Learners learn, so yesterday's estimate is less certain today: before each answer the ability's SD grows
    #: by this (a random-walk prior, as in Glicko). With 0.1 the SD settles near 0.3 after many answers instead
    #: of shrinking to nothing, so a learner who has improved can still move up.
    drift_sd: float = 0.1
    #: The level changes only when another level is at least this likely. At 0.5 a learner sitting on a boundary
    #: flipped level with every right-wrong pair (tests/learner/test_growth.py); 0.7 asks for a few answers more.
    switch_probability: float = 0.7
    boundaries: tuple[float, float, float] = LEVEL_BOUNDARIES


DEFAULT_GROWTH = GrowthConfig()


@dataclass(frozen=True)
class DomainUpdate:
    theta: float
    se: float
    level: Level

    def changed(self, before: Level) -> bool:
        return self.level is not before


@dataclass(frozen=True)
class LevelChange:
    """A domain's level moved: by practice or by a new placement, with the reason shown to the learner."""

    domain: int
    old: Level
    new: Level
    source: str
    reason: str
    at: dt.datetime | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "from": self.old.value,
            "to": self.new.value,
            "source": self.source,
            "reason": self.reason,
        }

    @classmethod
    def from_payload(cls, p: dict[str, Any], at: dt.datetime | None = None) -> LevelChange:
        return cls(int(p["domain"]), Level(p["from"]), Level(p["to"]), str(p["source"]), str(p["reason"]), at)


def update_domain(
    theta: float,
    se: float,
    level: Level,
    difficulty: float,
    correct: bool,
    config: GrowthConfig = DEFAULT_GROWTH,
) -> DomainUpdate:
    """Bayes' rule with one Rasch answer: prior N(theta, se² + drift²), the same grid and levels as placement."""
    prior_sd = math.hypot(se, config.drift_sd)
    est = eap([difficulty], [correct], theta, prior_sd)
    probs = level_probabilities([difficulty], [correct], theta, prior_sd, config.boundaries)
    best = max(probs, key=lambda lvl: probs[lvl])
    new_level = best if best is not level and probs[best] >= config.switch_probability else level
    return DomainUpdate(est.theta, est.se, new_level)


def _domain_name(domain: int) -> str:
    return DOMAIN_NAMES.get(domain, f"lĩnh vực {domain}")


def practice_change(domain: int, old: Level, new: Level, right: int, total: int) -> LevelChange:
    """E.g. "Cơ bản → Trung cấp sau 5 câu luyện tập đúng (trên 6 câu) về An toàn"."""
    if _rank(new) > _rank(old):
        what = f"sau {right} câu luyện tập đúng (trên {total} câu)"
    else:
        what = f"sau {total - right} câu luyện tập sai (trên {total} câu)"
    reason = f"{old.label} → {new.label} {what} về {_domain_name(domain)}."
    return LevelChange(domain, old, new, PRACTICE, reason)


def placement_change(domain: int, old: Level, new: Level, n_items: int) -> LevelChange:
    reason = f"{old.label} → {new.label} sau bài xếp lớp mới ({n_items} câu) về {_domain_name(domain)}."
    return LevelChange(domain, old, new, PLACEMENT, reason)


def _rank(level: Level) -> int:
    return list(Level).index(level)
