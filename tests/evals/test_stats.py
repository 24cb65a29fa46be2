"""Bootstrap intervals, slices and McNemar's test on known inputs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from tutor.evals.scoring import ItemMetrics
from tutor.evals.stats import aggregate, bootstrap_ci, by_slice, mcnemar, paired_bootstrap_diff


def test_bootstrap_ci_contains_the_mean_and_is_reproducible():
    rng = np.random.default_rng(1)
    x = rng.binomial(1, 0.7, size=120).astype(float)
    est = bootstrap_ci(x)
    assert est is not None
    assert est.low < est.mean < est.high
    assert est.mean == pytest.approx(x.mean())
    assert bootstrap_ci(x) == est  # fixed seed


def test_bootstrap_ci_narrows_as_n_grows():
    rng = np.random.default_rng(2)
    small = bootstrap_ci(rng.binomial(1, 0.5, size=30))
    large = bootstrap_ci(rng.binomial(1, 0.5, size=1000))
    assert small is not None and large is not None
    assert (large.high - large.low) < (small.high - small.low) / 3


def test_bootstrap_ci_of_a_proportion_is_close_to_the_normal_approximation():
    x = np.array([1.0] * 60 + [0.0] * 40)
    est = bootstrap_ci(x)
    assert est is not None
    half = 1.96 * np.sqrt(0.6 * 0.4 / 100)
    assert est.low == pytest.approx(0.6 - half, abs=0.02)
    assert est.high == pytest.approx(0.6 + half, abs=0.02)


def test_bootstrap_handles_empty_and_single_values():
    assert bootstrap_ci([]) is None
    one = bootstrap_ci([0.25])
    assert one is not None and (one.low, one.mean, one.high) == (0.25, 0.25, 0.25)


def test_paired_bootstrap_is_centred_on_the_mean_difference():
    a = [1, 1, 1, 1, 0, 0, 1, 1, 1, 1] * 10
    b = [1, 0, 0, 1, 0, 0, 1, 0, 1, 0] * 10
    est = paired_bootstrap_diff(a, b)
    assert est is not None
    assert est.mean == pytest.approx(-0.4)
    assert est.high < 0
    with pytest.raises(ValueError):
        paired_bootstrap_diff([1.0], [1.0, 0.0])


def test_mcnemar_exact_on_a_small_table():
    # b = 10 pass->fail, c = 2 fail->pass: two-sided exact p = 2 * P(X <= 2 | n=12, 1/2) = 2 * 79 / 4096.
    result = mcnemar(10, 2)
    assert result.method == "exact"
    assert result.p_value == pytest.approx(2 * (1 + 12 + 66) / 4096)


def test_mcnemar_chi_square_with_continuity_correction_on_a_large_table():
    result = mcnemar(30, 10)
    assert result.method == "chi2-cc"
    assert result.statistic == pytest.approx((20 - 1) ** 2 / 40)
    assert result.p_value == pytest.approx(sps.chi2.sf(9.025, 1))
    assert mcnemar(0, 0).p_value == 1.0


def _m(id_: str, type_: str, passed: bool, hit5: float | None) -> ItemMetrics:
    return ItemMetrics(
        id=id_,
        type=type_,
        level="co-ban",
        group="nguoi-dan",
        topic="domain-4",
        answerable=hit5 is not None,
        safety_critical=False,
        error=False,
        refused=hit5 is None,
        refusal_correct=True,
        degraded=False,
        replaced=False,
        hit5_section=hit5,
        passed=passed,
    )


def test_aggregate_skips_items_where_a_metric_does_not_apply_and_slices_count_items():
    items = [_m("a", "howto", True, 1.0), _m("b", "howto", False, 0.0), _m("c", "out_of_scope", True, None)]
    overall = aggregate(items, ("pass_rate", "hit5_section"))
    assert overall["pass_rate"] is not None and overall["pass_rate"].n == 3
    assert overall["hit5_section"] is not None and overall["hit5_section"].n == 2
    assert overall["hit5_section"].mean == 0.5
    types = by_slice(items)["type"]
    assert types["howto"]["n"] == 2 and types["out_of_scope"]["hit5_section"] is None
