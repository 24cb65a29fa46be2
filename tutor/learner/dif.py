"""Fairness audit: Mantel-Haenszel DIF (statsmodels) between groups and typing styles, with ETS A/B/C classes."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from tutor.learner.calibration import AnswerLog
from tutor.text import has_diacritics
from tutor.types import Group

WITH_MARKS, WITHOUT_MARKS = "co-dau", "khong-dau"
TYPING_LABELS = {WITH_MARKS: "gõ có dấu", WITHOUT_MARKS: "gõ không dấu"}
#: ETS converts the MH common odds ratio to its delta scale: Δ = −2.35 ln α (Holland & Thayer, 1988).
ETS_DELTA = -2.35


def typing_style(questions: Iterable[str], min_words: int = 3) -> str | None:
    """How a learner types, from the chat questions they asked: WITHOUT_MARKS when most of their questions of at
    least `min_words` words carry no Vietnamese diacritic, WITH_MARKS otherwise; None with no such question.

    Short messages ("ok", "VNeID") say nothing about a keyboard, so they are not counted. Questions are stored
    as typed (redacted only), so the marks are the learner's own.
    """
    long_ones = [q for q in questions if len(re.findall(r"[^\W\d_]+", q)) >= min_words]
    if not long_ones:
        return None
    without = sum(not has_diacritics(q) for q in long_ones)
    return WITHOUT_MARKS if without * 2 > len(long_ones) else WITH_MARKS


@dataclass(frozen=True)
class DifConfig:
    #: Ability strata for matching (quantiles of the learners' abilities).
    strata: int = 8
    #: Answers an item needs from each side before it is tested; with fewer the MH estimate is mostly noise.
    min_per_side: int = 30
    #: Significance level, applied after Benjamini-Hochberg over every test of the audit: with hundreds of
    #: items and five comparisons, an unadjusted 5% would flag dozens of fair items.
    alpha: float = 0.05


DEFAULT_DIF = DifConfig()


@dataclass(frozen=True)
class Comparison:
    """Focal learners against reference learners, e.g. nguoi-dan against the three other groups."""

    name: str
    focal: frozenset[str]
    reference: frozenset[str]


@dataclass(frozen=True)
class DifResult:
    item_id: str
    comparison: str
    n_focal: int
    n_reference: int
    #: Mantel-Haenszel common odds ratio (reference : focal); above 1 the item is harder for the focal learners.
    odds_ratio: float
    #: ETS delta; negative: harder for the focal learners than for reference learners of the same ability.
    delta: float
    delta_se: float
    p_value: float
    p_adjusted: float
    #: ETS class: A negligible, B moderate, C large.
    ets: str
    #: Class C and significant after the multiple-testing adjustment: a trainer should review the item.
    flagged: bool

    @property
    def harder_for(self) -> str:
        return "focal" if self.delta < 0 else "reference"


def comparisons(log: AnswerLog) -> list[Comparison]:
    """Each group against the other three, and learners typing without diacritics against those typing with."""
    out = []
    for group in Group:
        focal = frozenset(lid for lid, g in log.groups.items() if g is group)
        rest = frozenset(lid for lid, g in log.groups.items() if g is not group)
        out.append(Comparison(f"nhóm {group.value} / các nhóm khác", focal, rest))
    styles = {lid: typing_style(qs) for lid, qs in log.questions.items()}
    out.append(
        Comparison(
            f"{TYPING_LABELS[WITHOUT_MARKS]} / {TYPING_LABELS[WITH_MARKS]}",
            frozenset(lid for lid, s in styles.items() if s == WITHOUT_MARKS),
            frozenset(lid for lid, s in styles.items() if s == WITH_MARKS),
        )
    )
    return out


def ets_class(delta: float, delta_se: float, p_value: float, alpha: float = 0.05) -> str:
    """ETS rules: C when |Δ| ≥ 1.5 and significantly above 1; A when |Δ| < 1 or not significantly non-zero; B else."""
    size = abs(delta)
    if size < 1.0 or p_value >= alpha:
        return "A"
    if size >= 1.5 and (size - 1.0) / delta_se > 1.645:
        return "C"
    return "B"


def audit(
    log: AnswerLog,
    abilities: Mapping[str, float],
    against: Sequence[Comparison] | None = None,
    config: DifConfig = DEFAULT_DIF,
) -> list[DifResult]:
    """Mantel-Haenszel DIF of every item with enough answers, for every comparison, matched on ability strata.

    Matching uses each learner's ability over all their answers (the adaptive test gives learners different
    items, so a total score would not be comparable); strata are quantiles of those abilities.
    """
    from statsmodels.stats.contingency_tables import StratifiedTable
    from statsmodels.stats.multitest import multipletests

    thetas = np.array([abilities[lid] for lid in sorted(abilities)])
    if thetas.size == 0:
        return []
    cuts = np.unique(np.quantile(thetas, np.linspace(0, 1, config.strata + 1)[1:-1]))
    stratum = {lid: int(np.searchsorted(cuts, theta, side="right")) for lid, theta in abilities.items()}
    by_item: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for a in log.answers:
        if a.learner_id in stratum:
            by_item[a.item_id].append((a.learner_id, a.correct))

    raw: list[tuple[str, str, int, int, float, float, float]] = []
    for comp in against if against is not None else comparisons(log):
        for item_id, answers in sorted(by_item.items()):
            # tables[k] = [[reference right, reference wrong], [focal right, focal wrong]]
            tables = np.zeros((config.strata + 1, 2, 2))
            for lid, correct in answers:
                side = 0 if lid in comp.reference else 1 if lid in comp.focal else -1
                if side >= 0:
                    tables[stratum[lid], side, 0 if correct else 1] += 1
            n_ref, n_foc = int(tables[:, 0].sum()), int(tables[:, 1].sum())
            if min(n_ref, n_foc) < config.min_per_side:
                continue
            usable = [t for t in tables if t[0].sum() > 0 and t[1].sum() > 0]
            if not usable:
                continue
            st = StratifiedTable([np.asarray(t) for t in usable])
            with np.errstate(divide="ignore", invalid="ignore"):  # no discordant answers: infinite or undefined
                odds = float(st.oddsratio_pooled)
            if not math.isfinite(odds) or odds <= 0:
                continue  # no discordant answers in any stratum: nothing to compare
            se = float(st.logodds_pooled_se)
            p = float(st.test_null_odds(correction=True).pvalue)
            raw.append((item_id, comp.name, n_foc, n_ref, odds, se, p))
    if not raw:
        return []
    adjusted = multipletests([r[6] for r in raw], alpha=config.alpha, method="fdr_bh")[1]
    out = []
    for (item_id, name, n_foc, n_ref, odds, se, p), p_adj in zip(raw, adjusted, strict=True):
        delta = ETS_DELTA * math.log(odds)
        delta_se = abs(ETS_DELTA) * se
        ets = ets_class(delta, delta_se, float(p_adj), config.alpha)
        out.append(
            DifResult(
                item_id,
                name,
                n_foc,
                n_ref,
                round(odds, 4),
                round(delta, 3),
                round(delta_se, 3),
                p,
                float(p_adj),
                ets,
                ets == "C",
            )
        )
    return sorted(out, key=lambda r: (not r.flagged, r.ets != "B", -abs(r.delta)))
