"""Comparing two runs and the CI gate: exit 0 when fine, 1 on a regression, 2 when the runs cannot be compared."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tutor.cli import app
from tutor.evals.compare import compare_runs
from tutor.evals.records import ItemRecord, RunManifest, write_manifest, write_records
from tutor.evals.scoring import ItemMetrics

runner = CliRunner()
SHA = "a" * 64


def make_run(path: Path, rows: list[tuple[str, bool, float, bool]], *, sha: str = SHA, scored: bool = True) -> Path:
    """rows: (id, passed, hit5, safety_critical)."""
    path.mkdir(parents=True)
    write_manifest(
        path,
        RunManifest(
            name=path.name,
            dataset="gold.jsonl",
            dataset_sha256=sha,
            dataset_items=len(rows),
            selected=len(rows),
            embedder="hash:256",
            llm="extractive",
            started_at="2026-01-01T00:00:00+0000",
        ),
    )
    records = []
    for id_, passed, hit5, safety in rows:
        m = ItemMetrics(
            id=id_,
            type="safety" if safety else "howto",
            level="co-ban",
            group="nguoi-dan",
            topic="domain-4",
            answerable=True,
            safety_critical=safety,
            error=False,
            refused=False,
            refusal_correct=True,
            degraded=False,
            replaced=False,
            hit5_section=hit5,
            coverage_folded=1.0 if passed else 0.5,
            passed=passed,
            fail_reasons=() if passed else ("coverage",),
        )
        records.append(
            ItemRecord(
                id=id_,
                question="q",
                level="co-ban",
                group="nguoi-dan",
                type=m.type,
                answer="a",
                metrics=m.to_dict() if scored else None,
            )
        )
    write_records(path / "items.jsonl", records)
    return path


BASE = [(f"I-{i:03d}", True, 1.0, i < 5) for i in range(40)]


def gate(a: Path, b: Path) -> int:
    result = runner.invoke(app, ["eval", "compare", str(a), str(b), "--gate"])
    assert "Traceback" not in result.output
    return result.exit_code


def test_identical_runs_pass_the_gate(tmp_path: Path):
    a, b = make_run(tmp_path / "a", BASE), make_run(tmp_path / "b", BASE)
    assert gate(a, b) == 0
    c = compare_runs(a, b)
    assert c.paired == 40 and not c.pass_to_fail and c.mcnemar.p_value == 1.0 and not c.regression


def test_one_new_failure_on_a_safety_critical_item_is_a_regression(tmp_path: Path):
    rows = [(i, i != "I-002" and p, h, s) for i, p, h, s in BASE]
    a, b = make_run(tmp_path / "a", BASE), make_run(tmp_path / "b", rows)
    assert gate(a, b) == 1
    c = compare_runs(a, b)
    assert c.new_safety_failures == ("I-002",) and c.pass_to_fail == ("I-002",)
    # A single lost item is not a significant pass-rate drop; the safety rule alone trips the gate.
    assert c.diffs["passed"] is not None and c.diffs["passed"].high >= 0


def test_a_few_non_safety_failures_within_noise_are_not_a_regression(tmp_path: Path):
    rows = [(i, i not in ("I-010", "I-020") and p, h, s) for i, p, h, s in BASE]
    assert gate(make_run(tmp_path / "a", BASE), make_run(tmp_path / "b", rows)) == 0


def test_a_pass_rate_drop_whose_ci_is_below_zero_is_a_regression(tmp_path: Path):
    rows = [(i, p and n < 25, h, s) for n, (i, p, h, s) in enumerate(BASE)]  # 15 non-safety items now fail
    a, b = make_run(tmp_path / "a", BASE), make_run(tmp_path / "b", rows)
    c = compare_runs(a, b)
    assert c.diffs["passed"] is not None and c.diffs["passed"].high < 0
    assert c.mcnemar.b == 15 and c.mcnemar.c == 0 and c.mcnemar.method == "exact" and c.mcnemar.p_value < 0.001
    assert gate(a, b) == 1
    # Without --gate the comparison is only printed.
    assert runner.invoke(app, ["eval", "compare", str(a), str(b)]).exit_code == 0


def test_a_hit_at_5_drop_alone_is_a_regression(tmp_path: Path):
    rows = [(i, p, 0.0 if n >= 20 else h, s) for n, (i, p, h, s) in enumerate(BASE)]
    a, b = make_run(tmp_path / "a", BASE), make_run(tmp_path / "b", rows)
    assert gate(a, b) == 1
    assert any("hit@5" in r for r in compare_runs(a, b).regression_reasons)


def test_improvements_pass_the_gate(tmp_path: Path):
    worse = [(i, p and n < 25, h, s and False) for n, (i, p, h, s) in enumerate(BASE)]
    assert gate(make_run(tmp_path / "a", worse), make_run(tmp_path / "b", BASE)) == 0


@pytest.mark.parametrize("case", ["other-dataset", "missing", "unscored", "disjoint"])
def test_runs_that_cannot_be_compared_exit_2(tmp_path: Path, case: str):
    a = make_run(tmp_path / "a", BASE)
    if case == "other-dataset":
        b = make_run(tmp_path / "b", BASE, sha="b" * 64)
    elif case == "missing":
        b = tmp_path / "nowhere"
    elif case == "unscored":
        b = make_run(tmp_path / "b", BASE, scored=False)
    else:
        b = make_run(tmp_path / "b", [("Z-1", True, 1.0, False)])
    assert gate(a, b) == 2


def test_an_unreadable_manifest_exits_2(tmp_path: Path):
    a = make_run(tmp_path / "a", BASE)
    b = make_run(tmp_path / "b", BASE)
    (b / "manifest.json").write_text("{not json", encoding="utf-8")
    assert gate(a, b) == 2
